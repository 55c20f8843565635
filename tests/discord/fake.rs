//! A fake Discord on 127.0.0.1 for the adapter's end-to-end tests: REST routes (hyper 1) and a gateway
//! websocket (tokio-tungstenite) speaking HELLO, IDENTIFY, READY, heartbeats and injected dispatches.
//! The real serenity client and poise framework connect to it through `discord.proxy`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const GUILD: u64 = 5 << 22;
pub const CHANNEL: u64 = 900_001;
pub const BOT: u64 = 700_001;
pub const ROLE_LEAD: u64 = 800_001;
pub const ALICE: u64 = 100_001;
pub const BOB: u64 = 100_002;
pub const CAROL: u64 = 100_003;
pub const OTHER_BOT: u64 = 100_009;

/// The MESSAGE_CONTENT gateway intent (a privileged intent).
pub const MESSAGE_CONTENT: u64 = 1 << 15;

/// How long any single wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// The path without `/api/v10`.
    pub path: String,
    /// The JSON body (for multipart bodies: the `payload_json` part), or null.
    pub body: Value,
    /// The whole body as text.
    pub raw: String,
    /// The status the fake answered.
    pub status: u16,
    /// True when this request created a message (a 2xx that was not a repeated nonce).
    pub created: bool,
    /// When it arrived.
    pub at: std::time::Instant,
}

/// A scripted answer to the next matching request (see [`Fake::fail_next`]).
#[derive(Debug, Clone)]
struct Fault {
    method: &'static str,
    /// The path must end with this.
    suffix: String,
    status: u16,
    retry_after: Option<f64>,
    count: usize,
}

#[derive(Default)]
struct St {
    requests: Vec<Req>,
    next_id: u64,
    seq: u64,
    conn: Option<mpsc::UnboundedSender<WsMessage>>,
    /// The intents of the connected shard.
    conn_intents: u64,
    identifies: Vec<Value>,
    /// IDENTIFY payloads refused with close code 4014.
    refused: Vec<Value>,
    /// The application was not granted MESSAGE_CONTENT (see [`Fake::deny_message_content`]).
    deny_message_content: bool,
    tokens: HashMap<String, u64>,
    files: HashMap<String, String>,
    faults: Vec<Fault>,
    /// Extra time before answering a message post (a slow REST round trip).
    latency: Duration,
    /// Posts whose answer is held back until [`Fake::release`] (the message is created first).
    hold: bool,
    /// Messages created with `enforce_nonce`, by nonce (Discord answers a repeat with the first).
    nonces: HashMap<String, Value>,
    /// Messages by id (for edits).
    messages: HashMap<u64, Value>,
}

struct Inner {
    st: Mutex<St>,
    changed: Notify,
    released: Notify,
    ws_port: u16,
    http_port: u16,
}

#[derive(Clone)]
pub struct Fake {
    inner: Arc<Inner>,
}

pub fn user(id: u64) -> Value {
    let (name, bot) = match id {
        ALICE => ("alice", false),
        BOB => ("bob", false),
        CAROL => ("carol", false),
        BOT => ("pavebot", true),
        OTHER_BOT => ("otherbot", true),
        _ => ("someone", false),
    };
    json!({"id": id.to_string(), "username": name, "global_name": null, "avatar": null,
           "discriminator": "0", "bot": bot})
}

fn roles_of(id: u64) -> Vec<String> {
    if id == CAROL {
        vec![ROLE_LEAD.to_string()]
    } else {
        vec![]
    }
}

fn member(id: u64) -> Value {
    json!({"user": user(id), "roles": roles_of(id), "joined_at": "2024-01-01T00:00:00+00:00",
           "deaf": false, "mute": false, "flags": 0, "permissions": "2251799813685247"})
}

fn message_json(id: u64, channel: u64, author: u64, content: &str, extra: &Value) -> Value {
    let mut m = json!({
        "id": id.to_string(), "channel_id": channel.to_string(), "guild_id": GUILD.to_string(),
        "author": user(author), "content": content, "timestamp": "2024-01-01T00:00:00.000000+00:00",
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0
    });
    if let (Some(m), Some(e)) = (m.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    m
}

fn role(id: u64, name: &str, pos: u16) -> Value {
    json!({"id": id.to_string(), "name": name, "color": 0, "colors": {"primary_color": 0},
           "hoist": false, "managed": false, "mentionable": false, "permissions": "0", "position": pos})
}

/// The `payload_json` part of a multipart body.
fn payload_json(raw: &str) -> Value {
    let Some(i) = raw.find("name=\"payload_json\"") else {
        return Value::Null;
    };
    let rest = &raw[i..];
    let Some(start) = rest.find("\r\n\r\n") else {
        return Value::Null;
    };
    let body = &rest[start + 4..];
    let end = body.find("\r\n--").unwrap_or(body.len());
    serde_json::from_str(&body[..end]).unwrap_or(Value::Null)
}

fn reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(if status == 204 {
        String::new()
    } else {
        body.to_string()
    })));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

