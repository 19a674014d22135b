//! Broadcast, one input at a time: proposals, acknowledgements after durability, commits on
//! a quorum, INFORM to observers, pings and `syncLimit`, zxid rollover
//! (`Leader.propose`/`processAck`, `Follower.processPacket`, `Observer.processPacket`).

mod common;

use bytes::Bytes;
use common::*;
use zk_proto::{Epoch, Zxid};
use zk_zab::{Action, EpochKind, Error, Message, Peer, Proposal, Restored, Role};

fn txn(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

#[test]
fn the_leader_logs_a_proposal_and_queues_it_to_followers() {
    let (mut peer, epoch) = established_leader(3, 1, Restored::default());
    let zxid = peer.propose(txn("a")).unwrap();
    assert_eq!(zxid, Zxid::new(epoch, 1));
    let p = Proposal {
        zxid,
        txn: txn("a"),
    };
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::AppendTxns(vec![p.clone()]),
            Action::Send {
                to: sid(1),
                msg: Message::Proposal(p)
            },
        ]
    );
    assert_eq!(peer.propose(txn("b")).unwrap(), Zxid::new(epoch, 2));
}

#[test]
fn only_an_established_leader_proposes() {
    let mut follower = broadcasting_follower(1, 3, 2);
    assert_eq!(
        follower.propose(txn("a")),
        Err(Error::NotLeader {
            leader: Some(sid(3))
        })
    );
    let (mut leader, _) = leader_in_discovery(3, 1, Restored::default(), 0);
    assert_eq!(leader.propose(txn("a")), Err(Error::NotServing));
}

#[test]
fn the_leader_commits_once_a_quorum_including_its_own_disk_has_the_txn() {
    let (mut peer, _) = established_leader(3, 1, Restored::default());
    let zxid = peer.propose(txn("a")).unwrap();
    peer.take_actions();
    peer.step(sid(1), Message::Ack { zxid });
    assert_eq!(
        peer.take_actions(),
        vec![],
        "the leader's own log is not durable yet"
    );
    peer.on_log_persisted(zxid);
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::Commit(Proposal {
                zxid,
                txn: txn("a")
            }),
            Action::Send {
                to: sid(1),
                msg: Message::Commit { zxid }
            },
        ]
    );
}

#[test]
fn acks_are_cumulative_and_commits_go_in_order() {
    let (mut peer, _) = established_leader(3, 1, Restored::default());
    let a = peer.propose(txn("a")).unwrap();
    let b = peer.propose(txn("b")).unwrap();
    peer.on_log_persisted(b);
    peer.take_actions();
    peer.step(sid(1), Message::Ack { zxid: b });
    let commits: Vec<Zxid> = peer
        .take_actions()
        .into_iter()
        .filter_map(|a| match a {
            Action::Commit(p) => Some(p.zxid),
            _ => None,
        })
        .collect();
    assert_eq!(commits, vec![a, b]);
}

#[test]
fn a_follower_acks_a_proposal_only_once_it_is_durable() {
    let mut peer = broadcasting_follower(1, 3, 2);
    let p = prop(2, 1);
    peer.step(sid(3), Message::Proposal(p.clone()));
    assert_eq!(peer.take_actions(), vec![Action::AppendTxns(vec![p])]);
    peer.on_log_persisted(z(2, 1));
    assert_eq!(
        peer.take_actions(),
        vec![Action::Send {
            to: sid(3),
            msg: Message::Ack { zxid: z(2, 1) }
        }]
    );
    peer.step(sid(3), Message::Commit { zxid: z(2, 1) });
    assert_eq!(peer.take_actions(), vec![Action::Commit(prop(2, 1))]);
}

