//! Loopback tests of the quorum network: real sockets on ports the OS picks.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::Receiver;
use zk_proto::quorum::{LearnerInfo, QuorumPacket, QuorumPacketType};
use zk_proto::{Acl, Epoch, Jute, Perms, SessionId, StatPersisted, Zxid};
use zk_storage::snapshot::{SnapshotNode, SnapshotSession, SnapshotWriter};
use zk_zab::{Message, Notification, Proposal, ServerId, ServerState, Vote};

use super::{NetEvent, NetSettings, PeerAddrs, QuorumNet};

const WAIT: Duration = Duration::from_secs(10);

fn sid(n: u64) -> ServerId {
    ServerId(n)
}

fn settings() -> NetSettings {
    NetSettings {
        connect_timeout: Duration::from_millis(800),
        ..NetSettings::default()
    }
}

/// Servers `1..=n`, each with its net and event receiver, all listening on loopback.
async fn ensemble(n: u64) -> Vec<(QuorumNet, Receiver<NetEvent>)> {
    let mut listeners = Vec::new();
    let mut peers = BTreeMap::new();
    for id in 1..=n {
        let quorum = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let election = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addrs = PeerAddrs {
            quorum: quorum.local_addr().unwrap(),
            election: election.local_addr().unwrap(),
        };
        peers.insert(sid(id), addrs);
        listeners.push((sid(id), quorum, election));
    }
    listeners
        .into_iter()
        .map(|(id, quorum, election)| {
            QuorumNet::start_with_listeners(id, peers.clone(), settings(), quorum, election)
        })
        .collect()
}

/// Binds `addr` again once the previous owner's task has let go of it.
async fn rebind(addr: std::net::SocketAddr) -> TcpListener {
    for _ in 0..100 {
        if let Ok(listener) = TcpListener::bind(addr).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{addr} stays in use");
}

/// Restarts server `id` of `peers` on its old ports.
async fn restart(
    id: u64,
    peers: &BTreeMap<ServerId, PeerAddrs>,
) -> (QuorumNet, Receiver<NetEvent>) {
    let addrs = peers[&sid(id)];
    let quorum = rebind(addrs.quorum).await;
    let election = rebind(addrs.election).await;
    QuorumNet::start_with_listeners(sid(id), peers.clone(), settings(), quorum, election)
}

async fn next_event(rx: &mut Receiver<NetEvent>) -> NetEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("an event in time")
        .expect("the net is alive")
}

async fn expect_message(rx: &mut Receiver<NetEvent>, from: u64, msg: Message) {
    assert_eq!(
        next_event(rx).await,
        NetEvent::Message {
            from: sid(from),
            msg
        }
    );
}

async fn expect_quiet(rx: &mut Receiver<NetEvent>) {
    let got = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(got.is_err(), "unexpected event {got:?}");
}

fn vote(from: u64, round: u64) -> Message {
    Message::Notification(Notification {
        state: ServerState::Looking,
        vote: Vote {
            leader: sid(from),
            zxid: Zxid::new(Epoch(2), 7),
            peer_epoch: Epoch(2),
        },
        election_epoch: round,
    })
}

fn proposal(counter: u32, txn: &'static [u8]) -> Message {
    Message::Proposal(Proposal {
        zxid: Zxid::new(Epoch(1), counter),
        txn: Bytes::from_static(txn),
    })
}

/// Connects learner `nets[learner-1]` to leader `nets[leader-1]` and sees its FOLLOWERINFO
/// arrive.
async fn join(nets: &mut [(QuorumNet, Receiver<NetEvent>)], learner: u64, leader: u64) {
    let hello = Message::FollowerInfo {
        accepted_epoch: Epoch(1),
    };
    let net = &mut nets[learner as usize - 1].0;
    net.connect(sid(leader));
    net.send(sid(leader), hello.clone());
    expect_message(&mut nets[leader as usize - 1].1, learner, hello).await;
}

