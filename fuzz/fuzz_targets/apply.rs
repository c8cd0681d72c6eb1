//! The state machine under a stream of arbitrary and mutated records: never
//! panics, and sequence numbers never go backwards.
#![no_main]
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

const T0: Timestamp = Timestamp(1_800_000_000);

static VALID: LazyLock<Vec<SignedRecord>> = LazyLock::new(|| {
    let mut issuer = Issuer::new(1, T0);
    let mut valid = issuer.genesis();
    let mut fork = issuer.clone();
    valid.push(issuer.revoke(&[1]));
    valid.push(fork.revoke(&[9]));
    valid.push(issuer.revoke(&[2]));
    issuer.now = T0.plus(10);
    valid.push(issuer.rotate());
    valid.push(issuer.head());
    valid
});

fuzz_target!(|data: &[u8]| {
    let valid = &*VALID;
    let mut reg = Registry::new();
    // Each chunk: one selector byte, then either a valid record to apply (even)
    // or a mutated copy of one (odd) at the given byte.
    for chunk in data.chunks(3) {
        let [sel, pos, val] = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let base = &valid[usize::from(sel >> 1) % valid.len()];
        let bytes = if sel & 1 == 0 {
            base.bytes().to_vec()
        } else {
            let mut b = base.bytes().to_vec();
            let i = usize::from(pos) % b.len();
            b[i] ^= val | 1;
            b
        };
        if let Ok(rec) = SignedRecord::decode(&bytes, MAX_ENVELOPE_BYTES) {
            let before = reg.summaries();
            reg.apply(rec, T0);
            for (b, a) in before.iter().zip(reg.summaries()) {
                assert!(a.revocation_seq() >= b.revocation_seq() && a.key_seq() >= b.key_seq());
            }
        }
    }
});