#[test]
fn a_follower_acks_a_batch_made_durable_together_with_one_ack_for_its_newest_txn() {
    let mut peer = follower_with_three_proposals();
    peer.on_log_persisted(z(2, 3));
    assert_eq!(
        sends(&peer.take_actions()),
        vec![(sid(3), Message::Ack { zxid: z(2, 3) })]
    );
    peer.step(sid(3), Message::Proposal(prop(2, 4)));
    peer.take_actions();
    peer.on_log_persisted(z(2, 4));
    assert_eq!(
        sends(&peer.take_actions()),
        vec![(sid(3), Message::Ack { zxid: z(2, 4) })],
        "only what the previous ACK did not cover"
    );
}

#[test]
fn the_leader_commits_a_batch_with_one_commit_per_follower() {
    let (mut peer, _) = established_leader(3, 1, Restored::default());
    let a = peer.propose(txn("a")).unwrap();
    let b = peer.propose(txn("b")).unwrap();
    let c = peer.propose(txn("c")).unwrap();
    peer.on_log_persisted(c);
    peer.take_actions();
    peer.step(sid(1), Message::Ack { zxid: c });
    let actions = peer.take_actions();
    let commits: Vec<Zxid> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Commit(p) => Some(p.zxid),
            _ => None,
        })
        .collect();
    assert_eq!(commits, vec![a, b, c], "every txn is applied, in order");
    assert_eq!(
        sends(&actions),
        vec![(sid(1), Message::Commit { zxid: c })],
        "one COMMIT covers the batch"
    );
}

#[test]
fn a_follower_commits_everything_up_to_a_commit_zxid() {
    let mut peer = follower_with_three_proposals();
    peer.step(sid(3), Message::Commit { zxid: z(2, 3) });
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::Commit(prop(2, 1)),
            Action::Commit(prop(2, 2)),
            Action::Commit(prop(2, 3)),
        ]
    );
}

#[test]
fn a_follower_does_not_ack_proposals_before_acking_newleader() {
    // ZOOKEEPER-4685: a proposal that arrives after NEWLEADER but becomes durable before
    // currentEpoch must wait for the NEWLEADER ack.
    let mut peer = syncing_follower(1, 3, Restored::default(), 2);
    peer.step(
        sid(3),
        Message::Diff {
            last_committed: Zxid::ZERO,
        },
    );
    peer.step(sid(3), Message::NewLeader { zxid: z(2, 0) });
    assert_eq!(
        peer.take_actions(),
        vec![Action::PersistCurrentEpoch(Epoch(2))]
    );
    peer.step(sid(3), Message::Proposal(prop(2, 1)));
    peer.take_actions();
    peer.on_log_persisted(z(2, 1));
    assert_eq!(
        peer.take_actions(),
        vec![],
        "durable, but NEWLEADER is not acked yet"
    );
    peer.on_epoch_persisted(EpochKind::Current, Epoch(2));
    assert_eq!(
        sends(&peer.take_actions()),
        vec![
            (sid(3), Message::Ack { zxid: z(2, 0) }),
            (sid(3), Message::Ack { zxid: z(2, 1) }),
        ]
    );
}

#[test]
fn duplicate_proposals_and_commits_are_ignored() {
    let mut peer = broadcasting_follower(1, 3, 2);
    peer.step(sid(3), Message::Proposal(prop(2, 1)));
    peer.step(sid(3), Message::Commit { zxid: z(2, 1) });
    peer.take_actions();
    peer.step(sid(3), Message::Proposal(prop(2, 1)));
    peer.step(sid(3), Message::Commit { zxid: z(2, 1) });
    assert_eq!(peer.take_actions(), vec![]);
}

#[test]
fn a_gap_in_the_proposal_stream_sends_the_follower_back_to_election() {
    let mut peer = broadcasting_follower(1, 3, 2);
    peer.step(sid(3), Message::Proposal(prop(2, 2)));
    let actions = peer.take_actions();
    assert!(!actions.iter().any(|a| matches!(a, Action::AppendTxns(_))));
    assert_eq!(peer.status().role, Role::Looking);
}

