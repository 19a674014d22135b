//! [`CreateOptions`]: the mode, ACL and TTL of a create, and the checks and wire form they
//! turn into (create2, createContainer or createTTL).
//!
//! ```
//! use std::time::Duration;
//! use zk_client::{CreateMode, CreateOptions};
//! use zk_proto::{Acl, Id, Perms};
//!
//! let options = CreateOptions::ephemeral_sequential();
//! assert_eq!(options.mode(), CreateMode::EphemeralSequential);
//! let ttl = CreateOptions::persistent_ttl(Duration::from_secs(60))
//!     .with_acl(vec![Acl::new(Perms::ALL, Id::auth())]);
//! assert_eq!(ttl.ttl(), Some(Duration::from_secs(60)));
//! ```

use std::time::Duration;

use bytes::Bytes;
use zk_proto::path::{validate_path, validate_sequential_path};
use zk_proto::{Acl, CreateMode, CreateRequest, CreateTtlRequest, EphemeralOwner};

use crate::chroot::Chroot;
use crate::error::{Error, Result};

/// How to create a node: its [`CreateMode`], its ACL (default `world:anyone` with every
/// permission, ZooKeeper's `OPEN_ACL_UNSAFE`) and, for TTL modes, its time-to-live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOptions {
    mode: CreateMode,
    acl: Vec<Acl>,
    ttl: Option<Duration>,
    null_data: bool,
}

impl Default for CreateOptions {
    /// A persistent node open to everyone.
    fn default() -> Self {
        CreateOptions::new(CreateMode::Persistent)
    }
}

impl CreateOptions {
    /// Options for `mode`, with the open ACL and no TTL.
    pub fn new(mode: CreateMode) -> Self {
        CreateOptions {
            mode,
            acl: Acl::open_acl_unsafe(),
            ttl: None,
            null_data: false,
        }
    }

    /// Sends null data instead of the `data` argument of [`Client::create`](crate::Client::create)
    /// (Java's `create(path, null, ...)`, what `zkCli`'s `create /x` does): readers with
    /// [`Client::get_data_nullable`](crate::Client::get_data_nullable) then see `None`.
    pub fn with_null_data(mut self) -> Self {
        self.null_data = true;
        self
    }

    /// Whether null data is sent.
    pub fn null_data(&self) -> bool {
        self.null_data
    }

    /// A persistent node.
    pub fn persistent() -> Self {
        Self::new(CreateMode::Persistent)
    }

    /// A node deleted when the session ends.
    pub fn ephemeral() -> Self {
        Self::new(CreateMode::Ephemeral)
    }

    /// A persistent node with a 10-digit sequence suffix.
    pub fn persistent_sequential() -> Self {
        Self::new(CreateMode::PersistentSequential)
    }

    /// An ephemeral node with a 10-digit sequence suffix (locks, elections, queues).
    pub fn ephemeral_sequential() -> Self {
        Self::new(CreateMode::EphemeralSequential)
    }

    /// A container: the server deletes it once its last child is gone.
    pub fn container() -> Self {
        Self::new(CreateMode::Container)
    }

    /// A persistent node the server deletes when it has had no children and no change for
    /// `ttl` (needs `extendedTypesEnabled=true` on the server, else UNIMPLEMENTED).
    pub fn persistent_ttl(ttl: Duration) -> Self {
        Self::new(CreateMode::PersistentWithTtl).with_ttl(ttl)
    }

    /// A sequential TTL node.
    pub fn persistent_sequential_ttl(ttl: Duration) -> Self {
        Self::new(CreateMode::PersistentSequentialWithTtl).with_ttl(ttl)
    }

    /// Replaces the ACL (an empty ACL is refused with [`Error::InvalidAcl`]).
    pub fn with_acl(mut self, acl: Vec<Acl>) -> Self {
        self.acl = acl;
        self
    }

    /// Sets the time-to-live (TTL modes only; rounded down to whole milliseconds).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The create mode.
    pub fn mode(&self) -> CreateMode {
        self.mode
    }

    /// The ACL.
    pub fn acl(&self) -> &[Acl] {
        &self.acl
    }

    /// The time-to-live, if set.
    pub fn ttl(&self) -> Option<Duration> {
        self.ttl
    }
}

/// The three wire forms of a create.
pub(crate) enum CreateBody {
    /// create / create2.
    Plain(CreateRequest),
    /// createContainer.
    Container(CreateRequest),
    /// createTTL.
    Ttl(CreateTtlRequest),
}

/// Validates a create and builds its body: the path (sequential paths may end in `/`), a
/// non-empty ACL, and a TTL exactly when the mode is a TTL mode.
pub(crate) fn create_body(
    chroot: &Chroot,
    path: &str,
    data: &[u8],
    options: &CreateOptions,
) -> Result<CreateBody> {
    let mode = options.mode();
    if mode.is_sequential() {
        validate_sequential_path(path)?;
    } else {
        validate_path(path)?;
    }
    if options.acl().is_empty() {
        return Err(Error::InvalidAcl);
    }
    let body = CreateRequest {
        path: chroot.prefix(path),
        data: (!options.null_data()).then(|| Bytes::copy_from_slice(data)),
        acl: options.acl().to_vec(),
        flags: mode.flag(),
    };
    match (mode.is_ttl(), options.ttl()) {
        (true, Some(ttl)) => {
            let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
            if !(1..=EphemeralOwner::MAX_TTL_MS).contains(&ttl) {
                return Err(Error::InvalidArgument(
                    "TTL must be 1 ms to 0xFF_FFFF_FFFF ms",
                ));
            }
            Ok(CreateBody::Ttl(CreateTtlRequest {
                path: body.path,
                data: body.data,
                acl: body.acl,
                flags: body.flags,
                ttl,
            }))
        }
        (true, None) => Err(Error::InvalidArgument("a TTL create mode needs a TTL")),
        (false, Some(_)) => Err(Error::InvalidArgument("a TTL needs a TTL create mode")),
        (false, None) if mode.is_container() => Ok(CreateBody::Container(body)),
        (false, None) => Ok(CreateBody::Plain(body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body_picks_the_wire_form_by_mode() {
        let root = Chroot::new("/app").unwrap();
        let body = create_body(&root, "/a", b"x", &CreateOptions::container()).unwrap();
        assert!(matches!(body, CreateBody::Container(r) if r.path == "/app/a" && r.flags == 4));
        let ttl = CreateOptions::persistent_ttl(Duration::from_millis(1500));
        let body = create_body(&root, "/t", b"", &ttl).unwrap();
        assert!(matches!(body, CreateBody::Ttl(r) if r.ttl == 1500 && r.flags == 5));
        let seq = CreateOptions::ephemeral_sequential();
        assert!(matches!(
            create_body(&root, "/q/", b"", &seq),
            Ok(CreateBody::Plain(r)) if r.path == "/app/q/" && r.flags == 3
        ));
        assert!(matches!(
            create_body(&root, "/q/", b"", &CreateOptions::persistent()),
            Err(Error::InvalidPath(_))
        ));
        let zero = CreateOptions::persistent_ttl(Duration::ZERO);
        assert!(matches!(
            create_body(&root, "/t", b"", &zero),
            Err(Error::InvalidArgument(_))
        ));
    }
}
