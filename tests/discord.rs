//! End-to-end tests of the Discord adapter: the real serenity client and poise framework against a
//! fake Discord on loopback (see `discord/fake.rs`). sled runs for real in a temporary directory.

#[path = "discord/fake.rs"]
mod fake;

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use fake::{
    custom_ids, posts, Fake, Req, ALICE, BOB, BOT, CAROL, CHANNEL, GUILD, MESSAGE_CONTENT,
    OTHER_BOT, WAIT,
};
use pavebot::config::Config;
use pavebot::discord::{start_with_store, Running};
use pavebot::store::SledStore;
use serde_json::Value;

const REQUEST: &str = "we want to build an internal developer platform on EKS for our app teams";
const ANSWERS: [(&str, &str); 5] = [
    ("consumer_teams", "30 app teams"),
    ("top_pain", "ticket-driven infra"),
    ("first_capabilities", "ship a service"),
    ("existing_stack", "argo cd, terraform"),
    ("constraints", "none"),
];

async fn boot(fake: &Fake, dir: &Path, nth: usize) -> Running {
    boot_with(fake, dir, nth, "").await
}

/// Boots the bot with extra `[discord]` settings (e.g. a channel allow-list).
async fn boot_with(fake: &Fake, dir: &Path, nth: usize, discord_extra: &str) -> Running {
    let user = format!(
        "data_dir = {:?}\n[discord]\nguilds = [{GUILD}]\nproxy = {:?}\n{discord_extra}\n",
        dir.display().to_string(),
        fake.base()
    );
    let cfg = Config::parse_layers(Some(("test.toml", &user)), &[]).unwrap();
    // A stopped bot releases sled asynchronously: retry the open for a bounded time.
    let mut store = None;
    for _ in 0..100 {
        match SledStore::open(dir) {
            Ok(s) => {
                store = Some(s);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let store = store.expect("the database is released");
    let running = start_with_store(&cfg, "fake-token", store, true)
        .await
        .unwrap();
    fake.wait_ready(nth).await;
    running
}

fn content(r: &Req) -> String {
    r.body["content"].as_str().unwrap_or("").to_string()
}

/// Every message-creating request carries empty allowed_mentions and no unescaped mass mention.
fn assert_no_pings(reqs: &[Req]) {
    for r in reqs {
        let creates = (r.method == "POST"
            && (r.path.ends_with("/messages") || r.path.starts_with("/webhooks/")))
            || (r.method == "POST" && r.path.ends_with("/callback") && r.body["type"] == 4);
        if !creates {
            continue;
        }
        let am = if r.path.ends_with("/callback") {
            &r.body["data"]["allowed_mentions"]
        } else {
            &r.body["allowed_mentions"]
        };
        assert_eq!(
            am["parse"],
            Value::Array(vec![]),
            "allowed_mentions in {r:?}"
        );
        assert_eq!(
            am["users"],
            Value::Array(vec![]),
            "allowed_mentions in {r:?}"
        );
        assert_eq!(
            am["roles"],
            Value::Array(vec![]),
            "allowed_mentions in {r:?}"
        );
        let text = r.raw.as_str();
        assert!(
            !text.contains("@everyone") && !text.contains("@here"),
            "unescaped mass mention in {r:?}"
        );
    }
}

/// Opens an engagement by mention; returns the thread id and the Phase 1 question message.
async fn open_engagement(fake: &Fake, text: &str) -> (u64, Req) {
    let m = fake.message(CHANNEL, ALICE, &format!("<@{BOT}> {text}"));
    fake.wait("the thread to be created", |r| {
        r.iter()
            .any(|q| {
                q.method == "POST" && q.path == format!("/channels/{CHANNEL}/messages/{m}/threads")
            })
            .then_some(())
    })
    .await;
    let q = fake
        .wait("the Phase 1 message in the thread", |r| {
            posts(r, m, 0)
                .into_iter()
                .find(|p| content(p).contains("before I choose any tool"))
        })
        .await;
    (m, q)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_mention_opens_thread_and_restart_continues() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = boot(&fake, dir.path(), 1).await;
    let (thread, q) = open_engagement(&fake, REQUEST).await;
    assert_eq!(custom_ids(&q.body), vec![format!("form:{thread}")]);
    // Nothing of the engagement was posted in the channel itself.
    assert!(posts(&fake.requests(), CHANNEL, 0).is_empty());
    bot.stop().await.unwrap();

    // A new client on the same sled directory continues the thread.
    let bot = boot(&fake, dir.path(), 2).await;
    let from = fake.requests().len();
    // Another bot's message in the thread is ignored; the owner's answers (no mention) are read.
    fake.message(thread, OTHER_BOT, "teams: 1 team");
    let text = "teams: 30 app teams\npain: ticket-driven infra\ncapabilities: ship a service\nstack: argo cd, terraform\nconstraints: none";
    fake.message(thread, ALICE, text);
    let gate = fake
        .wait("the Phase 1 gate after the restart", |r| {
            posts(r, thread, from)
                .into_iter()
                .find(|p| !custom_ids(&p.body).is_empty())
        })
        .await;
    assert!(
        content(&gate).contains("STOP: Phase 1 restated"),
        "{}",
        content(&gate)
    );
    assert!(
        content(&gate).contains("30 app teams"),
        "{}",
        content(&gate)
    );
    assert!(!content(&gate).contains("1 team,"), "{}", content(&gate));
    assert_eq!(
        custom_ids(&gate.body),
        vec![
            format!("gate:{thread}:1:confirm"),
            format!("gate:{thread}:1:revise")
        ]
    );
    assert_no_pings(&fake.requests());
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_slash_ask_is_deferred_and_answered() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = boot(&fake, dir.path(), 1).await;
    let tok = fake.slash(CHANNEL, BOB, "ask", &[("question", "what is kro?")]);
    let answer = fake
        .wait("the follow-up answer", |r| {
            r.iter()
                .position(|q| q.method == "POST" && q.path == format!("/webhooks/{BOT}/{tok}"))
        })
        .await;
    let reqs = fake.requests();
    let defer = reqs
        .iter()
        .position(|q| q.path.ends_with(&format!("/{tok}/callback")))
        .expect("a callback");
    assert_eq!(reqs[defer].body["type"], 5, "deferred first");
    assert!(defer < answer);
    let text = content(&reqs[answer]).to_lowercase();
    assert!(text.contains("kro"), "{text}");
    assert!(
        !reqs.iter().any(|q| q.path.ends_with("/threads")),
        "ask never opens a thread"
    );
    assert_no_pings(&reqs);

    // /eks plan opens the engagement thread from its starter follow-up and runs Phase 1 there.
    let tok = fake.slash(CHANNEL, ALICE, "plan", &[("request", REQUEST)]);
    let thread: u64 = fake
        .wait("the thread opened by /eks plan", |r| {
            r.iter().find_map(|q| {
                let rest = q
                    .path
                    .strip_prefix(&format!("/channels/{CHANNEL}/messages/"))?;
                (q.method == "POST").then_some(())?;
                rest.strip_suffix("/threads")?.parse().ok()
            })
        })
        .await;
    let reqs = fake.requests();
    let starter = reqs
        .iter()
        .position(|q| q.method == "POST" && q.path == format!("/webhooks/{BOT}/{tok}"))
        .expect("a starter follow-up");
    let defer = reqs
        .iter()
        .position(|q| q.path.ends_with(&format!("/{tok}/callback")))
        .unwrap();
    assert_eq!(reqs[defer].body["type"], 5);
    assert!(defer < starter);
    let q = fake
        .wait("Phase 1 in the /eks plan thread", |r| {
            posts(r, thread, 0)
                .into_iter()
                .find(|p| content(p).contains("before I choose any tool"))
        })
        .await;
    assert_eq!(custom_ids(&q.body), vec![format!("form:{thread}")]);
    assert_no_pings(&fake.requests());
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_modal_fills_phase1_and_only_owner_or_approver_confirms() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = boot(&fake, dir.path(), 1).await;
    let (thread, q) = open_engagement(&fake, REQUEST).await;

    // The form button opens a modal with one field per missing input.
    let form_id = format!("form:{thread}");
    let msg = fake.bot_message(thread, &q.body);
    let tok = fake.button(thread, ALICE, &msg, &form_id);
    let modal = fake
        .wait("the modal", |r| {
            r.iter()
                .find(|q| q.path.ends_with(&format!("/{tok}/callback")))
                .cloned()
        })
        .await;
    assert_eq!(modal.body["type"], 9);
    assert_eq!(modal.body["data"]["custom_id"], form_id.as_str());
    let fields: Vec<String> = modal.body["data"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row["components"][0]["custom_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(!fields.is_empty() && fields.len() <= 5, "{fields:?}");
    assert!(fields.contains(&"top_pain".to_string()), "{fields:?}");

    // Submitting it fills Phase 1 and opens the gate.
    let from = fake.requests().len();
    let answers: Vec<(&str, &str)> = ANSWERS
        .iter()
        .copied()
        .filter(|(k, _)| fields.iter().any(|f| f == k))
        .collect();
    let tok = fake.modal(thread, ALICE, &form_id, &answers);
    let gate = fake
        .wait("the Phase 1 gate", |r| {
            posts(r, thread, from)
                .into_iter()
                .find(|p| !custom_ids(&p.body).is_empty())
        })
        .await;
    assert!(
        content(&gate).contains("ticket-driven infra"),
        "{}",
        content(&gate)
    );
    let ack = fake
        .wait("the modal's acknowledgement", |r| {
            r.iter()
                .find(|q| q.path.ends_with(&format!("/{tok}/callback")))
                .cloned()
        })
        .await;
    assert_eq!(ack.body["type"], 6);
    let confirm = format!("gate:{thread}:1:confirm");
    assert!(custom_ids(&gate.body).contains(&confirm));

    // An outsider's press is refused privately and does not advance the gate.
    let gate_msg = fake.bot_message(thread, &gate.body);
    let tok = fake.button(thread, BOB, &gate_msg, &confirm);
    let denial = fake
        .wait("the outsider's ephemeral denial", |r| {
            r.iter()
                .find(|q| q.path.ends_with(&format!("/{tok}/callback")))
                .cloned()
        })
        .await;
    assert_eq!(denial.body["type"], 4, "answered at once: {denial:?}");
    assert_eq!(
        denial.body["data"]["flags"].as_u64().unwrap_or(0) & 64,
        64,
        "ephemeral"
    );
    assert!(
        denial.body["data"]["content"]
            .as_str()
            .unwrap_or("")
            .contains("alice"),
        "{denial:?}"
    );
    let phase2 = |r: &[Req]| {
        posts(r, thread, from)
            .into_iter()
            .find(|p| content(p).contains("Phase 2"))
    };
    assert!(
        phase2(&fake.requests()).is_none(),
        "outsider advanced the gate"
    );

    // An approver's press advances it.
    let tok = fake.button(thread, CAROL, &gate_msg, &confirm);
    let p2 = fake
        .wait("Phase 2 after the approver confirms", phase2)
        .await;
    assert!(
        content(&p2).contains("confirmed by carol"),
        "{}",
        content(&p2)
    );
    // The confirmed gate's buttons are disabled in the same answer (an update of the message).
    let update = fake
        .wait("the press is answered", |r| {
            r.iter()
                .find(|q| q.path.ends_with(&format!("/{tok}/callback")))
                .cloned()
        })
        .await;
    assert_eq!(update.body["type"], 7, "{update:?}");
    assert_eq!(update.body["data"]["components"], Value::Array(vec![]));
    // A second press on the old gate is refused privately, and nothing is said in the thread.
    let p2 = format!("gate:{thread}:2:confirm");
    fake.wait("the whole of Phase 2", |r| {
        posts(r, thread, 0)
            .into_iter()
            .find(|p| custom_ids(&p.body).contains(&p2))
    })
    .await;
    let before = posts(&fake.requests(), thread, 0).len();
    let tok = fake.button(thread, ALICE, &gate_msg, &confirm);
    let stale = fake
        .wait("the stale-gate notice", |r| {
            r.iter()
                .find(|q| q.path.ends_with(&format!("/{tok}/callback")))
                .cloned()
        })
        .await;
    assert_eq!(stale.body["data"]["flags"].as_u64().unwrap_or(0) & 64, 64);
    let said = stale.body["data"]["content"].as_str().unwrap_or("");
    assert!(said.contains("no longer open"), "{said}");
    assert_eq!(posts(&fake.requests(), thread, 0).len(), before);
    // No public typing for a press.
    assert!(!fake
        .requests()
        .iter()
        .any(|q| q.path == format!("/channels/{thread}/typing")));
    assert_no_pings(&fake.requests());
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_long_plan_is_split_and_everyone_never_pings() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = boot(&fake, dir.path(), 1).await;
    let (thread, _) = open_engagement(&fake, &format!("@everyone @here {REQUEST}")).await;
    // The answers come in an attached architecture document (downloaded from the fake's file route).
    let doc = "teams: 30 app teams @everyone\npain: ticket-driven infra\ncapabilities: ship a service\nstack: argo cd, terraform\nconstraints: none\n";
    let url = fake.serve_file("architecture.md", doc);
    let att = serde_json::json!({"attachments": [{"id": "1", "filename": "architecture.md",
        "size": doc.len(), "url": url, "proxy_url": url, "content_type": "text/markdown"}]});
    fake.message_with(thread, ALICE, "here is our architecture doc", att);
    fake.wait("the Phase 1 gate", |r| {
        posts(r, thread, 0)
            .into_iter()
            .find(|p| content(p).contains("STOP: Phase 1"))
    })
    .await;
    let from = fake.requests().len();
    fake.message(thread, ALICE, "confirm");
    let p2 = fake
        .wait("the Phase 2 gate", |r| {
            posts(r, thread, from)
                .into_iter()
                .find(|p| custom_ids(&p.body).contains(&format!("gate:{thread}:2:confirm")))
        })
        .await;
    let _ = p2;
    let burst = posts(&fake.requests(), thread, from);
    assert!(
        burst.len() >= 2,
        "Phase 2 is long enough to need several messages"
    );
    let total: usize = burst.iter().map(|p| content(p).chars().count()).sum();
    assert!(total > 2000, "{total}");
    for p in &burst {
        let n = content(p).chars().count();
        assert!(n > 0 && n <= 2000, "{n}");
    }

    // /eks export attaches the plan as a Markdown file.
    let tok = fake.slash(thread, ALICE, "export", &[]);
    let file = fake
        .wait("the exported file", |r| {
            r.iter()
                .find(|q| q.path == format!("/webhooks/{BOT}/{tok}") && q.raw.contains("filename="))
                .cloned()
        })
        .await;
    assert!(
        file.raw.contains(".md\""),
        "a Markdown file: {}",
        &file.raw[..file.raw.len().min(600)]
    );
    assert!(
        file.raw.contains("ticket-driven infra"),
        "the plan is in the file"
    );
    assert_no_pings(&fake.requests());
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_serves_only_the_configured_channels() {
    const OTHER_CHANNEL: u64 = 900_777;
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = boot_with(&fake, dir.path(), 1, &format!("channels = [{CHANNEL}]")).await;
    // A mention in a channel outside the allow-list is ignored...
    let ignored = fake.message(OTHER_CHANNEL, ALICE, &format!("<@{BOT}> {REQUEST}"));
    // ...while the same mention in the served channel opens its engagement thread.
    let (served, _) = open_engagement(&fake, REQUEST).await;
    assert_ne!(ignored, served);
    // By now the served mention has been fully handled; nothing answered the other channel.
    let reqs = fake.requests();
    assert!(
        !reqs.iter().any(|r| r.path.contains(&ignored.to_string())
            || r.path.contains(&format!("/channels/{OTHER_CHANNEL}/"))),
        "the bot answered a channel it does not serve: {:?}",
        reqs.iter().map(|r| r.path.clone()).collect::<Vec<_>>()
    );
    bot.stop().await.unwrap();
}

// ------------------------------------------------------------------ the real binary

/// The real `pavebot discord` process against the fake, killed if the test fails before it ends.
struct Proc {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Proc {
    fn spawn(fake: &Fake, dir: &Path) -> Proc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pavebot"));
        // Keep the user's own configuration and proxies out of the child: it talks to loopback only.
        for (k, _) in std::env::vars() {
            let lower = k.to_ascii_lowercase();
            if k.starts_with("PAVEBOT_") || lower.ends_with("_proxy") || k == "DISCORD_TOKEN" {
                cmd.env_remove(&k);
            }
        }
        let mut child = cmd
            .arg("discord")
            .current_dir(dir)
            .env("DISCORD_TOKEN", "fake")
            .env("PAVEBOT_DISCORD_PROXY", fake.base())
            .env("PAVEBOT_DISCORD_GUILDS", GUILD.to_string())
            .env("PAVEBOT_DATA_DIR", dir.join("data"))
            .env("RUST_LOG", "warn,pavebot=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pavebot starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Proc { child, stderr }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until the process logged `text`; panics after [`WAIT`].
    async fn wait_log(&mut self, text: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.stderr().contains(text) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "pavebot exited ({status}) before logging {text:?}:\n{}",
                    self.stderr()
                );
            }
            if tokio::time::Instant::now() > deadline {
                panic!("timed out waiting for the log {text:?}:\n{}", self.stderr());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Waits until the process has identified `n` times and registered its commands; fails at once
    /// (with its log) if it exits first, and after [`WAIT`] otherwise.
    async fn wait_ready(&mut self, fake: &Fake, n: usize) {
        let exited = async {
            loop {
                if let Ok(Some(status)) = self.child.try_wait() {
                    return status;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        };
        tokio::select! {
            _ = fake.wait_ready(n) => {}
            status = exited => panic!("pavebot exited ({status}) before READY:\n{}", self.stderr()),
        }
    }

    /// Sends SIGTERM and waits for the exit; panics after [`WAIT`].
    async fn terminate(&mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM failed");
        wait_exit(&mut self.child).await
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("waitpid") {
            return status;
        }
        if tokio::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not exit within {WAIT:?}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// `pavebot inspect --db DIR THREAD`: the thread's stored state.
async fn inspect(db: &Path, thread: u64) -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pavebot"))
        .args(["inspect", "--db"])
        .arg(db)
        .arg(thread.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pavebot inspect starts");
    let status = wait_exit(&mut child).await;
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.success(),
        "inspect failed: {status}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).expect("inspect prints JSON")
}

fn intents_of(identify: &Value) -> u64 {
    identify["intents"].as_u64().expect("intents in IDENTIFY")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_without_message_content_falls_back_to_mentions_only() {
    let fake = Fake::start().await;
    fake.deny_message_content();
    let dir = tempfile::tempdir().unwrap();
    let mut bot = Proc::spawn(&fake, dir.path());
    bot.wait_ready(&fake, 1).await;

    // The first IDENTIFY asked for MESSAGE_CONTENT and was refused; the bot said so and came back
    // without it (still with the guild and message intents).
    let refused = fake.refused_identifies();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_ne!(intents_of(&refused[0]) & MESSAGE_CONTENT, 0);
    let accepted = fake.identify_payloads();
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    let intents = intents_of(&accepted[0]);
    assert_eq!(
        intents & MESSAGE_CONTENT,
        0,
        "reconnected with {intents:#x}"
    );
    let wanted = intents_of(&refused[0]) & !MESSAGE_CONTENT;
    assert_eq!(intents, wanted, "only MESSAGE_CONTENT was dropped");
    bot.wait_log("Falling back to mentions only").await;
    bot.wait_log("reading mentions only").await;
    bot.wait_log("pavebot is ready").await;

    // A mention still opens an engagement thread.
    let (thread, _) = open_engagement(&fake, REQUEST).await;
    let from = fake.requests().len();
    // A plain message in the thread reaches the bot without its content (the fake blanks it, as
    // Discord does): it is not an answer. A message that mentions the bot is read.
    fake.message(thread, ALICE, "teams: 1 team\npain: none");
    let answers = "teams: 30 app teams\npain: ticket-driven infra\ncapabilities: ship a service\nstack: argo cd, terraform\nconstraints: none";
    fake.message(thread, ALICE, &format!("<@{BOT}> {answers}"));
    let gate = fake
        .wait("the Phase 1 gate after a mention in the thread", |r| {
            posts(r, thread, from)
                .into_iter()
                .find(|p| !custom_ids(&p.body).is_empty())
        })
        .await;
    assert!(
        content(&gate).contains("STOP: Phase 1 restated"),
        "{}",
        content(&gate)
    );
    assert!(
        content(&gate).contains("30 app teams"),
        "{}",
        content(&gate)
    );

    // After a clean stop every event in flight is finished: the only thing the bot said in the
    // thread since the Phase 1 questions is its answer to the mention.
    let status = bot.terminate().await;
    assert!(status.success(), "{status}\n{}", bot.stderr());
    let said: Vec<String> = posts(&fake.requests(), thread, from)
        .iter()
        .map(content)
        .collect();
    assert_eq!(said, vec![content(&gate)], "the plain message was answered");
    assert_no_pings(&fake.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_process_stops_cleanly_on_sigterm_with_state_on_disk() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bot = Proc::spawn(&fake, dir.path());
    bot.wait_ready(&fake, 1).await;
    let accepted = fake.identify_payloads();
    assert_ne!(intents_of(&accepted[0]) & MESSAGE_CONTENT, 0);
    let (thread, _) = open_engagement(&fake, REQUEST).await;

    let status = bot.terminate().await;
    assert!(status.success(), "exit status {status}\n{}", bot.stderr());
    assert_eq!(status.code(), Some(0));
    assert!(bot.stderr().contains("stopped cleanly"), "{}", bot.stderr());

    // The engagement is on disk under the thread's key and readable by another process.
    let state = inspect(&dir.path().join("data"), thread).await;
    assert!(state["turn"].as_u64().unwrap_or(0) >= 1, "{state}");
    let engagement = &state["engagement"];
    assert!(engagement.is_object(), "no engagement stored: {state}");
    assert_eq!(engagement["owner"], "alice", "{engagement}");
    assert_eq!(engagement["phase"], 1, "{engagement}");
    assert_eq!(engagement["awaiting"], "inputs", "{engagement}");
    assert_eq!(engagement["mode"], "full_build", "{engagement}");
}

// ------------------------------------------------------------------ one gate per confirmation

const PHASE1_ANSWERS: &str = "teams: 30 app teams\npain: ticket-driven infra\ncapabilities: ship a service\nstack: argo cd, terraform\nconstraints: none";

/// Opens `n` engagements one after the other and brings each to its Phase 1 gate; returns each
/// thread with its gate message (as a button press would carry it).
async fn threads_at_gate1(fake: &Fake, n: usize) -> Vec<(u64, Value)> {
    let mut threads = Vec::new();
    for _ in 0..n {
        let (t, _) = open_engagement(fake, REQUEST).await;
        threads.push(t);
    }
    for &t in &threads {
        fake.message(t, ALICE, PHASE1_ANSWERS);
    }
    let mut out = Vec::new();
    for &t in &threads {
        let confirm = format!("gate:{t}:1:confirm");
        let gate = fake
            .wait("a Phase 1 gate", |r| {
                posts(r, t, 0)
                    .into_iter()
                    .find(|p| custom_ids(&p.body).contains(&confirm))
            })
            .await;
        out.push((t, fake.bot_message(t, &gate.body)));
    }
    out
}

/// True when a request is a refusal of a stale confirmation (a private answer or a post).
fn is_stale_notice(r: &Req) -> bool {
    let c = format!(
        "{} {}",
        content(r),
        r.body["data"]["content"].as_str().unwrap_or("")
    );
    c.contains("already closed") || c.contains("no longer open")
}

/// Waits until every thread shows its Phase 2 gate and one refused confirmation, then checks that
/// no thread went past Phase 2: exactly one gate opened per thread.
async fn exactly_one_gate_each(fake: &Fake, threads: &[(u64, Vec<String>)]) {
    for (t, tokens) in threads {
        let p2 = format!("gate:{t}:2:confirm");
        fake.wait("the Phase 2 gate", |r| {
            posts(r, *t, 0)
                .into_iter()
                .find(|p| custom_ids(&p.body).contains(&p2))
        })
        .await;
        fake.wait("the refusal of the second confirmation", |r| {
            r.iter()
                .find(|q| {
                    let ours = (q.path == format!("/channels/{t}/messages") && q.created)
                        || tokens
                            .iter()
                            .any(|tok| q.path.ends_with(&format!("/{tok}/callback")));
                    ours && is_stale_notice(q)
                })
                .map(|_| ())
        })
        .await;
    }
    let reqs = fake.requests();
    for (t, _) in threads {
        let gates: Vec<Vec<String>> = posts(&reqs, *t, 0)
            .iter()
            .map(|p| custom_ids(&p.body))
            .filter(|ids| !ids.is_empty())
            .collect();
        let p2 = gates
            .iter()
            .filter(|ids| ids.contains(&format!("gate:{t}:2:confirm")))
            .count();
        assert_eq!(p2, 1, "thread {t}: Phase 2 gate shown {p2} times");
        assert!(
            !gates
                .iter()
                .flatten()
                .any(|id| id.starts_with(&format!("gate:{t}:3:"))),
            "thread {t} passed two gates: {gates:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_two_confirmations_at_once_pass_one_gate() {
    const RUNS: usize = 50;
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = boot(&fake, dir.path(), 1).await;

    // Confirm pressed twice at the same instant, in 50 threads at once.
    let gates = threads_at_gate1(&fake, RUNS).await;
    let mut pressed = Vec::new();
    for (t, msg) in &gates {
        let confirm = format!("gate:{t}:1:confirm");
        let a = fake.button(*t, ALICE, msg, &confirm);
        let b = fake.button(*t, ALICE, msg, &confirm);
        pressed.push((*t, vec![a, b]));
    }
    exactly_one_gate_each(&fake, &pressed).await;

    // "yes" typed while a Confirm press is in flight, in 50 other threads.
    let gates = threads_at_gate1(&fake, RUNS).await;
    let mut pressed = Vec::new();
    for (t, msg) in &gates {
        let a = fake.button(*t, ALICE, msg, &format!("gate:{t}:1:confirm"));
        fake.message(*t, ALICE, "yes");
        pressed.push((*t, vec![a]));
    }
    exactly_one_gate_each(&fake, &pressed).await;
    assert_no_pings(&fake.requests());
    bot.stop().await.unwrap();
}

// ------------------------------------------------------------------ Discord under real conditions

/// Brings a new engagement to its Phase 1 gate by typed answers; returns the thread.
async fn at_gate1(fake: &Fake) -> u64 {
    let (t, _) = open_engagement(fake, REQUEST).await;
    fake.message(t, ALICE, PHASE1_ANSWERS);
    let confirm = format!("gate:{t}:1:confirm");
    fake.wait("the Phase 1 gate", |r| {
        posts(r, t, 0)
            .into_iter()
            .find(|p| custom_ids(&p.body).contains(&confirm))
    })
    .await;
    t
}

/// The outbox nonce of a post (`<seq>.<index>`), split.
fn nonce(r: &Req) -> Option<(u64, u64)> {
    let n = r.body["nonce"].as_str()?;
    let (a, b) = n.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_429_and_500_are_retried_and_the_reply_arrives_once() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = boot(&fake, dir.path(), 1).await;
    let (thread, _) = open_engagement(&fake, REQUEST).await;
    let path = format!("/channels/{thread}/messages");
    // The next post in the thread is rate limited (Retry-After 0.3 s), the one after fails with 500.
    fake.fail_next("POST", &path, 429, Some(0.3), 1);
    fake.fail_next("POST", &path, 500, None, 1);
    let from = fake.requests().len();
    fake.message(thread, ALICE, PHASE1_ANSWERS);
    let confirm = format!("gate:{thread}:1:confirm");
    let gate = fake
        .wait("the Phase 1 gate despite 429 and 500", |r| {
            posts(r, thread, from)
                .into_iter()
                .find(|p| custom_ids(&p.body).contains(&confirm))
        })
        .await;
    let reqs: Vec<Req> = fake.requests()[from..]
        .iter()
        .filter(|q| q.method == "POST" && q.path == path)
        .cloned()
        .collect();
    let statuses: Vec<u16> = reqs.iter().map(|q| q.status).collect();
    assert_eq!(&statuses[..3], &[429, 500, 200], "{statuses:?}");
    // Retry-After was honoured (serenity's own limiter is off: the tests run through `proxy`).
    let waited = reqs[1].at - reqs[0].at;
    assert!(
        waited >= std::time::Duration::from_millis(290),
        "{waited:?}"
    );
    // The same message each time (same nonce), delivered once.
    assert_eq!(nonce(&reqs[0]), nonce(&reqs[2]));
    let same: Vec<&Req> = posts(&fake.requests(), thread, from)
        .iter()
        .filter(|p| content(p) == content(&gate))
        .map(|_| &reqs[2])
        .collect();
    assert_eq!(same.len(), 1, "the reply arrived {} times", same.len());
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_slow_rest_with_two_users_does_not_interleave_replies() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = boot(&fake, dir.path(), 1).await;
    let thread = at_gate1(&fake).await;
    fake.set_latency(std::time::Duration::from_millis(120));
    let from = fake.requests().len();
    // Alice confirms (Phase 2 is several messages) and Bob writes at the same moment.
    fake.message(thread, ALICE, "confirm");
    fake.message(thread, BOB, "what is kro?");
    let p2 = format!("gate:{thread}:2:confirm");
    fake.wait("Phase 2 and Bob's answer", |r| {
        let ps = posts(r, thread, from);
        let mut seqs: Vec<u64> = ps.iter().filter_map(|p| nonce(p).map(|n| n.0)).collect();
        seqs.dedup();
        (ps.iter().any(|p| custom_ids(&p.body).contains(&p2)) && seqs.len() >= 2).then_some(())
    })
    .await;
    let ps = posts(&fake.requests(), thread, from);
    let order: Vec<(u64, u64)> = ps.iter().filter_map(nonce).collect();
    assert_eq!(order.len(), ps.len(), "every post carries its outbox nonce");
    // Each step's messages are contiguous and in order: the sequence never goes back.
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "replies interleaved: {order:?}");
    let longest = order
        .iter()
        .map(|(s, _)| order.iter().filter(|(x, _)| x == s).count())
        .max()
        .unwrap_or(0);
    assert!(longest >= 2, "Phase 2 is several messages: {order:?}");
    fake.set_latency(std::time::Duration::ZERO);
    bot.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_export_posts_once_refusals_and_details_are_private_and_closed_gates_lose_buttons()
{
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = boot(&fake, dir.path(), 1).await;
    let thread = at_gate1(&fake).await;
    let gate1 = posts(&fake.requests(), thread, 0)
        .into_iter()
        .rev()
        .find(|p| !custom_ids(&p.body).is_empty())
        .unwrap();
    // A gate confirmed by typing loses its buttons too.
    let from = fake.requests().len();
    fake.message(thread, ALICE, "confirm");
    let p2 = format!("gate:{thread}:2:confirm");
    fake.wait("the Phase 2 gate", |r| {
        posts(r, thread, from)
            .into_iter()
            .find(|p| custom_ids(&p.body).contains(&p2))
    })
    .await;
    fake.wait("the Phase 1 gate's buttons removed", |r| {
        r[from..]
            .iter()
            .find(|q| {
                q.method == "PATCH"
                    && q.path.starts_with(&format!("/channels/{thread}/messages/"))
                    && q.body["components"] == Value::Array(vec![])
            })
            .map(|_| ())
    })
    .await;
    let _ = gate1;

    // Refusals and status are private and never show a public "thinking".
    for (who, sub, opts) in [
        (BOB, "reset", vec![]),
        (ALICE, "status", vec![]),
        (ALICE, "why", vec![]),
        (BOB, "back", vec![]),
    ] {
        let tok = fake.slash(thread, who, sub, &opts);
        let answer = fake
            .wait("a private answer", |r| {
                r.iter()
                    .find(|q| q.path.ends_with(&format!("/{tok}/callback")))
                    .cloned()
            })
            .await;
        assert_eq!(answer.body["type"], 4, "/eks {sub}: {answer:?}");
        assert_eq!(
            answer.body["data"]["flags"].as_u64().unwrap_or(0) & 64,
            64,
            "/eks {sub} is private"
        );
        let said = answer.body["data"]["content"].as_str().unwrap_or("");
        assert!(!said.is_empty(), "/eks {sub} says something");
        if sub == "status" {
            assert!(said.contains("Phase 2 of"), "{said}");
            assert!(!said.contains("->"), "{said}");
        }
    }

    // Details: private, as several messages that each start at a heading or a bullet (none is cut),
    // with nothing posted in the thread.
    let from = fake.requests().len();
    let tok = fake.slash(thread, BOB, "details", &[]);
    let hook = format!("/webhooks/{BOT}/{tok}");
    let first = fake
        .wait("the private details", |r| {
            r.iter()
                .find(|q| q.path.ends_with(&format!("/{tok}/callback")))
                .cloned()
        })
        .await;
    assert_eq!(first.body["type"], 4, "{first:?}");
    let rest = fake
        .wait("the rest of the details", |r| {
            let hooks: Vec<Req> = r.iter().filter(|q| q.path == hook).cloned().collect();
            // The detail section ends with the adoption signals.
            hooks
                .iter()
                .any(|q| content(q).contains("Adoption"))
                .then_some(hooks)
        })
        .await;
    let mut parts = vec![first.body["data"].clone()];
    parts.extend(rest.iter().map(|q| q.body.clone()));
    assert!(parts.len() >= 2, "details comes in several messages");
    for p in &parts {
        assert_eq!(p["flags"].as_u64().unwrap_or(0) & 64, 64, "private: {p}");
        let text = p["content"].as_str().unwrap_or("");
        assert!(!text.is_empty() && text.chars().count() <= 2000, "{text}");
        let head = text.lines().next().unwrap_or("");
        assert!(
            ["## ", "**", "- ", "  "]
                .iter()
                .any(|s| head.starts_with(s))
                || head.chars().next().is_some_and(|c| c.is_ascii_digit()),
            "a message starts inside a bullet: {head:?}"
        );
    }
    let all: Vec<&str> = parts.iter().filter_map(|p| p["content"].as_str()).collect();
    assert!(all[0].starts_with("## "), "{}", all[0]);
    assert!(
        posts(&fake.requests(), thread, from).is_empty(),
        "details posts nothing in the thread"
    );

    // Export: one message, the document with one line.
    let tok = fake.slash(thread, ALICE, "export", &[]);
    let file = fake
        .wait("the exported file", |r| {
            r.iter()
                .find(|q| q.path == format!("/webhooks/{BOT}/{tok}") && q.raw.contains("filename="))
                .cloned()
        })
        .await;
    assert!(!content(&file).is_empty(), "the line goes with the file");
    // Let anything else the export might post arrive, then count.
    bot.stop().await.unwrap();
    let sent = fake
        .requests()
        .iter()
        .filter(|q| q.path == format!("/webhooks/{BOT}/{tok}"))
        .count();
    assert_eq!(sent, 1, "export posted {sent} messages");
    assert_no_pings(&fake.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_killed_between_the_state_write_and_the_post_delivers_once_after_restart() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bot = Proc::spawn(&fake, dir.path());
    bot.wait_ready(&fake, 1).await;
    let (thread, _) = open_engagement(&fake, REQUEST).await;

    // 1. Discord never answers (5xx) until the process is killed: nothing was accepted.
    let path = format!("/channels/{thread}/messages");
    fake.fail_next("POST", &path, 503, None, 10_000);
    let from = fake.requests().len();
    fake.message(thread, ALICE, PHASE1_ANSWERS);
    fake.wait("a failed post of the gate", |r| {
        r[from..]
            .iter()
            .find(|q| q.path == path && q.status == 503)
            .map(|_| ())
    })
    .await;
    bot.child.kill().unwrap();
    wait_exit(&mut bot.child).await;
    fake.clear_faults();
    let pending = inspect(&dir.path().join("data"), thread).await;
    assert_eq!(
        pending["engagement"]["awaiting"], "confirmation",
        "{pending}"
    );
    assert!(
        pending["pending_outbox"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "the reply is pending: {pending}"
    );

    // 2. Restart: the pending reply is delivered, once.
    let mut bot = Proc::spawn(&fake, dir.path());
    bot.wait_ready(&fake, 2).await;
    let confirm = format!("gate:{thread}:1:confirm");
    let gate = fake
        .wait("the gate after the restart", |r| {
            posts(r, thread, from)
                .into_iter()
                .find(|p| custom_ids(&p.body).contains(&confirm))
        })
        .await;

    // 3. Discord accepts the next post but the process dies before it hears so: after a restart
    //    the same nonce is sent again and Discord (like the fake) does not post it twice.
    fake.hold_posts(true);
    let from2 = fake.requests().len();
    fake.message(thread, ALICE, "confirm");
    fake.wait("an accepted but unanswered post", |r| {
        r[from2..]
            .iter()
            .find(|q| q.path == path && q.created)
            .map(|_| ())
    })
    .await;
    bot.child.kill().unwrap();
    wait_exit(&mut bot.child).await;
    fake.hold_posts(false);
    let mut bot = Proc::spawn(&fake, dir.path());
    bot.wait_ready(&fake, 3).await;
    let p2 = format!("gate:{thread}:2:confirm");
    fake.wait("Phase 2 after the second restart", |r| {
        posts(r, thread, from2)
            .into_iter()
            .find(|p| custom_ids(&p.body).contains(&p2))
    })
    .await;
    let status = bot.terminate().await;
    assert!(status.success(), "{status}\n{}", bot.stderr());

    let all = fake.requests();
    let ps = posts(&all, thread, from);
    let gates = ps.iter().filter(|p| content(p) == content(&gate)).count();
    assert_eq!(gates, 1, "the Phase 1 gate was posted {gates} times");
    let mut nonces: Vec<(u64, u64)> = ps.iter().filter_map(nonce).collect();
    let n = nonces.len();
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), n, "a reply was posted twice");
    assert!(
        all[from2..]
            .iter()
            .any(|q| q.path == path && q.status == 200 && !q.created),
        "the accepted post was sent again and recognised by its nonce"
    );
    let after = inspect(&dir.path().join("data"), thread).await;
    assert_eq!(after["pending_outbox"], Value::Null, "{after}");
    assert!(after["engagement"].is_object(), "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_a_refused_post_is_dropped_once_and_the_thread_is_told() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = boot(&fake, dir.path(), 1).await;
    let (thread, _) = open_engagement(&fake, REQUEST).await;
    let path = format!("/channels/{thread}/messages");
    // Discord refuses the next post for good (400): it is not retried, and the thread hears of it.
    fake.fail_next("POST", &path, 400, None, 1);
    let from = fake.requests().len();
    fake.message(thread, ALICE, PHASE1_ANSWERS);
    let notice = fake
        .wait("the notice of a refused reply", |r| {
            posts(r, thread, from)
                .into_iter()
                .find(|p| content(p).contains("could not be posted"))
        })
        .await;
    let tries: Vec<u16> = fake.requests()[from..]
        .iter()
        .filter(|q| q.method == "POST" && q.path == path)
        .map(|q| q.status)
        .collect();
    assert_eq!(tries.first(), Some(&400), "{tries:?}");
    assert_eq!(
        tries.iter().filter(|s| **s == 400).count(),
        1,
        "a permanent failure is not retried: {tries:?}"
    );
    assert!(!content(&notice).contains('<'), "{}", content(&notice));
    // The thread goes on: the next step is delivered normally.
    let from = fake.requests().len();
    fake.message(thread, ALICE, "status");
    fake.wait("the next reply", |r| {
        posts(r, thread, from).into_iter().next()
    })
    .await;
    bot.stop().await.unwrap();
}
