//! The `pavebot` command line: the thin edge that loads config and data, opens the store and picks an
//! adapter.

use std::io::{BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use pavebot::bot::Bot;
use pavebot::config::Config;
use pavebot::engine::{Command, Event};
use pavebot::serial::{Gate, GatedLines};
use pavebot::store::SledStore;

/// pavebot plans an Internal Developer Platform on Amazon EKS, in Discord or in your terminal.
///
/// With no subcommand: runs the Discord bot when DISCORD_TOKEN is set, otherwise the local console.
#[derive(Parser)]
#[command(name = "pavebot", version, about, long_about = None)]
struct Cli {
    /// Configuration file (default: ./pavebot.toml when present; keys and defaults in config/pavebot.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Subcommand)]
enum Sub {
    /// Chat with pavebot in the terminal (state in the sled database under the data directory).
    Console {
        /// sled database directory (default: data_dir from the configuration).
        #[arg(long, value_name = "DIR")]
        db: Option<PathBuf>,
        /// Your name in the conversation.
        #[arg(long, default_value = "you")]
        user: String,
    },
    /// Run JSONL events through the engine and print one JSON result per event (the replay contract).
    Replay {
        /// Events file, or - for standard input.
        events: String,
        /// Keep state in a sled database at DIR (default: a temporary database removed at exit).
        #[arg(long, value_name = "DIR")]
        db: Option<PathBuf>,
    },
    /// Answer one platform question and exit.
    Ask {
        /// The question.
        question: Vec<String>,
    },
    /// Validate the configuration and every data file, then exit (1 if a reply key is unused).
    Check,
    /// Connect to Discord (needs DISCORD_TOKEN).
    Discord,
    /// Print a thread's stored state as JSON, with its pending outbox entries (`pending_outbox`,
    /// only when there are any); without a thread, every pending outbox entry (for debugging and
    /// durability checks).
    Inspect {
        /// sled database directory.
        #[arg(long, value_name = "DIR")]
        db: PathBuf,
        /// The thread key.
        thread: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`pavebot ask ... | head`): nothing left to say to it.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pavebot: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,pavebot=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(cli.config.as_deref())?;
    let engine = pavebot::engine_from(&cfg)?;
    // Reply keys nothing uses: `check` fails on them, everything else starts with a warning.
    let unused = engine.knowledge().unused_ui_keys().join(", ");
    let checking = matches!(cli.command, Some(Sub::Check));
    if !unused.is_empty() && !checking {
        eprintln!("pavebot: warning: replies/ui.toml declares keys nothing uses: {unused}");
    }
    match cli.command {
        Some(Sub::Check) => {
            if !unused.is_empty() {
                eprintln!("pavebot: replies/ui.toml declares keys nothing uses: {unused}");
                return Ok(ExitCode::FAILURE);
            }
            let k = engine.knowledge();
            writeln!(
                std::io::stdout(),
                "ok: {} routing modes, {} Defaults-table rows, {} options, {} concepts, {} knowledge topics, {} reply keys (each used, each declared)",
                engine.router().specs().len(),
                k.rows.len(),
                k.options.len(),
                k.concepts.len(),
                k.topics.len(),
                k.ui.len()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Sub::Ask { question }) => {
            let bot = Bot::new(engine, SledStore::temporary()?);
            let ev = Event {
                user: "cli".into(),
                text: Some(question.join(" ")),
                command: Some(Command::Ask),
                ..Event::default()
            };
            let mut out = std::io::stdout().lock();
            for r in bot.handle("ask", &ev)?.step.replies() {
                writeln!(out, "{r}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Sub::Replay { events, db }) => {
            let store = match &db {
                Some(dir) => SledStore::open(dir)?,
                None => SledStore::temporary()?,
            };
            let bot = Bot::new(engine, store);
            let gate = stop_on_signal(&bot.store)?;
            let stdout = std::io::stdout().lock();
            if events == "-" {
                let input = GatedLines::new(std::io::stdin().lock(), gate);
                pavebot::replay::run(&bot, input, stdout)?;
            } else {
                let f = std::fs::File::open(&events)
                    .map_err(|e| anyhow::anyhow!("cannot read {events}: {e}"))?;
                pavebot::replay::run(&bot, GatedLines::new(BufReader::new(f), gate), stdout)?;
            }
            bot.store.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Sub::Console { db, user }) => console(
            engine,
            db.unwrap_or_else(|| cfg.data_dir.clone()),
            cfg.limits.cache_mb,
            &user,
        ),
        Some(Sub::Discord) => discord(cfg),
        Some(Sub::Inspect { db, thread }) => {
            use pavebot::store::Store;
            let store = SledStore::open(&db)?;
            let pending: Vec<serde_json::Value> = Store::outbox(&store, thread.as_deref())?
                .into_iter()
                .map(|e| {
                    let body = serde_json::from_slice(&e.body).unwrap_or_else(|_| {
                        serde_json::Value::String(String::from_utf8_lossy(&e.body).into_owned())
                    });
                    serde_json::json!({"thread": e.thread, "seq": e.seq, "entry": body})
                })
                .collect();
            let out = match &thread {
                Some(t) => {
                    // The stored state as it is; pending replies only when there are any.
                    let mut v = serde_json::to_value(store.load(t)?)?;
                    if !pending.is_empty() {
                        v["pending_outbox"] = serde_json::Value::Array(pending);
                    }
                    v
                }
                None => serde_json::json!({ "pending_outbox": pending }),
            };
            writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&out)?)?;
            Ok(ExitCode::SUCCESS)
        }
        None => match std::env::var("DISCORD_TOKEN") {
            Ok(t) if !t.trim().is_empty() => discord(cfg),
            _ => {
                if std::io::stdin().is_terminal() {
                    eprintln!(
                        "No DISCORD_TOKEN set, so this is the local console (state in {}).",
                        cfg.data_dir.display()
                    );
                    eprintln!("To connect to Discord: export DISCORD_TOKEN=<bot token> and run `pavebot` again (see README).");
                }
                let dir = cfg.data_dir.clone();
                console(engine, dir, cfg.limits.cache_mb, "you")
            }
        },
    }
}

fn console(
    engine: pavebot::engine::Engine,
    dir: PathBuf,
    cache_mb: u64,
    user: &str,
) -> anyhow::Result<ExitCode> {
    let store = SledStore::open_with_cache(&dir, cache_mb)?;
    let bot = Bot::new(engine, store);
    let gate = stop_on_signal(&bot.store)?;
    pavebot::console::run(
        &bot,
        GatedLines::new(std::io::stdin().lock(), gate),
        std::io::stdout().lock(),
        user,
    )?;
    bot.store.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Graceful shutdown for `replay` and `console`: on SIGTERM or SIGINT, stop reading events, let the
/// one in flight finish (its reply written), flush sled and exit 0. The handlers are installed before
/// the first event is read, so a signal never finds the default (killing) disposition.
fn stop_on_signal(store: &SledStore) -> anyhow::Result<Arc<Gate>> {
    let gate = Gate::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{signal, SignalKind};
        let _cx = rt.enter();
        (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        )
    };
    let (g, store) = (gate.clone(), store.clone());
    std::thread::Builder::new()
        .name("pavebot-signals".into())
        .spawn(move || {
            #[cfg(unix)]
            rt.block_on(async {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            });
            #[cfg(not(unix))]
            rt.block_on(async {
                let _ = tokio::signal::ctrl_c().await;
            });
            let code = g.close(|| match store.flush() {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("pavebot: could not flush the database at shutdown: {e}");
                    1
                }
            });
            std::process::exit(code);
        })?;
    Ok(gate)
}

fn discord(cfg: Config) -> anyhow::Result<ExitCode> {
    init_tracing();
    let token =
        std::env::var("DISCORD_TOKEN").map_err(|_| anyhow::anyhow!("DISCORD_TOKEN is not set"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(pavebot::discord::run(cfg, token))?;
    Ok(ExitCode::SUCCESS)
}
