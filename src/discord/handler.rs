//! The serenity/poise glue: slash commands, the global event handler (messages, buttons, modals) and
//! the code that carries out planned Discord calls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serenity::builder::Builder;
use serenity::{
    ButtonStyle, ChannelId, ChannelType, ComponentInteraction, CreateActionRow,
    CreateAllowedMentions, CreateAttachment, CreateButton, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, CreateModal, CreateThread, EditInteractionResponse, FullEvent, GuildId,
    InputTextStyle, Interaction, Message, ModalInteraction, RoleId, User,
};
use tracing::{debug, info, warn};

use super::map::{self, CustomId, Planned};
use crate::config::DiscordConfig;
use crate::engine::state::ThreadState;
use crate::engine::{Attachment, Command, Event, Step};
use crate::serial::Dispatcher;

/// The error type of commands and handlers (logged in full, never shown to users).
pub type Error = anyhow::Error;
/// poise's context for this bot.
pub type Ctx<'a> = poise::Context<'a, Data, Error>;

/// What users see when something fails on the bot's side.
pub const SORRY: &str = "Sorry, something went wrong on my side. Please try again in a moment.";

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
}

impl Data {
    /// New shared state.
    pub fn new(dispatcher: Dispatcher, cfg: DiscordConfig, content_intent: bool) -> Data {
        let downloader = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap_or_default();
        Data {
            dispatcher,
            cfg,
            content_intent: AtomicBool::new(content_intent),
            downloader,
            roles: Mutex::new(HashMap::new()),
        }
    }

    fn guild_served(&self, guild: Option<GuildId>) -> bool {
        match guild {
            None => false,
            Some(g) => self.cfg.guilds.is_empty() || self.cfg.guilds.contains(&g.get()),
        }
    }

    fn channel_served(&self, channel: ChannelId) -> bool {
        self.cfg.channels.is_empty() || self.cfg.channels.contains(&channel.get())
    }

    async fn load(&self, key: &str) -> Result<ThreadState, Error> {
        let bot = self.dispatcher.bot().clone();
        let k = key.to_string();
        Ok(tokio::task::spawn_blocking(move || bot.store.load(&k)).await??)
    }

    /// True when `channel` is an engagement thread this bot runs (a record exists under its key).
    async fn is_engagement_thread(&self, channel: ChannelId) -> bool {
        match self.load(&map::thread_key(channel.get())).await {
            Ok(st) => st != ThreadState::default(),
            // An unreadable record is still ours: the engine answers with a clear message.
            Err(_) => true,
        }
    }

