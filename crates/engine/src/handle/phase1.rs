//! An answer during Phase 1: the facts it names fill the open inputs; a question that names no fact
//! is answered and the questions are asked again; a "yes" says what is still missing (twice in a
//! row: goes on); "just go ahead" turns what is missing into stated assumptions and opens the gate.
//! An answer that matches nothing is never asked again: it is taken as the first open input, in the
//! user's words, and the reply says so ("I took '...' as your consumer teams"), so it can be
//! corrected. When every input is known the Phase 1 gate opens.

use super::Cx;
use crate::concepts;
use crate::extract::apply;
use crate::input::Turn;
use crate::knowledge::fill;
use crate::render;
use crate::state::{Mode, Source};
use crate::text::echo;
use crate::Attachment;

/// How much of an answer taken as free text the reply quotes, in characters.
const TOOK_SHOWN: usize = 80;

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
        if turn == Turn::GoOn {
            self.go_on(text, attachments);
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
        let missing = self.e.missing(eng);
        // The first open input, in the order the questions were asked.
        let first = eng
            .asked
            .iter()
            .copied()
            .find(|s| missing.contains(s))
            .or_else(|| missing.first().copied());
        let (changes, mut notes, n) = self.take_inputs(text, attachments);
        if let (0, true, Some(slot)) = (
            n,
            changes.is_empty() && !text.is_empty() && attachments.is_empty(),
            first,
        ) {
            // The answer matched nothing we know: rather than ask the same question again, take it
            // as the first open input in the user's words, and say so (a message that brings a
            // file is about the file, and is never taken this way).
            let mut hits = Vec::new();
            self.e.extractor.answer(slot, text, &mut hits);
            let took = self
                .eng_mut()
                .map(|eng| apply(&mut eng.inputs, &hits, &Source::Message))
                .unwrap_or_default();
            if !took.is_empty() {
                let shown: String = echo(text).chars().take(TOOK_SHOWN).collect();
                let shown = if shown.chars().count() < echo(text).chars().count() {
                    format!("{shown}…")
                } else {
                    shown
                };
                notes.push(fill(
                    k.ui("phase1.took"),
                    &[
                        ("text", &shown),
                        ("input", &render::slot_name(k, slot).to_lowercase()),
                    ],
                ));
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
    fn an_answer_that_matches_nothing_is_taken_as_the_first_open_input() {
        let st = in_phase1();
        let first = st.engaged().expect("engaged").asked[0];
        for answer in [
            "the folks in the payments org",
            // Paraphrases.
            "mostly the checkout and ledger crews",
            "whoever ships the mobile backend",
        ] {
            let s = say(&st, "alice", answer);
            assert!(s.changed, "{answer}");
            let eng = s.state.engaged().expect("engaged");
            assert!(eng.knows(first), "{answer}");
            let t = text(&s);
            assert!(t.contains(&format!("'{answer}'")), "{t}");
            // Never the same question twice in a row.
            let again = say(&s.state, "alice", answer);
            assert_ne!(text(&again), t);
        }
    }

    #[test]
    fn going_on_states_assumptions_and_opens_the_gate() {
        for words in ["just go ahead", "use your defaults", "skip the rest"] {
            let st = say(&in_phase1(), "alice", "pain: tickets for everything").state;
            let s = say(&st, "alice", words);
            assert_eq!(s.state.open_gate(), Some(1), "{words}: {}", text(&s));
            let t = text(&s);
            let k = engine().knowledge();
            assert!(t.contains(k.ui("assumed.constraints")), "{t}");
            let eng = s.state.engaged().expect("engaged");
            // What the user said stays theirs; only what was missing is assumed.
            assert_eq!(
                eng.items(Slot::TopPain)[0].source,
                crate::state::Source::Message
            );
            assert_eq!(
                eng.items(Slot::Constraints)[0].source,
                crate::state::Source::Default
            );
            // An outsider cannot go on for the owner.
            let out = say(&st, "mallory", words);
            assert_eq!(out.state, st);
            assert!(denied(&out));
        }
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
        // Only the audit trail records it (so that a second "yes" in a row goes on).
        assert_eq!(
            s.state.engaged().map(|e| &e.inputs),
            st.engaged().map(|e| &e.inputs)
        );
        assert_eq!(s.state.awaiting(), crate::state::Awaiting::Inputs);
        let slot = crate::render::slot_name(engine().knowledge(), Slot::TopPain);
        assert!(text(&s).contains(&slot), "{}", text(&s));
    }
}
