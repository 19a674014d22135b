//! Quorum networking: the election and quorum listeners and connections of one ensemble
//! member, as a tokio layer under zk-zab's sans-IO [`zk_zab::Peer`].
//!
//! The core never touches a socket: it emits [`zk_zab::Action::Send`], `Connect` and
//! `Disconnect`, which the server executes with [`QuorumNet::send`] (or [`QuorumNet::queue`]
//! and, once per batch of actions, [`QuorumNet::flush`]), [`QuorumNet::connect`] and
//! [`QuorumNet::disconnect`], and it receives what peers say as [`NetEvent`]s from the
//! channel [`QuorumNet::start`] returns. None of these calls blocks: every connection has a
//! bounded queue, and a learner that cannot keep up with its queue is dropped (it re-syncs).
//!
//! Two TCP ports per server, framed differently (see [`zk_proto::quorum`]):
//!
//! - **election port** (Apache's `QuorumCnxManager`): the connecting side sends an
//!   [`InitialMessage`](zk_proto::quorum::InitialMessage) naming itself, then
//!   int-length-prefixed FLE notifications. Every server keeps one *outbound* connection per
//!   peer, opened on demand and re-opened after a failure, for what it sends, and reads what
//!   peers send on the connections they opened to it. A notification that cannot be delivered
//!   right now is dropped: FLE re-sends.
//! - **quorum port** (Apache's `Learner` / `LearnerHandler`): a learner connects to its leader;
//!   [`QuorumPacket`](zk_proto::quorum::QuorumPacket)s follow back to back with no length
//!   prefix. The leader learns who connected from the first packet (FOLLOWERINFO or
//!   OBSERVERINFO carry a `LearnerInfo`). A SNAP packet is followed by the snapshot *sync body*
//!   and the jute string `"BenWasHere"`, exactly as `LearnerHandler` writes them.
//!
//! # Layout
//!
//! - this file: [`QuorumNet`], [`NetEvent`], [`PeerAddrs`], [`NetSettings`], and the state the
//!   tasks share (the table of quorum connections, with their generations).
//! - `quorum` — one quorum connection: opening (learner) or identifying (leader), the reader
//!   with SNAP handling, the coalescing writer.
//! - `snap` — reading a SNAP's sync body off the stream (a blocking
//!   [`SnapshotReader`](zk_storage::snapshot::SnapshotReader) over a bridge to the socket).
//! - `election` — the election listener and the per-peer outbound senders.
//!
//! # Connection lifetimes
//!
//! Each quorum connection gets a fresh *generation*. The connection's task removes its own
//! entry from the table when the socket fails and only then reports
//! [`NetEvent::Disconnected`]; a connection that was replaced (the learner reconnected) or
//! closed on request ([`QuorumNet::disconnect`]) finds its entry gone or newer and ends
//! silently, and never delivers another message. Dropping the [`QuorumNet`] stops every task.
//!
//! # Differences from Apache ZooKeeper
//!
//! - Apache keeps one election connection per pair of servers (the higher sid's wins, and a
//!   connection from a lower sid is closed and dialled back). Here each side sends on the
//!   connection it opened and only reads from the ones it accepted; an Apache peer would
//!   tear down our connections from a lower sid, so mixed ensembles are not supported.
//! - Our FLE notifications carry an empty dynamic-configuration string.
//! - No quorum SASL, no multi-address (`|`-separated) server addresses, no reconfig.
//! - The leader identifies learners only by the server id their first packet claims, as
//!   Apache does without quorum authentication; ids not in the configuration are refused.
//!
//! # Example
//!
//! ```
//! use std::collections::BTreeMap;
//! use zk_server::ensemble::net::{NetEvent, NetSettings, PeerAddrs, QuorumNet};
//! use zk_zab::{Message, ServerId};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! // A leader (1) and a learner (2) on loopback, on ports the OS picks.
//! let mut listeners = Vec::new();
//! let mut peers = BTreeMap::new();
//! for id in [1, 2] {
//!     let quorum = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let election = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addrs = PeerAddrs { quorum: quorum.local_addr().unwrap(),
//!                             election: election.local_addr().unwrap() };
//!     peers.insert(ServerId(id), addrs);
//!     listeners.push((ServerId(id), quorum, election));
//! }
//! let mut nets = Vec::new();
//! for (id, quorum, election) in listeners {
//!     nets.push(QuorumNet::start_with_listeners(id, peers.clone(), NetSettings::default(),
//!                                               quorum, election));
//! }
//! let (mut learner, _learner_events) = nets.pop().unwrap();
//! let (_leader, mut leader_events) = nets.pop().unwrap();
//!
//! learner.connect(ServerId(1));
//! learner.send(ServerId(1), Message::FollowerInfo { accepted_epoch: zk_proto::Epoch(0) });
//! match leader_events.recv().await.unwrap() {
//!     NetEvent::Message { from, msg } => {
//!         assert_eq!(from, ServerId(2));
//!         assert_eq!(msg.name(), "FOLLOWERINFO");
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! # }
//! ```

