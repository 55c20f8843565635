//! The adapter's pure mapping logic, kept free of serenity so it can be unit-tested: conversation keys,
//! `custom_id` formats, mention stripping, effects to planned Discord calls, and the Phase 1 form.

use crate::engine::state::Slot;
use crate::engine::text::{pack, DISCORD_LIMIT};
use crate::engine::Effect;
use crate::knowledge::Knowledge;

/// Discord allows at most five text inputs in one modal.
pub const MAX_MODAL_FIELDS: usize = 5;
/// Discord's limit on a modal field label.
pub const MAX_LABEL_CHARS: usize = 45;
/// Discord's limit on a thread name.
pub const MAX_THREAD_NAME_CHARS: usize = 100;

/// The conversation key of an engagement thread: its channel id.
pub fn thread_key(thread_id: u64) -> String {
    thread_id.to_string()
}

/// The conversation key for a user outside an engagement thread (mentions and slash commands in a
/// channel): one per channel and user, so a pending clarification survives until the next mention.
pub fn channel_key(channel_id: u64, user_id: u64) -> String {
    format!("{channel_id}:{user_id}")
}

/// A button or modal, decoded from its `custom_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomId {
    /// A STOP gate button: `gate:<thread>:<phase>:confirm` or `...:revise`.
    Gate {
        /// The conversation key.
        thread: String,
        /// The phase whose gate the button belongs to.
        phase: u8,
        /// True for Confirm, false for Revise.
        confirm: bool,
    },
    /// The "Answer in a form" button, and the modal it opens: `form:<thread>`.
    Form {
        /// The conversation key.
        thread: String,
    },
}

impl CustomId {
    /// The wire form (at most 100 characters for any key this adapter makes).
    pub fn encode(&self) -> String {
        match self {
            CustomId::Gate {
                thread,
                phase,
                confirm,
            } => format!(
                "gate:{thread}:{phase}:{}",
                if *confirm { "confirm" } else { "revise" }
            ),
            CustomId::Form { thread } => format!("form:{thread}"),
        }
    }

    /// Parses a `custom_id`; anything malformed or foreign is `None`.
    pub fn parse(s: &str) -> Option<CustomId> {
        if s.len() > 100 {
            return None;
        }
        let valid_key = |k: &str| {
            !k.is_empty()
                && k.split(':')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        };
        if let Some(thread) = s.strip_prefix("form:") {
            return valid_key(thread).then(|| CustomId::Form {
                thread: thread.to_string(),
            });
        }
        let rest = s.strip_prefix("gate:")?;
        let (rest, action) = rest.rsplit_once(':')?;
        let (thread, phase) = rest.rsplit_once(':')?;
        let confirm = match action {
            "confirm" => true,
            "revise" => false,
            _ => return None,
        };
        let phase: u8 = phase.parse().ok().filter(|p| (1..=4).contains(p))?;
        valid_key(thread).then(|| CustomId::Gate {
            thread: thread.to_string(),
            phase,
            confirm,
        })
    }
}

/// One button to put under a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Button {
    /// The `custom_id`.
    pub custom_id: String,
    /// The label.
    pub label: String,
    /// Primary (blue) or secondary (grey).
    pub primary: bool,
}

/// One Discord call the adapter will make, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// Open a public thread (named `name`) and post everything after this in it.
    OpenThread {
        /// The thread name (1-100 characters).
        name: String,
    },
    /// Post a message, with buttons when a gate or a form goes with it.
    Send {
        /// The content (at most 2000 characters).
        text: String,
        /// Buttons (one row).
        buttons: Vec<Button>,
    },
    /// Post a Markdown file with one line (the engine's line about it).
    File {
        /// The line posted with the file.
        note: String,
        /// The file name.
        filename: String,
        /// The Markdown.
        markdown: String,
    },
    /// The sender may not do that: ephemeral for interactions, a plain reply for messages.
    Denied {
        /// Why.
        text: String,
    },
}

