//! The mapping between [`Message`] and ZooKeeper's wire records in `zk-proto`:
//! [`QuorumPacket`] on the quorum port and the FLE [`WireNotification`] on the election port.
//!
//! The state machine never sees bytes; the caller's network glue calls these functions on the
//! way out and in. The encoding follows Apache ZooKeeper 3.8/3.9 (`Leader`, `Learner`,
//! `LearnerHandler`, `FastLeaderElection`):
//!
//! | message | type | zxid | data |
//! |---|---|---|---|
//! | `FollowerInfo`/`ObserverInfo` | 11 / 16 | `acceptedEpoch << 32` | `LearnerInfo` (sender's id, protocol 0x10000) |
//! | `LeaderInfo` | 17 | `epoch << 32` | int protocol version 0x10000 |
//! | `AckEpoch` | 18 | last zxid | int current epoch, -1 for none |
//! | `Diff` / `Trunc` | 13 / 14 | last committed / truncation point | — |
//! | `Snap` | 15 | snapshot zxid | — (the snapshot stream follows the packet) |
//! | `Proposal` / `Inform` | 2 / 8 | zxid | the txn |
//! | `Commit` / `Ack` / `Ping` | 4 / 3 / 5 | zxid | — |
//! | `NewLeader` | 10 | `epoch << 32` | — |
//! | `UpToDate` | 12 | -1 | — |
//! | `Request` | 1 | -1 | the request, with an empty authinfo |
//! | `Sync` | 7 | the leader's last proposed zxid | — |
//!
//! ```
//! use zk_proto::{Epoch, Zxid};
//! use zk_zab::wire::{from_quorum_packet, to_quorum_packet};
//! use zk_zab::{Message, ServerId};
//!
//! let msg = Message::AckEpoch { current_epoch: None, last_zxid: Zxid::new(Epoch(3), 9) };
//! let packet = to_quorum_packet(&msg, ServerId(2)).unwrap();
//! assert_eq!(packet.data.as_deref(), Some(&[0xff, 0xff, 0xff, 0xff][..]));
//! assert_eq!(from_quorum_packet(&packet).unwrap(), msg);
//! ```

use bytes::Bytes;
use zk_proto::quorum::{
    LearnerInfo, Notification as WireNotification, QuorumPacket, QuorumPacketType,
    ServerState as WireState,
};
use zk_proto::{Epoch, Jute, Zxid};

use crate::error::{Error, Result};
use crate::message::{Message, Notification, Proposal, ServerState, Vote};
use crate::quorum::ServerId;

/// The ZAB protocol version ZooKeeper 3.4 to 3.9 speak.
const PROTOCOL_VERSION: i32 = 0x10000;

/// The quorum packet for `msg`, sent by `me`; `None` for an election notification. For
/// [`Message::Snap`] the caller writes the snapshot stream right after the packet.
pub fn to_quorum_packet(msg: &Message, me: ServerId) -> Option<QuorumPacket> {
    use QuorumPacketType as T;
    let packet = |t, zxid| QuorumPacket::new(t, zxid);
    let info = || {
        LearnerInfo {
            server_id: me.0 as i64,
            protocol_version: PROTOCOL_VERSION,
            config_version: 0,
        }
        .to_vec()
    };
    Some(match msg {
        Message::Notification(_) => return None,
        Message::FollowerInfo { accepted_epoch } => {
            packet(T::FollowerInfo, Zxid::new(*accepted_epoch, 0)).with_data(info())
        }
        Message::ObserverInfo { accepted_epoch } => {
            packet(T::ObserverInfo, Zxid::new(*accepted_epoch, 0)).with_data(info())
        }
        Message::LeaderInfo { epoch } => packet(T::LeaderInfo, Zxid::new(*epoch, 0))
            .with_data(PROTOCOL_VERSION.to_be_bytes().to_vec()),
        Message::AckEpoch {
            current_epoch,
            last_zxid,
        } => {
            let epoch = current_epoch.map_or(-1, |e| e.0 as i32);
            packet(T::AckEpoch, *last_zxid).with_data(epoch.to_be_bytes().to_vec())
        }
        Message::Diff { last_committed } => packet(T::Diff, *last_committed),
        Message::Trunc { zxid } => packet(T::Trunc, *zxid),
        Message::Snap { zxid, .. } => packet(T::Snap, *zxid),
        Message::Proposal(p) => packet(T::Proposal, p.zxid).with_data(p.txn.clone()),
        Message::Inform(p) => packet(T::Inform, p.zxid).with_data(p.txn.clone()),
        Message::Commit { zxid } => packet(T::Commit, *zxid),
        Message::NewLeader { zxid } => packet(T::NewLeader, *zxid),
        Message::Ack { zxid } => packet(T::Ack, *zxid),
        Message::UpToDate => packet(T::UpToDate, Zxid::NONE),
        Message::Ping { zxid } => packet(T::Ping, *zxid),
        Message::Request { data } => packet(T::Request, Zxid::NONE)
            .with_data(data.clone())
            .with_authinfo(Vec::new()),
        Message::Sync { zxid } => packet(T::Sync, *zxid),
    })
}

