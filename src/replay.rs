//! `pavebot replay`: JSONL events in, one JSON result line per event out (see
//! `../shared/design/replay-contract.md`). The output is byte-identical for the same events on a fresh
//! database: no clock, no random ids, and every map is ordered.

use std::io::{BufRead, Write};

use serde::Serialize;
use serde_json::Value;

use crate::bot::Bot;
use crate::engine::{Attachment, Command, Effect, Event, View};
use crate::store::StoreError;

/// One result line, fields in the contract's order: `thread`, the thread's view (`mode` ... `checklist`),
/// `replies`, and (an added field) `document` for `export`.
#[derive(Debug, Serialize)]
pub struct ResultLine {
    /// Thread key.
    pub thread: String,
    /// Mode, phase, awaiting, missing, inputs, decisions, conflicts, checklist.
    #[serde(flatten)]
    pub view: View,
    /// Messages posted.
    pub replies: Vec<String>,
    /// The exported plan (only for `export`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    thread: Option<&'a str>,
    error: String,
}

/// Parses one event line into `(thread, event)`, or a one-line reason.
pub fn parse_event(line: &str) -> Result<(String, Event), (Option<String>, String)> {
    let v: Value = serde_json::from_str(line).map_err(|e| (None, format!("not JSON: {e}")))?;
    let Value::Object(obj) = &v else {
        return Err((None, "an event must be a JSON object".into()));
    };
    let thread = match obj.get("thread") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err((None, "\"thread\" must be a non-empty string".into())),
        None => return Err((None, "missing \"thread\"".into())),
    };
    let t = Some(thread.clone());
    let user = match obj.get("user") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err((t, "\"user\" must be a non-empty string".into())),
        None => return Err((t, "missing \"user\"".into())),
    };
    let text = match obj.get("text") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err((t, "\"text\" must be a string".into())),
    };
    let command = match obj.get("command") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(Command::from_name(s).ok_or_else(|| {
            (
                t.clone(),
                format!(
                    "unknown command {s:?} (expected one of: {})",
                    Command::names()
                ),
            )
        })?),
        Some(_) => return Err((t, "\"command\" must be a string".into())),
    };
    if command.is_none() && text.is_none() {
        return Err((t, "an event needs \"text\" or \"command\"".into()));
    }
    let attachments = match obj.get("attachments") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items
            .iter()
            .map(|a| {
                serde_json::from_value::<Attachment>(a.clone()).map_err(|_| {
                    (
                        t.clone(),
                        "each attachment must be {\"filename\": string, \"content\": string}"
                            .to_string(),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err((t, "\"attachments\" must be a list".into())),
    };
    let roles = match obj.get("roles") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items
            .iter()
            .map(|r| {
                r.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| (t.clone(), "\"roles\" must be a list of strings".to_string()))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err((t, "\"roles\" must be a list of strings".into())),
    };
    let gate = match obj.get("gate") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(g @ 1..=4) => Some(g as u8),
            _ => return Err((t, "\"gate\" must be a phase number from 1 to 4".into())),
        },
        Some(_) => return Err((t, "\"gate\" must be a phase number from 1 to 4".into())),
    };
    Ok((
        thread,
        Event {
            user,
            text,
            attachments,
            command,
            roles,
            gate,
        },
    ))
}

/// Handles one line: the JSON result line to print (without newline), or `None` for a blank line.
pub fn handle_line(bot: &Bot, line: &str) -> Result<Option<String>, StoreError> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let (thread, ev) = match parse_event(line) {
        Ok(x) => x,
        Err((thread, error)) => {
            let l = ErrorLine {
                thread: thread.as_deref(),
                error,
            };
            return Ok(Some(
                serde_json::to_string(&l).unwrap_or_else(|_| "{\"error\":\"unprintable\"}".into()),
            ));
        }
    };
    let out = bot.handle(&thread, &ev)?;
    let document = out.step.effects.iter().find_map(|e| match e {
        Effect::Document { markdown, .. } => Some(markdown.clone()),
        _ => None,
    });
    let line = ResultLine {
        thread,
        view: bot.engine.view(&out.step.state),
        replies: out.step.replies(),
        document,
    };
    Ok(Some(
        serde_json::to_string(&line).map_err(|e| StoreError::Io(e.to_string()))?,
    ))
}

/// Runs a whole replay: every line of `input` to `output`, flushed after each result.
pub fn run(bot: &Bot, input: impl BufRead, mut output: impl Write) -> anyhow::Result<()> {
    for line in input.split(b'\n') {
        let bytes = line?;
        let line = String::from_utf8_lossy(&bytes);
        let line = line.trim_end_matches('\r');
        if let Some(result) = handle_line(bot, line)? {
            output.write_all(result.as_bytes())?;
            output.write_all(b"\n")?;
            output.flush()?;
        }
    }
    Ok(())
}