#[tokio::test]
async fn queued_quorum_messages_wait_for_flush_and_then_arrive_in_order() {
    let mut nets = ensemble(2).await;
    join(&mut nets, 2, 1).await;
    let learner = &mut nets[1].0;
    learner.queue(sid(1), Message::Ack { zxid: z1(1) });
    learner.queue(sid(1), Message::Ack { zxid: z1(2) });
    expect_quiet(&mut nets[0].1).await;
    let learner = &mut nets[1].0;
    learner.flush();
    learner.queue(sid(1), Message::Ack { zxid: z1(3) });
    // `send` hands over what is held first, so order is kept across the two.
    learner.send(sid(1), Message::Ack { zxid: z1(4) });
    for counter in 1..=4 {
        expect_message(&mut nets[0].1, 2, Message::Ack { zxid: z1(counter) }).await;
    }
}

fn z1(counter: u32) -> Zxid {
    Zxid::new(Epoch(1), counter)
}

#[tokio::test]
async fn election_notifications_flow_between_every_pair() {
    let mut nets = ensemble(3).await;
    nets[0].0.send(sid(2), vote(1, 1));
    nets[0].0.send(sid(3), vote(1, 1));
    nets[1].0.send(sid(1), vote(2, 4));
    nets[2].0.send(sid(1), vote(3, 5));
    expect_message(&mut nets[1].1, 1, vote(1, 1)).await;
    expect_message(&mut nets[2].1, 1, vote(1, 1)).await;
    let mut at_one = vec![
        next_event(&mut nets[0].1).await,
        next_event(&mut nets[0].1).await,
    ];
    at_one.sort_by_key(|e| format!("{e:?}"));
    let mut expected = vec![
        NetEvent::Message {
            from: sid(2),
            msg: vote(2, 4),
        },
        NetEvent::Message {
            from: sid(3),
            msg: vote(3, 5),
        },
    ];
    expected.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(at_one, expected);
    // A second notification reuses the connection and keeps order.
    nets[1].0.send(sid(1), vote(2, 6));
    nets[1].0.send(sid(1), vote(2, 7));
    expect_message(&mut nets[0].1, 2, vote(2, 6)).await;
    expect_message(&mut nets[0].1, 2, vote(2, 7)).await;
}

#[tokio::test]
async fn a_notification_for_a_peer_that_is_down_is_dropped_and_later_ones_get_through() {
    let mut nets = ensemble(2).await;
    let peers = nets[0].0.shared.peers.clone();
    drop(nets.pop());
    nets[0].0.send(sid(2), vote(1, 1));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_net2, mut rx2) = restart(2, &peers).await;
    nets[0].0.send(sid(2), vote(1, 2));
    expect_message(&mut rx2, 1, vote(1, 2)).await;
}

#[tokio::test]
async fn the_first_notification_after_a_peer_restarts_is_not_lost() {
    let mut nets = ensemble(2).await;
    let peers = nets[0].0.shared.peers.clone();
    nets[0].0.send(sid(2), vote(1, 1));
    expect_message(&mut nets[1].1, 1, vote(1, 1)).await;
    drop(nets.pop());
    let (_net2, mut rx2) = restart(2, &peers).await;
    // The old connection's end was noticed; this one goes over a new connection.
    tokio::time::sleep(Duration::from_millis(100)).await;
    nets[0].0.send(sid(2), vote(1, 2));
    expect_message(&mut rx2, 1, vote(1, 2)).await;
}

