//! Reading a SNAP's snapshot off the quorum stream (Apache's `Learner.syncWithLeader`).
//!
//! After a SNAP packet the leader writes the snapshot *sync body* (sessions, ACL cache, nodes,
//! the `/` terminator: no header, no seals), then the jute string `"BenWasHere"`. Nothing
//! frames the body, so its end is found by parsing it: a blocking
//! [`SnapshotReader::sync_body`] runs on a blocking thread over a [`Bridge`] that pulls bytes
//! from the async socket and records every byte it hands out. The body is those bytes minus
//! what the reader read ahead past the terminator, which goes back to the packet stream.

use std::io::{self, Read};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::runtime::Handle;
use zk_storage::snapshot::SnapshotReader;
use zk_zab::ServerId;

/// The signature after a SNAP body: jute string `"BenWasHere"` (int length 10, then bytes).
pub(super) const SIGNATURE: [u8; 14] = *b"\0\0\0\x0aBenWasHere";

/// The largest snapshot body accepted.
const SNAPSHOT_BYTES_MAX: u64 = 4 << 30;

/// A blocking reader over the async read half, serving `pending` first and keeping a copy of
/// everything served.
struct Bridge {
    runtime: Handle,
    rd: OwnedReadHalf,
    pending: BytesMut,
    captured: Vec<u8>,
    limit: u64,
}

impl Read for Bridge {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() {
            self.pending.reserve(64 * 1024);
            let n = self.runtime.block_on(self.rd.read_buf(&mut self.pending))?;
            if n == 0 {
                return Ok(0);
            }
        }
        let n = out.len().min(self.pending.len());
        if self.captured.len() as u64 + n as u64 > self.limit {
            return Err(io::Error::other(format!(
                "snapshot larger than {} bytes",
                self.limit
            )));
        }
        out[..n].copy_from_slice(&self.pending[..n]);
        self.pending.advance(n);
        self.captured.extend_from_slice(&out[..n]);
        Ok(n)
    }
}

/// Reads the sync body and the signature that follow a SNAP packet; `buf` holds the bytes
/// already read after the packet. Returns the read half, the bytes read past the signature,
/// and the exact body.
pub(super) async fn read_sync_body(
    rd: OwnedReadHalf,
    buf: BytesMut,
    from: ServerId,
) -> Result<(OwnedReadHalf, BytesMut, Bytes), String> {
    let bridge = Bridge {
        runtime: Handle::current(),
        rd,
        pending: buf,
        captured: Vec::new(),
        limit: SNAPSHOT_BYTES_MAX,
    };
    let parse = move || {
        let mut bridge = bridge;
        let name = format!("SNAP from server {from}");
        let parsed = SnapshotReader::sync_body(&mut bridge, name)
            .and_then(|reader| reader.finish_sync_body())
            .map(|(_, read_ahead)| read_ahead);
        (bridge, parsed)
    };
    let (bridge, parsed) = tokio::task::spawn_blocking(parse)
        .await
        .map_err(|err| format!("snapshot reader thread failed: {err}"))?;
    let read_ahead = parsed.map_err(|err| err.to_string())?;
    let Bridge {
        mut rd,
        pending,
        mut captured,
        ..
    } = bridge;
    // What the reader read past the body belongs to the stream again, before `pending`.
    let body_len = captured
        .len()
        .checked_sub(read_ahead.len())
        .expect("the reader read ahead only bytes it was given");
    captured.truncate(body_len);
    let mut buf = BytesMut::with_capacity(read_ahead.len() + pending.len());
    buf.extend_from_slice(&read_ahead);
    buf.extend_from_slice(&pending);
    while buf.len() < SIGNATURE.len() {
        super::quorum::fill(&mut rd, &mut buf).await?;
    }
    if buf[..SIGNATURE.len()] != SIGNATURE {
        return Err(format!(
            "missing signature after the snapshot: {:02x?}",
            &buf[..SIGNATURE.len()]
        ));
    }
    buf.advance(SIGNATURE.len());
    Ok((rd, buf, Bytes::from(captured)))
}
