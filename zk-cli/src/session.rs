//! [`Session`]: the shell's connection — a client rooted at `/` (for `config`, which reads
//! `/zookeeper/config` outside any chroot, as Java's `getConfig` does) and a view of the same
//! session under the connect string's chroot (for everything else).

use std::sync::Mutex;
use std::time::Duration;

use zk_client::{Client, ClientBuilder, ConnectString, SessionEvents, SessionState};

use crate::error::CliError;

/// How to connect: zkCli's `-timeout` and `-r`.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The session timeout to ask for (zkCli's `-timeout`, default 30000 ms); also the time
    /// allowed for the first connection.
    pub timeout: Duration,
    /// Accept a read-only server (`-r`).
    pub read_only: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            timeout: Duration::from_millis(30_000),
            read_only: false,
        }
    }
}

/// A live (or closed) session.
#[derive(Debug)]
pub struct Session {
    /// The connect string as given (shown in the prompt).
    pub connect_string: String,
    /// The hosts of the connect string.
    pub hosts: Vec<(String, u16)>,
    /// The session without chroot.
    pub root: Client,
    /// The session under the chroot (the same as `root` without one).
    pub client: Client,
    /// Session transitions, printed as `WATCHER::` blocks (`None` once the stream ended).
    pub events: Option<SessionEvents>,
    /// The credentials added with `addauth`, re-sent on the raw sessions of `reconfig`.
    pub auths: Mutex<Vec<(String, Vec<u8>)>>,
}

impl Session {
    /// Connects to `connect_string` (`host:port[,host:port][/chroot]`), waiting at most the
    /// session timeout for the first connection.
    pub async fn open(connect_string: &str, options: &ConnectOptions) -> Result<Session, CliError> {
        let parsed =
            ConnectString::parse(connect_string).map_err(|e| CliError::Keeper(e.to_string()))?;
        let hosts_part = connect_string
            .split_once('/')
            .map_or(connect_string, |(h, _)| h);
        let builder = ClientBuilder::new(hosts_part)
            .with_session_timeout(options.timeout)
            .with_read_only(options.read_only);
        let root = match tokio::time::timeout(options.timeout, builder.connect()).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => return Err(CliError::Keeper(e.to_string())),
            Err(_) => {
                return Err(CliError::Keeper(
                    "KeeperErrorCode = ConnectionLoss".to_owned(),
                ))
            }
        };
        let client = if parsed.chroot.is_empty() {
            root.clone()
        } else {
            root.chroot(&parsed.chroot)
                .map_err(|e| CliError::Keeper(e.to_string()))?
        };
        let events = Some(root.session_events());
        Ok(Session {
            connect_string: connect_string.to_owned(),
            hosts: parsed.hosts,
            root,
            client,
            events,
            auths: Mutex::new(Vec::new()),
        })
    }

    /// True while the session can serve requests (Java's `States.isAlive`): not closed,
    /// expired or refused.
    pub fn is_alive(&self) -> bool {
        !self.client.state().is_terminal()
    }

    /// The state as Java's `ZooKeeper.States` names it, for the prompt.
    pub fn state_name(&self) -> &'static str {
        state_name(self.client.state())
    }
}

/// Java's `ZooKeeper.States` name of a session state.
pub fn state_name(state: SessionState) -> &'static str {
    match state {
        SessionState::Connecting | SessionState::Disconnected => "CONNECTING",
        SessionState::Connected => "CONNECTED",
        SessionState::ConnectedReadOnly => "CONNECTEDREADONLY",
        SessionState::AuthFailed => "AUTH_FAILED",
        SessionState::Expired | SessionState::Closed => "CLOSED",
    }
}
