//! The handshake frames: ConnectRequest (server side) and ConnectResponse (client side).
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use zk_proto::frame::FrameDecoder;
use zk_proto::{ConnectRequest, ConnectResponse};

fuzz_target!(|data: &[u8]| {
    let frame = Bytes::copy_from_slice(data);
    let frames = FrameDecoder::default();
    if let Ok(request) = ConnectRequest::decode(frame.clone()) {
        let mut out = BytesMut::new();
        request.write_frame(&mut out);
        let again = frames.decode(&mut out).unwrap().unwrap();
        assert_eq!(
            ConnectRequest::decode(again).expect("re-encoded decodes"),
            request
        );
    }
    if let Ok(response) = ConnectResponse::decode(frame) {
        let mut out = BytesMut::new();
        response.write_frame(&mut out);
        let again = frames.decode(&mut out).unwrap().unwrap();
        assert_eq!(
            ConnectResponse::decode(again).expect("re-encoded decodes"),
            response
        );
    }
});
