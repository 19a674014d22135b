//! Every message survives the trip through zk-proto's wire records, and bad packets are
//! errors, never panics.

use bytes::Bytes;
use zk_proto::quorum::{QuorumPacket, QuorumPacketType};
use zk_proto::{Epoch, Jute, Zxid};
use zk_zab::wire::{
    from_quorum_packet, from_wire_notification, learner_id, to_quorum_packet, to_wire_notification,
};
use zk_zab::{Error, Message, Notification, Proposal, ServerId, ServerState, Vote};

fn z(e: u32, c: u32) -> Zxid {
    Zxid::new(Epoch(e), c)
}

#[test]
fn every_quorum_message_round_trips_through_its_packet_bytes() {
    let p = Proposal {
        zxid: z(3, 4),
        txn: Bytes::from_static(b"txn"),
    };
    let messages = [
        Message::FollowerInfo {
            accepted_epoch: Epoch(7),
        },
        Message::ObserverInfo {
            accepted_epoch: Epoch(0),
        },
        Message::LeaderInfo { epoch: Epoch(8) },
        Message::AckEpoch {
            current_epoch: Some(Epoch(6)),
            last_zxid: z(6, 2),
        },
        Message::AckEpoch {
            current_epoch: None,
            last_zxid: Zxid::ZERO,
        },
        Message::Diff {
            last_committed: z(6, 1),
        },
        Message::Trunc { zxid: z(5, 9) },
        Message::Snap {
            zxid: z(6, 1),
            snapshot: Bytes::new(),
        },
        Message::Proposal(p.clone()),
        Message::Inform(p),
        Message::Commit { zxid: z(3, 4) },
        Message::NewLeader { zxid: z(8, 0) },
        Message::Ack { zxid: z(8, 0) },
        Message::UpToDate,
        Message::Ping { zxid: z(8, 3) },
        Message::Request {
            data: Bytes::from_static(b"create"),
        },
        Message::Sync { zxid: z(8, 5) },
    ];
    for msg in messages {
        let packet = to_quorum_packet(&msg, ServerId(5)).unwrap();
        let bytes = packet.to_vec();
        let decoded = QuorumPacket::from_bytes(bytes).unwrap();
        assert_eq!(from_quorum_packet(&decoded).unwrap(), msg);
    }
}

#[test]
fn followerinfo_names_its_sender() {
    let msg = Message::FollowerInfo {
        accepted_epoch: Epoch(1),
    };
    let packet = to_quorum_packet(&msg, ServerId(42)).unwrap();
    assert_eq!(packet.packet_type, QuorumPacketType::FollowerInfo);
    assert_eq!(learner_id(&packet), Some(ServerId(42)));
}

#[test]
fn a_notification_travels_on_the_election_port_not_the_quorum_port() {
    let n = Notification {
        state: ServerState::Following,
        vote: Vote {
            leader: ServerId(3),
            zxid: z(2, 9),
            peer_epoch: Epoch(2),
        },
        election_epoch: 11,
    };
    assert_eq!(
        to_quorum_packet(&Message::Notification(n), ServerId(1)),
        None
    );
    let wire = to_wire_notification(&n, Bytes::from_static(b"version=0"));
    let decoded = zk_proto::quorum::Notification::decode(wire.to_vec()).unwrap();
    assert_eq!(from_wire_notification(&decoded).unwrap(), n);
}

#[test]
fn bad_packets_are_errors() {
    let bad_ackepoch =
        QuorumPacket::new(QuorumPacketType::AckEpoch, Zxid::ZERO).with_data(vec![1, 2]);
    assert!(matches!(
        from_quorum_packet(&bad_ackepoch),
        Err(Error::MalformedPacket { .. })
    ));
    let revalidate = QuorumPacket::new(QuorumPacketType::Revalidate, Zxid::ZERO);
    assert_eq!(
        from_quorum_packet(&revalidate),
        Err(Error::UnsupportedPacket(QuorumPacketType::Revalidate))
    );
    let mut n = to_wire_notification(
        &Notification {
            state: ServerState::Looking,
            vote: Vote {
                leader: ServerId(1),
                zxid: Zxid::ZERO,
                peer_epoch: Epoch(0),
            },
            election_epoch: 1,
        },
        Bytes::new(),
    );
    n.leader = i64::MIN;
    assert!(from_wire_notification(&n).is_err());
}
