//! [`Request`]: every client request after the handshake, as one enum with a variant per
//! client op code.
//!
//! ```text
//! [len] RequestHeader{int xid; int type} [request record, by type]
//! ```
//!
//! [`Request::decode`] turns a frame's payload into the header and the typed request;
//! [`Request::write_frame`] writes one. The mapping from op code to body is §4.1 of the wire
//! reference; ops 11 (ping), 107 (whoAmI) and -11 (closeSession) have no body.
//!
//! # Which errors mean what
//!
//! A server answers a request it cannot decode in one of two ways, and the error tells which:
//!
//! - [`Error::UnknownOpCode`]: the op code is not a client request. That covers codes ZooKeeper
//!   does not define, **and** the defined codes no client may send at top level: 0
//!   (notification), 13 (`check`, valid only inside a multi), -1 (error) and -10
//!   (createSession). ZooKeeper answers UNIMPLEMENTED and closes the connection.
//!   [`RequestHeader::peek_xid`] gives the xid to answer.
//! - any other [`Error`]: the body does not decode; ZooKeeper answers MARSHALLINGERROR.
//!
//! Trailing bytes after the body are ignored, as ZooKeeper does.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};
use crate::frame::write_frame;
use crate::id::Xid;
use crate::jute::{Jute, Reader};
use crate::multi::MultiRequest;
use crate::records::{
    AddWatchRequest, AuthPacket, CheckWatchesRequest, CreateRequest, CreateTtlRequest,
    DeleteContainerRequest, DeleteRequest, ExistsRequest, GetAclRequest,
    GetAllChildrenNumberRequest, GetChildren2Request, GetChildrenRequest, GetDataRequest,
    GetEphemeralsRequest, GetSaslRequest, ReconfigRequest, RemoveWatchesRequest, SetAclRequest,
    SetDataRequest, SetWatches, SetWatches2, SyncRequest,
};
use crate::{OpCode, RequestHeader};

/// A client request: one variant per op code a client may send.
///
/// ```
/// use bytes::BytesMut;
/// use zk_proto::{ExistsRequest, OpCode, Request, Xid};
/// let req = Request::Exists(ExistsRequest { path: "/a".into(), watch: true });
/// let mut out = BytesMut::new();
/// req.write_frame(Xid(1), &mut out);
/// let (header, decoded) = Request::decode(out.split_off(4).freeze()).unwrap();
/// assert_eq!((header.xid, header.op), (Xid(1), OpCode::Exists));
/// assert_eq!(decoded, req);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Request {
    /// `create` (1) → CreateResponse.
    Create(CreateRequest),
    /// `create2` (15) → Create2Response.
    Create2(CreateRequest),
    /// `createContainer` (19) → Create2Response. The flags must be 4.
    CreateContainer(CreateRequest),
    /// `createTTL` (21) → Create2Response.
    CreateTtl(CreateTtlRequest),
    /// `delete` (2) → no body.
    Delete(DeleteRequest),
    /// `exists` (3) → ExistsResponse, or NONODE.
    Exists(ExistsRequest),
    /// `getData` (4) → GetDataResponse.
    GetData(GetDataRequest),
    /// `setData` (5) → SetDataResponse.
    SetData(SetDataRequest),
    /// `getACL` (6) → GetACLResponse.
    GetAcl(GetAclRequest),
    /// `setACL` (7) → SetACLResponse.
    SetAcl(SetAclRequest),
    /// `getChildren` (8) → GetChildrenResponse.
    GetChildren(GetChildrenRequest),
    /// `getChildren2` (12) → GetChildren2Response.
    GetChildren2(GetChildren2Request),
    /// `sync` (9) → SyncResponse.
    Sync(SyncRequest),
    /// `ping` (11, xid -2): no body either way.
    Ping,
    /// `multi` (14): write ops only → MultiResponse.
    Multi(MultiRequest),
    /// `multiRead` (22): read ops only → MultiResponse.
    MultiRead(MultiRequest),
    /// `reconfig` (16) → GetDataResponse.
    Reconfig(ReconfigRequest),
    /// `checkWatches` (17) → no body; NOWATCHER if absent.
    CheckWatches(CheckWatchesRequest),
    /// `removeWatches` (18) → no body; NOWATCHER if none removed.
    RemoveWatches(RemoveWatchesRequest),
    /// `auth` (100, xid -4) → no body.
    Auth(AuthPacket),
    /// `setWatches` (101, xid -8) → no body.
    SetWatches(SetWatches),
    /// `setWatches2` (105, xid -8) → no body.
    SetWatches2(SetWatches2),
    /// `sasl` (102) → SetSASLResponse.
    Sasl(GetSaslRequest),
    /// `getEphemerals` (103) → GetEphemeralsResponse.
    GetEphemerals(GetEphemeralsRequest),
    /// `getAllChildrenNumber` (104) → GetAllChildrenNumberResponse.
    GetAllChildrenNumber(GetAllChildrenNumberRequest),
    /// `addWatch` (106) → ErrorResponse{0}.
    AddWatch(AddWatchRequest),
    /// `whoAmI` (107): no body → WhoAmIResponse.
    WhoAmI,
    /// `closeSession` (-11): no body either way; the server then closes the socket.
    CloseSession,
    /// `deleteContainer` (20): sent by the container reaper; no reply body.
    DeleteContainer(DeleteContainerRequest),
}

