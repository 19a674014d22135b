//! What a txn log stores: [`LogEntry`], with ZooKeeper's txns ([`RawTxn`]) and plain
//! sequenced payloads ([`BytesEntry`]) as the two ready-made kinds, and [`zxid_follows`], the
//! rule that defines "no holes".
//!
//! # Why the log is generic
//!
//! Apache's on-disk record is `{long adler32(txnBytes); buffer txnBytes; byte 'B'}`, and the
//! zxid that orders the log lives *inside* `txnBytes` (bytes 12..20, in the `TxnHeader`). The
//! container (checksum, length, end marker, file header, preallocation, recovery rules) knows
//! nothing else about the bytes. So the log is generic over a [`LogEntry`]: a type that says
//! what bytes it is stored as and where its zxid comes from. The zxid is never stored twice, so
//! it can never disagree with the bytes.
//!
//! - ZooKeeper servers use [`RawTxn`]: Apache's `txnBytes` verbatim (`TxnHeader`, txn record,
//!   optional `TxnDigest`), exactly what a follower receives in a PROPOSAL packet. Its zxid is
//!   read from the header. Files of `RawTxn` entries are byte-compatible with Apache 3.8.
//!   `zk_proto::txn::TxnLogEntry` is a [`LogEntry`] too, for callers that want typed txns
//!   decoded on read.
//! - Any other program uses [`BytesEntry`] (a sequence number and opaque bytes) or implements
//!   [`LogEntry`] for its own command type.

use std::fmt;

use bytes::Bytes;
use zk_proto::txn::TxnLogEntry;
use zk_proto::Zxid;

/// Why stored bytes could not be decoded into an entry. The log wraps it into
/// [`Error::CorruptLog`](crate::Error::CorruptLog) with the file and offset.
pub type EntryError = Box<dyn std::error::Error + Send + Sync>;

/// One entry of a txn log: a zxid and the bytes the log stores for it.
///
/// # Contract
///
/// - `decode(encode(e))` equals `e`, and in particular has the same zxid.
/// - [`peek_zxid`](LogEntry::peek_zxid) on the encoded bytes returns `zxid()`.
/// - `decode` and `peek_zxid` never panic: the bytes come from disk.
pub trait LogEntry: Clone + fmt::Debug + Send + Sync + 'static {
    /// The entry's zxid, which orders the log.
    fn zxid(&self) -> Zxid;

    /// Appends the stored bytes (Apache's `txnBytes`) to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Decodes stored bytes. The checksum has already been verified.
    fn decode(bytes: Bytes) -> Result<Self, EntryError>;

    /// The zxid of stored bytes, without decoding the rest. Recovery calls this for every
    /// record, so override it when `decode` is expensive.
    fn peek_zxid(bytes: &[u8]) -> Result<Zxid, EntryError> {
        Ok(Self::decode(Bytes::copy_from_slice(bytes))?.zxid())
    }
}

/// Whether `next` may directly follow `prev` in a log with no holes: either the next counter
/// of the same epoch (`prev + 1`), or any zxid of a later epoch.
///
/// Within an epoch a ZooKeeper leader numbers its proposals consecutively, so a missing
/// counter is a lost txn. A new epoch's first txn is normally counter 1, but the rule accepts
/// any counter there so that a log resuming after a SNAP sync in a later epoch is not refused.
/// Programs that use zxids as plain sequence numbers below 2³² get exactly "`next == prev + 1`".
///
/// ```
/// use zk_storage::zxid_follows;
/// use zk_proto::{Epoch, Zxid};
/// assert!(zxid_follows(Zxid(5), Zxid(6)));
/// assert!(!zxid_follows(Zxid(5), Zxid(7)));
/// assert!(zxid_follows(Zxid::new(Epoch(1), 9), Zxid::new(Epoch(2), 1)));
/// assert!(!zxid_follows(Zxid(6), Zxid(6)));
/// ```
pub fn zxid_follows(prev: Zxid, next: Zxid) -> bool {
    next > prev && (prev.0 + 1 == next.0 || next.epoch() > prev.epoch())
}

