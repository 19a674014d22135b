//! NodeCache, TreeCache, ServiceDiscovery, PersistentNode, GroupMember and Party against our
//! server: caches converge after bursts, discovery sees registrations and expirations,
//! ephemeral nodes come back after session expiry.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{eventually, expire, within, Env};
use zk_client::{Client, CreateMode, CreateOptions};
use zk_recipes::{
    GroupMember, NodeCache, Party, PersistentNode, ServiceDiscovery, ServiceInstance, TreeCache,
    TreeCacheEvent,
};

/// The subtree at `root` as the server has it now: path → data.
async fn server_tree(client: &Client, root: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(path) = stack.pop() {
        let Ok((data, _)) = client.get_data(&path).await else {
            continue;
        };
        out.insert(path.clone(), data.to_vec());
        for child in client.get_children(&path).await.unwrap_or_default() {
            stack.push(format!("{}/{child}", path.trim_end_matches('/')));
        }
    }
    out
}

fn cached_tree(cache: &TreeCache) -> BTreeMap<String, Vec<u8>> {
    cache
        .snapshot()
        .into_iter()
        .map(|(k, v)| (k, v.data.to_vec()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tree_cache_converges_after_a_burst_of_changes() {
    let env = Env::new("tree-cache").await;
    let writer = env.client().await;
    let reader = env.client().await;
    writer
        .create("/tree", b"root", &CreateOptions::persistent())
        .await
        .unwrap();
    writer
        .create("/tree/pre", b"before", &CreateOptions::persistent())
        .await
        .unwrap();
    let cache = TreeCache::start(&reader, "/tree").await.expect("start");
    let mut events = cache.events();
    within("load", cache.initialized())
        .await
        .expect("initialized");
    assert_eq!(cache.get("/tree/pre").unwrap().data, &b"before"[..]);

    // A burst: creates, nested creates, updates, deletes, a delete-and-recreate, all
    // pipelined without waiting.
    let persistent = CreateOptions::persistent();
    let mut writes: Vec<Write> = Vec::new();
    for i in 0..20 {
        writes.push(w(writer.create(&format!("/tree/n{i}"), b"v0", &persistent)));
        writes.push(w(writer.create(
            &format!("/tree/n{i}/c"),
            b"leaf",
            &persistent,
        )));
        writes.push(w(writer.set_data(&format!("/tree/n{i}"), b"v1", None)));
        writes.push(w(writer.set_data(&format!("/tree/n{i}"), b"v2", None)));
    }
    for i in 0..10 {
        writes.push(w(writer.delete(&format!("/tree/n{i}/c"), None)));
        writes.push(w(writer.delete(&format!("/tree/n{i}"), None)));
    }
    writes.push(w(writer.delete("/tree/pre", None)));
    writes.push(w(writer.create("/tree/pre", b"after", &persistent)));
    for write in writes {
        write.await.expect("write");
    }

    let expected = server_tree(&writer, "/tree").await;
    assert_eq!(expected.len(), 1 + 1 + 10 * 2);
    within("the cache to converge", async {
        while cached_tree(&cache) != expected {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(cache.get("/tree/pre").unwrap().data, &b"after"[..]);
    assert_eq!(cache.children("/tree").len(), 11);
    assert_eq!(cache.children("/tree/n15"), vec!["c".to_owned()]);

    // The event stream tells the same story. (Changes the cache read after they were
    // undone, like n0's creation, may be coalesced away; the end state may not.)
    let mut seen = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(100), events.next()).await
    {
        seen.push(event);
    }
    assert!(seen.contains(&TreeCacheEvent::Initialized));
    assert!(seen
        .iter()
        .any(|e| matches!(e, TreeCacheEvent::NodeRemoved(n) if n.path == "/tree/pre")));
    assert!(seen
        .iter()
        .any(|e| matches!(e, TreeCacheEvent::NodeAdded(n) if n.path == "/tree/n15/c")));
    let last_n15 = seen.iter().rev().find_map(|e| match e {
        TreeCacheEvent::NodeAdded(n) | TreeCacheEvent::NodeUpdated(n) if n.path == "/tree/n15" => {
            Some(n.data.clone())
        }
        _ => None,
    });
    assert_eq!(last_n15.as_deref(), Some(&b"v2"[..]));
}

/// A client write whose result is dropped, so writes of different types share a Vec (each
/// request is sent when its method is called: pushing them in order pipelines them).
type Write = std::pin::Pin<Box<dyn std::future::Future<Output = zk_client::Result<()>> + Send>>;

fn w<T: 'static>(
    write: impl std::future::Future<Output = zk_client::Result<T>> + Send + 'static,
) -> Write {
    Box::pin(async move { write.await.map(drop) })
}

#[tokio::test]
async fn a_node_cache_follows_one_node_through_create_change_and_delete() {
    let env = Env::new("node-cache").await;
    let writer = env.client().await;
    let reader = env.client().await;
    let cache = NodeCache::start(&reader, "/flag").await.expect("start");
    within("load", cache.initialized()).await.unwrap();
    assert!(cache.current().is_none());
    writer
        .create("/flag", b"on", &CreateOptions::persistent())
        .await
        .unwrap();
    eventually("created", || {
        cache.current().is_some_and(|n| n.data == b"on"[..])
    })
    .await;
    for i in 0..20 {
        // Sent at once; the replies are not awaited (a burst).
        drop(writer.set_data("/flag", format!("v{i}").as_bytes(), None));
    }
    writer.sync("/").await.unwrap();
    eventually("converged", || {
        cache.current().is_some_and(|n| n.data == b"v19"[..])
    })
    .await;
    assert_eq!(cache.current().unwrap().stat.version, 20);
    let change = {
        let sub = cache.subscribe();
        tokio::spawn(async move {
            let mut sub = sub;
            sub.wait_for(|v| matches!(v, Some(None))).await.map(|_| ())
        })
    };
    writer.delete("/flag", None).await.unwrap();
    within("deleted", change).await.unwrap().unwrap();
    assert!(cache.current().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_discovery_sees_registrations_and_expirations() {
    let env = Env::new("discovery").await;
    let consumer = env.client().await;
    let discovery = ServiceDiscovery::new(&consumer, "/services");
    let cache = discovery.service_cache("api").await.expect("cache");
    within("load", cache.initialized()).await.unwrap();
    assert!(cache.instances().is_empty());

    // Two providers register.
    let provider_a = env.client().await;
    let provider_b = env.client().await;
    let a = ServiceDiscovery::new(&provider_a, "/services");
    let b = ServiceDiscovery::new(&provider_b, "/services");
    let ia = ServiceInstance::builder("api")
        .id("a")
        .address("10.0.0.1")
        .port(80)
        .uri_spec("{scheme}://{address}:{port}")
        .build();
    let ib = ServiceInstance::builder("api")
        .id("b")
        .address("10.0.0.2")
        .port(80)
        .build();
    a.register(&ia).await.expect("register a");
    b.register(&ib).await.expect("register b");
    eventually("both seen", || cache.instances().len() == 2).await;
    assert_eq!(discovery.names().await.unwrap(), vec!["api".to_owned()]);
    let queried = discovery.instances("api").await.unwrap();
    assert_eq!(
        queried.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(discovery.instance("api", "a").await.unwrap().unwrap(), ia);
    // Curator's JSON on the wire.
    let (raw, stat) = consumer.get_data("/services/api/a").await.unwrap();
    let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(json["serviceType"], "DYNAMIC");
    assert_eq!(json["address"], "10.0.0.1");
    assert!(json["registrationTimeUTC"].is_i64());
    assert_eq!(json["uriSpec"]["parts"][0]["variable"], true);
    assert_eq!(stat.ephemeral_owner, provider_a.session_id().0);

    // An update is seen.
    let mut disabled = ib.clone();
    disabled.enabled = false;
    b.update(&disabled).await.unwrap();
    eventually("update seen", || {
        cache.instances().iter().any(|i| i.id == "b" && !i.enabled)
    })
    .await;

    // Provider b's process dies: its client is closed, its instance goes.
    drop(b);
    provider_b.close().await;
    eventually("b gone", || cache.instances().iter().all(|i| i.id != "b")).await;

    // Provider a's session expires: its registration is re-created on a new session.
    expire(&provider_a).await;
    let owner_before = stat.ephemeral_owner;
    within("a re-registered on a new session", async {
        loop {
            if let Ok((_, s)) = consumer.get_data("/services/api/a").await {
                if s.ephemeral_owner != owner_before {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    eventually("a still listed", || {
        cache.instances().iter().any(|i| i.id == "a")
    })
    .await;
    a.unregister(&ia).await.expect("unregister");
    eventually("a gone", || cache.instances().is_empty()).await;
}

#[tokio::test]
async fn a_persistent_node_comes_back_after_deletion_and_session_expiry() {
    let env = Env::new("persistent-node").await;
    let owner = env.client().await;
    let admin = env.client().await;
    let node = PersistentNode::start(&owner, "/members/me", b"hi", CreateMode::Ephemeral).unwrap();
    assert_eq!(
        within("create", node.wait_for_initial_create())
            .await
            .unwrap(),
        "/members/me"
    );
    admin.delete("/members/me", None).await.unwrap();
    within("re-created after delete", async {
        while admin.exists("/members/me").await.unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    expire(&owner).await;
    within("re-created on a new session", async {
        loop {
            if let Some(stat) = admin.exists("/members/me").await.unwrap() {
                if stat.ephemeral_owner != owner.session_id().0 {
                    return stat;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_ne!(node.client().session_id(), owner.session_id());
    node.set_data(b"bye").await.unwrap();
    assert_eq!(&admin.get_data("/members/me").await.unwrap().0[..], b"bye");
    node.close().await.unwrap();
    assert!(admin.exists("/members/me").await.unwrap().is_none());

    // Sequential mode: a protected name under the parent.
    let seq = PersistentNode::start(
        &admin,
        "/members/seq-",
        b"",
        CreateMode::EphemeralSequential,
    )
    .unwrap();
    let path = within("create", seq.wait_for_initial_create())
        .await
        .unwrap();
    assert!(
        path.starts_with("/members/_c_") && path.contains("-seq-"),
        "{path}"
    );
}

#[tokio::test]
async fn group_members_see_each_other_come_and_go() {
    let env = Env::new("group").await;
    let c1 = env.client().await;
    let c2 = env.client().await;
    let m1 = GroupMember::start(&c1, "/group", "one", b"p1")
        .await
        .expect("join");
    let m2 = GroupMember::start(&c2, "/group", "two", b"p2")
        .await
        .expect("join");
    eventually("both", || m1.members().len() == 2).await;
    assert_eq!(m2.members().get("one").map(|b| &b[..]), Some(&b"p1"[..]));
    m2.set_payload(b"p2'").await.unwrap();
    eventually("payload", || {
        m1.members().get("two").is_some_and(|p| p == &b"p2'"[..])
    })
    .await;
    m2.close().await.unwrap();
    eventually("two left", || m1.members().len() == 1).await;

    // kazoo's Party.
    let p1 = Party::new(&c1, "/party", "alice");
    let p2 = Party::new(&c2, "/party", "bob");
    p1.join().await.unwrap();
    p2.join().await.unwrap();
    p2.join().await.unwrap();
    let mut members = p1.members().await.unwrap();
    members.sort();
    assert_eq!(members, ["alice", "bob"]);
    let names = c1.get_children("/party").await.unwrap();
    assert!(
        names
            .iter()
            .all(|n| n.len() == 32 + 9 && n.ends_with("__party__")),
        "{names:?}"
    );
    p2.leave().await.unwrap();
    assert_eq!(p1.len().await.unwrap(), 1);
    c1.close().await;
    assert!(
        p2.is_empty().await.unwrap(),
        "alice's node went with her session"
    );
}
