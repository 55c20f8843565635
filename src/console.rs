//! `pavebot console`: an interactive chat with the engine in the terminal, on the same sled-backed
//! driver the Discord adapter uses. Commands are typed as `/confirm`, `/status` and so on.

use std::io::{BufRead, Write};

use crate::bot::Bot;
use crate::engine::input::split_slash;
use crate::engine::{Attachment, Command, Effect, Event};

/// The console's own commands (besides the engine's, listed from [`Command::ALL`]).
const CONSOLE_HELP: &str = "\
  \"\"\"                  on a line of its own: the lines up to the next \"\"\" are one message (paste a
                       multi-line answer between two of them)
  /attach PATH         attach a file (recon report or architecture doc) to your next message
  /user NAME           speak as NAME (default: you)      /roles a,b   set your roles
  /thread NAME         switch thread (default: console)  /help  /quit";

/// Console help text: every engine command with its one-line help from `replies/ui.toml`, then the
/// console's own commands.
pub fn help(bot: &Bot) -> String {
    let k = bot.engine.knowledge();
    let mut s = String::from("Type a message to talk to pavebot. Commands:\n");
    for c in Command::ALL {
        let usage = if c.takes_text() {
            format!("/{} TEXT", c.name())
        } else {
            format!("/{}", c.name())
        };
        s.push_str(&format!("  {usage:<20} {}\n", k.ui(&c.help_key())));
    }
    s.push_str(CONSOLE_HELP);
    s
}

/// The line that starts and ends a multi-line message.
const BLOCK: &str = "\"\"\"";

/// Runs the console loop until end of input or `/quit`.
pub fn run(bot: &Bot, input: impl BufRead, mut out: impl Write, user: &str) -> anyhow::Result<()> {
    let mut user = user.to_string();
    let mut roles: Vec<String> = Vec::new();
    let mut thread = "console".to_string();
    let mut pending: Vec<Attachment> = Vec::new();
    writeln!(out, "pavebot console. Describe the platform you want to build, or ask a question. Paste a multi-line answer between two lines of \"\"\". /help lists commands.")?;
    prompt(&mut out, &thread, &user)?;
    let mut lines = input.lines();
    while let Some(line) = lines.next() {
        let line = line?;
        // `"""` alone on a line: the lines up to the next one are one message, as a pasted multi-line
        // answer is in Discord (headings, lists and labels keep their lines).
        let block = if line.trim() == BLOCK {
            let mut body = Vec::new();
            for l in lines.by_ref() {
                let l = l?;
                if l.trim() == BLOCK {
                    break;
                }
                body.push(l);
            }
            Some(body.join("\n"))
        } else {
            None
        };
        let (cmd, rest) = match &block {
            Some(text) => (None, text.trim().to_string()),
            None => match split_slash(&line) {
                Some((name, rest)) => (Some(name), rest.to_string()),
                None => (None, line.trim().to_string()),
            },
        };
        let command = match cmd.as_deref() {
            None => None,
            Some("quit" | "exit" | "q") => break,
            Some("help" | "h") => {
                writeln!(out, "{}", help(bot))?;
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
