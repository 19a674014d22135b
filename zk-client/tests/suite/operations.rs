//! Operations: CRUD, create modes, ACLs and auth, multi, call ordering, session info.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use std::time::Duration;

use zk_client::{
    Acl, CreateMode, CreateOptions, Error, Id, OpResult, Perms, ReadResult, SessionEvent,
    SessionState, Stat,
};
use zk_proto::ErrorCode;

use crate::harness::{builder, expect_event, rooted_client, shared, within, Kind, QUICK};

pub async fn crud_round_trip(kind: Kind) {
    let (client, _root) = rooted_client(kind, "crud").await;
    let persistent = CreateOptions::persistent();

    let (path, stat) = client.create("/a", b"one", &persistent).await.unwrap();
    assert_eq!(
        (path.as_str(), stat.version, stat.data_length),
        ("/a", 0, 3)
    );
    assert_eq!(
        client.create("/a", b"", &persistent).await,
        Err(Error::NodeExists)
    );
    let (data, read_stat) = client.get_data("/a").await.unwrap();
    assert_eq!((&data[..], read_stat), (&b"one"[..], stat));

    let stat = client.set_data("/a", b"two", Some(0)).await.unwrap();
    assert_eq!(stat.version, 1);
    assert_eq!(
        client.set_data("/a", b"x", Some(0)).await,
        Err(Error::BadVersion)
    );
    assert_eq!(
        client.exists("/a").await.unwrap().map(|s| s.version),
        Some(1)
    );
    assert_eq!(client.exists("/nope").await.unwrap(), None);
    assert_eq!(client.get_data("/nope").await, Err(Error::NoNode));
    assert_eq!(
        client.set_data("/nope", b"", None).await,
        Err(Error::NoNode)
    );

    client.create("/a/b", b"", &persistent).await.unwrap();
    client.create("/a/c", b"", &persistent).await.unwrap();
    let mut children = client.get_children("/a").await.unwrap();
    children.sort();
    assert_eq!(children, ["b", "c"]);
    let (_, parent) = client.get_children2("/a").await.unwrap();
    assert_eq!(parent.num_children, 2);
    assert_eq!(client.get_all_children_number("/a").await.unwrap(), 2);
    assert_eq!(client.get_children("/nope").await, Err(Error::NoNode));

    assert_eq!(client.delete("/a", None).await, Err(Error::NotEmpty));
    assert_eq!(client.delete("/a/b", Some(5)).await, Err(Error::BadVersion));
    client.delete("/a/b", Some(0)).await.unwrap();
    assert_eq!(client.delete("/a/b", None).await, Err(Error::NoNode));
    client.sync("/a").await.unwrap();

    // A chroot view sees paths relative to its root, and its root as "/".
    let view = client.chroot("/a").unwrap();
    let (path, _) = view.create("/d", b"dd", &persistent).await.unwrap();
    assert_eq!(path, "/d");
    assert!(client.exists("/a/d").await.unwrap().is_some());
    let mut children = view.get_children("/").await.unwrap();
    children.sort();
    assert_eq!(children, ["c", "d"]);
    assert_eq!(&view.get_data("/d").await.unwrap().0[..], b"dd");

    // Bad paths are refused before anything is sent.
    assert!(matches!(
        client.get_data("relative").await,
        Err(Error::InvalidPath(_))
    ));
    assert!(matches!(
        client.create("/a/", b"", &persistent).await,
        Err(Error::InvalidPath(_))
    ));
    // Large data round-trips.
    let big = vec![7u8; 500_000];
    client.create("/big", &big, &persistent).await.unwrap();
    assert_eq!(client.get_data("/big").await.unwrap().0.len(), big.len());
    // Null data (zkCli's `create /x`) stays distinct from empty data.
    let null = persistent.clone().with_null_data();
    client.create("/null", b"ignored", &null).await.unwrap();
    client.create("/empty", b"", &persistent).await.unwrap();
    let (data, stat) = client.get_data_nullable("/null").await.unwrap();
    assert_eq!((data, stat.data_length), (None, 0));
    let (data, _) = client.get_data_nullable("/empty").await.unwrap();
    assert_eq!(data, Some(Bytes::new()));
    assert_eq!(client.get_data("/null").await.unwrap().0, Bytes::new());
    let (data, _, _watcher) = client.get_and_watch_data_nullable("/null").await.unwrap();
    assert_eq!(data, None);
}

