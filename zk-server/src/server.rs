//! [`run`]: the tokio shell around [`ServerCore`] — listener, connection tasks, the core task,
//! the sync thread and the timer.
//!
//! ```text
//!  accept loop ──spawn──▶ connection task ×N ──ConnEvent──▶ core task ──Outbound──▶ writers
//!                                                             │  ▲
//!                                      Append(txn) ───────────┘  │ durable zxid
//!                                                     sync thread (group commit, fsync)
//! ```
//!
//! The core task is the only owner of the tree and sessions; everything else talks to it
//! through bounded channels.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use zk_proto::frame::FrameDecoder;
use zk_proto::FourLetterWord;

use crate::config::ServerConfig;
use crate::core::{Action, ConnId, CoreSettings, ServerCore};
use crate::four_letter::{self, ServerInfo};
use crate::net::connection::{serve_connection, ConnEvent, Outbox};
use crate::net::throttle::Throttle;
use crate::persistence::{Durability, Persistence};
use crate::Result;

/// Events the connection tasks may queue for the core task before they wait.
const CORE_QUEUE: usize = 16 * 1024;

/// Events the core task handles per wake-up before it executes their actions and looks at its
/// other inputs (the disk's acknowledgements, the timers) again.
const CORE_BATCH: usize = 256;

/// The client side that standalone and quorum mode share: the accept loop and its connection
/// tasks, which queue [`ConnEvent`]s for the core task, and the throttle between them
/// (`globalOutstandingLimit`). Dropping it stops accepting.
pub(crate) struct Clients {
    events: mpsc::Receiver<ConnEvent>,
    throttle: Arc<Throttle>,
    accept: tokio::task::JoinHandle<()>,
}

impl Clients {
    /// Starts accepting on `listener`.
    pub(crate) fn start(listener: TcpListener, config: &ServerConfig) -> Self {
        let (core_tx, events) = mpsc::channel::<ConnEvent>(CORE_QUEUE);
        let throttle = Arc::new(Throttle::new(config.global_outstanding_limit as usize));
        let accept = tokio::spawn(accept_loop(
            listener,
            config.clone(),
            core_tx,
            throttle.clone(),
        ));
        Clients {
            events,
            throttle,
            accept,
        }
    }

    /// The next event; `None` once every connection task and the accept loop are gone.
    pub(crate) async fn recv(&mut self) -> Option<ConnEvent> {
        self.events.recv().await
    }

    /// Hands `first`, then what else is already queued, in arrival order (so connections are
    /// still served first come, first served), to `handle`: one select, one execute and one
    /// throttle step per batch rather than per request. Bounded by [`CORE_BATCH`], so the
    /// core's other inputs keep their turn. Returns how many of the events were requests.
    pub(crate) fn take_batch(
        &mut self,
        first: ConnEvent,
        mut handle: impl FnMut(ConnEvent),
    ) -> usize {
        let mut requests = 0;
        let mut next = Some(first);
        for _ in 0..CORE_BATCH {
            let Some(event) = next.take().or_else(|| self.events.try_recv().ok()) else {
                break;
            };
            requests += usize::from(matches!(event, ConnEvent::Request { .. }));
            handle(event);
        }
        requests
    }

    /// After the core executed a step: `received` requests left the queue, `in_core` are still
    /// unanswered (see [`Throttle::on_core_step`]).
    pub(crate) fn on_core_step(&self, received: usize, in_core: usize) {
        self.throttle.on_core_step(received, in_core);
    }
}

