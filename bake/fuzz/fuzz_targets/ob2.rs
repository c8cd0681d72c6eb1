//! Arbitrary text through the OB 2.0 parser, JWS decoder and verifier.
#![no_main]

use badgemesh_bake::ob2::{self, Ob2Options, RevocationList, RsaPublicKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = ob2::parse(&text);
    let _ = ob2::decode_jws(&text);
    let _ = RsaPublicKey::from_pem(&text);
    let list = RevocationList::parse(data).ok();
    let options = Ob2Options {
        now: Some(jiff_now()),
        recipient: Some("alice@example.org"),
        issuer_key_pem: Some(&text),
        revocation_list: list.as_ref(),
    };
    let _ = ob2::verify(&text, &options);
});

/// A fixed time: fuzzing must be deterministic.
fn jiff_now() -> badgemesh_bake::ob2::Timestamp {
    badgemesh_bake::ob2::Timestamp::from_second(1_800_000_000).unwrap_or_default()
}
