//! A message inside an engagement, by what it awaits: during Phase 1 it goes to the
//! [Phase 1 answer](super::phase1); at a gate a "yes" confirms (as [`confirm`](super::confirm), stale
//! check included), at
//! the final reaction it thanks; a question is [answered within](super::question); anything else is
//! a [correction](super::correction).

use super::Cx;
use crate::input::Turn;
use crate::state::Stage;
use crate::Attachment;

impl Cx<'_> {
    pub(crate) fn in_engagement(
        &mut self,
        text: &str,
        turn: Turn,
        gate: Option<u8>,
        attachments: &[Attachment],
    ) {
        let Some(stage) = self.eng().map(|e| e.stage) else {
            return;
        };
        match (stage, turn) {
            (Stage::Inputs, _) => self.phase1_answer(text, turn, attachments),
            (Stage::Gate { .. }, Turn::Confirm) => self.confirm(gate),
            (Stage::Reaction { .. }, Turn::Confirm) => self.say_ui("reaction.thanks"),
            (_, Turn::Question) => self.question(text),
            _ => self.correction(text, attachments),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::state::Stage;

    #[test]
    fn a_typed_yes_at_a_gate_confirms_it() {
        let s = say(&at_phase1_gate(), "alice", "yes, looks good");
        let s2 = say(&at_phase1_gate(), "alice", "lgtm");
        assert_eq!(
            s2.state.engaged().map(|e| e.stage),
            Some(Stage::Gate { phase: 2 })
        );
        // "yes, looks good" is not a bare confirmation: it is read as a (no-op) correction.
        assert!(s.state.engaged().is_some());
    }

    #[test]
    fn an_outsider_typing_yes_is_denied() {
        let st = at_phase1_gate();
        let s = say(&st, "mallory", "yes");
        assert!(denied(&s));
        assert_eq!(s.state, st);
    }
}
