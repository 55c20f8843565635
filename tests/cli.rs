//! The command line as a newcomer uses it: a whole engagement in the console (first message to the
//! graded plan, on a real sled directory), `ask`, `check`, and replay's exit codes.

use std::io::Write;
use std::process::{Command, Stdio};

fn pavebot() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pavebot"));
    // Keep the user's own config and environment out of the test.
    c.env_remove("DISCORD_TOKEN").env_remove("PAVEBOT_DATA_DIR");
    c
}

fn run_with_input(mut cmd: Command, input: &str) -> (i32, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pavebot starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `pavebot console` as alice on the sled directory `db` with `script` on standard input.
fn console(db: &std::path::Path, script: &str) -> (i32, String, String) {
    let mut cmd = pavebot();
    cmd.args(["console", "--user", "alice", "--db"]).arg(db);
    run_with_input(cmd, script)
}

#[test]
fn console_runs_a_full_engagement_to_the_graded_plan_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let script = "we want an internal developer platform on EKS for 25 app teams\n\
                  /status\n\
                  1. every environment is a jira ticket\n\
                  /help\n\
                  2. ship a service\n\
                  3. nothing yet\n\
                  4. none\n\
                  /user bob\n\
                  /confirm\n\
                  /user alice\n\
                  /confirm\n";
    let (code, out, err) = console(&db, script);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.contains("Mode: Full build plan"), "{out}");
    assert!(out.contains("STOP: Phase 1 restated"), "{out}");
    assert!(out.contains("Only alice"), "bob must not confirm: {out}");
    assert!(out.contains("Phase 2"), "{out}");
    assert!(!out.contains("Quality Checklist"), "not at Phase 4 yet");

    // A second process on the same directory continues where the first stopped.
    let (code, out, err) = console(&db, "/confirm\n/confirm\n/export\n");
    assert_eq!(code, 0, "stderr: {err}");
    let grade = out
        .lines()
        .find(|l| l.contains("Quality Checklist"))
        .unwrap_or_else(|| panic!("no checklist in: {out}"));
    assert!(grade.contains("/6"), "{grade}");
    assert!(out.contains("That's the plan"), "{out}");
    assert!(out.contains("plan written to"), "{out}");
}

#[test]
fn ask_answers_known_and_unknown_concepts() {
    let out = pavebot()
        .args(["ask", "what", "is", "kargo?"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.to_lowercase().contains("kargo"), "{text}");
    let out = pavebot()
        .args(["ask", "what is humanitec?"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("I don't know that one"), "{text}");
}

#[test]
fn check_validates_the_data_files() {
    let out = pavebot().arg("check").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok:"));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// A copy of `replies/` whose ui.toml went through `edit`, checked by the real binary.
fn check_with_ui(edit: impl Fn(&str) -> String) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let replies = dir.path().join("replies");
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("replies"),
        &replies,
    );
    let ui = replies.join("ui.toml");
    let text = std::fs::read_to_string(&ui).unwrap();
    std::fs::write(&ui, edit(&text)).unwrap();
    let out = pavebot()
        .arg("check")
        .env("PAVEBOT_REPLIES_DIR", &replies)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_catches_a_missing_and_an_unused_reply_key() {
    // Unchanged, the copy passes: the test below fails for the edit, not the copy.
    let (code, out, err) = check_with_ui(str::to_string);
    assert_eq!(code, Some(0), "{out}{err}");

    let (code, out, err) = check_with_ui(|t| {
        t.lines()
            .filter(|l| !l.starts_with("\"reset.none\""))
            .map(|l| format!("{l}\n"))
            .collect()
    });
    assert_ne!(code, Some(0), "a missing key must fail: {out}");
    assert!(
        err.contains("ui.toml") && err.contains("reset.none"),
        "{err}"
    );

    let (code, out, err) =
        check_with_ui(|t| format!("{t}\n\"gate.forgotten\" = \"Nobody says this.\"\n"));
    assert_eq!(code, Some(1), "an unused key must fail check: {out}");
    assert!(err.contains("gate.forgotten"), "{err}");
    assert!(!err.contains("reset.none"), "only the unused key: {err}");

    // Outside `check`, an unused key is a warning: the bot still answers.
    let dir = tempfile::tempdir().unwrap();
    let replies = dir.path().join("replies");
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("replies"),
        &replies,
    );
    let ui = replies.join("ui.toml");
    let text = std::fs::read_to_string(&ui).unwrap();
    std::fs::write(&ui, format!("{text}\n\"gate.forgotten\" = \"x\"\n")).unwrap();
    let out = pavebot()
        .args(["ask", "what is kargo?"])
        .env("PAVEBOT_REPLIES_DIR", &replies)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("gate.forgotten"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .to_lowercase()
        .contains("kargo"));
}

#[test]
fn replay_reports_bad_lines_and_goes_on_but_fails_on_an_unreadable_file() {
    let input = "not json\n\n{\"thread\":\"t\",\"user\":\"u\",\"command\":\"dance\"}\n{\"user\":\"u\",\"text\":\"hi\"}\n{\"thread\":\"t\",\"user\":\"u\",\"text\":\"what is kro?\"}\n";
    let mut cmd = pavebot();
    cmd.args(["replay", "-"]);
    let (code, out, _) = run_with_input(cmd, input);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "one result per non-blank line: {out}");
    assert!(lines[0]["error"].as_str().unwrap().starts_with("not JSON"));
    assert!(lines[1]["error"]
        .as_str()
        .unwrap()
        .contains("unknown command"));
    assert!(lines[2]["error"].as_str().unwrap().contains("thread"));
    assert_eq!(lines[3]["mode"], "concept");
    let out = pavebot()
        .args(["replay", "/nonexistent/events.jsonl"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

/// A multi-line answer pasted between two `"""` lines is one message, as it is in Discord: its
/// headings label the lines under them and the Phase 1 gate opens on it.
#[test]
fn console_takes_a_pasted_multi_line_answer_as_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let script = "we want an internal developer platform on EKS for 25 app teams\n\
                  \"\"\"\n\
                  Pain\n\
                  - every environment is a jira ticket\n\
                  First\n\
                  - ship a service\n\
                  Stack\n\
                  - nothing yet\n\
                  Constraints\n\
                  - none\n\
                  \"\"\"\n\
                  /status\n";
    let (code, out, err) = console(&db, script);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.contains("STOP: Phase 1 restated"), "{out}");
    assert!(
        out.contains("every environment is a jira ticket"),
        "the pain is restated: {out}"
    );
    // Three messages (the opening, the block, /status): a prompt before each and one at the end.
    assert_eq!(out.matches("alice@console> ").count(), 4, "{out}");
    assert!(
        !out.contains("**Top pain**: Pain"),
        "a heading taken as the answer: {out}"
    );
}
