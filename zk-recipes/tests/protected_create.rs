//! Curator's "protected mode": a create that the server applied but whose reply was lost with
//! the connection must not leave an orphan node that blocks the lock. A proxy between client
//! and server forwards the lock's create, then drops the connection before the reply.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{server, within, Env};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zk_client::ClientBuilder;
use zk_recipes::Lock;

/// create2's op code.
const OP_CREATE2: i32 = 15;

/// A TCP proxy that, when armed, forwards the next create2 request and then cuts the
/// connection before any reply gets through.
struct Proxy {
    addr: SocketAddr,
    armed: Arc<AtomicBool>,
    cuts: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let armed = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicUsize::new(0));
        let (a, c) = (armed.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, a.clone(), c.clone()));
            }
        });
        Proxy { addr, armed, cuts }
    }
}

async fn relay(
    client: TcpStream,
    upstream: SocketAddr,
    armed: Arc<AtomicBool>,
    cuts: Arc<AtomicUsize>,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    // Replies flow until the cut; from then on they are swallowed (the client is kept
    // connected, so it cannot move its session away before the server applied the create).
    let swallow = Arc::new(AtomicBool::new(false));
    let swallowing = swallow.clone();
    let replies = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match server_rx.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if !swallowing.load(Ordering::SeqCst) && client_tx.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    });
    let mut handshake = true;
    loop {
        let mut len = [0u8; 4];
        if client_rx.read_exact(&mut len).await.is_err() {
            break;
        }
        let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
        if client_rx.read_exact(&mut body).await.is_err() {
            break;
        }
        // Request frames: xid, op code, body (the first frame is the handshake).
        let op = (!handshake && body.len() >= 8)
            .then(|| i32::from_be_bytes(body[4..8].try_into().unwrap()));
        handshake = false;
        let cut = op == Some(OP_CREATE2) && armed.swap(false, Ordering::SeqCst);
        if cut {
            swallow.store(true, Ordering::SeqCst);
            cuts.fetch_add(1, Ordering::SeqCst);
        }
        if server_tx.write_all(&len).await.is_err() || server_tx.write_all(&body).await.is_err() {
            break;
        }
        if cut {
            // Let the server apply the create (its reply is swallowed), then drop both
            // connections: the client sees the create fail with a connection loss.
            tokio::time::sleep(Duration::from_millis(200)).await;
            break;
        }
    }
    replies.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_create_whose_reply_was_lost_is_found_not_duplicated() {
    let env = Env::new("protected").await;
    let proxy = Proxy::start(server().addr).await;
    let builder = ClientBuilder::new(format!("{}{}", proxy.addr, env.root))
        .with_session_timeout(Duration::from_secs(30));
    let client = within("connect", builder.connect()).await.expect("connect");
    let lock = Lock::new(&client, "/lock");
    // Make the lock's parent first: the cut must hit the contender's own create.
    let warm = lock.acquire().await.expect("acquire");
    warm.release().await.expect("release");

    proxy.armed.store(true, Ordering::SeqCst);
    let guard = within("acquire across a lost create reply", lock.acquire())
        .await
        .expect("acquire");
    assert_eq!(
        proxy.cuts.load(Ordering::SeqCst),
        1,
        "the create's reply was cut"
    );
    let observer = env.client().await;
    let contenders = Lock::new(&observer, "/lock").contenders().await.unwrap();
    assert_eq!(
        contenders.len(),
        1,
        "an orphan contender was left: {contenders:?}"
    );
    assert!(guard.node_path().ends_with(&contenders[0]));
    // The node is this session's (the session survived the cut).
    let (_, stat) = observer.get_data(guard.node_path()).await.unwrap();
    assert_eq!(stat.ephemeral_owner, client.session_id().0);
    guard.release().await.expect("release");
    assert!(Lock::new(&observer, "/lock")
        .contenders()
        .await
        .unwrap()
        .is_empty());
}