/// The message a received quorum packet carries. A SNAP comes back with an empty snapshot:
/// the caller fills in the stream it read after the packet.
pub fn from_quorum_packet(packet: &QuorumPacket) -> Result<Message> {
    use QuorumPacketType as T;
    let zxid = packet.zxid;
    let data = || packet.data.clone().unwrap_or_default();
    Ok(match packet.packet_type {
        T::FollowerInfo => Message::FollowerInfo {
            accepted_epoch: zxid.epoch(),
        },
        T::ObserverInfo => Message::ObserverInfo {
            accepted_epoch: zxid.epoch(),
        },
        T::LeaderInfo => Message::LeaderInfo {
            epoch: zxid.epoch(),
        },
        T::AckEpoch => {
            let bytes: [u8; 4] = packet
                .data
                .as_deref()
                .and_then(|d| d.try_into().ok())
                .ok_or(malformed("ACKEPOCH", "data is not a 4-byte epoch"))?;
            let epoch = i32::from_be_bytes(bytes);
            Message::AckEpoch {
                current_epoch: (epoch >= 0).then_some(Epoch(epoch as u32)),
                last_zxid: zxid,
            }
        }
        T::Diff => Message::Diff {
            last_committed: zxid,
        },
        T::Trunc => Message::Trunc { zxid },
        T::Snap => Message::Snap {
            zxid,
            snapshot: Bytes::new(),
        },
        T::Proposal => Message::Proposal(Proposal { zxid, txn: data() }),
        T::Inform => Message::Inform(Proposal { zxid, txn: data() }),
        T::Commit => Message::Commit { zxid },
        T::NewLeader => Message::NewLeader { zxid },
        T::Ack => Message::Ack { zxid },
        T::UpToDate => Message::UpToDate,
        T::Ping => Message::Ping { zxid },
        T::Request => Message::Request { data: data() },
        T::Sync => Message::Sync { zxid },
        other => return Err(Error::UnsupportedPacket(other)),
    })
}

/// The server id a FOLLOWERINFO/OBSERVERINFO packet announces, if it carries one.
pub fn learner_id(packet: &QuorumPacket) -> Option<ServerId> {
    let info = LearnerInfo::from_packet_data(packet.data.as_deref())?;
    u64::try_from(info.server_id).ok().map(ServerId)
}

/// The FLE notification for `n`; `config` is the sender's dynamic configuration text (what
/// Apache peers expect from version-2 notifications).
pub fn to_wire_notification(n: &Notification, config: Bytes) -> WireNotification {
    WireNotification {
        state: match n.state {
            ServerState::Looking => WireState::Looking,
            ServerState::Following => WireState::Following,
            ServerState::Leading => WireState::Leading,
            ServerState::Observing => WireState::Observing,
        },
        leader: n.vote.leader.0 as i64,
        zxid: n.vote.zxid,
        election_epoch: n.election_epoch as i64,
        peer_epoch: i64::from(n.vote.peer_epoch.0),
        version: WireNotification::CURRENT_VERSION,
        config,
    }
}

/// The notification a received FLE message carries. Negative ids or rounds and epochs beyond
/// 32 bits are rejected (an observer's "no vote" is `Long.MIN_VALUE` in Apache).
pub fn from_wire_notification(w: &WireNotification) -> Result<Notification> {
    let leader =
        u64::try_from(w.leader).map_err(|_| malformed("NOTIFICATION", "negative leader"))?;
    let election_epoch = u64::try_from(w.election_epoch)
        .map_err(|_| malformed("NOTIFICATION", "negative election epoch"))?;
    let peer_epoch = u32::try_from(w.peer_epoch)
        .map_err(|_| malformed("NOTIFICATION", "peer epoch out of range"))?;
    Ok(Notification {
        state: match w.state {
            WireState::Looking => ServerState::Looking,
            WireState::Following => ServerState::Following,
            WireState::Leading => ServerState::Leading,
            WireState::Observing => ServerState::Observing,
        },
        vote: Vote {
            leader: ServerId(leader),
            zxid: w.zxid,
            peer_epoch: Epoch(peer_epoch),
        },
        election_epoch,
    })
}

fn malformed(packet: &'static str, reason: &'static str) -> Error {
    Error::MalformedPacket { packet, reason }
}
