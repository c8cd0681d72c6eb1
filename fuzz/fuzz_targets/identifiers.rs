//! Text parsers of outside input: did:key, record ids, timestamps.
#![no_main]
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::time::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(id) = s.parse::<IssuerId>() {
            assert_eq!(id.to_did().parse::<IssuerId>().ok(), Some(id));
        }
        if let Ok(id) = s.parse::<RecordId>() {
            assert_eq!(id.to_string().parse::<RecordId>().ok(), Some(id));
        }
        let _ = s.parse::<Timestamp>().map(|t| t.to_string());
    }
    let _ = RecordId::from_multihash_bytes(data);
});
