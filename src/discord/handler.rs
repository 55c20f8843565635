//! The serenity/poise glue: slash commands and the global event handler (messages, buttons, modals).
//! A step's public replies go through the outbox ([`super::deliver`]); what only the person who
//! acted should see (refusals, status, why, details, the Revise prompt) answers the interaction privately at
//! once. This module never touches the store: everything it needs comes from the dispatcher.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serenity::builder::Builder;
use serenity::{
    ChannelId, ComponentInteraction, CreateActionRow, CreateAllowedMentions, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, CreateModal, FullEvent, GuildId, InputTextStyle, Interaction, Message,
    ModalInteraction, RoleId, User,
};
use tracing::{debug, info, warn};

use super::deliver::{now_secs, Deliverer, Entry, Followup, Item};
use super::map::{self, CustomId, Planned};
use crate::bot::ThreadInfo;
use crate::config::DiscordConfig;
use crate::engine::state::Awaiting;
use crate::engine::{Attachment, Command, Event, Step};
use crate::serial::{Dispatcher, OutboxFn};

/// How long a step may take before an interaction is acknowledged without its answer (Discord wants
/// an answer within 3 seconds).
const ANSWER_WITHIN: Duration = Duration::from_millis(1500);

/// The error type of commands and handlers (logged in full, never shown to users).
pub type Error = anyhow::Error;
/// poise's context for this bot.
pub type Ctx<'a> = poise::Context<'a, Data, Error>;

const ROLE_TTL: Duration = Duration::from_secs(60);

/// Role names per guild, with the time they were fetched.
type RoleTables = Mutex<HashMap<GuildId, (Instant, HashMap<RoleId, String>)>>;

/// Shared state of the running bot.
pub struct Data {
    /// Per-thread serialisation over the engine and sled.
    pub dispatcher: Dispatcher,
    /// The Discord section of the configuration.
    pub cfg: DiscordConfig,
    /// False when the MESSAGE_CONTENT intent is not granted: only mentions are read.
    pub content_intent: AtomicBool,
    downloader: reqwest::Client,
    roles: RoleTables,
    /// The gate this adapter last showed in each thread (from the replies it delivered), with the id
    /// of the message carrying its buttons and the gate shown before it: a typed confirmation is
    /// stamped with the gate its author had in front of them, so a "yes" typed while a Confirm press
    /// is in flight cannot pass a second gate. Memory only: absent after a restart (the typed "yes"
    /// then confirms the open gate).
    shown_gates: Arc<Mutex<HashMap<String, Shown>>>,
    /// Posts the outbox.
    pub deliverer: Arc<Deliverer>,
}

impl Data {
    /// New shared state.
    pub fn new(
        dispatcher: Dispatcher,
        cfg: DiscordConfig,
        content_intent: bool,
        rest: super::deliver::Rest,
    ) -> Data {
        let downloader = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap_or_default();
        let shown_gates: Arc<Mutex<HashMap<String, Shown>>> = Arc::default();
        let shown = shown_gates.clone();
        let deliverer = Deliverer::new(
            rest,
            dispatcher.clone(),
            Box::new(move |key, gate, post| show_gate(&shown, key, gate, post)),
        );
        Data {
            dispatcher,
            cfg,
            content_intent: AtomicBool::new(content_intent),
            downloader,
            roles: Mutex::new(HashMap::new()),
            shown_gates,
            deliverer,
        }
    }

    /// A notice from `replies/ui.toml`.
    fn notice(&self, key: &str) -> String {
        self.dispatcher.bot().engine.knowledge().ui(key).to_string()
    }

