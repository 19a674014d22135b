//! One client connection: frames in, frames out, four-letter words.
//!
//! The reader half decodes frames (refusing any longer than `jute.maxbuffer`) and forwards them
//! to the core task; decoding happens here, on the connection's own task, so that it spreads
//! over the runtime's workers. Before forwarding a request it passes the [`Throttle`]
//! (`globalOutstandingLimit`). The writer half drains the connection's [`Outbox`]. A client
//! that stops reading fills its outbox — bounded in frames and in bytes — and is disconnected
//! rather than buffered without limit.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use zk_proto::frame::FrameDecoder;
use zk_proto::{ConnectRequest, FourLetterWord, Request, RequestHeader};

use super::throttle::Throttle;
use crate::core::ConnId;

/// Bytes of queued frames the writer coalesces into one write.
const WRITE_BATCH_BYTES: usize = 64 * 1024;

/// Frames written by one `writev` at most (well under the kernel's `IOV_MAX` of 1024).
const WRITE_BATCH_FRAMES: usize = 64;

/// Frames a connection may have queued for writing before it counts as not reading.
pub const OUTBOX_FRAMES: usize = 4096;

/// Bytes a connection may have queued for writing before it counts as not reading (a single
/// larger frame is still accepted into an empty outbox).
pub const OUTBOX_BYTES: usize = 64 << 20;

/// The sending side of a connection's outbox: frames for its writer, bounded in count
/// ([`OUTBOX_FRAMES`]) and bytes ([`OUTBOX_BYTES`]).
#[derive(Debug, Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Outbound>,
    /// Bytes queued and not yet written to the socket.
    queued_bytes: Arc<AtomicUsize>,
    /// Tells the writer to drop the connection without flushing.
    abort: Arc<tokio::sync::Notify>,
}

