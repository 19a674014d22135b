//! Watches: one-shot, persistent, persistent recursive, and dropping watchers.

use std::time::Duration;

use zk_client::{AddWatchMode, CreateOptions, Error, EventType, KeeperState, WatcherType};

use crate::harness::{builder, event, rooted_client, shared, within, Kind, QUICK};

pub async fn one_shot_watches_fire_once(kind: Kind) {
    let (client, root) = rooted_client(kind, "oneshot").await;
    let other = builder(&shared(kind).address()).connect().await.unwrap();
    let other = other.chroot(&root).unwrap();
    let persistent = CreateOptions::persistent();
    client.create("/w", b"0", &persistent).await.unwrap();

    let (data, _, data_watch) = client.get_and_watch_data("/w").await.unwrap();
    assert_eq!(&data[..], b"0");
    let (stat, exists_watch) = client.check_and_watch_stat("/later").await.unwrap();
    assert_eq!(stat, None);
    let (children, _, child_watch) = client.get_and_watch_children("/w").await.unwrap();
    assert!(children.is_empty());

    other.set_data("/w", b"1", None).await.unwrap();
    let e = event(data_watch).await;
    assert_eq!(
        (e.event_type, e.state, e.path.as_str()),
        (EventType::NodeDataChanged, KeeperState::SyncConnected, "/w")
    );
    other.create("/later", b"", &persistent).await.unwrap();
    let e = event(exists_watch).await;
    assert_eq!(
        (e.event_type, e.path.as_str()),
        (EventType::NodeCreated, "/later")
    );
    other.create("/w/c", b"", &persistent).await.unwrap();
    let e = event(child_watch).await;
    assert_eq!(
        (e.event_type, e.path.as_str()),
        (EventType::NodeChildrenChanged, "/w")
    );

    // A node's deletion fires its data watch; exists on an existing node sets a data watch.
    let (stat, deleted_watch) = client.check_and_watch_stat("/later").await.unwrap();
    assert!(stat.is_some());
    other.delete("/later", None).await.unwrap();
    let e = event(deleted_watch).await;
    assert_eq!(
        (e.event_type, e.path.as_str()),
        (EventType::NodeDeleted, "/later")
    );

    // The event reaches the watcher before the reply to the write that caused it.
    let (_, _, mut own) = client.get_and_watch_data("/w").await.unwrap();
    client.set_data("/w", b"2", None).await.unwrap();
    let fired = tokio::time::timeout(Duration::ZERO, &mut own).await;
    assert_eq!(
        fired.map(|e| e.event_type),
        Ok(EventType::NodeDataChanged),
        "the notification must precede the reply"
    );

    // One-shot: the server forgot the watch after firing it.
    assert_eq!(
        client.check_watches("/w", WatcherType::Data).await,
        Err(Error::NoWatcher)
    );
    // A failed getData leaves no watch.
    assert_eq!(
        client.get_and_watch_data("/missing").await.err(),
        Some(Error::NoNode)
    );
    assert_eq!(
        client.check_watches("/missing", WatcherType::Data).await,
        Err(Error::NoWatcher)
    );
}

