//! Synchronization, one input at a time: the sync plan, the stream, and the durability order
//! of the NEWLEADER acknowledgement (`LearnerHandler.syncFollower`, `Learner.syncWithLeader`,
//! ZOOKEEPER-3911, 4643, 4646, 4685, 3642).

mod common;

use bytes::Bytes;
use common::*;
use zk_proto::{Epoch, Zxid};
use zk_zab::{
    choose_sync_plan, Action, EpochKind, Message, Proposal, Restored, Role, SyncPlan, TxnLog,
};

/// The leader's log: 1:1..1:4 then 2:1..2:3, committed up to `committed`, window `window`.
fn leader_log(committed: Zxid, window: usize) -> TxnLog {
    let mut entries = props(1, 4);
    entries.extend(props(2, 3));
    TxnLog::new(Zxid::ZERO, entries, committed, window)
}

#[test]
fn plan_is_an_empty_diff_for_a_learner_at_the_leaders_last_zxid() {
    let log = leader_log(z(2, 3), 500);
    assert_eq!(
        choose_sync_plan(z(2, 3), &log, z(2, 3)),
        SyncPlan::Diff { from: z(2, 3) }
    );
}

#[test]
fn plan_is_diff_for_a_learner_inside_the_window() {
    let log = leader_log(z(2, 3), 500);
    assert_eq!(
        choose_sync_plan(z(1, 2), &log, z(2, 3)),
        SyncPlan::Diff { from: z(1, 2) }
    );
    assert_eq!(
        choose_sync_plan(Zxid::ZERO, &log, z(2, 3)),
        SyncPlan::Diff { from: Zxid::ZERO }
    );
}

#[test]
fn plan_is_trunc_diff_for_a_learner_with_txns_the_leader_lacks() {
    let log = leader_log(z(2, 3), 500);
    // An old epoch-1 leader that logged 1:5 and 1:6 alone: back to 1:4, then diff. (ZooKeeper
    // would SNAP here because the truncation crosses an epoch; see the module docs.)
    assert_eq!(
        choose_sync_plan(z(1, 6), &log, z(2, 3)),
        SyncPlan::TruncDiff {
            truncate_to: z(1, 4)
        }
    );
}

#[test]
fn plan_is_trunc_for_a_learner_ahead_of_the_leader() {
    let log = leader_log(z(2, 2), 500);
    assert_eq!(
        choose_sync_plan(z(2, 5), &log, z(2, 3)),
        SyncPlan::Trunc {
            truncate_to: z(2, 3)
        }
    );
}

#[test]
fn plan_is_snap_for_a_learner_below_the_window() {
    let log = leader_log(z(2, 3), 2);
    assert_eq!(log.base(), z(2, 1), "the window keeps 2:2 and 2:3");
    assert_eq!(
        choose_sync_plan(z(1, 3), &log, z(2, 3)),
        SyncPlan::Snap { zxid: z(2, 3) }
    );
    assert_eq!(
        choose_sync_plan(Zxid::ZERO, &log, z(2, 3)),
        SyncPlan::Snap { zxid: z(2, 3) }
    );
    assert_eq!(
        choose_sync_plan(z(2, 1), &log, z(2, 3)),
        SyncPlan::Diff { from: z(2, 1) },
        "the window's lower bound is still diffable"
    );
}

#[test]
fn plan_is_snap_when_the_leader_holds_no_log() {
    let log = TxnLog::new(z(3, 7), vec![], z(3, 7), 500);
    assert_eq!(
        choose_sync_plan(z(3, 2), &log, z(3, 7)),
        SyncPlan::Snap { zxid: z(3, 7) }
    );
    assert_eq!(
        choose_sync_plan(z(3, 9), &log, z(3, 7)),
        SyncPlan::Trunc {
            truncate_to: z(3, 7)
        }
    );
}

