//! [`Error`]: everything a client call can fail with, and the classifiers that tell a caller
//! what to do about it.
//!
//! Two families share the enum:
//!
//! - **server result codes** (`KeeperException.Code`): [`Error::NoNode`], [`Error::NodeExists`],
//!   [`Error::BadVersion`], ... The request reached the server and was refused; retrying the
//!   same request gives the same answer.
//! - **connection-level errors**: [`Error::ConnectionLoss`] (the connection dropped with the
//!   request in flight: it may or may not have been applied), [`Error::SessionExpired`],
//!   [`Error::Timeout`], [`Error::Closed`], [`Error::AuthFailed`], [`Error::Protocol`].
//!
//! ```
//! use zk_client::Error;
//! use zk_proto::ErrorCode;
//!
//! let err = Error::from(ErrorCode::NoNode);
//! assert_eq!(err, Error::NoNode);
//! assert_eq!(err.code(), Some(ErrorCode::NoNode));
//! assert!(!err.is_retryable());
//! assert!(Error::ConnectionLoss.is_retryable() && Error::ConnectionLoss.is_outcome_unknown());
//! assert!(Error::SessionExpired.is_terminal());
//! ```

use zk_proto::path::PathError;
use zk_proto::ErrorCode;

use crate::multi::MultiError;

/// An error from a client call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// NONODE (-101): the node does not exist.
    #[error("no node")]
    NoNode,
    /// NODEEXISTS (-110): the node already exists.
    #[error("node exists")]
    NodeExists,
    /// BADVERSION (-103): the expected version did not match.
    #[error("bad version")]
    BadVersion,
    /// NOTEMPTY (-111): the node has children.
    #[error("node not empty")]
    NotEmpty,
    /// NOAUTH (-102): the session lacks the permission.
    #[error("not authorized")]
    NoAuth,
    /// NOCHILDRENFOREPHEMERALS (-108): ephemeral nodes cannot have children.
    #[error("ephemeral nodes may not have children")]
    NoChildrenForEphemerals,
    /// INVALIDACL (-114): the ACL is empty or names an unusable id.
    #[error("invalid ACL")]
    InvalidAcl,
    /// BADARGUMENTS (-8): the server rejected an argument (e.g. a TTL out of range).
    #[error("bad arguments")]
    BadArguments,
    /// UNIMPLEMENTED (-6): the server does not know the operation (or TTL nodes are disabled).
    #[error("unimplemented")]
    Unimplemented,
    /// NOTREADONLY (-119): a write sent to a read-only server.
    #[error("server is read-only")]
    NotReadOnly,
    /// NOWATCHER (-121): checkWatches/removeWatches found no such watch.
    #[error("no watcher")]
    NoWatcher,
    /// SESSIONMOVED (-118): the session is now served by another server.
    #[error("session moved")]
    SessionMoved,
    /// QUOTAEXCEEDED (-125): a hard quota was exceeded.
    #[error("quota exceeded")]
    QuotaExceeded,
    /// THROTTLEDOP (-127): the server dropped the request under load.
    #[error("request throttled")]
    Throttled,
    /// Any other server result code (MARSHALLINGERROR, SYSTEMERROR, RUNTIMEINCONSISTENCY, ...).
    #[error("server error {0}")]
    Server(ErrorCode),

    /// A multi failed: nothing was applied. Carries every per-op result code.
    #[error("{0}")]
    Multi(MultiError),

    /// The connection dropped while the request was in flight. The request may or may not have
    /// been applied; the session survives if the client reconnects in time.
    #[error("connection loss")]
    ConnectionLoss,
    /// The session expired: its ephemerals are gone and every later call fails. Start a new
    /// session with [`Client::reconnect_new_session`](crate::Client::reconnect_new_session).
    #[error("session expired")]
    SessionExpired,
    /// The request or the connection attempt did not finish in time.
    #[error("timed out")]
    Timeout,
    /// The client was closed (by [`Client::close`](crate::Client::close) or by dropping every
    /// handle).
    #[error("client closed")]
    Closed,
    /// The server refused the session's credentials (AUTHFAILED); the session is unusable.
    #[error("authentication failed")]
    AuthFailed,
    /// No host of the connect string could be reached (only with
    /// [`ClientBuilder::with_fail_eagerly`](crate::ClientBuilder::with_fail_eagerly)).
    #[error("no host reachable: {0}")]
    NoHostReachable(String),
    /// The server sent bytes this client cannot decode, or replies out of order. The
    /// connection is dropped and re-established.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A path argument is not a valid znode path (checked before sending, as Java does).
    #[error(transparent)]
    InvalidPath(#[from] PathError),
    /// The connect string could not be parsed.
    #[error("invalid connect string: {0}")]
    InvalidConnectString(String),
    /// An argument was rejected before sending (e.g. a TTL on a non-TTL create mode).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
}

