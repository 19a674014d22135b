//! A ZooKeeper-compatible server: real ZooKeeper clients (kazoo, Curator, `zkCli.sh`) use it
//! unchanged, and it reads the `zoo.cfg` you already have.
//!
//! This crate is the tokio glue of the workspace: configuration, listeners, sessions and the
//! core loop that drives `zk-tree` and `zk-storage`. So far it holds the configuration layer.
//!
//! # Layout
//!
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
pub mod error;
pub mod four_letter;
pub mod net;
pub mod persistence;
pub mod server;
pub mod session_tracker;

pub use config::ServerConfig;
pub use error::{Error, Result};
