//! The handlers: one file per command and per kind of turn, each with its unit tests at the bottom.
//!
//! [`Engine::step`](crate::Engine::step) parses the event into an [`Input`] and hands it to
//! [`dispatch`], which picks the handler by the input and by what the thread awaits:
//!
//! | input | handler |
//! |---|---|
//! | `ask`, `plan`, `status`, `confirm`, `revise`, `back`, `reset`, `export`, `why`, `details` | the file of that name |
//! | a message, no engagement | [`route`] (or [`clarify`] when a clarifying question is open) |
//! | a message during Phase 1 | [`phase1`] |
//! | a message at a gate or the final reaction | [`gate`] |
//! | a question inside an engagement | [`question`] |
//! | a correction at a gate or the reaction | [`correction`] |
//!
//! Shared steps of an engagement (start it, ask or open the Phase 1 gate, enter a phase) live in
//! [`flow`]; reading attachments and applying what a message says to the inputs in [`inputs`].
//! Every sentence comes from `replies/ui.toml` through [`Cx::ui`] and [`fill`].

use crate::input::{Command, Input, Turn};
use crate::knowledge::{fill, Knowledge};
use crate::state::{AuditEntry, Engagement, ThreadState};
use crate::text::{echo, pack, DISCORD_LIMIT};
use crate::{Effect, Engine, Step};

pub(crate) mod ask;
pub(crate) mod back;
pub(crate) mod clarify;
pub(crate) mod confirm;
pub(crate) mod correction;
pub(crate) mod details;
pub(crate) mod export;
pub(crate) mod flow;
pub(crate) mod gate;
pub(crate) mod inputs;
pub(crate) mod phase1;
pub(crate) mod plan;
pub(crate) mod question;
pub(crate) mod reset;
pub(crate) mod revise;
pub(crate) mod route;
pub(crate) mod status;
pub(crate) mod why;

/// How many audit entries an engagement keeps.
const AUDIT_KEEP: usize = 200;

/// Routes one parsed input to its handler.
pub(crate) fn dispatch(cx: &mut Cx<'_>, input: Input, attachments: &[crate::Attachment]) {
    match input {
        Input::TooLong { chars } => {
            let limit = cx.e.limits.max_message_chars.to_string();
            let t = fill(
                cx.k().ui("input.too_long"),
                &[("n", &chars.to_string()), ("limit", &limit)],
            );
            cx.say(t);
        }
        Input::Command {
            command,
            text,
            gate,
        } => match command {
            Command::Status => cx.status(),
            Command::Why => cx.why(),
            Command::Export => cx.export(),
            Command::Details => cx.details(),
            Command::Ask => cx.one_shot(&text, None),
            Command::Plan => cx.plan(&text, attachments),
            Command::Confirm => cx.confirm(gate),
            Command::Revise => cx.revise(),
            Command::Back => cx.back(),
            Command::Reset => cx.reset(),
        },
        Input::Message { text, turn, gate } => {
            if cx.st.engaged().is_some() {
                match turn {
                    Turn::StartOver => cx.reset(),
                    Turn::Back => cx.back(),
                    Turn::Empty => cx.say_ui("input.empty"),
                    _ => cx.in_engagement(&text, turn, gate, attachments),
                }
            } else if turn == Turn::Empty {
                cx.say_ui("input.empty");
            } else if cx.st.pending().is_some() {
                cx.clarifying_answer(&text, attachments);
            } else {
                cx.new_message(&text, attachments);
            }
        }
    }
}

/// One step in progress: the engine, the state being changed, and the effects so far.
pub(crate) struct Cx<'e> {
    pub(crate) e: &'e Engine,
    pub(crate) st: ThreadState,
    pub(crate) out: Vec<Effect>,
    pub(crate) changed: bool,
    pub(crate) user: String,
    pub(crate) roles: Vec<String>,
}

impl<'e> Cx<'e> {
    pub(crate) fn new(e: &'e Engine, st: ThreadState, user: String, roles: Vec<String>) -> Self {
        Cx {
            e,
            st,
            out: Vec::new(),
            changed: false,
            user,
            roles,
        }
    }

