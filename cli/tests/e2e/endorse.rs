//! `badgemesh endorse` end to end: an employer's node endorses a school's
//! badge class and one award; a third node's `verify` lists both (the
//! award's after importing the bundle the earner carries), and a
//! withdrawal shows there as revoked, also for the exported
//! EndorsementCredential.

use std::time::Duration;

use serde_json::Value;

use crate::harness::{NodeProc, poll};

const LIMIT: Duration = Duration::from_secs(30);

fn entry<'a>(v: &'a Value, id: &str) -> Option<&'a Value> {
    v["endorsements"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["id"] == id)
}

#[test]
fn endorse_verify_elsewhere_and_withdraw() {
    let school = NodeProc::start(&[]);
    let employer = NodeProc::start(&school.addrs());
    let verifier = NodeProc::start(&school.addrs());
    school
        .cmd(&["issuer", "init", "--name", "Harbour Welding School"])
        .ok();
    employer
        .cmd(&[
            "issuer",
            "init",
            "--name",
            "Dockside Shipyards",
            "--public-url",
            "https://dockside.example",
        ])
        .ok();
    let badge = school.create_badge("Underwater welding");
    let file = school.dir.join("ada.badge");
    let file = file.to_str().expect("utf-8 path");
    school
        .cmd(&["award", &badge, "--to", "ada@example.org", "--out", file])
        .ok();
    poll("the badge class at the employer", LIMIT, || {
        (employer.cmd(&["verify", file]).code == 0).then_some(())
    });
    let of_class = employer
        .cmd(&[
            "endorse",
            "badge",
            &badge,
            "--comment",
            "We hire on this badge",
        ])
        .ok()
        .line();
    // The earner showed the employer the award; it is endorsed into a bundle.
    let bundle = employer.dir.join("ada.endorsement.bundle");
    let bundle = bundle.to_str().expect("utf-8 path");
    let of_award = employer
        .cmd(&[
            "endorse",
            "assertion",
            file,
            "--comment",
            "Excellent work",
            "--out",
            bundle,
        ])
        .ok()
        .line();
    assert!(!of_award.is_empty());

    let v = poll("the endorsement at the verifier", LIMIT, || {
        let r = verifier.cmd(&["verify", file, "--json"]);
        let v = r.json();
        (r.code == 0 && entry(&v, &of_class).is_some()).then_some(v)
    });
    let e = entry(&v, &of_class).expect("listed");
    assert_eq!(e["outcome"], "valid", "{e}");
    assert_eq!(e["endorser_name"], "Dockside Shipyards");
    assert!(entry(&v, &of_award).is_none(), "never gossiped");
    verifier.cmd(&["import", bundle]).ok();
    let v = verifier.cmd(&["verify", file, "--json"]).json();
    assert_eq!(
        entry(&v, &of_award).map(|e| e["outcome"].clone()),
        Some("valid".into()),
        "{v}"
    );
    let human = verifier.cmd(&["verify", file]);
    assert!(
        human.stdout.contains("endorsement")
            && human.stdout.contains("We hire on this badge")
            && human.stdout.contains("[unlisted]"),
        "{}",
        human.stdout
    );

    let exported = employer.dir.join("endorsement.json");
    let exported = exported.to_str().expect("utf-8 path");
    employer
        .cmd(&["endorse", "export", &of_class, "--out", exported])
        .ok();
    assert_eq!(verifier.cmd(&["verify", exported]).code, 0);

    assert_eq!(
        employer
            .cmd(&[
                "endorse",
                "revoke",
                &of_class,
                "--reason",
                "programme closed"
            ])
            .ok()
            .line(),
        "1"
    );
    let human = poll("the withdrawal at the verifier", LIMIT, || {
        let r = verifier.cmd(&["verify", file]);
        r.stdout.contains("REV").then_some(r)
    });
    assert_eq!(human.code, 0, "the badge itself stays valid");
    assert!(
        human.stdout.contains("revoked by the endorser"),
        "{}",
        human.stdout
    );
    let r = verifier.cmd(&["verify", exported, "--json"]);
    assert_eq!(r.json()["outcome"], "revoked", "{}", r.stdout);
}