pub async fn create_modes(kind: Kind) {
    let (client, root) = rooted_client(kind, "modes").await;
    let session = client.session_id().0;

    let (_, stat) = client
        .create("/e", b"", &CreateOptions::ephemeral())
        .await
        .unwrap();
    assert_eq!(stat.ephemeral_owner, session);
    assert_eq!(
        client
            .create("/e/child", b"", &CreateOptions::persistent())
            .await,
        Err(Error::NoChildrenForEphemerals)
    );

    let seq = CreateOptions::persistent_sequential();
    let (first, _) = client.create("/seq-", b"", &seq).await.unwrap();
    let (second, _) = client.create("/seq-", b"", &seq).await.unwrap();
    for path in [&first, &second] {
        let suffix = path.strip_prefix("/seq-").unwrap();
        assert!(
            suffix.len() == 10 && suffix.bytes().all(|b| b.is_ascii_digit()),
            "{path}"
        );
    }
    assert!(second > first, "{second} after {first}");
    let (eseq, stat) = client
        .create("/eseq-", b"", &CreateOptions::ephemeral_sequential())
        .await
        .unwrap();
    assert!(eseq.starts_with("/eseq-") && eseq.len() == "/eseq-".len() + 10);
    assert_eq!(stat.ephemeral_owner, session);

    let (path, stat) = client
        .create("/box", b"", &CreateOptions::container())
        .await
        .unwrap();
    assert_eq!((path.as_str(), stat.ephemeral_owner), ("/box", 0));
    client
        .create("/box/item", b"", &CreateOptions::persistent())
        .await
        .unwrap();

    let (path, stat) = client
        .create(
            "/ttl",
            b"t",
            &CreateOptions::persistent_ttl(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert_eq!((path.as_str(), stat.ephemeral_owner), ("/ttl", 0));
    let (path, _) = client
        .create(
            "/ttlseq-",
            b"",
            &CreateOptions::persistent_sequential_ttl(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert!(path.starts_with("/ttlseq-00"));

    // Refused before sending.
    let no_ttl = CreateOptions::new(CreateMode::PersistentWithTtl);
    assert!(matches!(
        client.create("/x", b"", &no_ttl).await,
        Err(Error::InvalidArgument(_))
    ));
    let ttl_without_mode = CreateOptions::persistent().with_ttl(Duration::from_secs(1));
    assert!(matches!(
        client.create("/x", b"", &ttl_without_mode).await,
        Err(Error::InvalidArgument(_))
    ));
    let no_acl = CreateOptions::persistent().with_acl(Vec::new());
    assert_eq!(
        client.create("/x", b"", &no_acl).await,
        Err(Error::InvalidAcl)
    );

    // getEphemerals lists this session's ephemerals, through the chroot.
    let mut ephemerals = client.get_ephemerals("/").await.unwrap();
    ephemerals.sort();
    assert_eq!(ephemerals, ["/e".to_string(), eseq.clone()]);
    assert_eq!(
        client.get_ephemerals("/es").await.unwrap(),
        vec![eseq.clone()]
    );

    // Ephemerals die with the session.
    let other = builder(&shared(kind).address()).connect().await.unwrap();
    let other = other.chroot(&root).unwrap();
    assert!(other.exists("/e").await.unwrap().is_some());
    client.close().await;
    assert_eq!(other.exists("/e").await.unwrap(), None);
    assert_eq!(other.exists(&eseq).await.unwrap(), None);
    assert!(other.exists("/box/item").await.unwrap().is_some());
}

pub async fn acl_and_digest_auth(kind: Kind) {
    let server = shared(kind);
    let (client, root) = rooted_client(kind, "acl").await;
    client.add_auth("digest", b"alice:secret").await.unwrap();
    let me = client.who_am_i().await.unwrap();
    assert!(
        me.iter()
            .any(|c| c.auth_scheme == "digest" && c.user == "alice"),
        "{me:?}"
    );

    let creator_only = CreateOptions::persistent().with_acl(Acl::creator_all_acl());
    client
        .create("/private", b"secret", &creator_only)
        .await
        .unwrap();
    let (acl, stat) = client.get_acl("/private").await.unwrap();
    assert_eq!(acl.len(), 1, "{acl:?}");
    assert_eq!(
        (acl[0].perms, acl[0].id.scheme.as_str()),
        (Perms::ALL, "digest")
    );
    assert!(acl[0].id.id.starts_with("alice:"), "{acl:?}");
    assert_eq!(stat.aversion, 0);

    let stranger = builder(&server.address()).connect().await.unwrap();
    let stranger = stranger.chroot(&root).unwrap();
    assert_eq!(stranger.get_data("/private").await, Err(Error::NoAuth));
    let friend = builder(&server.address())
        .with_auth("digest", b"alice:secret")
        .connect()
        .await
        .unwrap();
    let friend = friend.chroot(&root).unwrap();
    assert_eq!(&friend.get_data("/private").await.unwrap().0[..], b"secret");

    let open = Acl::open_acl_unsafe();
    assert_eq!(
        client.set_acl("/private", &open, Some(1)).await,
        Err(Error::BadVersion)
    );
    let stat = client.set_acl("/private", &open, Some(0)).await.unwrap();
    assert_eq!(stat.aversion, 1);
    assert_eq!(
        &stranger.get_data("/private").await.unwrap().0[..],
        b"secret"
    );

    let read_only = CreateOptions::persistent().with_acl(Acl::read_acl_unsafe());
    client.create("/ro", b"r", &read_only).await.unwrap();
    assert_eq!(
        stranger.set_data("/ro", b"w", None).await,
        Err(Error::NoAuth)
    );
    assert_eq!(
        client.set_acl("/ro", &[], None).await,
        Err(Error::InvalidAcl)
    );
    let world_only = vec![Acl::new(Perms::READ, Id::anyone())];
    assert_eq!(client.get_acl("/ro").await.unwrap().0, world_only);
}

pub async fn unknown_auth_scheme_ends_the_session(kind: Kind) {
    let client = builder(&shared(kind).address()).connect().await.unwrap();
    let mut events = client.session_events();
    assert_eq!(
        within(QUICK, "auth reply", client.add_auth("nosuchscheme", b"x")).await,
        Err(Error::AuthFailed)
    );
    expect_event(&mut events, SessionEvent::AuthFailed, QUICK).await;
    assert_eq!(client.state(), SessionState::AuthFailed);
    assert_eq!(client.get_data("/").await, Err(Error::AuthFailed));
}

pub async fn multi_commits_atomically_and_reports_every_result(kind: Kind) {
    let (client, _root) = rooted_client(kind, "multi").await;
    let persistent = CreateOptions::persistent();
    let results = client
        .multi()
        .create("/m", b"0", &persistent)
        .set_data("/m", b"1", Some(0))
        .check("/m", 1)
        .create("/m/c", b"", &persistent)
        .delete("/m/c", None)
        .commit()
        .await
        .unwrap();
    assert_eq!(results.len(), 5);
    assert!(matches!(&results[0], OpResult::Create { path, .. } if path == "/m"));
    assert!(matches!(&results[1], OpResult::SetData { stat } if stat.version == 1));
    assert_eq!(results[2], OpResult::Check);
    assert!(matches!(&results[3], OpResult::Create { path, .. } if path == "/m/c"));
    assert_eq!(results[4], OpResult::Delete);

    let failed = client
        .multi()
        .set_data("/m", b"2", None)
        .check("/m", 7)
        .create("/n", b"", &persistent)
        .commit()
        .await;
    let Err(Error::Multi(failed)) = failed else {
        panic!("expected a failed multi, got {failed:?}")
    };
    assert_eq!((failed.index, failed.code), (1, ErrorCode::BadVersion));
    assert_eq!(
        failed.results,
        [
            ErrorCode::Ok,
            ErrorCode::BadVersion,
            ErrorCode::RuntimeInconsistency
        ]
    );
    assert_eq!(failed.error(), Error::BadVersion);
    // Nothing was applied.
    assert_eq!(client.get_data("/m").await.unwrap().1.version, 1);
    assert_eq!(client.exists("/n").await.unwrap(), None);

    // Container and TTL creates in a multi answer with a Stat.
    let results = client
        .multi()
        .create("/box", b"", &CreateOptions::container())
        .create(
            "/t",
            b"",
            &CreateOptions::persistent_ttl(Duration::from_secs(30)),
        )
        .commit()
        .await
        .unwrap();
    for result in &results {
        assert!(
            matches!(result, OpResult::Create { stat: Some(_), .. }),
            "{results:?}"
        );
    }
    assert_eq!(client.multi().commit().await, Ok(Vec::new()));
    assert!(matches!(
        client.multi().delete("bad", None).commit().await,
        Err(Error::InvalidPath(_))
    ));

    let reads = client
        .multi_read()
        .get_data("/m")
        .get_children("/")
        .get_data("/missing")
        .execute()
        .await
        .unwrap();
    assert_eq!(reads.len(), 3);
    assert!(
        matches!(&reads[0], Ok(ReadResult::Data { data, stat }) if &data[..] == b"1" && stat.version == 1)
    );
    let Ok(ReadResult::Children { children }) = &reads[1] else {
        panic!("{reads:?}")
    };
    assert!(children.contains(&"m".to_string()));
    assert_eq!(reads[2], Err(Error::NoNode));
}

/// What one of the interleaved ordering requests returned.
enum Seen {
    Write(Stat),
    Read(Bytes, Stat),
}

pub async fn requests_complete_in_call_order_when_awaited_in_reverse(kind: Kind) {
    let (client, _root) = rooted_client(kind, "order").await;
    client
        .create("/o", b"0", &CreateOptions::persistent())
        .await
        .unwrap();
    const ROUNDS: i32 = 200;
    let mut futures: Vec<Pin<Box<dyn Future<Output = Seen> + Send>>> = Vec::new();
    for i in 1..=ROUNDS {
        // Each write expects the version the previous one produced: it succeeds only if the
        // writes reach the server in call order.
        let write = client.set_data("/o", i.to_string().as_bytes(), Some(i - 1));
        futures.push(Box::pin(async move { Seen::Write(write.await.unwrap()) }));
        let read = client.get_data("/o");
        futures.push(Box::pin(async move {
            let (data, stat) = read.await.unwrap();
            Seen::Read(data, stat)
        }));
    }
    let mut seen = Vec::new();
    while let Some(future) = futures.pop() {
        seen.push(within(QUICK, "reply", future).await);
    }
    seen.reverse();
    let mut last_zxid = zk_client::Zxid(0);
    for (i, pair) in seen.chunks(2).enumerate() {
        let version = i32::try_from(i).unwrap() + 1;
        let (Seen::Write(written), Seen::Read(data, read)) = (&pair[0], &pair[1]) else {
            panic!("pair {i} out of shape");
        };
        assert_eq!(written.version, version);
        assert!(written.mzxid > last_zxid, "writes applied in call order");
        last_zxid = written.mzxid;
        // Each read, issued right after its write, sees exactly that write.
        assert_eq!(read.mzxid, written.mzxid);
        assert_eq!(&data[..], version.to_string().as_bytes());
    }

    // Many requests in flight at once.
    let reads: Vec<_> = (0..1000).map(|_| client.get_data("/o")).collect();
    for read in reads {
        assert_eq!(read.await.unwrap().1.version, ROUNDS);
    }
}

pub async fn session_info_operations(kind: Kind) {
    let (client, _root) = rooted_client(kind, "info").await;
    assert!(client.session_id().0 != 0);
    assert_eq!(client.session_password().len(), 16);
    assert_eq!(client.session_timeout(), Duration::from_secs(4));
    assert_eq!(client.state(), SessionState::Connected);
    let me = client.who_am_i().await.unwrap();
    assert!(me.iter().any(|c| c.auth_scheme == "ip"), "{me:?}");
    let persistent = CreateOptions::persistent();
    for path in ["/a", "/a/b", "/a/b/c", "/a/d"] {
        client.create(path, b"", &persistent).await.unwrap();
    }
    assert_eq!(client.get_all_children_number("/a").await.unwrap(), 3);
    assert_eq!(client.get_all_children_number("/a/d").await.unwrap(), 0);
    assert!(client.get_ephemerals("/").await.unwrap().is_empty());
}
