//! SIGKILL at random points, many times in a row, while the node accepts
//! awards, revocations and gossip. After every restart: the store opens,
//! every acknowledged write is there, nothing unacknowledged beyond the one
//! write in flight is, and no status index was ever reused.
//!
//! `BADGEMESH_CRASH_ITERATIONS` sets the number of kills (default 100);
//! `BADGEMESH_CRASH_SEED` replays a run.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::harness::NodeProc;

struct Api {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl Api {
    fn of(n: &NodeProc) -> Api {
        let info: Value =
            serde_json::from_slice(&std::fs::read(n.dir.join("node.json")).expect("node.json"))
                .expect("json");
        let token = std::fs::read_to_string(n.dir.join("admin.token"))
            .expect("token")
            .trim()
            .to_owned();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        Api {
            base: info["api"].as_str().expect("api").to_owned(),
            token,
            agent,
        }
    }

    fn post(&self, path: &str, body: Value) -> Option<Value> {
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .send_json(&body)
            .ok()?;
        let ok = r.status().is_success();
        let v: Value = r.body_mut().read_json().ok()?;
        ok.then_some(v)
    }

    fn get(&self, path: &str) -> Option<Value> {
        let mut r = self.agent.get(format!("{}{path}", self.base)).call().ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.body_mut().read_json().ok()
    }
}

/// xorshift64*: a reproducible source of kill delays for this test.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[derive(Default)]
struct Acked {
    awards: Vec<(String, u64)>,
    revoked: Vec<u64>,
    revocation_seq: u64,
}

#[test]
fn random_sigkills_lose_no_acknowledged_write() {
    let iterations: usize = std::env::var("BADGEMESH_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let seed = std::env::var("BADGEMESH_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("crash loop: {iterations} iterations, BADGEMESH_CRASH_SEED={seed}");
    let mut rng = Rng(seed);

    // A peer issuer whose revocations reach the victim by gossip throughout.
    let peer = NodeProc::start(&[]);
    let peer_api = Api::of(&peer);
    let peer_did = peer_api
        .post("/v1/admin/issuer", json!({ "name": "Gossip Source" }))
        .expect("peer issuer")["did"]
        .as_str()
        .expect("did")
        .to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let gossip = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let _ = peer_api.post("/v1/admin/revocations", json!({ "indices": [i] }));
                i += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };

    let mut victim = NodeProc::start(&peer.addrs());
    let api = Api::of(&victim);
    api.post("/v1/admin/issuer", json!({ "name": "Crash Loop Academy" }))
        .expect("issuer");
    let badge = api
        .post(
            "/v1/admin/badges",
            json!({ "name": "Survivor", "description": "d", "criteria": "c" }),
        )
        .expect("badge")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let acked = Arc::new(Mutex::new(Acked::default()));
    // Writes committed but not acknowledged when the node died are kept; the
    // floor is what was acknowledged or seen after the last restart.
    let mut observed_seq = 0u64;
    for iteration in 0..iterations {
        let api = Arc::new(Api::of(&victim));
        let running = Arc::new(AtomicBool::new(true));
        let writer = {
            let (api, running, acked, badge) =
                (api.clone(), running.clone(), acked.clone(), badge.clone());
            std::thread::spawn(move || {
                let mut k = 0u64;
                while running.load(Ordering::Relaxed) {
                    k += 1;
                    if k.is_multiple_of(3) {
                        let last = acked.lock().expect("lock").awards.last().map(|a| a.1);
                        if let Some(index) = last
                            && let Some(v) =
                                api.post("/v1/admin/revocations", json!({ "indices": [index] }))
                        {
                            let mut a = acked.lock().expect("lock");
                            a.revoked.push(index);
                            a.revocation_seq = v["seq"].as_u64().expect("seq");
                        }
                    } else if let Some(v) = api.post(
                        "/v1/admin/awards",
                        json!({ "badge": badge, "recipient": format!("p{k}@example.org") }),
                    ) {
                        let entry = (
                            v["id"].as_str().expect("id").to_owned(),
                            v["status_index"].as_u64().expect("index"),
                        );
                        acked.lock().expect("lock").awards.push(entry);
                    }
                }
            })
        };
        std::thread::sleep(Duration::from_millis(rng.next() % 60));
        victim.kill();
        running.store(false, Ordering::Relaxed);
        let _ = writer.join();
        victim.restart();

        let api = Api::of(&victim);
        let a = acked.lock().expect("lock");
        let me = api.get("/v1/node").expect("node answers")["local_issuer"]
            .as_str()
            .expect("issuer survives")
            .to_owned();
        let view = api.get(&format!("/v1/issuers/{me}")).expect("issuer view");
        let seq = view["freshness"]["seq"].as_u64().expect("seq");
        let floor = a.revocation_seq.max(observed_seq);
        assert!(
            seq == floor || seq == floor + 1,
            "iteration {iteration}: stored revocation seq {seq}, acknowledged or seen before {floor}"
        );
        observed_seq = seq;
        for (id, _) in &a.awards {
            let s = api.get(&format!("/v1/assertions/{id}/status"));
            assert!(
                s.is_some(),
                "iteration {iteration}: acknowledged award {id} lost"
            );
        }
        for index in &a.revoked {
            let any = a
                .awards
                .iter()
                .find(|(_, i)| i == index)
                .expect("revoked award known");
            let s = api
                .get(&format!("/v1/assertions/{}/status", any.0))
                .expect("status");
            assert_eq!(
                s["revoked"], true,
                "iteration {iteration}: acknowledged revocation of {index} lost"
            );
        }
        let indices: HashSet<u64> = a.awards.iter().map(|(_, i)| *i).collect();
        assert_eq!(indices.len(), a.awards.len(), "a status index was reused");
        // The gossiped issuer's chain is whole on the victim (no gaps applied).
        if let Some(v) = api.get(&format!("/v1/issuers/{peer_did}")) {
            let n = v["freshness"]["seq"].as_u64().unwrap_or(0);
            assert_eq!(
                v["revoked"].as_u64().unwrap_or(0),
                n,
                "gossiped updates 1..{n} each revoke one index"
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = gossip.join();
    let a = acked.lock().expect("lock");
    println!(
        "crash loop done: {iterations} SIGKILLs, {} acknowledged awards and {} revocations all present",
        a.awards.len(),
        a.revoked.len()
    );
}