#[test]
fn the_leader_streams_diff_proposals_then_newleader() {
    // The leader restarted with 1:1..1:3 logged above an empty snapshot (nothing known
    // committed); the learner has 1:1.
    let (mut peer, epoch) = leader_in_discovery(3, 1, restored(1, 1, Zxid::ZERO, props(1, 3)), 1);
    peer.step(
        sid(1),
        Message::AckEpoch {
            current_epoch: Some(Epoch(1)),
            last_zxid: z(1, 1),
        },
    );
    let to1 = |msg| Action::Send { to: sid(1), msg };
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::PersistCurrentEpoch(epoch),
            Action::SyncStarted {
                learner: sid(1),
                plan: SyncPlan::Diff { from: z(1, 1) }
            },
            to1(Message::Diff {
                last_committed: Zxid::ZERO
            }),
            to1(Message::Proposal(prop(1, 2))),
            to1(Message::Proposal(prop(1, 3))),
            to1(Message::NewLeader {
                zxid: Zxid::new(epoch, 0)
            }),
        ],
        "nothing is committed yet: it will be once the epoch is established"
    );
}

#[test]
fn the_leader_streams_commits_for_what_it_knows_committed() {
    let (mut peer, epoch) = established_leader(3, 1, Restored::default());
    let a = peer.propose(Bytes::from_static(b"a")).unwrap();
    peer.on_log_persisted(a);
    peer.step(sid(1), Message::Ack { zxid: a });
    let b = peer.propose(Bytes::from_static(b"b")).unwrap();
    peer.take_actions();
    peer.step(
        sid(2),
        Message::FollowerInfo {
            accepted_epoch: Epoch(0),
        },
    );
    peer.step(
        sid(2),
        Message::AckEpoch {
            current_epoch: Some(Epoch(0)),
            last_zxid: Zxid::ZERO,
        },
    );
    let sent: Vec<Message> = sends(&peer.take_actions())
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let p = |zxid, txn: &'static [u8]| {
        Message::Proposal(Proposal {
            zxid,
            txn: Bytes::from_static(txn),
        })
    };
    assert_eq!(
        sent,
        vec![
            Message::LeaderInfo { epoch },
            Message::Diff { last_committed: a },
            p(a, b"a"),
            Message::Commit { zxid: a },
            p(b, b"b"),
            Message::NewLeader {
                zxid: Zxid::new(epoch, 0)
            },
        ]
    );
}

#[test]
fn the_leader_streams_trunc_then_the_missing_txns() {
    let mut log = props(1, 2);
    log.push(prop(2, 1));
    let (mut peer, epoch) = leader_in_discovery(3, 1, restored(2, 2, Zxid::ZERO, log), 2);
    peer.step(
        sid(1),
        Message::AckEpoch {
            current_epoch: Some(Epoch(1)),
            last_zxid: z(1, 4),
        },
    );
    let sent = sends(&peer.take_actions());
    assert_eq!(
        sent.into_iter().map(|(_, m)| m).collect::<Vec<_>>(),
        vec![
            Message::Trunc { zxid: z(1, 2) },
            Message::Proposal(prop(2, 1)),
            Message::NewLeader {
                zxid: Zxid::new(epoch, 0)
            },
        ]
    );
}

#[test]
fn the_leader_asks_its_caller_to_stream_a_snapshot_in_order() {
    let config = cfg(3, &[1, 2, 3], &[]).with_committed_log_max(1);
    let mut peer = started(config, restored(1, 1, z(1, 3), props(1, 3)));
    peer.step(sid(1), note(zk_zab::ServerState::Looking, 3, z(1, 3), 1, 1));
    peer.take_actions();
    peer.step(
        sid(1),
        Message::FollowerInfo {
            accepted_epoch: Epoch(1),
        },
    );
    peer.on_epoch_persisted(EpochKind::Accepted, Epoch(2));
    peer.take_actions();
    peer.step(
        sid(1),
        Message::AckEpoch {
            current_epoch: Some(Epoch(0)),
            last_zxid: Zxid::ZERO,
        },
    );
    let actions = peer.take_actions();
    assert_eq!(
        actions[1..],
        [
            Action::SyncStarted {
                learner: sid(1),
                plan: SyncPlan::Snap { zxid: z(1, 3) }
            },
            Action::SendSnapshot {
                to: sid(1),
                zxid: z(1, 3)
            },
            Action::Send {
                to: sid(1),
                msg: Message::NewLeader { zxid: z(2, 0) }
            },
        ]
    );
}