#[test]
fn a_commit_never_applies_a_txn_the_follower_does_not_hold() {
    let mut peer = broadcasting_follower(1, 3, 2);
    peer.step(sid(3), Message::Proposal(prop(2, 1)));
    peer.take_actions();
    peer.step(sid(3), Message::Commit { zxid: z(2, 5) });
    assert_eq!(peer.take_actions(), vec![Action::Commit(prop(2, 1))]);
    assert_eq!(peer.status().committed_zxid, z(2, 1));
}

#[test]
fn observers_get_inform_on_commit_never_proposals() {
    let (mut peer, epoch) = established_leader(3, 1, Restored::default());
    peer.step(
        sid(4),
        Message::ObserverInfo {
            accepted_epoch: Epoch(0),
        },
    );
    peer.step(
        sid(4),
        Message::AckEpoch {
            current_epoch: Some(Epoch(0)),
            last_zxid: Zxid::ZERO,
        },
    );
    peer.step(
        sid(4),
        Message::Ack {
            zxid: Zxid::new(epoch, 0),
        },
    );
    peer.take_actions();
    let zxid = peer.propose(txn("a")).unwrap();
    let sent: Vec<_> = sends(&peer.take_actions())
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    assert_eq!(sent, vec![sid(1)]);
    peer.on_log_persisted(zxid);
    peer.step(sid(1), Message::Ack { zxid });
    let p = Proposal {
        zxid,
        txn: txn("a"),
    };
    assert_eq!(
        sends(&peer.take_actions()),
        vec![
            (sid(1), Message::Commit { zxid }),
            (sid(4), Message::Inform(p)),
        ]
    );
}

#[test]
fn acks_from_observers_never_count() {
    let (mut peer, epoch) = established_leader(3, 1, Restored::default());
    peer.step(
        sid(4),
        Message::ObserverInfo {
            accepted_epoch: Epoch(0),
        },
    );
    peer.step(
        sid(4),
        Message::AckEpoch {
            current_epoch: Some(Epoch(0)),
            last_zxid: Zxid::ZERO,
        },
    );
    peer.step(
        sid(4),
        Message::Ack {
            zxid: Zxid::new(epoch, 0),
        },
    );
    let zxid = peer.propose(txn("a")).unwrap();
    peer.on_log_persisted(zxid);
    peer.take_actions();
    peer.step(sid(4), Message::Ack { zxid });
    assert_eq!(peer.take_actions(), vec![]);
}

#[test]
fn the_leader_pings_and_the_follower_echoes() {
    let (mut peer, _) = established_leader(3, 1, Restored::default());
    peer.tick();
    peer.tick();
    assert_eq!(
        sends(&peer.take_actions()),
        vec![(
            sid(1),
            Message::Ping {
                zxid: peer.status().last_zxid
            }
        )]
    );
    let mut follower = broadcasting_follower(1, 3, 2);
    follower.step(sid(3), Message::Ping { zxid: Zxid::ZERO });
    assert_eq!(
        sends(&follower.take_actions()),
        vec![(sid(3), Message::Ping { zxid: Zxid::ZERO })]
    );
}

#[test]
fn the_leader_drops_a_silent_follower_and_steps_down_without_a_quorum() {
    let (mut peer, _) = established_leader(3, 1, Restored::default());
    for _ in 0..5 {
        peer.tick();
    }
    assert!(peer.status().serving, "syncLimit is 5 ticks");
    peer.tick();
    let actions = peer.take_actions();
    assert!(actions.contains(&Action::Disconnect { peer: sid(1) }));
    assert!(actions.contains(&Action::ServeClients(false)));
    assert_eq!(peer.status().role, Role::Looking);
    assert_eq!(
        peer.propose(txn("late")),
        Err(Error::NotLeader { leader: None })
    );
}

#[test]
fn a_follower_abandons_a_silent_leader_after_sync_limit() {
    let mut peer = broadcasting_follower(1, 3, 2);
    for _ in 0..5 {
        peer.tick();
    }
    assert_eq!(peer.status().role, Role::Following);
    peer.tick();
    assert_eq!(peer.status().role, Role::Looking);
}