    /// Submits an event whose public replies go through the outbox; returns the outcome, the
    /// private texts, and whether the step took so long that the interaction (if any) was
    /// acknowledged with `ack` first.
    async fn step(
        &self,
        key: &str,
        ev: Event,
        target: Target,
        ack: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>>,
    ) -> Result<(crate::bot::Outcome, Vec<String>, bool), Error> {
        let audience = target.audience;
        let followup = target.followup.clone();
        let submit = self
            .dispatcher
            .submit_with(key, ev, outbox_for(key, target));
        tokio::pin!(submit);
        let mut acked = false;
        let outcome = match ack {
            None => submit.await?,
            Some(ack) => {
                tokio::select! {
                    o = &mut submit => o?,
                    _ = tokio::time::sleep(ANSWER_WITHIN) => {
                        ack.await;
                        acked = true;
                        submit.await?
                    }
                }
            }
        };
        let (_, private) = split(key, &outcome.step, audience);
        if outcome.outbox.is_some() {
            if acked {
                // The acknowledgement is private: public replies must not become its follow-ups.
                if let Some(f) = &followup {
                    self.deliverer.skip_followups(&f.token);
                }
            }
            // A slash command's public replies are follow-ups of its acknowledgement: when nothing
            // has acknowledged it yet, the caller acknowledges first and then starts the delivery
            // (a follow-up posted before the acknowledgement is refused by Discord).
            if acked || followup.is_none() {
                self.deliverer.kick(key);
            }
        } else {
            show_gate(&self.shown_gates, key, outcome.info.open_gate, None);
        }
        Ok((outcome, private, acked))
    }

    /// The gate the author of message `message` had in front of them in the thread `key`: the gate
    /// last shown, unless its buttons were posted after the message was written (Discord ids grow
    /// with time), in which case the one shown before it. A "yes" typed while a Confirm press was
    /// moving the engagement on answers the gate it was typed at, not the next one.
    fn shown_gate(&self, key: &str, message: u64) -> Option<u8> {
        gate_seen(
            &self.shown_gates.lock().unwrap_or_else(|p| p.into_inner()),
            key,
            message,
        )
    }
}

/// The gate shown in a thread: the one open now, the id of the message carrying its buttons (when
/// known), and the one shown before it.
#[derive(Debug, Clone, Copy, Default)]
struct Shown {
    gate: Option<u8>,
    post: Option<u64>,
    before: Option<u8>,
}

/// The gate in front of the author of message `message` in thread `key` (see [`Data::shown_gate`]).
fn gate_seen(m: &HashMap<String, Shown>, key: &str, message: u64) -> Option<u8> {
    let s = m.get(key)?;
    match s.post {
        Some(post) if post > message => s.before,
        _ => s.gate,
    }
}

/// Remembers the gate open in `key` once a step's replies are delivered, with the id of the message
/// that shows it.
fn show_gate(
    gates: &Mutex<HashMap<String, Shown>>,
    key: &str,
    gate: Option<u8>,
    post: Option<u64>,
) {
    let mut m = gates.lock().unwrap_or_else(|p| p.into_inner());
    // No gate open: nothing to stamp a message with (the thread's entry goes, as before).
    if gate.is_none() {
        m.remove(key);
        return;
    }
    let old = m.get(key).copied().unwrap_or_default();
    // The same gate shown again (after a question at it) was in front of the thread since its first
    // showing: that post stays the one messages are compared with.
    let (post, before) = if old.gate == gate {
        (old.post, old.before)
    } else {
        (post, old.gate)
    };
    m.insert(key.to_string(), Shown { gate, post, before });
}

impl Data {
    fn guild_served(&self, guild: Option<GuildId>) -> bool {
        match guild {
            None => false,
            Some(g) => self.cfg.guilds.is_empty() || self.cfg.guilds.contains(&g.get()),
        }
    }

    fn channel_served(&self, channel: ChannelId) -> bool {
        self.cfg.channels.is_empty() || self.cfg.channels.contains(&channel.get())
    }

    /// True when `channel` is an engagement thread this bot runs (the dispatcher knows its key).
    async fn is_engagement_thread(&self, channel: ChannelId) -> bool {
        match self.dispatcher.info(&map::thread_key(channel.get())).await {
            Ok(info) => info.known,
            Err(e) => {
                warn!(thread = %channel, error = %e, "cannot read the thread's state");
                false
            }
        }
    }

