//! [`CliError`]: why a command failed, worded as Apache's zkCli words it.

use zk_client::Error as ClientError;

use crate::format::code_message;

/// A failed command. Its `Display` is the line zkCli prints (on stderr).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage: the usage string, or a commons-cli or argument complaint.
    #[error("{0}")]
    Usage(String),
    /// An unknown command (`Command not found: Command not found x`, exit code 127).
    #[error("Command not found: Command not found {0}")]
    CommandNotFound(String),
    /// A server or connection error, in `CliWrapperException`'s words.
    #[error("{0}")]
    Keeper(String),
    /// No live session (`Not connected`).
    #[error("Not connected")]
    NotConnected,
    /// The failure was already reported (as zkCli does for some commands, on stderr or
    /// stdout); only the exit status is left to set.
    #[error("")]
    Reported,
    /// A command run by `lock`, `elect` or `watch` exited with this status, which becomes
    /// the shell's.
    #[error("")]
    Exit(i32),
    /// A local file could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl CliError {
    /// The error for a client error on `path`, exactly as `CliWrapperException.getMessage`
    /// words it: special sentences for the common codes, else `KeeperErrorCode = ... for path`.
    pub fn keeper(err: &ClientError, path: &str) -> CliError {
        if let ClientError::InvalidPath(e) = err {
            return CliError::Usage(path_error_message(e));
        }
        let Some(code) = err.code() else {
            return CliError::Keeper(err.to_string());
        };
        use zk_proto::ErrorCode as C;
        let message = match code {
            C::NoNode => format!("Node does not exist: {path}"),
            C::NoChildrenForEphemerals => format!("Ephemerals cannot have children: {path}"),
            C::NodeExists => format!("Node already exists: {path}"),
            C::NotEmpty => format!("Node not empty: {path}"),
            C::NotReadOnly => format!("Not a read-only call: {path}"),
            C::InvalidAcl => format!("Acl is not valid : {path}"),
            C::NoAuth => format!("Insufficient permission : {path}"),
            C::BadArguments => format!("Arguments are not valid : {path}"),
            C::BadVersion => format!("version No is not valid : {path}"),
            C::ReconfigInProgress => {
                "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)"
                    .to_owned()
            }
            C::NewConfigNoQuorum => "No quorum of new config is connected and up-to-date with \
                the leader of last commmitted config - try invoking reconfiguration after new \
                servers are connected and synced"
                .to_owned(),
            C::QuotaExceeded => format!("Quota has exceeded : {path}"),
            other => keeper_exception_message(other, Some(path)),
        };
        CliError::Keeper(message)
    }

    /// The exit status for this error: 127 for an unknown command (as zkCli), else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::CommandNotFound(_) => 127,
            CliError::Exit(code) => *code,
            _ => 1,
        }
    }
}

/// `KeeperException.getMessage()`: `KeeperErrorCode = NoNode for /a`.
pub fn keeper_exception_message(code: zk_proto::ErrorCode, path: Option<&str>) -> String {
    match path {
        Some(path) if !path.is_empty() => {
            format!("KeeperErrorCode = {} for {path}", code_message(code))
        }
        _ => format!("KeeperErrorCode = {}", code_message(code)),
    }
}

/// Java's `PathUtils.validatePath` messages: the three simple checks have no
/// `Invalid path string` prefix.
pub fn path_error_message(err: &zk_proto::path::PathError) -> String {
    if err.reason.starts_with("Path ") {
        err.reason.clone()
    } else {
        err.to_string()
    }
}