impl Fake {
    pub async fn start() -> Fake {
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let inner = Arc::new(Inner {
            st: Mutex::new(St {
                next_id: 1_000_000,
                ..St::default()
            }),
            changed: Notify::new(),
            released: Notify::new(),
            ws_port: ws.local_addr().unwrap().port(),
            http_port: http.local_addr().unwrap().port(),
        });
        let fake = Fake { inner };
        let f = fake.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = http.accept().await {
                let f = f.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let f = f.clone();
                        async move { Ok::<_, Infallible>(f.rest(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(sock), svc)
                        .await;
                });
            }
        });
        let f = fake.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = ws.accept().await {
                let f = f.clone();
                tokio::spawn(async move { f.gateway(sock).await });
            }
        });
        fake
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.inner.http_port)
    }

    fn st(&self) -> std::sync::MutexGuard<'_, St> {
        self.inner.st.lock().unwrap()
    }

    fn id(&self) -> u64 {
        let mut s = self.st();
        s.next_id += 1;
        s.next_id
    }

    /// Serves a file for attachment downloads; returns its URL.
    pub fn serve_file(&self, name: &str, content: &str) -> String {
        self.st()
            .files
            .insert(name.to_string(), content.to_string());
        format!("{}/files/{name}", self.base())
    }

    async fn gateway(&self, sock: tokio::net::TcpStream) {
        let Ok(ws) = tokio_tungstenite::accept_async(sock).await else {
            return;
        };
        let (mut tx, mut rx) = ws.split();
        let (out, mut outq) = mpsc::unbounded_channel::<WsMessage>();
        tokio::spawn(async move {
            while let Some(m) = outq.recv().await {
                let close = matches!(m, WsMessage::Close(_));
                if tx.send(m).await.is_err() || close {
                    break;
                }
            }
            let _ = tx.close().await;
        });
        let text = |v: Value| WsMessage::Text(v.to_string());
        let _ = out.send(text(json!({"op": 10, "d": {"heartbeat_interval": 45000}})));
        while let Some(Ok(frame)) = rx.next().await {
            let WsMessage::Text(t) = frame else {
                if matches!(frame, WsMessage::Close(_)) {
                    break;
                }
                continue;
            };
            let Ok(v) = serde_json::from_str::<Value>(&t) else {
                continue;
            };
            match v["op"].as_u64() {
                Some(1) => {
                    let _ = out.send(text(json!({"op": 11})));
                }
                Some(2) => {
                    let intents = v["d"]["intents"].as_u64().unwrap_or(0);
                    let mut s = self.st();
                    if s.deny_message_content && intents & MESSAGE_CONTENT != 0 {
                        // Like Discord for an application without the privileged intent.
                        s.refused.push(v["d"].clone());
                        drop(s);
                        let frame = CloseFrame {
                            code: CloseCode::from(4014),
                            reason: "Disallowed intent(s).".into(),
                        };
                        let _ = out.send(WsMessage::Close(Some(frame)));
                        self.inner.changed.notify_waiters();
                        break;
                    }
                    drop(s);
                    let ready = json!({
                        "v": 10, "user": user(BOT),
                        "guilds": [{"id": GUILD.to_string(), "unavailable": true}],
                        "session_id": "session", "resume_gateway_url": format!("ws://127.0.0.1:{}", self.inner.ws_port),
                        "application": {"id": BOT.to_string(), "flags": 0}
                    });
                    let mut s = self.st();
                    s.seq += 1;
                    let frame = json!({"op": 0, "s": s.seq, "t": "READY", "d": ready});
                    let _ = out.send(text(frame));
                    s.identifies.push(v["d"].clone());
                    s.conn = Some(out.clone());
                    s.conn_intents = intents;
                    drop(s);
                    self.inner.changed.notify_waiters();
                }
                Some(6) => {
                    // No resuming here: make the shard identify again.
                    let _ = out.send(text(json!({"op": 9, "d": false})));
                }
                _ => {}
            }
        }
        let mut s = self.st();
        if s.conn.as_ref().is_some_and(|c| c.same_channel(&out)) {
            s.conn = None;
        }
    }

    /// Sends a dispatch event to the connected shard.
    pub fn dispatch(&self, t: &str, d: Value) {
        let mut s = self.st();
        s.seq += 1;
        let frame = json!({"op": 0, "s": s.seq, "t": t, "d": d});
        let conn = s.conn.as_ref().expect("no shard is connected");
        conn.send(WsMessage::Text(frame.to_string()))
            .expect("shard connection closed");
    }

    async fn rest(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let at = std::time::Instant::now();
        let method = req.method().to_string();
        let path = req
            .uri()
            .path()
            .strip_prefix("/api/v10")
            .unwrap_or(req.uri().path())
            .to_string();
        let multipart = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/"));
        let bytes = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let raw = String::from_utf8_lossy(&bytes).into_owned();
        let body = if multipart {
            payload_json(&raw)
        } else {
            serde_json::from_str(&raw).unwrap_or(Value::Null)
        };
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let is_post = method == "POST"
            && parts.first() == Some(&"channels")
            && parts.last() == Some(&"messages");
        let (latency, hold) = {
            let s = self.st();
            (s.latency, s.hold)
        };
        if is_post && !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let fault = {
            let mut s = self.st();
            let i = s
                .faults
                .iter()
                .position(|f| f.method == method && path.ends_with(&f.suffix));
            i.map(|i| {
                let f = s.faults[i].clone();
                if f.count <= 1 {
                    s.faults.remove(i);
                } else {
                    s.faults[i].count -= 1;
                }
                f
            })
        };
        let (resp, status, created) = match fault {
            Some(f) => {
                let body = if f.status == 429 {
                    json!({"message": "You are being rate limited.", "retry_after": f.retry_after.unwrap_or(0.0), "global": false})
                } else {
                    json!({"message": "Internal Server Error", "code": 0})
                };
                let mut r = reply(f.status, body);
                if let Some(ra) = f.retry_after {
                    r.headers_mut().insert(
                        "retry-after",
                        hyper::header::HeaderValue::from_str(&ra.to_string()).unwrap(),
                    );
                }
                (r, f.status, false)
            }
            None => {
                let (r, created) = self.route(&method, &parts, &body);
                let st = r.status().as_u16();
                (r, st, created)
            }
        };
        let waiter = self.inner.released.notified();
        self.st().requests.push(Req {
            method,
            path,
            body,
            raw,
            status,
            created,
            at,
        });
        self.inner.changed.notify_waiters();
        if is_post && hold && created {
            // The message exists; the bot does not learn it until released (or killed meanwhile).
            waiter.await;
        }
        resp
    }

    /// The next `count` requests `method ... suffix` are answered with `status` (a 429 carries
    /// `Retry-After` in seconds).
    pub fn fail_next(
        &self,
        method: &'static str,
        suffix: &str,
        status: u16,
        retry_after: Option<f64>,
        count: usize,
    ) {
        self.st().faults.push(Fault {
            method,
            suffix: suffix.to_string(),
            status,
            retry_after,
            count,
        });
    }

    /// Forgets the scripted answers not used yet.
    pub fn clear_faults(&self) {
        self.st().faults.clear();
    }

    /// Every message post takes this long to answer.
    pub fn set_latency(&self, d: Duration) {
        self.st().latency = d;
    }

    /// Message posts are created but their answers held back (true) until released (false).
    pub fn hold_posts(&self, hold: bool) {
        self.st().hold = hold;
        if !hold {
            self.inner.released.notify_waiters();
        }
    }

    fn route(&self, method: &str, p: &[&str], body: &Value) -> (Response<Full<Bytes>>, bool) {
        let content = body["content"].as_str().unwrap_or("").to_string();
        let extra = json!({"components": body.get("components").cloned().unwrap_or(json!([]))});
        if let ("POST", ["channels", c, "messages"]) = (method, p) {
            let nonce = body["nonce"].as_str().map(String::from);
            let enforce = body["enforce_nonce"].as_bool().unwrap_or(false);
            if let (Some(n), true) = (&nonce, enforce) {
                if let Some(m) = self.st().nonces.get(n).cloned() {
                    return (reply(200, m), false);
                }
            }
            let ch: u64 = c.parse().unwrap_or(0);
            let id = self.id();
            let m = message_json(id, ch, BOT, &content, &extra);
            {
                let mut s = self.st();
                if let (Some(n), true) = (nonce, enforce) {
                    s.nonces.insert(n, m.clone());
                }
                s.messages.insert(id, m.clone());
            }
            // Discord echoes the bot's own messages on the gateway: the bot must ignore them.
            if self.st().conn.is_some() {
                self.dispatch("MESSAGE_CREATE", m.clone());
            }
            return (reply(200, m), true);
        }
        let created = matches!((method, p), ("POST", ["webhooks", _, _]));
        let r = match (method, p) {
            ("GET", ["gateway"]) => reply(
                200,
                json!({"url": format!("ws://127.0.0.1:{}", self.inner.ws_port)}),
            ),
            ("PUT", ["applications", _, "commands"])
            | ("PUT", ["applications", _, "guilds", _, "commands"]) => reply(200, json!([])),
            ("POST", ["interactions", _, _, "callback"]) => reply(204, Value::Null),
            ("POST", ["webhooks", _, token]) => {
                let ch = self.st().tokens.get(*token).copied().unwrap_or(CHANNEL);
                reply(200, message_json(self.id(), ch, BOT, &content, &extra))
            }
            ("PATCH", ["webhooks", _, token, "messages", _]) => {
                let ch = self.st().tokens.get(*token).copied().unwrap_or(CHANNEL);
                reply(200, message_json(self.id(), ch, BOT, &content, &extra))
            }
            ("DELETE", ["webhooks", ..]) => reply(204, Value::Null),
            ("PATCH", ["channels", c, "messages", m]) => {
                let ch: u64 = c.parse().unwrap_or(0);
                let id: u64 = m.parse().unwrap_or(0);
                let mut msg = self
                    .st()
                    .messages
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| message_json(id, ch, BOT, &content, &extra));
                if let Some(c) = body.get("components") {
                    msg["components"] = c.clone();
                }
                reply(200, msg)
            }
            ("PATCH", ["channels", _]) => reply(200, json!({})),
            ("POST", ["channels", c, "messages", m, "threads"]) => reply(
                201,
                json!({"id": m, "type": 11, "name": body["name"], "guild_id": GUILD.to_string(),
                       "parent_id": c, "owner_id": BOT.to_string(),
                       "thread_metadata": {"archived": false, "auto_archive_duration": 1440,
                                           "archive_timestamp": "2024-01-01T00:00:00+00:00", "locked": false}}),
            ),
            ("POST", ["channels", _, "typing"]) => reply(204, Value::Null),
            ("GET", ["guilds", _, "roles"]) => reply(
                200,
                json!([
                    role(GUILD, "@everyone", 0),
                    role(ROLE_LEAD, "platform-lead", 1)
                ]),
            ),
            ("GET", ["files", name]) => match self.st().files.get(*name) {
                Some(c) => {
                    let mut r = Response::new(Full::new(Bytes::from(c.clone())));
                    r.headers_mut().insert(
                        "content-type",
                        hyper::header::HeaderValue::from_static("text/plain"),
                    );
                    r
                }
                None => reply(404, json!({"message": "Not Found", "code": 0})),
            },
            _ => reply(404, json!({"message": "404: Not Found", "code": 0})),
        };
        (r, created)
    }

    // ---------------------------------------------------------------- injection

    /// A user writes a message; returns its id.
    pub fn message(&self, channel: u64, author: u64, content: &str) -> u64 {
        self.message_with(channel, author, content, json!({}))
    }

    /// A message with extra fields (attachments, mentions).
    pub fn message_with(&self, channel: u64, author: u64, content: &str, extra: Value) -> u64 {
        let id = self.id();
        let mut m = message_json(id, channel, author, content, &extra);
        let mentions: Vec<Value> = if content.contains(&format!("<@{BOT}>")) {
            vec![user(BOT)]
        } else {
            vec![]
        };
        let mentioned = !mentions.is_empty();
        m["mentions"] = json!(mentions);
        let stripped = {
            let s = self.st();
            s.deny_message_content && s.conn_intents & MESSAGE_CONTENT == 0
        };
        if stripped && !mentioned {
            // Without MESSAGE_CONTENT Discord delivers other users' messages that do not mention
            // the bot without their content.
            m["content"] = json!("");
            m["attachments"] = json!([]);
            m["embeds"] = json!([]);
        }
        m["member"] = json!({"roles": roles_of(author), "joined_at": "2024-01-01T00:00:00+00:00",
                             "deaf": false, "mute": false, "flags": 0});
        self.dispatch("MESSAGE_CREATE", m);
        id
    }

    fn interaction(&self, kind: u8, channel: u64, who: u64, data: Value, extra: Value) -> String {
        let id = self.id();
        let token = format!("tok{id}");
        self.st().tokens.insert(token.clone(), channel);
        let mut d = json!({
            "id": id.to_string(), "application_id": BOT.to_string(), "type": kind, "token": token,
            "version": 1, "guild_id": GUILD.to_string(), "channel_id": channel.to_string(),
            "member": member(who), "app_permissions": "2251799813685247", "locale": "en-US",
            "guild_locale": "en-US", "entitlements": [], "attachment_size_limit": 26214400,
            "data": data
        });
        if let (Some(o), Some(e)) = (d.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                o.insert(k.clone(), v.clone());
            }
        }
        self.dispatch("INTERACTION_CREATE", d);
        token
    }

    /// `/eks <sub> [opt:value]`; returns the interaction token.
    pub fn slash(&self, channel: u64, who: u64, sub: &str, opts: &[(&str, &str)]) -> String {
        let options: Vec<Value> = opts
            .iter()
            .map(|(k, v)| json!({"name": k, "type": 3, "value": v}))
            .collect();
        let data = json!({"id": "600001", "name": "eks", "type": 1,
                          "options": [{"name": sub, "type": 1, "options": options}]});
        self.interaction(2, channel, who, data, json!({}))
    }

    /// A button press on `message` (a message the bot posted, as recorded).
    pub fn button(&self, channel: u64, who: u64, message: &Value, custom_id: &str) -> String {
        let data = json!({"custom_id": custom_id, "component_type": 2});
        self.interaction(3, channel, who, data, json!({"message": message}))
    }

    /// A message the bot posted, as Discord would show it in an interaction (fresh id).
    pub fn bot_message(&self, channel: u64, body: &Value) -> Value {
        let extra = json!({"components": body.get("components").cloned().unwrap_or(json!([]))});
        message_json(
            self.id(),
            channel,
            BOT,
            body["content"].as_str().unwrap_or(""),
            &extra,
        )
    }

    /// A modal submission.
    pub fn modal(
        &self,
        channel: u64,
        who: u64,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let rows: Vec<Value> = fields
            .iter()
            .map(|(k, v)| json!({"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}))
            .collect();
        let data = json!({"custom_id": custom_id, "components": rows});
        self.interaction(5, channel, who, data, json!({}))
    }

    // ---------------------------------------------------------------- observation

    pub fn requests(&self) -> Vec<Req> {
        self.st().requests.clone()
    }

    pub fn identifies(&self) -> usize {
        self.st().identifies.len()
    }

    /// The accepted IDENTIFY payloads, in order.
    pub fn identify_payloads(&self) -> Vec<Value> {
        self.st().identifies.clone()
    }

    /// The IDENTIFY payloads refused with close code 4014, in order.
    pub fn refused_identifies(&self) -> Vec<Value> {
        self.st().refused.clone()
    }

    /// Opt-in: behave like Discord for an application that was not granted the MESSAGE_CONTENT
    /// privileged intent: an IDENTIFY asking for it is closed with 4014 (disallowed intents), and
    /// once a shard is connected without it, user messages that do not mention the bot arrive with
    /// empty content and no attachments.
    pub fn deny_message_content(&self) {
        self.st().deny_message_content = true;
    }

    /// Waits until `f` finds something in the recorded requests; panics after [`WAIT`].
    pub async fn wait<T>(&self, what: &str, f: impl Fn(&[Req]) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.inner.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(t) = f(&self.requests()) {
                return t;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let seen: Vec<String> = self
                    .requests()
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {} {}",
                            r.method,
                            r.path,
                            r.raw.chars().take(300).collect::<String>()
                        )
                    })
                    .collect();
                panic!(
                    "timed out waiting for {what}; requests so far:\n{}",
                    seen.join("\n")
                );
            }
        }
    }

    /// Waits until `n` shards have identified and the commands have been registered `n` times.
    pub async fn wait_ready(&self, n: usize) {
        self.wait("the shard to identify and register commands", |r| {
            let puts = r
                .iter()
                .filter(|q| q.method == "PUT" && q.path.ends_with("/commands"))
                .count();
            (self.identifies() >= n && puts >= n).then_some(())
        })
        .await
    }
}

/// Messages the bot posted in `channel` (plain messages, not interaction follow-ups), from index
/// `from` of the request log.
pub fn posts(reqs: &[Req], channel: u64, from: usize) -> Vec<Req> {
    let path = format!("/channels/{channel}/messages");
    reqs.iter()
        .skip(from)
        .filter(|r| r.method == "POST" && r.path == path && r.created)
        .cloned()
        .collect()
}

/// The `custom_id`s of a recorded message body's buttons.
pub fn custom_ids(body: &Value) -> Vec<String> {
    body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(String::from))
        .collect()
}
