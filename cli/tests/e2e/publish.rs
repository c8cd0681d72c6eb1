//! `backpack publish`: a static copy of a collection's page through the
//! real binary. The files are written (index.html, app.css, one file per
//! badge, byte for byte as added); every link and image the page names
//! that is not an outside `http(s)` link is a file in the directory; the
//! page carries its own no-script policy; each badge file verifies again;
//! writing the copy again after a badge left the collection removes its
//! file.

use std::path::Path;

use crate::harness::NodeProc;

const PNG: &[u8] = include_bytes!("../../../bake/tests/fixtures/tiny.png");

/// The values of every `attr="..."` in `html`.
fn attributes<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[test]
fn a_static_copy_holds_every_file_it_links_and_each_verifies() {
    let n = NodeProc::start(&[]);
    n.cmd(&["issuer", "init", "--name", "Static Academy"]).ok();
    let badge = n.create_badge("Teamwork");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("path").to_owned();
    std::fs::write(path("image.png"), PNG).expect("png");
    let mut ids = Vec::new();
    for (file, format) in [
        ("ada.badge", "native"),
        ("ada.json", "ob3"),
        ("ada.png", "png"),
    ] {
        let (out, image) = (path(file), path("image.png"));
        let mut args = vec![
            "award",
            &badge,
            "--to",
            "ada@example.org",
            "--format",
            format,
            "--out",
            &out,
        ];
        if format == "png" {
            args.extend(["--image", &image]);
        }
        n.cmd(&args).ok();
        let v = n.cmd(&["backpack", "add", &out, "--json"]).ok().json();
        ids.push(v[0]["badge"]["short_id"].as_str().expect("id").to_owned());
    }
    n.cmd(&["backpack", "collection", "create", "cv"]).ok();
    let mut add = vec!["backpack", "collection", "add", "cv"];
    add.extend(ids.iter().map(String::as_str));
    n.cmd(&add).ok();

    // Private on the node, and published as a static copy all the same.
    let site = dir.path().join("site");
    let site_s = site.to_str().expect("path");
    let r = n
        .cmd(&[
            "backpack",
            "publish",
            "cv",
            "--out",
            site_s,
            "--url",
            "https://ada.example/badges/",
        ])
        .ok();
    assert!(r.stdout.contains("static copy of cv (3 badges)"), "{r:?}");
    let html = std::fs::read_to_string(site.join("index.html")).expect("index.html");
    assert!(site.join("app.css").is_file());
    assert!(
        html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("<meta property=\"og:url\" content=\"https://ada.example/badges/\">"));
    assert!(
        html.contains("&amp;certUrl=https%3A%2F%2Fada.example%2Fbadges%2F%23badge-"),
        "LinkedIn points back to the card: {html}"
    );
    assert_eq!(html.matches("verdict-word\">Valid<").count(), 3, "{html}");

    // Every link and image that is not an outside link is a file here.
    let mut local = Vec::new();
    for value in attributes(&html, "href")
        .into_iter()
        .chain(attributes(&html, "src"))
    {
        if value.starts_with("https://")
            || value.starts_with("http://")
            || value.starts_with("data:")
        {
            continue;
        }
        assert!(
            !value.starts_with('/') && !value.contains(".."),
            "relative only: {value}"
        );
        assert!(site.join(value).is_file(), "{value} is not in the copy");
        local.push(value.to_owned());
    }
    for id in &ids {
        assert!(
            local.iter().any(|l| l.contains(id.as_str())),
            "{id} is linked: {local:?}"
        );
    }
    assert!(local.contains(&"app.css".to_owned()));

    // Each file is the badge as added, and verifies.
    for (file, id) in ["ada.badge", "ada.json", "ada.png"].iter().zip(&ids) {
        let ext = Path::new(file)
            .extension()
            .and_then(|e| e.to_str())
            .expect("ext");
        let copied = site.join("badges").join(format!("{id}.{ext}"));
        assert_eq!(
            std::fs::read(&copied).expect("copied"),
            std::fs::read(path(file)).expect("original"),
            "{file}"
        );
        n.cmd(&["verify", copied.to_str().expect("path")]).ok();
    }

    // Again, without one badge: its file goes, an unrelated file stays.
    std::fs::write(site.join("badges").join("notes.txt"), "mine").expect("write");
    n.cmd(&["backpack", "collection", "remove", "cv", &ids[0]])
        .ok();
    let r = n
        .cmd(&["backpack", "publish", "cv", "--out", site_s, "--json"])
        .ok();
    assert_eq!(
        r.json()["removed"].as_array().map(Vec::len),
        Some(1),
        "{r:?}"
    );
    assert!(
        !site
            .join("badges")
            .join(format!("{}.badge", ids[0]))
            .exists()
    );
    assert!(site.join("badges").join("notes.txt").exists());
    let html = std::fs::read_to_string(site.join("index.html")).expect("index.html");
    assert!(!html.contains(&ids[0]), "{html}");
    assert!(!html.contains("certUrl"), "no --url, no certUrl");

    let r = n.cmd(&[
        "backpack", "publish", "cv", "--out", site_s, "--url", "ftp://x",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = n.cmd(&["backpack", "publish", "nothing", "--out", site_s]);
    assert_eq!(r.code, 2, "{r:?}");
}
