//! What a verifier receives as a body: sniffing and unbaking (PNG, SVG), OB 3.0
//! credentials through JSON-LD, RDFC-1.0 and the proof check, and OB 2.0
//! assertions. Never panics, whatever the bytes.
#![no_main]
use badgemesh_bake::{Extracted, Limits, ob2, unbake};
use badgemesh_openbadges::credential::{VerifyOptions, verify_credential};
use badgemesh_protocol::time::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = Timestamp(1_800_000_000);
    let text = match unbake(data, &Limits::default()) {
        Ok(Extracted::Json(t) | Extracted::Jws(t)) => t,
        Ok(Extracted::Baked { baked, .. }) => baked.text,
        _ => return,
    };
    let _ = verify_credential(text.as_bytes(), now, &VerifyOptions { recipient: Some("a@example.org"), ..Default::default() });
    let _ = ob2::verify(&text, &ob2::Ob2Options { recipient: Some("a@example.org"), ..ob2::Ob2Options::default() });
});
