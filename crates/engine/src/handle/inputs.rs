//! Reading what a message brings: its attachments (recon reports and architecture documents, within
//! the configured limits) and its text, applied to the engagement's Phase 1 inputs. Shared by the
//! Phase 1 answer, the correction and the start of an engagement.

use super::Cx;
use crate::extract::{apply, Change, Hit};
use crate::knowledge::{fill, Knowledge};
use crate::profile::Profile;
use crate::recon;
use crate::render;
use crate::state::{Slot, Source};
use crate::text::{clean, echo};
use crate::Attachment;
use serde_json::Value;
use std::collections::BTreeMap;

/// The longest attachment name shown, in characters.
const NAME_KEEP: usize = 80;

/// True when an attachment is a recon report (by its name).
pub(crate) fn is_recon(a: &Attachment) -> bool {
    let f = a.filename.to_lowercase();
    f.ends_with(".yaml") || f.ends_with(".yml") || f.contains("eks-recon")
}

/// "- existing stack: Argo CD → Flux", one line per change.
pub(crate) fn diff(k: &Knowledge, changes: &[Change]) -> String {
    let side = |v: &[String]| {
        if v.is_empty() {
            "—".to_string()
        } else {
            echo(&v.join(", "))
        }
    };
    changes
        .iter()
        .map(|c| {
            format!(
                "- {}: {} → {}",
                render::slot_name(k, c.slot),
                side(&c.before),
                side(&c.after)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Numbered answers ("2. ship a service") to the grouped Phase 1 question answer its questions in
/// the order they were asked: each number becomes that input's label ("first: ship a service"), so
/// the reader files it under the right input. A single numbered line is read on its own words: the numbering may be an earlier question's.
/// A line that chains its numbered answers ("1) 12 teams 2) tickets 3) ship a service") cut into one
/// line per answer, so the chain is numbered like answers on lines of their own.
fn chained(line: &str) -> Vec<&str> {
    let b = line.as_bytes();
    let mut cuts = Vec::new();
    let mut want = b'1';
    for i in 0..b.len() {
        let starts = i == 0 || b[i - 1].is_ascii_whitespace() || b[i - 1] == b'(';
        let marked = matches!(b.get(i + 1), Some(b')' | b'.'))
            && b.get(i + 2).is_none_or(|c| c.is_ascii_whitespace());
        if starts && marked && b[i] == want {
            cuts.push(i);
            want += 1;
            if want > b'9' {
                break;
            }
        }
    }
    if cuts.len() < 2 {
        return vec![line];
    }
    let mut out = Vec::new();
    if !line[..cuts[0]].trim().is_empty() {
        out.push(&line[..cuts[0]]);
    }
    for (i, &c) in cuts.iter().enumerate() {
        out.push(&line[c..cuts.get(i + 1).copied().unwrap_or(line.len())]);
    }
    out
}

/// True when an answer starts with a label of its own: a few words, then a colon.
fn own_label(answer: &str) -> bool {
    let t = answer.trim_start();
    t.find(':').is_some_and(|i| {
        let head = &t[..i];
        !head.is_empty()
            && head.len() <= 24
            && head.starts_with(|c: char| c.is_alphabetic())
            && head
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '/'))
    })
}

fn relabel(text: &str, asked: &[Slot]) -> String {
    let numbered = |line: &str| {
        let t = line.trim_start();
        let d = t.bytes().take_while(u8::is_ascii_digit).count();
        d > 0 && t[d..].starts_with(['.', ')', ':'])
    };
    if asked.is_empty() {
        return text.to_string();
    }
    let lines: Vec<&str> = text.lines().flat_map(chained).collect();
    let grouped = lines.iter().filter(|l| numbered(l)).count() >= 2;
    lines
        .iter()
        .map(|line| {
            let t = line.trim_start();
            let digits = t.bytes().take_while(u8::is_ascii_digit).count();
            let rest = &t[digits..];
            let number = t[..digits].parse::<usize>().ok();
            match (number, rest.strip_prefix(['.', ')', ':'])) {
                (Some(_), Some(answer)) if !grouped => answer.trim().to_string(),
                // An answer with a label of its own ("2) pain: tickets") keeps it.
                (Some(_), Some(answer)) if own_label(answer) => answer.trim().to_string(),
                (Some(n), Some(answer)) if (1..=asked.len()).contains(&n) => {
                    let label = match asked[n - 1] {
                        Slot::ConsumerTeams => "teams",
                        Slot::TopPain => "pain",
                        Slot::FirstCapabilities => "first",
                        Slot::ExistingStack => "stack",
                        Slot::Constraints => "constraints",
                    };
                    format!("{label}: {}", answer.trim())
                }
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The profile facts that no Phase 1 input shows, as diff lines (`environments: dev → prod`), each
/// under the input it belongs to. Only the inputs other than `shown` (whose lines already say what changed) are looked at: when
/// every input is shown there is nothing to compare.
fn hidden_changes(
    before: &Profile,
    after: &Profile,
    shown: &[Slot],
) -> Vec<(&'static str, Change)> {
    if Slot::ALL.iter().all(|s| shown.contains(s)) {
        return vec![];
    }
    let (b, _) = before.contract();
    let (a, _) = after.contract();
    let show = |v: Option<&Value>, arrow: &str| -> Vec<String> {
        match v {
            None => vec![],
            Some(Value::Array(xs)) => vec![xs
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(arrow)],
            Some(Value::Object(m)) => vec![m
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k} {}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_string)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")],
            Some(Value::String(s)) => vec![s.replace('_', " ")],
            Some(v) => vec![v.to_string()],
        }
    };
    [
        ("environments", Slot::ExistingStack, " → "),
        ("accounts", Slot::ExistingStack, ", "),
        ("clusters", Slot::ExistingStack, ", "),
        ("stack", Slot::ExistingStack, ", "),
        ("wanted", Slot::ExistingStack, ", "),
        ("greenfield", Slot::ExistingStack, ", "),
        ("teams", Slot::ConsumerTeams, ", "),
        ("engineers", Slot::ConsumerTeams, ", "),
        ("tenancy", Slot::ConsumerTeams, ", "),
        ("ml_data_consumers", Slot::ConsumerTeams, ", "),
        ("pain", Slot::TopPain, ", "),
        ("capabilities", Slot::FirstCapabilities, ", "),
        ("constraints", Slot::Constraints, ", "),
        ("hide_kubernetes", Slot::Constraints, ", "),
    ]
    .into_iter()
    .filter(|(_, slot, _)| !shown.contains(slot))
    .filter(|(key, _, _)| b.get(*key) != a.get(*key))
    .map(|(key, slot, arrow)| {
        let label = |v: Vec<String>| {
            v.into_iter()
                .map(|x| format!("{} {x}", key.replace('_', " ")))
                .collect()
        };
        (
            key,
            Change {
                slot,
                before: label(show(b.get(key), arrow)),
                after: label(show(a.get(key), arrow)),
            },
        )
    })
    .collect()
}

/// What the attachments of a message gave: recognised items per source, notes for the user, and the
/// typed profile read from each architecture document.
type Read = (Vec<(Source, Vec<Hit>)>, Vec<String>, Vec<Profile>);

impl Cx<'_> {
    /// Each input as the restatement shows it: the profile's view, or else the recognised items.
    fn shown(&self, eng: &crate::state::Engagement) -> BTreeMap<Slot, String> {
        let mut out: BTreeMap<Slot, String> = self
            .e
            .profile_views(eng)
            .into_iter()
            .map(|(slot, v)| (slot, v.value))
            .collect();
        for slot in Slot::ALL {
            let items = eng.items(slot);
            if !items.is_empty() && !out.contains_key(&slot) {
                let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
                out.insert(slot, labels.join(", "));
            }
        }
        out
    }

    /// Reads attachments: recon reports and architecture documents. Returns hits per source, notes,
    /// and what the reader found in each architecture document (for the typed profile).
    fn read_attachments(&self, attachments: &[Attachment], asked: &[Slot]) -> Read {
        let k = self.k();
        let limits = &self.e.limits;
        let mut found = Vec::new();
        let mut notes = Vec::new();
        let mut accounts = Vec::new();
        let mut documents = Vec::new();
        if attachments.len() > limits.max_attachments {
            notes.push(fill(
                k.ui("attachment.too_many"),
                &[
                    ("n", &attachments.len().to_string()),
                    ("limit", &limits.max_attachments.to_string()),
                ],
            ));
        }
        for a in attachments.iter().take(limits.max_attachments) {
            let name: String = echo(&clean(&a.filename)).chars().take(NAME_KEEP).collect();
            let name = if name.trim().is_empty() {
                k.ui("attachment.unnamed").to_string()
            } else {
                name
            };
            if a.content.len() > limits.max_attachment_bytes {
                notes.push(fill(
                    k.ui("attachment.too_big"),
                    &[
                        ("file", &name),
                        ("limit", &(limits.max_attachment_bytes / 1024).to_string()),
                    ],
                ));
                continue;
            }
            if a.content.contains('\0') {
                notes.push(fill(k.ui("attachment.binary"), &[("file", &name)]));
                continue;
            }
            let source = Source::Attachment(name.clone());
            if !is_recon(a) {
                let content = clean(&a.content);
                let hits = self.e.extractor.extract(&content, asked);
                let reading = self.e.reader.read(&content, &source);
                let n = hits.len().max(reading.fact_count());
                documents.push(reading);
                notes.push(fill(
                    k.ui("attachment.read"),
                    &[("file", &name), ("n", &n.to_string())],
                ));
                found.push((source, hits));
                continue;
            }
            match recon::parse(&a.content, k) {
                Ok(r) => {
                    let mut hits = r.hits;
                    if let Some(c) = r.cluster {
                        hits.push(Hit {
                            slot: Slot::ExistingStack,
                            key: "cluster:eks".into(),
                            label: fill(k.ui("attachment.cluster"), &[("cluster", &c)]),
                            negated: false,
                        });
                    }
                    if let Some(acct) = r.account {
                        if !accounts.contains(&acct) {
                            accounts.push(acct);
                        }
                    }
                    if accounts.len() >= 2 {
                        hits.push(Hit {
                            slot: Slot::Constraints,
                            key: "constraint:multi_account".into(),
                            label: fill(
                                k.ui("attachment.multi_account"),
                                &[("n", &accounts.len().to_string())],
                            ),
                            negated: false,
                        });
                    }
                    notes.push(fill(
                        k.ui("attachment.read"),
                        &[("file", &name), ("n", &hits.len().to_string())],
                    ));
                    found.push((source, hits));
                }
                Err(reason) => notes.push(fill(
                    k.ui("attachment.recon_broken"),
                    &[("file", &name), ("reason", &echo(&reason))],
                )),
            }
        }
        (found, notes, documents)
    }

    /// Applies a message's text and attachments to the inputs: the changes, the notes about the
    /// attachments, and how many facts were recognised.
    pub(crate) fn take_inputs(
        &mut self,
        text: &str,
        attachments: &[Attachment],
    ) -> (Vec<Change>, Vec<String>, usize) {
        let asked = self.eng().map(|e| e.asked.clone()).unwrap_or_default();
        let (found, notes, documents) = self.read_attachments(attachments, &asked);
        let text_hits = self.e.extractor.extract(text, &asked);
        // The typed profile: what the reader finds in the text, folded into what was read before.
        // Numbered answers answer the questions in the order they were asked.
        let reading = self.e.reader.read(&relabel(text, &asked), &Source::Message);
        let facts = reading.fact_count();
        let views_before = self.eng().map(|e| self.shown(e)).unwrap_or_default();
        let Some(eng) = self.eng_mut() else {
            return (vec![], notes, 0);
        };
        let mut n = text_hits.len() + facts;
        let mut item_changes = Vec::new();
        for (source, hits) in &found {
            n += hits.len();
            item_changes.extend(apply(&mut eng.inputs, hits, source));
        }
        // The message text wins over attachments when both speak.
        item_changes.extend(apply(&mut eng.inputs, &text_hits, &Source::Message));
        let profile_before = eng.profile.clone();
        // Architecture documents first, then the message: the message wins where both speak.
        for doc in documents {
            crate::read::merge(&mut eng.profile, doc);
        }
        crate::read::merge(&mut eng.profile, reading);
        // Each input as shown (the profile's view, or what else was recognised): a changed one is a
        // line of the diff.
        let views_after = self.eng().map(|e| self.shown(e)).unwrap_or_default();
        let mut changes: Vec<Change> = Slot::ALL
            .into_iter()
            .filter(|slot| views_before.get(slot) != views_after.get(slot))
            .map(|slot| Change {
                slot,
                before: views_before.get(&slot).cloned().into_iter().collect(),
                after: views_after.get(&slot).cloned().into_iter().collect(),
            })
            .collect();
        // What was recognised beside the profile and changed under an input the profile already
        // shows is still said, so that no change is kept silently.
        for c in item_changes {
            if !changes.iter().any(|x| x.slot == c.slot) {
                changes.push(c);
            }
        }
        let after = self.eng().map(|e| &e.profile);
        if let Some(after) = after.filter(|a| **a != profile_before) {
            // Facts the restatement does not show (environments, accounts, tenancy, clusters,
            // wanted tools while the input they belong to is unknown) still change the plan: each
            // changed one is a line of the diff, unless its input's line changed and says it.
            let shown: Vec<Slot> = changes.iter().map(|c| c.slot).collect();
            changes.extend(
                hidden_changes(&profile_before, after, &shown)
                    .into_iter()
                    .map(|(_, c)| c),
            );
        }
        (changes, notes, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handle::testkit::*;
    use crate::state::{Slot, ThreadState};
    use crate::Event;

    #[test]
    fn numbered_answers_chained_on_one_line_are_labelled_like_lines() {
        let asked = [
            Slot::ConsumerTeams,
            Slot::TopPain,
            Slot::FirstCapabilities,
            Slot::ExistingStack,
            Slot::Constraints,
        ];
        let got = relabel(
            "1) 12 app squads, ~90 devs. 2) tickets for everything 3) scaffold + ship 4) Flux, ECR 5) GDPR",
            &asked,
        );
        assert_eq!(
            got,
            "teams: 12 app squads, ~90 devs.\npain: tickets for everything\nfirst: scaffold + ship\nstack: Flux, ECR\nconstraints: GDPR"
        );
        // An answer's own label is kept, not doubled.
        assert_eq!(
            relabel("1) 12 teams\n2) pain: tickets", &asked),
            "teams: 12 teams\npain: tickets"
        );
        // Numbers inside an answer are not a chain.
        assert_eq!(
            relabel("we run 3 clusters and 2 accounts", &asked),
            "we run 3 clusters and 2 accounts"
        );
    }

    #[test]
    fn ml_teams_said_to_stay_off_get_no_ml_paths() {
        let st = say(
            &ThreadState::default(),
            "alice",
            "We want to build an internal developer platform on EKS for our teams",
        )
        .state;
        let answer = "1) 12 app squads. There's also 2 data science teams but they're on Databricks \
                      and won't be on this platform. 2) pain: tickets for everything 3) scaffold + ship \
                      4) GitLab CI, Flux, ECR 5) none";
        let gate = say(&st, "alice", answer);
        let t = text(&gate);
        assert!(t.contains("2 ML teams (not on the platform)"), "{t}");
        let p2 = say(&gate.state, "alice", "yes");
        let t2 = text(&p2);
        assert!(
            !t2.contains("Notebook workspace") && !t2.contains("2 ML teams)"),
            "{t2}"
        );
        assert!(t2.contains("default for your 12 app teams)"), "{t2}");
    }

    #[test]
    fn recon_reports_are_known_by_name() {
        let a = |f: &str| Attachment {
            filename: f.into(),
            content: String::new(),
        };
        assert!(is_recon(&a("prod.eks-recon-report.txt")));
        assert!(is_recon(&a("report.YAML")));
        assert!(!is_recon(&a("architecture.md")));
    }

    #[test]
    fn a_binary_or_huge_attachment_is_refused_with_a_note() {
        let ev = Event {
            user: "alice".into(),
            text: Some("Plan our internal developer platform on EKS".into()),
            attachments: vec![Attachment {
                filename: "notes.md".into(),
                content: "a\0b".into(),
            }],
            ..Event::default()
        };
        let s = engine().step(&ThreadState::default(), &ev);
        let note = fill(
            engine().knowledge().ui("attachment.binary"),
            &[("file", "notes.md")],
        );
        assert!(text(&s).contains(&note), "{}", text(&s));
    }

    #[test]
    fn an_architecture_document_fills_inputs_with_its_source() {
        let ev = Event {
            user: "alice".into(),
            text: Some("Plan our internal developer platform on EKS".into()),
            attachments: vec![Attachment {
                filename: "arch.md".into(),
                content: "We run Argo CD for deploys and Terraform for infrastructure.".into(),
            }],
            ..Event::default()
        };
        let s = engine().step(&ThreadState::default(), &ev);
        let eng = s.state.engaged().expect("engaged");
        let stack = eng.items(Slot::ExistingStack);
        assert!(
            stack
                .iter()
                .any(|i| i.source == Source::Attachment("arch.md".into())),
            "{stack:?}"
        );
        // The typed profile reads the document too, and the input shows where it came from.
        let gitops = eng
            .profile
            .stack
            .get(&crate::profile::Category::Gitops)
            .expect("the document's GitOps tool is in the profile");
        assert_eq!(gitops.value, "Argo CD");
        assert_eq!(gitops.source, Source::Attachment("arch.md".into()));
        let view = engine().profile_views(eng);
        assert_eq!(
            view[&Slot::ExistingStack].source,
            Source::Attachment("arch.md".into())
        );
    }
}
