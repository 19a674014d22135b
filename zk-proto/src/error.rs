//! Decoding errors.
//!
//! Every decoder in this crate reads bytes that came from the network or from disk, so every
//! failure is an [`Error`] value naming the field that was being read and the byte offset where
//! it went wrong. Nothing here panics on bad input and nothing allocates more than the input
//! could possibly hold.

/// A decoding error: what was wrong, in which field, at which offset of the record or frame.
///
/// `field` names are `Record.field` (for example `CreateRequest.path`), so a log line points
/// straight at the culprit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input ended before the field was complete.
    #[error(
        "truncated input reading {field} at offset {offset}: need {needed} bytes, {available} left"
    )]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Byte offset of the field in the record.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A length or count prefix was negative (other than -1 for null) or larger than the input.
    #[error("invalid length {len} for {field} at offset {offset}")]
    InvalidLength {
        /// The field being read.
        field: &'static str,
        /// Byte offset of the length prefix.
        offset: usize,
        /// The length that was read.
        len: i64,
    },
    /// A string field was neither UTF-8 nor Java's modified UTF-8 (CESU-8 surrogate pairs).
    #[error("invalid UTF-8 in {field} at offset {offset}")]
    InvalidUtf8 {
        /// The field being read.
        field: &'static str,
        /// Byte offset of the string's first byte.
        offset: usize,
    },
    /// An enumerated field held a value outside its range.
    #[error("invalid value {value} for {field} at offset {offset}")]
    InvalidValue {
        /// The field being read.
        field: &'static str,
        /// Byte offset of the value.
        offset: usize,
        /// The value that was read.
        value: i64,
    },
    /// A request header carried an opcode this protocol does not define. ZooKeeper answers such a
    /// request with `UNIMPLEMENTED` and closes the connection.
    #[error("unknown opcode {0}")]
    UnknownOpCode(i32),
    /// The record is well formed but not allowed here (for example a read op inside a write multi).
    #[error("malformed {record}: {reason}")]
    Malformed {
        /// The record being read.
        record: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A frame's length prefix is negative or above the configured maximum (`jute.maxbuffer`).
    #[error("frame length {len} outside 0..={max} (jute.maxbuffer)")]
    FrameLength {
        /// The length prefix that was read.
        len: i64,
        /// The configured maximum.
        max: usize,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
