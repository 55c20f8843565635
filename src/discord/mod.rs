//! The Discord adapter (serenity 0.12.5 + poise 0.7.1).
//!
//! # Operator notes
//!
//! ## Creating the bot
//! 1. In the Discord Developer Portal create an application, add a **Bot**, and copy its token into
//!    the `DISCORD_TOKEN` environment variable (never into a file: config files cannot hold it).
//! 2. Under *Bot → Privileged Gateway Intents* enable **Message Content**. pavebot asks for `GUILDS`,
//!    `GUILD_MESSAGES` and `MESSAGE_CONTENT`. Without Message Content Discord refuses the connection;
//!    pavebot then logs a warning, reconnects without it and falls back to **mentions only**: in an
//!    engagement thread people must then mention the bot for it to read their message.
//! 3. Invite it with the `bot` and `applications.commands` scopes and these permissions: View
//!    Channels, Send Messages, Send Messages in Threads, Create Public Threads, Read Message History,
//!    Attach Files.
//! 4. Run `pavebot` (or `pavebot discord`) with `DISCORD_TOKEN` set. Logs go to standard error through
//!    `tracing`; set `RUST_LOG` (e.g. `RUST_LOG=info,pavebot=debug`). SIGINT or SIGTERM stops the shard,
//!    finishes the events in flight, flushes sled and exits 0.
//!
//! ## What it does
//! - A mention in a served channel is routed: a one-shot answer is replied in place; an engagement
//!   opens a public thread from that message and runs there. In the thread every message is read.
//! - `/eks ask|plan|status|back|reset|export|why|details`: the step runs first (a command still
//!   running after 1.5 s is acknowledged privately, within Discord's 3 s); public replies then follow
//!   as follow-ups, while refusals, `status`, `why` and `details` answer only the asker (a long
//!   `details` as several private messages). `ask` never opens a thread; `plan` always does (from a
//!   starter message).
//! - Public replies go through the **outbox** (see [`deliver`]): stored with the step's state, posted in
//!   order by one worker per thread, retried on 429 (after `Retry-After`), 5xx and network errors,
//!   removed once Discord accepted them and delivered again after a restart (never twice: each message
//!   carries an enforced nonce). A gate's buttons are removed once it closes.
//! - STOP gates carry Confirm / Revise buttons and the Phase 1 questions an "Answer in a form" button
//!   (a modal with one field per missing input). Buttons are routed by `custom_id`
//!   (`gate:<thread>:<phase>:confirm`, `form:<thread>`) with the state in sled, so they keep working
//!   after a restart. Only the owner or a member with an approver role may confirm; others get an
//!   ephemeral explanation.
//! - Every message is sent with empty `allowed_mentions`: echoed text never pings anyone.
//! - Other bots and the bot's own messages are ignored. Text attachments (Markdown, YAML, JSON, plain
//!   text) up to `discord.max_download_bytes` are downloaded and read.
//!
//! Users are identified by their Discord username (unique per account); the engagement owner is the
//! user who started it.
//!
//! ## Configuration keys (`[discord]` in the config file, or `PAVEBOT_DISCORD_*`)
//! - `guilds`: guild ids to serve; slash commands are registered in each (instant). Empty: every guild,
//!   commands registered globally (Discord may take up to an hour to show them).
//! - `channels`: channel ids where mentions are answered (empty: all). Engagement threads are always
//!   served, wherever their parent is.
//! - `shard_id`, `shard_count`: this process runs shard `shard_id` of `shard_count`.
//! - `proxy`: base URL of an HTTP proxy for Discord's REST API (e.g. a shared twilight-http-proxy, or a
//!   Discord-compatible server on loopback). When set, serenity's own ratelimiter is **off** (the proxy
//!   rate-limits) and every REST call, including the gateway lookup, goes through it.
//! - `thread_auto_archive_minutes`: 60, 1440, 4320 or 10080.
//! - `max_download_bytes`: largest attachment downloaded.
//! - Top level: `approver_roles` (role *names* that may confirm, go back and reset besides the owner),
//!   `data_dir` (the sled directory), `limits.*`.
//!
//! ## Sharding
//! A guild belongs to shard `(guild_id >> 22) % shard_count` (see [`map::shard_for`]). Discord sends
//! every event of a guild, including its threads and interactions, to that one shard, so run one
//! process per shard id with the same `shard_count`, **each with its own `data_dir`** (sled allows one
//! process per directory). A thread's state then always lives in the process that receives its events.
//! DMs go to shard 0 (pavebot ignores them). One shard holds at most 2500 guilds.
//!
//! **Resharding** (changing `shard_count`) moves guilds to other shards, hence to other processes whose
//! sled directories do not have their threads: open engagements would start from scratch. Stop every
//! process, move each thread record to the process that now owns its guild (a one-off export/import),
//! then start them with the new count. Slash commands and buttons are unaffected.

pub mod deliver;
pub mod handler;
pub mod map;

use std::sync::Arc;

use poise::serenity_prelude as serenity;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::bot::Bot;
use crate::config::Config;
use crate::serial::Dispatcher;
use crate::store::SledStore;

use handler::Data;

/// The intents pavebot asks for.
pub fn intents(message_content: bool) -> serenity::GatewayIntents {
    let base = serenity::GatewayIntents::GUILDS | serenity::GatewayIntents::GUILD_MESSAGES;
    if message_content {
        base | serenity::GatewayIntents::MESSAGE_CONTENT
    } else {
        base
    }
}