pub async fn persistent_watches_stream_events(kind: Kind) {
    let (client, root) = rooted_client(kind, "persistent").await;
    let other = builder(&shared(kind).address()).connect().await.unwrap();
    let other = other.chroot(&root).unwrap();
    let persistent = CreateOptions::persistent();

    let mut p = client.watch("/p", AddWatchMode::Persistent).await.unwrap();
    let mut r = client
        .watch("/r", AddWatchMode::PersistentRecursive)
        .await
        .unwrap();

    other.create("/p", b"", &persistent).await.unwrap();
    other.set_data("/p", b"1", None).await.unwrap();
    other.create("/p/c", b"", &persistent).await.unwrap();
    other.delete("/p/c", None).await.unwrap();
    other.delete("/p", None).await.unwrap();
    other.create("/p", b"", &persistent).await.unwrap();
    let expected = [
        (EventType::NodeCreated, "/p"),
        (EventType::NodeDataChanged, "/p"),
        (EventType::NodeChildrenChanged, "/p"),
        (EventType::NodeChildrenChanged, "/p"),
        (EventType::NodeDeleted, "/p"),
        (EventType::NodeCreated, "/p"),
    ];
    for (event_type, path) in expected {
        let e = within(QUICK, "persistent event", p.next()).await.unwrap();
        assert_eq!((e.event_type, e.path.as_str()), (event_type, path));
    }

    other.create("/r", b"", &persistent).await.unwrap();
    other.create("/r/a", b"", &persistent).await.unwrap();
    other.create("/r/a/b", b"", &persistent).await.unwrap();
    other.set_data("/r/a/b", b"x", None).await.unwrap();
    other.delete("/r/a/b", None).await.unwrap();
    other.set_data("/r", b"sentinel", None).await.unwrap();
    // No NodeChildrenChanged on a recursive watch: the sentinel comes right after.
    let expected = [
        (EventType::NodeCreated, "/r"),
        (EventType::NodeCreated, "/r/a"),
        (EventType::NodeCreated, "/r/a/b"),
        (EventType::NodeDataChanged, "/r/a/b"),
        (EventType::NodeDeleted, "/r/a/b"),
        (EventType::NodeDataChanged, "/r"),
    ];
    for (event_type, path) in expected {
        let e = within(QUICK, "recursive event", r.next()).await.unwrap();
        assert_eq!((e.event_type, e.path.as_str()), (event_type, path));
    }
}

pub async fn dropping_a_watcher_removes_it(kind: Kind) {
    let (client, root) = rooted_client(kind, "dropwatch").await;
    let other = builder(&shared(kind).address()).connect().await.unwrap();
    let other = other.chroot(&root).unwrap();
    client
        .create("/d", b"", &CreateOptions::persistent())
        .await
        .unwrap();

    let (_, _, watcher) = client.get_and_watch_data("/d").await.unwrap();
    client.check_watches("/d", WatcherType::Data).await.unwrap();
    drop(watcher);
    // The drop sent removeWatches before this call was issued.
    assert_eq!(
        client.check_watches("/d", WatcherType::Data).await,
        Err(Error::NoWatcher)
    );

    // While another local watcher needs the server watch, it stays.
    let (_, _, first) = client.get_and_watch_data("/d").await.unwrap();
    let (_, _, second) = client.get_and_watch_data("/d").await.unwrap();
    drop(first);
    client.check_watches("/d", WatcherType::Data).await.unwrap();
    other.set_data("/d", b"1", None).await.unwrap();
    assert_eq!(event(second).await.event_type, EventType::NodeDataChanged);

    let (_, _, children) = client.get_and_watch_children("/d").await.unwrap();
    drop(children);
    assert_eq!(
        client.check_watches("/d", WatcherType::Children).await,
        Err(Error::NoWatcher)
    );

    let stream = client.watch("/d", AddWatchMode::Persistent).await.unwrap();
    client.check_watches("/d", WatcherType::Any).await.unwrap();
    drop(stream);
    assert_eq!(
        client.check_watches("/d", WatcherType::Any).await,
        Err(Error::NoWatcher)
    );

    // removeWatches removes on the server and tells the local watchers.
    let (_, _, removed) = client.get_and_watch_data("/d").await.unwrap();
    client
        .remove_watches("/d", WatcherType::Data)
        .await
        .unwrap();
    assert_eq!(event(removed).await.event_type, EventType::DataWatchRemoved);
    let mut stream = client.watch("/d", AddWatchMode::Persistent).await.unwrap();
    client.remove_watches("/d", WatcherType::Any).await.unwrap();
    let e = within(QUICK, "removal", stream.next()).await.unwrap();
    assert_eq!(e.event_type, EventType::PersistentWatchRemoved);
    assert_eq!(within(QUICK, "stream end", stream.next()).await, None);
    assert_eq!(
        client.remove_watches("/d", WatcherType::Any).await,
        Err(Error::NoWatcher)
    );
}
