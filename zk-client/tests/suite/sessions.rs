//! Sessions: close, failover between hosts, reconnection, expiry, pings, timeouts.

use std::time::Duration;

use zk_client::{
    AddWatchMode, CreateOptions, Error, EventType, KeeperState, SessionEvent, SessionState,
};

use crate::harness::{
    builder, event, expect_event, retry, rooted_client, shared, unique_root, within, Kind, Proxy,
    Server, QUICK,
};

pub async fn close_ends_the_session(kind: Kind) {
    let server = shared(kind);
    let (client, root) = rooted_client(kind, "close").await;
    let other = builder(&server.address()).connect().await.unwrap();
    let other = other.chroot(&root).unwrap();
    client
        .create("/e", b"", &CreateOptions::ephemeral())
        .await
        .unwrap();
    // Watch a node the close does not delete (deleting /e fires its own watches first).
    client
        .create("/w", b"", &CreateOptions::persistent())
        .await
        .unwrap();
    let mut events = client.session_events();
    let (_, _, watcher) = client.get_and_watch_data("/w").await.unwrap();
    let mut stream = client.watch("/w", AddWatchMode::Persistent).await.unwrap();

    let before = client.get_data("/e");
    within(QUICK, "close", client.close()).await;
    assert!(
        before.await.is_ok(),
        "a request issued before close is answered"
    );
    expect_event(&mut events, SessionEvent::Closed, QUICK).await;
    assert_eq!(events.next().await, None);
    assert_eq!(client.state(), SessionState::Closed);
    assert_eq!(client.get_data("/e").await, Err(Error::Closed));
    let e = event(watcher).await;
    assert_eq!(
        (e.event_type, e.state),
        (EventType::None, KeeperState::Closed)
    );
    let e = within(QUICK, "stream end", stream.next()).await.unwrap();
    assert!(e.is_session_end());
    assert_eq!(stream.next().await, None);
    assert_eq!(other.exists("/e").await.unwrap(), None);
    within(QUICK, "second close", client.close()).await;

    // Dropping every handle closes the session too.
    let dropped = builder(&server.address()).connect().await.unwrap();
    let path = format!("{root}/dropped");
    dropped
        .create(&path, b"", &CreateOptions::ephemeral())
        .await
        .unwrap();
    drop(dropped);
    within(QUICK, "ephemeral gone", async {
        while other.exists("/dropped").await.unwrap().is_some() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

pub async fn fail_eagerly_and_failover_between_hosts(kind: Kind) {
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dead = format!("127.0.0.1:{dead}");
    let err = within(QUICK, "fail eagerly", builder(&dead).connect())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoHostReachable(_)), "{err:?}");

    // The dead host is tried first and skipped.
    let both = format!("{dead},{}", shared(kind).address());
    let client = within(QUICK, "connect", builder(&both).connect())
        .await
        .unwrap();
    assert_eq!(client.state(), SessionState::Connected);
    client.exists("/").await.unwrap();
}

/// Restarts a server under a connected session (kept from its clients by a proxy while it is
/// down), changes a watched node while the client is away, then lets it back: the session,
/// its ephemeral, its credentials and its watches survive, and the missed change is delivered
/// by setWatches' catch-up.
pub async fn reconnect_to_restarted_server_keeps_session_and_watches(kind: Kind) {
    let mut server = Server::start(kind);
    let proxy = Proxy::start(server.port()).await;
    let a = builder(&proxy.address())
        .with_session_timeout(Duration::from_secs(10))
        .with_auth("digest", b"bob:pw")
        .connect()
        .await
        .unwrap();
    let session = a.session_id();
    let mut events = a.session_events();
    let persistent = CreateOptions::persistent();
    a.create("/e", b"", &CreateOptions::ephemeral())
        .await
        .unwrap();
    a.create("/w", b"0", &persistent).await.unwrap();
    a.create("/c", b"", &persistent).await.unwrap();
    let (_, _, data_watch) = a.get_and_watch_data("/w").await.unwrap();
    let (_, _, child_watch) = a.get_and_watch_children("/c").await.unwrap();
    let (_, exists_watch) = a.check_and_watch_stat("/later").await.unwrap();
    let mut stream = a.watch("/p", AddWatchMode::Persistent).await.unwrap();

    // A request in flight when the connection drops fails with ConnectionLoss.
    proxy.blackhole();
    let in_flight = a.get_data("/w");
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.cut();
    assert_eq!(
        within(QUICK, "in-flight failure", in_flight).await,
        Err(Error::ConnectionLoss)
    );
    assert!(Error::ConnectionLoss.is_retryable());
    expect_event(&mut events, SessionEvent::Disconnected, QUICK).await;
    let e = within(QUICK, "stream disconnect", stream.next())
        .await
        .unwrap();
    assert_eq!(
        (e.event_type, e.state),
        (EventType::None, KeeperState::Disconnected)
    );

    // A request issued while disconnected waits for the reconnection.
    let queued = a.get_data("/w");

    server.restart();
    let b = within(QUICK, "connect b", builder(&server.address()).connect())
        .await
        .unwrap();
    b.set_data("/w", b"changed while away", None).await.unwrap();
    b.create("/later", b"", &persistent).await.unwrap();
    proxy.restore();

    expect_event(
        &mut events,
        SessionEvent::Reconnected,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(a.session_id(), session);
    assert_eq!(
        &within(QUICK, "queued", queued).await.unwrap().0[..],
        b"changed while away"
    );
    // Caught up by setWatches: both changes happened while the client was away.
    let e = event(data_watch).await;
    assert_eq!(
        (e.event_type, e.path.as_str()),
        (EventType::NodeDataChanged, "/w")
    );
    let e = event(exists_watch).await;
    assert_eq!(
        (e.event_type, e.path.as_str()),
        (EventType::NodeCreated, "/later")
    );
    // The child watch was re-registered and still fires.
    b.create("/c/x", b"", &persistent).await.unwrap();
    let e = event(child_watch).await;
    assert_eq!(
        (e.event_type, e.path.as_str()),
        (EventType::NodeChildrenChanged, "/c")
    );
    // So was the persistent watch (which says it reconnected).
    let e = within(QUICK, "stream reconnect", stream.next())
        .await
        .unwrap();
    assert_eq!(
        (e.event_type, e.state),
        (EventType::None, KeeperState::SyncConnected)
    );
    b.create("/p", b"", &persistent).await.unwrap();
    let e = within(QUICK, "stream event", stream.next()).await.unwrap();
    assert_eq!(
        (e.event_type, e.path.as_str()),
        (EventType::NodeCreated, "/p")
    );
    // The ephemeral and the credentials survived.
    let owner = b.exists("/e").await.unwrap().map(|s| s.ephemeral_owner);
    assert_eq!(owner, Some(session.0));
    let me = retry(|| a.who_am_i()).await.unwrap();
    assert!(
        me.iter()
            .any(|c| c.auth_scheme == "digest" && c.user == "bob"),
        "{me:?}"
    );
}

/// Keeps the only server down for longer than the session timeout: the client declares the
/// session expired, fails every call with SessionExpired and tells every watcher, and a new
/// session can then be started explicitly.
pub async fn session_expires_when_no_server_answers_in_time(kind: Kind) {
    let mut server = Server::start(kind);
    let a = builder(&server.address())
        .with_session_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let old_session = a.session_id();
    let mut events = a.session_events();
    a.create("/e", b"", &CreateOptions::ephemeral())
        .await
        .unwrap();
    let (_, watcher) = a.check_and_watch_stat("/e").await.unwrap();
    let mut stream = a.watch("/e", AddWatchMode::Persistent).await.unwrap();

    server.stop();
    expect_event(&mut events, SessionEvent::Disconnected, QUICK).await;
    expect_event(&mut events, SessionEvent::Expired, QUICK).await;
    assert_eq!(events.next().await, None);
    assert_eq!(a.state(), SessionState::Expired);
    assert_eq!(a.get_data("/e").await, Err(Error::SessionExpired));
    assert!(Error::SessionExpired.is_terminal());
    let e = event(watcher).await;
    assert_eq!(
        (e.event_type, e.state),
        (EventType::None, KeeperState::Expired)
    );
    let e = within(QUICK, "stream", stream.next()).await.unwrap();
    assert_eq!(e.state, KeeperState::Disconnected);
    let e = within(QUICK, "stream", stream.next()).await.unwrap();
    assert_eq!(e.state, KeeperState::Expired);
    assert_eq!(stream.next().await, None);

    // Explicit recovery: a new session; the server expires the old one (and its ephemeral).
    server.restart();
    let b = within(
        Duration::from_secs(10),
        "new session",
        a.reconnect_new_session(),
    )
    .await
    .unwrap();
    assert_ne!(b.session_id(), old_session);
    assert_eq!(b.state(), SessionState::Connected);
    within(Duration::from_secs(10), "old ephemeral expired", async {
        while b.exists("/e").await.unwrap().is_some() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
}

/// Another client takes over the session (same id and password) and closes it while our
/// client is cut off; when it reconnects, the server answers "expired" and the client
/// surfaces it.
pub async fn expiry_reported_by_the_server_is_surfaced(kind: Kind) {
    let server = shared(kind);
    let root = unique_root("expiry");
    let proxy = Proxy::start(server.port()).await;
    let a = builder(&proxy.address())
        .with_session_timeout(Duration::from_secs(8))
        .connect()
        .await
        .unwrap();
    let mut events = a.session_events();
    a.create(&root, b"", &CreateOptions::ephemeral())
        .await
        .unwrap();

    proxy.cut();
    expect_event(&mut events, SessionEvent::Disconnected, QUICK).await;
    let thief = builder(&server.address())
        .with_session(a.session_id(), a.session_password())
        .connect()
        .await
        .unwrap();
    assert_eq!(thief.session_id(), a.session_id());
    thief.close().await;
    let observer = builder(&server.address()).connect().await.unwrap();
    assert_eq!(observer.exists(&root).await.unwrap(), None);
    proxy.restore();

    expect_event(&mut events, SessionEvent::Expired, QUICK).await;
    assert_eq!(a.exists("/").await, Err(Error::SessionExpired));
    // Resuming an expired session is refused the same way.
    let late = builder(&server.address())
        .with_session(a.session_id(), a.session_password())
        .connect()
        .await;
    assert_eq!(late.err(), Some(Error::SessionExpired));
}

/// Two standalone servers: the client writes on the first, which then goes down. The second
/// has never seen those writes, so it must refuse the client (whose lastZxidSeen is ahead of
/// it) rather than declare the session expired; the client keeps trying and resumes its
/// session when the first server comes back.
pub async fn server_behind_our_last_zxid_is_skipped(kind: Kind) {
    let mut ahead = Server::start(kind);
    let behind = Server::start(kind);
    let hosts = format!("{},{}", ahead.address(), behind.address());
    let a = builder(&hosts)
        .with_session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap();
    let session = a.session_id();
    let mut events = a.session_events();
    for i in 0..10 {
        a.create(&format!("/n{i}"), b"", &CreateOptions::persistent())
            .await
            .unwrap();
    }
    // A one-shot watch only: re-registered with plain setWatches (op 101).
    let (_, _, watcher) = a.get_and_watch_data("/n0").await.unwrap();
    ahead.stop();
    expect_event(&mut events, SessionEvent::Disconnected, QUICK).await;
    // Give the client time to try (and be refused by) the server behind it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(a.state(), SessionState::Disconnected);
    ahead.restart();
    expect_event(
        &mut events,
        SessionEvent::Reconnected,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(a.session_id(), session);
    assert!(retry(|| a.exists("/n9")).await.unwrap().is_some());
    retry(|| a.set_data("/n0", b"after", None)).await.unwrap();
    let e = event(watcher).await;
    assert_eq!(
        (e.event_type, e.path.as_str()),
        (EventType::NodeDataChanged, "/n0")
    );
    drop(behind);
}

/// A connected client that sends nothing for longer than its session timeout keeps its
/// session: it pings after a third of the timeout of silence.
pub async fn idle_session_is_kept_alive_by_pings(kind: Kind) {
    let server = shared(kind);
    let client = builder(&server.address())
        .with_session_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let mut events = client.session_events();
    let path = unique_root("idle");
    client
        .create(&path, b"", &CreateOptions::ephemeral())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        tokio::time::timeout(Duration::ZERO, events.next())
            .await
            .is_err(),
        "no session event while idle"
    );
    assert_eq!(client.state(), SessionState::Connected);
    assert!(client.exists(&path).await.unwrap().is_some());
}

/// With a request timeout, a call whose reply never comes fails with Timeout (the
/// connection itself stays up until its read timeout).
pub async fn request_timeout_fails_a_call_without_a_reply(kind: Kind) {
    let proxy = Proxy::start(shared(kind).port()).await;
    let client = builder(&proxy.address())
        .with_request_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    client.exists("/").await.unwrap();
    proxy.blackhole();
    let started = std::time::Instant::now();
    assert_eq!(client.exists("/").await, Err(Error::Timeout));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(Error::Timeout.is_outcome_unknown());
}
