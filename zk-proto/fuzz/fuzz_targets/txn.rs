//! One transaction as read from a log record or a PROPOSAL: `TxnLogEntry::decode`. Whatever
//! decodes must re-encode to bytes that decode to the same entry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zk_proto::txn::TxnLogEntry;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = TxnLogEntry::decode(data.to_vec()) {
        let bytes = entry.to_vec();
        assert_eq!(
            TxnLogEntry::decode(bytes).expect("re-encoded entry decodes"),
            entry
        );
    }
});
