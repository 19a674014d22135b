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
pub mod stat;

pub use acl::{Acl, Id, Perms};
pub use error::{Error, Result};
pub use error_code::ErrorCode;
pub use header::{ReplyHeader, RequestHeader};
pub use id::{Epoch, SessionId, Xid, Zxid};
pub use jute::Jute;
pub use op_code::OpCode;
pub use stat::{Stat, StatPersisted};
