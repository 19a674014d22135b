//! Errors of the tree layer.

/// An error of the tree layer. ZooKeeper outcomes such as `NONODE` are not errors here: they
/// are result codes returned as values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A transaction or snapshot could not be decoded.
    #[error(transparent)]
    Decode(#[from] zk_proto::Error),
    /// Snapshot records that do not describe a tree (see [`crate::snapshot`]).
    #[error("invalid snapshot at node \"{path}\": {reason}")]
    InvalidSnapshot {
        /// The record's path (or ACL id) where the problem was found.
        path: String,
        /// What was wrong.
        reason: &'static str,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
