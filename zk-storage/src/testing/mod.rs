//! Test support: a fault-injecting file system and the [`TxnLog`](crate::TxnLog) conformance
//! suite. Compiled for this crate's tests and, for other crates, with the `testing` feature.
//!
//! - [`FaultyFs`]: an in-memory [`FileSystem`](crate::FileSystem) that separates cached from
//!   durable bytes and injects torn writes, short writes, fsync failures, ENOSPC, bit flips and
//!   crashes.
//! - [`conformance`]: tests every `TxnLog` implementation must pass, instantiated with
//!   [`txn_log_conformance_tests!`](crate::txn_log_conformance_tests), and the crash-recovery
//!   property check.

pub mod conformance;
mod faulty_fs;

pub use faulty_fs::FaultyFs;
