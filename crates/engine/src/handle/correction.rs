//! A correction at a gate or at the final reaction ("actually we use Flux"): the inputs change, the
//! change is audited and shown as a diff, and the current phase is shown again from the new inputs
//! (Phase 1: its gate again). A message that changes nothing keeps the stored state as it was and
//! reminds what the gate waits for.

use super::inputs::diff;
use super::Cx;
use crate::knowledge::fill;
use crate::render;
use crate::state::Stage;
use crate::{Attachment, Effect};

impl Cx<'_> {
    pub(crate) fn correction(&mut self, text: &str, attachments: &[Attachment]) {
        let kept = self.eng().map(|e| (e.inputs.clone(), e.profile.clone()));
        let (changes, notes, _) = self.take_inputs(text, attachments);
        if changes.is_empty() {
            // Nothing changed for the user (at most a source): keep the stored state as it was.
            if let (Some(eng), Some((inputs, profile))) = (self.eng_mut(), kept) {
                eng.inputs = inputs;
                eng.profile = profile;
            }
            let mut msg = notes.join("\n\n");
            if !msg.is_empty() {
                msg.push_str("\n\n");
            }
            msg.push_str(&self.waiting_line());
            self.say(msg);
            return;
        }
        self.changed = true;
        let k = self.k();
        let slots: Vec<&str> = changes.iter().map(|c| c.slot.id()).collect();
        let action = fill(k.ui("audit.correction"), &[("slots", &slots.join(", "))]);
        self.audit(action);
        let mut note = fill(k.ui("gate.updated"), &[("diff", &diff(k, &changes))]);
        for n in notes {
            note.push_str("\n\n");
            note.push_str(&n);
        }
        match self.eng().map(|e| e.stage) {
            Some(Stage::Gate { phase }) if phase != 1 => {
                // At a gate a correction posts only the rows that changed, when the renderer can
                // say which (Phase 2); otherwise the phase is shown again.
                let only_changed = match (self.eng(), kept) {
                    (Some(eng), Some((inputs, profile))) => {
                        let spec = self.e.spec(eng.mode).clone();
                        let mut before = eng.clone();
                        before.inputs = inputs;
                        before.profile = profile;
                        render::correction(self.k(), &before, eng, &spec, phase)
                    }
                    _ => String::new(),
                };
                if only_changed.is_empty() {
                    self.enter(phase, Some(note));
                } else {
                    let decision = render::decision(self.k(), &format!("phase{phase}"));
                    self.say(format!("{note}\n\n{only_changed}\n\n{decision}"));
                    self.out.push(Effect::GateButtons { phase });
                }
            }
            Some(Stage::Reaction { phase }) if phase != 1 => self.enter(phase, Some(note)),
            _ => self.ask_or_gate(note, &[]),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::state::{Slot, Stage};

    #[test]
    fn a_correction_at_a_gate_changes_the_inputs_and_is_audited() {
        let st = at_phase1_gate();
        let s = say(&st, "bob", "actually we use Flux, not Argo CD");
        assert!(s.changed, "{:?}", s.replies());
        let eng = s.state.engaged().expect("engaged");
        assert_eq!(eng.stage, Stage::Gate { phase: 1 });
        let stack: Vec<&str> = eng
            .items(Slot::ExistingStack)
            .iter()
            .map(|i| i.key.as_str())
            .collect();
        assert!(stack.iter().any(|k| k.contains("flux")), "{stack:?}");
        assert!(eng
            .audit
            .last()
            .is_some_and(|a| a.action.starts_with("correction ")));
    }

    #[test]
    fn a_message_that_changes_nothing_keeps_the_state() {
        let st = at_phase1_gate();
        let s = say(&st, "bob", "hmm, interesting");
        assert!(!s.changed);
        assert_eq!(s.state, st);
    }
}