impl Request {
    /// The op code written in this request's header.
    pub fn op(&self) -> OpCode {
        match self {
            Request::Create(_) => OpCode::Create,
            Request::Create2(_) => OpCode::Create2,
            Request::CreateContainer(_) => OpCode::CreateContainer,
            Request::CreateTtl(_) => OpCode::CreateTtl,
            Request::Delete(_) => OpCode::Delete,
            Request::Exists(_) => OpCode::Exists,
            Request::GetData(_) => OpCode::GetData,
            Request::SetData(_) => OpCode::SetData,
            Request::GetAcl(_) => OpCode::GetAcl,
            Request::SetAcl(_) => OpCode::SetAcl,
            Request::GetChildren(_) => OpCode::GetChildren,
            Request::GetChildren2(_) => OpCode::GetChildren2,
            Request::Sync(_) => OpCode::Sync,
            Request::Ping => OpCode::Ping,
            Request::Multi(_) => OpCode::Multi,
            Request::MultiRead(_) => OpCode::MultiRead,
            Request::Reconfig(_) => OpCode::Reconfig,
            Request::CheckWatches(_) => OpCode::CheckWatches,
            Request::RemoveWatches(_) => OpCode::RemoveWatches,
            Request::Auth(_) => OpCode::Auth,
            Request::SetWatches(_) => OpCode::SetWatches,
            Request::SetWatches2(_) => OpCode::SetWatches2,
            Request::Sasl(_) => OpCode::Sasl,
            Request::GetEphemerals(_) => OpCode::GetEphemerals,
            Request::GetAllChildrenNumber(_) => OpCode::GetAllChildrenNumber,
            Request::AddWatch(_) => OpCode::AddWatch,
            Request::WhoAmI => OpCode::WhoAmI,
            Request::CloseSession => OpCode::CloseSession,
            Request::DeleteContainer(_) => OpCode::DeleteContainer,
        }
    }

    /// The znode path the request names, if it names exactly one (for logs and metrics).
    pub fn path(&self) -> Option<&str> {
        Some(match self {
            Request::Create(r) | Request::Create2(r) | Request::CreateContainer(r) => &r.path,
            Request::CreateTtl(r) => &r.path,
            Request::Delete(r) => &r.path,
            Request::Exists(r) => &r.path,
            Request::GetData(r) => &r.path,
            Request::SetData(r) => &r.path,
            Request::GetAcl(r) => &r.path,
            Request::SetAcl(r) => &r.path,
            Request::GetChildren(r) => &r.path,
            Request::GetChildren2(r) => &r.path,
            Request::Sync(r) => &r.path,
            Request::CheckWatches(r) => &r.path,
            Request::RemoveWatches(r) => &r.path,
            Request::GetEphemerals(r) => &r.prefix_path,
            Request::GetAllChildrenNumber(r) => &r.path,
            Request::AddWatch(r) => &r.path,
            Request::DeleteContainer(r) => &r.path,
            Request::Ping
            | Request::Multi(_)
            | Request::MultiRead(_)
            | Request::Reconfig(_)
            | Request::Auth(_)
            | Request::SetWatches(_)
            | Request::SetWatches2(_)
            | Request::Sasl(_)
            | Request::WhoAmI
            | Request::CloseSession => return None,
        })
    }

    /// Decodes a request frame's payload (after the length prefix): the header, then the body
    /// its op code selects. See the [module docs](self) for what each error means.
    pub fn decode(frame: Bytes) -> Result<(RequestHeader, Request)> {
        let mut r = Reader::new(frame);
        let header = RequestHeader::read(&mut r, "RequestHeader")?;
        let request = Request::read_body(header.op, &mut r)?;
        Ok((header, request))
    }

