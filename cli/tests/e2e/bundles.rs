//! Bundles between nodes that never connect; damaged and forged bundles.

use badgemesh_protocol::bundle;
use badgemesh_protocol::time::Timestamp;

use crate::harness::NodeProc;

fn issuer_with_award() -> (NodeProc, String) {
    let a = NodeProc::start(&[]);
    a.cmd(&["issuer", "init", "--name", "Offline School"]).ok();
    let badge = a.create_badge("Carried");
    let file = a.dir.join("ada.badge");
    a.cmd(&[
        "award",
        &badge,
        "--to",
        "ada@example.org",
        "--out",
        file.to_str().expect("path"),
    ])
    .ok();
    let id = a.cmd(&["badge", "list", "--json"]).ok().json()[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(id, badge);
    (a, file.to_str().expect("path").to_owned())
}

#[test]
fn a_bundle_carries_an_issuer_to_a_node_that_never_connected() {
    let (a, badge_file) = issuer_with_award();
    a.cmd(&["revoke", &badge_file]).ok();
    let out = a.dir.join("school.bundle");
    let out = out.to_str().expect("path");
    assert!(
        a.cmd(&["export", "--out", out])
            .ok()
            .stdout
            .contains("exported")
    );

    let c = NodeProc::start(&[]);
    assert_eq!(
        c.cmd(&["verify", &badge_file, "--json"]).json()["outcome"],
        "indeterminate"
    );
    let report = c.cmd(&["import", out, "--json"]).ok().json();
    assert!(report["new"].as_u64().is_some_and(|n| n >= 5), "{report}");
    assert_eq!(report["rejected"].as_array().map(Vec::len), Some(0));
    let v = c.cmd(&["verify", &badge_file, "--json"]);
    assert_eq!((v.code, v.json()["outcome"].as_str()), (1, Some("revoked")));
    // Importing again changes nothing.
    let again = c.cmd(&["import", out, "--json"]).ok().json();
    assert_eq!(again["new"], 0);
}

#[test]
fn damaged_and_forged_bundles_apply_only_what_is_whole_and_genuine() {
    let (a, badge_file) = issuer_with_award();
    let out = a.dir.join("school.bundle");
    a.cmd(&["export", "--out", out.to_str().expect("path")])
        .ok();
    let bytes = std::fs::read(&out).expect("bundle");
    let contents = bundle::read(&bytes).expect("reads");
    assert!(contents.error.is_none());

    // One forged record (a flipped signature bit) in an otherwise whole bundle.
    let mut records: Vec<Vec<u8>> = contents.records.iter().map(|r| r.to_vec()).collect();
    let forged_at = records.len() - 1;
    let last = records[forged_at].len() - 1;
    records[forged_at][last] ^= 1;
    let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    let forged = a.dir.join("forged.bundle");
    std::fs::write(&forged, bundle::write(&refs, Timestamp(0))).expect("write");
    let c = NodeProc::start(&[]);
    let r = c.cmd(&["import", forged.to_str().expect("path")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains(&format!("rejected record {forged_at}")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("{} new", records.len() - 1)),
        "{}",
        r.stdout
    );

    // A truncated bundle: the whole records before the cut are applied, and the
    // report says where it broke.
    let cut = a.dir.join("cut.bundle");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).expect("write");
    let d = NodeProc::start(&[]);
    let r = d.cmd(&["import", cut.to_str().expect("path")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("damaged") && r.stdout.contains("truncated at record"),
        "{}",
        r.stdout
    );
    let v = d.cmd(&["verify", &badge_file, "--json"]);
    assert!(v.code == 0 || v.code == 3, "{v:?}");
}
