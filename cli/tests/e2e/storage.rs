//! A full disk and a read-only data directory, for real, in child processes.
//!
//! Disk full: the node runs with SIGXFSZ ignored (`trap '' XFSZ` in the `sh`
//! that execs it; an ignored signal stays ignored across exec), and the test
//! lowers its `RLIMIT_FSIZE` with prlimit(2) while it serves awards. Writes
//! that would grow a file past the limit then fail with EFBIG, the error a
//! full disk or a quota gives a program, whether it runs as root or not (the
//! limit binds root too). Read-only: the data directory and its files lose
//! their write bits; as root, which ignores permission bits, the directory
//! is given to uid 65534 and the binary runs as that user. Each mechanism is
//! checked to be in effect (`/proc/PID/status`, `/proc/PID/limits`, the
//! child's uid), so a test that cannot simulate the problem fails instead of
//! passing without having tested anything.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{NODE_RUN, NodeProc, Run, bin, finish, one_line_error, poll};

/// The nobody user: owns the data directory in the read-only test as root.
const NOBODY: u32 = 65534;

/// Exit status for a storage problem (README, `cli/src/fail.rs`).
const STORAGE: i32 = 4;

/// The node's HTTP API, straight (the CLI is tested separately).
struct Api {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl Api {
    fn of(dir: &Path) -> Api {
        let info: Value =
            serde_json::from_slice(&std::fs::read(dir.join("node.json")).expect("node.json"))
                .expect("json");
        let token = std::fs::read_to_string(dir.join("admin.token"))
            .expect("token")
            .trim()
            .to_owned();
        Api {
            base: info["api"].as_str().expect("api").to_owned(),
            token,
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .into(),
        }
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .send_json(body)
            .expect("the node answers");
        (
            r.status().as_u16(),
            r.body_mut().read_json().unwrap_or(Value::Null),
        )
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let mut r = self
            .agent
            .get(format!("{}{path}", self.base))
            .call()
            .expect("the node answers");
        (
            r.status().as_u16(),
            r.body_mut().read_json().unwrap_or(Value::Null),
        )
    }
}

/// A node whose stderr is kept and that a file size limit does not kill.
struct LimitedNode {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl LimitedNode {
    fn start(dir: &Path) -> LimitedNode {
        let _ = std::fs::remove_file(dir.join("node.json"));
        let mut child = Command::new("sh")
            .args(["-c", r#"trap '' XFSZ; exec "$0" "$@""#, bin()])
            .arg("--data-dir")
            .arg(dir)
            .args(NODE_RUN)
            .env("RUST_LOG", "warn")
            .env_remove("BADGEMESH_DATA_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sh");
        // A pipe, not a file: the file size limit does not apply to it.
        let mut pipe = child.stderr.take().expect("stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_str(&text);
            }
        });
        let mut n = LimitedNode { child, stderr };
        poll("the node's API", Duration::from_secs(30), || {
            assert!(n.alive(), "the node exited: {}", n.stderr());
            let info: Value =
                serde_json::from_slice(&std::fs::read(dir.join("node.json")).ok()?).ok()?;
            info["api"].as_str()?;
            (Api::of(dir).get("/healthz").0 == 200).then_some(())
        });
        // `sh` exec'd the node: same pid. The signal must be ignored there, or
        // the limit would kill the node instead of failing its writes.
        let status = std::fs::read_to_string(format!("/proc/{}/status", n.pid())).expect("status");
        let ignored = status
            .lines()
            .find_map(|l| l.strip_prefix("SigIgn:"))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .expect("SigIgn");
        const SIGXFSZ: u32 = 25;
        assert!(
            ignored & (1 << (SIGXFSZ - 1)) != 0,
            "SIGXFSZ is not ignored in the node: {status}"
        );
        n
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pid")
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sets the node's (soft) file size limit in bytes, and checks that it
    /// holds. The hard limit stays: raising the soft one again needs no
    /// privilege (CAP_SYS_RESOURCE is not granted in every container).
    fn limit_file_size(&self, bytes: u64) {
        let (mut soft, mut hard) = (0, 0);
        rlimit::prlimit(
            self.pid(),
            rlimit::Resource::FSIZE,
            None,
            Some((&mut soft, &mut hard)),
        )
        .expect("prlimit get");
        rlimit::prlimit(
            self.pid(),
            rlimit::Resource::FSIZE,
            Some((bytes, hard)),
            None,
        )
        .expect("prlimit set");
        let limits =
            std::fs::read_to_string(format!("/proc/{}/limits", self.pid())).expect("limits");
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max file size"))
            .expect("Max file size");
        let want = if bytes == rlimit::INFINITY {
            "unlimited".to_owned()
        } else {
            bytes.to_string()
        };
        assert_eq!(
            line.split_whitespace().nth(3),
            Some(want.as_str()),
            "the limit did not take: {line}"
        );
    }

    /// SIGTERM, then waits: the node must stop by itself, without a panic.
    fn stop(mut self) -> String {
        let killed = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let status = poll("the node to stop", Duration::from_secs(30), || {
            self.child.try_wait().expect("try_wait")
        });
        let stderr = self.stderr();
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "the node panicked: {stderr}"
        );
        assert!(status.success(), "the node stopped with {status}: {stderr}");
        stderr
    }
}

impl Drop for LimitedNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn award_body(badge: &str, who: usize) -> Value {
    // Big awards (about 28 KB) make the store grow quickly.
    json!({
        "badge": badge,
        "recipient": format!("p{who}@example.org"),
        "narrative": "n".repeat(8000),
        "evidence": (0..10).map(|k| format!("https://example.org/{k}/{}", "e".repeat(1900))).collect::<Vec<_>>(),
    })
}

#[test]
fn a_full_disk_is_refused_clearly_and_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let node = LimitedNode::start(dir);
    let api = Api::of(dir);
    let (st, _) = api.post("/v1/admin/issuer", &json!({ "name": "Full Disk Academy" }));
    assert_eq!(st, 201);
    let (st, b) = api.post(
        "/v1/admin/badges",
        &json!({ "name": "Space", "description": "d", "criteria": "c" }),
    );
    assert_eq!(st, 201);
    let badge = b["id"].as_str().expect("badge id").to_owned();
    let mut acked: Vec<(String, u64)> = Vec::new();
    for k in 0..3 {
        let (st, a) = api.post("/v1/admin/awards", &award_body(&badge, k));
        assert_eq!(st, 201, "{a}");
        acked.push((
            a["id"].as_str().expect("id").to_owned(),
            a["status_index"].as_u64().expect("index"),
        ));
    }

