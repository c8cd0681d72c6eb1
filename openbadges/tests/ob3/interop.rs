//! Cross-check with Digital Bazaar's implementation (`interop/`, Node.js):
//! credentials exported here verify there, tampered ones do not, and a
//! credential signed there verifies here. Skipped (with the reason printed)
//! when `node` or `interop/node_modules` is missing; see `interop/README.md`.

use std::path::{Path, PathBuf};
use std::process::Command;

use badgemesh_openbadges::credential::{Outcome, VerifyOptions, verify_credential};
use serde_json::{Value, json};

use crate::fixtures::{T0, bytes, email_recipient, export, native};

fn interop_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop");
    if !dir.join("node_modules").is_dir() {
        eprintln!(
            "skipped: {} missing (run `npm ci` there, see interop/README.md)",
            dir.join("node_modules").display()
        );
        return None;
    }
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => Some(dir),
        _ => {
            eprintln!("skipped: `node` is not on PATH");
            None
        }
    }
}

fn node(dir: &Path, script: &str, input: &[u8]) -> (bool, String) {
    let tmp = std::env::temp_dir().join(format!(
        "badgemesh-ob3-interop-{}-{script}-{}.json",
        std::process::id(),
        input.len()
    ));
    std::fs::write(&tmp, input).expect("write temp file");
    let out = Command::new("node")
        .arg(dir.join(script))
        .arg(&tmp)
        .output()
        .expect("run node");
    let _ = std::fs::remove_file(&tmp);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn exported_credentials_verify_with_digital_bazaar() {
    let Some(dir) = interop_dir() else { return };
    let n = native(11, email_recipient());
    let doc = export(&n);
    let (ok, out) = node(&dir, "verify.js", &bytes(&doc));
    assert!(ok, "reference rejected our credential: {out}");
    assert!(out.contains("verified"), "{out}");

    let mut tampered = Value::Object(doc.clone());
    tampered["credentialSubject"]["achievement"]["name"] = "Genius".into();
    let (ok, out) = node(
        &dir,
        "verify.js",
        &serde_json::to_vec(&tampered).expect("json"),
    );
    assert!(!ok, "reference accepted a tampered credential: {out}");
}

#[test]
fn credentials_signed_by_digital_bazaar_verify_here() {
    let Some(dir) = interop_dir() else { return };
    let n = native(12, email_recipient());
    let mut doc = export(&n);
    doc.shift_remove("proof");
    let input =
        json!({ "seedHex": hex::encode(n.key.to_seed()), "credential": Value::Object(doc) });
    let (ok, out) = node(&dir, "sign.js", &serde_json::to_vec(&input).expect("json"));
    assert!(ok, "sign.js failed: {out}");
    let v = verify_credential(out.as_bytes(), T0.plus(60), &VerifyOptions::default())
        .expect("checks run");
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    // Same key, same proof options, deterministic Ed25519: the same proof.
    let ours = export(&n);
    let theirs: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(theirs["proof"], ours["proof"]);
}

#[test]
fn status_list_credentials_verify_with_digital_bazaar() {
    use badgemesh_openbadges::status_list::{StatusListInput, build_status_list_credential};
    let Some(dir) = interop_dir() else { return };
    let doc = build_status_list_credential(
        &StatusListInput {
            url: "https://node.example/ob3/status/x/revocation",
            valid_from: T0,
            valid_until: None,
        },
        [1u32, 2, 3],
        &crate::fixtures::key(13),
    )
    .expect("build");
    let (ok, out) = node(&dir, "verify.js", &bytes(&doc));
    assert!(ok, "reference rejected our status list: {out}");
}
