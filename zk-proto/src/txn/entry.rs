//! [`TxnLogEntry`]: one whole transaction as logged and proposed.

use bytes::{BufMut, Bytes};

use super::{Txn, TxnDigest, TxnHeader};
use crate::error::Result;
use crate::id::Zxid;
use crate::jute::{Jute, Reader};

/// One transaction exactly as Apache ZooKeeper serializes it: the bytes inside one record of a
/// `log.<zxid>` file (the part its Adler32 checksum covers) and the `data` of a ZAB `PROPOSAL`.
///
/// ```text
/// TxnHeader   32 bytes, its type selects the record
/// record      see Txn
/// TxnDigest   12 bytes, optional: present when the writer had zookeeper.digest.enabled
/// ```
///
/// The digest is optional at the *end of input* only, so an entry must be decoded from exactly
/// its own bytes (one log record's `buffer`, one packet's `data`). As in Apache's
/// `SerializeUtils.deserializeTxn`, fewer than 12 bytes after the record mean "no digest" and
/// bytes after the digest are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnLogEntry {
    /// The header; its `txn_type` always equals `txn.op_code()`.
    pub header: TxnHeader,
    /// The typed record.
    pub txn: Txn,
    /// The tree digest after this txn, when the writer computed one. Apache 3.8 writes one
    /// after every txn except a top-level `Error` txn (a failed multi does carry one).
    pub digest: Option<TxnDigest>,
}

impl TxnLogEntry {
    /// An entry for `txn`, with `header.txn_type` set from the txn so that the two agree.
    pub fn new(mut header: TxnHeader, txn: Txn, digest: Option<TxnDigest>) -> Self {
        header.txn_type = txn.op_code();
        TxnLogEntry {
            header,
            txn,
            digest,
        }
    }

    /// The transaction's zxid.
    pub fn zxid(&self) -> Zxid {
        self.header.zxid
    }

    /// Decodes an entry from exactly its bytes.
    pub fn decode(bytes: impl Into<Bytes>) -> Result<Self> {
        Self::read(&mut Reader::new(bytes))
    }

    /// Decodes an entry from the rest of `r`, which must hold exactly one entry.
    pub fn read(r: &mut Reader) -> Result<Self> {
        let header = TxnHeader::read(r, "TxnHeader")?;
        let txn = Txn::decode(header.txn_type, r)?;
        let digest = if r.remaining() >= TxnDigest::BYTES {
            Some(TxnDigest::read(r, "TxnDigest")?)
        } else {
            None
        };
        Ok(TxnLogEntry {
            header,
            txn,
            digest,
        })
    }

    /// Appends the entry's bytes to `out`.
    ///
    /// # Panics
    ///
    /// If `header.txn_type` differs from `txn.op_code()`: such an entry would decode as a
    /// different transaction. [`TxnLogEntry::new`] cannot build one.
    pub fn write<B: BufMut>(&self, out: &mut B) {
        assert_eq!(
            self.header.txn_type,
            self.txn.op_code(),
            "TxnHeader.type disagrees with the txn record"
        );
        self.header.write(out);
        self.txn.write(out);
        if let Some(digest) = &self.digest {
            digest.write(out);
        }
    }

    /// The entry's bytes as a fresh vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }
}

#[cfg(any(test, feature = "arbitrary"))]
impl quickcheck::Arbitrary for TxnLogEntry {
    fn arbitrary(g: &mut quickcheck::Gen) -> Self {
        TxnLogEntry::new(
            TxnHeader::arbitrary(g),
            Txn::arbitrary(g),
            Option::<TxnDigest>::arbitrary(g),
        )
    }
}