mod election;
mod quorum;
mod snap;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot, watch};
use zk_zab::{Message, ServerId};

use crate::error::{Error, Result};

/// Messages queued on one quorum connection before the learner is considered too slow and
/// dropped (Apache's `LearnerHandler` queue is unbounded; a bound keeps memory in check).
pub const QUORUM_QUEUE_MESSAGES: usize = 100_000;
/// Notifications queued for one peer's election connection; beyond this they are dropped.
pub const ELECTION_QUEUE_MESSAGES: usize = 1_024;
/// Events queued for the core before the connection readers wait (backpressure).
pub const EVENT_QUEUE: usize = 16 * 1024;

/// Where a peer listens (the `host:quorumPort:electionPort` of its `server.N` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddrs {
    /// The quorum (ZAB) port: learners connect to the leader here.
    pub quorum: SocketAddr,
    /// The election (FLE) port.
    pub election: SocketAddr,
}

/// What the network tells the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// A decoded message from `from` (election or quorum port).
    Message {
        /// The sender.
        from: ServerId,
        /// The message.
        msg: Message,
    },
    /// The quorum connection with `peer` closed, failed, or could not be opened. Never sent
    /// for a connection closed with [`QuorumNet::disconnect`] or replaced by a newer one.
    Disconnected {
        /// The other end.
        peer: ServerId,
    },
}

/// Limits of the quorum network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetSettings {
    /// How long opening a connection may take (Apache's `cnxTimeout`, 5 s); a learner retries
    /// within it while its leader starts listening.
    pub connect_timeout: Duration,
    /// The largest quorum packet accepted (Apache: `jute.maxbuffer` plus
    /// `zookeeper.jute.maxbuffer.extrasize`). A SNAP's snapshot body is not a packet and is
    /// bounded separately (4 GiB).
    pub max_packet_bytes: usize,
    /// Bind the listeners to every local address (`quorumListenOnAllIPs`) rather than the
    /// configured host.
    pub listen_on_all_ips: bool,
}

impl Default for NetSettings {
    /// Apache's defaults: 5 s, 2 × 0xfffff bytes, configured addresses only.
    fn default() -> Self {
        NetSettings {
            connect_timeout: Duration::from_secs(5),
            max_packet_bytes: zk_proto::quorum::QuorumPacketDecoder::default().max_packet_bytes(),
            listen_on_all_ips: false,
        }
    }
}

/// One quorum connection in the table.
struct QuorumConn {
    /// Its generation: unique among all connections of this [`QuorumNet`].
    generation: u64,
    /// Its outbound queue: batches of messages, each handed over (and written) together.
    queue: mpsc::UnboundedSender<Vec<Message>>,
    /// Messages in `queue` not yet taken by the writer; bounded by [`QUORUM_QUEUE_MESSAGES`].
    queued: Arc<AtomicUsize>,
    /// Dropping this closes the connection silently (its task watches the other end).
    _close: oneshot::Sender<()>,
}