    /// The member's role names: from the gateway cache, else from the REST API (cached a minute).
    async fn role_names(
        &self,
        ctx: &serenity::Context,
        guild: Option<GuildId>,
        ids: &[RoleId],
    ) -> Vec<String> {
        let Some(gid) = guild else { return vec![] };
        if ids.is_empty() {
            return vec![];
        }
        if let Some(names) = ctx.cache.guild(gid).map(|g| {
            ids.iter()
                .filter_map(|id| g.roles.get(id).map(|r| r.name.clone()))
                .collect::<Vec<_>>()
        }) {
            if names.len() == ids.len() {
                return names;
            }
        }
        let cached = {
            let m = self.roles.lock().unwrap_or_else(|p| p.into_inner());
            m.get(&gid)
                .filter(|(at, _)| at.elapsed() < ROLE_TTL)
                .map(|(_, r)| r.clone())
        };
        let table = match cached {
            Some(t) => t,
            None => match ctx.http.get_guild_roles(gid).await {
                Ok(roles) => {
                    let t: HashMap<RoleId, String> =
                        roles.into_iter().map(|r| (r.id, r.name)).collect();
                    self.roles
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(gid, (Instant::now(), t.clone()));
                    t
                }
                Err(e) => {
                    warn!(guild = %gid, error = %e, "cannot read the guild's roles");
                    HashMap::new()
                }
            },
        };
        ids.iter().filter_map(|id| table.get(id).cloned()).collect()
    }

    /// Downloads a message's text attachments (size limit from config). Skipped files are named in
    /// the returned notes.
    async fn download(&self, msg: &Message) -> (Vec<Attachment>, Vec<String>) {
        let mut out = Vec::new();
        let mut notes = Vec::new();
        for a in &msg.attachments {
            let name = crate::engine::text::echo(&a.filename);
            if !map::is_text_attachment(&a.filename, a.content_type.as_deref()) {
                notes.push(crate::knowledge::fill(
                    &self.notice("discord.skipped_binary"),
                    &[("name", &name)],
                ));
                continue;
            }
            if a.size as usize > self.cfg.max_download_bytes {
                notes.push(crate::knowledge::fill(
                    &self.notice("discord.skipped_big"),
                    &[
                        ("name", &name),
                        ("limit", &(self.cfg.max_download_bytes / 1024).to_string()),
                    ],
                ));
                continue;
            }
            match self.fetch(&a.url).await {
                Ok(bytes) => out.push(Attachment {
                    filename: a.filename.clone(),
                    content: String::from_utf8_lossy(&bytes).into_owned(),
                }),
                Err(e) => {
                    warn!(file = %a.filename, error = %e, "attachment download failed");
                    notes.push(format!("I couldn't download `{name}`; please try again."));
                }
            }
        }
        (out, notes)
    }

    async fn fetch(&self, url: &str) -> Result<Vec<u8>, Error> {
        let limit = self.cfg.max_download_bytes;
        let mut resp = self.downloader.get(url).send().await?.error_for_status()?;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() > limit {
                anyhow::bail!("larger than the download limit");
            }
        }
        Ok(body)
    }
}

fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .replied_user(false)
}

/// Which of a step's replies only the person who acted sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// A typed message: everything is public (a denial is a plain reply).
    Public,
    /// An interaction: denials are private, the rest public (ask, export).
    Interaction,
    /// An interaction whose replies are private when the step changed nothing (a refusal: a stale
    /// confirmation, "an engagement is already running").
    Refusable,
    /// Every reply is private (status, why, details, the Revise prompt).
    Private,
}

/// Splits a step's effects into the public items (delivered through the outbox) and the private
/// texts (answered to the interaction at once).
fn split(key: &str, step: &Step, audience: Audience) -> (Vec<Item>, Vec<String>) {
    let mut public = Vec::new();
    let mut private = Vec::new();
    let everything_private =
        audience == Audience::Private || (audience == Audience::Refusable && !step.changed);
    for p in map::plan(key, &step.effects) {
        match p {
            Planned::Denied { text } if audience != Audience::Public => private.push(text),
            Planned::Denied { text } => public.push(Item::Send {
                text,
                buttons: vec![],
            }),
            Planned::Send { text, .. } if everything_private => private.push(text),
            Planned::OpenThread { name } => public.push(Item::OpenThread { name }),
            Planned::Send { text, buttons } => public.push(Item::Send { text, buttons }),
            Planned::File {
                filename,
                markdown,
                note,
            } => public.push(Item::File {
                note,
                filename,
                markdown,
            }),
        }
    }
    (public, private)
}

