//! A question asked inside an engagement: a concept, what one of the Phase 1 questions means, the
//! out-of-scope pointer only for a clear cluster-level request, else an honest "I don't know" with
//! the nearest topics, followed by what the gate waits for. It never routes and never changes
//! state: the engagement goes on.

use super::Cx;
use crate::concepts;
use crate::knowledge::fill;
use crate::state::{Mode, Stage};

impl Cx<'_> {
    /// A question at a gate or at the final reaction.
    pub(crate) fn question(&mut self, text: &str) {
        let mut a = self.answer_within(text);
        a.push_str("\n\n");
        a.push_str(&self.waiting_line());
        self.say(a);
    }

    /// The answer to a question inside an engagement (without the waiting line).
    pub(crate) fn answer_within(&self, text: &str) -> String {
        let k = self.k();
        if concepts::lookup(k, text).is_some() {
            return self.answer(text, Mode::Concept);
        }
        // "what do you mean by constraints?" (the words are `[about]` in config/turns.toml).
        if let Some(slot) = self.e.turns.about(text) {
            return k.ui(&format!("ask.{}", slot.id())).to_string();
        }
        let r = self.e.classify(text);
        if r.mode == Mode::OutOfScope && r.fired.iter().any(|f| f.starts_with("out_of_scope/")) {
            return self.answer(text, Mode::OutOfScope);
        }
        self.answer(text, Mode::Concept)
    }

    /// The line that reminds what the gate (or the final reaction) waits for.
    pub(crate) fn waiting_line(&self) -> String {
        match self.eng().map(|e| e.stage) {
            None => String::new(),
            Some(Stage::Reaction { .. }) => self.ui("reaction.final"),
            Some(stage) => fill(
                self.k().ui("gate.waiting"),
                &[(
                    "decision",
                    self.k().ui(&format!("decision.phase{}", stage.phase())),
                )],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;

    #[test]
    fn a_question_at_a_gate_is_answered_and_the_gate_stays_open() {
        let st = at_phase1_gate();
        let s = say(&st, "bob", "what is kro?");
        assert!(!s.changed);
        assert_eq!(s.state, st);
        let t = text(&s);
        assert!(t.to_lowercase().contains("kro"), "{t}");
        let waiting = engine().knowledge().ui("gate.waiting");
        let head = waiting.split('{').next().unwrap_or_default();
        assert!(t.contains(head), "{t}");
    }

    #[test]
    fn a_question_about_a_phase1_question_explains_it() {
        let st = at_phase1_gate();
        let s = say(&st, "bob", "what do you mean by constraints?");
        assert!(text(&s).contains(engine().knowledge().ui("ask.constraints")));
    }
}
