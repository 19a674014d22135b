//! [`CreateMode`], the `flags` of a create request, and [`EphemeralType`] /
//! [`EphemeralOwner`], the meaning of a stored `ephemeralOwner`.
//!
//! A node's kind is fixed at creation by its [`CreateMode`] and then remembered only through the
//! raw `ephemeralOwner` that [`StatPersisted`](crate::StatPersisted) stores:
//!
//! ```text
//! 0                                   not ephemeral (persistent, sequential or not)
//! session id                          ephemeral, owned by that session
//! 0x8000_0000_0000_0000 (i64::MIN)    container
//! 0xFF00_0000_0000_0000 | ttl_ms      TTL node (only with zookeeper.extendedTypesEnabled);
//!                                     bits 40-55 are the extended feature, 0x0000 = TTL
//! ```
//!
//! Clients see only the session id of a normal ephemeral; containers and TTL nodes show 0
//! ([`EphemeralOwner::client_visible`]).
//!
//! ```
//! use zk_proto::create_mode::{CreateMode, EphemeralOwner, EphemeralType};
//! assert_eq!(CreateMode::from_flag(3), Some(CreateMode::EphemeralSequential));
//! assert_eq!(CreateMode::from_flag(7), None); // the server answers BADARGUMENTS
//!
//! let ttl = EphemeralOwner::ttl(60_000).unwrap();
//! assert_eq!(ttl.raw(), 0xFF00_0000_0000_EA60_u64 as i64);
//! let stored = EphemeralOwner::from_raw(ttl.raw(), true).unwrap();
//! assert_eq!(stored.kind(), EphemeralType::Ttl);
//! assert_eq!(stored.client_visible(), 0);
//! ```

use crate::id::SessionId;

jute_enum! {
    /// How a znode is created: the `flags` of CreateRequest (`CreateMode`, §5.6 of the wire
    /// reference). There is no ephemeral-TTL or sequential-container mode; any other flag is
    /// answered with BADARGUMENTS, which is why request records keep `flags` as a raw `i32`.
    pub enum CreateMode {
        /// A node that lives until deleted.
        Persistent = 0,
        /// A node deleted when its creating session ends.
        Ephemeral = 1,
        /// Persistent, with the parent's 10-digit sequence number appended to the name.
        PersistentSequential = 2,
        /// Ephemeral and sequential.
        EphemeralSequential = 3,
        /// A node the server deletes once its last child is gone (after it has had one).
        Container = 4,
        /// A persistent node the server deletes when it has no children and has not been
        /// modified for its TTL. Needs `zookeeper.extendedTypesEnabled`.
        PersistentWithTtl = 5,
        /// A sequential TTL node.
        PersistentSequentialWithTtl = 6,
    }
}

impl CreateMode {
    /// The mode for a `flags` value, `None` for an invalid flag (BADARGUMENTS).
    pub fn from_flag(flag: i32) -> Option<Self> {
        Self::from_code(flag)
    }

    /// The `flags` value of this mode.
    pub fn flag(self) -> i32 {
        self.code()
    }

    /// True for modes whose node dies with its session.
    pub fn is_ephemeral(self) -> bool {
        matches!(
            self,
            CreateMode::Ephemeral | CreateMode::EphemeralSequential
        )
    }

    /// True for modes that append a sequence number to the path.
    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
        )
    }

    /// True for [`CreateMode::Container`].
    pub fn is_container(self) -> bool {
        self == CreateMode::Container
    }

    /// True for the two TTL modes.
    pub fn is_ttl(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
        )
    }

    /// `EphemeralType.validateTTL`: a TTL mode needs `0 < ttl <= MAX_TTL_MS`; any other mode
    /// needs `ttl < 0` (plain creates carry -1). A violation is BADARGUMENTS.
    pub fn is_valid_ttl(self, ttl_ms: i64) -> bool {
        if self.is_ttl() {
            (1..=EphemeralOwner::MAX_TTL_MS).contains(&ttl_ms)
        } else {
            ttl_ms < 0
        }
    }
}

