//! Delivery of a step's public replies: the outbox entry, and the per-thread workers that post it.
//!
//! A step's public replies become one [`Entry`], which the dispatcher writes in the same sled write as
//! the step's new state. A worker per conversation key then posts the entries of that key in order
//! (one step's messages never interleave with another step's in the same thread; different threads do
//! not wait for each other), records its progress after every message Discord accepted and removes the
//! entry once everything is posted. After a restart the pending entries are delivered again, from where
//! they stopped; every channel message carries a nonce Discord enforces (`enforce_nonce`), so a message
//! Discord accepted just before the process died is not posted twice.
//!
//! Failures: a 429 waits for its `Retry-After` (header, else body) and retries; 5xx and network errors
//! retry with exponential backoff (0.25 s doubling, at most 8 s per wait) up to [`MAX_ATTEMPTS`] times,
//! after which the entry stays pending and the thread is tried again later; any other 4xx is
//! permanent: the message is dropped with a log line naming the thread, the step and the reason, and
//! the user is told in the thread when the thread still accepts messages. Bursts are paced by
//! Discord's own rate-limit headers: when a channel's bucket is empty (`X-RateLimit-Remaining: 0`) the
//! next post waits `X-RateLimit-Reset-After`. Every REST call here goes through this module's client,
//! so this holds whether or not serenity's own limiter runs (the `proxy` setting turns it off).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tracing::{error, info, warn};

use super::map::{self, Button, CustomId};
use crate::serial::Dispatcher;

/// Attempts for one request before the entry is left for a later round (5xx and network errors).
pub const MAX_ATTEMPTS: u32 = 6;
/// Waits for 429s on one request before it counts as a failed attempt round.
const MAX_RATE_LIMITED: u32 = 20;
/// Interaction tokens are valid for 15 minutes; follow-ups are not tried after this.
const TOKEN_TTL_SECS: u64 = 14 * 60;
/// When an entry could not be delivered, the thread is tried again after this.
const RETRY_LATER: Duration = Duration::from_secs(20);

/// One public item of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// Open a public thread and post the rest in it.
    OpenThread {
        /// Its name.
        name: String,
    },
    /// A message, with buttons.
    Send {
        /// The content.
        text: String,
        /// Buttons.
        buttons: Vec<Button>,
    },
    /// A Markdown file with one line.
    File {
        /// The line.
        note: String,
        /// File name.
        filename: String,
        /// The Markdown.
        markdown: String,
    },
}

/// An interaction whose token may carry the first messages (a deferred slash command).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Followup {
    /// The interaction token.
    pub token: String,
    /// When the interaction arrived (Unix seconds).
    pub at: u64,
}

/// One step's public replies, as stored in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Where the messages go (a thread, or the channel of a mention).
    pub channel: u64,
    /// The parent channel a new thread opens in.
    pub parent: u64,
    /// The user's message that a new thread opens from (a mention).
    pub anchor: Option<u64>,
    /// The interaction whose follow-ups carry the messages, while its token is valid.
    pub followup: Option<Followup>,
    /// The step (the thread's turn) for log lines.
    pub turn: u64,
    /// The gate open after the step (older gate buttons are retired).
    pub gate: Option<u8>,
    /// The thread still waits for Phase 1 inputs (the form button stays).
    pub form: bool,
    /// Items already posted (their nonces are `<seq>.<index>`).
    pub done: usize,
    /// Everything to post.
    pub items: Vec<Item>,
    /// Thread-name auto-archive minutes.
    pub archive: u16,
}

impl Entry {
    /// Encodes for the store.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes a stored entry.
    pub fn decode(b: &[u8]) -> Option<Entry> {
        serde_json::from_slice(b).ok()
    }
}

/// Unix seconds now.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Why a REST call failed.
#[derive(Debug)]
pub enum Failure {
    /// Discord refused it for good (a 4xx other than 429).
    Permanent {
        /// The status.
        status: u16,
        /// Discord's message.
        reason: String,
    },
    /// Retries ran out (5xx, network errors, rate limits).
    Transient(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Permanent { status, reason } => write!(f, "HTTP {status}: {reason}"),
            Failure::Transient(r) => write!(f, "{r}"),
        }
    }
}