/// A connected bot: its shard manager and its dispatcher.
pub struct Running {
    shards: Arc<serenity::ShardManager>,
    dispatcher: Dispatcher,
    deliverer: Arc<deliver::Deliverer>,
    task: JoinHandle<Result<(), serenity::Error>>,
}

impl Running {
    /// Stops the shards, waits for events in flight and flushes sled.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shards.shutdown_all().await;
        self.dispatcher.shutdown().await?;
        // Replies still being posted get a moment; what is left stays in the outbox for next time.
        if !self.deliverer.idle(std::time::Duration::from_secs(5)).await {
            warn!("replies still pending at shutdown stay in the outbox and are posted at the next start");
        }
        match tokio::time::timeout(std::time::Duration::from_secs(10), self.task).await {
            Ok(Ok(Err(e))) => warn!(error = %e, "client ended with an error"),
            Ok(_) => {}
            Err(_) => warn!("client did not stop within 10 s"),
        }
        Ok(())
    }

    /// Waits until the client ends by itself (it only does on an error or after [`Running::stop`]).
    pub async fn wait(&mut self) -> Result<(), serenity::Error> {
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(serenity::Error::Other(if e.is_panic() {
                "the client task panicked"
            } else {
                "the client task was cancelled"
            })),
        }
    }

    /// The dispatcher (for inspection).
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }
}

fn http(cfg: &Config, token: &str) -> serenity::Http {
    let mut b = serenity::HttpBuilder::new(token).default_allowed_mentions(
        serenity::CreateAllowedMentions::new()
            .empty_users()
            .empty_roles()
            .replied_user(false),
    );
    if !cfg.discord.proxy.is_empty() {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_default();
        b = b
            .client(client)
            .proxy(cfg.discord.proxy.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    b.build()
}

/// Connects with the given store and starts the shard from the configuration in the background.
pub async fn start_with_store(
    cfg: &Config,
    token: &str,
    store: SledStore,
    message_content: bool,
) -> anyhow::Result<Running> {
    let engine = crate::engine_from(cfg)?;
    let dispatcher = Dispatcher::new(Bot::new(engine, store));
    let base = if cfg.discord.proxy.is_empty() {
        "https://discord.com".to_string()
    } else {
        cfg.discord.proxy.trim_end_matches('/').to_string()
    };
    let rest = deliver::Rest::new(&base, token);
    let data = Data::new(
        dispatcher.clone(),
        cfg.discord.clone(),
        message_content,
        rest,
    );
    let deliverer = data.deliverer.clone();
    let guilds = cfg.discord.guilds.clone();
    let options = poise::FrameworkOptions {
        commands: vec![handler::eks()],
        on_error: handler::on_error,
        event_handler: handler::event_handler,
        allowed_mentions: Some(
            serenity::CreateAllowedMentions::new()
                .empty_users()
                .empty_roles()
                .replied_user(false),
        ),
        initialize_owners: false,
        prefix_options: poise::PrefixFrameworkOptions {
            prefix: None,
            mention_as_prefix: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let framework = poise::Framework::builder()
        .options(options)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                let cmds = &framework.options().commands;
                if guilds.is_empty() {
                    poise::builtins::register_globally(ctx, cmds).await?;
                    info!("slash commands registered globally");
                } else {
                    for g in &guilds {
                        poise::builtins::register_in_guild(ctx, cmds, serenity::GuildId::new(*g))
                            .await?;
                    }
                    info!(guilds = guilds.len(), "slash commands registered per guild");
                }
                if !message_content {
                    warn!("MESSAGE_CONTENT intent not granted: reading mentions only (enable Message Content in the Developer Portal)");
                }
                info!(user = %ready.user.name, "pavebot is ready");
                Ok(data)
            })
        })
        .build();
    let http = http(cfg, token);
    let mut client = serenity::ClientBuilder::new_with_http(http, intents(message_content))
        .framework(framework)
        .await?;
    let shards = client.shard_manager.clone();
    let (id, count) = (cfg.discord.shard_id, cfg.discord.shard_count);
    let task = tokio::spawn(async move {
        if count <= 1 {
            client.start().await
        } else {
            client.start_shard(id, count).await
        }
    });
    Ok(Running {
        shards,
        dispatcher,
        deliverer,
        task,
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the bot against Discord until SIGINT or SIGTERM, then shuts down cleanly.
pub async fn run(cfg: Config, token: String) -> anyhow::Result<()> {
    let token = token.trim().to_string();
    if token.is_empty() {
        anyhow::bail!("DISCORD_TOKEN is empty");
    }
    let store = SledStore::open_with_cache(&cfg.data_dir, cfg.limits.cache_mb)?;
    info!(
        shard = cfg.discord.shard_id,
        shards = cfg.discord.shard_count,
        data_dir = %cfg.data_dir.display(),
        "starting pavebot on Discord"
    );
    let mut message_content = true;
    loop {
        let mut running = start_with_store(&cfg, &token, store.clone(), message_content).await?;
        tokio::select! {
            _ = shutdown_signal() => {
                info!("shutting down: stopping the shard and finishing events in flight");
                running.stop().await?;
                info!("stopped cleanly");
                return Ok(());
            }
            r = running.wait() => {
                running.dispatcher.shutdown().await?;
                match r {
                    Err(serenity::Error::Gateway(serenity::GatewayError::DisallowedGatewayIntents))
                        if message_content =>
                    {
                        warn!("Discord refused the MESSAGE_CONTENT intent: enable Message Content under Bot > Privileged Gateway Intents. Falling back to mentions only.");
                        message_content = false;
                    }
                    Err(e) => anyhow::bail!("Discord connection failed: {e}"),
                    Ok(()) => return Ok(()),
                }
            }
        }
    }
}
