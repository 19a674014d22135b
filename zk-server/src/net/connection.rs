//! One client connection: frames in, frames out, four-letter words.
//!
//! The reader half decodes frames (refusing any longer than `jute.maxbuffer`) and forwards them
//! to the core task; decoding happens here, on the connection's own task, so that it spreads
//! over the runtime's workers. The writer half drains the connection's outbox. A client that
//! stops reading fills its bounded outbox and is disconnected rather than buffered without
//! limit.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use zk_proto::frame::FrameDecoder;
use zk_proto::{ConnectRequest, FourLetterWord, Request, RequestHeader};

use crate::core::ConnId;

/// Frames a connection may have queued for writing before it counts as not reading.
pub const OUTBOX_FRAMES: usize = 4096;

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
        outbox: mpsc::Sender<Outbound>,
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

/// Serves one accepted socket until it closes.
pub async fn serve_connection(
    stream: TcpStream,
    addr: SocketAddr,
    conn: ConnId,
    decoder: FrameDecoder,
    whitelist: crate::config::FourLetterWhitelist,
    core: mpsc::Sender<ConnEvent>,
) {
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let mut buf = BytesMut::with_capacity(4096);

    // The first four bytes decide: a four-letter word, or the length of a ConnectRequest.
    while buf.len() < 4 {
        match reader.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
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

    let (outbox_tx, mut outbox) = mpsc::channel::<Outbound>(OUTBOX_FRAMES);
    // Set when the core closes the connection, so a client that never closes its end cannot
    // keep the reader alive.
    let closed = std::sync::Arc::new(tokio::sync::Notify::new());
    let closed_by_writer = closed.clone();
    let writer_task = tokio::spawn(async move {
        while let Some(out) = outbox.recv().await {
            match out {
                Outbound::Frame(frame) => {
                    if writer.write_all(&frame).await.is_err() {
                        return;
                    }
                }
                Outbound::Close => break,
            }
        }
        let _ = writer.shutdown().await;
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
        if core.send(event).await.is_err() {
            break;
        }
    }
    let _ = core.send(ConnEvent::Disconnected { conn }).await;
    let _ = writer_task.await;
}