    /// Decodes the body of a request whose header announced `op`.
    pub fn read_body(op: OpCode, r: &mut Reader) -> Result<Request> {
        Ok(match op {
            OpCode::Create => Request::Create(CreateRequest::read(r, "")?),
            OpCode::Create2 => Request::Create2(CreateRequest::read(r, "")?),
            OpCode::CreateContainer => Request::CreateContainer(CreateRequest::read(r, "")?),
            OpCode::CreateTtl => Request::CreateTtl(CreateTtlRequest::read(r, "")?),
            OpCode::Delete => Request::Delete(DeleteRequest::read(r, "")?),
            OpCode::Exists => Request::Exists(ExistsRequest::read(r, "")?),
            OpCode::GetData => Request::GetData(GetDataRequest::read(r, "")?),
            OpCode::SetData => Request::SetData(SetDataRequest::read(r, "")?),
            OpCode::GetAcl => Request::GetAcl(GetAclRequest::read(r, "")?),
            OpCode::SetAcl => Request::SetAcl(SetAclRequest::read(r, "")?),
            OpCode::GetChildren => Request::GetChildren(GetChildrenRequest::read(r, "")?),
            OpCode::GetChildren2 => Request::GetChildren2(GetChildren2Request::read(r, "")?),
            OpCode::Sync => Request::Sync(SyncRequest::read(r, "")?),
            OpCode::Ping => Request::Ping,
            OpCode::Multi => Request::Multi(read_multi(r, false)?),
            OpCode::MultiRead => Request::MultiRead(read_multi(r, true)?),
            OpCode::Reconfig => Request::Reconfig(ReconfigRequest::read(r, "")?),
            OpCode::CheckWatches => Request::CheckWatches(CheckWatchesRequest::read(r, "")?),
            OpCode::RemoveWatches => Request::RemoveWatches(RemoveWatchesRequest::read(r, "")?),
            OpCode::Auth => Request::Auth(AuthPacket::read(r, "")?),
            OpCode::SetWatches => Request::SetWatches(SetWatches::read(r, "")?),
            OpCode::SetWatches2 => Request::SetWatches2(SetWatches2::read(r, "")?),
            OpCode::Sasl => Request::Sasl(GetSaslRequest::read(r, "")?),
            OpCode::GetEphemerals => Request::GetEphemerals(GetEphemeralsRequest::read(r, "")?),
            OpCode::GetAllChildrenNumber => {
                Request::GetAllChildrenNumber(GetAllChildrenNumberRequest::read(r, "")?)
            }
            OpCode::AddWatch => Request::AddWatch(AddWatchRequest::read(r, "")?),
            OpCode::WhoAmI => Request::WhoAmI,
            OpCode::CloseSession => Request::CloseSession,
            OpCode::DeleteContainer => {
                Request::DeleteContainer(DeleteContainerRequest::read(r, "")?)
            }
            OpCode::Notification | OpCode::Check | OpCode::Error | OpCode::CreateSession => {
                return Err(Error::UnknownOpCode(op.code()))
            }
        })
    }

    /// Appends the body (no header, no length).
    pub fn write_body<B: BufMut>(&self, out: &mut B) {
        match self {
            Request::Create(r) | Request::Create2(r) | Request::CreateContainer(r) => r.write(out),
            Request::CreateTtl(r) => r.write(out),
            Request::Delete(r) => r.write(out),
            Request::Exists(r) => r.write(out),
            Request::GetData(r) => r.write(out),
            Request::SetData(r) => r.write(out),
            Request::GetAcl(r) => r.write(out),
            Request::SetAcl(r) => r.write(out),
            Request::GetChildren(r) => r.write(out),
            Request::GetChildren2(r) => r.write(out),
            Request::Sync(r) => r.write(out),
            Request::Multi(r) | Request::MultiRead(r) => r.write(out),
            Request::Reconfig(r) => r.write(out),
            Request::CheckWatches(r) => r.write(out),
            Request::RemoveWatches(r) => r.write(out),
            Request::Auth(r) => r.write(out),
            Request::SetWatches(r) => r.write(out),
            Request::SetWatches2(r) => r.write(out),
            Request::Sasl(r) => r.write(out),
            Request::GetEphemerals(r) => r.write(out),
            Request::GetAllChildrenNumber(r) => r.write(out),
            Request::AddWatch(r) => r.write(out),
            Request::DeleteContainer(r) => r.write(out),
            Request::Ping | Request::WhoAmI | Request::CloseSession => {}
        }
    }

    /// Appends the whole frame `[len][RequestHeader{xid, op}][body]`. The caller picks the
    /// xid: [`Xid::PING`] for pings, [`Xid::AUTH`] for auth, [`Xid::SET_WATCHES`] for
    /// setWatches, the next positive xid otherwise.
    pub fn write_frame(&self, xid: Xid, out: &mut BytesMut) {
        let header = RequestHeader { xid, op: self.op() };
        write_frame(out, |b| {
            header.write(b);
            self.write_body(b);
        });
    }
}

