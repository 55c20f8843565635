//! Helpers for tests/reliability.rs: the engine as the binary builds it, the scripted engagement, and
//! child processes of the real `pavebot` binary with a timeout on every wait.

use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use pavebot::engine::state::ThreadState;
use pavebot::engine::{Engine, Event};

/// How long any single wait on a child process may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(120);

/// The engine exactly as `pavebot` builds it with no user config file and no `PAVEBOT_*` variables
/// (the children run in an empty directory with those variables removed).
pub fn engine() -> Engine {
    let cfg = pavebot::config::Config::parse_layers(None, &[]).expect("default config");
    pavebot::engine_from(&cfg).expect("engine")
}

/// One full engagement, as replay event lines for `thread`: first message, grouped answers, confirm x3
/// (one of them typed as a message), a correction, a question, status and export.
pub fn engagement(thread: &str) -> Vec<String> {
    let ev = |v: serde_json::Value| {
        let mut v = v;
        v["thread"] = serde_json::Value::String(thread.to_string());
        v.to_string()
    };
    use serde_json::json;
    vec![
        ev(
            json!({"user": "alice", "text": "We want to build an internal developer platform on EKS for our 30 app teams"}),
        ),
        ev(
            json!({"user": "alice", "text": "1. 30 app teams, namespace per team\n2. slow manual deploys that take days\n3. ship a new service and preview environments\n4. Argo CD and GitHub Actions with Terraform\n5. multi-account, SOC 2"}),
        ),
        ev(json!({"user": "alice", "command": "confirm"})),
        ev(json!({"user": "alice", "text": "actually we use Flux, not Argo CD"})),
        ev(json!({"user": "bob", "text": "what is kro?"})),
        ev(json!({"user": "bob", "command": "status"})),
        ev(json!({"user": "alice", "text": "yes, looks good"})),
        ev(json!({"user": "alice", "command": "confirm"})),
        ev(json!({"user": "alice", "command": "export"})),
    ]
}

/// Parses a replay line into an event (panics on the test's own malformed lines).
pub fn event(line: &str) -> Event {
    pavebot::replay::parse_event(line).expect("test event").1
}

/// The states after 0, 1, ... n events of `lines`, from a fresh thread.
pub fn reference_states(engine: &Engine, lines: &[String]) -> Vec<ThreadState> {
    let mut states = vec![ThreadState::default()];
    for l in lines {
        let next = engine
            .step(states.last().expect("one state"), &event(l))
            .state;
        states.push(next);
    }
    states
}

/// A `pavebot` command with a clean environment, run in `cwd`.
pub fn pavebot(cwd: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pavebot"));
    c.args(args).current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("PAVEBOT_") || k == "DISCORD_TOKEN" {
            c.env_remove(k);
        }
    }
    c.env("RUST_BACKTRACE", "0");
    c
}

/// A running child with line-by-line access to its standard output.
pub struct Proc {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Receiver<String>,
}

impl Proc {
    /// Starts `cmd` with piped standard streams.
    pub fn spawn(mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pavebot");
        let stdin = child.stdin.take();
        let out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            // Reads up to each newline, or up to a console prompt ("> ") that has no newline.
            let mut r = BufReader::new(out);
            let mut buf = Vec::new();
            let mut byte = [0u8; 1];
            while let Ok(1) = r.read(&mut byte) {
                buf.push(byte[0]);
                if byte[0] == b'\n' || buf.ends_with(b"> ") {
                    let s = String::from_utf8_lossy(&buf).into_owned();
                    buf.clear();
                    if tx.send(s).is_err() {
                        return;
                    }
                }
            }
        });
        let (etx, stderr) = mpsc::channel();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = BufReader::new(err).read_to_string(&mut s);
            let _ = etx.send(s);
        });
        Proc {
            child,
            stdin,
            lines,
            stderr,
        }
    }

    /// Writes one line to the child's standard input.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).expect("write to child");
        stdin.write_all(b"\n").expect("write to child");
        stdin.flush().expect("flush to child");
    }

    /// The next output line (or prompt), failing the test after [`WAIT`].
    pub fn line(&self) -> String {
        self.lines
            .recv_timeout(WAIT)
            .unwrap_or_else(|e| panic!("no output from pavebot within {WAIT:?}: {e}"))
    }

    /// After the child exited: the rest of what it wrote (the reader stops at end of output).
    pub fn rest(&self) -> Vec<String> {
        let mut v = Vec::new();
        loop {
            match self.lines.recv_timeout(WAIT) {
                Ok(l) => v.push(l),
                Err(mpsc::RecvTimeoutError::Disconnected) => return v,
                Err(e) => panic!("output did not end within {WAIT:?}: {e}"),
            }
        }
    }

    /// Reads output until a piece ends with `suffix`.
    pub fn until(&self, suffix: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let l = self.line();
            let done = l.ends_with(suffix);
            seen.push(l);
            if done {
                return seen;
            }
        }
    }

    /// Waits for the child to exit, failing the test after [`WAIT`].
    pub fn wait(&mut self) -> ExitStatus {
        wait_child(&mut self.child)
    }

    /// Everything the child wrote to standard error (after it exited).
    pub fn stderr(&self) -> String {
        self.stderr.recv_timeout(WAIT).unwrap_or_default()
    }
}

/// Waits for a child with a deadline.
pub fn wait_child(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("pavebot did not exit within {WAIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs a command to completion with empty standard input: (status, stdout, stderr).
pub fn run(cmd: Command) -> (ExitStatus, String, String) {
    let mut p = Proc::spawn(cmd);
    drop(p.stdin.take());
    let status = p.wait();
    let out = p.rest().concat();
    (status, out, p.stderr())
}

/// `pavebot inspect --db DIR THREAD` as JSON.
pub fn inspect(cwd: &Path, db: &Path, thread: &str) -> serde_json::Value {
    let (status, out, err) = run(pavebot(
        cwd,
        &["inspect", "--db", &db.display().to_string(), thread],
    ));
    assert!(status.success(), "inspect failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("inspect printed no JSON ({e}): {out}"))
}

/// Mentions that must never appear in a reply unescaped.
pub const PINGS: [&str; 4] = ["@everyone", "@here", "<@&", "<@!"];

/// Panics when a reply could ping (mass, role or user mentions) or is over Discord's limit.
pub fn assert_safe(replies: &[String], what: &str) {
    for r in replies {
        assert!(
            r.chars().count() <= 2000,
            "{what}: a reply has {} characters",
            r.chars().count()
        );
        for p in PINGS {
            assert!(!r.contains(p), "{what}: a reply contains {p}: {r}");
        }
        let b = r.as_bytes();
        for i in 0..b.len().saturating_sub(2) {
            assert!(
                !(b[i] == b'<' && b[i + 1] == b'@' && b[i + 2].is_ascii_digit()),
                "{what}: a reply contains a user mention: {r}"
            );
        }
    }
}
