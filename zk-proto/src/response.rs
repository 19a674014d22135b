//! [`Response`]: the body of a server reply, and whole reply frames.
//!
//! ```text
//! [len] ReplyHeader{int xid; long zxid; int err} [response record, only when err == 0]
//! ```
//!
//! A reply does not say which op it answers: the client knows it from the xid (replies come back
//! in request order; -2 answers a ping, -4 auth, -8 setWatches), so decoding takes the
//! [`OpCode`]. A reply with xid -1 is not a reply but a watch notification; decode it with
//! [`WatcherEvent::decode_frame`](crate::WatcherEvent::decode_frame).
//!
//! Bodies follow two rules:
//!
//! - a reply whose `err` is not OK has **no body**, whatever the op. That includes `exists` on a
//!   missing node (NONODE), which clients treat as a normal "no such node" answer, and a failed
//!   multi's reply is *not* an error reply: its header says OK and the failure is in the
//!   results;
//! - ops without a response record (delete, ping, auth, setWatches, checkWatches, ...) have no
//!   body even when OK, except addWatch, whose OK reply carries a 4-byte `ErrorResponse{0}`.
//!
//! ```
//! use bytes::BytesMut;
//! use zk_proto::{ErrorCode, OpCode, ReplyHeader, Response, Xid, Zxid};
//! let header = ReplyHeader { xid: Xid(3), zxid: Zxid(9), err: ErrorCode::NoNode };
//! let mut out = BytesMut::new();
//! Response::Empty.write_frame(&header, &mut out);
//! assert_eq!(out.len(), 4 + 16);
//! let (h, body) = Response::decode_frame(OpCode::Exists, out.split_off(4).freeze()).unwrap();
//! assert_eq!((h, body), (header, Response::Empty));
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};
use crate::frame::write_frame;
use crate::jute::{Jute, Reader};
use crate::multi::MultiResponse;
use crate::records::{
    Create2Response, CreateResponse, ErrorResponse, ExistsResponse, GetAclResponse,
    GetAllChildrenNumberResponse, GetChildren2Response, GetChildrenResponse, GetDataResponse,
    GetEphemeralsResponse, SetAclResponse, SetDataResponse, SetSaslResponse, SyncResponse,
    WhoAmIResponse,
};
use crate::{OpCode, ReplyHeader};

/// The body of a reply, by the shape of its record.
///
/// Several ops share a shape: `Create2` answers create2, createContainer and createTTL; `Multi`
/// answers multi and multiRead; `Empty` is every reply without a body (error replies, and ops
/// such as delete, ping, auth, setWatches, checkWatches, removeWatches, closeSession).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Response {
    /// No body.
    Empty,
    /// `create` (1).
    Create(CreateResponse),
    /// `create2` (15), `createContainer` (19), `createTTL` (21).
    Create2(Create2Response),
    /// `exists` (3) on an existing node.
    Exists(ExistsResponse),
    /// `getData` (4).
    GetData(GetDataResponse),
    /// `setData` (5).
    SetData(SetDataResponse),
    /// `getACL` (6).
    GetAcl(GetAclResponse),
    /// `setACL` (7).
    SetAcl(SetAclResponse),
    /// `getChildren` (8).
    GetChildren(GetChildrenResponse),
    /// `getChildren2` (12).
    GetChildren2(GetChildren2Response),
    /// `sync` (9).
    Sync(SyncResponse),
    /// `multi` (14) and `multiRead` (22).
    Multi(MultiResponse),
    /// `reconfig` (16): the new config and the Stat of `/zookeeper/config`.
    Reconfig(GetDataResponse),
    /// `sasl` (102).
    Sasl(SetSaslResponse),
    /// `getEphemerals` (103).
    GetEphemerals(GetEphemeralsResponse),
    /// `getAllChildrenNumber` (104).
    GetAllChildrenNumber(GetAllChildrenNumberResponse),
    /// `addWatch` (106): `ErrorResponse{0}`.
    AddWatch(ErrorResponse),
    /// `whoAmI` (107).
    WhoAmI(WhoAmIResponse),
}

