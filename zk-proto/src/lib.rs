//! The Apache ZooKeeper wire protocol, as spoken by ZooKeeper 3.8 and 3.9 servers and clients.
//!
//! This crate is the leaf of the workspace: plain data types and their byte encodings, with no
//! I/O and no async runtime. The server, the client, the storage layer and the replication core
//! all speak through it.
//!
//! # Layout
//!
//! - [`jute`]: the [`Jute`] trait, primitive encodings and the bounds-checked [`jute::Reader`].
//! - [`frame`]: length-prefixed framing, [`frame::FrameDecoder`] with `jute.maxbuffer`.
//! - [`id`]: [`Zxid`], [`Epoch`], [`SessionId`], [`Xid`].
//! - [`op_code`], [`error_code`]: [`OpCode`] and [`ErrorCode`].
//! - [`header`]: [`RequestHeader`], [`ReplyHeader`].
//! - [`stat`], [`acl`]: [`Stat`], [`StatPersisted`], [`Id`], [`Acl`], [`Perms`].
//! - [`path`]: path validation exactly as `PathUtils.validatePath`.
//! - [`error`]: [`Error`], the decoding error that names the field and offset.
//! - [`connect`]: the handshake, [`ConnectRequest`] and [`ConnectResponse`] (optional `readOnly`).
//! - [`records`]: every client request and response record ([`CreateRequest`],
//!   [`GetDataResponse`], ...).
//! - [`create_mode`]: [`CreateMode`] and the stored `ephemeralOwner` encodings
//!   ([`EphemeralOwner`]).
//! - [`watch`]: [`WatcherEvent`] notifications, [`EventType`], [`KeeperState`], [`AddWatchMode`],
//!   [`WatcherType`].
//! - [`multi`]: [`MultiRequest`] / [`MultiOp`] and [`MultiResponse`] / [`MultiResult`].
//! - [`request`], [`response`]: [`Request`] (one variant per client op) and [`Response`], with
//!   whole-frame encoding and decoding.
//! - [`four_letter`]: [`FourLetterWord`], the admin commands (`ruok`, `srvr`, ...).
//! - [`txn`]: transaction records as logged and proposed: [`txn::TxnLogEntry`], [`txn::Txn`].
//! - [`quorum`]: server-to-server records: [`quorum::QuorumPacket`], election messages.
//! - Fuzzing and codec benchmarks: `FUZZING.md` and `BENCHMARKS.md` beside `Cargo.toml`.
//!
//! # Example
//!
//! ```
//! use zk_proto::{Jute, ReplyHeader, ErrorCode, Xid, Zxid};
//!
//! let header = ReplyHeader { xid: Xid(7), zxid: Zxid(0x100000002), err: ErrorCode::NoNode };
//! let bytes = header.to_vec();
//! assert_eq!(bytes.len(), 16);
//! assert_eq!(ReplyHeader::from_bytes(bytes).unwrap(), header);
//!
//! // Bad input is an error naming the field, never a panic.
//! let err = ReplyHeader::from_bytes(vec![0, 0, 0, 7, 0]).unwrap_err();
//! assert_eq!(err.to_string(),
//!            "truncated input reading ReplyHeader.zxid at offset 4: need 8 bytes, 1 left");
//! ```
//!
//! A request and its reply, as a client and a server each see them:
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use zk_proto::frame::FrameDecoder;
//! use zk_proto::{ErrorCode, GetDataRequest, GetDataResponse, OpCode, ReplyHeader, Request,
//!                Response, Stat, Xid, Zxid};
//!
//! // Client: encode a getData request frame.
//! let request = Request::GetData(GetDataRequest { path: "/app/config".into(), watch: true });
//! let mut wire = BytesMut::new();
//! request.write_frame(Xid(1), &mut wire);
//!
//! // Server: split the stream into frames and decode the request.
//! let frames = FrameDecoder::default();
//! let (header, decoded) = Request::decode(frames.decode(&mut wire)?.unwrap())?;
//! assert_eq!((header.xid, header.op, &decoded), (Xid(1), OpCode::GetData, &request));
//!
//! // Server: answer it.
//! let reply = Response::GetData(GetDataResponse {
//!     data: Some(Bytes::from_static(b"v1")),
//!     stat: Stat { data_length: 2, ..Stat::default() },
//! });
//! let reply_header = ReplyHeader { xid: header.xid, zxid: Zxid(5), err: ErrorCode::Ok };
//! reply.write_frame(&reply_header, &mut wire);
//!
//! // Client: the xid says which request this answers, hence which op's body to expect.
//! let frame = frames.decode(&mut wire)?.unwrap();
//! let (got_header, body) = Response::decode_frame(OpCode::GetData, frame)?;
//! assert_eq!(got_header.err, ErrorCode::Ok);
//! let Response::GetData(data) = body else { unreachable!() };
//! assert_eq!(data.data.as_deref(), Some(&b"v1"[..]));
//! # Ok::<(), zk_proto::Error>(())
//! ```

#[macro_use]
pub mod jute;
pub mod acl;
pub mod error;
pub mod error_code;
pub mod frame;
pub mod header;
pub mod id;
pub mod op_code;
pub mod path;
pub mod quorum;
pub mod stat;
pub mod txn;

pub mod connect;
pub mod create_mode;
pub mod four_letter;
pub mod multi;
pub mod records;
pub mod request;
pub mod response;
pub mod watch;

pub use acl::{Acl, Id, Perms};
pub use error::{Error, Result};
pub use error_code::ErrorCode;
pub use header::{ReplyHeader, RequestHeader};
pub use id::{Epoch, SessionId, Xid, Zxid};
pub use jute::Jute;
pub use op_code::OpCode;
pub use stat::{Stat, StatPersisted};

pub use connect::{ConnectRequest, ConnectResponse};
pub use create_mode::{CreateMode, EphemeralOwner, EphemeralType};
pub use four_letter::FourLetterWord;
pub use multi::{MultiHeader, MultiOp, MultiRequest, MultiResponse, MultiResult};
pub use records::{
    AddWatchRequest, AuthPacket, CheckVersionRequest, CheckWatchesRequest, ClientInfo,
    Create2Response, CreateRequest, CreateResponse, CreateTtlRequest, DeleteContainerRequest,
    DeleteRequest, ErrorResponse, ExistsRequest, ExistsResponse, GetAclRequest, GetAclResponse,
    GetAllChildrenNumberRequest, GetAllChildrenNumberResponse, GetChildren2Request,
    GetChildren2Response, GetChildrenRequest, GetChildrenResponse, GetDataRequest, GetDataResponse,
    GetEphemeralsRequest, GetEphemeralsResponse, GetSaslRequest, ReconfigRequest,
    RemoveWatchesRequest, SetAclRequest, SetAclResponse, SetDataRequest, SetDataResponse,
    SetSaslResponse, SetWatches, SetWatches2, SyncRequest, SyncResponse, WhoAmIResponse,
};
pub use request::Request;
pub use response::Response;
pub use watch::{AddWatchMode, EventType, KeeperState, WatcherEvent, WatcherType};
