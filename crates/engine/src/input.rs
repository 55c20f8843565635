//! One parser: whatever a front end received (a chat message, a slash command, a button, a console
//! `/command`, a replay line) becomes one typed [`Input`] here, and the handlers never look at raw
//! strings to decide what a message *is*.
//!
//! * [`Command`] is the one table of command names: console, replay and Discord take names, parsing
//!   and help (`help.<name>` in `replies/ui.toml`) from it.
//! * [`Turns`] holds the turn patterns of `config/turns.toml` (confirm, back, start over, go on,
//!   question, advice, correction), loaded and validated like the routing table.
//! * [`parse`] turns an [`Event`] into an [`Input`]: over-long messages, commands (given, or typed as
//!   chat), and messages with the [`Turn`] their text reads as.

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::LoadError;
use crate::state::Slot;
use crate::text::clean;
use crate::{Event, Limits};

/// Where `config/turns.toml` sits, for load errors.
pub const TURNS_FILE: &str = "config/turns.toml";

/// What a slash command, a button press or a console `/command` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// One-shot answer; never opens an engagement.
    Ask,
    /// Start an engagement with the text as the first message.
    Plan,
    /// Where the engagement stands.
    Status,
    /// Confirm the open gate.
    Confirm,
    /// Ask to change something at the gate.
    Revise,
    /// Go back one gate.
    Back,
    /// Drop the engagement.
    Reset,
    /// The whole plan as one document.
    Export,
    /// Why this mode.
    Why,
    /// The full detail of the plan (every component, every step).
    Details,
}

/// How a command may be typed as a plain chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Typed {
    /// As its bare name (`status`, `/status`, `status?`).
    Bare,
    /// Only with a slash (`/confirm`): the bare word is an ordinary answer.
    Slash,
    /// Never: it needs its text argument from a front end.
    Never,
}

/// The command table: name and how it may be typed, in the order help lists them.
const TABLE: [(Command, &str, Typed); 10] = [
    (Command::Ask, "ask", Typed::Never),
    (Command::Plan, "plan", Typed::Never),
    (Command::Status, "status", Typed::Bare),
    (Command::Confirm, "confirm", Typed::Slash),
    (Command::Revise, "revise", Typed::Never),
    (Command::Back, "back", Typed::Slash),
    (Command::Reset, "reset", Typed::Slash),
    (Command::Export, "export", Typed::Bare),
    (Command::Why, "why", Typed::Bare),
    (Command::Details, "details", Typed::Bare),
];

impl Command {
    /// Every command, in the order help lists them.
    pub const ALL: [Command; 10] = [
        Command::Ask,
        Command::Plan,
        Command::Status,
        Command::Confirm,
        Command::Revise,
        Command::Back,
        Command::Reset,
        Command::Export,
        Command::Why,
        Command::Details,
    ];

    fn row(self) -> (Command, &'static str, Typed) {
        // TABLE lists every variant (checked by a unit test).
        TABLE
            .into_iter()
            .find(|(c, _, _)| *c == self)
            .unwrap_or((self, "", Typed::Never))
    }

    /// The command's name (`confirm`), as slash commands, console and replay spell it.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// Parses a command name (lowercase, as the table spells it).
    pub fn from_name(s: &str) -> Option<Command> {
        TABLE
            .into_iter()
            .find(|(_, n, _)| *n == s)
            .map(|(c, _, _)| c)
    }

    /// The `replies/ui.toml` key of the command's one-line help.
    pub fn help_key(self) -> String {
        match self {
            Command::Ask => "help.ask",
            Command::Plan => "help.plan",
            Command::Status => "help.status",
            Command::Confirm => "help.confirm",
            Command::Revise => "help.revise",
            Command::Back => "help.back",
            Command::Reset => "help.reset",
            Command::Export => "help.export",
            Command::Why => "help.why",
            Command::Details => "help.details",
        }
        .to_string()
    }

    /// True when the command takes free text (`ask QUESTION`, `plan TEXT`).
    pub fn takes_text(self) -> bool {
        matches!(self, Command::Ask | Command::Plan)
    }

    /// Every name, comma-separated (`ask, plan, ...`), for error messages of front ends.
    pub fn names() -> String {
        Command::ALL.map(Command::name).join(", ")
    }