impl Response {
    /// Decodes the body of a successful (err = 0) reply to `op`. Ops without a response record
    /// give [`Response::Empty`] and read nothing. Op codes no client sends (0, 13, -1, -10)
    /// are [`Error::UnknownOpCode`].
    pub fn decode(op: OpCode, body: &mut Reader) -> Result<Response> {
        Ok(match op {
            OpCode::Create => Response::Create(CreateResponse::read(body, "")?),
            OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => {
                Response::Create2(Create2Response::read(body, "")?)
            }
            OpCode::Exists => Response::Exists(ExistsResponse::read(body, "")?),
            OpCode::GetData => Response::GetData(GetDataResponse::read(body, "")?),
            OpCode::SetData => Response::SetData(SetDataResponse::read(body, "")?),
            OpCode::GetAcl => Response::GetAcl(GetAclResponse::read(body, "")?),
            OpCode::SetAcl => Response::SetAcl(SetAclResponse::read(body, "")?),
            OpCode::GetChildren => Response::GetChildren(GetChildrenResponse::read(body, "")?),
            OpCode::GetChildren2 => Response::GetChildren2(GetChildren2Response::read(body, "")?),
            OpCode::Sync => Response::Sync(SyncResponse::read(body, "")?),
            OpCode::Multi | OpCode::MultiRead => {
                Response::Multi(MultiResponse::read(body, "MultiResponse")?)
            }
            OpCode::Reconfig => Response::Reconfig(GetDataResponse::read(body, "")?),
            OpCode::Sasl => Response::Sasl(SetSaslResponse::read(body, "")?),
            OpCode::GetEphemerals => {
                Response::GetEphemerals(GetEphemeralsResponse::read(body, "")?)
            }
            OpCode::GetAllChildrenNumber => {
                Response::GetAllChildrenNumber(GetAllChildrenNumberResponse::read(body, "")?)
            }
            OpCode::AddWatch => Response::AddWatch(ErrorResponse::read(body, "")?),
            OpCode::WhoAmI => Response::WhoAmI(WhoAmIResponse::read(body, "")?),
            OpCode::Delete
            | OpCode::DeleteContainer
            | OpCode::Ping
            | OpCode::CheckWatches
            | OpCode::RemoveWatches
            | OpCode::Auth
            | OpCode::SetWatches
            | OpCode::SetWatches2
            | OpCode::CloseSession => Response::Empty,
            OpCode::Notification | OpCode::Check | OpCode::Error | OpCode::CreateSession => {
                return Err(Error::UnknownOpCode(op.code()))
            }
        })
    }

    /// Appends the body (nothing for [`Response::Empty`]).
    pub fn write<B: BufMut>(&self, out: &mut B) {
        match self {
            Response::Empty => {}
            Response::Create(r) => r.write(out),
            Response::Create2(r) => r.write(out),
            Response::Exists(r) => r.write(out),
            Response::GetData(r) | Response::Reconfig(r) => r.write(out),
            Response::SetData(r) => r.write(out),
            Response::GetAcl(r) => r.write(out),
            Response::SetAcl(r) => r.write(out),
            Response::GetChildren(r) => r.write(out),
            Response::GetChildren2(r) => r.write(out),
            Response::Sync(r) => r.write(out),
            Response::Multi(r) => r.write(out),
            Response::Sasl(r) => r.write(out),
            Response::GetEphemerals(r) => r.write(out),
            Response::GetAllChildrenNumber(r) => r.write(out),
            Response::AddWatch(r) => r.write(out),
            Response::WhoAmI(r) => r.write(out),
        }
    }

    /// Appends a whole reply frame, `[len][header][body]`.
    ///
    /// Panics if `header.err` is not OK and the body is not [`Response::Empty`]: error replies
    /// carry no body, and writing one would desynchronize every client.
    pub fn write_frame(&self, header: &ReplyHeader, out: &mut BytesMut) {
        assert!(
            header.err.is_ok() || *self == Response::Empty,
            "an error reply ({}) has no body",
            header.err
        );
        write_frame(out, |b| {
            header.write(b);
            self.write(b);
        });
    }

    /// Decodes a reply frame's payload (after the length prefix) to a request of type `op`:
    /// the header, then the body only if `err` is OK ([`Response::Empty`] otherwise).
    pub fn decode_frame(op: OpCode, frame: Bytes) -> Result<(ReplyHeader, Response)> {
        let mut r = Reader::new(frame);
        let header = ReplyHeader::read(&mut r, "ReplyHeader")?;
        let body = if header.err.is_ok() {
            Response::decode(op, &mut r)?
        } else {
            Response::Empty
        };
        Ok((header, body))
    }
}

