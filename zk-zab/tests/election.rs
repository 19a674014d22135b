//! Fast leader election, one input at a time: the exact actions each input produces.
//! Mirrors `FastLeaderElection.lookForLeader` and its `WorkerReceiver`.

mod common;

use common::*;
use zk_proto::{Epoch, Zxid};
use zk_zab::{Action, Message, Peer, Restored, Role, ServerState, Vote};

fn looking_note(leader: u64, zxid: Zxid, peer_epoch: u32, round: u64) -> Message {
    note(ServerState::Looking, leader, zxid, peer_epoch, round)
}

#[test]
fn a_fresh_voter_votes_for_itself_and_notifies_every_other_voter() {
    let mut peer = Peer::new(cfg(1, &[1, 2, 3], &[4]), Restored::default()).unwrap();
    let own = looking_note(1, Zxid::ZERO, 0, 1);
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::RoleChanged {
                role: Role::Looking,
                leader: None
            },
            Action::Send {
                to: sid(2),
                msg: own.clone()
            },
            Action::Send {
                to: sid(3),
                msg: own
            },
        ],
        "observers are not sent votes"
    );
}

#[test]
fn the_vote_carries_current_epoch_and_last_logged_zxid() {
    let mut peer = Peer::new(
        cfg(2, &[1, 2, 3], &[]),
        restored(3, 2, z(2, 5), props(2, 5)),
    )
    .unwrap();
    let sent = sends(&peer.take_actions());
    assert_eq!(sent[0].1, looking_note(2, z(2, 5), 2, 1));
}

#[test]
fn votes_order_by_peer_epoch_then_zxid_then_server_id() {
    let v = |leader: u64, zxid: Zxid, epoch: u32| Vote {
        leader: sid(leader),
        zxid,
        peer_epoch: Epoch(epoch),
    };
    assert!(v(1, z(1, 1), 2).beats(&v(3, z(1, 9), 1)), "epoch first");
    assert!(v(1, z(1, 9), 1).beats(&v(3, z(1, 8), 1)), "then zxid");
    assert!(v(3, z(1, 9), 1).beats(&v(1, z(1, 9), 1)), "then id");
    assert!(!v(1, z(1, 9), 1).beats(&v(1, z(1, 9), 1)), "strict");
}

#[test]
fn a_better_vote_is_adopted_and_rebroadcast() {
    let mut peer = started(cfg(1, &[1, 2, 3, 4, 5], &[]), Restored::default());
    peer.step(sid(2), looking_note(2, z(1, 4), 1, 1));
    let adopted = looking_note(2, z(1, 4), 1, 1);
    assert_eq!(
        peer.take_actions(),
        [2, 3, 4, 5]
            .map(|to| Action::Send {
                to: sid(to),
                msg: adopted.clone()
            })
            .to_vec()
    );
    assert_eq!(peer.status().role, Role::Looking, "2 of 5 is no quorum");
}

#[test]
fn adopting_a_vote_that_completes_a_quorum_elects_at_once_without_finalize_wait() {
    let mut peer = started(cfg(1, &[1, 2, 3], &[]), Restored::default());
    peer.step(sid(2), looking_note(2, z(1, 4), 1, 1));
    let actions = peer.take_actions();
    assert_eq!(
        actions[2],
        Action::RoleChanged {
            role: Role::Following,
            leader: Some(sid(2))
        }
    );
}

#[test]
fn a_worse_vote_is_recorded_without_a_rebroadcast() {
    let mut peer = started(cfg(3, &[1, 2, 3], &[]), Restored::default());
    peer.step(sid(1), looking_note(1, Zxid::ZERO, 0, 1));
    // 1's vote for 1 loses to our vote for 3; it only counts towards nothing.
    assert_eq!(peer.take_actions(), vec![]);
    assert_eq!(peer.status().role, Role::Looking);
}

