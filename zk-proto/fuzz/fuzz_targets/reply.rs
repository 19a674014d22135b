//! A server reply as the client sees it: the first byte picks the op code of the request it
//! answers, the rest is the frame payload. Whatever decodes must re-encode and decode the same.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use zk_proto::frame::FrameDecoder;
use zk_proto::{OpCode, Response, WatcherEvent};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let op = OpCode::ALL[usize::from(selector) % OpCode::ALL.len()];
    let frame = Bytes::copy_from_slice(payload);
    if let Ok((header, body)) = Response::decode_frame(op, frame.clone()) {
        let mut out = BytesMut::new();
        body.write_frame(&header, &mut out);
        let again = FrameDecoder::default().decode(&mut out).unwrap().unwrap();
        let (header2, body2) = Response::decode_frame(op, again).expect("re-encoded reply decodes");
        assert_eq!((header2, body2), (header, body));
    }
    let _ = WatcherEvent::decode_frame(frame);
});