/// A request body.
pub enum Body {
    /// JSON.
    Json(Value),
    /// `payload_json` plus one file.
    File {
        /// The JSON part.
        payload: Value,
        /// File name.
        filename: String,
        /// Bytes.
        bytes: Vec<u8>,
    },
    /// No body.
    Empty,
}

/// Discord's REST API, with retries and pacing.
pub struct Rest {
    client: reqwest::Client,
    base: String,
    auth: String,
    app: AtomicU64,
    /// Per route: not before this instant (an empty rate-limit bucket).
    paced: Mutex<HashMap<String, Instant>>,
}

impl Rest {
    /// A client for `base` (`https://discord.com`, or the configured proxy).
    pub fn new(base: &str, token: &str) -> Rest {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        let token = token.trim();
        let auth = if token.starts_with("Bot ") {
            token.to_string()
        } else {
            format!("Bot {token}")
        };
        Rest {
            client,
            base: base.trim_end_matches('/').to_string(),
            auth,
            app: AtomicU64::new(0),
            paced: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the application id (from READY), which follow-ups need.
    pub fn set_application(&self, id: u64) {
        self.app.store(id, Ordering::SeqCst);
    }

    fn application(&self) -> u64 {
        self.app.load(Ordering::SeqCst)
    }

    /// One call with the retry policy. `what` names the call in log lines (thread, step).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Body,
        what: &str,
    ) -> Result<Value, Failure> {
        let url = format!("{}/api/v10{path}", self.base);
        let route = path.to_string();
        let mut attempts = 0u32;
        let mut limited = 0u32;
        loop {
            let wait = {
                let m = self.paced.lock().unwrap_or_else(|p| p.into_inner());
                m.get(&route)
                    .map(|t| t.saturating_duration_since(Instant::now()))
            };
            if let Some(w) = wait.filter(|w| !w.is_zero()) {
                tokio::time::sleep(w).await;
            }
            let mut req = self
                .client
                .request(method.clone(), &url)
                .header("Authorization", &self.auth);
            req = match body {
                Body::Json(v) => req
                    .header("Content-Type", "application/json")
                    .body(v.to_string()),
                Body::File {
                    payload,
                    filename,
                    bytes,
                } => {
                    let form = reqwest::multipart::Form::new()
                        .text("payload_json", payload.to_string())
                        .part(
                            "files[0]",
                            reqwest::multipart::Part::bytes(bytes.clone())
                                .file_name(filename.clone()),
                        );
                    req.multipart(form)
                }
                Body::Empty => req,
            };
            let resp = req.send().await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) => {
                    attempts += 1;
                    if attempts >= MAX_ATTEMPTS {
                        return Err(Failure::Transient(format!("network error: {e}")));
                    }
                    let b = backoff(attempts);
                    warn!(call = what, reason = %e, retry_in_ms = b.as_millis() as u64, "Discord call failed (network); retrying");
                    tokio::time::sleep(b).await;
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<f64>().ok())
            };
            if let (Some(rem), Some(after)) = (
                header("x-ratelimit-remaining"),
                header("x-ratelimit-reset-after"),
            ) {
                if rem <= 0.0 {
                    self.paced
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(route.clone(), Instant::now() + secs(after));
                }
            }
            let retry_after = header("retry-after");
            let text = resp.text().await.unwrap_or_default();
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if (200..300).contains(&status) {
                return Ok(json);
            }
            if status == 429 {
                limited += 1;
                let ra = retry_after
                    .or_else(|| json["retry_after"].as_f64())
                    .unwrap_or(1.0);
                if limited > MAX_RATE_LIMITED {
                    return Err(Failure::Transient(format!(
                        "rate limited {limited} times in a row"
                    )));
                }
                warn!(
                    call = what,
                    retry_after_s = ra,
                    "Discord rate limit (429); waiting Retry-After"
                );
                tokio::time::sleep(secs(ra)).await;
                continue;
            }
            if status >= 500 {
                attempts += 1;
                if attempts >= MAX_ATTEMPTS {
                    return Err(Failure::Transient(format!(
                        "HTTP {status} {attempts} times"
                    )));
                }
                let b = backoff(attempts);
                warn!(
                    call = what,
                    status,
                    retry_in_ms = b.as_millis() as u64,
                    "Discord call failed (server error); retrying"
                );
                tokio::time::sleep(b).await;
                continue;
            }
            let reason = json["message"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| text.chars().take(200).collect());
            return Err(Failure::Permanent { status, reason });
        }
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.0, 600.0))
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((250u64 << attempt.min(5)).min(8_000))
}

