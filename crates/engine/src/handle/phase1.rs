//! An answer during Phase 1: the facts it names fill the open inputs (a single open question takes
//! an unrecognised answer as is); a question that names no fact is answered and the questions are
//! asked again; a "yes" says what is still missing; an answer that matches nothing says so. When
//! every input is known the Phase 1 gate opens.

use super::Cx;
use crate::concepts;
use crate::extract::apply;
use crate::input::Turn;
use crate::knowledge::fill;
use crate::render;
use crate::state::{Mode, Source};
use crate::Attachment;

impl Cx<'_> {
    pub(crate) fn phase1_answer(&mut self, text: &str, turn: Turn, attachments: &[Attachment]) {
        let k = self.k();
        let Some(eng) = self.eng() else {
            return;
        };
        if turn == Turn::Confirm {
            self.answer_inputs_first();
            return;
        }
        if turn == Turn::Question && self.e.extractor.extract(text, &[]).is_empty() {
            let mut a = self.answer_within(text);
            a.push_str("\n\n");
            a.push_str(&render::questions(k, &self.e.missing(eng)));
            self.say(a);
            return;
        }
        let before = eng.inputs.clone();
        let single = self.e.missing(eng);
        let (changes, notes, n) = self.take_inputs(text, attachments);
        if n == 0 && changes.is_empty() && single.len() == 1 && !text.is_empty() {
            // One question open and the answer matched nothing we know: it is the answer.
            let mut hits = Vec::new();
            self.e.extractor.answer(single[0], text, &mut hits);
            if let Some(eng) = self.eng_mut() {
                let _ = apply(&mut eng.inputs, &hits, &Source::Message);
            }
        }
        let after = self.eng().map(|e| e.inputs.clone()).unwrap_or_default();
        if before == after && changes.is_empty() {
            let mut msg = notes.join("\n\n");
            if !msg.is_empty() {
                msg.push_str("\n\n");
            }
            let missing = self.eng().map(|e| self.e.missing(e)).unwrap_or_default();
            msg.push_str(&fill(
                k.ui("phase1.unmatched"),
                &[("questions", &render::questions(k, &missing))],
            ));
            self.say(msg);
            return;
        }
        self.changed = true;
        let mut notes = notes;
        // An answer that also asks about a concept ("30 teams. what is kro?") gets both.
        let asked = text
            .split(['\n', '.', ';', '!'])
            .map(str::trim)
            .find(|p| p.ends_with('?') && concepts::lookup(k, p).is_some());
        if let Some(q) = asked {
            notes.insert(0, self.answer(q, Mode::Concept));
        }
        self.ask_or_gate(notes.join("\n\n"), &[]);
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::state::{Slot, Stage};

    #[test]
    fn answers_fill_the_inputs_and_open_the_gate() {
        let s = say(
            &in_phase1(),
            "alice",
            "1. 30 app teams\n2. slow manual deploys\n3. ship a new service\n4. Argo CD and Terraform\n5. none",
        );
        let eng = s.state.engaged().expect("engaged");
        assert_eq!(eng.stage, Stage::Gate { phase: 1 }, "{:?}", s.replies());
        assert!(eng.knows(Slot::TopPain));
        assert!(eng.asked.is_empty());
    }

    #[test]
    fn an_answer_that_matches_nothing_changes_nothing() {
        let st = in_phase1();
        let s = say(&st, "alice", "banana");
        assert!(!s.changed);
        assert_eq!(s.state, st);
    }

    #[test]
    fn a_question_is_answered_and_the_questions_come_again() {
        let st = in_phase1();
        let s = say(&st, "alice", "what is kro?");
        assert!(!s.changed);
        assert!(text(&s).to_lowercase().contains("kro"));
    }

    #[test]
    fn yes_during_phase1_says_what_is_missing() {
        let st = in_phase1();
        let s = say(&st, "alice", "yes");
        assert!(!s.changed);
        let slot = crate::render::slot_name(engine().knowledge(), Slot::TopPain);
        assert!(text(&s).contains(&slot), "{}", text(&s));
    }
}