#[test]
fn zxid_counter_exhaustion_forces_a_new_epoch() {
    let config = cfg(3, &[1, 2, 3], &[]).with_zxid_counter_max(2);
    let mut peer = started(config, Restored::default());
    peer.step(
        sid(1),
        note(zk_zab::ServerState::Looking, 3, Zxid::ZERO, 0, 1),
    );
    peer.step(
        sid(1),
        Message::FollowerInfo {
            accepted_epoch: Epoch(0),
        },
    );
    peer.on_epoch_persisted(EpochKind::Accepted, Epoch(1));
    peer.step(
        sid(1),
        Message::AckEpoch {
            current_epoch: Some(Epoch(0)),
            last_zxid: Zxid::ZERO,
        },
    );
    peer.on_epoch_persisted(EpochKind::Current, Epoch(1));
    peer.step(sid(1), Message::Ack { zxid: z(1, 0) });
    assert!(peer.status().serving);
    assert_eq!(peer.propose(txn("a")), Ok(z(1, 1)));
    assert_eq!(peer.propose(txn("b")), Ok(z(1, 2)));
    assert_eq!(
        peer.propose(txn("c")),
        Err(Error::ZxidCounterExhausted { epoch: Epoch(1) })
    );
    assert_eq!(
        peer.status().role,
        Role::Looking,
        "a new election starts a new epoch"
    );
}

#[test]
fn a_learner_forwards_requests_to_the_leader() {
    let mut follower = broadcasting_follower(1, 3, 2);
    follower.forward(txn("create /x")).unwrap();
    assert_eq!(
        sends(&follower.take_actions()),
        vec![(
            sid(3),
            Message::Request {
                data: txn("create /x")
            }
        )]
    );
    let (mut leader, _) = established_leader(3, 1, Restored::default());
    leader.step(
        sid(1),
        Message::Request {
            data: txn("create /x"),
        },
    );
    assert_eq!(
        leader.take_actions(),
        vec![Action::Forwarded {
            from: sid(1),
            request: txn("create /x")
        }]
    );
}

#[test]
fn the_leader_answers_a_forwarded_sync_with_its_last_proposed_zxid() {
    let (mut peer, epoch) = established_leader(3, 1, Restored::default());
    let zxid = peer.propose(txn("a")).unwrap();
    peer.take_actions();
    peer.answer_sync(sid(1)).unwrap();
    assert_eq!(
        peer.take_actions(),
        vec![Action::Send {
            to: sid(1),
            msg: Message::Sync { zxid }
        }],
        "the uncommitted proposal counts: the answer queues behind it"
    );
    assert_eq!(zxid, Zxid::new(epoch, 1));
    assert_eq!(
        peer.answer_sync(sid(2)),
        Err(Error::UnknownLearner { learner: sid(2) })
    );
    let (mut unestablished, _) = leader_in_discovery(3, 1, Restored::default(), 0);
    assert_eq!(unestablished.answer_sync(sid(1)), Err(Error::NotServing));
    let mut follower = broadcasting_follower(1, 3, 2);
    assert_eq!(
        follower.answer_sync(sid(2)),
        Err(Error::NotLeader {
            leader: Some(sid(3))
        })
    );
}

#[test]
fn a_learner_reports_the_leaders_sync_answer() {
    let mut follower = broadcasting_follower(1, 3, 2);
    let zxid = Zxid::new(Epoch(2), 7);
    follower.step(sid(3), Message::Sync { zxid });
    assert_eq!(follower.take_actions(), vec![Action::SyncAnswered { zxid }]);
    follower.step(sid(2), Message::Sync { zxid });
    assert_eq!(
        follower.take_actions(),
        vec![],
        "only the leader answers syncs"
    );
}

/// A follower of server 3 in epoch 2 that logged (not yet durably) proposals 1 to 3.
fn follower_with_three_proposals() -> Peer {
    let mut peer = broadcasting_follower(1, 3, 2);
    for counter in 1..=3 {
        peer.step(sid(3), Message::Proposal(prop(2, counter)));
    }
    peer.take_actions();
    peer
}