/// Where a step's public replies go.
#[derive(Debug, Clone)]
struct Target {
    channel: u64,
    in_thread: bool,
    anchor: Option<u64>,
    followup: Option<Followup>,
    audience: Audience,
    archive: u16,
}

/// The outbox entry builder the dispatcher runs under the thread's turn.
fn outbox_for(key: &str, target: Target) -> OutboxFn {
    let key = key.to_string();
    Arc::new(move |step: &Step, info: &ThreadInfo| {
        let (mut items, _) = split(&key, step, target.audience);
        if target.in_thread {
            items.retain(|i| !matches!(i, Item::OpenThread { .. }));
        }
        if items.is_empty() {
            return None;
        }
        Some(
            Entry {
                channel: target.channel,
                parent: target.channel,
                anchor: target.anchor,
                followup: target.followup.clone(),
                turn: step.state.turn,
                gate: info.open_gate,
                form: info.awaiting == Awaiting::Inputs,
                done: 0,
                items,
                archive: target.archive,
            }
            .encode(),
        )
    })
}

/// Discord's auto-archive durations (minutes); anything else is a day.
fn archive(minutes: u16) -> u16 {
    match minutes {
        60 | 4320 | 10080 => minutes,
        _ => 1440,
    }
}

fn user_name(u: &User) -> String {
    u.name.clone()
}

// ---------------------------------------------------------------- slash commands

