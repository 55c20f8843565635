//! Transcript tests: whole conversations in small text files under `tests/transcripts/`, driven
//! through the real [`pavebot::bot::Bot`] over a real sled database in a temporary directory.
//!
//! # The format
//!
//! ```text
//! # a comment
//! > alice: we want an IDP on EKS for 30 app teams       a chat message from alice
//! | a second line of the same message                   continuation (joined with a newline)
//! > bob [platform-lead] /confirm                        a command, with bob's roles
//! > carol /ask what is kro                              a command with text
//! > alice: here it is [attach .eks-recon-report.yaml from fixtures/recon-payments.yaml]
//! ! restart                                             drop the Bot and the Store, reopen the same dir
//! ! thread c9                                           later events go to thread c9 (default t1)
//! < mode=full_build phase=1 awaiting=inputs missing=top_pain,constraints
//! < reply ~ (?i)4 question          some reply matches (`reply !~ RE`: none does)
//! < replies = 1                     number of posted messages
//! < denied ~ only alice             a Denied effect matches (`denied !~ .`: nothing was denied)
//! < input consumer_teams = 30 app teams (message)    exact value and source
//! < input existing_stack ~ Flux     value matches      `< input constraints absent`
//! < source existing_stack = attachment:.eks-recon-report.yaml
//! < decision gitops_delivery = Flux  `< decision ai_ml_paths ~ ^on`  `< reason gitops_delivery ~ Flux`
//! < decisions = 0                   number of decisions
//! < conflicts = 1                   `< conflict ~ RE`: some conflict line matches
//! < checklist passed=6 total=6      `< checklist = null`, `< checklist passed>=4`
//! < unchanged                       the state did not change (`< changed`: it did)
//! < effect gate_buttons             an effect of that kind was emitted (`< !effect document`)
//! < document ~ RE                   the exported document matches
//! ```
//!
//! Expectations apply to the event above them. Whatever a transcript says, every event is also checked
//! for: no error from the store, every reply within Discord's 2000 characters and free of unescaped
//! `@everyone`/`@here`, the stored state equal to the returned one (saved before the reply), and
//! `status`/`why`/`export`/`details` leaving the state untouched. `! restart` checks that every thread
//! reloads exactly as it was, and each transcript is run a second time without restarts: the replies
//! and views must be identical.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use pavebot::bot::Bot;
use pavebot::config::Config;
use pavebot::engine::state::ThreadState;
use pavebot::engine::{Attachment, Command, Effect, Event};
use pavebot::store::SledStore;
use regex::Regex;
use serde_json::Value;

const DIR: &str = "tests/transcripts";

/// How much of each reply a failure report shows.
const REPLY_SHOWN: usize = 500;

/// One line of a transcript after parsing.
#[derive(Debug, Clone)]
enum Item {
    Turn(Turn),
    Restart(usize),
    Thread,
}

#[derive(Debug, Clone)]
struct Turn {
    line: usize,
    thread: String,
    event: Event,
    expects: Vec<(usize, String)>,
}

