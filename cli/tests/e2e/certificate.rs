//! Paper certificates through the real binary and a real node: a native
//! badge and an OB 3.0 credential (JSON and VC-JWT) printed as PNG and PDF
//! on A4 and Letter; `verify` reads each printed code back offline; the
//! paper follows a later revocation; a tampered code, a code that holds a
//! link, and a certificate of a revoked badge are refused with their reason.

use badgemesh_paper::{Certificate, Paper};
use serde_json::Value;

use crate::harness::{NodeProc, one_line_error};

const SEGNO_OB3: &[u8] = include_bytes!("../../../bake/tests/fixtures/qr/segno-1edtech-ob3.png");
const SEGNO_URL: &[u8] = include_bytes!("../../../bake/tests/fixtures/qr/segno-url.png");

#[test]
fn printed_badges_verify_from_their_code_and_follow_revocation() {
    let n = NodeProc::start(&[]);
    n.cmd(&["issuer", "init", "--name", "Paper Academy"]).ok();
    let badge = n.create_badge("Centrifuge Safety");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("path").to_owned();
    for (file, format) in [
        ("ada.badge", "native"),
        ("ada.json", "ob3"),
        ("ada.jwt", "ob3-jwt"),
    ] {
        n.cmd(&[
            "award",
            &badge,
            "--to",
            "ada@example.org",
            "--format",
            format,
            "--out",
            &path(file),
        ])
        .ok();
    }
    for (file, out, paper) in [
        ("ada.badge", "native.png", "a4"),
        ("ada.json", "json.png", "letter"),
        ("ada.jwt", "jwt.png", "a4"),
        ("ada.badge", "native.pdf", "letter"),
    ] {
        let made = n
            .cmd(&[
                "certificate",
                &path(file),
                "--name",
                "Ada Lovelace",
                "--paper",
                paper,
                "--out",
                &path(out),
            ])
            .ok();
        assert!(made.stdout.contains("Centrifuge Safety"), "{made:?}");
        let bytes = std::fs::read(path(out)).expect("written");
        if out.ends_with(".pdf") {
            assert!(bytes.starts_with(b"%PDF-"));
            assert!(String::from_utf8_lossy(&bytes).contains("/MediaBox [0 0 612 792]"));
            continue;
        }
        let v: Value = n.cmd(&["verify", &path(out), "--json"]).ok().json();
        assert_eq!(v["outcome"], "valid", "{file}: {v}");
        assert_eq!(v["carrier"], "qr", "{file}");
        assert_eq!(v["badge"]["name"], "Centrifuge Safety");
    }

    // The issuer revokes the native badge: its paper says so at once, and
    // no new certificate of it is made.
    n.cmd(&["revoke", &path("ada.badge"), "--reason", "awarded in error"])
        .ok();
    let v: Value = n.cmd(&["verify", &path("native.png"), "--json"]).json();
    assert_eq!(v["outcome"], "revoked", "{v}");
    let refused = n.cmd(&[
        "certificate",
        &path("ada.badge"),
        "--out",
        &path("again.png"),
    ]);
    one_line_error(&refused, 1, "badge that is revoked");
    assert!(!dir.path().join("again.png").exists());

    // A tampered credential in an otherwise perfect code: the signature
    // fails, whoever printed it.
    let json = std::fs::read_to_string(path("ada.json")).expect("json");
    let tampered = json.replace("Centrifuge Safety", "Centrifuge Master");
    assert_ne!(tampered, json);
    let page = badgemesh_paper::png(
        &Certificate {
            badge_name: "Centrifuge Master".into(),
            issuer: "Paper Academy".into(),
            badge: tampered.clone().into_bytes(),
            ..Certificate::default()
        },
        Paper::A4,
        150,
    )
    .expect("rendered");
    std::fs::write(path("tampered.png"), page).expect("write");
    let r = n.cmd(&["verify", &path("tampered.png"), "--json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let v = r.json();
    assert_eq!(v["outcome"], "invalid", "{v}");
    assert_eq!(v["carrier"], "qr");
    std::fs::write(path("tampered.json"), tampered).expect("write");
    let refused = n.cmd(&[
        "certificate",
        &path("tampered.json"),
        "--out",
        &path("t.pdf"),
    ]);
    one_line_error(&refused, 1, "badge that is invalid");
}

#[test]
fn others_codes_read_and_a_link_is_not_a_badge() {
    let n = NodeProc::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("path").to_owned();
    // segno's code of a credential 1EdTech signed (bake/tests/fixtures/qr).
    std::fs::write(path("segno.png"), SEGNO_OB3).expect("write");
    let v: Value = n.cmd(&["verify", &path("segno.png"), "--json"]).ok().json();
    assert_eq!(v["outcome"], "valid", "{v}");
    assert_eq!(v["carrier"], "qr");
    std::fs::write(path("url.png"), SEGNO_URL).expect("write");
    let r = n.cmd(&["verify", &path("url.png")]);
    one_line_error(&r, 2, "does not hold a badge");
    let r = n.cmd(&["certificate", &path("url.png"), "--out", &path("x.pdf")]);
    one_line_error(&r, 2, "does not hold a badge");
    let r = n.cmd(&["certificate", &path("segno.png"), "--out", &path("x.txt")]);
    one_line_error(&r, 2, ".pdf or .png");
}
