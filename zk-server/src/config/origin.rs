//! Where a setting came from, and the warnings the parser collects.

use std::fmt;
use std::path::PathBuf;

/// Where a setting came from. Every error and warning names one, so an operator can go straight
/// to the line to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of a configuration file (`zoo.cfg` or the dynamic configuration file). Line 0
    /// means the file as a whole (for a key that is missing, for example).
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line number where the logical line starts; 0 for the whole file.
        line: usize,
    },
    /// A `-D<name>=<value>` flag in an environment variable (`SERVER_JVMFLAGS` or `JVMFLAGS`).
    JvmFlag {
        /// The environment variable that held the flag.
        variable: String,
        /// The property name as written after `-D` (`zookeeper.snapCount`, `jute.maxbuffer`).
        property: String,
    },
    /// The built-in embedded configuration ([`ServerConfig::default`](super::ServerConfig)).
    Default,
}

impl Origin {
    /// A line of `path`.
    pub fn line(path: impl Into<PathBuf>, line: usize) -> Self {
        Origin::File {
            path: path.into(),
            line,
        }
    }

    /// The file `path` as a whole.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Origin::File {
            path: path.into(),
            line: 0,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line: 0 } => write!(f, "{}", path.display()),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::JvmFlag { variable, property } => write!(f, "-D{property} in ${variable}"),
            Origin::Default => f.write_str("built-in default"),
        }
    }
}

/// A configuration problem that does not stop the server: an unknown key, a key only the JVM
/// understands, a feature that is parsed but not implemented, a value that was clamped.
///
/// The parser collects warnings instead of logging them, so that parsing stays a pure function
/// and tests can assert on them; [`ServerConfig::log_warnings`](super::ServerConfig::log_warnings)
/// logs each one once at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// Where the setting came from.
    pub origin: Origin,
    /// The key (or `-D` property) the warning is about.
    pub key: String,
    /// What happened and what the operator may want to do.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.origin, self.key, self.message)
    }
}
