//! Property tests over arbitrary event sequences: the engine never panics, replies stay within
//! Discord's limits and never carry a mass mention, state round-trips through serde, and the same
//! events replayed twice on fresh databases give byte-identical output.

use std::sync::OnceLock;

use proptest::prelude::*;

use pavebot::bot::Bot;
use pavebot::engine::state::ThreadState;
use pavebot::engine::{Attachment, Command, Engine, Event};
use pavebot::store::SledStore;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::embedded().expect("data files load"))
}

const PHRASES: &[&str] = &[
    "we want an IDP on EKS for 30 app teams",
    "help me design our golden paths",
    "set up backstage for us",
    "set up argo rollouts canary with auto rollback",
    "let devs self provision s3 w/o tickets",
    "extend our platform for the ML team",
    "how do we know the platform is working",
    "what is kro?",
    "size my node groups",
    "1. jira tickets\n2. ship a service\n3. argo cd, terraform\n4. none",
    "pain: snowflake pipelines",
    "stack: nothing yet",
    "constraints: air-gapped, PCI",
    "actually we use Flux",
    "we are not air gapped",
    "yes",
    "lgtm",
    "go back",
    "start over",
    "what is kargo?",
    "hmm",
    "@everyone look <@&123> ``` **bold**",
    "",
    "\u{202E}rtl\u{200B}zero\u{0}nul",
];

const YAML: &[&str] = &[
    "cicd:\n  gitops:\n    tool: Flux\niac:\n  tool: Crossplane\n",
    "cluster: [unclosed",
    "a: &a [1,2]\nb: [*a,*a]\n",
    "networking:\n  service_mesh:\n    detected: istio\n",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(PHRASES).prop_map(str::to_string),
        1 => ".{0,80}",
        1 => prop::collection::vec(prop::sample::select(PHRASES), 1..3).prop_map(|v| v.join(" ")),
    ]
}

fn command() -> impl Strategy<Value = Option<Command>> {
    prop_oneof![
        6 => Just(None),
        1 => prop::sample::select(vec![Command::Ask, Command::Plan, Command::Status, Command::Confirm, Command::Revise, Command::Back, Command::Reset, Command::Export, Command::Why, Command::Details]).prop_map(Some),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (
        prop::sample::select(vec!["alice", "bob", "carol"]),
        prop::option::weighted(0.9, text()),
        command(),
        prop::option::weighted(0.2, prop::sample::select(vec!["platform-lead", "viewer"])),
        prop::option::weighted(
            0.1,
            (
                prop::sample::select(vec![".eks-recon-report.yaml", "arch.md"]),
                prop::sample::select(YAML),
            ),
        ),
    )
        .prop_map(|(user, text, command, role, att)| Event {
            user: user.to_string(),
            text,
            command,
            roles: role.map(|r| vec![r.to_string()]).unwrap_or_default(),
            gate: None,
            attachments: att
                .map(|(f, c)| {
                    vec![Attachment {
                        filename: f.to_string(),
                        content: c.to_string(),
                    }]
                })
                .unwrap_or_default(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_sequences_never_panic_and_keep_invariants(events in prop::collection::vec(event(), 1..14)) {
        let e = engine();
        let mut state = ThreadState::default();
        for ev in &events {
            let step = e.step(&state, ev);
            for r in step.replies() {
                prop_assert!(r.chars().count() <= 2000, "reply of {} chars", r.chars().count());
                prop_assert!(!r.contains("@everyone") && !r.contains("@here") && !r.contains("<@&"), "mass mention in {r:?}");
                prop_assert!(!r.trim().is_empty());
            }
            prop_assert!(!step.effects.is_empty(), "every event gets an answer");
            if !step.changed {
                prop_assert_eq!(&step.state, &state, "an unchanged step must not alter state");
            }
            // State round-trips through serde exactly.
            let json = serde_json::to_string(&step.state).unwrap();
            let back: ThreadState = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &step.state);
            // status, why, export and details never change the state.
            for c in [Command::Status, Command::Why, Command::Export, Command::Details] {
                let probe = e.step(&step.state, &Event { user: "zed".into(), command: Some(c), ..Event::default() });
                prop_assert!(!probe.changed);
                prop_assert_eq!(&probe.state, &step.state);
            }
            // The view always serialises.
            serde_json::to_string(&e.view(&step.state)).unwrap();
            state = step.state;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn replay_twice_is_byte_identical(events in prop::collection::vec((prop::sample::select(vec!["t1", "t2"]), event()), 1..10)) {
        let mut input = String::new();
        for (thread, ev) in &events {
            let mut v = serde_json::json!({ "thread": thread, "user": ev.user, "text": ev.text, "roles": ev.roles });
            if let Some(c) = ev.command {
                v["command"] = serde_json::to_value(c).unwrap();
            }
            if !ev.attachments.is_empty() {
                v["attachments"] = serde_json::to_value(&ev.attachments).unwrap();
            }
            input.push_str(&v.to_string());
            input.push('\n');
        }
        let run = || {
            let bot = Bot::new(engine().clone(), SledStore::temporary().unwrap());
            let mut out = Vec::new();
            pavebot::replay::run(&bot, input.as_bytes(), &mut out).unwrap();
            out
        };
        let a = run();
        let b = run();
        prop_assert_eq!(a.iter().filter(|b| **b == b'\n').count(), events.len(), "one result line per event");
        prop_assert_eq!(a, b);
    }
}