#[test]
fn a_quorum_for_our_proposal_elects_after_the_finalize_wait() {
    let config = cfg(1, &[1, 2, 3], &[]).with_finalize_wait_ticks(2);
    let mut peer = started(config, Restored::default());
    peer.step(sid(2), looking_note(3, Zxid::ZERO, 0, 1));
    peer.take_actions(); // adopted 3 and rebroadcast
    peer.step(sid(3), looking_note(3, Zxid::ZERO, 0, 1));
    assert_eq!(peer.take_actions(), vec![], "a quorum agrees: finalizing");
    peer.tick();
    assert_eq!(peer.take_actions(), vec![]);
    peer.tick();
    assert_eq!(
        peer.take_actions(),
        vec![
            Action::RoleChanged {
                role: Role::Following,
                leader: Some(sid(3))
            },
            Action::Connect { to: sid(3) },
            Action::Send {
                to: sid(3),
                msg: Message::FollowerInfo {
                    accepted_epoch: Epoch(0)
                }
            },
        ]
    );
}

#[test]
fn a_better_vote_during_the_finalize_wait_reopens_the_round() {
    let config = cfg(1, &[1, 2, 3, 4, 5], &[]).with_finalize_wait_ticks(2);
    let mut peer = started(config, Restored::default());
    peer.step(sid(2), looking_note(2, Zxid::ZERO, 0, 1));
    peer.step(sid(3), looking_note(2, Zxid::ZERO, 0, 1));
    peer.take_actions();
    // {1, 2, 3} agree on 2: finalizing. Then 5 shows a longer history.
    peer.step(sid(5), looking_note(5, z(1, 1), 1, 1));
    assert_eq!(
        sends(&peer.take_actions()).len(),
        4,
        "adopts 5's vote and rebroadcasts"
    );
    peer.tick();
    peer.tick();
    peer.tick();
    assert_eq!(peer.status().role, Role::Looking, "no quorum for 5 yet");
}

#[test]
fn a_worse_vote_during_the_finalize_wait_is_ignored() {
    let config = cfg(1, &[1, 2, 3, 4, 5], &[]).with_finalize_wait_ticks(2);
    let mut peer = started(config, Restored::default());
    peer.step(sid(2), looking_note(3, Zxid::ZERO, 0, 1));
    peer.step(sid(3), looking_note(3, Zxid::ZERO, 0, 1));
    peer.take_actions();
    peer.step(sid(4), looking_note(2, Zxid::ZERO, 0, 1));
    assert_eq!(peer.take_actions(), vec![]);
    peer.tick();
    peer.tick();
    assert_eq!(peer.status().leader, Some(sid(3)));
}

#[test]
fn a_lagging_voter_is_answered_with_our_round() {
    let mut peer = started(cfg(1, &[1, 2, 3, 4, 5], &[]), Restored::default());
    peer.step(sid(2), looking_note(2, Zxid::ZERO, 0, 5));
    peer.take_actions(); // jumped to round 5, voting 2
    peer.step(sid(3), looking_note(3, Zxid::ZERO, 0, 2));
    assert_eq!(
        sends(&peer.take_actions()),
        vec![(sid(3), looking_note(2, Zxid::ZERO, 0, 5))]
    );
}

#[test]
fn a_later_round_resets_the_votes() {
    let mut peer = started(cfg(1, &[1, 2, 3, 4, 5], &[]), Restored::default());
    peer.step(sid(2), looking_note(2, Zxid::ZERO, 0, 1));
    peer.take_actions();
    // Round 4 starts from our own vote again, not from round 1's adopted one.
    peer.step(sid(4), looking_note(1, Zxid::ZERO, 0, 4));
    assert_eq!(peer.status().logical_clock, 4);
    let sent = sends(&peer.take_actions());
    assert_eq!(sent[0].1, looking_note(1, Zxid::ZERO, 0, 4));
    assert_eq!(
        peer.status().role,
        Role::Looking,
        "round 1's votes no longer count"
    );
    peer.step(sid(5), looking_note(1, Zxid::ZERO, 0, 4));
    assert_eq!(
        peer.status().role,
        Role::Leading,
        "{{1, 4, 5}} agree in round 4"
    );
}

#[test]
fn a_late_peer_joins_the_established_leader_it_hears_about() {
    let mut peer = started(cfg(1, &[1, 2, 3], &[]), Restored::default());
    let vote_zxid = z(4, 7);
    peer.step(sid(2), note(ServerState::Following, 3, vote_zxid, 4, 9));
    assert_eq!(peer.take_actions(), vec![], "one follower is not a quorum");
    peer.step(sid(3), note(ServerState::Leading, 3, vote_zxid, 4, 9));
    let actions = peer.take_actions();
    assert_eq!(
        actions[0],
        Action::RoleChanged {
            role: Role::Following,
            leader: Some(sid(3))
        }
    );
    assert_eq!(
        peer.status().logical_clock,
        9,
        "adopts the ensemble's round"
    );
}

