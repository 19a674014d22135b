//! One quorum connection (Apache's `Learner` socket on one side, `LearnerHandler` on the
//! other): opening or identifying it, then a reader and a coalescing writer that run until
//! the socket fails or the connection is closed on request. The writer takes the batches
//! [`QuorumNet::flush`](super::QuorumNet::flush) hands over (and any queued behind them) and
//! writes them with one `write`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};
use zk_proto::quorum::{QuorumPacket, QuorumPacketDecoder, QuorumPacketType};
use zk_proto::Jute;
use zk_zab::wire::{from_quorum_packet, learner_id, to_quorum_packet};
use zk_zab::{Error as ZabError, Message, ServerId};

use super::{snap, Registration, Shared};

/// Writes are coalesced up to about this many bytes.
const COALESCE_BYTES: usize = 256 * 1024;
/// Pause between attempts to reach a leader that is not listening yet.
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// How many bytes a read asks for at least.
const READ_CHUNK: usize = 64 * 1024;

/// Why a connection ended (for the log).
type Ended = String;

/// Leader side: identifies a learner by its first packet, then runs the connection.
pub(super) async fn accepted_connection(shared: Arc<Shared>, stream: TcpStream, addr: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let (mut rd, wr) = stream.into_split();
    let mut buf = BytesMut::new();
    let decoder = QuorumPacketDecoder::new(shared.settings.max_packet_bytes);
    let first = tokio::select! {
        () = shared.stopped() => return,
        first = timeout(
            shared.settings.connect_timeout,
            read_packet(&decoder, &mut rd, &mut buf),
        ) => first,
    };
    let packet = match first {
        Ok(Ok(packet)) => packet,
        Ok(Err(why)) => {
            return tracing::info!(%addr, %why, "quorum connection closed before it said who it is")
        }
        Err(_) => return tracing::info!(%addr, "quorum connection sent no first packet in time"),
    };
    let hello = matches!(
        packet.packet_type,
        QuorumPacketType::FollowerInfo | QuorumPacketType::ObserverInfo
    );
    let id = learner_id(&packet).filter(|id| hello && *id != shared.me);
    let Some(id) = id.filter(|id| shared.peers.contains_key(id)) else {
        return tracing::warn!(%addr, packet = ?packet.packet_type, id = ?learner_id(&packet),
            "refusing a quorum connection: not FOLLOWERINFO/OBSERVERINFO from a configured server");
    };
    let first = match from_quorum_packet(&packet) {
        Ok(msg) => msg,
        Err(err) => return tracing::warn!(%addr, %err, "refusing a quorum connection"),
    };
    tracing::info!(%addr, learner = %id, "learner connected");
    let registration = shared.register(id);
    run(shared, id, rd, wr, buf, Some(first), registration).await;
}

/// Learner side: opens the connection to leader `to` (retrying within the connect timeout),
/// then runs it. Messages the core sends meanwhile wait in the registration's queue.
pub(super) async fn connect(
    shared: Arc<Shared>,
    to: ServerId,
    addr: SocketAddr,
    mut registration: Registration,
) {
    let generation = registration.generation;
    let opened = tokio::select! {
        _ = &mut registration.close => return,
        () = shared.stopped() => return,
        opened = open(addr, shared.settings.connect_timeout) => opened,
    };
    let stream = match opened {
        Ok(stream) => stream,
        Err(err) => {
            tracing::info!(leader = %to, %addr, %err, "cannot connect to the leader");
            return shared.connection_ended(to, generation).await;
        }
    };
    tracing::info!(leader = %to, %addr, "connected to the leader");
    let (rd, wr) = stream.into_split();
    run(shared, to, rd, wr, BytesMut::new(), None, registration).await;
}

/// Connects to `addr`, retrying refused attempts until `limit` has passed.
async fn open(addr: SocketAddr, limit: Duration) -> std::io::Result<TcpStream> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let err = match timeout(left, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Ok(Err(err)) => err,
            Err(_) => std::io::ErrorKind::TimedOut.into(),
        };
        if Instant::now() + RETRY_PAUSE >= deadline {
            return Err(err);
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}

/// Runs an identified connection until it fails (reported) or is closed (silent).
async fn run(
    shared: Arc<Shared>,
    peer: ServerId,
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    buf: BytesMut,
    first: Option<Message>,
    registration: Registration,
) {
    let Registration {
        generation,
        queue,
        queued,
        close,
    } = registration;
    let work = async {
        tokio::select! {
            ended = read_loop(&shared, peer, generation, rd, buf, first) => ended,
            ended = write_loop(shared.me, wr, queue, &queued) => ended,
        }
    };
    tokio::select! {
        _ = close => tracing::debug!(%peer, "quorum connection closed on request"),
        () = shared.stopped() => {}
        why = work => {
            tracing::info!(%peer, %why, "quorum connection ended");
            shared.connection_ended(peer, generation).await;
        }
    }
}