/// What kind of node a stored `ephemeralOwner` denotes (ZooKeeper's `EphemeralType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EphemeralType {
    /// Not ephemeral: owner 0.
    Void,
    /// A normal ephemeral owned by a session.
    Normal,
    /// A container node.
    Container,
    /// A TTL node.
    Ttl,
}

/// A decoded stored `ephemeralOwner`: the node's kind plus its session id or TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EphemeralOwner {
    /// Not ephemeral (raw 0).
    Void,
    /// A normal ephemeral owned by this session.
    Session(SessionId),
    /// A container (raw `i64::MIN`).
    Container,
    /// A TTL node with this time-to-live in milliseconds (`1..=MAX_TTL_MS`).
    Ttl {
        /// The time-to-live in milliseconds.
        ttl_ms: i64,
    },
}

impl EphemeralOwner {
    /// The raw owner of a container node: only the sign bit set.
    pub const CONTAINER_RAW: i64 = i64::MIN;
    /// The largest TTL, 0xFF_FFFF_FFFF ms (about 12,725 days).
    pub const MAX_TTL_MS: i64 = 0xFF_FFFF_FFFF;
    /// With extended types enabled, server ids above this would make session ids look like
    /// extended owners (their high byte would be 0xFF).
    pub const MAX_EXTENDED_SERVER_ID: i64 = 0xFE;

    /// High byte set: an extended (TTL) owner.
    const EXTENDED_MASK: i64 = 0xFF00_0000_0000_0000_u64 as i64;
    /// Bits 40-55: which extended feature; 0 is TTL, the only one defined.
    const EXTENDED_FEATURE_MASK: i64 = 0x00FF_FF00_0000_0000;

    /// A TTL owner, `None` unless `0 < ttl_ms <= MAX_TTL_MS`.
    pub fn ttl(ttl_ms: i64) -> Option<Self> {
        (1..=Self::MAX_TTL_MS)
            .contains(&ttl_ms)
            .then_some(EphemeralOwner::Ttl { ttl_ms })
    }

    /// Decodes a stored owner as `EphemeralType.get` does. Extended (TTL) owners are recognised
    /// only when `extended_types_enabled` (`zookeeper.extendedTypesEnabled`); otherwise such a
    /// value is a session id. `None` for an extended owner with an unknown feature (Java throws).
    pub fn from_raw(raw: i64, extended_types_enabled: bool) -> Option<Self> {
        if extended_types_enabled && raw & Self::EXTENDED_MASK == Self::EXTENDED_MASK {
            if raw & Self::EXTENDED_FEATURE_MASK != 0 {
                return None;
            }
            return Some(EphemeralOwner::Ttl {
                ttl_ms: raw & Self::MAX_TTL_MS,
            });
        }
        Some(match raw {
            0 => EphemeralOwner::Void,
            Self::CONTAINER_RAW => EphemeralOwner::Container,
            session => EphemeralOwner::Session(SessionId(session)),
        })
    }

    /// The stored encoding.
    pub fn raw(self) -> i64 {
        match self {
            EphemeralOwner::Void => 0,
            EphemeralOwner::Session(id) => id.0,
            EphemeralOwner::Container => Self::CONTAINER_RAW,
            EphemeralOwner::Ttl { ttl_ms } => Self::EXTENDED_MASK | (ttl_ms & Self::MAX_TTL_MS),
        }
    }

    /// The kind of node.
    pub fn kind(self) -> EphemeralType {
        match self {
            EphemeralOwner::Void => EphemeralType::Void,
            EphemeralOwner::Session(_) => EphemeralType::Normal,
            EphemeralOwner::Container => EphemeralType::Container,
            EphemeralOwner::Ttl { .. } => EphemeralType::Ttl,
        }
    }

