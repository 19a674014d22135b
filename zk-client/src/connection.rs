//! [`Connection`]: one TCP connection to one server — the handshake, then framed reads and
//! buffered writes driven by the session task.
//!
//! The session task owns the connection and polls [`Connection::read`] and
//! [`Connection::flush`] inside one `select!`. Both are cancel-safe: a read or write that
//! loses the race leaves nothing half done, so requests, replies and pings interleave on one
//! task without locks.

use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{lookup_host, TcpStream};
use zk_proto::frame::FrameDecoder;
use zk_proto::{ConnectRequest, ConnectResponse, Request, Xid};

/// Why a connection attempt failed. Every failure means "try the next host", except that
/// the caller inspects the response itself for an expired session.
#[derive(Debug)]
pub(crate) enum ConnectFailure {
    /// Name resolution, TCP connect or socket error.
    Io(io::Error),
    /// The attempt took longer than the connection timeout.
    Timeout,
    /// The server closed the connection without answering (a server behind our
    /// lastZxidSeen, a read-only server we did not allow, a full server).
    Refused,
    /// The server answered with bytes that are not a ConnectResponse.
    Protocol(String),
}

impl std::fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectFailure::Io(e) => write!(f, "{e}"),
            ConnectFailure::Timeout => write!(f, "connection timed out"),
            ConnectFailure::Refused => {
                write!(f, "server closed the connection during the handshake")
            }
            ConnectFailure::Protocol(e) => write!(f, "bad handshake reply: {e}"),
        }
    }
}

/// An established connection: its read side and its write side, separately borrowable so
/// that one `select!` can poll a read and a write at once.
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) inbound: Inbound,
    pub(crate) outbound: Outbound,
    /// `host:port`, for logs.
    pub(crate) peer: String,
}

/// The read half and its frame buffer.
#[derive(Debug)]
pub(crate) struct Inbound {
    reader: OwnedReadHalf,
    input: BytesMut,
    frames: FrameDecoder,
}

/// The write half and the requests not yet written.
#[derive(Debug)]
pub(crate) struct Outbound {
    writer: OwnedWriteHalf,
    output: BytesMut,
}

impl Connection {
    /// Connects to `host:port` and performs the handshake, all within `timeout`.
    pub(crate) async fn open(
        host: &str,
        port: u16,
        request: &ConnectRequest,
        timeout: Duration,
        max_frame_bytes: usize,
    ) -> Result<(Connection, ConnectResponse), ConnectFailure> {
        let attempt = Self::open_unbounded(host, port, request, max_frame_bytes);
        match tokio::time::timeout(timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(ConnectFailure::Timeout),
        }
    }

    async fn open_unbounded(
        host: &str,
        port: u16,
        request: &ConnectRequest,
        max_frame_bytes: usize,
    ) -> Result<(Connection, ConnectResponse), ConnectFailure> {
        let mut last_err = io::Error::new(io::ErrorKind::NotFound, "host resolved to no address");
        let mut stream = None;
        for addr in lookup_host((host, port))
            .await
            .map_err(ConnectFailure::Io)?
        {
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last_err = e,
            }
        }
        let stream = stream.ok_or(ConnectFailure::Io(last_err))?;
        // Requests are small and latency-bound; Nagle would hold them back.
        stream.set_nodelay(true).map_err(ConnectFailure::Io)?;
        let (reader, writer) = stream.into_split();
        let mut conn = Connection {
            inbound: Inbound {
                reader,
                input: BytesMut::with_capacity(64 * 1024),
                frames: FrameDecoder::new(max_frame_bytes),
            },
            outbound: Outbound {
                writer,
                output: BytesMut::with_capacity(64 * 1024),
            },
            peer: format!("{host}:{port}"),
        };
        request.write_frame(&mut conn.outbound.output);
        while conn.outbound.has_output() {
            conn.outbound.flush().await.map_err(ConnectFailure::Io)?;
        }
        loop {
            if let Some(frame) = conn
                .inbound
                .next_frame()
                .map_err(|e| ConnectFailure::Protocol(e.to_string()))?
            {
                let response = ConnectResponse::decode(frame)
                    .map_err(|e| ConnectFailure::Protocol(e.to_string()))?;
                return Ok((conn, response));
            }
            if conn.inbound.read().await.map_err(ConnectFailure::Io)? == 0 {
                return Err(ConnectFailure::Refused);
            }
        }
    }

    /// Appends a request frame to the output buffer.
    pub(crate) fn push(&mut self, xid: Xid, request: &Request) {
        self.outbound.push(xid, request);
    }
}

impl Inbound {
    /// Reads what the socket has into the input buffer; 0 means the server closed it.
    /// Cancel-safe.
    pub(crate) async fn read(&mut self) -> io::Result<usize> {
        self.reader.read_buf(&mut self.input).await
    }

    /// The next whole frame buffered, if any. An invalid length (negative, or above
    /// `jute.maxbuffer`) is an error: the connection must be dropped.
    pub(crate) fn next_frame(&mut self) -> Result<Option<Bytes>, zk_proto::Error> {
        self.frames.decode(&mut self.input)
    }
}

impl Outbound {
    /// Appends a request frame to the output buffer.
    pub(crate) fn push(&mut self, xid: Xid, request: &Request) {
        request.write_frame(xid, &mut self.output);
    }

    /// True when buffered output waits to be written.
    pub(crate) fn has_output(&self) -> bool {
        !self.output.is_empty()
    }

    /// Writes some buffered output. Cancel-safe: one `write` call.
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        let n = self.writer.write_buf(&mut self.output).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        Ok(())
    }
}
