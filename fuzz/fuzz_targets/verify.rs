//! Verification of arbitrary bytes against a populated registry.
#![no_main]
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use badgemesh_protocol::verify::{VerifyOptions, verify};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

const T0: Timestamp = Timestamp(1_800_000_000);

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut issuer = Issuer::new(1, T0);
    let mut reg = Registry::new();
    for r in issuer.genesis() {
        reg.apply(r, T0);
    }
    let (badge, _) = issuer.badge_class("Fuzz");
    reg.apply(badge, T0);
    reg
});

fuzz_target!(|data: &[u8]| {
    let reg = &*REGISTRY;
    let opts = VerifyOptions {
        recipient: Some("ada@example.org"),
        max_age_secs: Some(60),
    };
    let _ = verify(data, reg, T0, &opts);
});
