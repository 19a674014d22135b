//! [`QuorumPacket`]: the one message type of ZAB on the quorum port, and
//! [`QuorumPacketDecoder`], which cuts packets out of the unframed stream.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::acl::Id;
use crate::error::{Error, Result};
use crate::frame::DEFAULT_MAX_FRAME_BYTES;
use crate::id::Zxid;
use crate::jute::{write_buffer, Jute, Reader};

jute_enum! {
    /// The `type` of a [`QuorumPacket`] (constants of Apache's `Leader` class), identical in
    /// 3.8 and 3.9.
    pub enum QuorumPacketType {
        /// Learner → leader: a client write forwarded to the leader (data = the request).
        Request = 1,
        /// Leader → followers: a txn to log (data = a [`TxnLogEntry`](crate::txn::TxnLogEntry)).
        Proposal = 2,
        /// Follower → leader: the proposal `zxid` is logged (also acknowledges NEWLEADER).
        Ack = 3,
        /// Leader → followers: apply everything up to `zxid`.
        Commit = 4,
        /// Heartbeat both ways; from a learner its data lists the sessions it touched.
        Ping = 5,
        /// Learner → leader and back: check that a reconnecting session is still valid.
        Revalidate = 6,
        /// Leader → learner: the answer to a forwarded `sync`.
        Sync = 7,
        /// Leader → observers: a committed txn with its data.
        Inform = 8,
        /// Leader → followers: commit a reconfig and activate the new configuration.
        CommitAndActivate = 9,
        /// Leader → learner: the end of synchronization; data = the leader's configuration.
        NewLeader = 10,
        /// Follower → leader: the first packet (data = [`LearnerInfo`](super::LearnerInfo),
        /// zxid = the follower's accepted epoch as a zxid).
        FollowerInfo = 11,
        /// Leader → learner: synchronized, start serving.
        UpToDate = 12,
        /// Leader → learner: synchronization by the txns that follow.
        Diff = 13,
        /// Leader → learner: truncate the log after `zxid` (then txns may follow).
        Trunc = 14,
        /// Leader → learner: a full snapshot follows on the stream.
        Snap = 15,
        /// Observer → leader: the first packet, like FOLLOWERINFO.
        ObserverInfo = 16,
        /// Leader → learner: the new epoch (zxid = epoch << 32), data = the protocol version.
        LeaderInfo = 17,
        /// Learner → leader: data = the learner's current epoch (4 bytes, -1 if none),
        /// zxid = its last logged zxid.
        AckEpoch = 18,
        /// Leader → observers: a committed reconfig txn, to activate.
        InformAndActivate = 19,
    }
}

/// One ZAB message (jute record `QuorumPacket`).
///
/// ```text
/// int type; long zxid; buffer data; vector<Id> authinfo
/// ```
///
/// `authinfo` keeps the difference between a null vector (`None`, count -1: what Apache sends in
/// every packet but REQUEST) and an empty one, so packets re-encode byte for byte. A REQUEST must
/// carry `Some` (Apache's leader dereferences it when checking ACLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumPacket {
    /// What the packet means.
    pub packet_type: QuorumPacketType,
    /// The zxid the packet is about (its meaning depends on the type).
    pub zxid: Zxid,
    /// The payload; null (`None`) in ACK, COMMIT, UPTODATE and others.
    pub data: Option<Bytes>,
    /// The client's authenticated ids, in REQUEST packets.
    pub authinfo: Option<Vec<Id>>,
}

impl QuorumPacket {
    /// A packet with no data and no authinfo.
    pub fn new(packet_type: QuorumPacketType, zxid: Zxid) -> Self {
        QuorumPacket {
            packet_type,
            zxid,
            data: None,
            authinfo: None,
        }
    }

    /// The packet with `data` as its payload.
    pub fn with_data(mut self, data: impl Into<Bytes>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// The packet with `authinfo`.
    pub fn with_authinfo(mut self, authinfo: Vec<Id>) -> Self {
        self.authinfo = Some(authinfo);
        self
    }
}

impl Jute for QuorumPacket {
    const MIN_BYTES: usize = 20;

    fn write<B: BufMut>(&self, out: &mut B) {
        self.packet_type.write(out);
        self.zxid.write(out);
        write_buffer(out, self.data.as_deref());
        match &self.authinfo {
            None => out.put_i32(-1),
            Some(ids) => ids.write(out),
        }
    }

    fn read(r: &mut Reader, _field: &'static str) -> Result<Self> {
        let packet_type = QuorumPacketType::read(r, "QuorumPacket.type")?;
        let zxid = Zxid::read(r, "QuorumPacket.zxid")?;
        let data = r.read_buffer("QuorumPacket.data")?;
        let authinfo = match r.read_count("QuorumPacket.authinfo", Id::MIN_BYTES)? {
            None => None,
            Some(count) => {
                // `count` is bounded by the remaining input (read_count checked it).
                let mut ids = Vec::with_capacity(count);
                for _ in 0..count {
                    ids.push(Id::read(r, "QuorumPacket.authinfo")?);
                }
                Some(ids)
            }
        };
        Ok(QuorumPacket {
            packet_type,
            zxid,
            data,
            authinfo,
        })
    }
}

#[cfg(any(test, feature = "arbitrary"))]
impl quickcheck::Arbitrary for QuorumPacket {
    fn arbitrary(g: &mut quickcheck::Gen) -> Self {
        use crate::jute::arbitrary::ArbitraryJute;
        QuorumPacket {
            packet_type: QuorumPacketType::arbitrary(g),
            zxid: Zxid::arbitrary_jute(g),
            data: Option::<Bytes>::arbitrary_jute(g),
            authinfo: bool::arbitrary(g).then(|| Vec::<Id>::arbitrary_jute(g)),
        }
    }
}

/// Cuts [`QuorumPacket`]s out of the quorum-port byte stream, incrementally.
///
/// Quorum packets have no length prefix, so the decoder walks the length fields of a packet to
/// find where it ends, checking each against the limit before waiting for (or reserving room
/// for) that many bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuorumPacketDecoder {
    max_packet_bytes: usize,
}

