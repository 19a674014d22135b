//! [`ErrorCode`]: the `err` of a reply header (`KeeperException.Code`).

use std::fmt;

use bytes::BufMut;

use crate::jute::{Jute, Reader};
use crate::Result;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:expr, $name:literal; )*) => {
        /// A ZooKeeper result code (`KeeperException.Code`), complete for 3.8/3.9.
        ///
        /// A code this list does not know is kept as [`ErrorCode::Unknown`] and encodes back to
        /// the same integer: a newer server's error never fails decoding.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// A code not defined by ZooKeeper 3.8/3.9, preserved as received.
            Unknown(i32),
        }

        impl ErrorCode {
            /// Every known code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The code for a wire integer.
            pub fn from_code(code: i32) -> Self {
                match code {
                    $( $code => ErrorCode::$variant, )*
                    other => ErrorCode::Unknown(other),
                }
            }

            /// The wire integer.
            pub fn code(self) -> i32 {
                match self {
                    $( ErrorCode::$variant => $code, )*
                    ErrorCode::Unknown(code) => code,
                }
            }

            /// Java's enum constant name, e.g. `NONODE`, as ZooKeeper logs it.
            pub fn name(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $name, )*
                    ErrorCode::Unknown(_) => "UNKNOWN",
                }
            }
        }
    };
}

error_codes! {
    /// Success.
    Ok = 0, "OK";
    /// System and server-side errors (also the base of that range).
    SystemError = -1, "SYSTEMERROR";
    /// A multi sub-op after the one that failed.
    RuntimeInconsistency = -2, "RUNTIMEINCONSISTENCY";
    /// A data inconsistency was found.
    DataInconsistency = -3, "DATAINCONSISTENCY";
    /// Connection to the server was lost (client-side).
    ConnectionLoss = -4, "CONNECTIONLOSS";
    /// The request could not be decoded.
    MarshallingError = -5, "MARSHALLINGERROR";
    /// Unknown operation, or TTL nodes without extended types.
    Unimplemented = -6, "UNIMPLEMENTED";
    /// Operation timed out (client-side).
    OperationTimeout = -7, "OPERATIONTIMEOUT";
    /// Invalid arguments.
    BadArguments = -8, "BADARGUMENTS";
    /// Unknown session (internal).
    UnknownSession = -12, "UNKNOWNSESSION";
    /// No quorum of the new config is connected and up to date with the leader.
    NewConfigNoQuorum = -13, "NEWCONFIGNOQUORUM";
    /// Another reconfiguration is in progress.
    ReconfigInProgress = -14, "RECONFIGINPROGRESS";
    /// API errors (also the base of that range).
    ApiError = -100, "APIERROR";
    /// Node does not exist.
    NoNode = -101, "NONODE";
    /// Not authorized.
    NoAuth = -102, "NOAUTH";
    /// Version conflict.
    BadVersion = -103, "BADVERSION";
    /// Ephemeral nodes may not have children.
    NoChildrenForEphemerals = -108, "NOCHILDRENFOREPHEMERALS";
    /// The node already exists.
    NodeExists = -110, "NODEEXISTS";
    /// The node has children.
    NotEmpty = -111, "NOTEMPTY";
    /// The session has expired.
    SessionExpired = -112, "SESSIONEXPIRED";
    /// Invalid callback (client-side).
    InvalidCallback = -113, "INVALIDCALLBACK";
    /// Invalid ACL.
    InvalidAcl = -114, "INVALIDACL";
    /// Client authentication failed.
    AuthFailed = -115, "AUTHFAILED";
    /// The session moved to another server.
    SessionMoved = -118, "SESSIONMOVED";
    /// A state-changing request was sent to a read-only server.
    NotReadOnly = -119, "NOTREADONLY";
    /// An ephemeral node was requested on a local session.
    EphemeralOnLocalSession = -120, "EPHEMERALONLOCALSESSION";
    /// The watch to check or remove does not exist.
    NoWatcher = -121, "NOWATCHER";
    /// The request timed out (client-side).
    RequestTimeout = -122, "REQUESTTIMEOUT";
    /// Dynamic reconfiguration is disabled.
    ReconfigDisabled = -123, "RECONFIGDISABLED";
    /// The session was closed because it requires SASL authentication.
    SessionClosedRequireSaslAuth = -124, "SESSIONCLOSEDREQUIRESASLAUTH";
    /// A hard quota was exceeded.
    QuotaExceeded = -125, "QUOTAEXCEEDED";
    /// The request was throttled.
    ThrottledOp = -127, "THROTTLEDOP";
}

impl ErrorCode {
    /// True for [`ErrorCode::Ok`].
    pub fn is_ok(self) -> bool {
        self == ErrorCode::Ok
    }
}

impl From<i32> for ErrorCode {
    fn from(code: i32) -> Self {
        ErrorCode::from_code(code)
    }
}

impl From<ErrorCode> for i32 {
    fn from(code: ErrorCode) -> i32 {
        code.code()
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

impl Jute for ErrorCode {
    const MIN_BYTES: usize = 4;
    fn write<B: BufMut>(&self, out: &mut B) {
        out.put_i32(self.code());
    }
    fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
        r.read_i32(field).map(ErrorCode::from_code)
    }
}

#[cfg(any(test, feature = "arbitrary"))]
impl crate::jute::arbitrary::ArbitraryJute for ErrorCode {
    fn arbitrary_jute(g: &mut quickcheck::Gen) -> Self {
        ErrorCode::from_code(<i32 as quickcheck::Arbitrary>::arbitrary(g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_round_trip() {
        for code in [-9, -126, 7, i32::MIN, i32::MAX] {
            assert_eq!(ErrorCode::from_code(code), ErrorCode::Unknown(code));
            assert_eq!(ErrorCode::from_code(code).code(), code);
        }
        for known in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(known.code()), *known);
        }
    }
}