    /// A command typed as a whole chat message (`status`, `/export`, `/confirm.`), if the text is one.
    pub fn typed(text: &str) -> Option<Command> {
        let slash = text.starts_with('/');
        let word = text
            .strip_prefix('/')
            .unwrap_or(text)
            .trim_end_matches(['.', '!', '?']);
        let c = Command::from_name(&word.to_lowercase())?;
        match c.row().2 {
            Typed::Bare => Some(c),
            Typed::Slash if slash => Some(c),
            _ => None,
        }
    }
}

/// A console-style line `/name rest`: the command name (lowercased) and the rest, trimmed.
/// `None` when the line does not start with `/`.
pub fn split_slash(line: &str) -> Option<(String, &str)> {
    let r = line.trim().strip_prefix('/')?;
    let mut it = r.splitn(2, char::is_whitespace);
    let name = it.next().unwrap_or("").to_lowercase();
    Some((name, it.next().unwrap_or("").trim()))
}

/// What a message's text reads as, before the state decides what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// No text and no attachments.
    Empty,
    /// "start over", "reset", "new plan".
    StartOver,
    /// "go back", "undo".
    Back,
    /// "yes", "lgtm", "👍".
    Confirm,
    /// "just go ahead", "use your defaults", "skip the rest": go on with what the bot has.
    GoOn,
    /// A question (not a correction phrased with a question mark).
    Question,
    /// Anything else: an answer, a correction, a request.
    Other,
}

/// A message's text, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The message is longer than the limit.
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// A command, from a front end or typed as chat.
    Command {
        /// Which.
        command: Command,
        /// The (cleaned, trimmed) text that came with it.
        text: String,
        /// For a confirmation: the gate the sender saw open.
        gate: Option<u8>,
    },
    /// A chat message.
    Message {
        /// The cleaned, trimmed text.
        text: String,
        /// What it reads as.
        turn: Turn,
        /// The gate the adapter last showed, when it stamps a typed confirmation with it.
        gate: Option<u8>,
    },
}

