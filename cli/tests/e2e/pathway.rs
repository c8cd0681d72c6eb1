//! `badgemesh pathway` end to end on one node: declare a capstone after two
//! courses, refuse a cycle, draw the graph, and follow an earner's badge
//! files from some to all of the steps (exit 1, then 0).

use crate::harness::{NodeProc, one_line_error};

#[test]
fn declare_show_and_progress() {
    let school = NodeProc::start(&[]);
    school
        .cmd(&["issuer", "init", "--name", "Harbour Welding School"])
        .ok();
    let a = school.create_badge("Welding basics");
    let b = school.create_badge("Welding underwater");
    let capstone = school.create_badge("Master welder");
    let pathway = school
        .cmd(&[
            "pathway",
            "declare",
            &capstone,
            "--all",
            &format!("{a},{b}"),
            "--name",
            "Capstone track",
        ])
        .ok()
        .line();
    assert!(pathway.starts_with("bciq"), "{pathway}");

    // Course A requiring the capstone would close a cycle: refused.
    let r = school.cmd(&["pathway", "declare", &a, "--all", &capstone]);
    one_line_error(&r, 2, "would close a cycle");

    let shown = school.cmd(&["pathway", "show", &capstone]).ok().stdout;
    assert!(shown.starts_with("Master welder ["), "{shown}");
    assert!(shown.contains("pathway \"Capstone track\""), "{shown}");
    assert!(shown.contains("all of 2:"), "{shown}");
    assert!(shown.contains("Welding basics ["), "{shown}");
    assert!(shown.contains("Welding underwater ["), "{shown}");
    let from_a = school.cmd(&["pathway", "show", &a]).ok().stdout;
    assert!(from_a.contains("leads to:\n  → Master welder"), "{from_a}");

    let file_a = school.dir.join("ada-a.badge");
    let file_b = school.dir.join("ada-b.badge");
    let (file_a, file_b) = (
        file_a.to_str().expect("utf-8 path"),
        file_b.to_str().expect("utf-8 path"),
    );
    school
        .cmd(&["award", &a, "--to", "ada@example.org", "--out", file_a])
        .ok();
    school
        .cmd(&["award", &b, "--to", "ada@example.org", "--out", file_b])
        .ok();
    let some = school.cmd(&["pathway", "progress", &capstone, file_a]);
    assert_eq!(some.code, 1, "{} {}", some.stdout, some.stderr);
    assert!(some.stdout.contains("steps remain"), "{}", some.stdout);
    assert!(
        some.stdout.contains("[x] Welding basics"),
        "{}",
        some.stdout
    );
    assert!(
        some.stdout.contains("[ ] Welding underwater") && some.stdout.contains(": missing"),
        "{}",
        some.stdout
    );
    let all = school.cmd(&["pathway", "progress", &capstone, file_a, file_b]);
    assert_eq!(all.code, 0, "{} {}", all.stdout, all.stderr);
    assert!(all.stdout.contains("every step done"), "{}", all.stdout);
    let v = school
        .cmd(&["pathway", "progress", &capstone, file_a, file_b, "--json"])
        .json();
    assert_eq!(v["pathways"][0]["id"], pathway.as_str());
    assert_eq!(
        v["pathways"][0]["rests_on"].as_array().map(Vec::len),
        Some(2)
    );

    // The three awards (with the capstone) as one CLR 2.0 learner record,
    // signed by the school's node, with the pathway as associations;
    // `verify` checks it whole.
    let file_c = school.dir.join("ada-capstone.badge");
    let file_c = file_c.to_str().expect("utf-8 path");
    school
        .cmd(&[
            "award",
            &capstone,
            "--to",
            "ada@example.org",
            "--out",
            file_c,
        ])
        .ok();
    let record = school.dir.join("ada-record.json");
    let record = record.to_str().expect("utf-8 path");
    school
        .cmd(&[
            "clr",
            "export",
            "--learner",
            "ada@example.org",
            file_a,
            file_b,
            file_c,
            "--out",
            record,
        ])
        .ok();
    let shown = school.cmd(&["verify", record]);
    assert_eq!(shown.code, 0, "{} {}", shown.stdout, shown.stderr);
    assert!(
        shown
            .stdout
            .contains("VALID  a learner record (CLR 2.0) of 3 credentials"),
        "{}",
        shown.stdout
    );
    let v = school.cmd(&["verify", record, "--json"]).json();
    assert_eq!(v["format"], "clr");
    let kinds: Vec<&str> = v["associations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["association_type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        vec!["isChildOf", "precedes", "isChildOf", "precedes"]
    );
}
