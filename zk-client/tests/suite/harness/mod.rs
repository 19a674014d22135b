//! The integration suite's harness: servers of both kinds, a cutting proxy, and helpers.

pub mod proxy;
pub mod servers;

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use zk_client::{
    Client, ClientBuilder, CreateOptions, Error, OneshotWatcher, SessionEvent, SessionEvents,
    WatchedEvent,
};

pub use proxy::Proxy;
pub use servers::{shared, Kind, Server};

/// Fails the test if `fut` takes longer than `limit`.
pub async fn within<T>(limit: Duration, what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// Five seconds: generous for anything that should be quick.
pub const QUICK: Duration = Duration::from_secs(5);

/// A builder for `address` with a 4 s session and hosts in the order given.
pub fn builder(address: &str) -> ClientBuilder {
    ClientBuilder::new(address)
        .with_session_timeout(Duration::from_secs(4))
        .with_randomized_hosts(false)
        .with_fail_eagerly(true)
}

/// A client on the shared server of `kind`, rooted at a fresh node of its own, so that tests
/// sharing a server never see each other's nodes.
pub async fn rooted_client(kind: Kind, test: &str) -> (Client, String) {
    let server = shared(kind);
    let client = within(QUICK, "connect", builder(&server.address()).connect())
        .await
        .expect("connect");
    let root = unique_root(test);
    client
        .create(&root, b"", &CreateOptions::persistent())
        .await
        .expect("create test root");
    (client.chroot(&root).expect("chroot"), root)
}

/// A path no other test (or earlier run against the same server) uses.
pub fn unique_root(test: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "/{test}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Waits (briefly) for a one-shot watcher's event.
pub async fn event(watcher: OneshotWatcher) -> WatchedEvent {
    within(QUICK, "watch event", watcher).await
}

/// Waits for the next session event and checks it.
pub async fn expect_event(events: &mut SessionEvents, expected: SessionEvent, limit: Duration) {
    let what = format!("session event {expected:?}");
    let got = within(limit, &what, events.next()).await;
    assert_eq!(got, Some(expected), "waiting for {expected:?}");
}

/// Retries `op` while it fails with a retryable error (the session is reconnecting).
pub async fn retry<T, F, Fut>(mut op: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    for _ in 0..50 {
        match op().await {
            Err(e) if e.is_retryable() => tokio::time::sleep(Duration::from_millis(100)).await,
            other => return other,
        }
    }
    op().await
}
