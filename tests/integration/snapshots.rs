//! Readers never hold up writers: a verification that takes as long as it
//! likes (here: a state read held open on a gate, which is where
//! `POST /v1/verify` runs) delays no write, no other API read and not the
//! event loop answering a peer's sync request. Ordering is asserted with the
//! gate: everything below completes while the slow read is still inside.

use std::sync::mpsc;
use std::time::Duration;

use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::sync::{SyncRequest, SyncResponse};
use badgemesh_tests::{TestNode, get, wait_until};

use crate::support::{create_badge, init_issuer};

const LIMIT: Duration = Duration::from_secs(30);

/// Opens the gate when dropped, so a failed assertion never leaves the slow
/// reader (and the test runtime) stuck.
struct Gate(Option<mpsc::Sender<()>>);

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_verification_delays_no_write_read_or_sync_answer() {
    let a = TestNode::start(vec![]).await;
    let b = TestNode::start(a.addrs()).await;
    let did = init_issuer(&a, "Slow Readers").await;
    wait_until("B connected to A", LIMIT, || async {
        b.node()
            .core()
            .client
            .peers()
            .await
            .is_ok_and(|p| !p.is_empty())
    })
    .await;

    // The slow reader: enters the state, says so, and stays until released.
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let mut gate = Gate(Some(release_tx));
    let ledger = a.node().core().ledger.clone();
    let reader = std::thread::spawn(move || {
        ledger.read(|r| {
            let _ = entered_tx.send(());
            let _ = release_rx.recv();
            // What it saw is the state as of when it started.
            r.issuers().map(|s| s.badge_classes().len()).sum::<usize>()
        })
    });
    entered_rx.recv().expect("the slow reader entered");

    // A write: `badge create` is committed and acknowledged.
    let badge = create_badge(&a, "Patience").await;

    // A read through the API sees it.
    let issuers = get(a.url("/v1/issuers")).await;
    assert_eq!(issuers.status, 200, "{:?}", issuers.json);
    let line = issuers
        .json
        .as_array()
        .and_then(|l| l.iter().find(|i| i["did"] == did.as_str()))
        .cloned()
        .expect("the issuer is listed");
    assert_eq!(line["badge_classes"], 1);

    // The event loop answers a peer's sync request, with the new badge class.
    let response = b
        .node()
        .core()
        .client
        .request(a.node().peer_id(), SyncRequest::Summaries { after: None })
        .await
        .expect("A answers");
    let SyncResponse::Summaries { summaries, .. } = response else {
        panic!("unexpected answer {response:?}");
    };
    let badge_classes = summaries
        .iter()
        .find(|s| s.issuer.to_string() == did)
        .and_then(|s| s.kind(RecordKind::BadgeClass))
        .map(|k| k.count);
    assert_eq!(badge_classes, Some(1), "badge class {badge} in the summary");

    // Only now does the slow reader finish; it never saw the new badge class.
    gate.0.take().map(|tx| tx.send(()));
    let seen = tokio::task::spawn_blocking(move || reader.join().expect("reader"))
        .await
        .expect("join");
    assert_eq!(seen, 0, "a reader works on the snapshot it started with");
}
