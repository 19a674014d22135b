//! A client's byte stream as the server sees it: frames split by `FrameDecoder`, each decoded by
//! `Request::decode`. Whatever decodes must re-encode to a frame that decodes to the same
//! request.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use zk_proto::frame::FrameDecoder;
use zk_proto::Request;

fuzz_target!(|data: &[u8]| {
    // A small limit so that the length check is exercised, not only the 1 MiB default.
    let frames = FrameDecoder::new(64 * 1024);
    let mut buf = BytesMut::from(data);
    while let Ok(Some(frame)) = frames.decode(&mut buf) {
        if let Ok((header, request)) = Request::decode(frame) {
            let mut out = BytesMut::new();
            request.write_frame(header.xid, &mut out);
            let again = frames
                .decode(&mut out)
                .expect("own frame")
                .expect("whole frame");
            let (header2, request2) = Request::decode(again).expect("re-encoded request decodes");
            assert_eq!(header2, header);
            assert_eq!(request2, request);
        }
    }
});