/// A ZooKeeper txn as Apache stores it: `TxnHeader` + txn record [+ `TxnDigest`], verbatim.
///
/// ```text
/// long clientId   // bytes 0..8    session id
/// int  cxid       // bytes 8..12   client xid
/// long zxid       // bytes 12..20  <- the log's order
/// long time       // bytes 20..28  ms since the epoch, on the leader
/// int  type       // bytes 28..32  OpCode
/// ...             // the txn record for `type`, then optionally TxnDigest
/// ```
///
/// The bytes are kept as received (a follower logs a PROPOSAL's payload without re-encoding
/// it); decoding the record is `zk-proto`'s business.
#[derive(Clone, PartialEq, Eq)]
pub struct RawTxn {
    zxid: Zxid,
    bytes: Bytes,
}

impl RawTxn {
    /// Bytes of a serialized `TxnHeader`.
    pub const HEADER_BYTES: usize = 32;

    /// Wraps serialized txn bytes, reading the zxid from the header; fails if the bytes are
    /// shorter than a `TxnHeader`.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, EntryError> {
        let bytes = bytes.into();
        let zxid = Self::zxid_of(&bytes)?;
        Ok(RawTxn { zxid, bytes })
    }

    fn zxid_of(bytes: &[u8]) -> Result<Zxid, EntryError> {
        if bytes.len() < Self::HEADER_BYTES {
            return Err(format!(
                "txn of {} bytes is shorter than a {}-byte TxnHeader",
                bytes.len(),
                Self::HEADER_BYTES
            )
            .into());
        }
        Ok(Zxid(be_i64(&bytes[12..20])))
    }

    /// The serialized txn: header, record, optional digest.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// `TxnHeader.clientId`: the session that issued the txn.
    pub fn client_id(&self) -> i64 {
        be_i64(&self.bytes[0..8])
    }

    /// `TxnHeader.cxid`: the client's xid.
    pub fn cxid(&self) -> i32 {
        be_i32(&self.bytes[8..12])
    }

    /// `TxnHeader.time`: the leader's clock in ms when it created the txn.
    pub fn time_ms(&self) -> i64 {
        be_i64(&self.bytes[20..28])
    }

    /// `TxnHeader.type`: the txn's opcode (for example 1 for create, -10 for createSession).
    pub fn txn_type(&self) -> i32 {
        be_i32(&self.bytes[28..32])
    }

    /// Decodes the txn (header, typed record, digest).
    pub fn to_entry(&self) -> zk_proto::Result<TxnLogEntry> {
        TxnLogEntry::decode(self.bytes.clone())
    }

    /// Like [`from_entry`](Self::from_entry), but encoding through `scratch` (cleared first,
    /// kept by the caller for the next txn): the result is one exact-size allocation instead
    /// of a vector regrown, and recopied, as the txn is written.
    pub fn from_entry_in(entry: &TxnLogEntry, scratch: &mut Vec<u8>) -> Self {
        scratch.clear();
        entry.write(scratch);
        RawTxn {
            zxid: entry.header.zxid,
            bytes: Bytes::copy_from_slice(scratch),
        }
    }

    /// The bytes of a typed txn.
    pub fn from_entry(entry: &TxnLogEntry) -> Self {
        RawTxn {
            zxid: entry.header.zxid,
            bytes: entry.to_vec().into(),
        }
    }
}

impl fmt::Debug for RawTxn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawTxn")
            .field("zxid", &self.zxid)
            .field("type", &self.txn_type())
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl LogEntry for RawTxn {
    fn zxid(&self) -> Zxid {
        self.zxid
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }
    fn decode(bytes: Bytes) -> Result<Self, EntryError> {
        RawTxn::new(bytes)
    }
    fn peek_zxid(bytes: &[u8]) -> Result<Zxid, EntryError> {
        Self::zxid_of(bytes)
    }
}

/// Typed ZooKeeper txns: decoded when read, encoded when appended. [`RawTxn`] avoids both.
impl LogEntry for TxnLogEntry {
    fn zxid(&self) -> Zxid {
        self.header.zxid
    }
    fn encode(&self, out: &mut Vec<u8>) {
        self.write(out);
    }
    fn decode(bytes: Bytes) -> Result<Self, EntryError> {
        Ok(TxnLogEntry::decode(bytes)?)
    }
    fn peek_zxid(bytes: &[u8]) -> Result<Zxid, EntryError> {
        RawTxn::zxid_of(bytes)
    }
}