#[test]
fn the_learner_acks_newleader_only_after_txns_then_current_epoch_are_durable() {
    let mut peer = syncing_follower(1, 3, Restored::default(), 2);
    peer.step(
        sid(3),
        Message::Diff {
            last_committed: z(1, 1),
        },
    );
    peer.step(sid(3), Message::Proposal(prop(1, 1)));
    peer.step(sid(3), Message::Commit { zxid: z(1, 1) });
    peer.step(sid(3), Message::Proposal(prop(1, 2)));
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::AppendTxns(vec![prop(1, 1)]),
            Action::Commit(prop(1, 1)),
            Action::AppendTxns(vec![prop(1, 2)]),
        ]
    );
    peer.step(sid(3), Message::NewLeader { zxid: z(2, 0) });
    assert_eq!(
        peer.take_actions(),
        vec![],
        "nothing durable yet: no currentEpoch, no ACK"
    );
    peer.on_log_persisted(z(1, 1));
    assert_eq!(
        peer.take_actions(),
        vec![],
        "1:2 is not durable yet (ZOOKEEPER-4643)"
    );
    peer.on_log_persisted(z(1, 2));
    assert_eq!(
        peer.take_actions(),
        vec![Action::PersistCurrentEpoch(Epoch(2))],
        "txns durable: now currentEpoch, still no ACK (ZOOKEEPER-4646)"
    );
    peer.on_epoch_persisted(EpochKind::Current, Epoch(2));
    assert_eq!(
        peer.take_actions(),
        vec![Action::Send {
            to: sid(3),
            msg: Message::Ack { zxid: z(2, 0) }
        }]
    );
    peer.step(sid(3), Message::UpToDate);
    assert_eq!(peer.take_actions(), vec![Action::ServeClients(true)]);
}

#[test]
fn the_learner_refuses_to_truncate_committed_txns() {
    let state = restored(1, 1, z(1, 3), props(1, 4));
    let mut peer = syncing_follower(1, 3, state, 2);
    peer.step(sid(3), Message::Trunc { zxid: z(1, 2) });
    let actions = peer.take_actions();
    assert!(!actions
        .iter()
        .any(|a| matches!(a, Action::TruncateLogAfter(_))));
    assert_eq!(peer.status().role, Role::Looking);
}

#[test]
fn the_learner_truncates_only_uncommitted_txns() {
    let state = restored(1, 1, z(1, 2), props(1, 4));
    let mut peer = syncing_follower(1, 3, state, 2);
    peer.step(sid(3), Message::Trunc { zxid: z(1, 3) });
    peer.step(sid(3), Message::Commit { zxid: z(1, 3) });
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::TruncateLogAfter(z(1, 3)),
            Action::Commit(prop(1, 3))
        ]
    );
    assert_eq!(peer.status().last_zxid, z(1, 3));
}

#[test]
fn a_snapshot_must_be_installed_before_newleader_is_acked() {
    let mut peer = syncing_follower(1, 3, restored(1, 1, z(1, 1), props(1, 1)), 2);
    let snapshot = Bytes::from_static(b"state at 1:9");
    peer.step(
        sid(3),
        Message::Snap {
            zxid: z(1, 9),
            snapshot: snapshot.clone(),
        },
    );
    peer.step(sid(3), Message::NewLeader { zxid: z(2, 0) });
    assert_eq!(
        peer.take_actions(),
        vec![Action::InstallSnapshot {
            zxid: z(1, 9),
            snapshot
        }]
    );
    // A stale report about the replaced log does not count (ZOOKEEPER-3642).
    peer.on_log_persisted(z(1, 9));
    assert_eq!(peer.take_actions(), vec![]);
    peer.on_snapshot_installed(z(1, 9));
    assert_eq!(
        peer.take_actions(),
        vec![Action::PersistCurrentEpoch(Epoch(2))]
    );
}