    /// Moves an engagement that started under a channel key into its new thread.
    async fn move_state(&self, from: &str, to: &str, state: ThreadState) -> Result<(), Error> {
        let bot = self.dispatcher.bot().clone();
        let (from, to) = (from.to_string(), to.to_string());
        tokio::task::spawn_blocking(move || {
            bot.store.save(&to, &state)?;
            bot.store.save(&from, &ThreadState::default())
        })
        .await??;
        Ok(())
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
                notes.push(format!(
                    "I skipped `{name}`: I only read text files (Markdown, YAML, JSON, plain text)."
                ));
                continue;
            }
            if a.size as usize > self.cfg.max_download_bytes {
                notes.push(format!(
                    "I skipped `{name}`: it is larger than {} KiB.",
                    self.cfg.max_download_bytes / 1024
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

fn rows(buttons: &[map::Button]) -> Vec<CreateActionRow> {
    if buttons.is_empty() {
        return vec![];
    }
    vec![CreateActionRow::Buttons(
        buttons
            .iter()
            .take(5)
            .map(|b| {
                CreateButton::new(b.custom_id.clone())
                    .label(b.label.clone())
                    .style(if b.primary {
                        ButtonStyle::Primary
                    } else {
                        ButtonStyle::Secondary
                    })
            })
            .collect(),
    )]
}

/// Where the output of one handled event goes.
enum Sink<'a> {
    /// Plain messages in a channel; the triggering message (if any) anchors a new thread and gets
    /// denials as replies.
    Channel {
        channel: ChannelId,
        anchor: Option<&'a Message>,
    },
    /// Follow-ups of an interaction (the channel is where a new thread would be opened).
    Followup {
        token: &'a str,
        channel: ChannelId,
        /// A deferred "thinking" response is showing (slash commands) and has not been replaced yet.
        thinking: bool,
    },
}

/// Carries out an outcome: opens the thread if asked (moving the state from `key` to the thread's
/// key), posts messages, buttons and files, and sends denials the way the origin allows.
async fn deliver(
    ctx: &serenity::Context,
    data: &Data,
    key: &str,
    in_thread: bool,
    mut sink: Sink<'_>,
    step: &Step,
) -> Result<(), Error> {
    let http = &ctx.http;
    let mut planned = map::plan(key, &step.effects);
    let mut i = 0;
    while i < planned.len() {
        let p = planned[i].clone();
        i += 1;
        match p {
            Planned::OpenThread { name } if !in_thread => {
                let (channel, anchor_id) = match &sink {
                    Sink::Channel {
                        channel,
                        anchor: Some(m),
                    } => (*channel, m.id),
                    Sink::Channel { channel, .. } | Sink::Followup { channel, .. } => {
                        // Slash commands (or no anchor): post a starter message to open the thread from.
                        let channel = *channel;
                        let starter = format!("Opening an engagement thread: **{name}**");
                        let m = send(http, &mut sink, &starter, &[]).await?;
                        (channel, m.id)
                    }
                };
                // A thread opened from a message has the message's id: save the state there first
                // so the first message in the thread already finds it.
                let tkey = map::thread_key(anchor_id.get());
                data.move_state(key, &tkey, step.state.clone()).await?;
                let builder = CreateThread::new(name)
                    .kind(ChannelType::PublicThread)
                    .auto_archive_duration(archive(data.cfg.thread_auto_archive_minutes));
                match channel
                    .create_thread_from_message(http, anchor_id, builder)
                    .await
                {
                    Ok(thread) => {
                        let real = map::thread_key(thread.id.get());
                        if real != tkey {
                            data.move_state(&tkey, &real, step.state.clone()).await?;
                        }
                        info!(thread = %thread.id, "engagement thread opened");
                        map::rekey(&mut planned[i..], &real);
                        sink = Sink::Channel {
                            channel: thread.id,
                            anchor: None,
                        };
                    }
                    Err(e) => {
                        // Without a thread the engagement runs where it started.
                        warn!(error = %e, "cannot open a thread; continuing in the channel");
                        data.move_state(&tkey, key, step.state.clone()).await?;
                    }
                }
            }
            Planned::OpenThread { .. } => {}
            Planned::Send { text, buttons } => {
                send(http, &mut sink, &text, &buttons).await?;
            }
            Planned::File { filename, markdown } => {
                let file = CreateAttachment::bytes(markdown.into_bytes(), filename.clone());
                let note = format!("The whole plan as one document: `{filename}`");
                match &mut sink {
                    Sink::Channel { channel, .. } => {
                        channel
                            .send_message(
                                http,
                                CreateMessage::new()
                                    .content(note)
                                    .add_file(file)
                                    .allowed_mentions(no_pings()),
                            )
                            .await?;
                    }
                    Sink::Followup {
                        token, thinking, ..
                    } => {
                        CreateInteractionResponseFollowup::new()
                            .content(note)
                            .add_file(file)
                            .allowed_mentions(no_pings())
                            .execute(http, (None, token))
                            .await?;
                        *thinking = false;
                    }
                }
            }
            Planned::Denied { text } => match &mut sink {
                Sink::Channel { channel, anchor } => {
                    let mut b = CreateMessage::new()
                        .content(text)
                        .allowed_mentions(no_pings());
                    if let Some(m) = anchor {
                        b = b.reference_message(*m);
                    }
                    channel.send_message(http, b).await?;
                }
                Sink::Followup {
                    token, thinking, ..
                } => {
                    if *thinking {
                        // Replace the public "thinking" placeholder by a private answer.
                        if let Err(e) = http.delete_original_interaction_response(token).await {
                            debug!(error = %e, "cannot delete the deferred response");
                        }
                        *thinking = false;
                    }
                    CreateInteractionResponseFollowup::new()
                        .content(text)
                        .ephemeral(true)
                        .allowed_mentions(no_pings())
                        .execute(http, (None, token))
                        .await?;
                }
            },
        }
    }
    if let Sink::Followup {
        token,
        thinking: true,
        ..
    } = sink
    {
        // Nothing was said (should not happen): do not leave "thinking..." forever.
        CreateInteractionResponseFollowup::new()
            .content("Done.")
            .allowed_mentions(no_pings())
            .execute(http, (None, token))
            .await?;
    }
    Ok(())
}

async fn send(
    http: &serenity::Http,
    sink: &mut Sink<'_>,
    text: &str,
    buttons: &[map::Button],
) -> Result<Message, Error> {
    Ok(match sink {
        Sink::Channel { channel, .. } => {
            channel
                .send_message(
                    http,
                    CreateMessage::new()
                        .content(text)
                        .components(rows(buttons))
                        .allowed_mentions(no_pings()),
                )
                .await?
        }
        Sink::Followup {
            token, thinking, ..
        } => {
            let m = CreateInteractionResponseFollowup::new()
                .content(text)
                .components(rows(buttons))
                .allowed_mentions(no_pings())
                .execute(http, (None, token))
                .await?;
            *thinking = false;
            m
        }
    })
}

fn archive(minutes: u16) -> serenity::AutoArchiveDuration {
    match minutes {
        60 => serenity::AutoArchiveDuration::OneHour,
        4320 => serenity::AutoArchiveDuration::ThreeDays,
        10080 => serenity::AutoArchiveDuration::OneWeek,
        _ => serenity::AutoArchiveDuration::OneDay,
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
    subcommands("ask", "plan", "status", "back", "reset", "export", "why"),
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

async fn slash(ctx: Ctx<'_>, command: Command, text: Option<String>) -> Result<(), Error> {
    let poise::Context::Application(actx) = ctx else {
        return Ok(());
    };
    // Acknowledge first: Discord wants an answer within 3 seconds.
    ctx.defer().await?;
    let data = ctx.data();
    let sctx = ctx.serenity_context();
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
    let _typing = matches!(command, Command::Plan | Command::Export | Command::Back)
        .then(|| channel.start_typing(&sctx.http));
    let outcome = data.dispatcher.submit(&key, ev).await?;
    let sink = Sink::Followup {
        token: &inter.token,
        channel,
        thinking: true,
    };
    deliver(sctx, data, &key, in_thread, sink, &outcome.step).await
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
        gate: None,
    };
    let outcome = data.dispatcher.submit(&key, ev).await?;
    let sink = Sink::Channel {
        channel: msg.channel_id,
        anchor: Some(msg),
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
    deliver(ctx, data, &key, in_thread, sink, &outcome.step).await?;
    drop(typing);
    Ok(())
}

/// A `custom_id`'s conversation key must belong to the channel the button was pressed in.
fn key_matches_channel(key: &str, channel: ChannelId) -> bool {
    let c = channel.get().to_string();
    key == c || key.split_once(':').is_some_and(|(ch, _)| ch == c)
}

async fn ephemeral(
    respond: impl std::future::Future<Output = serenity::Result<()>>,
) -> Result<(), Error> {
    respond.await?;
    Ok(())
}

async fn on_component(
    ctx: &serenity::Context,
    data: &Data,
    ci: &ComponentInteraction,
) -> Result<(), Error> {
    let http = &ctx.http;
    let reply_private = |text: &str| {
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
        return ephemeral(
            ci.create_response(http, reply_private("This button is no longer active.")),
        )
        .await;
    };
    match id {
        CustomId::Form { thread } => {
            let st = data.load(&thread).await?;
            let view = data.dispatcher.bot().engine.view(&st);
            if view.awaiting != "inputs" || view.missing.is_empty() {
                return ephemeral(ci.create_response(
                    http,
                    reply_private("Nothing is waiting for answers here any more."),
                ))
                .await;
            }
            let k = data.dispatcher.bot().engine.knowledge();
            let fields = map::form_fields(k, &view.missing);
            let modal = CreateModal::new(
                CustomId::Form { thread }.encode(),
                "Phase 1: planning inputs",
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
            ci.create_response(http, CreateInteractionResponse::Acknowledge)
                .await?;
            let st = data.load(&thread).await?;
            let view = data.dispatcher.bot().engine.view(&st);
            if view.phase != Some(phase) || view.awaiting != "confirmation" {
                CreateInteractionResponseFollowup::new()
                    .content("This gate is already closed: the engagement has moved on. Use `/eks status` to see where it stands.")
                    .ephemeral(true)
                    .allowed_mentions(no_pings())
                    .execute(http, (None, &ci.token))
                    .await?;
                return Ok(());
            }
            let _typing = ci.channel_id.start_typing(http);
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
                gate: None,
            };
            let outcome = data.dispatcher.submit(&thread, ev).await?;
            let denied = outcome
                .step
                .effects
                .iter()
                .any(|e| matches!(e, crate::engine::Effect::Denied { .. }));
            if !denied && confirm {
                // The gate is passed: take its buttons away.
                if let Err(e) = ci
                    .edit_response(http, EditInteractionResponse::new().components(vec![]))
                    .await
                {
                    debug!(error = %e, "cannot remove the gate buttons");
                }
            }
            interaction_deliver(ctx, data, &thread, ci.channel_id, &ci.token, &outcome.step).await
        }
    }
}

/// Delivers a button's or modal's outcome: messages in the channel, denials ephemerally.
async fn interaction_deliver(
    ctx: &serenity::Context,
    data: &Data,
    key: &str,
    channel: ChannelId,
    token: &str,
    step: &Step,
) -> Result<(), Error> {
    let (denied, rest): (Vec<_>, Vec<_>) = step
        .effects
        .iter()
        .cloned()
        .partition(|e| matches!(e, crate::engine::Effect::Denied { .. }));
    if !denied.is_empty() {
        let s = Step {
            state: step.state.clone(),
            effects: denied,
            changed: false,
        };
        let sink = Sink::Followup {
            token,
            channel,
            thinking: false,
        };
        deliver(ctx, data, key, true, sink, &s).await?;
    }
    let s = Step {
        state: step.state.clone(),
        effects: rest,
        changed: step.changed,
    };
    let in_thread = key == map::thread_key(channel.get());
    deliver(
        ctx,
        data,
        key,
        in_thread,
        Sink::Channel {
            channel,
            anchor: None,
        },
        &s,
    )
    .await
}

async fn on_modal(
    ctx: &serenity::Context,
    data: &Data,
    mi: &ModalInteraction,
) -> Result<(), Error> {
    let http = &ctx.http;
    let thread = match CustomId::parse(&mi.data.custom_id) {
        Some(CustomId::Form { thread }) if key_matches_channel(&thread, mi.channel_id) => thread,
        _ => {
            mi.create_response(
                http,
                CreateInteractionResponse::Message(
                    CreateInteractionResponseMessage::new()
                        .content("This form is no longer active.")
                        .ephemeral(true),
                ),
            )
            .await?;
            return Ok(());
        }
    };
    mi.create_response(http, CreateInteractionResponse::Acknowledge)
        .await?;
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
        CreateInteractionResponseFollowup::new()
            .content("The form was empty, so nothing changed.")
            .ephemeral(true)
            .execute(http, (None, &mi.token))
            .await?;
        return Ok(());
    }
    let _typing = mi.channel_id.start_typing(http);
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
    let outcome = data.dispatcher.submit(&thread, ev).await?;
    interaction_deliver(ctx, data, &thread, mi.channel_id, &mi.token, &outcome.step).await
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
                        .content(SORRY)
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
