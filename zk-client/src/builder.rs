//! [`ClientBuilder`]: how to connect — session timeout, connection timeout, credentials,
//! read-only mode, failing eagerly, host order.
//!
//! ```no_run
//! use std::time::Duration;
//! use zk_client::ClientBuilder;
//!
//! # async fn example() -> zk_client::Result<()> {
//! let client = ClientBuilder::new("zk1:2181,zk2:2181,zk3:2181/app")
//!     .with_session_timeout(Duration::from_secs(10))
//!     .with_auth("digest", b"alice:secret")
//!     .with_fail_eagerly(true)
//!     .connect()
//!     .await?;
//! # Ok(()) }
//! ```

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use zk_proto::frame::DEFAULT_MAX_FRAME_BYTES;
use zk_proto::SessionId;

use crate::actor::Actor;
use crate::chroot::Chroot;
use crate::client::{Client, Shared};
use crate::connect_string::ConnectString;
use crate::error::{Error, Result};
use crate::state::StateHub;

/// Options for a new session. Cheap to clone; [`Client::reconnect_new_session`] reuses the
/// builder a client was made with.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    pub(crate) connect_string: String,
    pub(crate) session_timeout: Duration,
    pub(crate) connection_timeout: Option<Duration>,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) auths: Vec<(String, Bytes)>,
    pub(crate) read_only: bool,
    pub(crate) fail_eagerly: bool,
    pub(crate) randomize_hosts: bool,
    pub(crate) max_frame_bytes: usize,
    pub(crate) resume: Option<(SessionId, Bytes)>,
}

impl ClientBuilder {
    /// The default requested session timeout. The server clamps it to its
    /// `[minSessionTimeout, maxSessionTimeout]` (4 s to 40 s with tickTime 2000).
    pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(30);

    /// A builder for `connect_string` (`host1:2181,host2:2181/optional/chroot`; see
    /// [`ConnectString`]). Parsed by [`ClientBuilder::connect`].
    pub fn new(connect_string: impl Into<String>) -> Self {
        ClientBuilder {
            connect_string: connect_string.into(),
            session_timeout: Self::DEFAULT_SESSION_TIMEOUT,
            connection_timeout: None,
            request_timeout: None,
            auths: Vec::new(),
            read_only: false,
            fail_eagerly: false,
            randomize_hosts: true,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            resume: None,
        }
    }

    /// The session timeout to ask for. The negotiated value
    /// ([`Client::session_timeout`]) sets the client's timers as in the Java client: read
    /// timeout 2/3 of it, a ping after 1/3 of it of silence, and local expiry when no server
    /// has been heard from for the whole timeout.
    pub fn with_session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    /// The time allowed for one connection attempt to one host (TCP connect plus handshake).
    /// Default: the session timeout divided by the number of hosts, as Java and kazoo do.
    pub fn with_connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = Some(timeout);
        self
    }

    /// Fails a call with [`Error::Timeout`] when its reply takes longer than `timeout`
    /// (default: no limit; calls fail only when the connection or session does). The request
    /// may still be applied.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Adds credentials (`scheme`, `auth`), e.g. `("digest", b"user:password")`. They are
    /// sent after every handshake, before any other request, so a reconnected session keeps
    /// its identity.
    pub fn with_auth(mut self, scheme: impl Into<String>, auth: impl AsRef<[u8]>) -> Self {
        self.auths
            .push((scheme.into(), Bytes::copy_from_slice(auth.as_ref())));
        self
    }

    /// Accept read-only servers (partitioned servers with `readonlymode.enabled`): the
    /// session state is then [`ConnectedReadOnly`](crate::SessionState::ConnectedReadOnly) and
    /// writes fail with NOTREADONLY. Default: false.
    pub fn with_read_only(mut self, allowed: bool) -> Self {
        self.read_only = allowed;
        self
    }

    /// Make [`ClientBuilder::connect`] fail with [`Error::NoHostReachable`] once every host
    /// has been tried once without success. Default: false, keep trying until a host
    /// answers (bound it with `tokio::time::timeout` if needed).
    pub fn with_fail_eagerly(mut self, fail_eagerly: bool) -> Self {
        self.fail_eagerly = fail_eagerly;
        self
    }

    /// Try hosts in a random order (default: true), so that clients spread over an
    /// ensemble. With false, hosts are tried in the order given.
    pub fn with_randomized_hosts(mut self, randomize: bool) -> Self {
        self.randomize_hosts = randomize;
        self
    }

    /// The largest reply frame accepted (`jute.maxbuffer`, default 1,048,575 bytes). Raise it
    /// to read nodes with child lists over 1 MB from a server configured to send them.
    pub fn with_max_frame_bytes(mut self, bytes: usize) -> Self {
        self.max_frame_bytes = bytes;
        self
    }

    /// Resume an existing session (its id and password, from [`Client::session_id`] and
    /// [`Client::session_password`]) instead of creating one. The server answers an expired
    /// session with [`Error::SessionExpired`].
    pub fn with_session(mut self, id: SessionId, password: impl Into<Bytes>) -> Self {
        self.resume = Some((id, password.into()));
        self
    }

    /// Connects: resolves when the session is established (the first handshake succeeded).
    /// Must run inside a tokio runtime, which then hosts the session's task: the session ends
    /// with that runtime.
    pub async fn connect(&self) -> Result<Client> {
        let parsed = ConnectString::parse(&self.connect_string)?;
        let chroot = Chroot::new(&parsed.chroot)?;
        let mut hosts = parsed.hosts;
        if self.randomize_hosts {
            shuffle(&mut hosts);
        }
        let hub = StateHub::new();
        let (commands, receiver) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let actor = Actor::new(self.clone(), hosts, hub.clone(), receiver);
        tokio::spawn(actor.run(ready_tx));
        let client = Client {
            shared: Arc::new(Shared {
                commands,
                hub,
                next_watcher_id: AtomicU64::new(1),
                builder: self.clone(),
            }),
            chroot,
        };
        match ready_rx.await {
            Ok(Ok(())) => Ok(client),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(Error::Closed),
        }
    }
}

/// Fisher-Yates with the standard library's randomly keyed hasher as the random source: host
/// order needs to differ between processes, not to be unpredictable.
fn shuffle<T>(items: &mut [T]) {
    let state = RandomState::new();
    for i in (1..items.len()).rev() {
        let mut hasher = state.build_hasher();
        hasher.write_usize(i);
        let j = (hasher.finish() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_keeps_every_host() {
        let mut hosts: Vec<u32> = (0..20).collect();
        shuffle(&mut hosts);
        hosts.sort_unstable();
        assert_eq!(hosts, (0..20).collect::<Vec<_>>());
    }
}
