//! Discovery, one input at a time: FOLLOWERINFO → LEADERINFO → ACKEPOCH, and the order in
//! which epochs are made durable (`Leader.getEpochToPropose`/`waitForEpochAck`,
//! `Learner.registerWithLeader`).

mod common;

use common::*;
use zk_proto::{Epoch, Zxid};
use zk_zab::{Action, EpochKind, Message, Restored, Role, ServerState};

#[test]
fn the_leader_persists_its_accepted_epoch_before_sending_leaderinfo() {
    let mut peer = started(cfg(3, &[1, 2, 3], &[]), restored(2, 2, Zxid::ZERO, vec![]));
    peer.step(sid(1), note(ServerState::Looking, 3, Zxid::ZERO, 2, 1));
    peer.take_actions();
    peer.step(
        sid(1),
        Message::FollowerInfo {
            accepted_epoch: Epoch(5),
        },
    );
    // 1 + max(accepted epochs of the connecting quorum {3: 2, 1: 5}).
    assert_eq!(
        peer.take_actions(),
        vec![Action::PersistAcceptedEpoch(Epoch(6))]
    );
    peer.on_epoch_persisted(EpochKind::Accepted, Epoch(6));
    assert_eq!(
        peer.take_actions(),
        vec![Action::Send {
            to: sid(1),
            msg: Message::LeaderInfo { epoch: Epoch(6) }
        }]
    );
}

#[test]
fn the_epoch_is_chosen_only_once_a_quorum_has_connected() {
    let mut peer = started(cfg(5, &[1, 2, 3, 4, 5], &[6]), Restored::default());
    for voter in [1, 2] {
        peer.step(sid(voter), note(ServerState::Looking, 5, Zxid::ZERO, 0, 1));
    }
    assert_eq!(peer.status().role, Role::Leading);
    peer.take_actions();
    peer.step(
        sid(6),
        Message::ObserverInfo {
            accepted_epoch: Epoch(9),
        },
    );
    peer.step(
        sid(1),
        Message::FollowerInfo {
            accepted_epoch: Epoch(1),
        },
    );
    assert_eq!(
        peer.take_actions(),
        vec![],
        "observers never count: {{5, 1}} is 2 of 5"
    );
    peer.step(
        sid(2),
        Message::FollowerInfo {
            accepted_epoch: Epoch(3),
        },
    );
    // Observers' promises still bound the epoch from below.
    assert_eq!(
        peer.take_actions(),
        vec![Action::PersistAcceptedEpoch(Epoch(10))]
    );
    peer.on_epoch_persisted(EpochKind::Accepted, Epoch(10));
    let sent: Vec<_> = sends(&peer.take_actions())
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    assert_eq!(sent, vec![sid(1), sid(2), sid(6)]);
}

#[test]
fn a_learner_sends_ackepoch_only_after_its_accepted_epoch_is_durable() {
    let mut peer = started(
        cfg(1, &[1, 2, 3], &[]),
        restored(2, 2, z(2, 3), props(2, 3)),
    );
    peer.step(sid(3), note(ServerState::Leading, 3, z(2, 9), 2, 1));
    peer.step(sid(2), note(ServerState::Following, 3, z(2, 9), 2, 1));
    peer.take_actions();
    peer.step(sid(3), Message::LeaderInfo { epoch: Epoch(3) });
    assert_eq!(
        peer.take_actions(),
        vec![Action::PersistAcceptedEpoch(Epoch(3))]
    );
    peer.on_epoch_persisted(EpochKind::Accepted, Epoch(3));
    assert_eq!(
        peer.take_actions(),
        vec![Action::Send {
            to: sid(3),
            msg: Message::AckEpoch {
                current_epoch: Some(Epoch(2)),
                last_zxid: z(2, 3)
            }
        }]
    );
}

#[test]
fn a_learner_that_already_accepted_the_epoch_is_not_counted_again() {
    let mut peer = started(cfg(1, &[1, 2, 3], &[]), restored(3, 2, Zxid::ZERO, vec![]));
    peer.step(sid(3), note(ServerState::Leading, 3, Zxid::ZERO, 2, 1));
    peer.step(sid(2), note(ServerState::Following, 3, Zxid::ZERO, 2, 1));
    peer.take_actions();
    peer.step(sid(3), Message::LeaderInfo { epoch: Epoch(3) });
    assert_eq!(
        peer.take_actions(),
        vec![Action::Send {
            to: sid(3),
            msg: Message::AckEpoch {
                current_epoch: None,
                last_zxid: Zxid::ZERO
            }
        }],
        "ZooKeeper's -1: it promised this epoch before, maybe to another leader"
    );
}

#[test]
fn a_learner_refuses_a_leader_whose_epoch_is_below_its_promise() {
    let mut peer = started(cfg(1, &[1, 2, 3], &[]), restored(7, 2, Zxid::ZERO, vec![]));
    peer.step(sid(3), note(ServerState::Leading, 3, Zxid::ZERO, 2, 1));
    peer.step(sid(2), note(ServerState::Following, 3, Zxid::ZERO, 2, 1));
    peer.take_actions();
    peer.step(sid(3), Message::LeaderInfo { epoch: Epoch(5) });
    let actions = peer.take_actions();
    assert_eq!(actions[0], Action::Disconnect { peer: sid(3) });
    assert_eq!(peer.status().role, Role::Looking);
    assert_eq!(peer.status().accepted_epoch, Epoch(7));
}