/// The current quorum connections, by peer.
#[derive(Default)]
struct QuorumTable {
    next_generation: u64,
    conns: HashMap<ServerId, QuorumConn>,
}

/// A new connection's task-side handles.
struct Registration {
    generation: u64,
    queue: mpsc::UnboundedReceiver<Vec<Message>>,
    queued: Arc<AtomicUsize>,
    close: oneshot::Receiver<()>,
}

/// What the tasks share.
struct Shared {
    me: ServerId,
    peers: BTreeMap<ServerId, PeerAddrs>,
    settings: NetSettings,
    events: mpsc::Sender<NetEvent>,
    quorum: Mutex<QuorumTable>,
    /// Never sent on: tasks watch for it to be dropped with the [`QuorumNet`].
    shutdown: watch::Receiver<()>,
}

impl Shared {
    /// Makes a new connection with `peer` current, closing (silently) the one it replaces.
    fn register(&self, peer: ServerId) -> Registration {
        let (queue_tx, queue) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let (close_tx, close) = oneshot::channel();
        let mut table = self.quorum.lock().expect("quorum table lock");
        table.next_generation += 1;
        let generation = table.next_generation;
        let conn = QuorumConn {
            generation,
            queue: queue_tx,
            queued: queued.clone(),
            _close: close_tx,
        };
        table.conns.insert(peer, conn);
        Registration {
            generation,
            queue,
            queued,
            close,
        }
    }

    /// Whether `generation` is still the current connection with `peer`.
    fn is_current(&self, peer: ServerId, generation: u64) -> bool {
        let table = self.quorum.lock().expect("quorum table lock");
        table
            .conns
            .get(&peer)
            .is_some_and(|c| c.generation == generation)
    }

    /// Removes the connection with `peer` if it is still `generation`; whether it was.
    fn remove_if_current(&self, peer: ServerId, generation: u64) -> bool {
        let mut table = self.quorum.lock().expect("quorum table lock");
        if table
            .conns
            .get(&peer)
            .is_some_and(|c| c.generation == generation)
        {
            table.conns.remove(&peer);
            return true;
        }
        false
    }

    /// A connection ended on its own: report it unless it was replaced or closed on request.
    async fn connection_ended(&self, peer: ServerId, generation: u64) {
        if self.remove_if_current(peer, generation) {
            // The core may be gone (shutdown): nothing to tell then.
            let _ = self.events.send(NetEvent::Disconnected { peer }).await;
        }
    }

    /// Delivers a message from the current connection `generation` with `from`; `false` when
    /// the connection is no longer current or the core is gone (the reader should stop).
    async fn deliver(&self, from: ServerId, generation: u64, msg: Message) -> bool {
        if !self.is_current(from, generation) {
            return false;
        }
        self.events
            .send(NetEvent::Message { from, msg })
            .await
            .is_ok()
    }

    /// Completes when the [`QuorumNet`] is dropped.
    async fn stopped(&self) {
        let mut shutdown = self.shutdown.clone();
        while shutdown.changed().await.is_ok() {}
    }
}

/// Accepts connections on `listener` until the net is dropped, serving each in a task of its
/// own with `serve`. A failed accept (out of file descriptors and the like) pauses rather than
/// spins.
async fn accept_loop<F, Fut>(shared: Arc<Shared>, listener: TcpListener, port: &str, serve: F)
where
    F: Fn(Arc<Shared>, TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            () = shared.stopped() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, addr)) => {
                tokio::spawn(serve(shared.clone(), stream, addr));
            }
            Err(err) => {
                tracing::warn!(%err, "{port} listener: accept failed");
                tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
            }
        }
    }
}

