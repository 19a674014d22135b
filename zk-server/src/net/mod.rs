//! The network side of the shell: one task per client connection.

pub mod connection;
pub mod throttle;