#[test]
fn discovery_completes_on_a_quorum_of_ackepochs_and_syncs_the_learner() {
    let (mut peer, epoch) = leader_in_discovery(3, 1, restored(1, 1, z(1, 2), props(1, 2)), 1);
    assert_eq!(epoch, Epoch(2));
    peer.step(
        sid(1),
        Message::AckEpoch {
            current_epoch: Some(Epoch(1)),
            last_zxid: z(1, 2),
        },
    );
    let actions = peer.take_actions();
    assert_eq!(
        actions[0],
        Action::PersistCurrentEpoch(Epoch(2)),
        "our history is durable"
    );
    assert!(matches!(actions[1], Action::SyncStarted { .. }));
    assert_eq!(
        actions.last(),
        Some(&Action::Send {
            to: sid(1),
            msg: Message::NewLeader { zxid: z(2, 0) }
        })
    );
}

#[test]
fn the_leader_steps_down_when_a_voter_is_ahead_of_it() {
    let (mut peer, _) = leader_in_discovery(3, 1, restored(1, 1, z(1, 2), props(1, 2)), 1);
    peer.step(
        sid(1),
        Message::AckEpoch {
            current_epoch: Some(Epoch(1)),
            last_zxid: z(1, 5),
        },
    );
    let actions = peer.take_actions();
    assert!(actions.contains(&Action::RoleChanged {
        role: Role::Looking,
        leader: None
    }));
    assert!(!actions
        .iter()
        .any(|a| matches!(a, Action::SyncStarted { .. })));
}

#[test]
fn the_leader_gives_up_without_a_quorum_within_init_limit() {
    let mut peer = started(cfg(3, &[1, 2, 3], &[]), Restored::default());
    peer.step(sid(1), note(ServerState::Looking, 3, Zxid::ZERO, 0, 1));
    peer.take_actions();
    for _ in 0..9 {
        peer.tick();
    }
    assert_eq!(peer.status().role, Role::Leading);
    peer.tick();
    assert_eq!(
        peer.status().role,
        Role::Looking,
        "initLimit (10 ticks) passed"
    );
}

#[test]
fn an_established_leader_adopts_a_higher_promise_and_re_elects() {
    let (mut peer, epoch) = established_leader(3, 1, Restored::default());
    peer.step(
        sid(2),
        Message::FollowerInfo {
            accepted_epoch: Epoch(epoch.0 + 5),
        },
    );
    let actions = peer.take_actions();
    assert_eq!(actions[0], Action::PersistAcceptedEpoch(Epoch(epoch.0 + 5)));
    assert_eq!(peer.status().role, Role::Looking);
}

#[test]
fn a_late_learner_gets_leaderinfo_at_once_and_is_synced_on_ackepoch() {
    let (mut peer, epoch) = established_leader(3, 1, Restored::default());
    peer.step(
        sid(2),
        Message::FollowerInfo {
            accepted_epoch: Epoch(0),
        },
    );
    assert_eq!(
        peer.take_actions(),
        vec![Action::Send {
            to: sid(2),
            msg: Message::LeaderInfo { epoch }
        }]
    );
    peer.step(
        sid(2),
        Message::AckEpoch {
            current_epoch: Some(Epoch(0)),
            last_zxid: Zxid::ZERO,
        },
    );
    let sent = sends(&peer.take_actions());
    assert_eq!(
        sent,
        vec![
            (
                sid(2),
                Message::Diff {
                    last_committed: Zxid::ZERO
                }
            ),
            (
                sid(2),
                Message::NewLeader {
                    zxid: Zxid::new(epoch, 0)
                }
            ),
        ]
    );
}

#[test]
fn a_followerinfo_that_arrives_while_electing_is_answered_once_this_peer_leads() {
    // The learner decided the election a moment before us and connected already.
    let mut peer = started(cfg(3, &[1, 2, 3], &[]), restored(2, 2, Zxid::ZERO, vec![]));
    peer.take_actions();
    peer.step(
        sid(1),
        Message::FollowerInfo {
            accepted_epoch: Epoch(5),
        },
    );
    assert_eq!(
        peer.take_actions(),
        vec![],
        "kept, not refused, while electing"
    );
    peer.step(sid(1), note(ServerState::Looking, 3, Zxid::ZERO, 2, 1));
    assert_eq!(peer.status().role, Role::Leading);
    let actions = peer.take_actions();
    assert!(
        actions.contains(&Action::PersistAcceptedEpoch(Epoch(6))),
        "the early FOLLOWERINFO counts toward the epoch: {actions:?}"
    );
}

#[test]
fn a_followerinfo_kept_while_electing_is_refused_once_this_peer_follows_another() {
    let mut peer = started(cfg(2, &[1, 2, 3], &[]), restored(2, 2, Zxid::ZERO, vec![]));
    peer.take_actions();
    peer.step(
        sid(1),
        Message::FollowerInfo {
            accepted_epoch: Epoch(2),
        },
    );
    assert_eq!(peer.take_actions(), vec![]);
    for voter in [1, 3] {
        peer.step(sid(voter), note(ServerState::Looking, 3, Zxid::ZERO, 2, 1));
    }
    for _ in 0..5 {
        peer.tick();
    }
    assert_eq!(peer.status().role, Role::Following);
    assert!(
        peer.take_actions()
            .contains(&Action::Disconnect { peer: sid(1) }),
        "the learner re-elects at once"
    );
}
