//! [`Id`], [`Acl`] and [`Perms`]: who may do what to a znode.

use std::fmt;
use std::ops::{BitAnd, BitOr};

use bytes::BufMut;

use crate::jute::{Jute, Reader};
use crate::Result;

record! {
    /// An identity: an auth scheme and an id within it, e.g. `digest:alice:<base64 sha1>`,
    /// `ip:10.0.0.0/8`, `world:anyone`, `auth:` (the caller's authenticated ids).
    #[derive(Default, Hash, PartialOrd, Ord)]
    pub struct Id {
        /// The scheme: `world`, `auth`, `digest`, `ip`, `super`, `sasl`, `x509`.
        pub scheme: String,
        /// The id within the scheme.
        pub id: String,
    }
}

impl Id {
    /// An id from its scheme and value.
    pub fn new(scheme: impl Into<String>, id: impl Into<String>) -> Self {
        Id {
            scheme: scheme.into(),
            id: id.into(),
        }
    }

    /// `world:anyone`.
    pub fn anyone() -> Self {
        Id::new("world", "anyone")
    }

    /// `auth:` — stands for every authenticated id of the creating session.
    pub fn auth() -> Self {
        Id::new("auth", "")
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.id)
    }
}

/// Permission bits (`ZooDefs.Perms`): READ=1, WRITE=2, CREATE=4, DELETE=8, ADMIN=16.
///
/// CREATE and DELETE are checked on the *parent* of the node created or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Perms(pub i32);

impl Perms {
    /// No permission.
    pub const NONE: Perms = Perms(0);
    /// getData, getChildren, exists (of an existing node), getACL.
    pub const READ: Perms = Perms(1);
    /// setData.
    pub const WRITE: Perms = Perms(2);
    /// Create a child.
    pub const CREATE: Perms = Perms(4);
    /// Delete a child.
    pub const DELETE: Perms = Perms(8);
    /// setACL.
    pub const ADMIN: Perms = Perms(16);
    /// Every permission.
    pub const ALL: Perms = Perms(31);

    /// True if every bit of `other` is set in `self`.
    pub fn contains(self, other: Perms) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if any bit of `other` is set in `self`.
    pub fn intersects(self, other: Perms) -> bool {
        self.0 & other.0 != 0
    }
}

impl BitOr for Perms {
    type Output = Perms;
    fn bitor(self, rhs: Perms) -> Perms {
        Perms(self.0 | rhs.0)
    }
}

impl BitAnd for Perms {
    type Output = Perms;
    fn bitand(self, rhs: Perms) -> Perms {
        Perms(self.0 & rhs.0)
    }
}

impl Jute for Perms {
    const MIN_BYTES: usize = 4;
    fn write<B: BufMut>(&self, out: &mut B) {
        out.put_i32(self.0);
    }
    fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
        r.read_i32(field).map(Perms)
    }
}

#[cfg(any(test, feature = "arbitrary"))]
impl crate::jute::arbitrary::ArbitraryJute for Perms {
    fn arbitrary_jute(g: &mut quickcheck::Gen) -> Self {
        Perms(<i32 as quickcheck::Arbitrary>::arbitrary(g))
    }
}

record! {
    /// One access-control entry: the permissions `perms` granted to `id`.
    #[derive(Default, Hash, PartialOrd, Ord)]
    pub struct Acl {
        /// The permissions granted.
        pub perms: Perms,
        /// To whom.
        pub id: Id,
    }
}

impl Acl {
    /// An entry granting `perms` to `id`.
    pub fn new(perms: Perms, id: Id) -> Self {
        Acl { perms, id }
    }

    /// `OPEN_ACL_UNSAFE`: everything to `world:anyone`.
    pub fn open_acl_unsafe() -> Vec<Acl> {
        vec![Acl::new(Perms::ALL, Id::anyone())]
    }

    /// `CREATOR_ALL_ACL`: everything to the creator's authenticated ids.
    pub fn creator_all_acl() -> Vec<Acl> {
        vec![Acl::new(Perms::ALL, Id::auth())]
    }

    /// `READ_ACL_UNSAFE`: read to `world:anyone` (the ACL of `/zookeeper/config`).
    pub fn read_acl_unsafe() -> Vec<Acl> {
        vec![Acl::new(Perms::READ, Id::anyone())]
    }
}
