//! Errors of the server crate.
//!
//! Configuration errors are startup errors: the server refuses to start and the message tells
//! the operator exactly what to fix — the key, the value, and where it came from (`zoo.cfg:12`,
//! or a `-D` flag in `SERVER_JVMFLAGS`).

use std::path::PathBuf;

use crate::config::Origin;

/// An error of the server crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration file, dynamic configuration file or `myid` file could not be read, or a
    /// file the Docker entrypoint logic writes could not be written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A line of a properties file is not well formed (for example a malformed `\uXXXX` escape).
    #[error("{origin}: {reason}")]
    Syntax {
        /// Where the line is.
        origin: Origin,
        /// What is wrong with it.
        reason: String,
    },
    /// A key has a value that cannot be used: not a number, a bad boolean, a malformed
    /// `server.N` line, a port out of range.
    #[error("{origin}: invalid value {value:?} for {key}: {reason}")]
    InvalidValue {
        /// Where the setting came from.
        origin: Origin,
        /// The key as written (`tickTime`, `server.3`).
        key: String,
        /// The value as written (trimmed).
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The configuration is well formed key by key but does not make sense as a whole (a
    /// required key is missing, `minSessionTimeout` exceeds `maxSessionTimeout`, observers without
    /// participants, a quorum member without a `myid` file).
    #[error("{origin}: {reason}")]
    Inconsistent {
        /// The file (line 0) or the setting most responsible.
        origin: Origin,
        /// What is inconsistent and how to fix it.
        reason: String,
    },
    /// The data directory could not be read or written.
    #[error("storage: {0}")]
    Storage(#[from] zk_storage::Error),
    /// A quorum or election listener could not be bound (port in use, address not local).
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The `myid` file exists but does not hold a server id.
    #[error("{}: invalid server id {content:?}: {reason}", path.display())]
    MyId {
        /// The `myid` file.
        path: PathBuf,
        /// Its first line, trimmed.
        content: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Quorum mode cannot start or continue: an ensemble that does not make sense to ZAB, a
    /// replication state on disk it refuses (a txn log above the snapshot with a hole, a
    /// proposal whose txn names another zxid), or a committed txn this server cannot apply.
    #[error("replication: {0}")]
    Replication(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