/// Decodes packets and delivers them, reading SNAP bodies off the stream.
async fn read_loop(
    shared: &Shared,
    peer: ServerId,
    generation: u64,
    mut rd: OwnedReadHalf,
    mut buf: BytesMut,
    first: Option<Message>,
) -> Ended {
    if let Some(msg) = first {
        if !shared.deliver(peer, generation, msg).await {
            return "replaced".into();
        }
    }
    let decoder = QuorumPacketDecoder::new(shared.settings.max_packet_bytes);
    loop {
        let packet = match read_packet(&decoder, &mut rd, &mut buf).await {
            Ok(packet) => packet,
            Err(why) => return why,
        };
        let msg = match from_quorum_packet(&packet) {
            Ok(Message::Snap { zxid, .. }) => {
                let read = snap::read_sync_body(rd, buf, peer).await;
                let snapshot;
                (rd, buf, snapshot) = match read {
                    Ok(read) => read,
                    Err(why) => return format!("bad SNAP: {why}"),
                };
                Message::Snap { zxid, snapshot }
            }
            Ok(msg) => msg,
            Err(ZabError::UnsupportedPacket(t)) => {
                tracing::debug!(%peer, packet = ?t, "ignoring an unsupported quorum packet");
                continue;
            }
            Err(err) => return format!("bad packet: {err}"),
        };
        if !shared.deliver(peer, generation, msg).await {
            return "replaced".into();
        }
    }
}

/// Reads until `buf` holds a whole packet and returns it.
async fn read_packet(
    decoder: &QuorumPacketDecoder,
    rd: &mut OwnedReadHalf,
    buf: &mut BytesMut,
) -> Result<QuorumPacket, Ended> {
    loop {
        match decoder.decode(buf) {
            Ok(Some(packet)) => return Ok(packet),
            Ok(None) => {}
            Err(err) => return Err(format!("bad packet: {err}")),
        }
        fill(rd, buf).await?;
    }
}

/// Reads more bytes into `buf`; end of stream is an error.
pub(super) async fn fill(rd: &mut OwnedReadHalf, buf: &mut BytesMut) -> Result<(), Ended> {
    buf.reserve(READ_CHUNK);
    match rd.read_buf(buf).await {
        Ok(0) => Err("closed by the peer".into()),
        Ok(_) => Ok(()),
        Err(err) => Err(format!("read failed: {err}")),
    }
}

/// Writes queued batches of messages, several batches per write when they are queued
/// together; `queued` counts the messages not yet taken off `queue`.
async fn write_loop(
    me: ServerId,
    mut wr: OwnedWriteHalf,
    mut queue: mpsc::UnboundedReceiver<Vec<Message>>,
    queued: &AtomicUsize,
) -> Ended {
    let mut out = BytesMut::new();
    while let Some(batch) = queue.recv().await {
        let mut next = Some(batch);
        while let Some(batch) = next.take() {
            queued.fetch_sub(batch.len(), Ordering::AcqRel);
            for msg in batch {
                if let Err(err) = encode(me, msg, &mut out, &mut wr).await {
                    return format!("write failed: {err}");
                }
            }
            if out.len() < COALESCE_BYTES {
                next = queue.try_recv().ok();
            }
        }
        if let Err(err) = wr.write_all(&out).await {
            return format!("write failed: {err}");
        }
        out.clear();
    }
    // The queue's sender is gone: the connection was closed or replaced.
    "closed".into()
}

/// Appends `msg` to `out`. A SNAP's body is written straight to the socket (after what is
/// already in `out`) rather than copied into the buffer; its signature follows in `out`.
async fn encode(
    me: ServerId,
    msg: Message,
    out: &mut BytesMut,
    wr: &mut OwnedWriteHalf,
) -> std::io::Result<()> {
    let Some(packet) = to_quorum_packet(&msg, me) else {
        // Notifications are routed to the election port before they get here.
        tracing::error!(
            msg = msg.name(),
            "an election message on a quorum connection"
        );
        return Ok(());
    };
    packet.write(out);
    if let Message::Snap { snapshot, .. } = msg {
        wr.write_all(out).await?;
        out.clear();
        wr.write_all(&snapshot).await?;
        out.put_slice(&snap::SIGNATURE);
    }
    Ok(())
}
