//! Helpers for the core-action tests: build a peer, then walk it into the state a test needs
//! through its public inputs only.
#![allow(dead_code)]

use bytes::Bytes;
use zk_proto::{Epoch, Zxid};
use zk_zab::{
    Action, Config, EpochKind, Message, Notification, Peer, Proposal, Restored, Role, ServerId,
    ServerState, Vote,
};

/// Shorthand for a server id.
pub fn sid(n: u64) -> ServerId {
    ServerId(n)
}

/// Shorthand for a zxid.
pub fn z(epoch: u32, counter: u32) -> Zxid {
    Zxid::new(Epoch(epoch), counter)
}

/// A proposal whose txn names its zxid.
pub fn prop(epoch: u32, counter: u32) -> Proposal {
    Proposal {
        zxid: z(epoch, counter),
        txn: Bytes::from(format!("txn {epoch}:{counter}")),
    }
}

/// The proposals `(epoch, 1..=n)`.
pub fn props(epoch: u32, n: u32) -> Vec<Proposal> {
    (1..=n).map(|c| prop(epoch, c)).collect()
}

/// Test limits: decide elections at once, short timeouts.
pub fn cfg(me: u64, voters: &[u64], observers: &[u64]) -> Config {
    Config::new(
        sid(me),
        voters.iter().copied().map(ServerId),
        observers.iter().copied().map(ServerId),
    )
    .unwrap()
    .with_finalize_wait_ticks(0)
    .with_notification_interval_ticks(2, 16)
    .with_init_limit_ticks(10)
    .with_sync_limit_ticks(5)
    .with_ping_interval_ticks(2)
}

/// A restored state with `log` committed up to `snapshot`.
pub fn restored(accepted: u32, current: u32, snapshot: Zxid, log: Vec<Proposal>) -> Restored {
    Restored {
        accepted_epoch: Epoch(accepted),
        current_epoch: Epoch(current),
        snapshot_zxid: snapshot,
        log,
    }
}

/// A notification message.
pub fn note(state: ServerState, leader: u64, zxid: Zxid, peer_epoch: u32, round: u64) -> Message {
    Message::Notification(Notification {
        state,
        vote: Vote {
            leader: sid(leader),
            zxid,
            peer_epoch: Epoch(peer_epoch),
        },
        election_epoch: round,
    })
}

/// The `Send` actions, as (recipient, message).
pub fn sends(actions: &[Action]) -> Vec<(ServerId, Message)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { to, msg } => Some((*to, msg.clone())),
            _ => None,
        })
        .collect()
}

/// A peer with its start-up actions drained.
pub fn started(config: Config, state: Restored) -> Peer {
    let mut peer = Peer::new(config, state).unwrap();
    peer.take_actions();
    peer
}

/// Follower `me` of a 3-voter ensemble {1,2,3} that joined `leader` (told by `leader` and
/// the third voter), received LEADERINFO(`epoch`) and sent ACKEPOCH. Actions drained.
pub fn syncing_follower(me: u64, leader: u64, state: Restored, epoch: u32) -> Peer {
    syncing_learner(cfg(me, &[1, 2, 3], &[4]), leader, state, epoch)
}

/// Like [`syncing_follower`] for any configuration (observers too).
pub fn syncing_learner(config: Config, leader: u64, state: Restored, epoch: u32) -> Peer {
    let me = config.my_id.0;
    let mut peer = started(config, state);
    let other = [1, 2, 3]
        .into_iter()
        .find(|v| *v != me && *v != leader)
        .unwrap();
    let vote_zxid = z(epoch - 1, 0);
    peer.step(
        sid(leader),
        note(ServerState::Leading, leader, vote_zxid, epoch - 1, 1),
    );
    peer.step(
        sid(other),
        note(ServerState::Following, leader, vote_zxid, epoch - 1, 1),
    );
    assert_eq!(peer.status().leader, Some(sid(leader)), "joined the leader");
    peer.take_actions();
    peer.step(
        sid(leader),
        Message::LeaderInfo {
            epoch: Epoch(epoch),
        },
    );
    peer.on_epoch_persisted(EpochKind::Accepted, Epoch(epoch));
    let acks = sends(&peer.take_actions());
    assert!(
        matches!(acks.as_slice(), [(_, Message::AckEpoch { .. })]),
        "{acks:?}"
    );
    peer
}

