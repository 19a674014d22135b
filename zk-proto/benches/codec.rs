//! Encode and decode costs of the common messages (see BENCHMARKS.md for results and how to
//! run). Each decode starts from a `Bytes` frame payload, as the server's read loop has it.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion};
use zk_proto::multi::{MultiOp, MultiRequest};
use zk_proto::quorum::{QuorumPacket, QuorumPacketDecoder, QuorumPacketType};
use zk_proto::txn::{CreateTxn, Txn, TxnDigest, TxnHeader, TxnLogEntry};
use zk_proto::{
    Acl, CheckVersionRequest, CreateRequest, DeleteRequest, ErrorCode, GetChildren2Response,
    GetDataRequest, OpCode, ReplyHeader, Request, Response, SessionId, SetDataRequest, Stat, Xid,
    Zxid,
};

fn create(path: &str) -> CreateRequest {
    CreateRequest {
        path: path.into(),
        data: Some(Bytes::from_static(b"some small value")),
        acl: Acl::open_acl_unsafe(),
        flags: 0,
    }
}

/// The payload (without the length prefix) of a request frame.
fn request_payload(request: &Request) -> Bytes {
    let mut out = BytesMut::new();
    request.write_frame(Xid(42), &mut out);
    out.split_off(4).freeze()
}

fn bench_request(c: &mut Criterion, name: &str, request: Request) {
    let payload = request_payload(&request);
    let mut out = BytesMut::with_capacity(payload.len() + 4);
    c.bench_function(&format!("encode/{name}"), |b| {
        b.iter(|| {
            out.clear();
            black_box(&request).write_frame(Xid(42), &mut out);
            black_box(&out);
        })
    });
    c.bench_function(&format!("decode/{name}"), |b| {
        b.iter(|| Request::decode(black_box(payload.clone())).unwrap())
    });
}

fn requests(c: &mut Criterion) {
    bench_request(
        c,
        "getData",
        Request::GetData(GetDataRequest {
            path: "/app/service/config".into(),
            watch: true,
        }),
    );
    bench_request(
        c,
        "setData 1KiB",
        Request::SetData(SetDataRequest {
            path: "/app/service/config".into(),
            data: Some(Bytes::from(vec![7u8; 1024])),
            version: 3,
        }),
    );
    bench_request(c, "create", Request::Create(create("/app/locks/lock-")));
    let ops = (0..10)
        .map(|i| match i % 4 {
            0 => MultiOp::Create(create(&format!("/app/m/{i}"))),
            1 => MultiOp::SetData(SetDataRequest {
                path: format!("/app/m/{i}"),
                data: Some(Bytes::from_static(b"v")),
                version: -1,
            }),
            2 => MultiOp::Check(CheckVersionRequest {
                path: "/app/m".into(),
                version: 1,
            }),
            _ => MultiOp::Delete(DeleteRequest {
                path: format!("/app/m/{i}"),
                version: -1,
            }),
        })
        .collect();
    bench_request(c, "multi 10 ops", Request::Multi(MultiRequest { ops }));
}

fn replies(c: &mut Criterion) {
    let reply = Response::GetChildren2(GetChildren2Response {
        children: (0..100).map(|i| format!("member-{i:010}")).collect(),
        stat: Stat::default(),
    });
    let header = ReplyHeader {
        xid: Xid(42),
        zxid: Zxid(0x1_0000_0100),
        err: ErrorCode::Ok,
    };
    let mut out = BytesMut::new();
    reply.write_frame(&header, &mut out);
    let payload = out.split_off(4).freeze();
    c.bench_function("encode/getChildren2 reply 100 children", |b| {
        b.iter(|| {
            out.clear();
            black_box(&reply).write_frame(&header, &mut out);
            black_box(&out);
        })
    });
    c.bench_function("decode/getChildren2 reply 100 children", |b| {
        b.iter(|| Response::decode_frame(OpCode::GetChildren2, black_box(payload.clone())).unwrap())
    });
}

fn txns(c: &mut Criterion) {
    let entry = TxnLogEntry::new(
        TxnHeader {
            client_id: SessionId(0x0100_0000_0000_0001),
            cxid: Xid(42),
            zxid: Zxid(0x1_0000_0100),
            time: 1_700_000_000_000,
            txn_type: OpCode::Create2,
        },
        Txn::Create2(CreateTxn {
            path: "/app/locks/lock-0000000042".into(),
            data: Some(Bytes::from_static(b"some small value")),
            acl: Acl::open_acl_unsafe(),
            ephemeral: true,
            parent_cversion: 43,
        }),
        Some(TxnDigest {
            version: TxnDigest::VERSION,
            tree_digest: 0x1234_5678_9abc,
        }),
    );
    let bytes = Bytes::from(entry.to_vec());
    let mut out = Vec::with_capacity(bytes.len());
    c.bench_function("encode/txn entry create", |b| {
        b.iter(|| {
            out.clear();
            black_box(&entry).write(&mut out);
            black_box(&out);
        })
    });
    c.bench_function("decode/txn entry create", |b| {
        b.iter(|| TxnLogEntry::decode(black_box(bytes.clone())).unwrap())
    });

    // The same txn as a follower receives it: a PROPOSAL on the quorum stream.
    let proposal = QuorumPacket::new(QuorumPacketType::Proposal, entry.zxid()).with_data(bytes);
    let mut stream = BytesMut::new();
    zk_proto::Jute::write(&proposal, &mut stream);
    let stream = stream.freeze();
    let decoder = QuorumPacketDecoder::default();
    c.bench_function("decode/proposal packet + txn entry", |b| {
        b.iter(|| {
            let mut buf = BytesMut::from(&black_box(&stream)[..]);
            let packet = decoder.decode(&mut buf).unwrap().unwrap();
            TxnLogEntry::decode(packet.data.unwrap()).unwrap()
        })
    });
}

criterion_group!(benches, requests, replies, txns);
criterion_main!(benches);