/// Turns the engine's effects for conversation `key` into Discord calls: buttons go onto the message
/// before them, texts are kept within 2000 characters.
pub fn plan(key: &str, effects: &[Effect]) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::new();
    let attach = |out: &mut Vec<Planned>, mut buttons: Vec<Button>| {
        if let Some(Planned::Send { buttons: b, .. }) = out
            .iter_mut()
            .rev()
            .find(|p| matches!(p, Planned::Send { .. }))
        {
            b.append(&mut buttons);
        } else {
            out.push(Planned::Send {
                text: "\u{2b07}\u{fe0f}".to_string(),
                buttons,
            });
        }
    };
    for e in effects {
        match e {
            Effect::OpenThread { title } => out.push(Planned::OpenThread {
                name: thread_name(title),
            }),
            Effect::Say { text } => {
                for part in pack(text, DISCORD_LIMIT) {
                    out.push(Planned::Send {
                        text: part,
                        buttons: vec![],
                    });
                }
            }
            Effect::GateButtons { phase } => attach(
                &mut out,
                vec![
                    Button {
                        custom_id: CustomId::Gate {
                            thread: key.to_string(),
                            phase: *phase,
                            confirm: true,
                        }
                        .encode(),
                        label: "Confirm".into(),
                        primary: true,
                    },
                    Button {
                        custom_id: CustomId::Gate {
                            thread: key.to_string(),
                            phase: *phase,
                            confirm: false,
                        }
                        .encode(),
                        label: "Revise".into(),
                        primary: false,
                    },
                ],
            ),
            Effect::FormButton { missing } if !missing.is_empty() => attach(
                &mut out,
                vec![Button {
                    custom_id: CustomId::Form {
                        thread: key.to_string(),
                    }
                    .encode(),
                    label: "Answer in a form".into(),
                    primary: true,
                }],
            ),
            Effect::FormButton { .. } => {}
            Effect::Document { filename, markdown } => {
                // The line that announces the document goes with it: export posts one message.
                let note = match out.last() {
                    Some(Planned::Send { text, buttons }) if buttons.is_empty() => {
                        let t = text.clone();
                        out.pop();
                        t
                    }
                    _ => String::new(),
                };
                out.push(Planned::File {
                    note,
                    filename: safe_filename(filename),
                    markdown: markdown.clone(),
                })
            }
            Effect::Denied { text } => {
                for part in pack(text, DISCORD_LIMIT) {
                    out.push(Planned::Denied { text: part });
                }
            }
        }
    }
    out
}

/// Rewrites the conversation key inside every button of `planned` (used when an engagement that was
/// keyed by channel and user moves into its new thread).
pub fn rekey(planned: &mut [Planned], new_key: &str) {
    for p in planned {
        if let Planned::Send { buttons, .. } = p {
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

/// A thread name from the engine's title: plain text on one line (mention syntax such as `<@&id>` is
/// dropped, `@everyone` loses its `@`, no zero-width characters; a name never pings anyway),
/// 1-100 characters.
pub fn thread_name(title: &str) -> String {
    let mut plain = String::with_capacity(title.len());
    let mut rest = title;
    while let Some(i) = rest.find('<') {
        plain.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find('>').filter(|&e| {
            let inner = &tail[1..e];
            let inner = inner
                .strip_prefix("@&")
                .or_else(|| inner.strip_prefix("@!"))
                .or_else(|| inner.strip_prefix('@'))
                .or_else(|| inner.strip_prefix('#'));
            inner.is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        });
        match end {
            Some(e) => rest = &tail[e + 1..],
            None => {
                plain.push('<');
                rest = &tail[1..];
            }
        }
    }
    plain.push_str(rest);
    let plain = plain
        .replace("@everyone", "everyone")
        .replace("@here", "here");
    let words: Vec<&str> = plain
        .split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
                )
        })
        .filter(|w| !w.is_empty())
        .collect();
    let t: String = words
        .join(" ")
        .chars()
        .take(MAX_THREAD_NAME_CHARS)
        .collect();
    if t.trim().is_empty() {
        "Platform plan".to_string()
    } else {
        t
    }
}

fn safe_filename(name: &str) -> String {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(80)
        .collect();
    if n.trim_matches('.').is_empty() {
        "plan.md".to_string()
    } else {
        n
    }
}

/// Removes mentions of the bot (`<@id>` and `<@!id>`) from a message and trims it.
pub fn strip_mention(content: &str, bot_id: u64) -> String {
    content
        .replace(&format!("<@{bot_id}>"), " ")
        .replace(&format!("<@!{bot_id}>"), " ")
        .trim()
        .to_string()
}

/// True when the content mentions the bot.
pub fn mentions(content: &str, bot_id: u64) -> bool {
    content.contains(&format!("<@{bot_id}>")) || content.contains(&format!("<@!{bot_id}>"))
}

