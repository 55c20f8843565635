//! `pavebot console`: an interactive chat with the engine in the terminal, on the same sled-backed
//! driver the Discord adapter uses. Commands are typed as `/confirm`, `/status` and so on.

use std::io::{BufRead, Write};

use crate::bot::Bot;
use crate::engine::{Attachment, Command, Effect, Event};

/// Console help text.
pub const HELP: &str = "\
Type a message to talk to pavebot. Commands:
  /confirm  /revise  /back  /reset  /status  /why  /export
  /ask QUESTION        one-shot answer (never opens an engagement)
  /plan TEXT           start an engagement with TEXT
  /attach PATH         attach a file (recon report or architecture doc) to your next message
  /user NAME           speak as NAME (default: you)      /roles a,b   set your roles
  /thread NAME         switch thread (default: console)  /help  /quit";

/// Runs the console loop until end of input or `/quit`.
pub fn run(bot: &Bot, input: impl BufRead, mut out: impl Write, user: &str) -> anyhow::Result<()> {
    let mut user = user.to_string();
    let mut roles: Vec<String> = Vec::new();
    let mut thread = "console".to_string();
    let mut pending: Vec<Attachment> = Vec::new();
    writeln!(out, "pavebot console. Describe the platform you want to build, or ask a question. /help lists commands.")?;
    prompt(&mut out, &thread, &user)?;
    for line in input.lines() {
        let line = line?;
        let trimmed = line.trim();
        let (cmd, rest) = match trimmed.strip_prefix('/') {
            Some(r) => {
                let mut it = r.splitn(2, char::is_whitespace);
                (
                    Some(it.next().unwrap_or("").to_lowercase()),
                    it.next().unwrap_or("").trim().to_string(),
                )
            }
            None => (None, trimmed.to_string()),
        };
        let command = match cmd.as_deref() {
            None => None,
            Some("quit" | "exit" | "q") => break,
            Some("help" | "h") => {
                writeln!(out, "{HELP}")?;
                prompt(&mut out, &thread, &user)?;
                continue;
            }
            Some("user") if !rest.is_empty() => {
                user = rest.clone();
                prompt(&mut out, &thread, &user)?;
                continue;
            }
            Some("roles") => {
                roles = rest
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                prompt(&mut out, &thread, &user)?;
                continue;
            }
            Some("thread") if !rest.is_empty() => {
                thread = rest.clone();
                prompt(&mut out, &thread, &user)?;
                continue;
            }
            Some("attach") => {
                match std::fs::read(&rest) {
                    Ok(bytes) => {
                        let filename = std::path::Path::new(&rest)
                            .file_name()
                            .map(|f| f.to_string_lossy().into_owned())
                            .unwrap_or_else(|| rest.clone());
                        pending.push(Attachment {
                            filename,
                            content: String::from_utf8_lossy(&bytes).into_owned(),
                        });
                        writeln!(out, "(attached {rest}; it goes with your next message)")?;
                    }
                    Err(e) => writeln!(out, "(cannot read {rest}: {e})")?,
                }
                prompt(&mut out, &thread, &user)?;
                continue;
            }
            Some(name) => match Command::from_name(name) {
                Some(c) => Some(c),
                None => {
                    writeln!(out, "(unknown command /{name}; /help lists them)")?;
                    prompt(&mut out, &thread, &user)?;
                    continue;
                }
            },
        };
        if command.is_none() && rest.is_empty() && pending.is_empty() {
            prompt(&mut out, &thread, &user)?;
            continue;
        }
        let ev = Event {
            user: user.clone(),
            text: (!rest.is_empty()).then(|| rest.clone()),
            attachments: std::mem::take(&mut pending),
            command,
            roles: roles.clone(),
            gate: None,
        };
        let outcome = bot.handle(&thread, &ev)?;
        for e in &outcome.step.effects {
            match e {
                Effect::Say { text } => writeln!(out, "\n{text}\n")?,
                Effect::Denied { text } => writeln!(out, "\n(only you see this) {text}\n")?,
                Effect::Document { filename, markdown } => {
                    let path = std::env::temp_dir().join(filename);
                    match std::fs::write(&path, markdown) {
                        Ok(()) => writeln!(out, "(plan written to {})", path.display())?,
                        Err(e) => writeln!(out, "(could not write the plan: {e})")?,
                    }
                }
                Effect::GateButtons { .. } => writeln!(out, "[ /confirm ]  [ /revise ]")?,
                Effect::FormButton { .. } | Effect::OpenThread { .. } => {}
            }
        }
        prompt(&mut out, &thread, &user)?;
    }
    Ok(())
}

fn prompt(out: &mut impl Write, thread: &str, user: &str) -> std::io::Result<()> {
    write!(out, "{user}@{thread}> ")?;
    out.flush()
}