    // The disk fills up: the store cannot grow past its current size.
    let size = std::fs::metadata(dir.join("store.redb"))
        .expect("store")
        .len();
    node.limit_file_size(size);
    let mut refused = None;
    for k in 3..2000 {
        let (st, a) = api.post("/v1/admin/awards", &award_body(&badge, k));
        if st == 201 {
            acked.push((
                a["id"].as_str().expect("id").to_owned(),
                a["status_index"].as_u64().expect("index"),
            ));
        } else {
            refused = Some((st, a));
            break;
        }
    }
    let (st, answer) = refused.expect("the store never hit the file size limit");
    assert_eq!(st, 507, "{answer}");
    assert_eq!(answer["error"], "storage_full", "{answer}");
    let message = answer["message"].as_str().expect("message");
    assert!(message.contains("disk is full"), "{message}");
    // The award was signed and logged in issuer.key before the store refused
    // it; the answer names it, and it is stored at the next start.
    let unstored = answer["record"].as_str().map(String::from);

    // Every later write is refused the same way, and signs nothing new.
    for k in 0..3 {
        let (st, a) = api.post("/v1/admin/awards", &award_body(&badge, 5000 + k));
        assert_eq!((st, &a["error"]), (507, &json!("storage_full")), "{a}");
        assert_eq!(a["record"].as_str().map(String::from), unstored, "{a}");
    }
    let (st, a) = api.post(
        "/v1/admin/revocations",
        &json!({ "assertions": [acked[0].0] }),
    );
    assert_eq!((st, &a["error"]), (507, &json!("storage_full")), "{a}");
    let out = tmp.path().join("never.badge");
    let r = crate::harness::run(
        dir,
        &[
            "award",
            &badge,
            "--to",
            "late@example.org",
            "--out",
            out.to_str().expect("path"),
        ],
    );
    one_line_error(&r, STORAGE, "disk is full");
    assert!(!out.exists());
    let (st, health) = api.get("/healthz");
    assert_eq!(
        (st, &health["status"]),
        (503, &json!("degraded")),
        "{health}"
    );
    // Reads from memory still work.
    let (st, info) = api.get("/v1/node");
    assert_eq!(st, 200, "{info}");
    assert!(info["storage_error"].is_string(), "{info}");
    let stderr = node.stop();
    assert!(stderr.contains("takes no more writes"), "{stderr}");