/// A sequence number and opaque bytes: the entry for programs that are not ZooKeeper.
///
/// Stored as the 8-byte big-endian zxid followed by the payload. The numbers must follow
/// [`zxid_follows`]: start anywhere, then count up by one.
///
/// ```
/// use zk_storage::{BytesEntry, LogEntry};
/// let e = BytesEntry::new(7, &b"set x=1"[..]);
/// let mut stored = Vec::new();
/// e.encode(&mut stored);
/// assert_eq!(&stored[..8], &7u64.to_be_bytes());
/// assert_eq!(BytesEntry::decode(stored.into()).unwrap(), e);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BytesEntry {
    /// The entry's position in the log.
    pub zxid: Zxid,
    /// The program's data.
    pub payload: Bytes,
}

impl BytesEntry {
    /// An entry with sequence number `seq`.
    pub fn new(seq: i64, payload: impl Into<Bytes>) -> Self {
        BytesEntry {
            zxid: Zxid(seq),
            payload: payload.into(),
        }
    }
}

impl LogEntry for BytesEntry {
    fn zxid(&self) -> Zxid {
        self.zxid
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.zxid.0.to_be_bytes());
        out.extend_from_slice(&self.payload);
    }
    fn decode(mut bytes: Bytes) -> Result<Self, EntryError> {
        let zxid = Self::peek_zxid(&bytes)?;
        let payload = bytes.split_off(8);
        Ok(BytesEntry { zxid, payload })
    }
    fn peek_zxid(bytes: &[u8]) -> Result<Zxid, EntryError> {
        match bytes.get(..8) {
            Some(b) => Ok(Zxid(be_i64(b))),
            None => Err(format!("entry of {} bytes has no 8-byte zxid", bytes.len()).into()),
        }
    }
}

fn be_i64(b: &[u8]) -> i64 {
    i64::from_be_bytes(b.try_into().expect("8 bytes"))
}

fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes(b.try_into().expect("4 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_txn_reads_the_header_fields() {
        let mut b = Vec::new();
        b.extend_from_slice(&0x1122i64.to_be_bytes()); // clientId
        b.extend_from_slice(&7i32.to_be_bytes()); // cxid
        b.extend_from_slice(&0x1_0000_0003i64.to_be_bytes()); // zxid
        b.extend_from_slice(&1234i64.to_be_bytes()); // time
        b.extend_from_slice(&1i32.to_be_bytes()); // type create
        b.extend_from_slice(b"record");
        let t = RawTxn::new(b.clone()).unwrap();
        assert_eq!(t.zxid(), Zxid(0x1_0000_0003));
        assert_eq!(
            (t.client_id(), t.cxid(), t.time_ms(), t.txn_type()),
            (0x1122, 7, 1234, 1)
        );
        assert_eq!(RawTxn::peek_zxid(&b).unwrap(), t.zxid());
        let mut out = Vec::new();
        t.encode(&mut out);
        assert_eq!(out, b);
    }

    quickcheck::quickcheck! {
        /// Encoding through a reused scratch buffer gives the same bytes as a fresh one, and
        /// leftovers of a longer txn in the buffer never leak into a shorter one.
        fn from_entry_in_matches_from_entry(first: TxnLogEntry, second: TxnLogEntry) -> bool {
            let mut scratch = Vec::new();
            let a = RawTxn::from_entry_in(&first, &mut scratch);
            let b = RawTxn::from_entry_in(&second, &mut scratch);
            a == RawTxn::from_entry(&first) && b == RawTxn::from_entry(&second)
        }
    }

    #[test]
    fn short_bytes_are_an_error_not_a_panic() {
        assert!(RawTxn::new(vec![0u8; 31]).is_err());
        assert!(BytesEntry::decode(Bytes::from_static(b"1234567")).is_err());
    }

    #[test]
    fn zxid_follows_rejects_regressions_and_gaps_within_an_epoch() {
        assert!(!zxid_follows(Zxid(7), Zxid(6)));
        assert!(!zxid_follows(Zxid(0x2_0000_0001), Zxid(0x1_0000_0009)));
        assert!(!zxid_follows(Zxid(i64::MAX), Zxid(i64::MIN)));
        assert!(zxid_follows(Zxid(0x1_ffff_ffff), Zxid(0x2_0000_0000)));
    }
}