impl Drop for Clients {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Runs a standalone server on `listener` until `shutdown` completes or storage fails.
///
/// The data directory is recovered first (snapshot plus log); the listener is served only
/// once the tree is back. Tests pass a listener bound to port 0.
pub async fn run(
    config: ServerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let started = Instant::now();
    let mut persistence = Persistence::open(&config)?;
    let recovered = persistence.recover()?;
    let settings = core_settings(&config);
    let mut core = ServerCore::new(settings, recovered.tree, &recovered.sessions, now_ms());
    let (durability, mut durable_rx) = Durability::start(persistence, &config)?;

    let local = listener.local_addr().ok();
    tracing::info!(address = ?local, zxid = %core.last_processed_zxid(), "serving clients");

    let mut clients = Clients::start(listener, &config);

    let mut outboxes: HashMap<ConnId, Outbox> = HashMap::new();
    let tick = Duration::from_millis(u64::from(config.tick_time_ms).clamp(10, 100));
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let reaping = &config.container;
    let mut reaper = tokio::time::interval(Duration::from_millis(
        u64::from(reaping.check_interval_ms).max(10),
    ));
    reaper.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    reaper.tick().await; // the first tick is immediate; reap one interval after start
    tokio::pin!(shutdown);

    let result = loop {
        let mut received = 0;
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            event = clients.recv() => {
                let Some(event) = event else { break Ok(()) };
                received = clients.take_batch(event, |event| {
                    handle_event(&mut core, &mut outboxes, event, &config, started);
                });
            }
            durable = durable_rx.recv() => match durable {
                Some(Ok(zxid)) => core.on_durable(zxid, now_ms()),
                Some(Err(err)) => {
                    tracing::error!(%err, "the transaction log failed; stopping (nothing unsynced was acknowledged)");
                    break Err(err);
                }
                None => break Ok(()),
            },
            _ = ticker.tick() => core.tick(now_ms()),
            _ = reaper.tick() => {
                // ContainerManager: at most maxPerMinute deletions a minute.
                let per_check = u64::from(reaping.max_per_minute)
                    * u64::from(reaping.check_interval_ms)
                    / 60_000;
                core.reap_containers(
                    now_ms(),
                    reaping.max_never_used_interval_ms as i64,
                    per_check.max(1) as usize,
                );
            }
        }
        execute(&mut core, &mut outboxes, &durability);
        clients.on_core_step(received, core.outstanding_requests());
    };
    drop(clients);
    // Let in-flight writes reach the disk; their clients are gone either way.
    drop(durability);
    tracing::info!("server stopped");
    result
}

/// Hands a connection task's event to the core; a four-letter word comes back for the caller
/// to answer (standalone and quorum mode describe the server differently).
pub(crate) fn dispatch(
    core: &mut ServerCore,
    outboxes: &mut HashMap<ConnId, Outbox>,
    event: ConnEvent,
    now: i64,
) -> Option<(FourLetterWord, oneshot::Sender<String>)> {
    match event {
        ConnEvent::Connect {
            conn,
            addr,
            request,
            outbox,
        } => {
            outboxes.insert(conn, outbox);
            core.on_connect(conn, addr, request, now);
        }
        ConnEvent::Request {
            conn,
            header,
            request,
        } => core.on_request(conn, header, request, now),
        ConnEvent::BadRequest { conn, xid, error } => core.on_bad_request(conn, xid, &error),
        ConnEvent::Disconnected { conn } => {
            outboxes.remove(&conn);
            core.on_disconnect(conn);
        }
        ConnEvent::FourLetter { word, reply } => return Some((word, reply)),
    }
    None
}

fn handle_event(
    core: &mut ServerCore,
    outboxes: &mut HashMap<ConnId, Outbox>,
    event: ConnEvent,
    config: &ServerConfig,
    started: Instant,
) {
    let now = now_ms();
    if let Some((word, reply)) = dispatch(core, outboxes, event, now) {
        let uptime_ms = started.elapsed().as_millis() as i64;
        let info = ServerInfo::new(config, "standalone", uptime_ms, now);
        let _ = reply.send(four_letter::answer(word, core, &info));
    }
}

/// Executes the core's actions in order.
fn execute(core: &mut ServerCore, outboxes: &mut HashMap<ConnId, Outbox>, durability: &Durability) {
    // Closing a slow connection can produce more actions, hence the loop.
    loop {
        let actions = core.take_actions();
        if actions.is_empty() {
            return;
        }
        for action in actions {
            match action {
                Action::Send { .. } | Action::Close { .. } => deliver(core, outboxes, action),
                Action::Append(entry) => durability.append(entry),
                Action::Forward(_) => unreachable!("a standalone server forwards nothing"),
                Action::Snapshot => {
                    durability.snapshot(core.tree(), core.sessions().sessions_with_timeouts());
                }
            }
        }
    }
}

