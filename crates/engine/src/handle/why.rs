//! `why`: the routing trace of the engagement (or of the last one-shot answer or clarifying
//! question): the mode, the scores, the rules that fired and the runner-up. Never changes state.

use super::Cx;
use crate::knowledge::fill;
use crate::state::Mode;

impl Cx<'_> {
    pub(crate) fn why(&mut self) {
        let Some(r) = self.st.route() else {
            self.say_ui("why.none");
            return;
        };
        let dash = |v: Vec<String>| {
            if v.is_empty() {
                "—".to_string()
            } else {
                v.join(", ")
            }
        };
        let scores = dash(r.scores.iter().map(|(m, s)| format!("{m} {s}")).collect());
        let fired = dash(r.fired.iter().map(|f| format!("`{f}`")).collect());
        let text = fill(
            self.k().ui("why.trace"),
            &[
                ("mode", r.mode.id()),
                ("scores", &scores),
                ("fired", &fired),
                ("runner_up", r.runner_up.map(Mode::id).unwrap_or("—")),
            ],
        );
        self.say(text);
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::state::ThreadState;

    #[test]
    fn why_with_nothing_routed_says_so() {
        let s = cmd(&ThreadState::default(), "bob", Command::Why);
        assert_eq!(text(&s), engine().knowledge().ui("why.none"));
    }

    #[test]
    fn why_explains_the_engagement_route() {
        let st = at_phase1_gate();
        let s = say(&st, "bob", "why?");
        assert!(text(&s).contains("full_build"), "{}", text(&s));
        assert!(!s.changed);
    }
}