impl Default for QuorumPacketDecoder {
    /// Apache's limit on a buffer read by a quorum peer: `jute.maxbuffer` plus
    /// `zookeeper.jute.maxbuffer.extrasize` (both 0xfffff by default), which a proposal
    /// carrying a maximal request stays within.
    fn default() -> Self {
        QuorumPacketDecoder::new(2 * DEFAULT_MAX_FRAME_BYTES)
    }
}

/// Where the walk over a packet's length fields stands.
enum Scan {
    /// The packet is `len` bytes long and fully buffered.
    Complete(usize),
    /// More bytes are needed; `hint` is the total known to be needed so far.
    Incomplete(usize),
}

impl QuorumPacketDecoder {
    /// A decoder that rejects packets longer than `max_packet_bytes`.
    pub fn new(max_packet_bytes: usize) -> Self {
        QuorumPacketDecoder { max_packet_bytes }
    }

    /// The largest accepted packet.
    pub fn max_packet_bytes(&self) -> usize {
        self.max_packet_bytes
    }

    /// Removes one whole packet from the front of `buf`; `Ok(None)` until it is all buffered.
    /// An error (bad type, bad length, oversized packet, bad UTF-8) leaves `buf` untouched: the
    /// connection should be closed.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<QuorumPacket>> {
        match self.scan(buf)? {
            Scan::Incomplete(needed) => {
                buf.reserve(needed.saturating_sub(buf.len()));
                Ok(None)
            }
            Scan::Complete(len) => {
                let packet = QuorumPacket::from_bytes(Bytes::copy_from_slice(&buf[..len]))?;
                buf.advance(len);
                Ok(Some(packet))
            }
        }
    }

    /// Walks the length fields of the packet at the start of `buf`.
    fn scan(&self, buf: &[u8]) -> Result<Scan> {
        let Some(code) = buf.get(..4) else {
            return Ok(Scan::Incomplete(4));
        };
        let code = i32::from_be_bytes(code.try_into().expect("4 bytes"));
        if QuorumPacketType::from_code(code).is_none() {
            return Err(Error::InvalidValue {
                field: "QuorumPacket.type",
                offset: 0,
                value: i64::from(code),
            });
        }
        let mut walk = Walk {
            buf,
            at: 12, // type, zxid
            max: self.max_packet_bytes,
        };
        // data, then the authinfo count, then each id's scheme and id: all `int len` + bytes.
        let Some(data_len) = walk.len("QuorumPacket.data", 1)? else {
            return Ok(Scan::Incomplete(walk.at + 4));
        };
        walk.at = walk.at.saturating_add(data_len);
        let Some(count) = walk.len("QuorumPacket.authinfo", 0)? else {
            return Ok(Scan::Incomplete(walk.at + 4));
        };
        let strings = count.saturating_mul(2);
        walk.check(strings.saturating_mul(4))?;
        for left in (0..strings).rev() {
            let Some(len) = walk.len("QuorumPacket.authinfo", left)? else {
                return Ok(Scan::Incomplete(walk.at + 4 * (left + 1)));
            };
            walk.at = walk.at.saturating_add(len);
        }
        walk.check(0)?;
        Ok(if walk.at <= buf.len() {
            Scan::Complete(walk.at)
        } else {
            Scan::Incomplete(walk.at)
        })
    }
}

/// A cursor over the length fields of a partly received packet.
struct Walk<'a> {
    buf: &'a [u8],
    at: usize,
    max: usize,
}

impl Walk<'_> {
    /// Reads the `int` length at the cursor and steps over it; `Ok(None)` if the bytes before
    /// it or the length itself are not buffered yet. -1 (null) is length 0. `items_after` more
    /// lengths of 4 bytes each are known to follow; the packet's minimal size so far is
    /// checked against the limit.
    fn len(&mut self, field: &'static str, items_after: usize) -> Result<Option<usize>> {
        self.check(4)?;
        let Some(bytes) = self.buf.get(self.at..self.at + 4) else {
            return Ok(None);
        };
        let len = i32::from_be_bytes(bytes.try_into().expect("4 bytes"));
        let offset = self.at;
        self.at += 4;
        let len = match len {
            -1 => 0,
            len => usize::try_from(len).map_err(|_| Error::InvalidLength {
                field,
                offset,
                len: i64::from(len),
            })?,
        };
        self.check(len.saturating_add(items_after.saturating_mul(4)))?;
        Ok(Some(len))
    }

    /// Fails if the packet needs more than the limit: `at + more` bytes at least.
    fn check(&self, more: usize) -> Result<()> {
        let needed = self.at.saturating_add(more);
        if needed > self.max {
            return Err(Error::FrameLength {
                len: i64::try_from(needed).unwrap_or(i64::MAX),
                max: self.max,
            });
        }
        Ok(())
    }
}
