//! Server-to-server input: the quorum-port packet stream, the election handshake and FLE
//! notifications. Whatever decodes must re-encode and decode the same.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use zk_proto::quorum::{InitialMessage, LearnerInfo, Notification, QuorumPacketDecoder};
use zk_proto::Jute;

fuzz_target!(|data: &[u8]| {
    let decoder = QuorumPacketDecoder::new(64 * 1024);
    let mut buf = BytesMut::from(data);
    while let Ok(Some(packet)) = decoder.decode(&mut buf) {
        let mut out = BytesMut::new();
        packet.write(&mut out);
        assert_eq!(decoder.decode(&mut out).unwrap().unwrap(), packet);
        assert!(out.is_empty());
        let _ = LearnerInfo::from_packet_data(packet.data.as_deref());
    }
    if let Ok(Some((message, used))) = InitialMessage::decode(data) {
        assert!(used <= data.len());
        assert_eq!(
            InitialMessage::decode(&message.to_vec()),
            Ok(Some((message, used)))
        );
    }
    if let Ok(n) = Notification::decode(Bytes::copy_from_slice(data)) {
        assert_eq!(
            Notification::decode(n.to_vec()).expect("re-encoded decodes"),
            n
        );
    }
});
