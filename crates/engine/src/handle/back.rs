//! `back` (or "go back" typed inside an engagement): returns to the last confirmed gate. Going back
//! to Phase 1 reopens it: the defaults filled in when it was confirmed go again. Only the owner or an
//! approver may.

use super::Cx;
use crate::knowledge::fill;
use crate::state::{Slot, Source};

impl Cx<'_> {
    pub(crate) fn back(&mut self) {
        if self.eng().is_none() {
            self.no_engagement();
            return;
        }
        if !self.authorised() {
            self.deny("back");
            return;
        }
        let Some(phase) = self.eng_mut().and_then(|e| e.history.pop()) else {
            self.say_ui("back.none");
            return;
        };
        self.changed = true;
        let action = fill(self.k().ui("audit.back"), &[("phase", &phase.to_string())]);
        self.audit(action);
        let note = fill(self.k().ui("back.done"), &[("phase", &phase.to_string())]);
        if phase == 1 {
            let e = self.e;
            if let Some(eng) = self.eng_mut() {
                let spec = e.spec(eng.mode);
                // The defaults filled in when Phase 1 was confirmed go again: Phase 1 is open.
                for slot in Slot::ALL {
                    if !spec.inputs.contains(&slot) {
                        if let Some(items) = eng.inputs.get_mut(&slot) {
                            items.retain(|i| i.source != Source::Default);
                        }
                    }
                }
                eng.inputs.retain(|_, items| !items.is_empty());
            }
            self.ask_or_gate(note, &[]);
        } else {
            self.enter(phase, Some(note));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::state::{Stage, ThreadState};

    #[test]
    fn back_returns_to_the_last_gate() {
        let st = at_phase1_gate();
        let two = cmd(&st, "alice", Command::Confirm).state;
        let s = cmd(&two, "alice", Command::Back);
        assert!(s.changed);
        assert_eq!(
            s.state.engaged().map(|e| e.stage),
            Some(Stage::Gate { phase: 1 })
        );
        assert!(s.state.engaged().is_some_and(|e| e.history.is_empty()));
        // And typed.
        let typed = say(&two, "alice", "go back");
        assert_eq!(typed.state.open_gate(), Some(1));
    }

    #[test]
    fn back_with_nothing_to_go_back_to() {
        let st = at_phase1_gate();
        let s = cmd(&st, "alice", Command::Back);
        assert_eq!(text(&s), engine().knowledge().ui("back.none"));
        assert!(!s.changed);
        let s = cmd(&ThreadState::default(), "alice", Command::Back);
        assert_eq!(text(&s), engine().knowledge().ui("status.none"));
    }

    #[test]
    fn only_the_owner_goes_back() {
        let two = cmd(&at_phase1_gate(), "alice", Command::Confirm).state;
        let s = cmd(&two, "mallory", Command::Back);
        assert!(denied(&s));
        assert_eq!(s.state, two);
    }
}
