//! [`RequestHeader`] and [`ReplyHeader`]: the first bytes of every frame after the handshake.

use bytes::BufMut;

use crate::error::{Error, Result};
use crate::id::{Xid, Zxid};
use crate::jute::{Jute, Reader};
use crate::{ErrorCode, OpCode};

/// The header of every client request after the handshake (8 bytes).
///
/// ```text
/// int xid   // client request id; negative values are special (see Xid)
/// int type  // OpCode
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestHeader {
    /// The client's request id, echoed in the reply.
    pub xid: Xid,
    /// The operation.
    pub op: OpCode,
}

impl RequestHeader {
    /// The xid of a request frame, readable even when the opcode is unknown, so that the
    /// server can answer `UNIMPLEMENTED` to the right request before closing.
    pub fn peek_xid(frame: &[u8]) -> Option<Xid> {
        let bytes: [u8; 4] = frame.get(..4)?.try_into().ok()?;
        Some(Xid(i32::from_be_bytes(bytes)))
    }
}

impl Jute for RequestHeader {
    const MIN_BYTES: usize = 8;
    fn write<B: BufMut>(&self, out: &mut B) {
        self.xid.write(out);
        self.op.write(out);
    }
    /// Fails with [`Error::UnknownOpCode`] for a type outside [`OpCode`].
    fn read(r: &mut Reader, _field: &'static str) -> Result<Self> {
        let xid = Xid::read(r, "RequestHeader.xid")?;
        let code = r.read_i32("RequestHeader.type")?;
        let op = OpCode::from_code(code).ok_or(Error::UnknownOpCode(code))?;
        Ok(RequestHeader { xid, op })
    }
}

#[cfg(any(test, feature = "arbitrary"))]
impl quickcheck::Arbitrary for RequestHeader {
    fn arbitrary(g: &mut quickcheck::Gen) -> Self {
        use crate::jute::arbitrary::ArbitraryJute;
        RequestHeader {
            xid: Xid::arbitrary_jute(g),
            op: OpCode::arbitrary(g),
        }
    }
}

record! {
    /// The header of every server reply after the handshake (16 bytes).
    ///
    /// ```text
    /// int xid    // the request's xid; -1 notification, -2 ping, -4 auth, -8 setWatches
    /// long zxid  // the server's last processed zxid (a write's own zxid for its reply)
    /// int err    // ErrorCode; when nonzero no body follows
    /// ```
    #[derive(Hash)]
    pub struct ReplyHeader {
        /// The request's xid.
        pub xid: Xid,
        /// The server's last processed zxid when the reply was produced.
        pub zxid: Zxid,
        /// The result code; when not `Ok`, the reply has no body.
        pub err: ErrorCode,
    }
}