#[test]
fn a_sync_packet_after_newleader_sends_the_learner_back_to_election() {
    let mut peer = syncing_follower(1, 3, Restored::default(), 2);
    peer.step(
        sid(3),
        Message::Diff {
            last_committed: Zxid::ZERO,
        },
    );
    peer.step(sid(3), Message::NewLeader { zxid: z(2, 0) });
    peer.step(sid(3), Message::Trunc { zxid: Zxid::ZERO });
    assert_eq!(peer.status().role, Role::Looking);
}

#[test]
fn the_leader_serves_only_once_a_quorum_including_itself_acked_newleader() {
    let (mut peer, epoch) = leader_in_discovery(3, 1, Restored::default(), 0);
    peer.step(
        sid(1),
        Message::AckEpoch {
            current_epoch: Some(Epoch(0)),
            last_zxid: Zxid::ZERO,
        },
    );
    peer.take_actions();
    peer.step(
        sid(1),
        Message::Ack {
            zxid: Zxid::new(epoch, 0),
        },
    );
    assert_eq!(
        peer.take_actions(),
        vec![],
        "our own currentEpoch is not durable yet"
    );
    assert!(!peer.status().serving);
    peer.on_epoch_persisted(EpochKind::Current, epoch);
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::Send {
                to: sid(1),
                msg: Message::UpToDate
            },
            Action::ServeClients(true),
        ]
    );
    assert!(peer.status().established);
}

#[test]
fn establishing_the_epoch_commits_the_initial_history() {
    let (mut peer, epoch) = leader_in_discovery(3, 1, restored(1, 1, z(1, 1), props(1, 3)), 1);
    peer.step(
        sid(1),
        Message::AckEpoch {
            current_epoch: Some(Epoch(1)),
            last_zxid: z(1, 3),
        },
    );
    peer.on_epoch_persisted(EpochKind::Current, epoch);
    peer.take_actions();
    peer.step(
        sid(1),
        Message::Ack {
            zxid: Zxid::new(epoch, 0),
        },
    );
    let to1 = |msg| Action::Send { to: sid(1), msg };
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::Commit(prop(1, 2)),
            Action::Commit(prop(1, 3)),
            to1(Message::Commit { zxid: z(1, 3) }),
            to1(Message::UpToDate),
            Action::ServeClients(true),
        ]
    );
}

#[test]
fn an_observer_is_synced_and_acks_newleader_like_a_follower() {
    let mut peer = syncing_learner(cfg(4, &[1, 2, 3], &[4]), 3, Restored::default(), 1);
    let p: Proposal = prop(1, 1);
    peer.step(
        sid(3),
        Message::Diff {
            last_committed: Zxid::ZERO,
        },
    );
    peer.step(sid(3), Message::NewLeader { zxid: z(1, 0) });
    peer.on_epoch_persisted(EpochKind::Current, Epoch(1));
    assert_eq!(
        sends(&peer.take_actions()),
        vec![(sid(3), Message::Ack { zxid: z(1, 0) })]
    );
    peer.step(sid(3), Message::UpToDate);
    peer.step(sid(3), Message::Inform(p.clone()));
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::ServeClients(true),
            Action::AppendTxns(vec![p.clone()]),
            Action::Commit(p),
        ]
    );
    assert_eq!(peer.status().role, Role::Observing);
}

#[test]
fn a_snapshot_older_than_the_applied_state_is_refused() {
    let state = restored(1, 1, z(1, 5), props(1, 5));
    let mut peer = syncing_follower(1, 3, state, 2);
    peer.step(
        sid(3),
        Message::Snap {
            zxid: z(1, 3),
            snapshot: Bytes::new(),
        },
    );
    let actions = peer.take_actions();
    assert!(!actions
        .iter()
        .any(|a| matches!(a, Action::InstallSnapshot { .. })));
    assert_eq!(peer.status().role, Role::Looking);
}