/// The label words the Phase 1 extractor recognises on a `label: value` line, per slot.
fn form_label(slot: Slot) -> &'static str {
    match slot {
        Slot::ConsumerTeams => "teams",
        Slot::TopPain => "pain",
        Slot::FirstCapabilities => "capabilities",
        Slot::ExistingStack => "stack",
        Slot::Constraints => "constraints",
    }
}

/// One modal field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    /// The `custom_id` (the slot id).
    pub custom_id: String,
    /// The label shown (at most 45 characters).
    pub label: String,
}

/// The fields of the Phase 1 form: one per missing input, at most five, labelled from `replies/`.
pub fn form_fields(k: &Knowledge, missing: &[Slot]) -> Vec<FormField> {
    missing
        .iter()
        .take(MAX_MODAL_FIELDS)
        .map(|s| FormField {
            custom_id: s.id().to_string(),
            label: k
                .ui(&format!("slot.{}", s.id()))
                .chars()
                .take(MAX_LABEL_CHARS)
                .collect(),
        })
        .collect()
}

/// The message text a submitted form stands for: one labelled line per answered field, which the
/// engine's extractor reads like a typed `pain: ...` answer. Unknown fields and blanks are dropped.
pub fn form_text(values: &[(String, String)]) -> String {
    values
        .iter()
        .filter_map(|(id, v)| {
            let slot = Slot::from_id(id)?;
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (!v.is_empty()).then(|| format!("{}: {v}", form_label(slot)))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// True when an attachment looks like text the engine can read (by content type or extension).
pub fn is_text_attachment(filename: &str, content_type: Option<&str>) -> bool {
    if let Some(ct) = content_type {
        let ct = ct.to_ascii_lowercase();
        if ct.starts_with("text/")
            || ct.contains("json")
            || ct.contains("yaml")
            || ct.contains("toml")
            || ct.contains("markdown")
        {
            return true;
        }
    }
    let lower = filename.to_ascii_lowercase();
    [
        ".md",
        ".markdown",
        ".txt",
        ".yaml",
        ".yml",
        ".json",
        ".toml",
        ".csv",
        ".log",
        ".tf",
        ".adoc",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
}

/// The shard that owns a guild: `(guild_id >> 22) % shard_count`.
pub fn shard_for(guild_id: u64, shard_count: u32) -> u32 {
    ((guild_id >> 22) % u64::from(shard_count.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_custom_ids_round_trip_and_reject_junk() {
        let g = CustomId::Gate {
            thread: "123".into(),
            phase: 2,
            confirm: true,
        };
        assert_eq!(g.encode(), "gate:123:2:confirm");
        assert_eq!(CustomId::parse(&g.encode()), Some(g));
        let f = CustomId::Form {
            thread: "9:8".into(),
        };
        assert_eq!(CustomId::parse("form:9:8"), Some(f));
        assert_eq!(
            CustomId::parse("gate:5:1:revise"),
            Some(CustomId::Gate {
                thread: "5".into(),
                phase: 1,
                confirm: false
            })
        );
        for bad in [
            "",
            "gate:",
            "gate:1:9:confirm",
            "gate:1:1:delete",
            "gate::1:confirm",
            "gate:abc:1:confirm",
            "form:",
            "form:x",
            "other:1",
            &"9".repeat(200),
        ] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn discord_plan_attaches_buttons_to_the_last_message() {
        let effects = vec![
            Effect::OpenThread {
                title: "Full build: @everyone hi".into(),
            },
            Effect::Say { text: "one".into() },
            Effect::Say { text: "two".into() },
            Effect::GateButtons { phase: 1 },
        ];
        let p = plan("42", &effects);
        assert_eq!(p.len(), 3);
        let Planned::OpenThread { name } = &p[0] else {
            panic!("{p:?}")
        };
        assert!(!name.contains("@everyone"), "{name}");
        assert!(matches!(&p[1], Planned::Send { buttons, .. } if buttons.is_empty()));
        let Planned::Send { text, buttons } = &p[2] else {
            panic!()
        };
        assert_eq!(text, "two");
        let ids: Vec<&str> = buttons.iter().map(|b| b.custom_id.as_str()).collect();
        assert_eq!(ids, ["gate:42:1:confirm", "gate:42:1:revise"]);
    }

    #[test]
    fn discord_plan_maps_form_document_and_denied() {
        let p = plan(
            "7:8",
            &[
                Effect::Say { text: "q".into() },
                Effect::FormButton {
                    missing: vec![Slot::TopPain],
                },
                Effect::Document {
                    filename: "../../etc/passwd".into(),
                    markdown: "# x".into(),
                },
                Effect::Denied { text: "no".into() },
            ],
        );
        assert!(
            matches!(&p[0], Planned::Send { buttons, .. } if buttons[0].custom_id == "form:7:8")
        );
        assert!(
            matches!(&p[1], Planned::File { filename, .. } if filename == "....etcpasswd"),
            "{p:?}"
        );
        assert_eq!(p[2], Planned::Denied { text: "no".into() });
        // The line before a document goes with it.
        let e = plan(
            "1",
            &[
                Effect::Say {
                    text: "Here it is".into(),
                },
                Effect::Document {
                    filename: "plan.md".into(),
                    markdown: "# x".into(),
                },
            ],
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(matches!(&e[0], Planned::File { note, .. } if note == "Here it is"));
        assert_eq!(
            thread_name("Full build: <@&123> and <@!45> @everyone <#9> <b>\u{200b}\u{200b}x"),
            "Full build: and everyone <b> x"
        );
        let mut p = p;
        rekey(&mut p, "99");
        assert!(
            matches!(&p[0], Planned::Send { buttons, .. } if buttons[0].custom_id == "form:99")
        );
    }

    #[test]
    fn discord_plan_keeps_every_message_under_the_limit() {
        let para = "word ".repeat(300);
        let long = [para.trim(); 6].join("\n\n");
        assert!(long.chars().count() > 4000);
        let p = plan("1", &[Effect::Say { text: long }]);
        assert!(p.len() >= 3, "{}", p.len());
        for m in p {
            let Planned::Send { text, .. } = m else {
                panic!()
            };
            assert!(text.chars().count() <= DISCORD_LIMIT);
        }
    }

    #[test]
    fn discord_mentions_are_stripped() {
        assert_eq!(strip_mention("<@5> what is kro", 5), "what is kro");
        assert_eq!(strip_mention("hey <@!5>  ", 5), "hey");
        assert!(mentions("x <@!5>", 5));
        assert!(!mentions("x <@55>", 5));
        assert_eq!(strip_mention("<@55> hi", 5), "<@55> hi");
    }

    #[test]
    fn discord_form_fields_and_text() {
        let k = Knowledge::embedded().unwrap();
        let f = form_fields(&k, &Slot::ALL);
        assert_eq!(f.len(), 5);
        assert_eq!(f[1].custom_id, "top_pain");
        assert_eq!(f[1].label, "Top pain");
        assert!(f.iter().all(|x| x.label.chars().count() <= MAX_LABEL_CHARS));
        let t = form_text(&[
            ("top_pain".into(), "tickets\nfor everything".into()),
            ("constraints".into(), "  ".into()),
            ("bogus".into(), "x".into()),
            ("existing_stack".into(), "argo cd".into()),
        ]);
        assert_eq!(t, "pain: tickets for everything\nstack: argo cd");
    }

    #[test]
    fn discord_form_text_is_read_by_the_extractor() {
        let e = crate::engine::Engine::embedded().unwrap();
        let t = form_text(&[
            ("consumer_teams".into(), "30 app teams".into()),
            ("top_pain".into(), "ticket-driven infra".into()),
            ("constraints".into(), "none".into()),
        ]);
        let hits = e.extractor().extract(&t, &[]);
        for s in [Slot::ConsumerTeams, Slot::TopPain, Slot::Constraints] {
            assert!(hits.iter().any(|h| h.slot == s), "{s:?} in {hits:?}");
        }
    }

    #[test]
    fn discord_keys_attachments_and_shards() {
        assert_eq!(thread_key(12), "12");
        assert_eq!(channel_key(12, 34), "12:34");
        assert!(is_text_attachment("report.yaml", None));
        assert!(is_text_attachment(
            "x.bin",
            Some("text/plain; charset=utf-8")
        ));
        assert!(!is_text_attachment("photo.png", Some("image/png")));
        assert_eq!(shard_for(5 << 22, 4), 1);
        assert_eq!(shard_for(123, 1), 0);
        assert_eq!(shard_for(7 << 22, 0), 0);
    }
}