/// The turn patterns (`config/turns.toml`).
#[derive(Debug, Clone)]
pub struct Turns {
    confirm: Regex,
    start_over: Regex,
    back: Regex,
    go_on: Regex,
    question: Regex,
    advice: Regex,
    correction: Regex,
    about: Vec<(Slot, Vec<String>)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnsFile {
    confirm: String,
    start_over: String,
    back: String,
    go_on: String,
    question: String,
    advice: String,
    correction: String,
    about: Vec<AboutFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AboutFile {
    input: String,
    words: Vec<String>,
}

impl Turns {
    /// The compiled-in `config/turns.toml`.
    pub const EMBEDDED: &'static str = include_str!("../../../config/turns.toml");

    /// Parses and compiles `config/turns.toml` text (patterns match case-insensitively).
    pub fn parse(text: &str) -> Result<Turns, LoadError> {
        let f: TurnsFile =
            toml::from_str(text).map_err(|e| LoadError::new(TURNS_FILE, e.to_string()))?;
        let re = |name: &str, p: &str| {
            if p.trim().is_empty() {
                return Err(LoadError::new(TURNS_FILE, format!("{name}: empty pattern")));
            }
            regex::RegexBuilder::new(p)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| LoadError::new(TURNS_FILE, format!("{name}: {e}")))
        };
        let mut about = Vec::new();
        for a in &f.about {
            let slot = Slot::from_id(&a.input).ok_or_else(|| {
                LoadError::new(TURNS_FILE, format!("about: unknown input {:?}", a.input))
            })?;
            if a.words.is_empty() || a.words.iter().any(|w| w.trim().is_empty()) {
                return Err(LoadError::new(
                    TURNS_FILE,
                    format!("about {}: words must be a list of non-empty words", a.input),
                ));
            }
            about.push((slot, a.words.iter().map(|w| w.to_lowercase()).collect()));
        }
        Ok(Turns {
            about,
            confirm: re("confirm", &f.confirm)?,
            start_over: re("start_over", &f.start_over)?,
            back: re("back", &f.back)?,
            go_on: re("go_on", &f.go_on)?,
            question: re("question", &f.question)?,
            advice: re("advice", &f.advice)?,
            correction: re("correction", &f.correction)?,
        })
    }

    /// The Phase 1 question a question inside an engagement asks about, if it names one.
    pub fn about(&self, text: &str) -> Option<Slot> {
        let lower = text.to_lowercase();
        self.about
            .iter()
            .find(|(_, words)| words.iter().any(|w| lower.contains(w.as_str())))
            .map(|(slot, _)| *slot)
    }

    /// What a message reads as. Messages with attachments are answers (or empty never).
    pub fn classify(&self, text: &str, attachments: bool) -> Turn {
        if attachments {
            return Turn::Other;
        }
        if self.start_over.is_match(text) {
            return Turn::StartOver;
        }
        if self.back.is_match(text) {
            return Turn::Back;
        }
        if text.is_empty() {
            return Turn::Empty;
        }
        if self.confirm.is_match(text) {
            return Turn::Confirm;
        }
        if self.go_on.is_match(text) {
            return Turn::GoOn;
        }
        // "should we switch to Flux?" asks for advice; "actually we use Flux" corrects.
        if self.question.is_match(text)
            && (!self.correction.is_match(text) || self.advice.is_match(text))
        {
            return Turn::Question;
        }
        Turn::Other
    }
}

/// Parses one event: the only place that decides what a front end's event is. Turn patterns only
/// mean something inside an engagement, so outside one (`engaged` false) a message reads as
/// [`Turn::Empty`] or [`Turn::Other`] and the patterns are not run.
pub fn parse(turns: &Turns, limits: &Limits, ev: &Event, engaged: bool) -> Input {
    let raw = ev.text.as_deref().unwrap_or("");
    let chars = raw.chars().count();
    if chars > limits.max_message_chars {
        return Input::TooLong { chars };
    }
    let text = clean(raw).trim().to_string();
    let command = ev.command.or_else(|| {
        // A command typed as a chat message ("status", "/export") means the command.
        if ev.attachments.is_empty() {
            Command::typed(&text)
        } else {
            None
        }
    });
    match command {
        Some(command) => Input::Command {
            command,
            text,
            gate: ev.gate,
        },
        None => {
            let attachments = !ev.attachments.is_empty();
            let turn = match (engaged, text.is_empty() && !attachments) {
                (_, true) => Turn::Empty,
                (true, false) => turns.classify(&text, attachments),
                (false, false) => Turn::Other,
            };
            Input::Message {
                text,
                turn,
                gate: ev.gate,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turns() -> Turns {
        Turns::parse(Turns::EMBEDDED).expect("config/turns.toml loads")
    }

    fn msg(text: &str) -> Event {
        Event {
            user: "alice".into(),
            text: Some(text.into()),
            ..Event::default()
        }
    }

    #[test]
    fn the_table_names_every_command_once_and_names_round_trip() {
        for c in Command::ALL {
            assert!(!c.name().is_empty(), "{c:?} is in TABLE");
            assert_eq!(Command::from_name(c.name()), Some(c));
            assert_eq!(
                Command::typed(&format!("/{}", c.name().to_uppercase())).is_some(),
                c.row().2 != Typed::Never
            );
        }
        assert_eq!(Command::from_name("teleport"), None);
        assert_eq!(
            Command::names(),
            "ask, plan, status, confirm, revise, back, reset, export, why, details"
        );
    }

    #[test]
    fn commands_typed_as_chat() {
        assert_eq!(Command::typed("status"), Some(Command::Status));
        assert_eq!(Command::typed("/export"), Some(Command::Export));
        assert_eq!(Command::typed("why?"), Some(Command::Why));
        assert_eq!(Command::typed("Details"), Some(Command::Details));
        assert_eq!(Command::typed("/confirm"), Some(Command::Confirm));
        assert_eq!(Command::typed("confirm"), None, "a bare confirm is a turn");
        assert_eq!(Command::typed("reset"), None);
        assert_eq!(Command::typed("/ask what"), None);
        assert_eq!(Command::typed("/revise"), None);
    }

    #[test]
    fn split_slash_takes_name_and_rest() {
        assert_eq!(
            split_slash("/Plan  a portal "),
            Some(("plan".into(), "a portal"))
        );
        assert_eq!(split_slash("/status"), Some(("status".into(), "")));
        assert_eq!(split_slash("hello"), None);
    }

    #[test]
    fn turns_classify_in_priority_order() {
        let t = turns();
        assert_eq!(t.classify("", false), Turn::Empty);
        assert_eq!(t.classify("yes please", false), Turn::Confirm);
        assert_eq!(t.classify("LGTM!", false), Turn::Confirm);
        assert_eq!(t.classify("👍", false), Turn::Confirm);
        assert_eq!(t.classify("start over", false), Turn::StartOver);
        assert_eq!(t.classify("go back", false), Turn::Back);
        assert_eq!(t.classify("what is kro?", false), Turn::Question);
        assert_eq!(
            t.classify("should we switch to Flux?", false),
            Turn::Question
        );
        assert_eq!(t.classify("actually we use Flux", false), Turn::Other);
        assert_eq!(t.classify("we use flux now?", false), Turn::Other);
        assert_eq!(t.classify("yes", true), Turn::Other, "attachments answer");
    }

    #[test]
    fn questions_naming_the_teams_own_tools_are_questions() {
        let t = turns();
        for q in [
            "why kargo if we're on flux?",
            "why not flagger, we already run istio?",
            "would crossplane fit since we have terraform?",
            // Paraphrases.
            "why do you pick kargo when we are on flux?",
            "how does kargo fit if we're using flux?",
            "is crossplane worth it given we have terraform already?",
            "what does flagger add, we run istio?",
            "could we keep terraform instead of crossplane?",
        ] {
            assert_eq!(t.classify(q, false), Turn::Question, "{q}");
        }
        // Corrections stay corrections.
        assert_eq!(t.classify("actually we're on flux", false), Turn::Other);
        assert_eq!(t.classify("we use flux now?", false), Turn::Other);
        assert_eq!(t.classify("we run istio, not linkerd", false), Turn::Other);
    }

    #[test]
    fn going_on_with_what_the_bot_has() {
        let t = turns();
        for g in [
            "just go ahead",
            "use your defaults",
            "skip the rest",
            "good enough, continue",
            // Paraphrases.
            "Just go ahead please.",
            "ok, go on with what you have",
            "carry on with your assumptions",
            "make your own assumptions for the rest",
            "fill in the gaps yourself",
            "that's all we know, proceed anyway",
            "use the defaults for the rest",
        ] {
            assert_eq!(t.classify(g, false), Turn::GoOn, "{g}");
        }
        assert_eq!(t.classify("go ahead", false), Turn::Confirm);
        assert_eq!(t.classify("30 app teams", false), Turn::Other);
        assert_eq!(t.classify("we skip tests in CI", false), Turn::Other);
    }

    #[test]
    fn parse_types_commands_messages_and_long_text() {
        let t = turns();
        let limits = Limits::default();
        assert_eq!(
            parse(&t, &limits, &msg(" status "), true),
            Input::Command {
                command: Command::Status,
                text: "status".into(),
                gate: None
            }
        );
        let press = Event {
            command: Some(Command::Confirm),
            gate: Some(2),
            ..msg("")
        };
        assert!(matches!(
            parse(&t, &limits, &press, true),
            Input::Command {
                command: Command::Confirm,
                gate: Some(2),
                ..
            }
        ));
        assert_eq!(
            parse(&t, &limits, &msg("yes"), true),
            Input::Message {
                text: "yes".into(),
                turn: Turn::Confirm,
                gate: None
            }
        );
        assert!(matches!(
            parse(&t, &limits, &msg("yes"), false),
            Input::Message {
                turn: Turn::Other,
                ..
            }
        ));
        let long = "x".repeat(limits.max_message_chars + 1);
        assert_eq!(
            parse(&t, &limits, &msg(&long), true),
            Input::TooLong {
                chars: limits.max_message_chars + 1
            }
        );
    }

    #[test]
    fn questions_about_a_phase1_question_name_its_slot() {
        let t = turns();
        assert_eq!(
            t.about("what do you mean by Constraints?"),
            Some(Slot::Constraints)
        );
        assert_eq!(t.about("which consumer teams?"), Some(Slot::ConsumerTeams));
        assert_eq!(t.about("what is kro?"), None);
    }

    #[test]
    fn every_command_has_its_help_line_in_the_catalogue() {
        for c in Command::ALL {
            assert!(
                crate::catalog::USED_KEYS.contains(&c.help_key().as_str()),
                "{} is not a required ui key",
                c.help_key()
            );
        }
    }

    #[test]
    fn a_bad_turns_file_is_a_load_error() {
        assert!(Turns::parse("confirm = '('").is_err());
        let bad = Turns::EMBEDDED.replacen("confirm = ", "confirm = '(' \n#", 1);
        let err = Turns::parse(&bad).expect_err("unbalanced");
        assert!(err.to_string().contains("confirm"), "{err}");
        let extra = Turns::EMBEDDED.replacen("[[about]]", "nope = 'x'\n[[about]]", 1);
        assert!(Turns::parse(&extra).is_err(), "unknown keys are refused");
        let slot = Turns::EMBEDDED.replacen("\"top_pain\"", "\"top_pains\"", 1);
        assert!(Turns::parse(&slot).is_err(), "unknown inputs are refused");
    }
}