fn no_pings() -> Value {
    json!({"parse": [], "users": [], "roles": [], "replied_user": false})
}

fn components(buttons: &[Button]) -> Value {
    if buttons.is_empty() {
        return json!([]);
    }
    let b: Vec<Value> = buttons
        .iter()
        .take(5)
        .map(|b| {
            json!({"type": 2, "custom_id": b.custom_id, "label": b.label,
                   "style": if b.primary { 1 } else { 2 }})
        })
        .collect();
    json!([{"type": 1, "components": b}])
}

/// The message carrying a thread's live buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Live {
    channel: u64,
    message: u64,
    /// The gate the buttons confirm (`None`: the form button).
    gate: Option<u8>,
}

#[derive(Default)]
struct Workers {
    /// Keys with a running worker; `true` when more work arrived while it ran.
    running: HashMap<String, bool>,
}

/// Posts outbox entries, one worker per conversation key.
pub struct Deliverer {
    rest: Rest,
    dispatcher: Dispatcher,
    workers: Mutex<Workers>,
    live: Mutex<HashMap<String, Live>>,
    /// Interaction tokens whose acknowledgement is private: their follow-ups would be private too.
    private_tokens: Mutex<std::collections::HashSet<String>>,
    /// Called with (key, gate, the id of the message carrying that gate's buttons) once a step's
    /// replies are all delivered.
    on_delivered: OnDelivered,
}

/// Called with (key, open gate, the id of the message carrying its buttons) once a step's replies
/// are all delivered.
pub type OnDelivered = Box<dyn Fn(&str, Option<u8>, Option<u64>) + Send + Sync>;

impl Deliverer {
    /// A deliverer over `rest` for the dispatcher's outbox.
    pub fn new(rest: Rest, dispatcher: Dispatcher, on_delivered: OnDelivered) -> Arc<Deliverer> {
        Arc::new(Deliverer {
            rest,
            dispatcher,
            workers: Mutex::new(Workers::default()),
            live: Mutex::new(HashMap::new()),
            private_tokens: Mutex::new(std::collections::HashSet::new()),
            on_delivered,
        })
    }

    /// A notice from `replies/ui.toml`.
    fn notice(&self, key: &str) -> String {
        self.dispatcher.bot().engine.knowledge().ui(key).to_string()
    }

    /// The REST client.
    pub fn rest(&self) -> &Rest {
        &self.rest
    }