    pub(crate) fn k(&self) -> &'e Knowledge {
        &self.e.kb
    }

    pub(crate) fn ui(&self, key: &str) -> String {
        self.e.kb.ui(key).to_string()
    }

    /// Posts a message, split into Discord-sized pieces where it has to be.
    pub(crate) fn say(&mut self, text: String) {
        for m in pack(&text, DISCORD_LIMIT) {
            self.out.push(Effect::Say { text: m });
        }
    }

    /// Posts one catalogue sentence as it is.
    pub(crate) fn say_ui(&mut self, key: &str) {
        let t = self.ui(key);
        self.say(t);
    }

    pub(crate) fn eng(&self) -> Option<&Engagement> {
        self.st.engaged()
    }

    pub(crate) fn eng_mut(&mut self) -> Option<&mut Engagement> {
        self.st.engaged_mut()
    }

    pub(crate) fn finish(mut self) -> Step {
        if self.changed {
            self.st.turn += 1;
        }
        Step {
            state: self.st,
            effects: self.out,
            changed: self.changed,
        }
    }

    /// The owner of the engagement, or someone with an approver role (anyone outside one).
    pub(crate) fn authorised(&self) -> bool {
        match self.eng() {
            Some(eng) => {
                eng.owner == self.user
                    || self.roles.iter().any(|r| {
                        self.e
                            .approver_roles
                            .iter()
                            .any(|a| a.eq_ignore_ascii_case(r))
                    })
            }
            None => true,
        }
    }

    /// Refuses an owner action; `action` is the `denied.<action>` key.
    pub(crate) fn deny(&mut self, action: &str) {
        let owner = self.eng().map(|e| echo(&e.owner)).unwrap_or_default();
        let roles = self.e.approver_roles.join(", ");
        let action = self.ui(&format!("denied.{action}"));
        let text = fill(
            self.k().ui("denied"),
            &[("action", &action), ("owner", &owner), ("roles", &roles)],
        );
        self.out.push(Effect::Denied { text });
    }

    /// Records an owner action in the audit trail (`action` is already filled from `audit.*`).
    pub(crate) fn audit(&mut self, action: String) {
        let turn = self.st.turn + 1;
        let user = self.user.clone();
        if let Some(eng) = self.eng_mut() {
            eng.audit.push(AuditEntry { turn, user, action });
            if eng.audit.len() > AUDIT_KEEP {
                eng.audit.remove(0);
            }
        }
    }

    /// `status.none`: the answer of every engagement command outside an engagement.
    pub(crate) fn no_engagement(&mut self) {
        self.say_ui("status.none");
    }
}

/// Helpers for the handlers' unit tests: the real engine with the project's data, driven by events.
#[cfg(test)]
pub(crate) mod testkit {
    use crate::input::Command;
    use crate::state::ThreadState;
    use crate::{Effect, Engine, Event, Step};
    use std::sync::OnceLock;

    /// The embedded engine, loaded once.
    pub(crate) fn engine() -> &'static Engine {
        static E: OnceLock<Engine> = OnceLock::new();
        E.get_or_init(|| Engine::embedded().expect("the project's data loads"))
    }

    /// A chat message from `user`.
    pub(crate) fn say(st: &ThreadState, user: &str, text: &str) -> Step {
        engine().step(
            st,
            &Event {
                user: user.into(),
                text: Some(text.into()),
                ..Event::default()
            },
        )
    }

    /// A command (slash or button) from `user`.
    pub(crate) fn cmd(st: &ThreadState, user: &str, c: Command) -> Step {
        engine().step(
            st,
            &Event {
                user: user.into(),
                command: Some(c),
                ..Event::default()
            },
        )
    }

    /// A full-build engagement by alice at its Phase 1 gate.
    pub(crate) fn at_phase1_gate() -> ThreadState {
        let s = say(
            &ThreadState::default(),
            "alice",
            "plan an idp on eks for 20 app teams\npain: tickets for every bucket\n\
             capabilities: provision aws infra\nstack: Argo CD and Terraform\nconstraints: none",
        );
        assert_eq!(s.state.open_gate(), Some(1), "{:?}", s.replies());
        s.state
    }

    /// A full-build engagement by alice with its Phase 1 questions open.
    pub(crate) fn in_phase1() -> ThreadState {
        let s = say(&ThreadState::default(), "alice", "plan an idp on eks");
        assert_eq!(
            s.state.awaiting(),
            crate::state::Awaiting::Inputs,
            "{:?}",
            s.replies()
        );
        s.state
    }

    /// The text of the replies, joined.
    pub(crate) fn text(s: &Step) -> String {
        s.replies().join("\n")
    }

    /// True when the step refused the sender.
    pub(crate) fn denied(s: &Step) -> bool {
        s.effects.iter().any(|e| matches!(e, Effect::Denied { .. }))
    }
}
