//! `ask QUESTION`: a one-shot answer (a concept, the out-of-scope pointer, or an honest "I don't
//! know" with the nearest topics). It never opens an engagement; outside one it remembers the route
//! for `why`. Concept routes from ordinary messages end here too.

use super::Cx;
use crate::concepts;
use crate::knowledge::fill;
use crate::router::RouteTrace;
use crate::state::{Mode, Thread};

/// A concept answer offers the matching engagement when that mode's score reaches this (one topic rule).
const OFFER_MIN_TOPIC: f64 = 2.5;

impl Cx<'_> {
    /// Answers `text` once; `route` is the message's routing when it came as a message.
    pub(crate) fn one_shot(&mut self, text: &str, route: Option<RouteTrace>) {
        if text.is_empty() {
            self.say_ui("input.empty");
            return;
        }
        let route = route.unwrap_or_else(|| {
            let mut r = self.e.classify(text);
            if r.mode.is_engagement() || r.mode == Mode::Unclear {
                // `ask` never opens an engagement: answer the concept if there is one.
                r.mode = Mode::Concept;
            }
            r
        });
        let mut answer = self.answer(text, route.mode);
        if let Some(offer) = self.plan_offer(text, &route) {
            answer.push_str("\n\n");
            answer.push_str(&offer);
        }
        self.say(answer);
        if self.eng().is_none() {
            self.st.thread = Thread::Idle {
                last_route: Some(route),
            };
            self.changed = true;
        }
    }

    /// After a concept answer to a question that is about a platform topic but does not ask for a
    /// definition ("argo rollouts or flagger?", not "what is kro?"), an offer to design it for the
    /// team instead: the `plan` command with the same message opens that engagement.
    fn plan_offer(&self, text: &str, route: &RouteTrace) -> Option<String> {
        let asks_definition = route.fired.iter().any(|f| f == "concept/what-is");
        if route.mode != Mode::Concept
            || self.eng().is_some()
            || asks_definition
            || self.e.router.is_term_question(text)
        {
            return None;
        }
        let (mode, _) = route
            .scores
            .iter()
            .filter_map(|(m, s)| Mode::from_id(m).map(|m| (m, *s)))
            .find(|(m, s)| m.is_engagement() && *s >= OFFER_MIN_TOPIC)?;
        let spec = self.e.router.spec(mode)?;
        Some(fill(
            &self.ui("concept.plan_offer"),
            &[("title", &spec.title)],
        ))
    }

    /// A concept answer, the out-of-scope pointer, or an honest "I don't know".
    pub(crate) fn answer(&self, text: &str, mode: Mode) -> String {
        let k = self.k();
        if mode == Mode::OutOfScope {
            return k.ui("oos.reply").to_string();
        }
        match concepts::lookup(k, text) {
            Some(c) => format!("**{}** — {}\n\n_{}_", concepts::title(c), c.answer, c.fits),
            None => {
                let near: Vec<String> = concepts::nearest(k, text)
                    .iter()
                    .map(|c| format!("`{}`", concepts::title(c)))
                    .collect();
                let mut s = k.ui("concept.unknown").to_string();
                let list = if near.is_empty() {
                    k.ui("concept.default_topics").to_string()
                } else {
                    near.join(", ")
                };
                s.push(' ');
                s.push_str(&fill(k.ui("concept.nearest"), &[("topics", &list)]));
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::handle::testkit::*;
    use crate::input::Command;
    use crate::state::{Mode, ThreadState};
    use crate::Event;

    fn ask(st: &ThreadState, q: &str) -> crate::Step {
        engine().step(
            st,
            &Event {
                user: "bob".into(),
                text: Some(q.into()),
                command: Some(Command::Ask),
                ..Event::default()
            },
        )
    }

    #[test]
    fn ask_answers_a_concept_and_never_opens_an_engagement() {
        let s = ask(
            &ThreadState::default(),
            "plan our whole internal developer platform",
        );
        assert!(s.state.engaged().is_none());
        assert_eq!(s.state.route().map(|r| r.mode), Some(Mode::Concept));
        assert!(s.changed);
        let s = ask(&ThreadState::default(), "what is kro?");
        assert!(text(&s).to_lowercase().contains("kro"), "{}", text(&s));
    }

    #[test]
    fn ask_inside_an_engagement_answers_without_changing_it() {
        let st = at_phase1_gate();
        let s = ask(&st, "what is kro?");
        assert!(!s.changed);
        assert_eq!(s.state, st);
    }

    #[test]
    fn empty_ask_says_so() {
        let s = ask(&ThreadState::default(), "  ");
        assert_eq!(text(&s), engine().knowledge().ui("input.empty"));
        assert!(!s.changed);
    }
}