/// Plan an Internal Developer Platform on Amazon EKS.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("ask", "plan", "status", "back", "reset", "export", "why", "details"),
    subcommand_required
)]
pub(crate) async fn eks(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Answer one platform question (never opens a thread).
#[poise::command(slash_command, guild_only)]
async fn ask(
    ctx: Ctx<'_>,
    #[description = "Your question, e.g. what is kro?"]
    #[max_length = 2000]
    question: String,
) -> Result<(), Error> {
    slash(ctx, Command::Ask, Some(question)).await
}

/// Start a planning engagement in a new thread.
#[poise::command(slash_command, guild_only)]
async fn plan(
    ctx: Ctx<'_>,
    #[description = "What you want to build, e.g. an IDP for 30 app teams"]
    #[max_length = 4000]
    request: String,
) -> Result<(), Error> {
    slash(ctx, Command::Plan, Some(request)).await
}

/// Where this engagement stands.
#[poise::command(slash_command, guild_only)]
async fn status(ctx: Ctx<'_>) -> Result<(), Error> {
    slash(ctx, Command::Status, None).await
}

/// Go back one gate.
#[poise::command(slash_command, guild_only)]
async fn back(ctx: Ctx<'_>) -> Result<(), Error> {
    slash(ctx, Command::Back, None).await
}

/// Drop this engagement and start over.
#[poise::command(slash_command, guild_only)]
async fn reset(ctx: Ctx<'_>) -> Result<(), Error> {
    slash(ctx, Command::Reset, None).await
}

/// The whole plan as a Markdown file.
#[poise::command(slash_command, guild_only)]
async fn export(ctx: Ctx<'_>) -> Result<(), Error> {
    slash(ctx, Command::Export, None).await
}

/// Why the bot chose this mode.
#[poise::command(slash_command, guild_only)]
async fn why(ctx: Ctx<'_>) -> Result<(), Error> {
    slash(ctx, Command::Why, None).await
}

/// Every component, trade-off and golden path step of the plan (only you see it).
#[poise::command(slash_command, guild_only)]
async fn details(ctx: Ctx<'_>) -> Result<(), Error> {
    slash(ctx, Command::Details, None).await
}

async fn slash(ctx: Ctx<'_>, command: Command, text: Option<String>) -> Result<(), Error> {
    let poise::Context::Application(actx) = ctx else {
        return Ok(());
    };
    let data = ctx.data();
    let sctx = ctx.serenity_context();
    let http = &sctx.http;
    let inter = actx.interaction;
    let channel = inter.channel_id;
    let in_thread = data.is_engagement_thread(channel).await;
    let key = if in_thread {
        map::thread_key(channel.get())
    } else {
        map::channel_key(channel.get(), inter.user.id.get())
    };
    let member_roles = inter
        .member
        .as_ref()
        .map(|m| m.roles.clone())
        .unwrap_or_default();
    let roles = data.role_names(sctx, inter.guild_id, &member_roles).await;
    let ev = Event {
        user: user_name(&inter.user),
        text,
        attachments: vec![],
        command: Some(command),
        roles,
        gate: None,
    };
    // Status and why answer only the asker; so does a command that changed nothing (a refusal such
    // as "an engagement is already running"), except ask and export.
    let audience = match command {
        Command::Status | Command::Why | Command::Details => Audience::Private,
        Command::Ask | Command::Export => Audience::Interaction,
        _ => Audience::Refusable,
    };
    let target = Target {
        channel: channel.get(),
        in_thread,
        anchor: None,
        followup: Some(Followup {
            token: inter.token.clone(),
            at: now_secs(),
        }),
        audience,
        archive: archive(data.cfg.thread_auto_archive_minutes),
    };
    let ack = Box::pin(async {
        // Too slow to answer at once: a private "thinking", so that a refusal stays private.
        if let Err(e) = inter.defer_ephemeral(http).await {
            warn!(error = %e, "cannot acknowledge the command");
        }
    });
    let (outcome, private, acked) = data.step(&key, ev, target, Some(ack)).await?;
    if outcome.outbox.is_some() && !acked {
        // Public replies follow as follow-ups of this public "thinking", delivered once it is sent.
        let deferred = inter.defer(http).await;
        data.deliverer.kick(&key);
        deferred?;
        for t in private {
            CreateInteractionResponseFollowup::new()
                .content(t)
                .ephemeral(true)
                .allowed_mentions(no_pings())
                .execute(http, (None, &inter.token))
                .await?;
        }
        return Ok(());
    }
    let joined = private.join("\n\n");
    let text = if private.is_empty() {
        data.notice("discord.done")
    } else if joined.chars().count() <= 2000 {
        joined
    } else {
        // A long private answer (`details`) goes as the engine split it: the first message answers,
        // the rest follow privately in order.
        private[0].clone()
    };
    answer_privately(http, &inter.token, acked, &text, |m| {
        inter.create_response(http, CreateInteractionResponse::Message(m))
    })
    .await?;
    if private.len() > 1 && private.join("\n\n").chars().count() > 2000 {
        for t in &private[1..] {
            CreateInteractionResponseFollowup::new()
                .content(t.clone())
                .ephemeral(true)
                .allowed_mentions(no_pings())
                .execute(http, (None, &inter.token))
                .await?;
        }
    }
    Ok(())
}

/// Answers an interaction privately: at once when it is not acknowledged yet, else by editing the
/// private acknowledgement.
async fn answer_privately<F, Fut>(
    http: &serenity::Http,
    token: &str,
    acked: bool,
    text: &str,
    respond: F,
) -> Result<(), Error>
where
    F: FnOnce(CreateInteractionResponseMessage) -> Fut,
    Fut: std::future::Future<Output = serenity::Result<()>>,
{
    let text: String = text.chars().take(2000).collect();
    if acked {
        CreateInteractionResponseFollowup::new()
            .content(text)
            .ephemeral(true)
            .allowed_mentions(no_pings())
            .execute(http, (None, token))
            .await?;
    } else {
        respond(
            CreateInteractionResponseMessage::new()
                .content(text)
                .ephemeral(true)
                .allowed_mentions(no_pings()),
        )
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- events

/// poise's global event handler: messages, buttons and modal submissions.
pub fn event_handler<'a>(
    fctx: poise::FrameworkContext<'a, Data, Error>,
    event: &'a FullEvent,
) -> poise::BoxFuture<'a, Result<(), Error>> {
    Box::pin(async move {
        let ctx = fctx.serenity_context;
        let data = fctx.user_data;
        match event {
            FullEvent::Ready { data_about_bot } => {
                info!(user = %data_about_bot.user.name, guilds = data_about_bot.guilds.len(), "connected to Discord");
                data.deliverer
                    .rest()
                    .set_application(data_about_bot.application.id.get());
                // Replies a previous run stored but did not finish posting.
                data.deliverer.resume().await;
            }
            FullEvent::Message { new_message } => {
                on_message(ctx, data, fctx.bot_id(), new_message).await?
            }
            FullEvent::InteractionCreate {
                interaction: Interaction::Component(ci),
            } => on_component(ctx, data, ci).await?,
            FullEvent::InteractionCreate {
                interaction: Interaction::Modal(mi),
            } => on_modal(ctx, data, mi).await?,
            _ => {}
        }
        Ok(())
    })
}

async fn on_message(
    ctx: &serenity::Context,
    data: &Data,
    bot_id: serenity::UserId,
    msg: &Message,
) -> Result<(), Error> {
    if msg.author.bot || msg.author.id == bot_id || msg.author.system {
        return Ok(());
    }
    if !data.guild_served(msg.guild_id) {
        return Ok(());
    }
    // The gate shown in this thread when the message arrived (read before any await: the replies of a
    // step running now must not change what this message answers).
    let seen_gate = data.shown_gate(&map::thread_key(msg.channel_id.get()), msg.id.get());
    let bot = bot_id.get();
    let mentioned = map::mentions(&msg.content, bot) || msg.mentions.iter().any(|u| u.id == bot_id);
    let in_thread = data.is_engagement_thread(msg.channel_id).await;
    let key = if in_thread {
        if !mentioned && !data.content_intent.load(Ordering::SeqCst) {
            return Ok(());
        }
        map::thread_key(msg.channel_id.get())
    } else {
        if !mentioned || !data.channel_served(msg.channel_id) {
            return Ok(());
        }
        map::channel_key(msg.channel_id.get(), msg.author.id.get())
    };
    let text = map::strip_mention(&msg.content, bot);
    if in_thread && !mentioned && text.is_empty() && msg.attachments.is_empty() {
        return Ok(());
    }
    let typing = msg.channel_id.start_typing(&ctx.http);
    let (attachments, notes) = data.download(msg).await;
    let member_roles = msg
        .member
        .as_ref()
        .map(|m| m.roles.clone())
        .unwrap_or_default();
    let roles = data.role_names(ctx, msg.guild_id, &member_roles).await;
    let ev = Event {
        user: user_name(&msg.author),
        text: Some(text),
        attachments,
        command: None,
        roles,
        gate: if in_thread { seen_gate } else { None },
    };
    for n in notes {
        msg.channel_id
            .send_message(
                &ctx.http,
                CreateMessage::new()
                    .content(n)
                    .reference_message(msg)
                    .allowed_mentions(no_pings()),
            )
            .await?;
    }
    let target = Target {
        channel: msg.channel_id.get(),
        in_thread,
        anchor: Some(msg.id.get()),
        followup: None,
        audience: Audience::Public,
        archive: archive(data.cfg.thread_auto_archive_minutes),
    };
    data.step(&key, ev, target, None).await?;
    drop(typing);
    Ok(())
}

/// A `custom_id`'s conversation key must belong to the channel the button was pressed in.
fn key_matches_channel(key: &str, channel: ChannelId) -> bool {
    let c = channel.get().to_string();
    key == c || key.split_once(':').is_some_and(|(ch, _)| ch == c)
}

async fn on_component(
    ctx: &serenity::Context,
    data: &Data,
    ci: &ComponentInteraction,
) -> Result<(), Error> {
    let http = &ctx.http;
    let reply_private = |text: String| {
        CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new()
                .content(text)
                .ephemeral(true)
                .allowed_mentions(no_pings()),
        )
    };
    let id = CustomId::parse(&ci.data.custom_id).filter(|id| match id {
        CustomId::Gate { thread, .. } | CustomId::Form { thread } => {
            key_matches_channel(thread, ci.channel_id)
        }
    });
    let Some(id) = id else {
        ci.create_response(http, reply_private(data.notice("discord.button_inactive")))
            .await?;
        return Ok(());
    };
    match id {
        CustomId::Form { thread } => {
            let info = data.dispatcher.info(&thread).await?;
            if info.awaiting != Awaiting::Inputs || info.missing.is_empty() {
                ci.create_response(http, reply_private(data.notice("discord.form_inactive")))
                    .await?;
                return Ok(());
            }
            let k = data.dispatcher.bot().engine.knowledge();
            let fields = map::form_fields(k, &info.missing);
            let modal = CreateModal::new(
                CustomId::Form { thread }.encode(),
                data.notice("discord.form_title"),
            )
            .components(
                fields
                    .into_iter()
                    .map(|f| {
                        CreateActionRow::InputText(
                            CreateInputText::new(InputTextStyle::Paragraph, f.label, f.custom_id)
                                .required(false)
                                .max_length(1000),
                        )
                    })
                    .collect(),
            );
            ci.create_response(http, CreateInteractionResponse::Modal(modal))
                .await?;
            Ok(())
        }
        CustomId::Gate {
            thread,
            phase,
            confirm,
        } => {
            if !confirm {
                // A Revise press on a closed gate changes nothing; a confirmation carries its gate
                // and the engine refuses a stale one under the thread's turn.
                let info = data.dispatcher.info(&thread).await?;
                if info.open_gate != Some(phase) {
                    ci.create_response(http, reply_private(data.notice("discord.gate_closed")))
                        .await?;
                    return Ok(());
                }
            }
            let member_roles = ci
                .member
                .as_ref()
                .map(|m| m.roles.clone())
                .unwrap_or_default();
            let roles = data.role_names(ctx, ci.guild_id, &member_roles).await;
            let ev = Event {
                user: user_name(&ci.user),
                text: None,
                attachments: vec![],
                command: Some(if confirm {
                    Command::Confirm
                } else {
                    Command::Revise
                }),
                roles,
                gate: Some(phase),
            };
            let target = Target {
                channel: ci.channel_id.get(),
                in_thread: true,
                anchor: None,
                followup: None,
                // The Revise prompt answers only the asker; a refused confirmation too.
                audience: if confirm {
                    Audience::Refusable
                } else {
                    Audience::Private
                },
                archive: archive(data.cfg.thread_auto_archive_minutes),
            };
            let ack = Box::pin(async {
                if let Err(e) = ci
                    .create_response(http, CreateInteractionResponse::Acknowledge)
                    .await
                {
                    warn!(error = %e, "cannot acknowledge the button");
                }
            });
            let (outcome, private, acked) = data.step(&thread, ev, target, Some(ack)).await?;
            let passed = confirm && outcome.step.changed && outcome.info.open_gate != Some(phase);
            if passed {
                // The gate is passed: its buttons go at once, in the same answer.
                data.deliverer.forget(&thread, ci.message.id.get());
                if acked {
                    if let Err(e) = ci
                        .edit_response(
                            http,
                            serenity::EditInteractionResponse::new().components(vec![]),
                        )
                        .await
                    {
                        debug!(error = %e, "cannot remove the gate buttons");
                    }
                } else {
                    ci.create_response(
                        http,
                        CreateInteractionResponse::UpdateMessage(
                            CreateInteractionResponseMessage::new().components(vec![]),
                        ),
                    )
                    .await?;
                }
                return Ok(());
            }
            let text = if private.is_empty() {
                data.notice("discord.done")
            } else {
                private.join("\n\n")
            };
            answer_privately(http, &ci.token, acked, &text, |m| {
                ci.create_response(http, CreateInteractionResponse::Message(m))
            })
            .await
        }
    }
}

