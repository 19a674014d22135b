//! Tests of the quorum and election records.

use bytes::{Bytes, BytesMut};
use quickcheck::{quickcheck, TestResult};

use super::*;
use crate::error::Error;
use crate::jute::Jute;
use crate::{Id, Zxid};

#[test]
fn ping_without_data_or_authinfo_is_20_bytes_with_two_nulls() {
    let ping = QuorumPacket::new(QuorumPacketType::Ping, Zxid(0x1_0000_0002));
    assert_eq!(
        ping.to_vec(),
        [0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
    );
    let request = QuorumPacket::new(QuorumPacketType::Request, Zxid(-1))
        .with_data(vec![9])
        .with_authinfo(vec![Id::new("ip", "1")]);
    let bytes = request.to_vec();
    assert_eq!(&bytes[12..21], &[0, 0, 0, 1, 9, 0, 0, 0, 1]);
    assert_eq!(QuorumPacket::from_bytes(bytes).unwrap(), request);
}

#[test]
fn decoder_yields_each_packet_exactly_when_its_last_byte_arrives() {
    let packets = [
        QuorumPacket::new(QuorumPacketType::Proposal, Zxid(7)).with_data(vec![1; 300]),
        QuorumPacket::new(QuorumPacketType::Request, Zxid(-1))
            .with_data(vec![2; 3])
            .with_authinfo(vec![Id::anyone(), Id::new("digest", "u:p")]),
        QuorumPacket::new(QuorumPacketType::UpToDate, Zxid(8)),
    ];
    let mut stream = Vec::new();
    let mut ends = Vec::new();
    for p in &packets {
        p.write(&mut stream);
        ends.push(stream.len());
    }
    let decoder = QuorumPacketDecoder::default();
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for (i, byte) in stream.iter().enumerate() {
        buf.extend_from_slice(&[*byte]);
        if let Some(p) = decoder.decode(&mut buf).unwrap() {
            assert_eq!(
                i + 1,
                ends[got.len()],
                "packet {} came early or late",
                got.len()
            );
            got.push(p);
        }
    }
    assert_eq!(got, packets);
    assert!(buf.is_empty());
}

#[test]
fn decoder_rejects_oversized_data_before_it_arrives() {
    let decoder = QuorumPacketDecoder::new(100);
    let mut buf =
        BytesMut::from(&QuorumPacket::new(QuorumPacketType::Proposal, Zxid(1)).to_vec()[..12]);
    buf.extend_from_slice(&200i32.to_be_bytes());
    assert_eq!(
        decoder.decode(&mut buf),
        Err(Error::FrameLength { len: 220, max: 100 })
    );
    assert_eq!(buf.len(), 16, "an error leaves the buffer untouched");
}

#[test]
fn decoder_rejects_bad_type_negative_length_and_huge_authinfo_count() {
    let decoder = QuorumPacketDecoder::default();
    let mut bad_type = BytesMut::from(&[0, 0, 0, 20, 0, 0][..]);
    assert!(matches!(
        decoder.decode(&mut bad_type),
        Err(Error::InvalidValue {
            field: "QuorumPacket.type",
            value: 20,
            ..
        })
    ));
    let mut negative =
        BytesMut::from(&QuorumPacket::new(QuorumPacketType::Ack, Zxid(1)).to_vec()[..]);
    negative[12..16].copy_from_slice(&(-2i32).to_be_bytes());
    assert!(matches!(
        decoder.decode(&mut negative),
        Err(Error::InvalidLength {
            field: "QuorumPacket.data",
            len: -2,
            ..
        })
    ));
    let mut huge = BytesMut::from(&QuorumPacket::new(QuorumPacketType::Ack, Zxid(1)).to_vec()[..]);
    huge[16..20].copy_from_slice(&i32::MAX.to_be_bytes());
    assert!(matches!(
        decoder.decode(&mut huge),
        Err(Error::FrameLength { .. })
    ));
}

#[test]
fn learner_info_is_20_bytes_and_shorter_forms_are_tolerated() {
    let info = LearnerInfo {
        server_id: 3,
        protocol_version: LearnerInfo::PROTOCOL_VERSION,
        config_version: 0x1_0000_0000,
    };
    let bytes = info.to_vec();
    assert_eq!(
        bytes,
        [0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    );
    assert_eq!(LearnerInfo::from_packet_data(Some(&bytes)), Some(info));
    let id_only = LearnerInfo::from_packet_data(Some(&bytes[..8])).unwrap();
    assert_eq!(
        (
            id_only.server_id,
            id_only.protocol_version,
            id_only.config_version
        ),
        (3, LearnerInfo::DEFAULT_PROTOCOL_VERSION, 0)
    );
    let with_version = LearnerInfo::from_packet_data(Some(&bytes[..12])).unwrap();
    assert_eq!(with_version.protocol_version, LearnerInfo::PROTOCOL_VERSION);
    assert_eq!(LearnerInfo::from_packet_data(Some(&bytes[..7])), None);
    assert_eq!(LearnerInfo::from_packet_data(None), None);
}

#[test]
fn initial_message_v2_layout_and_old_sid_only_form() {
    let m = InitialMessage {
        protocol_version: Some(InitialMessage::PROTOCOL_VERSION_V2),
        sid: 2,
        election_addr: "10.0.0.2:3888|10.0.1.2:3888".into(),
    };
    let bytes = m.to_vec();
    assert_eq!(&bytes[..8], &(-65535i64).to_be_bytes());
    assert_eq!(&bytes[16..20], &27i32.to_be_bytes());
    assert_eq!(
        InitialMessage::decode(&bytes).unwrap(),
        Some((m.clone(), 47))
    );
    assert_eq!(
        m.addresses().collect::<Vec<_>>(),
        ["10.0.0.2:3888", "10.0.1.2:3888"]
    );
    for cut in 0..bytes.len() {
        assert_eq!(
            InitialMessage::decode(&bytes[..cut]).unwrap(),
            None,
            "cut {cut}"
        );
    }
    let old = InitialMessage::decode(&5i64.to_be_bytes())
        .unwrap()
        .unwrap();
    assert_eq!((old.0.protocol_version, old.0.sid, old.1), (None, 5, 8));
}

#[test]
fn initial_message_rejects_unknown_version_and_bad_address_lengths() {
    assert!(matches!(
        InitialMessage::decode(&(-7i64).to_be_bytes()),
        Err(Error::InvalidValue { value: -7, .. })
    ));
    for len in [0i32, -1, 2049] {
        let mut bytes = (-65536i64).to_be_bytes().to_vec();
        bytes.extend(1i64.to_be_bytes());
        bytes.extend(len.to_be_bytes());
        assert!(
            matches!(
                InitialMessage::decode(&bytes),
                Err(Error::InvalidLength { .. })
            ),
            "len {len}"
        );
    }
}

fn vote() -> Notification {
    Notification {
        state: ServerState::Looking,
        leader: 3,
        zxid: Zxid(0x2_0000_0005),
        election_epoch: 9,
        peer_epoch: 2,
        version: Notification::CURRENT_VERSION,
        config: Bytes::from_static(b"server.1=a:2888:3888:participant\nversion=100000000"),
    }
}

#[test]
fn notification_is_44_plus_config_bytes() {
    let n = vote();
    let bytes = n.to_vec();
    assert_eq!(bytes.len(), 44 + n.config.len());
    assert_eq!(&bytes[..4], &[0, 0, 0, 0]);
    assert_eq!(&bytes[36..44], &[0, 0, 0, 2, 0, 0, 0, n.config.len() as u8]);
    assert_eq!(Notification::decode(bytes).unwrap(), n);
}

#[test]
fn notification_old_28_and_40_byte_forms() {
    let bytes = vote().to_vec();
    let old = Notification::decode(bytes[..28].to_vec()).unwrap();
    assert_eq!(
        old.peer_epoch, 2,
        "the zxid's epoch stands in for the peer epoch"
    );
    assert_eq!((old.version, old.config.len()), (0, 0));
    let mut forty = bytes[..40].to_vec();
    forty[36..40].copy_from_slice(&7i32.to_be_bytes()); // ignored, as Apache does
    let mid = Notification::decode(forty).unwrap();
    assert_eq!((mid.peer_epoch, mid.version, mid.config.len()), (2, 0, 0));
    // Version 1 has no config even when bytes follow.
    let mut v1 = bytes.clone();
    v1[36..40].copy_from_slice(&1i32.to_be_bytes());
    assert_eq!(Notification::decode(v1).unwrap().config.len(), 0);
}

#[test]
fn notification_rejects_short_bad_state_and_overlong_config() {
    let bytes = vote().to_vec();
    assert!(matches!(
        Notification::decode(bytes[..27].to_vec()),
        Err(Error::Truncated { needed: 28, .. })
    ));
    assert!(Notification::decode(bytes[..43].to_vec()).is_err());
    let mut bad_state = bytes.clone();
    bad_state[3] = 4;
    assert!(matches!(
        Notification::decode(bad_state),
        Err(Error::InvalidValue {
            field: "Notification.state",
            value: 4,
            ..
        })
    ));
    let mut long_config = bytes;
    long_config[40..44].copy_from_slice(&1000i32.to_be_bytes());
    assert!(matches!(
        Notification::decode(long_config),
        Err(Error::InvalidLength {
            field: "Notification.config",
            ..
        })
    ));
}

fn round_trips<T: Jute + PartialEq>(value: T) -> bool {
    T::from_bytes(value.to_vec()).as_ref() == Ok(&value)
}

quickcheck! {
    fn quorum_packet_round_trips(p: QuorumPacket) -> bool { round_trips(p) }
    fn learner_info_round_trips(v: LearnerInfo) -> bool {
        round_trips(v) && LearnerInfo::from_packet_data(Some(&v.to_vec())) == Some(v)
    }
    fn quorum_auth_packet_round_trips(v: QuorumAuthPacket) -> bool { round_trips(v) }

    fn initial_message_round_trips(m: InitialMessage) -> bool {
        let bytes = m.to_vec();
        InitialMessage::decode(&bytes) == Ok(Some((m, bytes.len())))
    }

    fn notification_round_trips(n: Notification) -> bool {
        Notification::decode(n.to_vec()) == Ok(n)
    }

    fn decoder_splits_a_stream_of_packets_at_any_chunking(
        packets: Vec<QuorumPacket>,
        chunk: usize
    ) -> TestResult {
        let mut stream = Vec::new();
        for p in &packets {
            p.write(&mut stream);
        }
        let decoder = QuorumPacketDecoder::default();
        let (mut buf, mut got) = (BytesMut::new(), Vec::new());
        for piece in stream.chunks(chunk % 64 + 1) {
            buf.extend_from_slice(piece);
            while let Some(p) = decoder.decode(&mut buf).unwrap() {
                got.push(p);
            }
        }
        TestResult::from_bool(got == packets && buf.is_empty())
    }

    fn decoder_agrees_with_the_record_decoder_on_random_bytes(bytes: Vec<u8>) -> bool {
        let mut buf = BytesMut::from(&bytes[..]);
        match QuorumPacketDecoder::default().decode(&mut buf) {
            Ok(Some(p)) => {
                let used = bytes.len() - buf.len();
                QuorumPacket::from_bytes(bytes[..used].to_vec()) == Ok(p)
            }
            Ok(None) => buf.len() == bytes.len(),
            Err(_) => buf.len() == bytes.len(),
        }
    }

    fn election_decoders_never_panic(bytes: Vec<u8>) -> bool {
        let _ = Notification::decode(bytes.clone());
        if let Ok(Some((m, used))) = InitialMessage::decode(&bytes) {
            return used <= bytes.len() && InitialMessage::decode(&m.to_vec()) == Ok(Some((m, used)));
        }
        true
    }
}