#[test]
fn a_late_peer_does_not_follow_a_leader_that_does_not_say_it_leads() {
    let mut peer = started(cfg(1, &[1, 2, 3, 4, 5], &[]), Restored::default());
    for follower in [2, 4, 5] {
        peer.step(
            sid(follower),
            note(ServerState::Following, 3, z(4, 7), 4, 9),
        );
    }
    // A quorum follows 3, but 3 itself never said LEADING (`checkLeader`): it may be dead.
    assert_eq!(peer.status().role, Role::Looking);
}

#[test]
fn a_following_voter_answers_a_looking_voter_with_its_settled_vote() {
    let mut peer = started(cfg(1, &[1, 2, 3], &[]), Restored::default());
    peer.step(sid(3), note(ServerState::Leading, 3, z(2, 0), 2, 6));
    peer.step(sid(2), note(ServerState::Following, 3, z(2, 0), 2, 6));
    peer.take_actions();
    peer.step(sid(2), looking_note(2, z(2, 1), 2, 7));
    assert_eq!(
        sends(&peer.take_actions()),
        vec![(sid(2), note(ServerState::Following, 3, z(2, 0), 2, 6))]
    );
}

#[test]
fn observers_never_vote_but_voters_tell_them_what_they_know() {
    let mut voter = started(cfg(1, &[1, 2, 3], &[4]), Restored::default());
    voter.step(sid(4), looking_note(4, z(9, 9), 9, 1));
    assert_eq!(
        sends(&voter.take_actions()),
        vec![(sid(4), looking_note(1, Zxid::ZERO, 0, 1))],
        "answered, not adopted"
    );

    let mut observer = Peer::new(cfg(4, &[1, 2, 3], &[4]), Restored::default()).unwrap();
    let first = sends(&observer.take_actions());
    assert_eq!(first.len(), 3, "an observer asks every voter");
    observer.step(sid(1), looking_note(2, Zxid::ZERO, 0, 1));
    observer.take_actions();
    observer.step(sid(3), looking_note(2, Zxid::ZERO, 0, 1));
    // Two voters agree on 2: the observer observes 2 (its own vote never counted).
    assert_eq!(observer.status().role, Role::Observing);
    let actions = observer.take_actions();
    assert!(actions.contains(&Action::Send {
        to: sid(2),
        msg: Message::ObserverInfo {
            accepted_epoch: Epoch(0)
        }
    }));
}

#[test]
fn notifications_are_resent_with_exponential_backoff() {
    let mut peer = started(cfg(1, &[1, 2, 3], &[]), Restored::default());
    let mut resent_at = Vec::new();
    for t in 1..=20 {
        peer.tick();
        if !peer.take_actions().is_empty() {
            resent_at.push(t);
        }
    }
    assert_eq!(resent_at, vec![2, 6, 14], "intervals 2, 4, 8 ticks");
}

#[test]
fn a_single_voter_elects_itself() {
    let mut peer = Peer::new(cfg(1, &[1], &[]), Restored::default()).unwrap();
    let actions = peer.take_actions();
    assert!(actions.contains(&Action::RoleChanged {
        role: Role::Leading,
        leader: Some(sid(1))
    }));
}

#[test]
fn a_synced_peer_tells_late_peers_the_established_epoch_not_its_old_vote() {
    // ZOOKEEPER-1732: members that joined in different rounds must report the same
    // (leader, peer epoch), or a late peer can never gather a quorum of matching votes.
    let mut follower = broadcasting_follower(1, 3, 2);
    follower.step(sid(2), note(ServerState::Looking, 2, Zxid::ZERO, 0, 9));
    let sent = sends(&follower.take_actions());
    match &sent[..] {
        [(to, Message::Notification(n))] => {
            assert_eq!(*to, sid(2));
            assert_eq!(n.state, ServerState::Following);
            assert_eq!((n.vote.leader, n.vote.peer_epoch), (sid(3), Epoch(2)));
        }
        other => panic!("{other:?}"),
    }
}
