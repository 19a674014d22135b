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
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use zk_proto::frame::FrameDecoder;

use crate::config::ServerConfig;
use crate::core::{Action, ConnId, CoreSettings, ServerCore};
use crate::four_letter::{self, ServerInfo};
use crate::net::connection::{serve_connection, ConnEvent, Outbound};
use crate::persistence::{Durability, Persistence};
use crate::Result;

/// Events the connection tasks may queue for the core task before they wait.
const CORE_QUEUE: usize = 16 * 1024;

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

    let (core_tx, mut core_rx) = mpsc::channel::<ConnEvent>(CORE_QUEUE);
    let accept = tokio::spawn(accept_loop(listener, config.clone(), core_tx));

    let mut outboxes: HashMap<ConnId, mpsc::Sender<Outbound>> = HashMap::new();
    let tick = Duration::from_millis(u64::from(config.tick_time_ms).clamp(10, 100));
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);

    let result = loop {
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            event = core_rx.recv() => {
                let Some(event) = event else { break Ok(()) };
                handle_event(&mut core, &mut outboxes, event, &config, started);
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
        }
        execute(&mut core, &mut outboxes, &durability);
    };
    accept.abort();
    // Let in-flight writes reach the disk; their clients are gone either way.
    drop(durability);
    tracing::info!("server stopped");
    result
}

fn handle_event(
    core: &mut ServerCore,
    outboxes: &mut HashMap<ConnId, mpsc::Sender<Outbound>>,
    event: ConnEvent,
    config: &ServerConfig,
    started: Instant,
) {
    let now = now_ms();
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
        ConnEvent::FourLetter { word, reply } => {
            let info = ServerInfo {
                mode: "standalone",
                client_port: config.client_address.as_ref().map_or(0, |a| a.port),
                data_dir: &config.data_dir,
                data_log_dir: &config.data_log_dir,
                tick_ms: config.tick_time_ms,
                max_client_cnxns: config.max_client_cnxns,
                min_session_timeout_ms: config.min_session_timeout_ms,
                max_session_timeout_ms: config.max_session_timeout_ms,
                server_id: config.my_id.unwrap_or(0),
                uptime_ms: started.elapsed().as_millis() as i64,
                now_ms: now,
            };
            let _ = reply.send(four_letter::answer(word, core, &info));
        }
    }
}

/// Executes the core's actions in order.
fn execute(
    core: &mut ServerCore,
    outboxes: &mut HashMap<ConnId, mpsc::Sender<Outbound>>,
    durability: &Durability,
) {
    // Closing a slow connection can produce more actions, hence the loop.
    loop {
        let actions = core.take_actions();
        if actions.is_empty() {
            return;
        }
        for action in actions {
            match action {
                Action::Send { conn, frame } => {
                    let Some(outbox) = outboxes.get(&conn) else {
                        continue;
                    };
                    if outbox.try_send(Outbound::Frame(frame)).is_err() {
                        tracing::warn!(conn = conn.0, "client is not reading its replies; closing");
                        outboxes.remove(&conn);
                        core.on_disconnect(conn);
                    }
                }
                Action::Close { conn } => {
                    if let Some(outbox) = outboxes.remove(&conn) {
                        let _ = outbox.try_send(Outbound::Close);
                    }
                }
                Action::Append(entry) => durability.append(entry),
                Action::Snapshot => {
                    durability.snapshot(core.tree(), core.sessions().sessions_with_timeouts());
                }
            }
        }
    }
}

/// Accepts connections, enforcing `maxClientCnxns` per client address.
async fn accept_loop(listener: TcpListener, config: ServerConfig, core: mpsc::Sender<ConnEvent>) {
    let decoder = FrameDecoder::new(config.jute_max_buffer_bytes as usize);
    let per_ip: Arc<Mutex<HashMap<IpAddr, u32>>> = Arc::default();
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
        tokio::spawn(async move {
            serve_connection(stream, addr, conn, decoder, whitelist, core).await;
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

fn core_settings(config: &ServerConfig) -> CoreSettings {
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