fn parse(name: &str, text: &str, base: &Path) -> Result<Vec<Item>, String> {
    let mut items: Vec<Item> = Vec::new();
    let attach =
        Regex::new(r"\[attach\s+(?P<name>[^\]]*?)\s+from\s+(?P<file>[^\]\s]+)\s*\]").unwrap();
    let head = Regex::new(
        r"^>\s*(?P<user>[^\s:\[/]+)\s*(?:\[(?P<roles>[^\]]*)\])?\s*(?:(?P<colon>:)\s?(?P<text>.*)|/(?P<cmd>[a-z]+)\s*(?P<ctext>.*))$",
    )
    .unwrap();
    let mut thread = "t1".to_string();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end();
        let at = |m: &str| format!("{name}:{n}: {m}");
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("! ") {
            let rest = rest.trim();
            if rest == "restart" {
                items.push(Item::Restart(n));
            } else if let Some(t) = rest.strip_prefix("thread ") {
                thread = t.trim().to_string();
                items.push(Item::Thread);
            } else {
                return Err(at(&format!("unknown directive {rest:?}")));
            }
        } else if let Some(rest) = line.strip_prefix('|') {
            let Some(Item::Turn(t)) = items.last_mut() else {
                return Err(at("a continuation line must follow a `>` line"));
            };
            if !t.expects.is_empty() {
                return Err(at("a continuation line must come before the expectations"));
            }
            let text = t.event.text.get_or_insert_with(String::new);
            text.push('\n');
            text.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        } else if let Some(rest) = line.strip_prefix('<') {
            let Some(Item::Turn(t)) = items.last_mut() else {
                return Err(at("an expectation must follow a `>` line"));
            };
            t.expects.push((n, rest.trim().to_string()));
        } else if line.starts_with('>') {
            let c = head
                .captures(line)
                .ok_or_else(|| at("expected `> user: text` or `> user /command [text]`"))?;
            let roles = c
                .name("roles")
                .map(|r| {
                    r.as_str()
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let (command, body) = match c.name("cmd") {
                Some(cmd) => (
                    Some(
                        Command::from_name(cmd.as_str())
                            .ok_or_else(|| at(&format!("unknown command /{}", cmd.as_str())))?,
                    ),
                    c.name("ctext").map_or("", |m| m.as_str()),
                ),
                None => (None, c.name("text").map_or("", |m| m.as_str())),
            };
            let mut attachments = Vec::new();
            for a in attach.captures_iter(body) {
                let path = base.join(&a["file"]);
                let content = std::fs::read_to_string(&path)
                    .map_err(|e| at(&format!("cannot read {}: {e}", path.display())))?;
                attachments.push(Attachment {
                    filename: a["name"].to_string(),
                    content,
                });
            }
            let body = attach.replace_all(body, "").trim().to_string();
            items.push(Item::Turn(Turn {
                line: n,
                thread: thread.clone(),
                event: Event {
                    user: c["user"].to_string(),
                    text: (!body.is_empty() || command.is_none()).then_some(body),
                    attachments,
                    command,
                    roles,
                    gate: None,
                },
                expects: vec![],
            }));
        } else {
            return Err(at("lines start with `>`, `|`, `<`, `!` or `#`"));
        }
    }
    Ok(items)
}

/// What one event gave, as the checks see it.
struct Seen {
    view: Value,
    replies: Vec<String>,
    denied: Vec<String>,
    effects: Vec<&'static str>,
    documents: Vec<String>,
    changed: bool,
    state_equal: bool,
}

fn kind(e: &Effect) -> &'static str {
    match e {
        Effect::Say { .. } => "say",
        Effect::OpenThread { .. } => "open_thread",
        Effect::GateButtons { .. } => "gate_buttons",
        Effect::FormButton { .. } => "form_button",
        Effect::Document { .. } => "document",
        Effect::Denied { .. } => "denied",
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn regex(p: &str) -> Result<Regex, String> {
    Regex::new(p).map_err(|e| format!("bad regex {p:?}: {e}"))
}

/// Checks one expectation; `Err` is the readable reason.
fn check(exp: &str, s: &Seen) -> Result<(), String> {
    let v = &s.view;
    let split = |e: &str| -> Option<(String, String, String)> {
        let re = Regex::new(r"^(\S+)(?:\s+(\S+))?\s+(=|~|!~|>=)\s?(.*)$").unwrap();
        let c = re.captures(e)?;
        let a = c.get(1)?.as_str().to_string();
        let b = c.get(2).map_or("", |m| m.as_str()).to_string();
        Some((
            format!("{a} {b}").trim().to_string(),
            c[3].to_string(),
            c[4].to_string(),
        ))
    };
    // `mode=... phase=... awaiting=... missing=...`
    if exp.split_whitespace().all(|t| {
        ["mode=", "phase=", "awaiting=", "missing="]
            .iter()
            .any(|k| t.starts_with(k))
    }) {
        let mut bad = Vec::new();
        for t in exp.split_whitespace() {
            let (k, want) = t.split_once('=').unwrap();
            let got = match &v[k] {
                Value::Null => "-".to_string(),
                Value::Array(a) if a.is_empty() => "-".to_string(),
                x => show(x),
            };
            let want = if want.is_empty() { "-" } else { want };
            if got != want {
                bad.push(format!("{k}: want {want}, got {got}"));
            }
        }
        return if bad.is_empty() {
            Ok(())
        } else {
            Err(bad.join("; "))
        };
    }
    match exp {
        "unchanged" => {
            return if !s.changed && s.state_equal {
                Ok(())
            } else {
                Err("the state changed".into())
            }
        }
        "changed" => {
            return if s.changed {
                Ok(())
            } else {
                Err("the state did not change".into())
            }
        }
        "checklist = null" => {
            return if v["checklist"].is_null() {
                Ok(())
            } else {
                Err(format!("checklist is {}", v["checklist"]))
            }
        }
        _ => {}
    }
    if let Some(k) = exp.strip_prefix("!effect ") {
        return if s.effects.contains(&k.trim()) {
            Err(format!("effect {k} was emitted (effects: {:?})", s.effects))
        } else {
            Ok(())
        };
    }
    if let Some(k) = exp.strip_prefix("effect ") {
        return if s.effects.contains(&k.trim()) {
            Ok(())
        } else {
            Err(format!("no {k} effect (effects: {:?})", s.effects))
        };
    }
    if let Some(rest) = exp.strip_prefix("checklist ") {
        let c = &v["checklist"];
        if c.is_null() {
            return Err("checklist is null".into());
        }
        for t in rest.split_whitespace() {
            let (k, op, want) = if let Some((k, w)) = t.split_once(">=") {
                (k, ">=", w)
            } else if let Some((k, w)) = t.split_once('=') {
                (k, "=", w)
            } else {
                return Err(format!("cannot read checklist expectation {t:?}"));
            };
            let got = c[k].as_u64().ok_or(format!("checklist has no {k}"))?;
            let want: u64 = want.parse().map_err(|_| format!("not a number: {want}"))?;
            let ok = if op == "=" { got == want } else { got >= want };
            if !ok {
                return Err(format!("checklist {k}: want {op}{want}, got {got}"));
            }
        }
        return Ok(());
    }
    if let Some(slot) = exp
        .strip_prefix("input ")
        .and_then(|r| r.strip_suffix(" absent"))
    {
        return match v["inputs"].get(slot.trim()) {
            None => Ok(()),
            Some(x) => Err(format!("input {slot} is present: {x}")),
        };
    }
    let (subject, op, want) =
        split(exp).ok_or_else(|| format!("cannot read expectation {exp:?}"))?;
    let (what, arg) = subject.split_once(' ').unwrap_or((subject.as_str(), ""));
    let any = |list: &[String], want: &str, op: &str, label: &str| -> Result<(), String> {
        let re = regex(want)?;
        let hit = list.iter().any(|r| re.is_match(r));
        match (op, hit) {
            ("~", true) | ("!~", false) => Ok(()),
            ("~", false) => Err(format!("no {label} matches /{want}/")),
            ("!~", true) => Err(format!("a {label} matches /{want}/ but should not")),
            _ => Err(format!("operator {op} is not for {label}")),
        }
    };
    match (what, op.as_str()) {
        ("reply", _) => any(&s.replies, &want, &op, "reply"),
        ("denied", _) => any(&s.denied, &want, &op, "denied message"),
        ("document", _) => any(&s.documents, &want, &op, "document"),
        ("conflict", _) => {
            let list: Vec<String> = v["conflicts"]
                .as_array()
                .map(|a| a.iter().map(show).collect())
                .unwrap_or_default();
            any(&list, &want, &op, "conflict")
        }
        ("replies" | "conflicts" | "decisions", "=") => {
            let got = match what {
                "replies" => s.replies.len(),
                "conflicts" => v["conflicts"].as_array().map_or(0, Vec::len),
                _ => v["decisions"].as_object().map_or(0, |m| m.len()),
            };
            let want: usize = want
                .trim()
                .parse()
                .map_err(|_| format!("not a number: {want}"))?;
            if got == want {
                Ok(())
            } else {
                Err(format!("{what}: want {want}, got {got}"))
            }
        }
        ("input", "=") => {
            let i = v["inputs"]
                .get(arg)
                .ok_or(format!("input {arg} is missing"))?;
            let got = format!("{} ({})", show(&i["value"]), show(&i["source"]));
            let want = want.trim();
            let matches = if want.ends_with(')') {
                got == want
            } else {
                show(&i["value"]) == want
            };
            if matches {
                Ok(())
            } else {
                Err(format!("input {arg}: want {want:?}, got {got:?}"))
            }
        }
        ("input" | "source" | "decision" | "reason", "~" | "!~" | "=") => {
            let got = match what {
                "input" => v["inputs"].get(arg).map(|i| show(&i["value"])),
                "source" => v["inputs"].get(arg).map(|i| show(&i["source"])),
                "decision" => v["decisions"].get(arg).map(|d| show(&d["tool"])),
                _ => v["decisions"].get(arg).map(|d| show(&d["reason"])),
            }
            .ok_or(format!("{what} {arg} is missing"))?;
            let ok = match op.as_str() {
                "=" => got == want.trim(),
                "~" => regex(&want)?.is_match(&got),
                _ => !regex(&want)?.is_match(&got),
            };
            if ok {
                Ok(())
            } else {
                Err(format!("{what} {arg}: want {op} {want:?}, got {got:?}"))
            }
        }
        _ => Err(format!("cannot read expectation {exp:?}")),
    }
}

fn fresh_bot(dir: &Path) -> Bot {
    let cfg = Config::parse_layers(None, &[]).expect("default config");
    let engine = pavebot::engine_from(&cfg).expect("engine");
    Bot::new(engine, SledStore::open(dir).expect("open sled"))
}

fn is_readonly(ev: &Event) -> bool {
    matches!(
        ev.command,
        Some(Command::Status) | Some(Command::Why) | Some(Command::Export) | Some(Command::Details)
    ) || ev.command.is_none()
        && ev.attachments.is_empty()
        && matches!(
            ev.text
                .as_deref()
                .map(|t| t.trim().to_lowercase())
                .as_deref(),
            Some("status" | "why" | "export" | "details")
        )
}

/// What the coverage report counts.
#[derive(Default)]
struct Coverage {
    /// `mode`, `mode/phase/awaiting` and `confirm:<phase>` tags seen.
    tags: BTreeSet<String>,
}

/// Runs one transcript. Returns the failures (empty when it passed) and the observable output.
fn run(
    name: &str,
    items: &[Item],
    restarts: bool,
    cov: &mut Coverage,
) -> (Vec<String>, Vec<String>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("db");
    let mut bot = Some(fresh_bot(&dir));
    let mut fails = Vec::new();
    let mut trace = Vec::new();
    let mut known: BTreeMap<String, ThreadState> = BTreeMap::new();
    for item in items {
        let t = match item {
            Item::Thread => continue,
            Item::Restart(line) => {
                if !restarts {
                    continue;
                }
                drop(bot.take());
                let b = fresh_bot(&dir);
                for (thread, st) in &known {
                    match b.store.load(thread) {
                        Ok(got) if &got == st => {}
                        Ok(_) => fails.push(format!(
                            "{name}:{line}: thread {thread} reloaded different from what was saved"
                        )),
                        Err(e) => fails.push(format!(
                            "{name}:{line}: thread {thread} cannot be reloaded: {e}"
                        )),
                    }
                }
                bot = Some(b);
                continue;
            }
            Item::Turn(t) => t,
        };
        let b = bot.as_ref().expect("bot is open");
        let at = format!("{name}:{}", t.line);
        let prior = b.store.load(&t.thread).unwrap_or_default();
        let out = match b.handle(&t.thread, &t.event) {
            Ok(o) => o,
            Err(e) => {
                fails.push(format!("{at}: the bot failed: {e}"));
                continue;
            }
        };
        let stored = b.store.load(&t.thread).ok();
        let view = serde_json::to_value(b.engine.view(&out.step.state)).expect("view serialises");
        let mut seen = Seen {
            view,
            replies: vec![],
            denied: vec![],
            effects: out.step.effects.iter().map(kind).collect(),
            documents: vec![],
            changed: out.step.changed,
            state_equal: out.step.state == prior,
        };
        for e in &out.step.effects {
            match e {
                Effect::Say { text } => seen.replies.push(text.clone()),
                Effect::Denied { text } => {
                    seen.replies.push(text.clone());
                    seen.denied.push(text.clone());
                }
                Effect::Document { markdown, .. } => seen.documents.push(markdown.clone()),
                _ => {}
            }
        }
        // Invariants every event must keep.
        for (i, r) in seen.replies.iter().enumerate() {
            let n = r.chars().count();
            if n > 2000 {
                fails.push(format!(
                    "{at}: reply {} has {n} characters (limit 2000)",
                    i + 1
                ));
            }
            if r.contains("@everyone") || r.contains("@here") {
                fails.push(format!("{at}: reply {} pings @everyone/@here:\n{r}", i + 1));
            }
            if r.trim().is_empty() {
                fails.push(format!("{at}: reply {} is empty", i + 1));
            }
        }
        if seen.replies.is_empty() {
            fails.push(format!("{at}: the bot said nothing"));
        }
        let expected_stored = if out.step.changed {
            &out.step.state
        } else {
            &prior
        };
        // A new thread whose event changed nothing has no record yet.
        let never_stored = prior == ThreadState::default() && !out.step.changed;
        if stored.as_ref() != Some(expected_stored) && !never_stored {
            fails.push(format!(
                "{at}: the stored state differs from the state the step returned"
            ));
        }
        if is_readonly(&t.event) && (out.step.changed || out.step.state != prior) {
            fails.push(format!("{at}: status/why/export changed the state"));
        }
        known.insert(t.thread.clone(), expected_stored.clone());
        let mut bad = String::new();
        for (line, exp) in &t.expects {
            if let Err(why) = check(exp, &seen) {
                let _ = write!(bad, "\n{name}:{line}: `< {exp}`\n    {why}");
            }
        }
        if !bad.is_empty() {
            let mut msg = format!("after `{}` ({at}):{bad}", first_line(&t.event));
            let _ = write!(
                msg,
                "\n  state now: mode={} phase={} awaiting={} missing={}",
                show(&seen.view["mode"]),
                show(&seen.view["phase"]),
                show(&seen.view["awaiting"]),
                show(&seen.view["missing"])
            );
            for (i, r) in seen.replies.iter().enumerate() {
                let short: String = r.chars().take(REPLY_SHOWN).collect();
                let more = if r.chars().count() > REPLY_SHOWN {
                    " […]"
                } else {
                    ""
                };
                let _ = write!(
                    msg,
                    "\n  reply {}: {}{more}",
                    i + 1,
                    short.replace('\n', "\n  | ")
                );
            }
            fails.push(msg);
        }
        // Coverage tags.
        let v = &seen.view;
        let mode = show(&v["mode"]);
        cov.tags.insert(mode.clone());
        cov.tags.insert(format!(
            "{mode}/{}/{}",
            show(&v["phase"]),
            show(&v["awaiting"])
        ));
        if let Some(eng) = out.step.state.engaged() {
            for a in &eng.audit {
                cov.tags.insert(format!(
                    "{}:{}",
                    eng.mode,
                    a.action.split(' ').take(2).collect::<Vec<_>>().join(" ")
                ));
            }
        }
        let mut view = seen.view.clone();
        view["replies"] = serde_json::to_value(&seen.replies).unwrap();
        trace.push(view.to_string());
    }
    (fails, trace)
}

fn first_line(ev: &Event) -> String {
    let cmd = ev
        .command
        .map(|c| format!("/{c:?} ").to_lowercase())
        .unwrap_or_default();
    let text: String = ev
        .text
        .as_deref()
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(80)
        .collect();
    format!("> {}: {cmd}{text}", ev.user)
}

fn transcripts() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(DIR)
        .expect("tests/transcripts exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
}

#[test]
fn transcripts_pass() {
    let files = transcripts();
    assert!(
        files.len() >= 20,
        "expected the transcript suite, found {} files",
        files.len()
    );
    let mut fails = Vec::new();
    let mut cov = Coverage::default();
    for f in &files {
        let name = f.display().to_string();
        let text = std::fs::read_to_string(f).expect("readable transcript");
        let items = match parse(&name, &text, Path::new(DIR)) {
            Ok(i) => i,
            Err(e) => {
                fails.push(e);
                continue;
            }
        };
        if !items
            .iter()
            .any(|i| matches!(i, Item::Turn(t) if !t.expects.is_empty()))
        {
            fails.push(format!("{name}: no expectations"));
        }
        let (f1, with_restarts) = run(&name, &items, true, &mut cov);
        fails.extend(f1);
        if items.iter().any(|i| matches!(i, Item::Restart(_))) {
            let (_, without) = run(&name, &items, false, &mut Coverage::default());
            if without != with_restarts {
                let at = with_restarts
                    .iter()
                    .zip(&without)
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                fails.push(format!(
                    "{name}: the outcome with restarts differs from the one without, at event {}:\n  with:    {}\n  without: {}",
                    at + 1,
                    with_restarts.get(at).map_or("", |s| &s[..s.len().min(400)]),
                    without.get(at).map_or("", |s| &s[..s.len().min(400)])
                ));
            }
        }
    }
    // Coverage: every routing mode, every gate of the full build, the final reaction.
    let want = [
        "full_build",
        "golden_paths",
        "portal",
        "delivery",
        "self_service_infra",
        "ai_ml",
        "measure",
        "concept",
        "out_of_scope",
        "unclear",
        "full_build/1/inputs",
        "full_build/1/confirmation",
        "full_build/2/confirmation",
        "full_build/3/confirmation",
        "full_build/4/reaction",
        "full_build:confirm phase",
        "full_build:correction existing_stack",
        "full_build:back to",
    ];
    for w in want {
        if !cov.tags.contains(w) {
            fails.push(format!("coverage: no transcript reaches {w:?}"));
        }
    }
    if !fails.is_empty() {
        panic!(
            "{} transcript failure(s):\n\n{}\n",
            fails.len(),
            fails.join("\n\n")
        );
    }
}

/// The runner itself must be able to fail: a wrong expectation is reported with its file and line.
#[test]
fn a_wrong_expectation_fails_with_file_and_line() {
    let text = "> alice: we want an IDP on EKS for 30 app teams\n< awaiting=confirmation\n< reply ~ (?i)question\n< input consumer_teams = 12 teams (message)\n";
    let items = parse("inline.txt", text, Path::new(DIR)).unwrap();
    let (fails, _) = run("inline.txt", &items, true, &mut Coverage::default());
    assert_eq!(fails.len(), 1, "{fails:#?}");
    assert!(
        fails[0].contains("\ninline.txt:2:") && fails[0].contains("want confirmation, got inputs")
    );
    assert!(fails[0].contains("\ninline.txt:4:") && fails[0].contains("30 app teams"));
    assert!(!fails[0].contains("inline.txt:3:"));
    assert!(parse("bad.txt", "< reply ~ x\n", Path::new(DIR))
        .unwrap_err()
        .starts_with("bad.txt:1:"));
    assert!(parse("bad.txt", "> alice /frobnicate\n", Path::new(DIR)).is_err());
}
