//! Record payload decoding for every kind, and whole signed records.
#![no_main]
use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::{Record, SignedRecord};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&k, payload)) = data.split_first() {
        let kind = RecordKind::ALL[usize::from(k) % RecordKind::ALL.len()];
        if let Ok(record) = Record::from_payload(kind, payload) {
            // What decodes re-encodes and decodes to the same value.
            let again = Record::from_payload(kind, &record.to_payload()).expect("re-decodes");
            assert_eq!(again, record);
        }
    }
    let _ = SignedRecord::decode(data, MAX_ENVELOPE_BYTES);
});