async fn on_modal(
    ctx: &serenity::Context,
    data: &Data,
    mi: &ModalInteraction,
) -> Result<(), Error> {
    let http = &ctx.http;
    let private = |text: String| {
        CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new()
                .content(text)
                .ephemeral(true)
                .allowed_mentions(no_pings()),
        )
    };
    let thread = match CustomId::parse(&mi.data.custom_id) {
        Some(CustomId::Form { thread }) if key_matches_channel(&thread, mi.channel_id) => thread,
        _ => {
            mi.create_response(http, private(data.notice("discord.form_inactive")))
                .await?;
            return Ok(());
        }
    };
    let values: Vec<(String, String)> = mi
        .data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .filter_map(|c| match c {
            serenity::ActionRowComponent::InputText(t) => {
                Some((t.custom_id.clone(), t.value.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect();
    let text = map::form_text(&values);
    if text.is_empty() {
        mi.create_response(http, private(data.notice("discord.form_empty")))
            .await?;
        return Ok(());
    }
    let member_roles = mi
        .member
        .as_ref()
        .map(|m| m.roles.clone())
        .unwrap_or_default();
    let roles = data.role_names(ctx, mi.guild_id, &member_roles).await;
    let ev = Event {
        user: user_name(&mi.user),
        text: Some(text),
        attachments: vec![],
        command: None,
        roles,
        gate: None,
    };
    let target = Target {
        channel: mi.channel_id.get(),
        in_thread: true,
        anchor: None,
        followup: None,
        audience: Audience::Refusable,
        archive: archive(data.cfg.thread_auto_archive_minutes),
    };
    let ack = Box::pin(async {
        if let Err(e) = mi
            .create_response(http, CreateInteractionResponse::Acknowledge)
            .await
        {
            warn!(error = %e, "cannot acknowledge the form");
        }
    });
    let (outcome, texts, acked) = data.step(&thread, ev, target, Some(ack)).await?;
    if outcome.outbox.is_some() && texts.is_empty() {
        if !acked {
            mi.create_response(http, CreateInteractionResponse::Acknowledge)
                .await?;
        }
        return Ok(());
    }
    let text = if texts.is_empty() {
        data.notice("discord.done")
    } else {
        texts.join("\n\n")
    };
    answer_privately(http, &mi.token, acked, &text, |m| {
        mi.create_response(http, CreateInteractionResponse::Message(m))
    })
    .await
}

// ---------------------------------------------------------------- errors

/// Replaces poise's default handler (which shows raw errors to users): log the details, show a short
/// friendly line.
pub fn on_error(err: poise::FrameworkError<'_, Data, Error>) -> poise::BoxFuture<'_, ()> {
    Box::pin(async move {
        match err {
            poise::FrameworkError::Setup { error, .. } => {
                tracing::error!(error = %format!("{error:#}"), "start-up failed")
            }
            poise::FrameworkError::EventHandler { error, event, .. } => {
                tracing::error!(error = %format!("{error:#}"), event = event.snake_case_name(), "event handling failed")
            }
            poise::FrameworkError::UnknownCommand { .. }
            | poise::FrameworkError::UnknownInteraction { .. } => {
                debug!("ignored an unknown command")
            }
            other => {
                let ctx = other.ctx();
                tracing::error!(error = %other, "command failed");
                if let Some(ctx) = ctx {
                    let reply = poise::CreateReply::default()
                        .content(ctx.data().notice("discord.sorry"))
                        .ephemeral(true)
                        .allowed_mentions(no_pings());
                    if let Err(e) = ctx.send(reply).await {
                        warn!(error = %e, "cannot tell the user about the error");
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A "yes" typed before the next gate's buttons were posted answers the gate it was typed at.
    #[test]
    fn a_message_written_before_a_gate_was_posted_answers_the_gate_before() {
        let m = Mutex::new(HashMap::new());
        show_gate(&m, "t", Some(1), Some(100));
        assert_eq!(gate_seen(&m.lock().unwrap(), "t", 150), Some(1));
        // The Phase 2 gate is posted as message 200; a message written as 180 had Phase 1 in front of
        // it, one written as 210 had Phase 2.
        show_gate(&m, "t", Some(2), Some(200));
        assert_eq!(gate_seen(&m.lock().unwrap(), "t", 180), Some(1));
        assert_eq!(gate_seen(&m.lock().unwrap(), "t", 210), Some(2));
        // The same gate shown again (after a question at it) keeps its first post.
        show_gate(&m, "t", Some(2), Some(300));
        assert_eq!(gate_seen(&m.lock().unwrap(), "t", 250), Some(2));
        // Without a post id (a reply delivered through an interaction) the gate shown now counts.
        show_gate(&m, "t", Some(3), None);
        assert_eq!(gate_seen(&m.lock().unwrap(), "t", 1), Some(3));
        // No gate open, and an unknown thread.
        show_gate(&m, "t", None, None);
        assert_eq!(gate_seen(&m.lock().unwrap(), "t", 400), None);
        assert_eq!(gate_seen(&m.lock().unwrap(), "u", 400), None);
    }
}
