//! A correction at a gate or at the final reaction ("actually we use Flux"): the inputs change, the
//! change is audited and shown as a diff, then only what changed in the current phase is posted (the
//! rows, lines, stages and checklist items that differ; see [`render::correction`]), with the gate's
//! decision line (Phase 1: its gate again). A message that changes nothing keeps the stored state as it was and
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
            Some(stage @ (Stage::Gate { phase } | Stage::Reaction { phase })) if phase != 1 => {
                // A correction posts only what changed in the phase, then what the gate (or the
                // final reaction) waits for.
                let last = matches!(stage, Stage::Reaction { .. });
                let only_changed = match (self.eng(), kept) {
                    (Some(eng), Some((inputs, profile))) => {
                        let spec = self.e.spec(eng.mode);
                        let mut before = eng.clone();
                        before.inputs = inputs;
                        before.profile = profile;
                        render::correction(self.k(), &before, eng, spec, phase, last)
                    }
                    _ => String::new(),
                };
                if only_changed.is_empty() {
                    self.enter(phase, Some(note));
                } else if last {
                    let closing = self.ui("reaction.final");
                    self.say(format!("{note}\n\n{only_changed}\n\n{closing}"));
                } else {
                    let decision = render::decision(self.k(), &format!("phase{phase}"));
                    self.say(format!("{note}\n\n{only_changed}\n\n{decision}"));
                    self.out.push(Effect::GateButtons { phase });
                }
            }
            _ => self.ask_or_gate(note, &[]),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::knowledge::fill;
    use crate::plan::Plan;
    use crate::render;
    use crate::state::{Awaiting, Slot, Stage, ThreadState};
    use crate::{Effect, Step};

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

    /// The engagement at its Phase 3 gate, and at its final reaction.
    fn at_phase3_and_4() -> (ThreadState, ThreadState) {
        let st2 = cmd(&at_phase1_gate(), "alice", Command::Confirm).state;
        let st3 = cmd(&st2, "alice", Command::Confirm).state;
        assert_eq!(st3.open_gate(), Some(3));
        let st4 = cmd(&st3, "alice", Command::Confirm).state;
        assert_eq!(st4.awaiting(), Awaiting::Reaction);
        (st3, st4)
    }

    /// The whole rendering of `phase` for a state (what `enter` posts before the decision line).
    fn rendered(st: &ThreadState, phase: u8) -> String {
        let k = engine().knowledge();
        let eng = st.engaged().expect("engaged");
        let spec = engine().spec(eng.mode);
        let mut plan = Plan::build(k, eng, spec);
        match phase {
            3 => render::phase3(k, &plan, spec),
            _ => {
                let c = plan.grade(k, eng);
                format!(
                    "{}\n{}",
                    render::phase4(k, &plan, &c),
                    render::next_steps(k, &plan, spec, eng)
                )
            }
        }
    }

    /// Asserts the correction posted one message with no line of the phase that stayed the same
    /// (headings aside), and that what it shows as new is in the new rendering.
    fn only_changed(before: &ThreadState, s: &Step, phase: u8) -> String {
        assert!(s.changed, "{:?}", s.replies());
        let replies = s.replies();
        assert_eq!(replies.len(), 1, "{replies:#?}");
        let said = &replies[0];
        let (old, new) = (rendered(before, phase), rendered(&s.state, phase));
        let more = engine().knowledge().arch.words["details.more"].clone();
        for line in new
            .lines()
            .filter(|l| l.starts_with("- ") || l.starts_with("  "))
        {
            if old.lines().any(|o| o == line) && line != more {
                assert!(
                    !said.contains(line),
                    "an unchanged line was posted: {line}\n{said}"
                );
            }
        }
        let heading = engine().knowledge().ui(&format!("heading.phase{phase}"));
        assert!(said.contains(&format!("## {heading}")), "{said}");
        said.clone()
    }

    #[test]
    fn a_correction_at_the_phase3_gate_posts_only_the_lines_that_changed() {
        let (st3, _) = at_phase3_and_4();
        let s = say(&st3, "alice", "actually we use Flux, not Argo CD");
        let said = only_changed(&st3, &s, 3);
        assert!(said.contains("- Flux: "), "the placement changed: {said}");
        assert!(
            said.contains("Flux tenant"),
            "the onboarding step changed: {said}"
        );
        let k = engine().knowledge();
        assert!(
            !said.contains(k.ui("heading.tenancy")),
            "tenancy did not change: {said}"
        );
        assert!(said.ends_with(&render::decision(k, "phase3")), "{said}");
        assert!(s
            .effects
            .iter()
            .any(|e| matches!(e, Effect::GateButtons { phase: 3 })));
        assert_eq!(s.state.open_gate(), Some(3));
    }

    #[test]
    fn a_correction_at_the_final_reaction_posts_only_the_changed_stages_and_items() {
        let (_, st4) = at_phase3_and_4();
        let s = say(&st4, "alice", "actually we use Flux, not Argo CD");
        let said = only_changed(&st4, &s, 4);
        let k = engine().knowledge();
        assert!(said.contains("Flux"), "{said}");
        assert!(
            !said.contains(k.ui("heading.dora")),
            "the metrics did not change: {said}"
        );
        assert!(said.ends_with(k.ui("reaction.final")), "{said}");
        assert!(!s
            .effects
            .iter()
            .any(|e| matches!(e, Effect::GateButtons { .. })));
        assert_eq!(s.state.awaiting(), Awaiting::Reaction);
        // The plan itself is the new one.
        let eng = s.state.engaged().expect("engaged");
        let spec = engine().spec(eng.mode);
        let plan = Plan::build(k, eng, spec);
        assert_eq!(
            plan.decision("gitops_delivery").map(|d| d.tool.as_str()),
            Some("Flux")
        );
    }

    #[test]
    fn a_correction_that_changes_nothing_in_the_phase_says_so_in_one_line() {
        let (st3, st4) = at_phase3_and_4();
        for (st, phase) in [(st3, 3), (st4, 4)] {
            let s = say(&st, "alice", "we use Datadog for observability");
            let said = only_changed(&st, &s, phase);
            let none = fill(
                engine().knowledge().ui("gate.unchanged_phase"),
                &[("phase", &phase.to_string())],
            );
            assert!(said.contains(&none), "{said}");
        }
    }

    #[test]
    fn a_new_pain_in_the_final_reaction_re_renders_the_milestone_that_names_it() {
        let (_, st4) = at_phase3_and_4();
        let s = say(&st4, "alice", "pain: slow onboarding of new services");
        let said = only_changed(&st4, &s, 4);
        assert!(
            said.contains("It answers your top pain: slow onboarding of new services."),
            "{said}"
        );
    }

    #[test]
    fn a_message_that_changes_nothing_keeps_the_state() {
        let st = at_phase1_gate();
        let s = say(&st, "bob", "hmm, interesting");
        assert!(!s.changed);
        assert_eq!(s.state, st);
    }
}