/// How long a listener waits after a failed accept.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// The quorum network of one ensemble member: see the [module docs](self).
pub struct QuorumNet {
    shared: Arc<Shared>,
    runtime: Handle,
    /// Per peer: the queue of the task that owns the outbound election connection.
    election_out: HashMap<ServerId, mpsc::Sender<Message>>,
    /// Quorum messages [`queue`](Self::queue)d and not yet [`flush`](Self::flush)ed, per peer.
    held: BTreeMap<ServerId, Vec<Message>>,
    /// Dropped with the net, which stops every task.
    _shutdown: watch::Sender<()>,
}

impl QuorumNet {
    /// Binds this server's election listener and quorum listener (both always; only a leader
    /// gets quorum connections) and spawns the tasks. Must be called inside a tokio runtime.
    ///
    /// # Panics
    ///
    /// If `me` is not in `peers` (the configuration guarantees it is).
    pub async fn start(
        me: ServerId,
        peers: BTreeMap<ServerId, PeerAddrs>,
        settings: NetSettings,
    ) -> Result<(QuorumNet, mpsc::Receiver<NetEvent>)> {
        let mine = *peers.get(&me).expect("this server is one of its peers");
        let bind = |addr: SocketAddr| {
            if !settings.listen_on_all_ips {
                return addr;
            }
            let any = match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            };
            SocketAddr::new(any, addr.port())
        };
        let listen = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| Error::Listen { addr, source })
        };
        let quorum = listen(bind(mine.quorum)).await?;
        let election = listen(bind(mine.election)).await?;
        Ok(Self::start_with_listeners(
            me, peers, settings, quorum, election,
        ))
    }

    /// Like [`start`](Self::start) with listeners the caller bound (tests bind port 0).
    /// Must be called inside a tokio runtime.
    pub fn start_with_listeners(
        me: ServerId,
        peers: BTreeMap<ServerId, PeerAddrs>,
        settings: NetSettings,
        quorum: TcpListener,
        election: TcpListener,
    ) -> (QuorumNet, mpsc::Receiver<NetEvent>) {
        let (events, events_rx) = mpsc::channel(EVENT_QUEUE);
        let (shutdown_tx, shutdown) = watch::channel(());
        let shared = Arc::new(Shared {
            me,
            peers,
            settings,
            events,
            quorum: Mutex::new(QuorumTable::default()),
            shutdown,
        });
        let runtime = Handle::current();
        runtime.spawn(accept_loop(
            shared.clone(),
            quorum,
            "quorum",
            quorum::accepted_connection,
        ));
        runtime.spawn(accept_loop(
            shared.clone(),
            election,
            "election",
            election::accepted_connection,
        ));
        let net = QuorumNet {
            shared,
            runtime,
            election_out: HashMap::new(),
            held: BTreeMap::new(),
            _shutdown: shutdown_tx,
        };
        (net, events_rx)
    }

    /// Non-blocking. Election messages (`msg.is_election()`) go to `to`'s election port over an
    /// outbound connection opened on demand and re-opened after failures (dropped if they
    /// cannot be delivered now: FLE re-sends). Quorum messages go on the current quorum
    /// connection with `to`; none → dropped. A quorum connection whose queue is full is closed
    /// and reported as [`NetEvent::Disconnected`].
    pub fn send(&mut self, to: ServerId, msg: Message) {
        self.queue(to, msg);
        self.flush();
    }

    /// Like [`send`](Self::send), but a quorum message is held until the next
    /// [`flush`](Self::flush) (or [`send`](Self::send), [`connect`](Self::connect),
    /// [`disconnect`](Self::disconnect)), which hands everything held for a peer to its
    /// connection at once: one wake-up of the connection's writer and one socket write for a
    /// whole batch of PROPOSALs, ACKs or COMMITs, where a wake-up per message would let the
    /// writer run (and write) after each one. Election messages go out at once.
    pub fn queue(&mut self, to: ServerId, msg: Message) {
        if msg.is_election() {
            return self.send_election(to, msg);
        }
        self.held.entry(to).or_default().push(msg);
    }

    /// Hands every held quorum message to its connection, in the order they were queued.
    pub fn flush(&mut self) {
        while let Some((to, batch)) = self.held.pop_first() {
            self.send_quorum(to, batch);
        }
    }

    /// Queues `batch` on the current quorum connection with `to` (none: dropped).
    fn send_quorum(&mut self, to: ServerId, batch: Vec<Message>) {
        let mut table = self.shared.quorum.lock().expect("quorum table lock");
        let Some(conn) = table.conns.get(&to) else {
            tracing::trace!(peer = %to, messages = batch.len(), "no quorum connection: dropped");
            return;
        };
        let len = batch.len();
        if conn.queued.load(Ordering::Acquire) + len <= QUORUM_QUEUE_MESSAGES {
            conn.queued.fetch_add(len, Ordering::AcqRel);
            // Fails only when the connection's task ended and is reporting (or was told to
            // close): nothing to do then.
            let _ = conn.queue.send(batch);
            return;
        }
        tracing::warn!(peer = %to, "quorum queue full: dropping the connection");
        table.conns.remove(&to);
        drop(table);
        let events = self.shared.events.clone();
        self.runtime.spawn(async move {
            let _ = events.send(NetEvent::Disconnected { peer: to }).await;
        });
    }

    /// Queues a notification for `to`'s election port, starting its sender on first use.
    fn send_election(&mut self, to: ServerId, msg: Message) {
        let Some(addrs) = self.shared.peers.get(&to) else {
            tracing::debug!(peer = %to, "notification for an unknown server: dropped");
            return;
        };
        if to == self.shared.me {
            return;
        }
        let queue = self.election_out.entry(to).or_insert_with(|| {
            let (tx, rx) = mpsc::channel(ELECTION_QUEUE_MESSAGES);
            let sender = election::sender(self.shared.clone(), to, addrs.election, rx);
            self.runtime.spawn(sender);
            tx
        });
        if queue.try_send(msg).is_err() {
            tracing::debug!(peer = %to, "election queue full: notification dropped");
        }
    }

    /// Learner: open a fresh quorum connection to leader `to` (closing any previous one) in
    /// the background; if it cannot be opened within `connect_timeout` (retrying within it:
    /// the leader may not be listening yet), emit [`NetEvent::Disconnected`]. Messages sent to
    /// `to` meanwhile are queued and go out once connected.
    pub fn connect(&mut self, to: ServerId) {
        // What was queued before goes to the connection it was queued for.
        self.flush();
        let Some(addrs) = self.shared.peers.get(&to) else {
            tracing::warn!(peer = %to, "connect to an unknown server");
            let events = self.shared.events.clone();
            self.runtime.spawn(async move {
                let _ = events.send(NetEvent::Disconnected { peer: to }).await;
            });
            return;
        };
        let registration = self.shared.register(to);
        let task = quorum::connect(self.shared.clone(), to, addrs.quorum, registration);
        self.runtime.spawn(task);
    }

    /// Closes the quorum connection with `peer` (no [`NetEvent::Disconnected`] for it).
    pub fn disconnect(&mut self, peer: ServerId) {
        self.flush();
        let mut table = self.shared.quorum.lock().expect("quorum table lock");
        table.conns.remove(&peer);
    }

    /// The peers that have a quorum connection open (or opening) with this server.
    pub fn connected(&self) -> Vec<ServerId> {
        let table = self.shared.quorum.lock().expect("quorum table lock");
        let mut peers: Vec<ServerId> = table.conns.keys().copied().collect();
        peers.sort();
        peers
    }
}

impl Drop for QuorumNet {
    fn drop(&mut self) {
        // Closes every quorum connection; the shutdown watch stops the other tasks.
        if let Ok(mut table) = self.shared.quorum.lock() {
            table.conns.clear();
        }
    }
}
