//! Leader-election messages on the election port: the connection's [`InitialMessage`] and the
//! [`Notification`]s of Fast Leader Election.

use bytes::{BufMut, Bytes};

use crate::error::{Error, Result};
use crate::id::Zxid;
use crate::jute::{Jute, Reader};

jute_enum! {
    /// A server's role as election messages state it (`QuorumPeer.ServerState`).
    pub enum ServerState {
        /// Looking for a leader: an election is running.
        Looking = 0,
        /// Following the leader named in the message.
        Following = 1,
        /// Leading.
        Leading = 2,
        /// Observing (a non-voting learner).
        Observing = 3,
    }
}

/// The first bytes a server sends on an election connection it opened
/// (`QuorumCnxManager.InitialMessage`); not length-framed.
///
/// ```text
/// long protocolVersion  // -65536 (V1) or -65535 (V2); a value >= 0 is a pre-3.5 peer's sid,
///                       // and then nothing follows
/// long sid
/// int  addrLen          // 1..=2048
/// addrLen bytes         // "host:port"; V2 may send several joined by '|'
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InitialMessage {
    /// [`InitialMessage::PROTOCOL_VERSION_V1`] or [`InitialMessage::PROTOCOL_VERSION_V2`];
    /// `None` for the pre-3.5 form that is only the sid.
    pub protocol_version: Option<i64>,
    /// The connecting server's id (`Long.MAX_VALUE` for an observer without one).
    pub sid: i64,
    /// The connecting server's election address(es); empty in the pre-3.5 form.
    pub election_addr: String,
}

impl InitialMessage {
    /// The protocol version of 3.5 and later servers without multi-address support.
    pub const PROTOCOL_VERSION_V1: i64 = -65536;
    /// The protocol version that allows several '|'-separated addresses.
    pub const PROTOCOL_VERSION_V2: i64 = -65535;
    /// The longest address string Apache accepts (`QuorumCnxManager.maxBuffer`).
    pub const ADDR_BYTES_MAX: usize = 2048;

    /// Decodes the message at the start of `buf`: `Ok(Some((message, bytes used)))`, or
    /// `Ok(None)` while it is incomplete. Bad input (an unknown protocol version, an address
    /// length outside 1..=2048, an address that is not UTF-8) is an error, as in Apache.
    pub fn decode(buf: &[u8]) -> Result<Option<(InitialMessage, usize)>> {
        let long = |at: usize| -> Option<i64> {
            Some(i64::from_be_bytes(buf.get(at..at + 8)?.try_into().ok()?))
        };
        let Some(version) = long(0) else {
            return Ok(None);
        };
        if version >= 0 {
            let message = InitialMessage {
                protocol_version: None,
                sid: version,
                election_addr: String::new(),
            };
            return Ok(Some((message, 8)));
        }
        if version != Self::PROTOCOL_VERSION_V1 && version != Self::PROTOCOL_VERSION_V2 {
            return Err(Error::InvalidValue {
                field: "InitialMessage.protocolVersion",
                offset: 0,
                value: version,
            });
        }
        let (Some(sid), Some(len)) = (long(8), buf.get(16..20)) else {
            return Ok(None);
        };
        let len = i32::from_be_bytes(len.try_into().expect("4 bytes"));
        let len = usize::try_from(len)
            .ok()
            .filter(|len| (1..=Self::ADDR_BYTES_MAX).contains(len))
            .ok_or(Error::InvalidLength {
                field: "InitialMessage.addr",
                offset: 16,
                len: i64::from(len),
            })?;
        let Some(addr) = buf.get(20..20 + len) else {
            return Ok(None);
        };
        let election_addr = std::str::from_utf8(addr)
            .map_err(|_| Error::InvalidUtf8 {
                field: "InitialMessage.addr",
                offset: 20,
            })?
            .to_owned();
        let message = InitialMessage {
            protocol_version: Some(version),
            sid,
            election_addr,
        };
        Ok(Some((message, 20 + len)))
    }

    /// Appends the message's bytes to `out`.
    pub fn write<B: BufMut>(&self, out: &mut B) {
        match self.protocol_version {
            None => out.put_i64(self.sid),
            Some(version) => {
                out.put_i64(version);
                out.put_i64(self.sid);
                let len = i32::try_from(self.election_addr.len()).expect("address too long");
                out.put_i32(len);
                out.put_slice(self.election_addr.as_bytes());
            }
        }
    }

    /// The message's bytes as a fresh vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// The election addresses, split at '|'.
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.election_addr.split('|').filter(|a| !a.is_empty())
    }
}

