//! The identifiers every layer shares: [`Zxid`], [`Epoch`], [`SessionId`] and [`Xid`].
//!
//! Each is a newtype over the integer ZooKeeper puts on the wire, so that a session id cannot be
//! passed where a zxid is expected, and each encodes exactly like that integer.

use std::fmt;

use bytes::BufMut;

use crate::jute::{Jute, Reader};
use crate::Result;

/// Implements `Jute` (and the test generator) for a newtype by delegating to its integer.
macro_rules! newtype_jute {
    ($name:ident($inner:ty)) => {
        impl Jute for $name {
            const MIN_BYTES: usize = <$inner as Jute>::MIN_BYTES;
            fn write<B: BufMut>(&self, out: &mut B) {
                self.0.write(out);
            }
            fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
                <$inner>::read(r, field).map(Self)
            }
        }

        #[cfg(any(test, feature = "arbitrary"))]
        impl crate::jute::arbitrary::ArbitraryJute for $name {
            fn arbitrary_jute(g: &mut quickcheck::Gen) -> Self {
                Self(<$inner as quickcheck::Arbitrary>::arbitrary(g))
            }
        }
    };
}

/// A ZooKeeper transaction id: `epoch << 32 | counter`.
///
/// The epoch is the leader's term; the counter orders the leader's proposals within it. Zxids
/// compare as the signed 64-bit integers ZooKeeper sends, so `Zxid(-1)` (used in 3.8 watch
/// notifications and for "none") sorts before every real zxid.
///
/// ```
/// use zk_proto::{Epoch, Zxid};
/// let zxid = Zxid::new(Epoch(5), 42);
/// assert_eq!(zxid.0, 0x5_0000_002a);
/// assert_eq!((zxid.epoch(), zxid.counter()), (Epoch(5), 42));
/// assert_eq!(zxid.to_string(), "0x50000002a");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Zxid(pub i64);

impl Zxid {
    /// The zxid of an empty database.
    pub const ZERO: Zxid = Zxid(0);
    /// "No zxid": what 3.8 servers put in notification headers.
    pub const NONE: Zxid = Zxid(-1);

    /// The zxid `counter` within `epoch`.
    pub fn new(epoch: Epoch, counter: u32) -> Self {
        Zxid(((u64::from(epoch.0) << 32) | u64::from(counter)) as i64)
    }

    /// The epoch in the high 32 bits.
    pub fn epoch(self) -> Epoch {
        Epoch((self.0 as u64 >> 32) as u32)
    }

    /// The counter in the low 32 bits.
    pub fn counter(self) -> u32 {
        self.0 as u32
    }
}

impl fmt::Display for Zxid {
    /// `0x` and lowercase hex without padding, as ZooKeeper's logs, `srvr` and zkCli print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

newtype_jute!(Zxid(i64));

/// A leader epoch, the high half of a [`Zxid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Epoch(pub u32);

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A session id. The high byte is the id of the server that created the session.
///
/// Printed as `0x` and unpadded lowercase hex, as ZooKeeper prints `ephemeralOwner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SessionId(pub i64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

newtype_jute!(SessionId(i64));

/// A request id chosen by the client; replies carry it back. Negative values are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Xid(pub i32);

impl Xid {
    /// Watch notifications (server to client).
    pub const NOTIFICATION: Xid = Xid(-1);
    /// Pings.
    pub const PING: Xid = Xid(-2);
    /// Auth packets. Answered at once, outside the FIFO order of other replies.
    pub const AUTH: Xid = Xid(-4);
    /// setWatches / setWatches2 sent while reconnecting.
    pub const SET_WATCHES: Xid = Xid(-8);
}

impl fmt::Display for Xid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

newtype_jute!(Xid(i32));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zxid_splits_into_epoch_and_counter() {
        let z = Zxid::new(Epoch(u32::MAX), u32::MAX);
        assert_eq!(z, Zxid(-1));
        assert_eq!(z.epoch(), Epoch(u32::MAX));
        assert_eq!(z.counter(), u32::MAX);
        assert_eq!(Zxid(0x1_0000_0000).epoch(), Epoch(1));
    }
}