#[tokio::test]
async fn quorum_messages_flow_both_ways_on_the_learners_connection() {
    let mut nets = ensemble(2).await;
    join(&mut nets, 2, 1).await;
    let info = Message::LeaderInfo { epoch: Epoch(2) };
    nets[0].0.send(sid(2), info.clone());
    expect_message(&mut nets[1].1, 1, info).await;
    let ack = Message::AckEpoch {
        current_epoch: Some(Epoch(1)),
        last_zxid: Zxid::new(Epoch(1), 3),
    };
    nets[1].0.send(sid(1), ack.clone());
    expect_message(&mut nets[0].1, 2, ack).await;
    // Many queued at once are coalesced and arrive in order.
    for c in 1..=500 {
        nets[0].0.send(sid(2), proposal(c, b"some txn bytes"));
    }
    for c in 1..=500 {
        expect_message(&mut nets[1].1, 1, proposal(c, b"some txn bytes")).await;
    }
    let request = Message::Request {
        data: Bytes::from_static(b"create /a"),
    };
    nets[1].0.send(sid(1), request.clone());
    expect_message(&mut nets[0].1, 2, request).await;
    assert_eq!(nets[0].0.connected(), vec![sid(2)]);
}

/// A sync body as a leader streams it: two sessions, one ACL, a few nodes.
fn sync_body() -> Bytes {
    let mut w = SnapshotWriter::sync_body(Vec::new(), "test");
    let sessions = [
        SnapshotSession {
            id: SessionId(0x100),
            timeout_ms: 30_000,
        },
        SnapshotSession {
            id: SessionId(0x101),
            timeout_ms: 4_000,
        },
    ];
    w.write_sessions(sessions).unwrap();
    let acl = vec![Acl {
        perms: Perms::ALL,
        id: zk_proto::Id {
            scheme: "world".into(),
            id: "anyone".into(),
        },
    }];
    w.write_acls([(1, acl.as_slice())]).unwrap();
    for (path, data) in [("/", None), ("/a", Some("x")), ("/a/b", Some("BenWasHere"))] {
        let node = SnapshotNode {
            path: path.into(),
            data: data.map(|d| Bytes::from(d.repeat(1000))),
            acl_id: 1,
            stat: StatPersisted::default(),
        };
        w.write_node(node.as_ref()).unwrap();
    }
    Bytes::from(w.finish_sync_body().unwrap())
}

// The server runs a multi-threaded runtime; the SNAP reader bridges to it from a blocking
// thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snap_arrives_byte_identical_and_the_stream_continues_after_it() {
    let mut nets = ensemble(2).await;
    join(&mut nets, 2, 1).await;
    let snap = Message::Snap {
        zxid: Zxid::new(Epoch(1), 9),
        snapshot: sync_body(),
    };
    nets[0].0.send(sid(2), snap.clone());
    nets[0].0.send(sid(2), proposal(10, b"after the snapshot"));
    nets[0].0.send(sid(2), snap.clone());
    expect_message(&mut nets[1].1, 1, snap.clone()).await;
    expect_message(&mut nets[1].1, 1, proposal(10, b"after the snapshot")).await;
    expect_message(&mut nets[1].1, 1, snap).await;
}

#[tokio::test]
async fn a_snap_without_its_signature_closes_the_connection() {
    // Server 1 is a learner; its "leader" 2 is a bare socket that writes a SNAP by hand.
    let leader = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let quorum = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let election = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peers = BTreeMap::from([
        (
            sid(1),
            PeerAddrs {
                quorum: quorum.local_addr().unwrap(),
                election: election.local_addr().unwrap(),
            },
        ),
        (
            sid(2),
            PeerAddrs {
                quorum: leader.local_addr().unwrap(),
                election: leader.local_addr().unwrap(),
            },
        ),
    ]);
    let (mut net, mut rx) =
        QuorumNet::start_with_listeners(sid(1), peers, settings(), quorum, election);
    net.connect(sid(2));
    let (mut stream, _) = leader.accept().await.unwrap();
    let mut bytes = Vec::new();
    QuorumPacket::new(QuorumPacketType::Snap, Zxid::new(Epoch(1), 1)).write(&mut bytes);
    bytes.extend_from_slice(&sync_body());
    bytes.extend_from_slice(b"\0\0\0\x0aBenWasHare");
    stream.write_all(&bytes).await.unwrap();
    assert_eq!(
        next_event(&mut rx).await,
        NetEvent::Disconnected { peer: sid(2) }
    );
}