    /// Public replies of this interaction are posted in the channel, not as its follow-ups.
    pub fn skip_followups(&self, token: &str) {
        self.private_tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.to_string());
    }

    /// Makes sure `key`'s pending entries are being delivered.
    pub fn kick(self: &Arc<Self>, key: &str) {
        {
            let mut w = self.workers.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(more) = w.running.get_mut(key) {
                *more = true;
                return;
            }
            w.running.insert(key.to_string(), false);
        }
        let me = self.clone();
        let key = key.to_string();
        tokio::spawn(async move { me.work(key).await });
    }

    /// Delivers what every thread still has pending (at start-up).
    pub async fn resume(self: &Arc<Self>) {
        match self.dispatcher.outbox(None).await {
            Ok(entries) => {
                let mut keys: Vec<String> = entries.into_iter().map(|e| e.thread).collect();
                keys.dedup();
                if !keys.is_empty() {
                    info!(
                        threads = keys.len(),
                        "delivering replies left pending by the last run"
                    );
                }
                for k in keys {
                    self.kick(&k);
                }
            }
            Err(e) => error!(error = %e, "cannot read the outbox"),
        }
    }

    /// Waits until no worker runs (tests, shutdown); bounded by `limit`.
    pub async fn idle(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self
                .workers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .running
                .is_empty()
            {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn work(self: Arc<Self>, key: String) {
        loop {
            {
                let mut w = self.workers.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(more) = w.running.get_mut(&key) {
                    *more = false;
                }
            }
            let mut stuck = false;
            match self.dispatcher.outbox(Some(&key)).await {
                Ok(entries) => {
                    for e in entries {
                        if !self.deliver(&key, e.seq, &e.body).await {
                            stuck = true;
                            break;
                        }
                    }
                }
                Err(e) => {
                    error!(thread = %key, error = %e, "cannot read the outbox");
                    stuck = true;
                }
            }
            let again = {
                let mut w = self.workers.lock().unwrap_or_else(|p| p.into_inner());
                let more = w.running.get(&key).copied().unwrap_or(false);
                if !more || stuck {
                    w.running.remove(&key);
                }
                more && !stuck
            };
            if stuck {
                let me = self.clone();
                let k = key.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(RETRY_LATER).await;
                    me.kick(&k);
                });
                return;
            }
            if !again {
                return;
            }
        }
    }

    /// Delivers one entry; false when it must be tried again later.
    async fn deliver(&self, key: &str, seq: u64, body: &[u8]) -> bool {
        let Some(mut entry) = Entry::decode(body) else {
            error!(thread = %key, step = seq, "an outbox entry cannot be read; dropping it");
            let _ = self.dispatcher.outbox_update(key, seq, None).await;
            return true;
        };
        let mut thread_key = key.to_string();
        while entry.done < entry.items.len() {
            let i = entry.done;
            let what = format!(
                "thread {} step {} message {}",
                entry.channel,
                entry.turn,
                i + 1
            );
            let item = entry.items[i].clone();
            let r = match item {
                Item::OpenThread { name } => self
                    .open_thread(key, &mut entry, &name, &what)
                    .await
                    .map(|k| {
                        thread_key = k;
                    }),
                Item::Send { text, buttons } => {
                    let r = self
                        .post(&mut entry, seq, i, &text, &buttons, None, &what)
                        .await;
                    if let Ok(id) = &r {
                        if !buttons.is_empty() {
                            self.buttons_posted(&thread_key, entry.channel, *id, &buttons, &what)
                                .await;
                        }
                    }
                    r.map(|_| ())
                }
                Item::File {
                    note,
                    filename,
                    markdown,
                } => self
                    .post(
                        &mut entry,
                        seq,
                        i,
                        &note,
                        &[],
                        Some((filename, markdown.into_bytes())),
                        &what,
                    )
                    .await
                    .map(|_| ()),
            };
            match r {
                Ok(()) => {}
                Err(Failure::Transient(reason)) => {
                    warn!(thread = %entry.channel, step = entry.turn, message = i + 1, %reason, "could not deliver a reply; it stays pending and will be retried");
                    return false;
                }
                Err(Failure::Permanent { status, reason }) => {
                    error!(thread = %entry.channel, step = entry.turn, message = i + 1, status, %reason, "Discord refused a reply for good; it is dropped");
                    if status != 403 && status != 404 {
                        self.tell(&entry, seq, &what).await;
                    }
                }
            }
            entry.done = i + 1;
            if entry.done < entry.items.len() {
                if let Err(e) = self
                    .dispatcher
                    .outbox_update(key, seq, Some(entry.encode()))
                    .await
                {
                    error!(thread = %key, error = %e, "cannot record delivery progress");
                }
            }
        }
        self.retire(&thread_key, &entry).await;
        if let Err(e) = self.dispatcher.outbox_update(key, seq, None).await {
            error!(thread = %key, error = %e, "cannot remove a delivered outbox entry");
        }
        let post = entry.gate.and_then(|g| {
            let m = self.live.lock().unwrap_or_else(|p| p.into_inner());
            m.get(&thread_key)
                .filter(|l| l.gate == Some(g))
                .map(|l| l.message)
        });
        (self.on_delivered)(&thread_key, entry.gate, post);
        true
    }

    /// Tells the thread that a reply could not be posted (best effort, once).
    async fn tell(&self, entry: &Entry, seq: u64, what: &str) {
        let body = Body::Json(json!({
            "content": self.notice("discord.reply_failed"),
            "allowed_mentions": no_pings(),
            "nonce": format!("{seq}.x"), "enforce_nonce": true,
        }));
        if let Err(e) = self
            .rest
            .call(
                reqwest::Method::POST,
                &format!("/channels/{}/messages", entry.channel),
                &body,
                what,
            )
            .await
        {
            warn!(call = what, error = %e, "cannot tell the thread about a failed reply");
        }
    }

    /// Posts one message (follow-up while the interaction token is valid, else in the channel);
    /// returns its id.
    #[allow(clippy::too_many_arguments)]
    async fn post(
        &self,
        entry: &mut Entry,
        seq: u64,
        index: usize,
        text: &str,
        buttons: &[Button],
        file: Option<(String, Vec<u8>)>,
        what: &str,
    ) -> Result<u64, Failure> {
        let mut payload = json!({
            "content": text,
            "components": components(buttons),
            "allowed_mentions": no_pings(),
        });
        let body = |payload: Value| match &file {
            Some((filename, bytes)) => {
                let mut p = payload;
                p["attachments"] = json!([{"id": 0, "filename": filename}]);
                Body::File {
                    payload: p,
                    filename: filename.clone(),
                    bytes: bytes.clone(),
                }
            }
            None => Body::Json(payload),
        };
        if let Some(f) = entry.followup.clone() {
            let app = self.rest.application();
            let private = self
                .private_tokens
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&f.token);
            if app != 0 && !private && now_secs().saturating_sub(f.at) < TOKEN_TTL_SECS {
                let path = format!("/webhooks/{app}/{}?wait=true", f.token);
                match self
                    .rest
                    .call(reqwest::Method::POST, &path, &body(payload.clone()), what)
                    .await
                {
                    Ok(m) => return Ok(id_of(&m)),
                    Err(Failure::Permanent { status, reason }) => {
                        warn!(call = what, status, %reason, "the interaction's follow-up was refused; posting in the channel");
                    }
                    Err(e) => return Err(e),
                }
            }
            entry.followup = None;
        }
        payload["nonce"] = json!(format!("{seq}.{index}"));
        payload["enforce_nonce"] = json!(true);
        let path = format!("/channels/{}/messages", entry.channel);
        let m = self
            .rest
            .call(reqwest::Method::POST, &path, &body(payload), what)
            .await?;
        Ok(id_of(&m))
    }

    /// Opens the engagement's thread and moves its state there; returns the thread's key.
    async fn open_thread(
        &self,
        key: &str,
        entry: &mut Entry,
        name: &str,
        what: &str,
    ) -> Result<String, Failure> {
        let anchor = match entry.anchor {
            Some(a) => a,
            None => {
                // A slash command: a starter message to open the thread from.
                let starter = crate::knowledge::fill(
                    &self.notice("discord.thread_starter"),
                    &[("name", name)],
                );
                let seq_index = entry.done;
                let id = self
                    .post(entry, 0, seq_index, &starter, &[], None, what)
                    .await?;
                entry.anchor = Some(id);
                id
            }
        };
        let tkey = map::thread_key(anchor);
        // The thread has the anchor's id: the state is there before the thread is visible.
        if let Err(e) = self.dispatcher.move_state(key, &tkey).await {
            return Err(Failure::Transient(e.to_string()));
        }
        let body = Body::Json(json!({
            "name": name, "type": 11, "auto_archive_duration": entry.archive,
        }));
        let path = format!("/channels/{}/messages/{anchor}/threads", entry.parent);
        match self
            .rest
            .call(reqwest::Method::POST, &path, &body, what)
            .await
        {
            Ok(t) => {
                let id = id_of(&t);
                let real = if id == 0 { anchor } else { id };
                let rkey = map::thread_key(real);
                if rkey != tkey {
                    let _ = self.dispatcher.move_state(&tkey, &rkey).await;
                }
                info!(thread = real, "engagement thread opened");
                entry.channel = real;
                entry.followup = None;
                rekey(&mut entry.items, &rkey);
                Ok(rkey)
            }
            Err(Failure::Permanent { status, reason }) if entry.done > 0 || status == 400 => {
                // Opened before a restart (Discord allows one thread per message): it has the
                // anchor's id.
                warn!(call = what, status, %reason, "the thread exists already; continuing in it");
                entry.channel = anchor;
                entry.followup = None;
                rekey(&mut entry.items, &tkey);
                Ok(tkey)
            }
            Err(Failure::Permanent { status, reason }) => {
                // Without a thread the engagement runs where it started.
                warn!(call = what, status, %reason, "cannot open a thread; continuing in the channel");
                let _ = self.dispatcher.move_state(&tkey, key).await;
                Ok(key.to_string())
            }
            Err(e) => {
                let _ = self.dispatcher.move_state(&tkey, key).await;
                Err(e)
            }
        }
    }

    /// A message with buttons was posted: older live buttons in the thread are retired.
    async fn buttons_posted(
        &self,
        key: &str,
        channel: u64,
        message: u64,
        buttons: &[Button],
        what: &str,
    ) {
        let gate = buttons
            .iter()
            .find_map(|b| match CustomId::parse(&b.custom_id) {
                Some(CustomId::Gate { phase, .. }) => Some(phase),
                _ => None,
            });
        let old = self.live.lock().unwrap_or_else(|p| p.into_inner()).insert(
            key.to_string(),
            Live {
                channel,
                message,
                gate,
            },
        );
        if let Some(old) = old.filter(|o| o.message != message) {
            self.disable(old, what).await;
        }
    }

    /// After a step: the live buttons of a gate that is no longer open (or a form no longer
    /// wanted) are removed.
    async fn retire(&self, key: &str, entry: &Entry) {
        let stale = {
            let mut m = self.live.lock().unwrap_or_else(|p| p.into_inner());
            let stale = m.get(key).is_some_and(|l| match l.gate {
                Some(g) => entry.gate != Some(g),
                None => !entry.form,
            });
            if stale {
                m.remove(key)
            } else {
                None
            }
        };
        if let Some(old) = stale {
            self.disable(
                old,
                &format!("thread {} step {}", entry.channel, entry.turn),
            )
            .await;
        }
    }

    /// Forgets (and removes) the live buttons of a key: a button press just retired them itself.
    pub fn forget(&self, key: &str, message: u64) {
        let mut m = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if m.get(key).is_some_and(|l| l.message == message) {
            m.remove(key);
        }
    }

    async fn disable(&self, live: Live, what: &str) {
        let path = format!("/channels/{}/messages/{}", live.channel, live.message);
        let body = Body::Json(json!({"components": []}));
        if let Err(e) = self
            .rest
            .call(reqwest::Method::PATCH, &path, &body, what)
            .await
        {
            warn!(call = what, error = %e, "cannot remove the buttons of a closed gate");
        }
    }
}