impl Error {
    /// The server result code this error stands for, if it is one. Connection-level errors map
    /// to the client-side codes Java uses (CONNECTIONLOSS, SESSIONEXPIRED, OPERATIONTIMEOUT,
    /// AUTHFAILED); a failed multi maps to its first failing op's code.
    pub fn code(&self) -> Option<ErrorCode> {
        Some(match self {
            Error::NoNode => ErrorCode::NoNode,
            Error::NodeExists => ErrorCode::NodeExists,
            Error::BadVersion => ErrorCode::BadVersion,
            Error::NotEmpty => ErrorCode::NotEmpty,
            Error::NoAuth => ErrorCode::NoAuth,
            Error::NoChildrenForEphemerals => ErrorCode::NoChildrenForEphemerals,
            Error::InvalidAcl => ErrorCode::InvalidAcl,
            Error::BadArguments => ErrorCode::BadArguments,
            Error::Unimplemented => ErrorCode::Unimplemented,
            Error::NotReadOnly => ErrorCode::NotReadOnly,
            Error::NoWatcher => ErrorCode::NoWatcher,
            Error::SessionMoved => ErrorCode::SessionMoved,
            Error::QuotaExceeded => ErrorCode::QuotaExceeded,
            Error::Throttled => ErrorCode::ThrottledOp,
            Error::Server(code) => *code,
            Error::Multi(multi) => multi.code,
            Error::ConnectionLoss => ErrorCode::ConnectionLoss,
            Error::SessionExpired => ErrorCode::SessionExpired,
            Error::Timeout => ErrorCode::OperationTimeout,
            Error::AuthFailed => ErrorCode::AuthFailed,
            Error::Closed
            | Error::NoHostReachable(_)
            | Error::Protocol(_)
            | Error::InvalidPath(_)
            | Error::InvalidConnectString(_)
            | Error::InvalidArgument(_) => return None,
        })
    }

    /// True when retrying the same call may succeed: the connection dropped or timed out
    /// (the session is still alive), the session moved, or the server throttled the request.
    ///
    /// Retrying a non-idempotent write after [`Error::ConnectionLoss`] may apply it twice:
    /// see [`Error::is_outcome_unknown`].
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::ConnectionLoss | Error::Timeout | Error::SessionMoved | Error::Throttled
        )
    }

    /// True when the request may or may not have been applied (the reply was lost).
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::ConnectionLoss | Error::Timeout)
    }

    /// True when this client's session is over: every later call fails the same way.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Error::SessionExpired | Error::Closed | Error::AuthFailed
        )
    }

    /// True for [`Error::SessionExpired`]: ephemerals are gone, locks and leadership are lost.
    pub fn is_session_expired(&self) -> bool {
        matches!(self, Error::SessionExpired)
    }

    /// True for errors about the connection or session rather than about the request.
    pub fn is_connection_error(&self) -> bool {
        matches!(
            self,
            Error::ConnectionLoss
                | Error::SessionExpired
                | Error::Timeout
                | Error::Closed
                | Error::AuthFailed
                | Error::NoHostReachable(_)
                | Error::Protocol(_)
        )
    }
}

impl From<ErrorCode> for Error {
    /// The error for a non-OK server result code. `ErrorCode::Ok` is a caller bug and maps to
    /// `Server(Ok)` rather than panicking.
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::NoNode => Error::NoNode,
            ErrorCode::NodeExists => Error::NodeExists,
            ErrorCode::BadVersion => Error::BadVersion,
            ErrorCode::NotEmpty => Error::NotEmpty,
            ErrorCode::NoAuth => Error::NoAuth,
            ErrorCode::NoChildrenForEphemerals => Error::NoChildrenForEphemerals,
            ErrorCode::InvalidAcl => Error::InvalidAcl,
            ErrorCode::BadArguments => Error::BadArguments,
            ErrorCode::Unimplemented => Error::Unimplemented,
            ErrorCode::NotReadOnly => Error::NotReadOnly,
            ErrorCode::NoWatcher => Error::NoWatcher,
            ErrorCode::SessionMoved => Error::SessionMoved,
            ErrorCode::QuotaExceeded => Error::QuotaExceeded,
            ErrorCode::ThrottledOp => Error::Throttled,
            ErrorCode::ConnectionLoss => Error::ConnectionLoss,
            ErrorCode::SessionExpired => Error::SessionExpired,
            ErrorCode::OperationTimeout | ErrorCode::RequestTimeout => Error::Timeout,
            ErrorCode::AuthFailed => Error::AuthFailed,
            other => Error::Server(other),
        }
    }
}

impl From<zk_proto::Error> for Error {
    fn from(err: zk_proto::Error) -> Self {
        Error::Protocol(err.to_string())
    }
}

impl From<MultiError> for Error {
    fn from(err: MultiError) -> Self {
        Error::Multi(err)
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_code_round_trips_through_the_error() {
        for &code in ErrorCode::ALL {
            if code == ErrorCode::Ok {
                continue;
            }
            assert_eq!(Error::from(code).code(), Some(normalize(code)), "{code}");
        }
    }

    /// REQUESTTIMEOUT and OPERATIONTIMEOUT are both `Timeout`.
    fn normalize(code: ErrorCode) -> ErrorCode {
        match code {
            ErrorCode::RequestTimeout => ErrorCode::OperationTimeout,
            other => other,
        }
    }

    #[test]
    fn classifiers_separate_retryable_from_terminal() {
        assert!(Error::ConnectionLoss.is_retryable());
        assert!(!Error::ConnectionLoss.is_terminal());
        assert!(!Error::SessionExpired.is_retryable());
        assert!(Error::SessionExpired.is_terminal() && Error::SessionExpired.is_session_expired());
        assert!(Error::Closed.is_terminal() && Error::AuthFailed.is_terminal());
        assert!(!Error::NoNode.is_connection_error() && !Error::NoNode.is_retryable());
        assert!(Error::Throttled.is_retryable() && !Error::Throttled.is_outcome_unknown());
    }
}
