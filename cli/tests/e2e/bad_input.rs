//! Bad input gives a one-line error and the documented exit status, never a panic.

use crate::harness::{NodeProc, one_line_error, run};

#[test]
fn commands_without_a_node_say_how_to_start_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("x.badge");
    std::fs::write(&f, [0xd2, 0x84]).expect("write");
    one_line_error(
        &run(dir.path(), &["verify", f.to_str().expect("path")]),
        2,
        "badgemesh node run",
    );
    one_line_error(
        &run(dir.path(), &["issuer", "show"]),
        2,
        "no node is running",
    );
    one_line_error(&run(dir.path(), &["peers"]), 2, "no node is running");
}

#[test]
fn bad_files_ids_and_usage() {
    let n = NodeProc::start(&[]);
    let missing = n.dir.join("missing.badge");
    one_line_error(
        &n.cmd(&["verify", missing.to_str().expect("path")]),
        2,
        "cannot read",
    );
    // Root reads any file, so a directory stands in for an unreadable one.
    let unreadable = n.dir.join("a-directory");
    std::fs::create_dir(&unreadable).expect("mkdir");
    one_line_error(
        &n.cmd(&["verify", unreadable.to_str().expect("path")]),
        2,
        "cannot read",
    );
    let garbage = n.dir.join("garbage.badge");
    std::fs::write(&garbage, b"this is not a badge").expect("write");
    one_line_error(
        &n.cmd(&["verify", garbage.to_str().expect("path")]),
        2,
        "not a badge",
    );
    let empty = n.dir.join("empty.badge");
    std::fs::write(&empty, b"").expect("write");
    one_line_error(
        &n.cmd(&["verify", empty.to_str().expect("path")]),
        2,
        "empty",
    );
    one_line_error(&n.cmd(&["status", "not-an-id"]), 2, "not multibase");
    one_line_error(
        &n.cmd(&[
            "award",
            "bciqnotreal",
            "--to",
            "a@example.org",
            "--out",
            "/tmp/x",
        ]),
        2,
        "badge",
    );
    one_line_error(
        &n.cmd(&[
            "badge",
            "create",
            "--name",
            "x",
            "--description",
            "y",
            "--criteria",
            "z",
        ]),
        2,
        "issuer init",
    );
    n.cmd(&["issuer", "init", "--name", "Input Academy"]).ok();
    one_line_error(
        &n.cmd(&["issuer", "init", "--name", "Again"]),
        2,
        "already has an issuer",
    );
    one_line_error(
        &n.cmd(&["revoke", "bciqnotreal"]),
        2,
        "neither a file nor an assertion id",
    );
    one_line_error(
        &n.cmd(&[
            "award",
            "x",
            "--to",
            "a@example.org",
            "--out",
            "/tmp/x",
            "--format",
            "png",
        ]),
        2,
        "need --image",
    );
    one_line_error(
        &n.cmd(&["import", missing.to_str().expect("path")]),
        2,
        "cannot read",
    );
    one_line_error(
        &n.cmd(&["import", garbage.to_str().expect("path")]),
        2,
        "not a badgemesh bundle",
    );
    let r = n.cmd(&["frobnicate"]);
    assert_eq!(r.code, 2);
    let r = n.cmd(&["verify", "--help"]);
    assert!(r.code == 0 && r.stdout.contains("Exit status"), "{r:?}");
}

#[test]
fn every_command_has_help_with_an_example() {
    let dir = tempfile::tempdir().expect("tempdir");
    let commands: &[&[&str]] = &[
        &["node", "run"],
        &["node", "info"],
        &["issuer", "init"],
        &["issuer", "show"],
        &["badge", "create"],
        &["badge", "list"],
        &["award"],
        &["revoke"],
        &["verify"],
        &["status"],
        &["peers"],
        &["key", "rotate"],
        &["key", "export-next"],
        &["export"],
        &["import"],
        &["bake"],
        &["unbake"],
        &["demo"],
        &["completions"],
        &["man"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        args.push("--help");
        let r = run(dir.path(), &args);
        assert_eq!(r.code, 0, "{c:?}: {r:?}");
        assert!(
            r.stdout.contains("Example"),
            "{c:?} --help has no example:\n{}",
            r.stdout
        );
    }
}

#[test]
fn output_piped_into_a_reader_that_stops_ends_quietly() {
    use std::io::Read as _;
    let mut child = std::process::Command::new(crate::harness::bin())
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("the start of the output");
    // The reader is gone (like `| head -c 16`): the rest cannot be written.
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.trim().is_empty(), "nothing on stderr: {stderr}");
}
