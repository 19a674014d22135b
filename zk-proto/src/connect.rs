//! The connection handshake: [`ConnectRequest`] and [`ConnectResponse`].
//!
//! They are the first frame in each direction and, unlike every later frame, carry no request or
//! reply header. Both end with a `readOnly` boolean that is **optional on the wire**: clients
//! older than ZooKeeper 3.4 neither send it nor understand it. A server remembers which form the
//! client used ([`ConnectRequest::old_client`]) and answers in the same form, since old C
//! clients reset the connection on the extra byte.
//!
//! ```text
//! ConnectRequest  (45 bytes, 44 from an old client)
//!   int protocolVersion   // 0
//!   long lastZxidSeen     // highest zxid the client has seen
//!   int timeOut           // requested session timeout, ms
//!   long sessionId        // 0 = new session
//!   buffer passwd         // 16 bytes when resuming
//!   [boolean readOnly]    // "I accept a read-only server"
//!
//! ConnectResponse (37 bytes, 36 for an old client)
//!   int protocolVersion   // 0
//!   int timeOut           // negotiated timeout, ms; 0 = session expired/invalid
//!   long sessionId
//!   buffer passwd         // 16-byte session password
//!   [boolean readOnly]    // the server is read-only
//! ```
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use zk_proto::{ConnectRequest, SessionId, Zxid};
//! let req = ConnectRequest {
//!     protocol_version: 0,
//!     last_zxid_seen: Zxid::ZERO,
//!     timeout_ms: 30_000,
//!     session_id: SessionId(0),
//!     passwd: Bytes::from_static(&[0; 16]),
//!     read_only: false,
//!     old_client: false,
//! };
//! let mut out = BytesMut::new();
//! req.write_frame(&mut out);
//! assert_eq!(out.len(), 4 + 45);
//! assert_eq!(ConnectRequest::decode(out.split_off(4).freeze()).unwrap(), req);
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::Result;
use crate::frame::write_frame;
use crate::id::{SessionId, Zxid};
use crate::jute::{Jute, Reader};

/// The client's first frame (`ConnectRequest`), without a request header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnectRequest {
    /// Always 0.
    pub protocol_version: i32,
    /// The highest zxid the client has seen; a server behind it must refuse the connection.
    pub last_zxid_seen: Zxid,
    /// The requested session timeout in milliseconds.
    pub timeout_ms: i32,
    /// The session to resume, or 0 for a new one.
    pub session_id: SessionId,
    /// The session password (16 bytes when resuming; any value for a new session).
    pub passwd: Bytes,
    /// The client accepts a read-only server. Always false when `old_client`.
    pub read_only: bool,
    /// The client sent no `readOnly` byte (44-byte form). Encoding omits the byte, and the
    /// server must omit it from its [`ConnectResponse`] too.
    pub old_client: bool,
}

impl ConnectRequest {
    /// Decodes the first frame's payload (after the length prefix).
    pub fn decode(frame: Bytes) -> Result<Self> {
        Self::read(&mut Reader::new(frame), "ConnectRequest")
    }

    /// Appends the whole frame, `[len][ConnectRequest]`.
    pub fn write_frame(&self, out: &mut BytesMut) {
        write_frame(out, |b| self.write(b));
    }
}

impl Jute for ConnectRequest {
    const MIN_BYTES: usize = 4 + 8 + 4 + 8 + 4;

    fn write<B: BufMut>(&self, out: &mut B) {
        self.protocol_version.write(out);
        self.last_zxid_seen.write(out);
        self.timeout_ms.write(out);
        self.session_id.write(out);
        self.passwd.write(out);
        if !self.old_client {
            self.read_only.write(out);
        }
    }

    /// Reads the five fixed fields, then `readOnly` if any byte is left: like ZooKeeper's
    /// `ProtocolManager`, the end of the frame marks an old client. The handshake is always a
    /// whole frame, so "bytes left" is well defined.
    fn read(r: &mut Reader, _field: &'static str) -> Result<Self> {
        let protocol_version = r.read_i32("ConnectRequest.protocol_version")?;
        let last_zxid_seen = Zxid::read(r, "ConnectRequest.last_zxid_seen")?;
        let timeout_ms = r.read_i32("ConnectRequest.timeout_ms")?;
        let session_id = SessionId::read(r, "ConnectRequest.session_id")?;
        let passwd = Bytes::read(r, "ConnectRequest.passwd")?;
        let old_client = r.is_empty();
        let read_only = !old_client && r.read_bool("ConnectRequest.read_only")?;
        Ok(ConnectRequest {
            protocol_version,
            last_zxid_seen,
            timeout_ms,
            session_id,
            passwd,
            read_only,
            old_client,
        })
    }
}

/// The server's first frame (`ConnectResponse`), without a reply header.
///
/// A `timeout_ms` of 0 (or less) tells the client its session is expired or invalid; the server
/// closes the connection after sending it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnectResponse {
    /// Always 0.
    pub protocol_version: i32,
    /// The negotiated session timeout in milliseconds; 0 if the session is invalid.
    pub timeout_ms: i32,
    /// The session id (0 if invalid).
    pub session_id: SessionId,
    /// The session password (16 zero bytes if invalid).
    pub passwd: Bytes,
    /// The server is in read-only mode. Always false when `old_client`.
    pub read_only: bool,
    /// The response omits the `readOnly` byte (36-byte form): sent to an old client, or
    /// received from an old server.
    pub old_client: bool,
}

