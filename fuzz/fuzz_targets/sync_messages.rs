//! Sync request and response decoding (what peers send over request-response),
//! and answering arbitrary requests from a populated registry.
#![no_main]
use std::sync::LazyLock;

use badgemesh_protocol::state::Registry;
use badgemesh_protocol::sync::{SyncRequest, SyncResponse, respond};
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use libfuzzer_sys::fuzz_target;

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut issuer = Issuer::new(1, Timestamp(1_800_000_000));
    let mut reg = Registry::new();
    for r in issuer.genesis() {
        reg.apply(r, Timestamp(1_800_000_000));
    }
    for n in 0..5 {
        reg.apply(issuer.revoke(&[n]), Timestamp(1_800_000_000));
    }
    reg
});

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = SyncRequest::from_bytes(data) {
        let resp = respond(&REGISTRY, &req);
        // Whatever we answer decodes again.
        assert!(SyncResponse::from_bytes(&resp.to_bytes()).is_ok());
    }
    let _ = SyncResponse::from_bytes(data);
});
