//! A message inside an engagement, by what it awaits: during Phase 1 it goes to the
//! [Phase 1 answer](super::phase1). At a gate or the final reaction a turn is classified by the
//! patterns of `config/turns.toml` (see [`Turn`]):
//!
//! * confirmation ("yes", or "just go ahead"): confirms the gate (as [`confirm`](super::confirm),
//!   stale check included); at the final reaction it thanks;
//! * back / start over: handled before this, as the commands;
//! * question (also one naming the team's own tools, "why kargo if we're on flux?"): [answered
//!   within](super::question), the gate shown again, nothing changed;
//! * anything else is read as a [correction](super::correction): when it changes an input the diff
//!   is shown and what changed re-rendered; when it changes nothing it is off-topic, and a short
//!   reminder of what the gate waits for is all it gets (the state is kept as it was).

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
            (Stage::Gate { .. }, Turn::Confirm | Turn::GoOn) => self.confirm(gate),
            (Stage::Reaction { .. }, Turn::Confirm | Turn::GoOn) => self.say_ui("reaction.thanks"),
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
