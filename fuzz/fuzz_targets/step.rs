//! The whole engine step: a sequence of arbitrary events from a fresh thread, so every reachable state
//! is explored. Checks that no step panics, that every reply fits in one Discord message and never
//! pings @everyone/@here/a role, and that every state survives the store's encode/decode.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use pavebot::engine::state::ThreadState;
use pavebot::engine::{Attachment, Command, Event};
use pavebot_fuzz_common::engine;

#[path = "common.rs"]
mod pavebot_fuzz_common;

#[derive(Debug, Arbitrary)]
struct FuzzEvent {
    user: u8,
    text: Option<String>,
    command: Option<u8>,
    attachments: Vec<(u8, String)>,
    approver: bool,
    gate: Option<u8>,
}

const USERS: [&str; 3] = ["alice", "bob", "@everyone"];
const COMMANDS: [&str; 9] = [
    "ask", "plan", "status", "confirm", "revise", "back", "reset", "export", "why",
];
const FILES: [&str; 4] = [".eks-recon-report.yaml", "arch.md", "notes.txt", "x.yml"];

fuzz_target!(|events: Vec<FuzzEvent>| {
    let e = engine();
    let mut state = ThreadState::default();
    for fe in events.into_iter().take(24) {
        let ev = Event {
            user: USERS[fe.user as usize % USERS.len()].to_string(),
            text: fe.text,
            attachments: fe
                .attachments
                .into_iter()
                .take(6)
                .map(|(f, content)| Attachment {
                    filename: FILES[f as usize % FILES.len()].to_string(),
                    content,
                })
                .collect(),
            command: fe
                .command
                .and_then(|c| Command::from_name(COMMANDS[c as usize % COMMANDS.len()])),
            roles: if fe.approver {
                vec!["platform-lead".to_string()]
            } else {
                vec![]
            },
            gate: fe.gate.map(|g| g % 5),
        };
        let step = e.step(&state, &ev);
        for r in step.replies() {
            assert!(r.chars().count() <= 2000, "reply over Discord's limit");
            for bad in ["@everyone", "@here", "<@&"] {
                assert!(!r.contains(bad), "unescaped {bad} in a reply: {r}");
            }
        }
        if !step.changed {
            assert_eq!(step.state, state, "an unchanged step changed the state");
        }
        let bytes = serde_json::to_vec(&step.state).expect("state serialises");
        let back = pavebot::store::decode(&bytes).expect("stored state decodes");
        assert_eq!(back, step.state, "state survives the store round trip");
        let _ = e.view(&step.state);
        state = step.state;
    }
});
