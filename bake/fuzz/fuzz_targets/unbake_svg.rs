//! Arbitrary bytes through the SVG reader; arbitrary text and payloads
//! through `bake_svg`, whose output must read back to the payload.
#![no_main]

use badgemesh_bake::{Carrier, Limits, bake_svg, unbake_svg};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = unbake_svg(data, &limits);
    if let Ok(text) = std::str::from_utf8(data) {
        let payload = r#"{"id":"urn:x","name":"]]>"}"#;
        for kind in [Carrier::Ob3, Carrier::Ob2] {
            if let Ok(baked) = bake_svg(text, payload, kind) {
                let found = unbake_svg(baked.as_bytes(), &limits).expect("a baked SVG unbakes");
                assert_eq!(found.text, payload);
            }
        }
    }
});
