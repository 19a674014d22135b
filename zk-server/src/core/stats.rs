//! [`ServerStats`]: the counters behind `srvr`, `stat` and `mntr`.

pub use super::connection::Latency;

/// Server-wide request counters (Apache's `ServerStats`), reset by `srst`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerStats {
    /// Packets received from clients (handshakes and pings included).
    pub packets_received: u64,
    /// Packets sent to clients (notifications included).
    pub packets_sent: u64,
    /// Latency of answered requests, from receipt to reply.
    pub latency: Latency,
}
