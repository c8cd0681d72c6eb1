//! Revocation snapshot decoding (roaring bitmaps from outside).
#![no_main]
use badgemesh_protocol::state::RevocationSnapshot;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = RevocationSnapshot::from_bytes(data, 1 << 20);
});