#[cfg(any(test, feature = "arbitrary"))]
impl Response {
    /// A random body of the shape that answers `op` (test generator); `op` must be a client
    /// request op.
    pub fn arbitrary_for(op: OpCode, g: &mut quickcheck::Gen) -> Response {
        use quickcheck::Arbitrary as A;
        match op {
            OpCode::Create => Response::Create(A::arbitrary(g)),
            OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => {
                Response::Create2(A::arbitrary(g))
            }
            OpCode::Exists => Response::Exists(A::arbitrary(g)),
            OpCode::GetData => Response::GetData(A::arbitrary(g)),
            OpCode::SetData => Response::SetData(A::arbitrary(g)),
            OpCode::GetAcl => Response::GetAcl(A::arbitrary(g)),
            OpCode::SetAcl => Response::SetAcl(A::arbitrary(g)),
            OpCode::GetChildren => Response::GetChildren(A::arbitrary(g)),
            OpCode::GetChildren2 => Response::GetChildren2(A::arbitrary(g)),
            OpCode::Sync => Response::Sync(A::arbitrary(g)),
            OpCode::Multi | OpCode::MultiRead => Response::Multi(A::arbitrary(g)),
            OpCode::Reconfig => Response::Reconfig(A::arbitrary(g)),
            OpCode::Sasl => Response::Sasl(A::arbitrary(g)),
            OpCode::GetEphemerals => Response::GetEphemerals(A::arbitrary(g)),
            OpCode::GetAllChildrenNumber => Response::GetAllChildrenNumber(A::arbitrary(g)),
            OpCode::AddWatch => Response::AddWatch(A::arbitrary(g)),
            OpCode::WhoAmI => Response::WhoAmI(A::arbitrary(g)),
            _ => Response::Empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use quickcheck::{Arbitrary, Gen};

    use super::*;
    use crate::{ErrorCode, Xid, Zxid};

    /// A client request op and a reply body that answers it.
    #[derive(Debug, Clone)]
    struct OpAndResponse(OpCode, Response);

    impl Arbitrary for OpAndResponse {
        fn arbitrary(g: &mut Gen) -> Self {
            let op = *g
                .choose(OpCode::ALL)
                .filter(|op| {
                    !matches!(
                        op,
                        OpCode::Notification
                            | OpCode::Check
                            | OpCode::Error
                            | OpCode::CreateSession
                    )
                })
                .unwrap_or(&OpCode::Ping);
            OpAndResponse(op, Response::arbitrary_for(op, g))
        }
    }

    quickcheck::quickcheck! {
        fn reply_frames_round_trip(pair: OpAndResponse, xid: i32, zxid: i64) -> bool {
            let OpAndResponse(op, body) = pair;
            let header = ReplyHeader { xid: Xid(xid), zxid: Zxid(zxid), err: ErrorCode::Ok };
            let mut out = BytesMut::new();
            body.write_frame(&header, &mut out);
            Response::decode_frame(op, out.split_off(4).freeze()) == Ok((header, body))
        }
    }

    #[test]
    fn error_reply_skips_the_body() {
        let header = ReplyHeader {
            xid: Xid(5),
            zxid: Zxid(6),
            err: ErrorCode::NodeExists,
        };
        let mut out = BytesMut::new();
        header.write(&mut out);
        // Garbage after an error header is not a body and must not be parsed.
        out.put_slice(&[0xff, 0xff]);
        assert_eq!(
            Response::decode_frame(OpCode::Create, out.freeze()),
            Ok((header, Response::Empty))
        );
    }

    #[test]
    #[should_panic(expected = "has no body")]
    fn writing_a_body_on_an_error_reply_panics() {
        let header = ReplyHeader {
            xid: Xid(5),
            zxid: Zxid(6),
            err: ErrorCode::NoNode,
        };
        let body = Response::AddWatch(ErrorResponse { err: ErrorCode::Ok });
        body.write_frame(&header, &mut BytesMut::new());
    }

    #[test]
    fn add_watch_reply_has_a_four_byte_body() {
        let header = ReplyHeader {
            xid: Xid(1),
            zxid: Zxid(1),
            err: ErrorCode::Ok,
        };
        let mut out = BytesMut::new();
        Response::AddWatch(ErrorResponse { err: ErrorCode::Ok }).write_frame(&header, &mut out);
        assert_eq!(out.len(), 4 + 16 + 4);
    }
}
