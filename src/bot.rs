//! The driver every adapter shares: load the thread, step the engine, save durably (with the step's
//! outbox entry, when the front end keeps one), hand back the effects and what a front end needs to
//! know about the thread afterwards ([`ThreadInfo`]). The replay contract's view is computed by the
//! adapter that prints it ([`Engine::view`] on the saved state): Discord and the console do not need
//! it on every event.

use crate::engine::state::{Awaiting, Slot, ThreadState};
use crate::engine::{Command, Effect, Engine, Event, Step};
use crate::knowledge::fill;
use crate::store::{SledStore, Store, StoreError};

/// What a front end needs to know about a thread after a step (or a look), so that it never reads
/// the store itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadInfo {
    /// A record exists for the thread (an engagement thread this bot runs, or an unreadable record).
    pub known: bool,
    /// An engagement is running.
    pub engaged: bool,
    /// The engagement's phase.
    pub phase: Option<u8>,
    /// What the thread waits for.
    pub awaiting: Awaiting,
    /// The phase of the open STOP gate, if any.
    pub open_gate: Option<u8>,
    /// Who started the engagement.
    pub owner: Option<String>,
    /// Phase 1 inputs still missing (while the thread waits for inputs).
    pub missing: Vec<Slot>,
}

impl ThreadInfo {
    /// The information of a state.
    pub fn of(engine: &Engine, state: &ThreadState, known: bool) -> ThreadInfo {
        let awaiting = state.awaiting();
        ThreadInfo {
            known,
            engaged: state.engaged().is_some(),
            phase: state.phase(),
            awaiting,
            open_gate: state.open_gate(),
            owner: state.owner().map(str::to_string),
            missing: if awaiting == Awaiting::Inputs {
                engine.view(state).missing
            } else {
                vec![]
            },
        }
    }
}

/// What one handled event produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The engine's step (its state is already saved).
    pub step: Step,
    /// The thread after the step.
    pub info: ThreadInfo,
    /// The sequence number of the outbox entry written with the step, if the front end made one.
    pub outbox: Option<u64>,
}

/// Builds a step's outbox entry (`None`: nothing to keep).
pub type MakeOutbox<'a> = &'a (dyn Fn(&Step, &ThreadInfo) -> Option<Vec<u8>> + Sync);

/// Engine + store.
#[derive(Clone)]
pub struct Bot<S: Store = SledStore> {
    /// The pure engine.
    pub engine: Engine,
    /// The store.
    pub store: S,
}

impl<S: Store> Bot<S> {
    /// A bot over an engine and a store.
    pub fn new(engine: Engine, store: S) -> Bot<S> {
        Bot { engine, store }
    }

    /// Handles one event for `thread`. The new state is flushed to disk before this returns.
    /// A thread whose record cannot be read answers with a clear message (and accepts `reset`);
    /// only a failing database is an error.
    pub fn handle(&self, thread: &str, ev: &Event) -> Result<Outcome, StoreError> {
        self.handle_with(thread, ev, &|_, _| None)
    }

    /// Like [`Bot::handle`], writing the outbox entry `outbox` builds in the same write as the state.
    pub fn handle_with(
        &self,
        thread: &str,
        ev: &Event,
        outbox: MakeOutbox<'_>,
    ) -> Result<Outcome, StoreError> {
        let state = match self.store.load(thread) {
            Ok(s) => s,
            Err(StoreError::Unreadable { reason }) => {
                return self.unreadable(thread, ev, &reason, outbox)
            }
            Err(e) => return Err(e),
        };
        let step = self.engine.step(&state, ev);
        let known = step.changed || state != ThreadState::default();
        let info = ThreadInfo::of(&self.engine, &step.state, known);
        let entry = outbox(&step, &info);
        let seq = self.store.commit(
            thread,
            step.changed.then_some(&step.state),
            entry.as_deref(),
        )?;
        Ok(Outcome {
            step,
            info,
            outbox: seq,
        })
    }

    /// What a front end needs to know about `thread` now.
    pub fn info(&self, thread: &str) -> Result<ThreadInfo, StoreError> {
        match self.store.load(thread) {
            Ok(s) => {
                let known = s != ThreadState::default();
                Ok(ThreadInfo::of(&self.engine, &s, known))
            }
            // An unreadable record is still ours: the engine answers with a clear message.
            Err(StoreError::Unreadable { .. }) => {
                Ok(ThreadInfo::of(&self.engine, &ThreadState::default(), true))
            }
            Err(e) => Err(e),
        }
    }

    fn unreadable(
        &self,
        thread: &str,
        ev: &Event,
        reason: &str,
        outbox: MakeOutbox<'_>,
    ) -> Result<Outcome, StoreError> {
        let k = self.engine.knowledge();
        let fresh = ThreadState::default();
        let (step, known) = if ev.command == Some(Command::Reset) {
            let step = Step {
                state: fresh,
                effects: vec![Effect::Say {
                    text: k.ui("reset.done").to_string(),
                }],
                changed: true,
            };
            (step, false)
        } else {
            let text = fill(
                k.ui("state.unreadable"),
                &[("reason", &reason.chars().take(300).collect::<String>())],
            );
            let step = Step {
                state: fresh,
                effects: vec![Effect::Say { text }],
                changed: false,
            };
            (step, true)
        };
        let info = ThreadInfo::of(&self.engine, &step.state, known);
        let entry = outbox(&step, &info);
        let seq = self.store.commit(
            thread,
            step.changed.then_some(&step.state),
            entry.as_deref(),
        )?;
        Ok(Outcome {
            step,
            info,
            outbox: seq,
        })
    }
}
