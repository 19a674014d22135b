//! A ZooKeeper-compatible server: real ZooKeeper clients (kazoo, Curator, `zkCli.sh`) use it
//! unchanged, and it reads the `zoo.cfg` you already have.
//!
//! This crate is the glue of the workspace. A deterministic core ([`core::ServerCore`]) owns
//! the sessions, the `zk-tree` DataTree and the watches and turns inputs (a handshake, a
//! request, "the log is durable up to zxid Z", a tick) into actions (send this frame, close that
//! connection, append this txn, take a snapshot). A thin tokio shell ([`server::run`]) owns the
//! sockets, a sync thread owns the `zk-storage` log, and both only execute what the core asks.
//! A write is acknowledged only after its txn is fsynced. With `server.N` lines the same core
//! runs beside `zk-zab`'s ZAB peer ([`ensemble::runner::run`]): the leader orders every write,
//! followers and observers forward theirs, and a write is acknowledged once a quorum has it.
//!
//! # Layout
//!
//! - [`server`]: [`server::run`], the shell: accept loop (`maxClientCnxns`, `maxCnxns`), the
//!   core task, the timer, action execution.
//! - [`core`]: [`core::ServerCore`]: handshake and sessions, reads, the write path (prepare →
//!   propose → durable → apply → notify → reply), per-session FIFO ordering.
//! - [`ensemble`]: quorum mode — the task owning the core and the ZAB peer, the election and
//!   quorum networking, and the replica's storage (recovery, log/epoch/snapshot actions).
//! - [`net`]: one task per connection (framing, four-letter words, bounded outbox) and the
//!   `globalOutstandingLimit` throttle.
//! - [`persistence`]: recovery into a DataTree, the group-commit sync thread, snapshots,
//!   retention.
//! - [`session_tracker`]: session ids, Apache-compatible passwords, tick-bucketed expiry.
//! - [`four_letter`]: `ruok`, `srvr`, `mntr`, ... in Apache's formats.
//! - [`config`]: `zoo.cfg` (Java properties syntax), `-D` overrides from `SERVER_JVMFLAGS` /
//!   `JVMFLAGS`, the official Docker image's `ZOO_*` variables, `myid`, the `server.N` grammar
//!   and the standalone-vs-quorum decision. Its documentation is the operator's guide to which
//!   keys are honoured, which are ignored, and how our defaults differ from Apache's.
//! - [`error`]: [`Error`], startup errors that name the key, the value, the file and the line.
//!
//! # Example
//!
//! ```
//! use zk_server::config::{JvmOverrides, ServerConfig, ServerMode};
//!
//! // No zoo.cfg: the embedded default, a standalone server on 127.0.0.1:2181.
//! let config = ServerConfig::default();
//! assert_eq!(config.mode(), ServerMode::Standalone);
//! assert_eq!(config.client_address.as_ref().unwrap().to_string(), "127.0.0.1:2181");
//! assert_eq!((config.min_session_timeout_ms, config.max_session_timeout_ms), (4_000, 40_000));
//!
//! // A zoo.cfg with a typo is refused with the file and line.
//! let err = ServerConfig::parse_str("dataDir=/d\nclientPort=21 81\n", "/etc/zk/zoo.cfg", &JvmOverrides::new())
//!     .unwrap_err();
//! assert!(err.to_string().starts_with("/etc/zk/zoo.cfg:2: invalid value \"21 81\" for clientPort"));
//! ```

pub mod config;
pub mod core;
pub mod ensemble;
pub mod error;
pub mod four_letter;
pub mod net;
pub mod persistence;
mod retention;
pub mod server;
pub mod session_tracker;
mod snapshotter;

pub use config::ServerConfig;
pub use error::{Error, Result};