/// Executes a `Send` or `Close` action: hands the frame to the connection's writer, closing a
/// connection whose client does not read its replies.
pub(crate) fn deliver(
    core: &mut ServerCore,
    outboxes: &mut HashMap<ConnId, Outbox>,
    action: Action,
) {
    match action {
        Action::Send { conn, frame } => {
            let Some(outbox) = outboxes.get(&conn) else {
                return;
            };
            if !outbox.send_frame(frame) {
                tracing::warn!(conn = conn.0, "client is not reading its replies; closing");
                outbox.abort();
                outboxes.remove(&conn);
                core.on_disconnect(conn);
            }
        }
        Action::Close { conn } => {
            if let Some(outbox) = outboxes.remove(&conn) {
                outbox.close();
            }
        }
        _ => unreachable!("deliver handles Send and Close only"),
    }
}

/// Accepts connections, enforcing `maxClientCnxns` per client address and `maxCnxns` in
/// total.
async fn accept_loop(
    listener: TcpListener,
    config: ServerConfig,
    core: mpsc::Sender<ConnEvent>,
    throttle: Arc<Throttle>,
) {
    let decoder = FrameDecoder::new(config.jute_max_buffer_bytes as usize);
    let per_ip: Arc<Mutex<HashMap<IpAddr, u32>>> = Arc::default();
    let total = Arc::new(AtomicU32::new(0));
    let mut next_conn = 1u64;
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let ip = addr.ip();
        if config.max_cnxns != 0 && total.load(Ordering::SeqCst) >= config.max_cnxns {
            tracing::warn!(%ip, limit = config.max_cnxns, "too many connections (maxCnxns); refusing");
            continue; // dropping the stream closes it
        }
        {
            let mut counts = per_ip.lock().expect("poisoned");
            let count = counts.entry(ip).or_default();
            if config.max_client_cnxns != 0 && *count >= config.max_client_cnxns {
                tracing::warn!(%ip, limit = config.max_client_cnxns, "too many connections from one address (maxClientCnxns); refusing");
                continue; // dropping the stream closes it
            }
            *count += 1;
        }
        let conn = ConnId(next_conn);
        next_conn += 1;
        let core = core.clone();
        let per_ip = per_ip.clone();
        let whitelist = config.four_letter_words.clone();
        let throttle = throttle.clone();
        total.fetch_add(1, Ordering::SeqCst);
        let total = total.clone();
        tokio::spawn(async move {
            serve_connection(stream, addr, conn, decoder, whitelist, core, throttle).await;
            total.fetch_sub(1, Ordering::SeqCst);
            let mut counts = per_ip.lock().expect("poisoned");
            if let Some(count) = counts.get_mut(&ip) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(&ip);
                }
            }
        });
    }
}

pub(crate) fn core_settings(config: &ServerConfig) -> CoreSettings {
    CoreSettings {
        server_id: 1,
        tick_ms: i64::from(config.tick_time_ms),
        min_session_timeout_ms: config.min_session_timeout_ms as i32,
        max_session_timeout_ms: config.max_session_timeout_ms as i32,
        extended_types_enabled: config.extended_types_enabled,
        super_digest: config.super_digest.clone(),
        skip_acl: config.skip_acl,
        reconfig_enabled: config.reconfig_enabled,
        snap_count: config.snap_count.max(2),
        seed: now_ms() as u64,
    }
}

/// The server's clock in ms since the Unix epoch: the wall clock read once at start, advanced
/// by the monotonic clock. Txn times (ctime/mtime) look like wall-clock times, and a wall-clock
/// jump can neither expire sessions early nor keep them alive (fault-scenarios A4.1).
pub fn now_ms() -> i64 {
    static ANCHOR: std::sync::OnceLock<(Instant, i64)> = std::sync::OnceLock::new();
    let (start, wall) = ANCHOR.get_or_init(|| {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        (Instant::now(), wall)
    });
    wall + start.elapsed().as_millis() as i64
}