/// Voter `me` of {1,2,3} elected leader with `follower`'s vote, with FOLLOWERINFO from
/// `follower` (accepted epoch `follower_accepted`) and its own accepted epoch durable:
/// LEADERINFO is out. Actions drained. Returns the peer and the new epoch.
pub fn leader_in_discovery(
    me: u64,
    follower: u64,
    state: Restored,
    follower_accepted: u32,
) -> (Peer, Epoch) {
    let config = cfg(me, &[1, 2, 3], &[4]);
    let (last, current) = {
        let p = Peer::new(config.clone(), state.clone()).unwrap();
        (p.status().last_zxid, p.status().current_epoch)
    };
    let mut peer = started(config, state);
    peer.step(
        sid(follower),
        note(ServerState::Looking, me, last, current.0, 1),
    );
    assert_eq!(peer.status().role, Role::Leading);
    peer.take_actions();
    peer.step(
        sid(follower),
        Message::FollowerInfo {
            accepted_epoch: Epoch(follower_accepted),
        },
    );
    let epoch = match peer.take_actions().as_slice() {
        [Action::PersistAcceptedEpoch(e)] => *e,
        other => panic!("expected PersistAcceptedEpoch, got {other:?}"),
    };
    peer.on_epoch_persisted(EpochKind::Accepted, epoch);
    peer.take_actions();
    (peer, epoch)
}

/// An established leader `me` of {1,2,3} (observer 4) with `follower` synced and serving.
/// Returns the peer and the epoch. Actions drained.
pub fn established_leader(me: u64, follower: u64, state: Restored) -> (Peer, Epoch) {
    let (mut peer, epoch) = leader_in_discovery(me, follower, state, 0);
    let last = peer.status().last_zxid;
    let current = peer.status().current_epoch;
    peer.step(
        sid(follower),
        Message::AckEpoch {
            current_epoch: Some(current),
            last_zxid: last,
        },
    );
    peer.on_epoch_persisted(EpochKind::Current, epoch);
    peer.step(
        sid(follower),
        Message::Ack {
            zxid: Zxid::new(epoch, 0),
        },
    );
    assert!(peer.status().established && peer.status().serving);
    peer.take_actions();
    (peer, epoch)
}

/// A follower `me` synced to `leader` in `epoch` and serving, with an empty log.
pub fn broadcasting_follower(me: u64, leader: u64, epoch: u32) -> Peer {
    let mut peer = syncing_follower(me, leader, Restored::default(), epoch);
    peer.step(
        sid(leader),
        Message::Diff {
            last_committed: Zxid::ZERO,
        },
    );
    peer.step(sid(leader), Message::NewLeader { zxid: z(epoch, 0) });
    peer.on_epoch_persisted(EpochKind::Current, Epoch(epoch));
    peer.step(sid(leader), Message::UpToDate);
    assert!(peer.status().serving);
    peer.take_actions();
    peer
}

use zk_zab::testing::Cluster;
use zk_zab::SyncPlan;

/// Writes through the current leader until a write is acknowledged. A write whose leader
/// steps down first has an unknown fate (like a client's connection loss), so it retries.
pub fn write_acked(cluster: &mut Cluster, payload: &[u8]) -> Zxid {
    for _ in 0..10 {
        let leader = cluster.run_until_leader(20_000).expect("a serving leader");
        let Some(zxid) = cluster.write_at(leader, payload) else {
            continue;
        };
        cluster.run_until(20_000, |c| {
            c.is_acknowledged(zxid) || c.status(leader).is_none_or(|s| !s.serving)
        });
        if cluster.is_acknowledged(zxid) {
            return zxid;
        }
    }
    panic!("no write was acknowledged in 10 attempts");
}

/// The last sync plan any leader chose for `learner`.
pub fn last_plan(cluster: &Cluster, learner: ServerId) -> Option<SyncPlan> {
    cluster
        .sync_plans()
        .iter()
        .rev()
        .find(|(_, l, _)| *l == learner)
        .map(|(_, _, plan)| *plan)
}

/// A voter other than `not`.
pub fn other_voter(cluster: &Cluster, not: &[ServerId]) -> ServerId {
    cluster
        .options()
        .voter_ids()
        .into_iter()
        .find(|id| !not.contains(id))
        .expect("another voter")
}

/// Heals, restarts everyone, converges, and checks every acknowledged write everywhere.
pub fn converge(cluster: &mut Cluster) {
    assert!(
        cluster.run_until_converged(50_000),
        "the ensemble converges"
    );
    cluster.check_durability();
}
