//! Running the binary and nodes made of it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_badgemesh")
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    /// Exit status.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    /// The first line of stdout, trimmed.
    pub fn line(&self) -> String {
        self.stdout.lines().next().unwrap_or("").trim().to_owned()
    }

    /// Asserts success.
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "command failed: {self:?}");
        self
    }
}

/// Asserts that `r` failed with `code` and one line on stderr, `error: ...`,
/// mentioning `needle`.
pub fn one_line_error(r: &Run, code: i32, needle: &str) {
    assert_eq!(r.code, code, "{r:?}");
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line: {:?}", r.stderr);
    assert!(lines[0].starts_with("error:"), "{lines:?}");
    assert!(
        lines[0].contains(needle),
        "{lines:?} should mention {needle:?}"
    );
}

/// The result of a finished process; fails the test if the binary panicked.
pub fn finish(out: Output) -> Run {
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !r.stderr.contains("panicked"),
        "the binary panicked: {}",
        r.stderr
    );
    r
}

/// `node run` on loopback with ephemeral ports and no mDNS: every test node.
pub const NODE_RUN: [&str; 7] = [
    "node",
    "run",
    "--listen",
    "/ip4/127.0.0.1/tcp/0",
    "--api",
    "127.0.0.1:0",
    "--no-mdns",
];

/// Runs `badgemesh --data-dir DIR ARGS...`.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(bin())
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("BADGEMESH_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run badgemesh");
    finish(out)
}

/// Polls `f` until it returns Some or the deadline passes.
pub fn poll<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `badgemesh node run` process on loopback.
pub struct NodeProc {
    /// Its data directory.
    pub dir: PathBuf,
    child: Option<Child>,
    bootstrap: Vec<String>,
    _tmp: Option<tempfile::TempDir>,
}

impl NodeProc {
    /// Starts a node with a fresh data directory.
    pub fn start(bootstrap: &[String]) -> NodeProc {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut n = NodeProc {
            dir: tmp.path().to_owned(),
            child: None,
            bootstrap: bootstrap.to_vec(),
            _tmp: Some(tmp),
        };
        n.spawn();
        n
    }

    /// Starts a node on an existing data directory (which it does not own).
    pub fn start_in(dir: &Path) -> NodeProc {
        let mut n = NodeProc {
            dir: dir.to_owned(),
            child: None,
            bootstrap: Vec::new(),
            _tmp: None,
        };
        n.spawn();
        n
    }

    fn spawn(&mut self) {
        let _ = std::fs::remove_file(self.dir.join("node.json"));
        let mut cmd = Command::new(bin());
        cmd.arg("--data-dir")
            .arg(&self.dir)
            .args(NODE_RUN)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for b in &self.bootstrap {
            cmd.args(["--bootstrap", b]);
        }
        self.child = Some(cmd.spawn().expect("spawn node"));
        let dir = self.dir.clone();
        poll(
            "node.json and a healthy API",
            Duration::from_secs(30),
            || {
                let info = std::fs::read(dir.join("node.json")).ok()?;
                let v: Value = serde_json::from_slice(&info).ok()?;
                v["api"].as_str()?;
                let r = run(&dir, &["node", "info", "--json"]);
                (r.code == 0).then_some(())
            },
        );
    }

    /// Its libp2p addresses, from node.json.
    pub fn addrs(&self) -> Vec<String> {
        let v: Value =
            serde_json::from_slice(&std::fs::read(self.dir.join("node.json")).expect("node.json"))
                .expect("json");
        v["listen"]
            .as_array()
            .expect("listen")
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect()
    }

    /// Creates a badge class named `name` on this node's issuer and returns
    /// its id.
    pub fn create_badge(&self, name: &str) -> String {
        self.cmd(&[
            "badge",
            "create",
            "--name",
            name,
            "--description",
            "d",
            "--criteria",
            "c",
        ])
        .ok()
        .line()
    }

    /// Runs a command against this node's data directory.
    pub fn cmd(&self, args: &[&str]) -> Run {
        run(&self.dir, args)
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same data directory.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill();
    }
}
