//! Arbitrary bytes through the PNG reader, the sniffer and `unbake`: errors
//! are fine, panics and unbounded allocation are not. A found badge must
//! bake back into a fresh copy of the same image.
#![no_main]

use badgemesh_bake::{Limits, sniff, unbake, unbake_png};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = sniff(data);
    let _ = unbake(data, &limits);
    if let Ok(baked) = unbake_png(data, &limits) {
        assert!(baked.text.len() <= limits.max_text);
    }
});