#[cfg(any(test, feature = "arbitrary"))]
impl quickcheck::Arbitrary for InitialMessage {
    fn arbitrary(g: &mut quickcheck::Gen) -> Self {
        if bool::arbitrary(g) {
            return InitialMessage {
                protocol_version: None,
                sid: i64::arbitrary(g).checked_abs().unwrap_or(0),
                election_addr: String::new(),
            };
        }
        let mut addr: String = String::arbitrary(g);
        addr.truncate(Self::ADDR_BYTES_MAX - 4);
        InitialMessage {
            protocol_version: Some(
                *g.choose(&[Self::PROTOCOL_VERSION_V1, Self::PROTOCOL_VERSION_V2])
                    .expect("two versions"),
            ),
            sid: i64::arbitrary(g),
            election_addr: format!("{addr}:1"),
        }
    }
}

/// A Fast Leader Election vote (the payload of one election-port frame).
///
/// ```text
/// int  state          // ServerState of the sender
/// long leader         // the sid it votes for
/// long zxid           // that candidate's last zxid
/// long electionEpoch  // the sender's logical clock
/// long peerEpoch      // the candidate's epoch                      (absent in the 28-byte form)
/// int  version        // 2 since 3.5                        (ignored in the 40-byte form)
/// int  configLength   // then the sender's dynamic config as text  (only when version > 1)
/// ```
///
/// Decoding follows `FastLeaderElection.WorkerReceiver`: a 28-byte message has no peerEpoch
/// (it is the zxid's epoch), a 40-byte one has peerEpoch and four ignored bytes (version 0),
/// anything else has a version and, when the version is above 1, the config. Encoding always
/// writes the current 44 + n byte form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Notification {
    /// The sender's state.
    pub state: ServerState,
    /// The proposed leader's sid.
    pub leader: i64,
    /// The proposed leader's last zxid.
    pub zxid: Zxid,
    /// The sender's election round (logical clock).
    pub election_epoch: i64,
    /// The proposed leader's epoch.
    pub peer_epoch: i64,
    /// The message version: 0 for the old forms, [`Notification::CURRENT_VERSION`] now.
    pub version: i32,
    /// The sender's dynamic configuration (`server.N=...` lines and `version=...`); empty
    /// when the version is 1 or less.
    pub config: Bytes,
}

impl Notification {
    /// The version 3.5 to 3.9 send (`Notification.CURRENTVERSION`).
    pub const CURRENT_VERSION: i32 = 2;
    /// The shortest message accepted (the pre-3.4 form).
    pub const MIN_BYTES: usize = 28;
    /// The largest election-port frame Apache accepts (`QuorumCnxManager.PACKETMAXSIZE`).
    pub const PACKET_MAX_BYTES: usize = 512 * 1024;

    /// Decodes one notification from a whole frame payload.
    pub fn decode(payload: impl Into<Bytes>) -> Result<Notification> {
        let mut r = Reader::new(payload);
        let len = r.remaining();
        if len < Self::MIN_BYTES {
            return Err(Error::Truncated {
                field: "Notification",
                offset: 0,
                needed: Self::MIN_BYTES,
                available: len,
            });
        }
        let state = ServerState::read(&mut r, "Notification.state")?;
        let leader = r.read_i64("Notification.leader")?;
        let zxid = Zxid(r.read_i64("Notification.zxid")?);
        let election_epoch = r.read_i64("Notification.electionEpoch")?;
        let mut notification = Notification {
            state,
            leader,
            zxid,
            election_epoch,
            peer_epoch: i64::from(zxid.epoch().0),
            version: 0,
            config: Bytes::new(),
        };
        if len == Self::MIN_BYTES {
            return Ok(notification);
        }
        notification.peer_epoch = r.read_i64("Notification.peerEpoch")?;
        if len == 40 {
            return Ok(notification);
        }
        notification.version = r.read_i32("Notification.version")?;
        if notification.version > 1 {
            notification.config = r.read_buffer("Notification.config")?.unwrap_or_default();
        }
        Ok(notification)
    }

    /// Appends the 44 + n byte form to `out` (a frame payload, without the frame's length).
    pub fn write<B: BufMut>(&self, out: &mut B) {
        out.put_i32(self.state.code());
        out.put_i64(self.leader);
        out.put_i64(self.zxid.0);
        out.put_i64(self.election_epoch);
        out.put_i64(self.peer_epoch);
        out.put_i32(self.version);
        crate::jute::write_buffer(out, Some(&self.config));
    }

    /// The 44 + n byte form as a fresh vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }
}

#[cfg(any(test, feature = "arbitrary"))]
impl quickcheck::Arbitrary for Notification {
    /// Current-form notifications (version >= 2 carries the config; below, none).
    fn arbitrary(g: &mut quickcheck::Gen) -> Self {
        let version = i32::arbitrary(g);
        Notification {
            state: ServerState::arbitrary(g),
            leader: i64::arbitrary(g),
            zxid: Zxid(i64::arbitrary(g)),
            election_epoch: i64::arbitrary(g),
            peer_epoch: i64::arbitrary(g),
            version,
            config: if version > 1 {
                Bytes::from(Vec::<u8>::arbitrary(g))
            } else {
                Bytes::new()
            },
        }
    }
}