impl ConnectResponse {
    /// True when the server refused to resume the session: the client must treat it as expired.
    pub fn is_expired(&self) -> bool {
        self.timeout_ms <= 0
    }

    /// Decodes the first reply's payload (after the length prefix).
    pub fn decode(frame: Bytes) -> Result<Self> {
        Self::read(&mut Reader::new(frame), "ConnectResponse")
    }

    /// Appends the whole frame, `[len][ConnectResponse]`.
    pub fn write_frame(&self, out: &mut BytesMut) {
        write_frame(out, |b| self.write(b));
    }
}

impl Jute for ConnectResponse {
    const MIN_BYTES: usize = 4 + 4 + 8 + 4;

    fn write<B: BufMut>(&self, out: &mut B) {
        self.protocol_version.write(out);
        self.timeout_ms.write(out);
        self.session_id.write(out);
        self.passwd.write(out);
        if !self.old_client {
            self.read_only.write(out);
        }
    }

    /// Reads the four fixed fields, then `readOnly` if any byte is left (as the Java client
    /// does: a missing byte means an old server).
    fn read(r: &mut Reader, _field: &'static str) -> Result<Self> {
        let protocol_version = r.read_i32("ConnectResponse.protocol_version")?;
        let timeout_ms = r.read_i32("ConnectResponse.timeout_ms")?;
        let session_id = SessionId::read(r, "ConnectResponse.session_id")?;
        let passwd = Bytes::read(r, "ConnectResponse.passwd")?;
        let old_client = r.is_empty();
        let read_only = !old_client && r.read_bool("ConnectResponse.read_only")?;
        Ok(ConnectResponse {
            protocol_version,
            timeout_ms,
            session_id,
            passwd,
            read_only,
            old_client,
        })
    }
}

#[cfg(any(test, feature = "arbitrary"))]
mod arbitrary {
    use bytes::Bytes;
    use quickcheck::{Arbitrary, Gen};

    use super::{ConnectRequest, ConnectResponse};
    use crate::jute::arbitrary::ArbitraryJute;
    use crate::{SessionId, Zxid};

    impl Arbitrary for ConnectRequest {
        /// Only encodable values: an old client's `read_only` is false.
        fn arbitrary(g: &mut Gen) -> Self {
            let old_client = bool::arbitrary(g);
            ConnectRequest {
                protocol_version: i32::arbitrary(g),
                last_zxid_seen: Zxid::arbitrary_jute(g),
                timeout_ms: i32::arbitrary(g),
                session_id: SessionId::arbitrary_jute(g),
                passwd: Bytes::arbitrary_jute(g),
                read_only: !old_client && bool::arbitrary(g),
                old_client,
            }
        }
    }

    impl Arbitrary for ConnectResponse {
        /// Only encodable values: `read_only` is false when the byte is omitted.
        fn arbitrary(g: &mut Gen) -> Self {
            let old_client = bool::arbitrary(g);
            ConnectResponse {
                protocol_version: i32::arbitrary(g),
                timeout_ms: i32::arbitrary(g),
                session_id: SessionId::arbitrary_jute(g),
                passwd: Bytes::arbitrary_jute(g),
                read_only: !old_client && bool::arbitrary(g),
                old_client,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn request(old_client: bool) -> ConnectRequest {
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: Zxid(0x1_0000_0005),
            timeout_ms: 30_000,
            session_id: SessionId(0x0100_0008_ec08_0000),
            passwd: Bytes::from_static(&[7; 16]),
            read_only: !old_client,
            old_client,
        }
    }

    quickcheck::quickcheck! {
        fn connect_request_round_trips(req: ConnectRequest) -> bool {
            ConnectRequest::from_bytes(req.to_vec()) == Ok(req)
        }
        fn connect_response_round_trips(resp: ConnectResponse) -> bool {
            ConnectResponse::from_bytes(resp.to_vec()) == Ok(resp)
        }
    }

    #[test]
    fn read_only_byte_is_optional_in_request() {
        assert_eq!(request(false).to_vec().len(), 45);
        assert_eq!(request(true).to_vec().len(), 44);
        let old = ConnectRequest::from_bytes(request(true).to_vec()).unwrap();
        assert!(old.old_client && !old.read_only);
        let new = ConnectRequest::from_bytes(request(false).to_vec()).unwrap();
        assert!(!new.old_client && new.read_only);
    }

    #[test]
    fn old_client_response_omits_read_only() {
        let resp = ConnectResponse {
            protocol_version: 0,
            timeout_ms: 0,
            session_id: SessionId(0),
            passwd: Bytes::from_static(&[0; 16]),
            read_only: false,
            old_client: true,
        };
        assert_eq!(resp.to_vec().len(), 36);
        assert!(resp.is_expired());
        let with_byte = ConnectResponse {
            old_client: false,
            ..resp.clone()
        };
        assert_eq!(with_byte.to_vec().len(), 37);
    }

    #[test]
    fn truncated_handshake_is_an_error_at_every_length() {
        let bytes = request(false).to_vec();
        // 44 bytes is the complete old form; every shorter prefix is truncated.
        for len in 0..44 {
            let err = ConnectRequest::from_bytes(bytes[..len].to_vec()).unwrap_err();
            assert!(
                matches!(err, Error::Truncated { .. } | Error::InvalidLength { .. }),
                "len {len}: {err}"
            );
        }
    }
}
