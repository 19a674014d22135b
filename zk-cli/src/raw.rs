//! Requests `zk-client` has no method for, sent on a short-lived session of their own:
//! `reconfig` (op 16), and the four-letter words `srvr` and `mntr` for `cluster status`.
//!
//! The reconfig session re-sends the shell's `addauth` credentials first, so that the server
//! sees the same identities (reconfig needs `super` or ADMIN on `/zookeeper/config`).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zk_proto::frame::FrameDecoder;
use zk_proto::jute::Reader;
use zk_proto::{
    AuthPacket, ConnectRequest, ConnectResponse, ErrorCode, GetDataResponse, Jute, ReconfigRequest,
    ReplyHeader, Request, SessionId, Stat, Xid, Zxid,
};

/// Why a raw request failed.
#[derive(Debug)]
pub enum RawError {
    /// The server answered with this code.
    Code(ErrorCode),
    /// The connection failed or the server said something unexpected.
    Io(String),
}

struct RawConnection {
    stream: TcpStream,
    buf: BytesMut,
    decoder: FrameDecoder,
}

impl RawConnection {
    async fn open(host: &(String, u16), timeout: Duration) -> Result<RawConnection, RawError> {
        let connect = TcpStream::connect((host.0.as_str(), host.1));
        let stream = tokio::time::timeout(timeout, connect)
            .await
            .map_err(|_| RawError::Io("connect timed out".into()))?
            .map_err(|e| RawError::Io(e.to_string()))?;
        Ok(RawConnection {
            stream,
            buf: BytesMut::new(),
            decoder: FrameDecoder::default(),
        })
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), RawError> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|e| RawError::Io(e.to_string()))
    }

    async fn frame(&mut self) -> Result<Bytes, RawError> {
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(e) => return Err(RawError::Io(e.to_string())),
            }
            let n = self
                .stream
                .read_buf(&mut self.buf)
                .await
                .map_err(|e| RawError::Io(e.to_string()))?;
            if n == 0 {
                return Err(RawError::Io("connection closed by the server".into()));
            }
        }
    }

    /// Reads frames until the reply to `xid` (skipping notifications and pings).
    async fn reply(&mut self, xid: Xid) -> Result<(ReplyHeader, Reader), RawError> {
        loop {
            let frame = self.frame().await?;
            let mut reader = Reader::new(frame);
            let header = ReplyHeader::read(&mut reader, "ReplyHeader")
                .map_err(|e| RawError::Io(e.to_string()))?;
            if header.xid == xid {
                return Ok((header, reader));
            }
        }
    }
}

/// Sends one reconfig on a new session to the first reachable host, with `auths` added
/// first; returns the new configuration's data and Stat.
pub async fn reconfig(
    hosts: &[(String, u16)],
    auths: &[(String, Vec<u8>)],
    request: ReconfigRequest,
    timeout: Duration,
) -> Result<(Bytes, Stat), RawError> {
    let mut last = RawError::Io("no host".into());
    for host in hosts {
        match tokio::time::timeout(timeout, reconfig_on(host, auths, request.clone(), timeout))
            .await
        {
            Ok(Err(RawError::Io(e))) => last = RawError::Io(e),
            Ok(outcome) => return outcome,
            Err(_) => last = RawError::Io("timed out".into()),
        }
    }
    Err(last)
}

async fn reconfig_on(
    host: &(String, u16),
    auths: &[(String, Vec<u8>)],
    request: ReconfigRequest,
    timeout: Duration,
) -> Result<(Bytes, Stat), RawError> {
    let mut conn = RawConnection::open(host, timeout).await?;
    let mut out = BytesMut::new();
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: Zxid::ZERO,
        timeout_ms: i32::try_from(timeout.as_millis()).unwrap_or(30_000),
        session_id: SessionId(0),
        passwd: Bytes::from_static(&[0; 16]),
        read_only: false,
        old_client: false,
    }
    .write_frame(&mut out);
    conn.send(&out).await?;
    let response =
        ConnectResponse::decode(conn.frame().await?).map_err(|e| RawError::Io(e.to_string()))?;
    if response.is_expired() {
        return Err(RawError::Code(ErrorCode::SessionExpired));
    }
    for (scheme, auth) in auths {
        let mut out = BytesMut::new();
        Request::Auth(AuthPacket {
            auth_type: 0,
            scheme: scheme.clone(),
            auth: Bytes::copy_from_slice(auth),
        })
        .write_frame(Xid::AUTH, &mut out);
        conn.send(&out).await?;
        let (header, _) = conn.reply(Xid::AUTH).await?;
        if !header.err.is_ok() {
            return Err(RawError::Code(ErrorCode::AuthFailed));
        }
    }
    let mut out = BytesMut::new();
    Request::Reconfig(request).write_frame(Xid(1), &mut out);
    conn.send(&out).await?;
    let (header, mut reader) = conn.reply(Xid(1)).await?;
    let outcome = if header.err.is_ok() {
        GetDataResponse::read(&mut reader, "GetDataResponse")
            .map(|r| (r.data.unwrap_or_default(), r.stat))
            .map_err(|e| RawError::Io(e.to_string()))
    } else {
        Err(RawError::Code(header.err))
    };
    let mut out = BytesMut::new();
    Request::CloseSession.write_frame(Xid(2), &mut out);
    let _ = conn.send(&out).await;
    let _ = tokio::time::timeout(Duration::from_millis(500), conn.reply(Xid(2))).await;
    outcome
}

/// Sends a four-letter word and returns the whole answer.
pub async fn four_letter_word(
    host: &(String, u16),
    word: &str,
    timeout: Duration,
) -> Result<String, RawError> {
    let exchange = async {
        let mut conn = RawConnection::open(host, timeout).await?;
        conn.send(word.as_bytes()).await?;
        let mut text = Vec::new();
        conn.stream
            .read_to_end(&mut text)
            .await
            .map_err(|e| RawError::Io(e.to_string()))?;
        Ok(String::from_utf8_lossy(&text).into_owned())
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| RawError::Io("timed out".into()))?
}
