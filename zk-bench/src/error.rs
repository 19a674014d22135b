//! The crate's one error type.

/// Why a benchmark could not run (a failed request during a run is counted, not an error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Connecting or setting up the benchmark's znodes failed.
    #[error("zookeeper: {0}")]
    Client(#[from] zk_client::Error),
    /// Reading or writing a results file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying failure.
        source: std::io::Error,
    },
    /// A results file is not the JSON `zk-bench` writes.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: String,
        /// The parse failure.
        source: serde_json::Error,
    },
    /// Drawing the plot failed.
    #[error("plot: {0}")]
    Plot(String),
    /// A command-line value is out of range.
    #[error("invalid argument: {0}")]
    Invalid(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
