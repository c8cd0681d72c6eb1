//! COSE_Sign1 envelope decoding: never panics, and whatever decodes and
//! verifies re-derives the same id.
#![no_main]
use badgemesh_protocol::envelope::Envelope;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = Envelope::decode(data, MAX_ENVELOPE_BYTES) {
        let _ = env.verify_self();
        assert_eq!(env.id(), badgemesh_protocol::id::RecordId::of(env.payload));
    }
});
