//! The election port (Apache's `QuorumCnxManager`, simplified): an outbound sender task per
//! peer, and the listener whose connections deliver the notifications peers send.
//!
//! ```text
//! connecting side: InitialMessage (V2: -65535, my sid, "host:port")
//!                  then per notification: int len, Notification (len in 1..=512 KiB)
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;
use zk_proto::quorum::{InitialMessage, Notification as WireNotification};
use zk_zab::wire::{from_wire_notification, to_wire_notification};
use zk_zab::{Message, ServerId};

use super::{NetEvent, Shared};

/// Notifications coalesced into one write at most.
const COALESCE_MESSAGES: usize = 64;

/// Sends `to`'s notifications over a connection opened on demand; a notification that cannot
/// be delivered (the connection cannot be opened, or the write fails) is dropped, along with
/// those queued behind it while connecting: FLE re-sends newer ones.
pub(super) async fn sender(
    shared: Arc<Shared>,
    to: ServerId,
    addr: SocketAddr,
    mut queue: mpsc::Receiver<Message>,
) {
    let mut conn: Option<TcpStream> = None;
    loop {
        let msg = tokio::select! {
            () = shared.stopped() => return,
            msg = queue.recv() => msg,
            // The peer never writes on our connection (an Apache peer might: ignored), so
            // this completes when the peer closes it: reconnect on the next message rather
            // than losing it to a write into a dead socket.
            closed = closed(&mut conn) => {
                tracing::debug!(peer = %to, why = closed, "election connection closed by the peer");
                conn = None;
                continue;
            }
        };
        let Some(msg) = msg else { return };
        if conn.is_none() {
            conn = open(&shared, addr).await;
            if conn.is_none() {
                while queue.try_recv().is_ok() {}
                continue;
            }
        }
        let mut out = BytesMut::new();
        frame(&msg, &mut out);
        for _ in 1..COALESCE_MESSAGES {
            match queue.try_recv() {
                Ok(msg) => frame(&msg, &mut out),
                Err(_) => break,
            }
        }
        let stream = conn.as_mut().expect("connected above");
        if let Err(err) = stream.write_all(&out).await {
            tracing::debug!(peer = %to, %err, "election connection failed; notifications dropped");
            conn = None;
        }
    }
}

/// Completes when the peer closes `conn` (never while there is none); discards anything the
/// peer writes.
async fn closed(conn: &mut Option<TcpStream>) -> &'static str {
    let Some(stream) = conn else {
        return std::future::pending().await;
    };
    let mut sink = [0; 512];
    loop {
        match stream.read(&mut sink).await {
            Ok(0) => return "end of stream",
            Ok(_) => {}
            Err(_) => return "read failed",
        }
    }
}

/// Opens an election connection and introduces ourselves; `None` on failure.
async fn open(shared: &Shared, addr: SocketAddr) -> Option<TcpStream> {
    let opened = timeout(shared.settings.connect_timeout, TcpStream::connect(addr)).await;
    let mut stream = match opened {
        Ok(Ok(stream)) => stream,
        Ok(Err(err)) => {
            tracing::debug!(%addr, %err, "cannot open an election connection");
            return None;
        }
        Err(_) => {
            tracing::debug!(%addr, "election connection timed out");
            return None;
        }
    };
    let _ = stream.set_nodelay(true);
    let my_addr = shared
        .peers
        .get(&shared.me)
        .map(|a| a.election.to_string())
        .unwrap_or_else(|| "0.0.0.0:0".to_owned());
    let hello = InitialMessage {
        protocol_version: Some(InitialMessage::PROTOCOL_VERSION_V2),
        sid: shared.me.0 as i64,
        election_addr: my_addr,
    };
    stream.write_all(&hello.to_vec()).await.ok()?;
    Some(stream)
}

/// Appends one length-framed notification to `out`.
fn frame(msg: &Message, out: &mut BytesMut) {
    let Message::Notification(n) = msg else {
        tracing::error!(msg = msg.name(), "a quorum message on the election port");
        return;
    };
    let payload = to_wire_notification(n, Bytes::new()).to_vec();
    out.put_i32(i32::try_from(payload.len()).expect("a notification is small"));
    out.put_slice(&payload);
}

/// Serves one accepted election connection until it ends or the net is dropped.
pub(super) async fn accepted_connection(shared: Arc<Shared>, stream: TcpStream, addr: SocketAddr) {
    tokio::select! {
        () = shared.stopped() => {}
        why = receive(&shared, stream) => {
            tracing::debug!(%addr, %why, "election connection ended");
        }
    }
}

/// Reads the InitialMessage, then delivers notifications until the connection ends; returns
/// why it ended.
async fn receive(shared: &Shared, mut stream: TcpStream) -> String {
    let _ = stream.set_nodelay(true);
    let mut buf = BytesMut::new();
    let hello = timeout(
        shared.settings.connect_timeout,
        initial_message(&mut stream, &mut buf),
    )
    .await;
    let from = match hello {
        Ok(Ok(hello)) => hello.sid,
        Ok(Err(why)) => return why,
        Err(_) => return "no InitialMessage in time".into(),
    };
    let from = match u64::try_from(from).map(ServerId) {
        Ok(id) if id != shared.me && shared.peers.contains_key(&id) => id,
        _ => return format!("unknown server id {from}"),
    };
    loop {
        while buf.len() < 4 {
            if let Err(why) = fill(&mut stream, &mut buf).await {
                return why;
            }
        }
        let len = i32::from_be_bytes(buf[..4].try_into().expect("4 bytes"));
        let len = match usize::try_from(len) {
            Ok(len) if (1..=WireNotification::PACKET_MAX_BYTES).contains(&len) => len,
            _ => return format!("bad notification length {len}"),
        };
        while buf.len() < 4 + len {
            if let Err(why) = fill(&mut stream, &mut buf).await {
                return why;
            }
        }
        let _ = buf.split_to(4);
        let payload = buf.split_to(len).freeze();
        let n = match WireNotification::decode(payload) {
            Ok(wire) => match from_wire_notification(&wire) {
                Ok(n) => n,
                Err(err) => return format!("bad notification: {err}"),
            },
            Err(err) => return format!("bad notification: {err}"),
        };
        let event = NetEvent::Message {
            from,
            msg: Message::Notification(n),
        };
        if shared.events.send(event).await.is_err() {
            return "the core is gone".into();
        }
    }
}

/// Reads the connection's InitialMessage.
async fn initial_message(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
) -> Result<InitialMessage, String> {
    loop {
        match InitialMessage::decode(buf) {
            Ok(Some((hello, used))) => {
                let _ = buf.split_to(used);
                return Ok(hello);
            }
            Ok(None) => fill(stream, buf).await?,
            Err(err) => return Err(format!("bad InitialMessage: {err}")),
        }
    }
}

/// Reads more bytes into `buf`; end of stream is an error.
async fn fill(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<(), String> {
    buf.reserve(4096);
    match stream.read_buf(buf).await {
        Ok(0) => Err("closed by the peer".into()),
        Ok(_) => Ok(()),
        Err(err) => Err(format!("read failed: {err}")),
    }
}