fn id_of(m: &Value) -> u64 {
    m["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| m["id"].as_u64())
        .unwrap_or(0)
}

/// Rewrites the conversation key inside every button of `items`.
pub fn rekey(items: &mut [Item], new_key: &str) {
    for it in items {
        if let Item::Send { buttons, .. } = it {
            for b in buttons {
                b.custom_id = match CustomId::parse(&b.custom_id) {
                    Some(CustomId::Gate { phase, confirm, .. }) => CustomId::Gate {
                        thread: new_key.to_string(),
                        phase,
                        confirm,
                    }
                    .encode(),
                    Some(CustomId::Form { .. }) => CustomId::Form {
                        thread: new_key.to_string(),
                    }
                    .encode(),
                    None => continue,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_entries_round_trip() {
        let e = Entry {
            channel: 1,
            parent: 2,
            anchor: Some(3),
            followup: Some(Followup {
                token: "t".into(),
                at: 5,
            }),
            turn: 4,
            gate: Some(2),
            form: false,
            done: 1,
            items: vec![
                Item::OpenThread { name: "n".into() },
                Item::Send {
                    text: "x".into(),
                    buttons: vec![Button {
                        custom_id: "gate:9:2:confirm".into(),
                        label: "Confirm".into(),
                        primary: true,
                    }],
                },
            ],
            archive: 1440,
        };
        assert_eq!(Entry::decode(&e.encode()), Some(e.clone()));
        let mut items = e.items.clone();
        rekey(&mut items, "77");
        assert!(
            matches!(&items[1], Item::Send { buttons, .. } if buttons[0].custom_id == "gate:77:2:confirm")
        );
        assert!(Entry::decode(b"not json").is_none());
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(30), Duration::from_millis(8_000));
    }
}