impl Outbox {
    /// Queues a frame; false if the client is not keeping up (the caller closes it).
    pub fn send_frame(&self, frame: Bytes) -> bool {
        let len = frame.len();
        let queued = self.queued_bytes.fetch_add(len, Ordering::SeqCst);
        if queued > 0 && queued + len > OUTBOX_BYTES {
            self.queued_bytes.fetch_sub(len, Ordering::SeqCst);
            return false;
        }
        if self.frames.try_send(Outbound::Frame(frame)).is_err() {
            self.queued_bytes.fetch_sub(len, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Asks the writer to flush what is queued and close the connection.
    pub fn close(&self) {
        let _ = self.frames.try_send(Outbound::Close);
    }

    /// Drops the connection at once, discarding what is queued: for a client that does not
    /// read, whose socket would otherwise stay open (and count against `maxClientCnxns`) for as
    /// long as it does not read.
    pub fn abort(&self) {
        self.abort.notify_one();
    }
}

/// What a connection task tells the core task.
#[derive(Debug)]
pub enum ConnEvent {
    /// A new connection sent its handshake; `outbox` carries frames back to it.
    Connect {
        /// The connection.
        conn: ConnId,
        /// The peer address.
        addr: SocketAddr,
        /// The handshake.
        request: ConnectRequest,
        /// Where to send this connection's frames.
        outbox: Outbox,
    },
    /// A decoded request.
    Request {
        /// The connection.
        conn: ConnId,
        /// Its header.
        header: RequestHeader,
        /// The request.
        request: Request,
    },
    /// A frame that did not decode.
    BadRequest {
        /// The connection.
        conn: ConnId,
        /// The xid, if the frame had one.
        xid: Option<zk_proto::Xid>,
        /// What was wrong.
        error: zk_proto::Error,
    },
    /// The connection closed.
    Disconnected {
        /// The connection.
        conn: ConnId,
    },
    /// A four-letter word; the core task answers with the text.
    FourLetter {
        /// The command.
        word: FourLetterWord,
        /// Where to send the answer.
        reply: oneshot::Sender<String>,
    },
}

/// What the core task sends a connection's writer.
#[derive(Debug)]
pub enum Outbound {
    /// A whole frame.
    Frame(Bytes),
    /// Flush and close.
    Close,
}

/// How long a connection may take to send its whole handshake (or four-letter word) before it
/// is closed: Apache's `zookeeper.nio.sessionlessCnxnTimeout` default. Without it, idle
/// sockets that never say anything would be held forever.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves one accepted socket until it closes.
pub async fn serve_connection(
    stream: TcpStream,
    addr: SocketAddr,
    conn: ConnId,
    decoder: FrameDecoder,
    whitelist: crate::config::FourLetterWhitelist,
    core: mpsc::Sender<ConnEvent>,
    throttle: Arc<Throttle>,
) {
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let mut buf = BytesMut::with_capacity(4096);

    let handshake_deadline = tokio::time::Instant::now() + HANDSHAKE_TIMEOUT;
    // The first four bytes decide: a four-letter word, or the length of a ConnectRequest.
    while buf.len() < 4 {
        let read = tokio::time::timeout_at(handshake_deadline, reader.read_buf(&mut buf)).await;
        match read {
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(_)) => {}
            Err(_) => {
                tracing::info!(%addr, "closing a connection that sent no handshake");
                return;
            }
        }
    }
    let prefix: [u8; 4] = buf[..4].try_into().expect("4 bytes");
    if let Some(word) = FourLetterWord::from_prefix(&prefix) {
        let answer = if whitelist.is_enabled(word.as_str()) {
            let (reply, answer) = oneshot::channel();
            if core
                .send(ConnEvent::FourLetter { word, reply })
                .await
                .is_err()
            {
                return;
            }
            answer.await.unwrap_or_default()
        } else {
            format!(
                "{} is not executed because it is not in the whitelist.\n",
                word.as_str()
            )
        };
        let _ = writer.write_all(answer.as_bytes()).await;
        let _ = writer.shutdown().await;
        return;
    }

    let (frames_tx, mut frames) = mpsc::channel::<Outbound>(OUTBOX_FRAMES);
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    let abort = Arc::new(tokio::sync::Notify::new());
    let outbox_tx = Outbox {
        frames: frames_tx,
        queued_bytes: queued_bytes.clone(),
        abort: abort.clone(),
    };
    // Set when the core closes the connection, so a client that never closes its end cannot
    // keep the reader alive.
    let closed = Arc::new(tokio::sync::Notify::new());
    let closed_by_writer = closed.clone();
    let writer_task = tokio::spawn(async move {
        let mut flush = true;
        let mut pending = VecDeque::with_capacity(WRITE_BATCH_FRAMES);
        loop {
            let out = tokio::select! {
                biased;
                () = abort.notified() => { flush = false; break }
                out = frames.recv() => out,
            };
            match out {
                Some(Outbound::Frame(first)) => {
                    // Write the replies already queued together, in one writev() and without
                    // copying them: one syscall per batch rather than per reply (send() was the
                    // server's largest cost under load, docs/performance.md).
                    let mut batch_bytes = first.len();
                    pending.push_back(first);
                    let mut close_after = false;
                    while batch_bytes < WRITE_BATCH_BYTES && pending.len() < WRITE_BATCH_FRAMES {
                        match frames.try_recv() {
                            Ok(Outbound::Frame(more)) => {
                                batch_bytes += more.len();
                                pending.push_back(more);
                            }
                            Ok(Outbound::Close) => {
                                close_after = true;
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    let written = tokio::select! {
                        biased;
                        () = abort.notified() => { flush = false; break }
                        written = write_frames(&mut writer, &mut pending) => written,
                    };
                    queued_bytes.fetch_sub(batch_bytes, Ordering::SeqCst);
                    if written.is_err() || close_after {
                        break;
                    }
                }
                Some(Outbound::Close) | None => break,
            }
        }
        if flush {
            let _ = writer.shutdown().await;
        }
        closed_by_writer.notify_one();
    });

    let mut outbox = Some(outbox_tx);
    loop {
        let frame = match decoder.decode(&mut buf) {
            Ok(Some(frame)) => frame,
            Ok(None) => {
                tokio::select! {
                    read = reader.read_buf(&mut buf) => match read {
                        Ok(0) | Err(_) => break,
                        Ok(_) => continue,
                    },
                    () = closed.notified() => break,
                    () = tokio::time::sleep_until(handshake_deadline), if outbox.is_some() => {
                        tracing::info!(%addr, "closing a connection whose handshake did not arrive in time");
                        break;
                    }
                }
            }
            Err(err) => {
                tracing::info!(%addr, %err, "closing connection: bad frame length");
                break;
            }
        };
        let event = match outbox.take() {
            // The first frame is the handshake.
            Some(outbox) => match ConnectRequest::decode(frame) {
                Ok(request) => ConnEvent::Connect {
                    conn,
                    addr,
                    request,
                    outbox,
                },
                Err(err) => {
                    tracing::info!(%addr, %err, "closing connection: bad handshake");
                    break;
                }
            },
            None => match Request::decode(frame.clone()) {
                Ok((header, request)) => ConnEvent::Request {
                    conn,
                    header,
                    request,
                },
                Err(error) => ConnEvent::BadRequest {
                    conn,
                    xid: RequestHeader::peek_xid(&frame),
                    error,
                },
            },
        };
        let is_request = matches!(event, ConnEvent::Request { .. });
        let is_write = matches!(&event, ConnEvent::Request { header, .. } if header.op.is_write());
        if is_request {
            // globalOutstandingLimit: this connection stops reading (the socket fills and
            // TCP slows the client) until fewer requests are in flight.
            tokio::select! {
                () = throttle.admit() => {}
                () = closed.notified() => break,
            }
        }
        if core.send(event).await.is_err() {
            if is_request {
                throttle.cancel();
            }
            break;
        }
        if is_write {
            // Take turns with the other connections: one write each, in the run queue's
            // order, so that every group commit is shared among the sessions. Forwarding a
            // whole read buffer at once (tens of requests) let the sessions whose replies came
            // back first fill the next commit, whose replies came back first again: in any
            // 50 ms some sessions waited 3x as long as others (issue 10: p99 2.3-2.6x the p50
            // at 80 % writes, 1.8-1.9x with turns). Reads are answered at once, so turns
            // would only cost them (a fifth of the throughput of 100 % reads).
            tokio::task::yield_now().await;
        }
    }
    // Before the handshake the outbox is still ours: dropping it lets the writer finish.
    drop(outbox);
    let _ = core.send(ConnEvent::Disconnected { conn }).await;
    let _ = writer_task.await;
}

/// Writes every frame in `frames`, in order, with `writev` calls of up to
/// [`WRITE_BATCH_FRAMES`] frames; a frame the socket took only part of is resumed where it
/// stopped. `frames` is empty on success.
async fn write_frames(writer: &mut OwnedWriteHalf, frames: &mut VecDeque<Bytes>) -> io::Result<()> {
    while !frames.is_empty() {
        let mut slices = [IoSlice::new(&[]); WRITE_BATCH_FRAMES];
        let count = frames.len().min(WRITE_BATCH_FRAMES);
        for (slice, frame) in slices.iter_mut().zip(frames.iter()) {
            *slice = IoSlice::new(frame);
        }
        let mut written = writer.write_vectored(&slices[..count]).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        while written > 0 {
            let front = frames.front_mut().expect("written bytes came from a frame");
            if front.len() <= written {
                written -= front.len();
                frames.pop_front();
            } else {
                front.advance(written);
                written = 0;
            }
        }
    }
    Ok(())
}
