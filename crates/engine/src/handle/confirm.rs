//! `confirm` (the Confirm button, `/confirm`, or a typed "yes" at a gate): passes the open STOP gate
//! and enters the next phase. Only the owner or an approver may. A confirmation that names a gate
//! (`gate`, stamped by the button or the adapter) that is no longer open is refused with
//! `gate.stale`, so two presses at once pass one gate. During Phase 1 it says what is still missing;
//! at the final reaction it thanks.

use super::Cx;
use crate::knowledge::fill;
use crate::render;
use crate::state::{Slot, Stage};
use crate::text::echo;

impl Cx<'_> {
    pub(crate) fn confirm(&mut self, gate: Option<u8>) {
        let Some(eng) = self.eng() else {
            self.no_engagement();
            return;
        };
        let stage = eng.stage;
        if let Some(g) = gate {
            if stage.gate() != Some(g) {
                let t = fill(self.k().ui("gate.stale"), &[("phase", &g.to_string())]);
                self.say(t);
                return;
            }
        }
        let phase = match stage {
            Stage::Inputs => {
                self.answer_inputs_first();
                return;
            }
            Stage::Reaction { .. } => {
                self.say_ui("reaction.thanks");
                return;
            }
            Stage::Gate { phase } => phase,
        };
        if !self.authorised() {
            self.deny("confirm");
            return;
        }
        let spec = self.e.spec(eng.mode);
        let Some(next) = spec.next(phase) else {
            // A gate always has a next phase: the last phase awaits the reaction, not a gate.
            return;
        };
        let action = fill(
            self.k().ui("audit.confirm"),
            &[("phase", &phase.to_string())],
        );
        self.audit(action);
        if let Some(eng) = self.eng_mut() {
            eng.history.push(phase);
        }
        if phase == 1 {
            // Leaving Phase 1: what a scoped mode did not ask is filled with explicit defaults.
            let unasked: Vec<Slot> = Slot::ALL
                .into_iter()
                .filter(|s| !spec.inputs.contains(s))
                .collect();
            self.default_unknowns(&unasked);
        }
        self.changed = true;
        let note = fill(
            self.k().ui("gate.confirmed"),
            &[("phase", &phase.to_string()), ("user", &echo(&self.user))],
        );
        self.enter(next, Some(note));
    }

    /// "Nothing to confirm yet": a confirmation while Phase 1 inputs are still missing. It says what
    /// is missing and that "just go ahead" goes on with assumptions; the owner's second confirmation
    /// in a row (nothing else changed in between) is taken as that, so the same message never comes
    /// twice in a row.
    pub(crate) fn answer_inputs_first(&mut self) {
        let k = self.k();
        let early = k.ui("audit.confirm_early");
        let again = self
            .eng()
            .and_then(|e| e.audit.last())
            .is_some_and(|a| a.turn == self.st.turn && a.action == early && a.user == self.user);
        if again && self.authorised() {
            self.go_on("", &[]);
            return;
        }
        if self.authorised() {
            self.changed = true;
            self.audit(early.to_string());
        }
        let missing: Vec<String> = self
            .eng()
            .map(|eng| self.e.missing(eng))
            .unwrap_or_default()
            .iter()
            .map(|s| render::slot_name(k, *s))
            .collect();
        let t = fill(
            k.ui("gate.answer_inputs_first"),
            &[("missing", &missing.join(", "))],
        );
        self.say(t);
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::state::{Stage, ThreadState};
    use crate::{Effect, Event};

    fn press(st: &ThreadState, user: &str, gate: Option<u8>) -> crate::Step {
        engine().step(
            st,
            &Event {
                user: user.into(),
                command: Some(Command::Confirm),
                gate,
                ..Event::default()
            },
        )
    }

    #[test]
    fn the_owner_passes_the_gate_into_the_next_phase() {
        let st = at_phase1_gate();
        let s = press(&st, "alice", Some(1));
        assert!(s.changed);
        assert_eq!(
            s.state.engaged().map(|e| e.stage),
            Some(Stage::Gate { phase: 2 })
        );
        assert_eq!(s.state.engaged().map(|e| e.history.clone()), Some(vec![1]));
        assert!(s.effects.contains(&Effect::GateButtons { phase: 2 }));
        let audit = &s.state.engaged().expect("engaged").audit;
        assert_eq!(
            audit.last().map(|a| a.action.as_str()),
            Some("confirm phase 1")
        );
    }

    #[test]
    fn a_second_press_for_the_same_gate_is_stale() {
        let st = at_phase1_gate();
        let once = press(&st, "alice", Some(1));
        let twice = press(&once.state, "alice", Some(1));
        assert!(!twice.changed);
        assert_eq!(twice.state, once.state);
        assert!(text(&twice).contains("Phase 1"), "{}", text(&twice));
        // A typed "yes" stamped with the old gate is refused the same way.
        let typed = engine().step(
            &once.state,
            &Event {
                user: "alice".into(),
                text: Some("yes".into()),
                gate: Some(1),
                ..Event::default()
            },
        );
        assert!(!typed.changed, "{:?}", typed.replies());
        assert_eq!(typed.replies(), twice.replies());
    }

    #[test]
    fn an_outsider_is_denied_and_nothing_changes() {
        let st = at_phase1_gate();
        let s = press(&st, "mallory", None);
        assert!(denied(&s));
        assert!(!s.changed);
        assert_eq!(s.state, st);
    }

    #[test]
    fn during_phase1_it_lists_what_is_missing() {
        let s = press(&in_phase1(), "alice", None);
        assert!(!text(&s).is_empty());
        assert_eq!(s.state.engaged().map(|e| e.stage), Some(Stage::Inputs));
        let s = press(&ThreadState::default(), "alice", None);
        assert_eq!(text(&s), engine().knowledge().ui("status.none"));
    }

    #[test]
    fn confirming_twice_while_inputs_are_missing_goes_on_with_assumptions() {
        let st = in_phase1();
        let once = press(&st, "alice", None);
        assert_eq!(once.state.engaged().map(|e| e.stage), Some(Stage::Inputs));
        // A typed "yes" and a pressed Confirm alike: never the same message twice in a row.
        for twice in [
            press(&once.state, "alice", None),
            say(&once.state, "alice", "yes"),
        ] {
            assert_ne!(text(&twice), text(&once));
            assert_eq!(twice.state.open_gate(), Some(1), "{}", text(&twice));
            assert!(text(&twice).contains(engine().knowledge().ui("assumed.constraints")));
        }
        // Something in between (an answer) starts the count again.
        let answered = say(&once.state, "alice", "pain: tickets for everything");
        let after = press(&answered.state, "alice", None);
        assert_eq!(after.state.engaged().map(|e| e.stage), Some(Stage::Inputs));
        // An outsider never goes on for the owner, and changes nothing.
        let out = press(&once.state, "mallory", None);
        assert_eq!(out.state, once.state);
    }

    #[test]
    fn at_the_reaction_it_thanks() {
        let mut st = at_phase1_gate();
        for g in 1..=3 {
            st = press(&st, "alice", Some(g)).state;
        }
        assert_eq!(
            st.engaged().map(|e| e.stage),
            Some(Stage::Reaction { phase: 4 })
        );
        let s = press(&st, "alice", None);
        assert_eq!(text(&s), engine().knowledge().ui("reaction.thanks"));
        assert!(!s.changed);
    }
}
