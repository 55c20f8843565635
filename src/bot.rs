//! The driver every adapter shares: load the thread, step the engine, save durably, hand back the
//! effects. The replay contract's view is computed by the adapter that prints it
//! ([`Engine::view`] on the saved state): Discord and the console do not need it on every event.

use crate::engine::state::ThreadState;
use crate::engine::{Command, Effect, Engine, Event, Step};
use crate::knowledge::fill;
use crate::store::{Store, StoreError};

/// What one handled event produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The engine's step (its state is already saved).
    pub step: Step,
}

/// Engine + store.
#[derive(Clone)]
pub struct Bot {
    /// The pure engine.
    pub engine: Engine,
    /// The sled store.
    pub store: Store,
}

impl Bot {
    /// A bot over an engine and a store.
    pub fn new(engine: Engine, store: Store) -> Bot {
        Bot { engine, store }
    }

    /// Handles one event for `thread`. The new state is flushed to disk before this returns.
    /// A thread whose record cannot be read answers with a clear message (and accepts `reset`);
    /// only a failing database is an error.
    pub fn handle(&self, thread: &str, ev: &Event) -> Result<Outcome, StoreError> {
        let state = match self.store.load(thread) {
            Ok(s) => s,
            Err(StoreError::Unreadable { reason }) => return self.unreadable(thread, ev, &reason),
            Err(e) => return Err(e),
        };
        let step = self.engine.step(&state, ev);
        if step.changed {
            self.store.save(thread, &step.state)?;
        }
        Ok(Outcome { step })
    }

    fn unreadable(&self, thread: &str, ev: &Event, reason: &str) -> Result<Outcome, StoreError> {
        let k = self.engine.knowledge();
        let fresh = ThreadState::default();
        if ev.command == Some(Command::Reset) {
            self.store.save(thread, &fresh)?;
            let step = Step {
                state: fresh,
                effects: vec![Effect::Say {
                    text: k.ui("reset.done").to_string(),
                }],
                changed: true,
            };
            return Ok(Outcome { step });
        }
        let text = fill(
            k.ui("state.unreadable"),
            &[("reason", &reason.chars().take(300).collect::<String>())],
        );
        let step = Step {
            state: fresh,
            effects: vec![Effect::Say { text }],
            changed: false,
        };
        Ok(Outcome { step })
    }
}
