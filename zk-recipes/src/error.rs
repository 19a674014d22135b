//! [`Error`]: what a recipe call can fail with.
//!
//! Expected outcomes are values, not errors: a lock not acquired within its timeout is
//! `Ok(None)`, a compare-and-set that lost the race is `Ok(false)`. Errors are for what the
//! caller must react to: the session ended ([`Error::Client`] with
//! [`zk_client::Error::SessionExpired`]), the recipe's own node vanished under it, or a node
//! holds bytes the recipe cannot read.

/// An error from a recipe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A client call failed (the session expired, the client was closed, a server refusal the
    /// recipe could not handle...).
    #[error(transparent)]
    Client(#[from] zk_client::Error),
    /// The recipe's own node disappeared while the session lived (someone deleted it): the
    /// recipe's state is no longer what it believed.
    #[error("our node {0} disappeared")]
    NodeLost(String),
    /// A node holds data the recipe cannot decode (a counter that is not 4 bytes, a service
    /// instance that is not Curator JSON...).
    #[error("bad data at {path}: {reason}")]
    BadData {
        /// The node.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An argument was rejected before anything was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// The recipe object was closed (or its background task ended) before the call finished.
    #[error("recipe closed")]
    Closed,
}

impl Error {
    /// True when this error means the session is over (expired, closed, auth failed): nothing
    /// the recipe held (locks, leases, leadership, ephemeral nodes) is held any more.
    pub fn is_session_end(&self) -> bool {
        matches!(self, Error::Client(e) if e.is_terminal())
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