/// Reads a multi (`read` = false) or multiRead body and checks the ops suit it.
fn read_multi(r: &mut Reader, read: bool) -> Result<MultiRequest> {
    let multi = MultiRequest::read(r, "MultiOperationRecord")?;
    if multi.ops.iter().any(|op| op.is_read() != read) {
        return Err(Error::Malformed {
            record: "MultiOperationRecord",
            reason: if read {
                "multiRead holds a write operation"
            } else {
                "multi holds a read operation"
            },
        });
    }
    Ok(multi)
}

#[cfg(any(test, feature = "arbitrary"))]
impl quickcheck::Arbitrary for Request {
    /// Any request; a `Multi` holds only write ops and a `MultiRead` only read ops, so every
    /// generated value decodes back to itself.
    fn arbitrary(g: &mut quickcheck::Gen) -> Self {
        use quickcheck::Arbitrary as A;
        match u8::arbitrary(g) % 29 {
            0 => Request::Create(A::arbitrary(g)),
            1 => Request::Create2(A::arbitrary(g)),
            2 => Request::CreateContainer(A::arbitrary(g)),
            3 => Request::CreateTtl(A::arbitrary(g)),
            4 => Request::Delete(A::arbitrary(g)),
            5 => Request::Exists(A::arbitrary(g)),
            6 => Request::GetData(A::arbitrary(g)),
            7 => Request::SetData(A::arbitrary(g)),
            8 => Request::GetAcl(A::arbitrary(g)),
            9 => Request::SetAcl(A::arbitrary(g)),
            10 => Request::GetChildren(A::arbitrary(g)),
            11 => Request::GetChildren2(A::arbitrary(g)),
            12 => Request::Sync(A::arbitrary(g)),
            13 => Request::Ping,
            14 => Request::Multi(MultiRequest::arbitrary_of_kind(g, false)),
            15 => Request::MultiRead(MultiRequest::arbitrary_of_kind(g, true)),
            16 => Request::Reconfig(A::arbitrary(g)),
            17 => Request::CheckWatches(A::arbitrary(g)),
            18 => Request::RemoveWatches(A::arbitrary(g)),
            19 => Request::Auth(A::arbitrary(g)),
            20 => Request::SetWatches(A::arbitrary(g)),
            21 => Request::SetWatches2(A::arbitrary(g)),
            22 => Request::Sasl(A::arbitrary(g)),
            23 => Request::GetEphemerals(A::arbitrary(g)),
            24 => Request::GetAllChildrenNumber(A::arbitrary(g)),
            25 => Request::AddWatch(A::arbitrary(g)),
            26 => Request::WhoAmI,
            27 => Request::CloseSession,
            _ => Request::DeleteContainer(A::arbitrary(g)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::multi::MultiOp;
    use crate::records::GetDataRequest;

    fn frame(req: &Request, xid: i32) -> Bytes {
        let mut out = BytesMut::new();
        req.write_frame(Xid(xid), &mut out);
        out.split_off(4).freeze()
    }

    quickcheck::quickcheck! {
        fn request_frames_round_trip(req: Request, xid: i32) -> bool {
            let (header, decoded) = Request::decode(frame(&req, xid)).unwrap();
            header.xid == Xid(xid) && header.op == req.op() && decoded == req
        }
    }

    #[test]
    fn top_level_check_and_non_request_ops_are_unknown_opcodes() {
        for op in [
            OpCode::Check,
            OpCode::Notification,
            OpCode::Error,
            OpCode::CreateSession,
        ] {
            let mut out = BytesMut::new();
            RequestHeader { xid: Xid(1), op }.write(&mut out);
            assert_eq!(
                Request::decode(out.freeze()),
                Err(Error::UnknownOpCode(op.code()))
            );
        }
        let mut out = BytesMut::new();
        out.put_i32(1);
        out.put_i32(10); // unassigned
        assert_eq!(Request::decode(out.freeze()), Err(Error::UnknownOpCode(10)));
    }

    #[test]
    fn multi_and_multi_read_reject_the_other_kind() {
        let read_ops = MultiRequest {
            ops: vec![MultiOp::GetData(GetDataRequest {
                path: "/a".into(),
                watch: false,
            })],
        };
        let mut out = BytesMut::new();
        RequestHeader {
            xid: Xid(1),
            op: OpCode::Multi,
        }
        .write(&mut out);
        read_ops.write(&mut out);
        assert!(matches!(
            Request::decode(out.freeze()),
            Err(Error::Malformed { .. })
        ));
        let bytes = frame(&Request::MultiRead(read_ops), 1);
        assert!(Request::decode(bytes).is_ok());
    }
}