    // Without the limit: the store opens, and holds exactly what was
    // acknowledged, plus the one record the error said would be stored.
    let n = NodeProc::start_in(dir);
    for (id, _) in &acked {
        let s = n.cmd(&["status", id, "--json"]).ok().json();
        assert_eq!(s["revoked"], false, "{id}: {s}");
    }
    if let Some(id) = &unstored {
        n.cmd(&["status", id, "--json"]).ok();
    }
    let info = n.cmd(&["node", "info", "--json"]).ok().json();
    let expected = acked.len() + usize::from(unstored.is_some());
    assert_eq!(
        info["records"]["assertion"].as_u64(),
        Some(expected as u64),
        "{info}"
    );
    // No status index was handed out twice, and the issuer carries on: the
    // revocation chain continues and a new award gets a fresh index.
    let indices: std::collections::HashSet<u64> = acked.iter().map(|(_, i)| *i).collect();
    assert_eq!(indices.len(), acked.len());
    assert_eq!(n.cmd(&["revoke", &acked[0].0]).ok().line(), "1");
    let s = n.cmd(&["status", &acked[0].0, "--json"]).ok().json();
    assert_eq!(s["revoked"], true, "{s}");
    let api = Api::of(dir);
    let (st, a) = api.post("/v1/admin/awards", &award_body(&badge, 9999));
    assert_eq!(st, 201, "{a}");
    let fresh = a["status_index"].as_u64().expect("index");
    assert!(!indices.contains(&fresh), "index {fresh} reused");
}

/// Runs the binary with a file size limit of 0 (no file can grow, SIGXFSZ
/// ignored): a disk with no room at all.
fn run_with_no_room(args: &[&std::ffi::OsStr]) -> Run {
    let out = Command::new("sh")
        .args([
            "-c",
            r#"trap '' XFSZ; ulimit -f 0 && exec "$0" "$@""#,
            bin(),
        ])
        .args(args)
        .env_remove("BADGEMESH_DATA_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    finish(out)
}

#[test]
fn node_run_and_issuer_init_on_a_full_disk_fail_in_one_line() {
    // `node run` with no room at all: nothing is created.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    let mut args: Vec<&std::ffi::OsStr> = vec!["--data-dir".as_ref(), dir.as_os_str()];
    args.extend(NODE_RUN.iter().map(std::ffi::OsStr::new));
    let r = run_with_no_room(&args);
    one_line_error(&r, STORAGE, "disk is full");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("data dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "files left behind: {left:?}");

    // `issuer init` while the node runs and the disk fills: refused, the
    // node stays healthy (nothing was signed), and works once there is room.
    let node = LimitedNode::start(&dir);
    node.limit_file_size(0);
    let r = crate::harness::run(&dir, &["issuer", "init", "--name", "Cramped Academy"]);
    one_line_error(&r, STORAGE, "disk is full");
    assert_eq!(Api::of(&dir).get("/healthz").0, 200);
    assert!(!dir.join("issuer.key").exists());
    assert!(
        !dir.join("issuer.tmp").exists(),
        "temporary file left behind"
    );
    node.limit_file_size(rlimit::INFINITY);
    crate::harness::run(&dir, &["issuer", "init", "--name", "Roomy Academy"]).ok();
    node.stop();
}

#[test]
fn an_output_file_on_a_full_disk_exits_with_the_storage_status() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bake/tests/fixtures");
    let credential = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../openbadges/tests/vectors/1edtech-ob3/signed.json");
    let data = tmp.path().join("data");
    let baked = tmp.path().join("baked.png");
    let image = fixtures.join("tiny.png");
    let r = run_with_no_room(&[
        "--data-dir".as_ref(),
        data.as_os_str(),
        "bake".as_ref(),
        image.as_os_str(),
        credential.as_os_str(),
        "--out".as_ref(),
        baked.as_os_str(),
    ]);
    one_line_error(&r, STORAGE, "cannot write");
}

/// Every file in a directory with its mode, size, modification time and
/// bytes, and the directory's own mode and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u32, u64, i64, Vec<u8>)> {
    let mut all = BTreeMap::new();
    let meta = std::fs::metadata(dir).expect("dir");
    all.insert(
        dir.to_owned(),
        (
            meta.mode(),
            0,
            meta.mtime_nsec() + meta.mtime() * 1_000_000_000,
            Vec::new(),
        ),
    );
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let path = e.expect("entry").path();
        let m = std::fs::metadata(&path).expect("meta");
        let time = m.mtime() * 1_000_000_000 + m.mtime_nsec();
        all.insert(
            path.clone(),
            (m.mode(), m.len(), time, std::fs::read(&path).expect("read")),
        );
    }
    all
}

