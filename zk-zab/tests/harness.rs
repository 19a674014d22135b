//! The harness checks itself: each invariant check fires on the violation it exists for, the
//! disk loses only what it may, and the network keeps TCP's promises.

use bytes::Bytes;
use zk_proto::{Epoch, Zxid};
use zk_zab::testing::network::Delivery;
use zk_zab::testing::{Checker, Disk, NetOptions, Network, SimRng, SmState};
use zk_zab::{EpochKind, Message, Proposal, QuorumVerifier, ServerId};

fn z(e: u32, c: u32) -> Zxid {
    Zxid::new(Epoch(e), c)
}

fn p(e: u32, c: u32) -> Proposal {
    Proposal {
        zxid: z(e, c),
        txn: Bytes::from(format!("{e}:{c}")),
    }
}

fn checker() -> Checker {
    Checker::new(QuorumVerifier::new([1, 2, 3].map(ServerId), []))
}

#[test]
fn an_ack_of_a_txn_not_yet_fsynced_is_a_violation() {
    let mut disk = Disk::default();
    disk.append(vec![p(1, 1)]);
    let ack = Message::Ack { zxid: z(1, 1) };
    assert!(checker()
        .on_send(ServerId(1), &ack, &disk, Epoch(1), None)
        .is_err());
    disk.flush_log(usize::MAX);
    assert!(checker()
        .on_send(ServerId(1), &ack, &disk, Epoch(1), None)
        .is_ok());
}

#[test]
fn a_newleader_ack_before_current_epoch_or_synced_txns_are_durable_is_a_violation() {
    let mut disk = Disk::default();
    disk.append(vec![p(1, 1)]);
    disk.persist_epoch(EpochKind::Current, Epoch(2));
    let ack = Message::Ack { zxid: z(2, 0) };
    let c = checker();
    assert!(c
        .on_send(ServerId(1), &ack, &disk, Epoch(2), Some(z(1, 1)))
        .is_err());
    disk.flush_epochs(usize::MAX);
    assert!(
        c.on_send(ServerId(1), &ack, &disk, Epoch(2), Some(z(1, 1)))
            .is_err(),
        "3911"
    );
    disk.flush_log(usize::MAX);
    assert!(c
        .on_send(ServerId(1), &ack, &disk, Epoch(2), Some(z(1, 1)))
        .is_ok());
}

#[test]
fn truncating_a_committed_txn_is_a_violation() {
    let mut c = checker();
    c.on_propose(ServerId(1), z(1, 1), Zxid::ZERO, &p(1, 1).txn)
        .unwrap();
    let mut sm = SmState::default();
    let before = sm;
    sm.apply(&p(1, 1));
    c.on_commit(ServerId(1), &before, &sm, &p(1, 1)).unwrap();
    assert!(c
        .on_truncate(ServerId(2), Zxid::ZERO, &SmState::default(), &[z(1, 1)])
        .is_err());
    assert!(c.on_truncate(ServerId(2), z(1, 1), &sm, &[z(1, 2)]).is_ok());
}

#[test]
fn two_leaders_in_one_epoch_is_a_violation() {
    let mut c = checker();
    c.on_established(ServerId(1), Epoch(3)).unwrap();
    c.on_established(ServerId(1), Epoch(3)).unwrap();
    assert!(c.on_established(ServerId(2), Epoch(3)).is_err());
}

#[test]
fn a_log_gap_or_a_double_proposal_is_a_violation() {
    let mut c = checker();
    c.on_propose(ServerId(1), z(1, 1), Zxid::ZERO, &p(1, 1).txn)
        .unwrap();
    c.on_propose(ServerId(1), z(1, 2), z(1, 1), &p(1, 2).txn)
        .unwrap();
    assert!(
        c.on_append(ServerId(2), Zxid::ZERO, &[p(1, 2)]).is_err(),
        "gap"
    );
    assert!(c
        .on_append(ServerId(2), Zxid::ZERO, &[p(1, 1), p(1, 2)])
        .is_ok());
    assert!(c
        .on_propose(ServerId(3), z(1, 2), z(1, 1), &Bytes::from("other"))
        .is_err());
}

#[test]
fn diverging_commits_are_a_violation() {
    let mut c = checker();
    for (zx, prev) in [(z(1, 1), Zxid::ZERO), (z(2, 1), z(1, 1))] {
        c.on_propose(ServerId(1), zx, prev, &Bytes::from(format!("{zx}")))
            .unwrap();
    }
    let a = Proposal {
        zxid: z(1, 1),
        txn: Bytes::from(format!("{}", z(1, 1))),
    };
    let b = Proposal {
        zxid: z(2, 1),
        txn: Bytes::from(format!("{}", z(2, 1))),
    };
    let mut one = SmState::default();
    one.apply(&a);
    c.on_commit(ServerId(1), &SmState::default(), &one, &a)
        .unwrap();
    let mut other = SmState::default();
    other.apply(&b);
    assert!(c
        .on_commit(ServerId(2), &SmState::default(), &other, &b)
        .is_err());
}

#[test]
fn a_crash_keeps_a_prefix_of_the_pending_log() {
    for seed in 0..200 {
        let mut rng = SimRng::new(seed);
        let mut disk = Disk::default();
        disk.append(vec![p(1, 1)]);
        disk.flush_log(usize::MAX);
        disk.append(vec![p(1, 2), p(1, 3)]);
        disk.append(vec![p(1, 4)]);
        disk.persist_epoch(EpochKind::Current, Epoch(1));
        disk.crash(&mut rng);
        let kept: Vec<Zxid> = disk.log.iter().map(|p| p.zxid).collect();
        let all = [z(1, 1), z(1, 2), z(1, 3), z(1, 4)];
        assert!(
            !kept.is_empty() && kept[..] == all[..kept.len()],
            "{kept:?}"
        );
        assert!(!disk.has_pending());
    }
}

#[test]
fn a_connection_delivers_in_order_and_loses_everything_once_closed() {
    let (a, b) = (ServerId(1), ServerId(2));
    let mut rng = SimRng::new(5);
    let mut net = Network::new(NetOptions {
        max_delay: 5,
        ..NetOptions::default()
    });
    net.connect(a, b, &mut rng);
    for i in 0..20 {
        net.send(a, b, Message::Ping { zxid: Zxid(i) }, 0, &mut rng);
    }
    let mut got = Vec::new();
    for now in 0..10 {
        for d in net.due(now, &mut rng) {
            if let Delivery::Message {
                msg: Message::Ping { zxid },
                ..
            } = d
            {
                got.push(zxid.0);
            }
        }
    }
    assert_eq!(got, (0..20).collect::<Vec<_>>());
    net.send(a, b, Message::Ping { zxid: Zxid(99) }, 10, &mut rng);
    let told = net.disconnect(a, b, &mut rng);
    assert!(matches!(told.as_slice(), [Delivery::Disconnected { at, .. }] if *at == b));
    net.send(a, b, Message::Ping { zxid: Zxid(100) }, 11, &mut rng);
    assert!((10..30).all(|now| net.due(now, &mut rng).is_empty()));
}
