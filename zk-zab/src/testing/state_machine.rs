//! [`SmState`]: the toy replicated state machine — a running hash of committed txns.
//!
//! Two replicas hold the same state exactly when they applied the same txns in the same
//! order, which is all the invariants need; a snapshot is the 24-byte state itself.

use bytes::{BufMut, Bytes, BytesMut};
use zk_proto::Zxid;

use crate::message::Proposal;

/// The state of the toy state machine after applying `count` txns, the last being `zxid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct SmState {
    /// The last applied zxid.
    pub zxid: Zxid,
    /// How many txns were applied.
    pub count: u64,
    /// A running hash of every applied (zxid, txn).
    pub hash: u64,
}

impl SmState {
    /// Applies a committed txn.
    pub fn apply(&mut self, p: &Proposal) {
        self.zxid = p.zxid;
        self.count += 1;
        self.hash = mix(self.hash ^ fnv(&p.txn) ^ (p.zxid.0 as u64).rotate_left(17));
    }

    /// The snapshot bytes.
    pub fn encode(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(24);
        b.put_i64(self.zxid.0);
        b.put_u64(self.count);
        b.put_u64(self.hash);
        b.freeze()
    }

    /// Decodes snapshot bytes; `None` if they are not 24 bytes.
    pub fn decode(bytes: &[u8]) -> Option<SmState> {
        let b: &[u8; 24] = bytes.try_into().ok()?;
        let word = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        Some(SmState {
            zxid: Zxid(word(0) as i64),
            count: word(8),
            hash: word(16),
        })
    }
}

/// FNV-1a over the txn bytes.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64's finalizer, to spread the bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