#[tokio::test]
async fn a_learner_whose_queue_overflows_is_dropped() {
    let mut nets = ensemble(2).await;
    // Server 2 says hello by hand and then never reads: the socket buffers fill, then the
    // queue.
    let addr = nets[0].0.shared.peers.get(&sid(1)).unwrap().quorum;
    let (net, rx) = &mut nets[0];
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let hello = Message::FollowerInfo {
        accepted_epoch: Epoch(0),
    };
    let packet = zk_zab::wire::to_quorum_packet(&hello, sid(2)).unwrap();
    stream.write_all(&packet.to_vec()).await.unwrap();
    expect_message(rx, 2, hello).await;
    let txn = Bytes::from(vec![1; 64 * 1024]);
    let mut sent = 0;
    while net.connected().contains(&sid(2)) {
        let p = Proposal {
            zxid: Zxid::new(Epoch(1), sent + 1),
            txn: txn.clone(),
        };
        net.send(sid(2), Message::Proposal(p));
        sent += 1;
        assert!(
            sent <= 2 * super::QUORUM_QUEUE_MESSAGES as u32,
            "never dropped"
        );
        if sent % 1000 == 0 {
            tokio::task::yield_now().await;
        }
    }
    assert!(sent as usize >= super::QUORUM_QUEUE_MESSAGES);
    assert_eq!(
        next_event(rx).await,
        NetEvent::Disconnected { peer: sid(2) }
    );
}

#[tokio::test]
async fn closing_a_connection_tells_only_the_other_side() {
    let mut nets = ensemble(2).await;
    join(&mut nets, 2, 1).await;
    nets[1].0.disconnect(sid(1));
    assert_eq!(
        next_event(&mut nets[0].1).await,
        NetEvent::Disconnected { peer: sid(2) }
    );
    expect_quiet(&mut nets[1].1).await;
    // And the other way round.
    join(&mut nets, 2, 1).await;
    nets[0].0.disconnect(sid(2));
    assert_eq!(
        next_event(&mut nets[1].1).await,
        NetEvent::Disconnected { peer: sid(1) }
    );
    expect_quiet(&mut nets[0].1).await;
    assert!(nets[0].0.connected().is_empty());
}

#[tokio::test]
async fn a_second_connection_from_a_learner_replaces_the_first_silently() {
    let mut nets = ensemble(2).await;
    join(&mut nets, 2, 1).await;
    // Server 2 connects again (here by hand) while its first connection is still open.
    let addr = nets[0].0.shared.peers.get(&sid(1)).unwrap().quorum;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let hello = Message::FollowerInfo {
        accepted_epoch: Epoch(4),
    };
    let packet = zk_zab::wire::to_quorum_packet(&hello, sid(2)).unwrap();
    stream.write_all(&packet.to_vec()).await.unwrap();
    expect_message(&mut nets[0].1, 2, hello).await;
    // The leader talks on the new connection; the old one was closed without an event.
    nets[0].0.send(sid(2), Message::UpToDate);
    let expected = zk_zab::wire::to_quorum_packet(&Message::UpToDate, sid(1))
        .unwrap()
        .to_vec();
    let mut got = vec![0; expected.len()];
    tokio::time::timeout(WAIT, stream.read_exact(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, expected);
    assert_eq!(
        next_event(&mut nets[1].1).await,
        NetEvent::Disconnected { peer: sid(1) },
        "the learner's old connection was closed by the leader"
    );
    expect_quiet(&mut nets[0].1).await;
}

#[tokio::test]
async fn a_learner_that_reconnects_hears_nothing_about_its_old_connection() {
    let mut nets = ensemble(2).await;
    join(&mut nets, 2, 1).await;
    let hello = Message::FollowerInfo {
        accepted_epoch: Epoch(2),
    };
    nets[1].0.connect(sid(1));
    nets[1].0.send(sid(1), hello.clone());
    // The leader may see the old connection end before the new one arrives.
    let mut event = next_event(&mut nets[0].1).await;
    if event == (NetEvent::Disconnected { peer: sid(2) }) {
        event = next_event(&mut nets[0].1).await;
    }
    assert_eq!(
        event,
        NetEvent::Message {
            from: sid(2),
            msg: hello
        }
    );
    nets[0].0.send(sid(2), Message::UpToDate);
    expect_message(&mut nets[1].1, 1, Message::UpToDate).await;
    expect_quiet(&mut nets[1].1).await;
}

#[tokio::test]
async fn connecting_to_a_leader_that_is_not_listening_reports_a_disconnect() {
    let mut nets = ensemble(2).await;
    drop(nets.pop());
    let started = tokio::time::Instant::now();
    nets[0].0.connect(sid(2));
    nets[0].0.send(
        sid(2),
        Message::FollowerInfo {
            accepted_epoch: Epoch(0),
        },
    );
    assert_eq!(
        next_event(&mut nets[0].1).await,
        NetEvent::Disconnected { peer: sid(2) }
    );
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "it retried"
    );
}