/// Whether this test runs as root (files it creates belong to uid 0).
fn running_as_root(dir: &Path) -> bool {
    let probe = dir.join("whoami");
    std::fs::write(&probe, b"").expect("probe");
    let root = std::fs::metadata(&probe).expect("probe").uid() == 0;
    std::fs::remove_file(&probe).expect("remove probe");
    root
}

/// Gives write bits back, so that the temporary directory can be removed.
struct Writable(PathBuf);

impl Drop for Writable {
    fn drop(&mut self) {
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700));
    }
}

#[test]
fn a_read_only_data_dir_stops_the_node_at_once_and_changes_nothing() {
    let tools = tempfile::tempdir().expect("tempdir");
    let mut n = NodeProc::start(&[]);
    n.cmd(&["issuer", "init", "--name", "Read Only Academy"])
        .ok();
    let badge = n.create_badge("Frozen");
    let cred = tools.path().join("cred.json");
    n.cmd(&[
        "award",
        &badge,
        "--to",
        "ro@example.org",
        "--format",
        "ob3",
        "--out",
        cred.to_str().expect("path"),
    ])
    .ok();
    n.kill();
    std::fs::remove_file(n.dir.join("node.json")).expect("node.json");
    let dir = n.dir.clone();
    let _restore = Writable(dir.clone());

    // Root ignores permission bits: the directory goes to nobody, and so
    // does the binary (a copy it can reach, wherever the build lives).
    let root = running_as_root(tools.path());
    let as_user = |cmd: &mut Command| {
        if root {
            use std::os::unix::process::CommandExt;
            cmd.uid(NOBODY).gid(NOBODY);
        }
    };
    let exe = tools.path().join("badgemesh");
    // A link costs no space; a copy only when the build is on another disk.
    if std::fs::hard_link(bin(), &exe).is_err() {
        std::fs::copy(bin(), &exe).expect("copy the binary");
    }
    std::fs::set_permissions(tools.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&cred, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    for e in std::fs::read_dir(&dir).expect("read_dir") {
        let path = e.expect("entry").path();
        if root {
            std::os::unix::fs::chown(&path, Some(NOBODY), Some(NOBODY)).expect("chown");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
    }
    if root {
        std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).expect("chown");
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).expect("chmod");
    let before = snapshot(&dir);

    // The mechanism holds: the user the binary runs as cannot write there.
    let mut probe = Command::new("sh");
    probe
        .args([
            "-c",
            r#"touch "$0/probe" 2>/dev/null; test ! -e "$0/probe""#,
        ])
        .arg(&dir);
    as_user(&mut probe);
    assert!(
        probe.status().expect("sh").success(),
        "the data directory is still writable for the node's user"
    );

    let mut cmd = Command::new(&exe);
    cmd.arg("--data-dir")
        .arg(&dir)
        .args(NODE_RUN)
        .env_remove("BADGEMESH_DATA_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    as_user(&mut cmd);
    let mut child = cmd.spawn().expect("spawn");
    // Fast: it fails before it opens anything, let alone the network.
    poll("the node to give up", Duration::from_secs(10), || {
        child.try_wait().expect("try_wait")
    });
    let out = child.wait_with_output().expect("output");
    let r = finish(out);
    one_line_error(&r, STORAGE, "read-only");
    assert!(
        r.stderr.contains(dir.to_str().expect("path")),
        "{}",
        r.stderr
    );
    assert_eq!(
        snapshot(&dir),
        before,
        "the node changed the read-only data directory"
    );

    // Verifying a self-contained credential needs no writes: it works (this
    // one declares no status list, so it is valid without a node) and
    // changes nothing either.
    let mut verify = Command::new(&exe);
    verify
        .arg("--data-dir")
        .arg(&dir)
        .args(["verify", "--json"])
        .arg(&cred)
        .env_remove("BADGEMESH_DATA_DIR")
        .stdin(Stdio::null());
    as_user(&mut verify);
    let out = verify.output().expect("verify");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["format"], "ob3", "{v}");
    assert_eq!(v["outcome"], "valid", "{v}");
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(
        snapshot(&dir),
        before,
        "verify changed the read-only data directory"
    );
}