    /// The owning session of a normal ephemeral.
    pub fn session_id(self) -> Option<SessionId> {
        match self {
            EphemeralOwner::Session(id) => Some(id),
            _ => None,
        }
    }

    /// `Stat.ephemeralOwner` as clients see it: the session id of a normal ephemeral, else 0.
    pub fn client_visible(self) -> i64 {
        self.session_id().map_or(0, |id| id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_match_java_create_mode_table() {
        let table = [
            (0, false, false, false, false),
            (1, true, false, false, false),
            (2, false, true, false, false),
            (3, true, true, false, false),
            (4, false, false, true, false),
            (5, false, false, false, true),
            (6, false, true, false, true),
        ];
        for (flag, eph, seq, container, ttl) in table {
            let mode = CreateMode::from_flag(flag).unwrap();
            assert_eq!(mode.flag(), flag);
            assert_eq!(
                (
                    mode.is_ephemeral(),
                    mode.is_sequential(),
                    mode.is_container(),
                    mode.is_ttl()
                ),
                (eph, seq, container, ttl),
                "flag {flag}"
            );
        }
        for bad in [-1, 7, 8, i32::MAX, i32::MIN] {
            assert_eq!(CreateMode::from_flag(bad), None);
        }
    }

    #[test]
    fn ttl_validity_follows_validate_ttl() {
        let ttl = CreateMode::PersistentWithTtl;
        assert!(!ttl.is_valid_ttl(0));
        assert!(ttl.is_valid_ttl(1));
        assert!(ttl.is_valid_ttl(EphemeralOwner::MAX_TTL_MS));
        assert!(!ttl.is_valid_ttl(EphemeralOwner::MAX_TTL_MS + 1));
        assert!(CreateMode::Persistent.is_valid_ttl(-1));
        assert!(!CreateMode::Persistent.is_valid_ttl(0));
    }

    #[test]
    fn stored_owner_encodings_decode_to_their_kind() {
        let ttl = EphemeralOwner::from_raw(0xFF00_0000_0000_0001_u64 as i64, true).unwrap();
        assert_eq!(ttl, EphemeralOwner::Ttl { ttl_ms: 1 });
        assert_eq!(ttl.client_visible(), 0);
        let container = EphemeralOwner::from_raw(i64::MIN, false).unwrap();
        assert_eq!(container.kind(), EphemeralType::Container);
        assert_eq!(container.client_visible(), 0);
        let session = EphemeralOwner::from_raw(0x0100_0007_7912_0000, true).unwrap();
        assert_eq!(session.client_visible(), 0x0100_0007_7912_0000);
        assert_eq!(
            EphemeralOwner::from_raw(0, true).unwrap(),
            EphemeralOwner::Void
        );
        // Without extended types the TTL encoding is just a (strange) session id.
        let raw = EphemeralOwner::ttl(5).unwrap().raw();
        assert_eq!(
            EphemeralOwner::from_raw(raw, false).unwrap().kind(),
            EphemeralType::Normal
        );
        // An unknown extended feature is rejected, as Java throws.
        assert_eq!(
            EphemeralOwner::from_raw(0xFF00_0100_0000_0001_u64 as i64, true),
            None
        );
    }

    #[test]
    fn raw_round_trips_for_every_kind() {
        for owner in [
            EphemeralOwner::Void,
            EphemeralOwner::Container,
            EphemeralOwner::Session(SessionId(0x0100_0008_ec08_0000)),
            EphemeralOwner::ttl(EphemeralOwner::MAX_TTL_MS).unwrap(),
        ] {
            assert_eq!(EphemeralOwner::from_raw(owner.raw(), true), Some(owner));
        }
        assert_eq!(EphemeralOwner::ttl(0), None);
        assert_eq!(EphemeralOwner::ttl(EphemeralOwner::MAX_TTL_MS + 1), None);
    }
}
