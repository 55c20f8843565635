//! A message outside an engagement (and not the answer to a clarifying question): route it. An
//! engagement mode starts the engagement; a concept or out-of-scope message gets a one-shot answer;
//! a tie between two modes asks one clarifying question. A recon report attached to a message that
//! routes nowhere starts the full build.

use super::Cx;
use crate::knowledge::fill;
use crate::router::Reason;
use crate::state::{Mode, Pending, Thread};
use crate::Attachment;

/// The longest ambiguous message kept for the clarifying question, in characters.
const PENDING_KEEP: usize = 2000;

impl Cx<'_> {
    pub(crate) fn new_message(&mut self, text: &str, attachments: &[Attachment]) {
        let mut route = self.e.classify(text);
        if !route.mode.is_engagement() && attachments.iter().any(super::inputs::is_recon) {
            route.mode = Mode::FullBuild;
            let say = self.k().ui("route.recon_report").to_string();
            route
                .fired
                .push(Reason::new("attachment/recon-report", say));
        }
        match route.mode {
            Mode::Unclear => {
                let titles: Vec<String> = route
                    .tied
                    .iter()
                    .map(|m| self.e.spec(*m).title.clone())
                    .collect();
                let t = fill(
                    self.k().ui("unclear.ask"),
                    &[
                        ("a", titles.first().map(String::as_str).unwrap_or("")),
                        ("b", titles.get(1).map(String::as_str).unwrap_or("")),
                    ],
                );
                self.say(t);
                self.st.thread = Thread::Clarifying {
                    question: Pending {
                        candidates: route.tied.clone(),
                        text: text.chars().take(PENDING_KEEP).collect(),
                        user: self.user.clone(),
                    },
                    last_route: Some(route),
                };
                self.changed = true;
            }
            Mode::Concept | Mode::OutOfScope => self.one_shot(text, Some(route)),
            mode => self.start(mode, route, text, attachments),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::state::{Mode, Thread, ThreadState};

    #[test]
    fn an_engagement_request_starts_an_engagement() {
        let s = say(
            &ThreadState::default(),
            "alice",
            "Help us design golden paths for our app teams",
        );
        assert_eq!(s.state.engaged().map(|e| e.mode), Some(Mode::GoldenPaths));
        assert!(s.changed);
    }

    #[test]
    fn a_concept_question_is_answered_once_and_remembered_for_why() {
        let s = say(&ThreadState::default(), "bob", "what is kro?");
        assert!(s.state.engaged().is_none());
        assert!(matches!(
            s.state.thread,
            Thread::Idle {
                last_route: Some(_)
            }
        ));
    }

    #[test]
    fn an_empty_message_is_answered_and_changes_nothing() {
        let s = say(&ThreadState::default(), "bob", "   ");
        assert_eq!(text(&s), engine().knowledge().ui("input.empty"));
        assert!(!s.changed);
    }
}