#[tokio::test]
async fn a_learner_retries_until_its_leader_listens() {
    let mut nets = ensemble(2).await;
    let peers = nets[0].0.shared.peers.clone();
    drop(nets.remove(0));
    let hello = Message::FollowerInfo {
        accepted_epoch: Epoch(3),
    };
    nets[0].0.connect(sid(1));
    nets[0].0.send(sid(1), hello.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_net1, mut rx1) = restart(1, &peers).await;
    expect_message(&mut rx1, 2, hello).await;
}

#[tokio::test]
async fn garbage_on_the_quorum_port_closes_only_that_connection() {
    let mut nets = ensemble(2).await;
    join(&mut nets, 2, 1).await;
    let addr = nets[0].0.shared.peers.get(&sid(1)).unwrap().quorum;
    for garbage in [
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        &[0, 0, 0, 11, 0xff, 0xff][..],
    ] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(garbage).await.unwrap();
        let mut rest = Vec::new();
        let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "closed: {read:?}");
    }
    let ping = Message::Ping {
        zxid: Zxid::new(Epoch(1), 0),
    };
    nets[0].0.send(sid(2), ping.clone());
    expect_message(&mut nets[1].1, 1, ping).await;
    expect_quiet(&mut nets[0].1).await;
}

#[tokio::test]
async fn a_learner_with_an_unknown_id_is_refused() {
    let mut nets = ensemble(1).await;
    let addr = nets[0].0.shared.peers.get(&sid(1)).unwrap().quorum;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let info = LearnerInfo {
        server_id: 99,
        protocol_version: LearnerInfo::PROTOCOL_VERSION,
        config_version: 0,
    };
    let packet =
        QuorumPacket::new(QuorumPacketType::FollowerInfo, Zxid::ZERO).with_data(info.to_vec());
    stream.write_all(&packet.to_vec()).await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "closed: {read:?}");
    expect_quiet(&mut nets[0].1).await;
}

#[tokio::test]
async fn an_oversized_quorum_packet_closes_the_connection() {
    let mut nets = ensemble(2).await;
    join(&mut nets, 2, 1).await;
    let huge = Message::Proposal(Proposal {
        zxid: Zxid::new(Epoch(1), 1),
        txn: Bytes::from(vec![7; settings().max_packet_bytes + 1]),
    });
    nets[0].0.send(sid(2), huge);
    assert_eq!(
        next_event(&mut nets[1].1).await,
        NetEvent::Disconnected { peer: sid(1) }
    );
    assert_eq!(
        next_event(&mut nets[0].1).await,
        NetEvent::Disconnected { peer: sid(2) }
    );
}
