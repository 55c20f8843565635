//! The reader on the failures issue 11 names, each in its own words and in two paraphrases, plus the
//! mechanisms (segmenting, cues, quantities, merging, views).

use super::*;
use crate::profile::{Fact, Profile};
use crate::state::Source;
use serde_json::{json, Value};

fn reader() -> &'static Reader {
    static R: std::sync::OnceLock<Reader> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        Reader::parse(include_str!("../../../../config/reading.toml")).expect("config/reading.toml")
    })
}

fn read(text: &str) -> Value {
    reader().read(text, &Source::Message).contract().0
}

/// Asserts that every key of `want` has that value in the reading of each text.
fn holds(texts: &[&str], want: Value) {
    let r = reader();
    for t in texts {
        let got = r.read(t, &Source::Message).contract().0;
        for (k, v) in want.as_object().expect("object") {
            assert_eq!(got.get(k), Some(v), "{k} in {t:?}: read {got}");
        }
    }
}

/// Asserts that a key is absent from the reading of each text.
fn lacks(texts: &[&str], key: &str) {
    for t in texts {
        let got = read(t);
        assert!(
            got.get(key).is_none(),
            "{key} should be absent in {t:?}: read {got}"
        );
    }
}

#[test]
fn labelled_answers_on_one_line_keep_their_labels() {
    let texts = [
        "Pain: nobody knows who owns which service. First: a service catalog and a template. We run Argo CD. Constraints: must use our Okta SSO.",
        "pain - well: nobody knows who owns which service. first: a template for new services. we're on Argo CD. constraints: we must use Okta SSO",
        "Biggest pain: nobody knows who owns which service; Start with: service templates; Stack: Argo CD, Okta; Constraints: must use our Okta SSO",
    ];
    holds(
        &texts,
        json!({"capabilities": ["scaffold_repo"], "constraints": ["existing_investment"]}),
    );
    let r = reader();
    for t in texts {
        let p = r.read(t, &Source::Message);
        let pain = p.pain.as_ref().expect("pain").value.to_lowercase();
        assert!(
            pain.contains("nobody knows who owns which service"),
            "{t}: {pain}"
        );
        assert!(
            !pain.contains("argo") && !pain.contains("constraints"),
            "{t}: {pain}"
        );
        assert_eq!(
            p.runs(crate::profile::Category::Gitops),
            Some("Argo CD"),
            "{t}"
        );
    }
    let texts = [
        "12 app teams; pain: tickets for everything; first: ship a service; existing: GitHub Actions; constraints: none",
        "twelve app teams, pain: a ticket for everything, first: shipping services, stack: GitHub Actions, constraints: n/a",
        "Teams: 12 app teams. Problem: everything needs a ticket. Priority: let them deploy a service. Tools: GitHub Actions. Restrictions: none",
    ];
    holds(
        &texts,
        json!({"teams": {"app": 12}, "capabilities": ["ship_service"], "stack": {"ci": "GitHub Actions"}, "constraints": ["none"]}),
    );
}

#[test]
fn first_capabilities_in_prose_several_at_once() {
    holds(
        &[
            "First we want teams to ship a new service on their own and to provision their own databases",
            "the first thing: devs should deploy a new service by themselves and provision databases without a ticket",
            "we'd like to start with letting teams ship services on their own, plus provisioning their own RDS databases",
        ],
        json!({"capabilities": ["ship_service", "provision_infra"]}),
    );
    holds(
        &[
            "self-service s3/rds",
            "first: self service S3 and RDS",
            "we want self-serve rds / s3 buckets",
        ],
        json!({"capabilities": ["provision_infra"]}),
    );
    for t in ["self-service s3/rds", "first: self service S3 and RDS"] {
        let c = read(t)["capabilities"].clone();
        assert_eq!(
            c,
            json!(["provision_infra"]),
            "{t} must not scaffold a repo"
        );
    }
}

#[test]
fn environments_in_prose_in_promotion_order() {
    holds(
        &[
            "we have 3 environments: dev, staging and prod",
            "three envs - dev -> staging -> prod",
            "our environments are prod, staging and dev",
        ],
        json!({"environments": ["dev", "staging", "prod"]}),
    );
    holds(
        &[
            "only a prod environment",
            "we just have a single production environment",
            "there is one environment, prod",
        ],
        json!({}),
    );
    for t in [
        "only a prod environment",
        "we just have a single production environment",
        "there is one environment, prod",
    ] {
        let e = read(t)["environments"].clone();
        let e = e.as_array().cloned().unwrap_or_default();
        assert_eq!(e.len(), 1, "{t}: {e:?}");
        assert!(
            e[0].as_str().unwrap_or("").starts_with("prod"),
            "{t}: {e:?}"
        );
    }
    lacks(
        &[
            "12 dev teams ship to prod",
            "prod outages every week",
            "the dev experience is poor",
        ],
        "environments",
    );
}

#[test]
fn account_models_and_tenancy_in_prose() {
    holds(
        &[
            "one AWS account per customer",
            "every customer gets its own AWS account",
            "we run a dedicated account for each tenant",
        ],
        json!({"accounts": "per_tenant"}),
    );
    holds(
        &[
            "each team has its own AWS account",
            "one aws account per team",
            "teams each get their own account",
        ],
        json!({"accounts": "per_team"}),
    );
    holds(
        &[
            "contracts say no shared nodes or clusters",
            "customers cannot share nodes or clusters, it's in the contract",
            "every tenant needs its own dedicated cluster",
        ],
        json!({"tenancy": "hard"}),
    );
    holds(
        &[
            "everything is in a single AWS account",
            "just one account",
            "we're multi-account (control tower)",
        ],
        json!({}),
    );
    assert_eq!(
        read("everything is in a single AWS account")["accounts"],
        "single"
    );
    assert_eq!(
        read("we're multi-account (control tower)")["accounts"],
        "multi"
    );
    assert_eq!(
        read("shared clusters, a namespace per team")["tenancy"],
        "soft"
    );
}

#[test]
fn wanting_is_not_having() {
    let wanted_backstage = [
        "Set up Backstage for us",
        "could you stand up a Backstage portal for our teams?",
        "we would like Backstage as the portal",
    ];
    holds(
        &wanted_backstage,
        json!({"wanted": {"portal": "Backstage"}}),
    );
    lacks(&wanted_backstage, "stack");
    let port = [
        "can we use Port? our CTO likes it",
        "what about Port? the CTO is a fan",
        "our CTO likes Port, should we use it?",
    ];
    holds(&port, json!({"wanted": {"portal": "Port"}}));
    lacks(&port, "stack");
    holds(
        &[
            "we're moving to Flux next quarter",
            "POC of Flux running now, nothing in prod",
            "we are evaluating Flux",
        ],
        json!({"wanted": {"gitops": "Flux"}}),
    );
    holds(
        &[
            "we run Argo CD and are considering Kargo",
            "Argo CD today; Kargo is on the roadmap",
        ],
        json!({"stack": {"gitops": "Argo CD"}, "wanted": {"promotion": "Kargo"}}),
    );
    holds(
        &[
            "moving from Jenkins to GitHub Actions",
            "we're migrating off Jenkins to GitHub Actions",
        ],
        json!({"stack": {"ci": "Jenkins"}, "wanted": {"ci": "GitHub Actions"}}),
    );
}

#[test]
fn negation_drops_the_tool() {
    lacks(
        &[
            "no GitOps yet, no Argo CD",
            "we don't use Backstage",
            "we dropped Backstage last year",
        ],
        "stack",
    );
    holds(
        &[
            "no GitOps yet; we run Jenkins",
            "we don't use a portal but we use Jenkins",
        ],
        json!({"stack": {"ci": "Jenkins"}}),
    );
    holds(
        &["we're not air-gapped, but PCI applies"],
        json!({"constraints": ["pci"]}),
    );
}

#[test]
fn quantities_with_number_words() {
    holds(
        &["12 app teams", "twelve app teams", "~12 product teams"],
        json!({"teams": {"app": 12}}),
    );
    holds(
        &["two data teams", "2 data teams"],
        json!({"teams": {"data": 2}, "ml_data_consumers": true}),
    );
    holds(
        &["~80 devs", "about 80 developers", "80-ish engineers"],
        json!({"engineers": 80}),
    );
    holds(
        &["3 clusters", "three EKS clusters", "we run 3 prod clusters"],
        json!({"clusters": 3}),
    );
    holds(
        &["30 app teams and 2 data teams", "30 app and 2 data teams"],
        json!({"teams": {"app": 30, "data": 2}}),
    );
    holds(
        &["we serve 40 customers as tenants"],
        json!({"teams": {"external_tenants": 40}}),
    );
}

#[test]
fn numbered_answers_answer_in_order() {
    let p = reader().read(
        "1. 20 app teams\n2. deploys take a week\n3. ship a service\n4. argo cd, terraform\n5. none",
        &Source::Message,
    );
    let (v, _) = p.contract();
    assert_eq!(v["teams"], json!({"app": 20}));
    assert_eq!(v["capabilities"], json!(["ship_service"]));
    assert_eq!(v["stack"], json!({"gitops": "Argo CD", "iac": "Terraform"}));
    assert_eq!(v["constraints"], json!(["none"]));
    assert!(v["pain"]
        .as_str()
        .unwrap_or("")
        .contains("deploys take a week"));
}

#[test]
fn constraints_and_flags() {
    holds(
        &["we're air-gapped and SOC2", "SOC 2 + airgapped clusters"],
        json!({"constraints": ["air_gapped", "soc2"]}),
    );
    holds(
        &[
            "devs should never see kubernetes",
            "hide k8s from developers",
            "app teams shouldn't have to touch yaml",
        ],
        json!({"hide_kubernetes": true}),
    );
    holds(
        &["data must stay in the EU (GDPR)"],
        json!({"constraints": ["gdpr", "data_residency"]}),
    );
    holds(&["greenfield, nothing yet"], json!({"greenfield": true}));
}

#[test]
fn merging_newer_facts_win_and_sets_union() {
    let r = reader();
    let mut p = r.read(
        "we run Argo CD, 3 environments: dev, staging, prod; PCI",
        &Source::Message,
    );
    let newer = r.read(
        "actually we use Flux. only prod. also SOC 2",
        &Source::Attachment("notes.md".into()),
    );
    merge(&mut p, newer);
    assert_eq!(p.runs(crate::profile::Category::Gitops), Some("Flux"));
    assert_eq!(
        p.environments.as_ref().map(|f| f.value.clone()),
        Some(vec!["prod".to_string()])
    );
    assert!(p.has(crate::profile::Constraint::Pci) && p.has(crate::profile::Constraint::Soc2));
    // A wanted tool that is later run leaves the wanted list.
    let mut q = r.read("set up Backstage for us", &Source::Message);
    merge(&mut q, r.read("stack: Backstage", &Source::Message));
    assert!(q.wanted.is_empty());
    assert_eq!(q.runs(crate::profile::Category::Portal), Some("Backstage"));
    // "none" gives way to a real constraint.
    let mut c = r.read("constraints: none", &Source::Message);
    merge(&mut c, r.read("oh, HIPAA applies", &Source::Message));
    assert_eq!(
        c.constraints.keys().map(|k| k.id()).collect::<Vec<_>>(),
        vec!["hipaa"]
    );
}

#[test]
fn inputs_are_short_views_of_the_profile() {
    let r = reader();
    let p = r.read(
        "12 app teams; pain: tickets for everything; first: ship a service; existing: GitHub Actions; constraints: none",
        &Source::Message,
    );
    let i = r.inputs(&p);
    assert_eq!(i.consumer_teams.as_deref(), Some("12 app teams"));
    assert_eq!(i.top_pain.as_deref(), Some("tickets for everything"));
    assert_eq!(i.first_capabilities.as_deref(), Some("ship a service"));
    assert_eq!(i.existing_stack.as_deref(), Some("GitHub Actions (CI)"));
    assert_eq!(i.constraints.as_deref(), Some("none"));
    assert_eq!(r.inputs(&Profile::default()), Inputs::default());
    let g = Profile {
        greenfield: Some(Fact::new(true, Source::Message)),
        ..Profile::default()
    };
    assert!(r.inputs(&g).existing_stack.is_some());
}

#[test]
fn bad_data_gives_clear_errors() {
    let good = include_str!("../../../../config/reading.toml");
    let e = Reader::parse("nonsense = [").expect_err("not toml");
    assert_eq!(e.file, "config/reading.toml");
    let bad = good.replace("category = \"gitops\"", "category = \"gitopz\"");
    let e = Reader::parse(&bad).expect_err("unknown category");
    assert!(e.message.contains("gitopz"), "{}", e.message);
    let bad = good.replace("re = 'kyverno|kyvern|kiverno'", "re = 'kyverno('");
    let e = Reader::parse(&bad).expect_err("bad regex");
    assert!(e.message.contains("Kyverno"), "{}", e.message);
}

#[test]
fn odd_input_never_panics() {
    let r = reader();
    for t in [
        "",
        "\n\n",
        ":",
        "pain:",
        "1.",
        "1) 2) 3)",
        "é ü ß 日本 🙂: x",
        "a.b.c...",
        "stack:\n- \n-",
        "~~~ 999999999999 teams",
    ] {
        let _ = r.read(t, &Source::Message);
    }
}

#[test]
fn misspelled_domain_words_are_read_as_meant() {
    holds(
        &[
            "we have 3 enviroments: dev, stagign and prod, one acount, 40 enginers",
            "3 envirnoments (dev, staging, prod). singel... sorry, one AWS acount. ~40 engneers",
        ],
        json!({"environments": ["dev", "staging", "prod"], "accounts": "single", "engineers": 40}),
    );
    holds(
        &["we run Terrafom and Jenkns, 2 data sceince teams"],
        json!({"stack": {"iac": "Terraform", "ci": "Jenkins"}, "teams": {"ml": 2}}),
    );
    // The restated pain keeps the team's own spelling.
    let got = read("pain: the deploys are all manualy done by one persn");
    assert_eq!(
        got["pain"],
        json!("the deploys are all manualy done by one persn")
    );
}

#[test]
fn platform_team_counts_and_team_sizes() {
    holds(
        &[
            "12 app teams. Platform: 1 team, four people",
            "12 app teams; the platform team is just one team (4 ppl)",
            "12 product squads and a platform team of one team",
            "12 app teams, plat = 1 team",
        ],
        json!({"teams": {"app": 12, "platform": 1}}),
    );
    holds(
        &[
            "5 app teams plus a platform group of 2 teams",
            "5 app teams; platform team is 2 teams (core infra and devex)",
        ],
        json!({"teams": {"app": 5, "platform": 2}}),
    );
    // A team's size is neither a count of teams nor the organisation's engineers.
    lacks(
        &[
            "5 dev teams, 1 DS team (6 ppl)",
            "we're the platform team (4 of us) serving 5 dev teams",
            "4 dev teams and a 3-person platform team",
        ],
        "engineers",
    );
    let got = read("a 5-person platform team serving 9 product teams");
    assert!(got["teams"].get("platform").is_none(), "read {got}");
    let got = read("we're the platform team (4 of us) serving 5 dev teams");
    assert!(got["teams"].get("platform").is_none(), "read {got}");
}

#[test]
fn engineers_beat_people_and_are_read_in_other_languages() {
    holds(
        &[
            "We're a 300-person insurer, maybe 60 engineers total, in 6 teams",
            "a 150-person company with about 60 devs",
            "Devs 60, teams 6",
            "Engineers (about 60, in 6 teams)",
            "60 développeurs in 6 équipes",
            "60 Entwickler in 6 Teams",
        ],
        json!({"engineers": 60}),
    );
    holds(
        &["we're about 300 people, 6 teams"],
        json!({"engineers": 300}),
    );
    lacks(
        &[
            "it takes a new engineer 2 weeks to deploy",
            "product eng (roughly 35 teams)",
        ],
        "engineers",
    );
}

#[test]
fn short_items_of_a_list_of_asks_name_capabilities() {
    holds(
        &[
            "want scaffold + ship",
            "I'd like a paved road: a proper template + one click deploy",
            "we want template repos and self deploy",
        ],
        json!({"capabilities": ["ship_service", "scaffold_repo"]}),
    );
    holds(
        &[
            "wanna: ship svc + ml jobs",
            "want: ship it, then ml jobs later",
        ],
        json!({"capabilities": ["ship_service", "ml_job"]}),
    );
    // Provisioning a customer's environment is infrastructure; infra templates are not repo templates.
    holds(
        &[
            "First: provision a new client environment from code.",
            "want: provision studio env self serve",
            "first: infra templates for a new airline",
        ],
        json!({"capabilities": ["provision_infra"]}),
    );
    holds(
        &["want: per-PR preview environments + infra templates"],
        json!({"capabilities": ["provision_infra", "environment"]}),
    );
}

#[test]
fn tenancy_said_briefly_or_about_environments() {
    holds(
        &[
            "Tenancy: soft",
            "isolation: none needed beyond namespaces",
            "3 clusters, shared. 40 customers, they share everything, which is fine",
            "75 customers, all multi-tenant in the same clusters, logical isolation by namespace",
        ],
        json!({"tenancy": "soft"}),
    );
    holds(
        &[
            "Isolation: hard, contracts",
            "partners must be fully isolated from each other - separate clusters per partner",
            "the hospitals' security officers won't accept shared nodes",
            "municipalities must be isolated, not in the same cluster",
        ],
        json!({"tenancy": "hard"}),
    );
    // Environments with their own clusters, or sharing one, say nothing about tenants.
    lacks(
        &[
            "We have a staging and a production environment; each is its own cluster.",
            "Environments are dev, staging and prod, with dev and staging sharing the non-prod cluster.",
        ],
        "tenancy",
    );
}

#[test]
fn hiding_kubernetes_in_more_words_and_its_refusal() {
    holds(
        &[
            "devs want heroku vibes, no yaml",
            "nobody should learn k8s",
            "dont make the devs learn k8s pls",
            "we want them out of kubectl entirely",
            "want: 'vercel but for our backend'",
        ],
        json!({"hide_kubernetes": true}),
    );
    lacks(
        &[
            "Our developers are fine with Kubernetes, no need to hide it.",
            "Developers like to use kubectl, they know Kubernetes very well.",
            "dealerships can share a cluster, namespace per dealership, they don't care",
        ],
        "hide_kubernetes",
    );
}

#[test]
fn constraints_in_passing_and_undone() {
    holds(
        &[
            "Everything has to stay onshore, Sydney region only",
            "data cannot exit Italy",
            "we have to keep everything in af-south-1",
            "customer data stays in the me-central-1 region",
        ],
        json!({"constraints": ["data_residency"]}),
    );
    holds(
        &[
            "Factory network is closed, clusters cannot reach internet.",
            "Internet from cluster is forbidden, we use a proxy to Nexus only",
        ],
        json!({"constraints": ["air_gapped"]}),
    );
    holds(
        &[
            "stack: Backstage (serious investment, keep), Argo CD",
            "constraints: keep flux (lots of work in it)",
            "constraints: none besides reusing our Terraform modules, which we must keep",
        ],
        json!({"constraints": ["existing_investment"]}),
    );
    // A regime said not to apply, or only planned, is not a constraint.
    holds(
        &["FedRAMP isn't relevant to us, but we're SOC 2."],
        json!({"constraints": ["soc2"]}),
    );
    lacks(&["HIPAA is on the roadmap, not in place"], "constraints");
    // "Non-negotiable" about a regime is not an existing investment.
    holds(
        &["HIPAA is non-negotiable for us."],
        json!({"constraints": ["hipaa"]}),
    );
}

#[test]
fn tenants_named_by_what_they_do_and_their_accounts() {
    holds(
        &[
            "310 franchisee stores run our point-of-sale backend on our EKS platform",
            "we are a managed platform for 310 law firms",
            "We are a B2B SaaS serving 310 large retailers",
            "we host game servers for 310 indie studios (they're our customers)",
        ],
        json!({"teams": {"external_tenants": 310}}),
    );
    // Not tenants: what the platform runs, or who builds on it.
    lacks(
        &[
            "40 services run on our platform",
            "a platform for 30 data scientists",
        ],
        "teams",
    );
    holds(
        &[
            "We serve 12 retailers. Each retailer in its own dedicated EKS cluster + own AWS account.",
            "12 utilities use our platform, each one has its own isolated cluster and its own AWS account",
            "12 enterprise customers. 12 clusters, 12 aws accts.",
            "We have 1 AWS account per partner; 12 partners deploy on our platform",
        ],
        json!({"accounts": "per_tenant"}),
    );
    holds(
        &[
            "AWS: single account today (we'd like per-team accounts later)",
            "Accounts: single AWS account (separate VPCs per env)",
        ],
        json!({"accounts": "single"}),
    );
}

#[test]
fn hiding_kubernetes_from_who_sees_it_and_a_keeping_word() {
    holds(
        &[
            "scientists should not be writing k8s yaml, period",
            "I'd like our developers to think in services and environments, never pods or namespaces.",
            "Our developers shall not be confronted with Kubernetes manifests or Helm.",
            "developers describe the service and never see a Deployment, Service or Ingress",
            "devs: \"just give us heroku\". me: ok.",
            "Kubernetes exposure for devs: none.",
        ],
        json!({"hide_kubernetes": true}),
    );
    // Teams sharing namespaces, or copying Helm charts, say nothing about hiding Kubernetes.
    lacks(
        &[
            "3 teams share one cluster with namespaces (fine for us, no need for separate clusters)",
            "there's no paved road, every team copy-pastes the previous team's Helm chart",
            "Our developers know Kubernetes well, they do their helm charts themselves, we do not want to hide it.",
        ],
        "hide_kubernetes",
    );
}

#[test]
fn ml_and_data_teams_said_to_stay_off_the_platform() {
    holds(
        &[
            "9 app teams, 1 data eng team (they're on Airflow/MWAA and staying there, not in scope)",
            "We have 5 game teams and one analytics team that runs Spark on EMR. They are not moving to EKS, so leave them out.",
            "20 app teams; ML: 2 teams, but they're happy on SageMaker and won't be consumers",
        ],
        json!({"ml_data_consumers": false}),
    );
    holds(
        &[
            "5 app teams, 1 data team (also a consumer, they run the analytics pipelines)",
            "6 backend teams, 1 ML team (fraud scoring, wants in)",
        ],
        json!({"ml_data_consumers": true}),
    );
}

#[test]
fn first_capabilities_described_by_outcome() {
    holds(
        &[
            "First: one release goes to all four entities in a controlled way.",
            "1st: same release lands in all 8 w/ one merge.",
            "First: progressive rollout by default for every service, with automatic rollback.",
            "goal: new hire ships on day 1.",
        ],
        json!({"capabilities": ["ship_service"]}),
    );
    holds(
        &["First thing: every PR gets its own short-lived env that mirrors prod."],
        json!({"capabilities": ["environment"]}),
    );
    holds(
        &["First: data engineers deploy their Airflow DAGs on their own"],
        json!({"capabilities": ["ml_job"]}),
    );
}

#[test]
fn clusters_added_up_multiplied_and_per_environment() {
    holds(
        &[
            "k so: 1 prod cluster, 1 nonprod cluster, and 2 gpu clusters",
            "we run 2 production clusters in different regions plus 2 pre-production clusters",
            "Production runs on 3 EKS clusters (don't ask), plus one staging cluster, so 4 in total.",
            "12 teams, 2 clusters per region, 2 regions (eu-south-1 and eu-central-1).",
            "one cluster per game title, 4 titles live",
        ],
        json!({"clusters": 4}),
    );
    holds(
        &[
            "eks x3 (dev/uat/prd) one acct each",
            "we runing 3 EKS: dev, qa, prd",
            "Envs: dev, test, production - one cluster each.",
            "so basicly we got 3 enviroments, dev, qa and prod, each in it's own cluster",
        ],
        json!({"clusters": 3}),
    );
}

#[test]
fn team_lists_that_drop_the_noun_and_counts_in_other_languages() {
    holds(
        &[
            "them: 28 app teams + 2 data + 3 ml. pain: infra",
            "3 ML teams + 2 DE teams + 28 app teams",
            "Teams: app 28 / data 2 / ml 3",
        ],
        json!({"teams": {"app": 28, "data": 2, "ml": 3}}),
    );
    holds(
        &["re: q1-q5\n- 50 teams, 4 ml\n- waiting on platform"],
        json!({"teams": {"app": 50, "ml": 4}}),
    );
    holds(
        &[
            "55 developers in 8 células (squads)",
            "50 devs, 8 équipes",
            "Devs: 55 across 8 teams",
            "60ish devs 8 teams",
        ],
        json!({"teams": {"app": 8}}),
    );
}

#[test]
fn tool_editions_and_leaning_towards_a_tool() {
    holds(
        &[
            "stack: tf cloud, circleci, ecr",
            "run: Terraform Cloud, CircleCI, ECR",
        ],
        json!({"stack": {"iac": "Terraform Cloud", "ci": "CircleCI", "registry": "ECR"}}),
    );
    holds(
        &["iac = terragrunt"],
        json!({"stack": {"iac": "Terragrunt"}}),
    );
    holds(
        &[
            "using github actions, and we're thinking flux vs argo, leaning argo cd",
            "Jenkins, Terraform, ECR. Open to Argo CD.",
        ],
        json!({"wanted": {"gitops": "Argo CD"}}),
    );
}

#[test]
fn a_labelled_pain_keeps_its_next_sentence_and_beats_a_numbered_one() {
    let got = read("1. 12 app teams\n2. Each customer has its own AWS account.\n3. Pain: every new customer = we copy the last one's Terraform by hand.");
    assert!(
        got["pain"].as_str().unwrap_or("").contains("by hand"),
        "read {got}"
    );
    let got = read(
        "pain = envs. We have one shared staging and everyone fights over it. We run Argo CD.",
    );
    let pain = got["pain"].as_str().unwrap_or("");
    assert!(
        pain.contains("shared staging") && !pain.contains("Argo"),
        "read {got}"
    );
}

#[test]
fn tenancy_of_teams_near_environments_and_more_hard_words() {
    holds(
        &[
            "all squads share 3 clusters (dev/stg/prd), namespace per squad, works fine",
            "Accounts: one per env (dev/staging/prod), 3 clusters, namespaces per team is fine",
            "everything in one AWS account, one EKS cluster, namespaces per team (no one minds sharing)",
        ],
        json!({"tenancy": "soft"}),
    );
    holds(
        &[
            "4 government agency tenants. Each agency must be on its own cluster.",
            "Partners must be separated strong, not same node, this is requirement from our legal.",
            "some of our customers contractually need their own nodes, cant share with other customers",
        ],
        json!({"tenancy": "hard"}),
    );
}

#[test]
fn accounts_per_team_said_loosely_and_one_per_side() {
    holds(
        &[
            "Accounts r per-team under an AWS org (~90 accts).",
            "accounts - 1 per team, via control tower",
            "accounts: AWS org, ~60 accounts, roughly one per team",
            "acct-per-squad already (control tower).",
            "our security office requires that every application team gets its own AWS account, so we're at ~45 accounts.",
        ],
        json!({"accounts": "per_team"}),
    );
    lacks(&["accounts - 1 per team, via control tower"], "teams");
    holds(
        &[
            "Accounts: one prod, one non-prod",
            "We have one AWS account for prod and one for the rest.",
        ],
        json!({"accounts": "multi"}),
    );
}

#[test]
fn tenant_counts_in_parentheses_and_partner_nouns_and_no_thousands_from_kinds() {
    holds(
        &[
            "Our device-fleet customers (currently 27 of them) each get workloads on our platform.",
            "We publish the games of 27 partner studios; their game servers run on our EKS.",
        ],
        json!({"teams": {"external_tenants": 27}}),
    );
    // "2 kinds" is not 2,000.
    let got = read("we serve 2 kinds of consumers: 10 internal app teams");
    assert!(got["teams"].get("external_tenants").is_none(), "read {got}");
}

#[test]
fn five_short_answers_on_one_line_and_an_ask_inside_the_pain() {
    holds(
        &[
            "answers in order: 14 teams / manual deploys via ssh+kubectl / ship svc + scaffold / gha, ecr, tf / none.",
            "short answers: 14 squads; manual deploys via ssh; ship svc + scaffold; gha, ecr, tf; none",
        ],
        json!({"teams": {"app": 14}, "capabilities": ["ship_service", "scaffold_repo"], "constraints": ["none"]}),
    );
    // A stack list is not five answers.
    holds(
        &["Stack: GitLab CI; Argo CD; Terraform; ECR; Vault"],
        json!({"stack": {"ci": "GitLab CI", "gitops": "Argo CD", "iac": "Terraform", "registry": "ECR", "secrets": "Vault"}}),
    );
    holds(
        &["Everything else I said stands (11 teams, pain is tickets, want ship service first)"],
        json!({"capabilities": ["ship_service"]}),
    );
}

#[test]
fn the_main_tool_of_a_category_and_a_tool_switched_off() {
    holds(
        &[
            "heres our stack: jenkins (legacy, hate it), github actions (new stuff, this is the main one now), terraform",
            "Running: Jenkins, GitHub Actions (main), Terraform",
        ],
        json!({"stack": {"ci": "GitHub Actions", "iac": "Terraform"}}),
    );
    holds(
        &["In 2023 we moved CI to GitHub Actions and Jenkins is now fully switched off."],
        json!({"stack": {"ci": "GitHub Actions"}}),
    );
}

/// Every corpus message, with multi-byte characters put in at many places, reads without a panic
/// (the reader slices text around matches and must stay on character boundaries).
#[test]
fn multibyte_text_anywhere_never_panics() {
    let corpus = include_str!("../../../../tests/corpus/phase1.jsonl");
    let r = reader();
    for line in corpus.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line).expect("corpus line");
        let text = v["text"].as_str().unwrap_or_default();
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(50).collect();
        for at in cuts {
            let mixed = format!("{}é—😀ü{}", &text[..at], &text[at..]);
            let _ = r.read(&mixed, &Source::Message);
        }
    }
}

#[test]
fn a_cue_in_parentheses_stays_with_its_tool_and_a_pilot_is_run() {
    holds(
        &[
            "stack: Backstage (pilot, 3 teams use it), Argo CD, Jenkins, Terraform",
            "- backstage (pilot), argocd, jenkins, tf",
        ],
        json!({"stack": {"portal": "Backstage", "gitops": "Argo CD", "ci": "Jenkins", "iac": "Terraform"}}),
    );
    holds(
        &["we run Jenkins, Terraform, Spinnaker (want to get off it), ECR"],
        json!({"stack": {"ci": "Jenkins", "iac": "Terraform", "registry": "ECR"}}),
    );
}

#[test]
fn more_ways_to_consider_a_tool() {
    holds(
        &["No GitOps yet but we've been reading about Flux."],
        json!({"wanted": {"gitops": "Flux"}}),
    );
    holds(
        &["We've looked at Kargo for promotion but haven't started."],
        json!({"wanted": {"promotion": "Kargo"}}),
    );
    holds(
        &["no portal yet but we're lookin at Port"],
        json!({"wanted": {"portal": "Port"}}),
    );
    holds(
        &["We're moving to GitOps and I'd like Argo CD + Argo Rollouts for canaries."],
        json!({"wanted": {"gitops": "Argo CD", "progressive_delivery": "Argo Rollouts"}}),
    );
    holds(
        &["Want: Port (evaluating), Argo CD"],
        json!({"wanted": {"gitops": "Argo CD", "portal": "Port"}}),
    );
}

#[test]
fn ml_teams_off_the_platform_are_shown_as_such() {
    let r = reader();
    let p = r.read(
        "12 app squads. There's also 2 data science teams but they're on Databricks and won't be on this platform.",
        &Source::Message,
    );
    let teams = r.inputs(&p).consumer_teams.unwrap_or_default();
    assert!(teams.contains("12 app teams"), "{teams}");
    assert!(
        teams.contains("2 ML teams (not on the platform)"),
        "{teams}"
    );
}

/// The pain sentence named by what hurts: "hurts most", "the worst part", pages, change requests.
#[test]
fn pain_said_as_what_hurts_most() {
    let cases = [
        ("We have 9 teams on EKS. The thing that hurts most is that no one owns the CDK stacks anymore.", "no one owns"),
        ("We run GitHub Actions. What hurts the most: releases need three sign-offs.", "three sign-offs"),
        ("12 squads, Flux and Terraform. The worst part of our week is rebuilding environments after every release.", "rebuilding environments"),
        ("4 teams on one cluster. honestly i just want the on-call pages to stop, we have no staging.", "on-call pages"),
        ("Right now a deploy means a change request and a CAB meeting. We use Jenkins.", "change request"),
        ("Deploys run from a bash script which only he fully understands. We use Terraform.", "bash script"),
        // A sentence that calls itself the pain wins over one with more incidental cues.
        ("On day one I found 5 clusters nobody could explain and deploys that need a Jira ticket to a separate ops group. The ticket queue is the pain everyone names.", "ticket queue"),
        ("Builds are slow, reviews take days and tickets pile up. Honestly the release train is our biggest problem.", "release train"),
        ("We have manual steps and flaky tests everywhere. Onboarding new hires is what hurts.", "onboarding new hires"),
    ];
    let r = reader();
    for (t, want) in cases {
        let p = r.read(t, &Source::Message);
        let pain = p.pain.as_ref().map(|f| f.value.to_lowercase());
        assert!(
            pain.as_deref().is_some_and(|p| p.contains(want)),
            "{t}: read {pain:?}"
        );
    }
}

/// What a team pays for or says it keeps is an existing investment; a tool it would pay for, or a
/// region it must run in, is not.
#[test]
fn paid_for_or_kept_tools_are_an_investment() {
    holds(
        &[
            "we already pay for Port (annual contract, not going anywhere) and want it as the front door",
            "Backstage has been live for two years and we're keeping it as our portal.",
            "We went all in on Crossplane three years ago; that's staying, whatever else changes.",
        ],
        json!({"constraints": ["existing_investment"]}),
    );
    for t in [
        "We'd rather not build our own portal. We're happy to pay for Port if that's the recommendation.",
        "constraints: must run in eu-central-1 only (data residency)",
    ] {
        let got = read(t);
        let has = got["constraints"]
            .as_array()
            .is_some_and(|c| c.iter().any(|v| v == "existing_investment"));
        assert!(!has, "{t}: read {got}");
    }
}

/// Preview environments said as previews, a deploy of "my service", a safe rollout.
#[test]
fn previews_and_my_service_are_capabilities() {
    holds(
        &[
            "3) Deploy self-service and PR previews",
            "first: per-branch previews and deploying new services",
            "want: pull request previews, then deploy my service on my own",
        ],
        json!({"capabilities": ["ship_service", "environment"]}),
    );
    holds(
        &[
            "but first just a 'deploy my service' button",
            "want: safe rollout with rollback",
        ],
        json!({"capabilities": ["ship_service"]}),
    );
}

/// A capability's own id, as the contract writes it and a team may copy it, names it.
#[test]
fn capability_ids_name_their_capability() {
    holds(
        &[
            "First: ship_service, provision_infra",
            "first golden paths: provision-infra then ship service",
            "Stack: Argo CD\nFirst\n- ship_service\n- provision_infra",
        ],
        json!({"capabilities": ["ship_service", "provision_infra"]}),
    );
    holds(
        &[
            "first: ml_job + scaffold_repo",
            "First golden paths: ml_jobs, scaffold-repo",
        ],
        json!({"capabilities": ["scaffold_repo", "ml_job"]}),
    );
}

/// Team counts listed with pipes or slashes between them.
#[test]
fn team_lists_split_by_pipes_or_slashes() {
    holds(
        &[
            "for the bot: 60 app teams | 2 data | 5 ml | ~500 eng | 12 clusters",
            "60 app teams / 2 data / 5 ml, about 500 engineers",
            "teams: 60 app teams|2 data|5 ml",
        ],
        json!({"teams": {"app": 60, "data": 2, "ml": 5}}),
    );
}

/// A heading alone on its line, without a colon, labels the lines under it.
#[test]
fn headings_without_a_colon_label_the_lines_under_them() {
    holds(
        &[
            "Consumers\n- 22 product teams\nPain\n- snowflake clusters, each team asked for its own\nFirst\n- ship_service, provision_infra\nConstraints\n- SOC2",
            "**Teams**\n22 product teams\n**Top pain**\nsnowflake clusters everywhere\n**First golden paths**\nship a service and provision infra\n**Constraints**\nSOC 2",
            "## Consumer teams\n22 product teams\n\n## Pain\nsnowflake clusters\n\n## First\nship_service + provision_infra\n\n## Constraints\nsoc2",
        ],
        json!({"teams": {"app": 22}, "capabilities": ["ship_service", "provision_infra"], "constraints": ["soc2"]}),
    );
    let r = reader();
    let p = r.read(
        "Pain\n- snowflake clusters, each team asked for its own\nFirst\n- ship_service",
        &Source::Message,
    );
    let pain = p.pain.map(|f| f.value.to_lowercase());
    assert!(
        pain.as_deref().is_some_and(|p| p.contains("snowflake")),
        "{pain:?}"
    );
}

/// Numbered answers written "1/", "q1:", "q1 ", "(1)" or with keycap digits answer the grouped
/// questions in order, and an answer ends where the next one's number starts.
#[test]
fn numbered_answers_in_other_notations() {
    holds(
        &[
            "1/ 14 app teams 2/ waiting on infra tickets 3/ provision infra 4/ GitLab CI, Terraform 5/ SOC 2",
            "q1: 14 app teams. q2: waiting on infra tickets. q3: provision infra. q4: GitLab CI, Terraform. q5: SOC 2",
            "q1 14 app teams. q2 waiting on infra tickets. q3 provision infra. q4 GitLab CI, Terraform. q5 SOC 2",
            "(1) 14 app teams\n(2) waiting on infra tickets\n(3) provision infra\n(4) GitLab CI, Terraform\n(5) SOC 2",
            "1\u{fe0f}\u{20e3} 14 app teams\n2\u{fe0f}\u{20e3} waiting on infra tickets\n3\u{fe0f}\u{20e3} provision infra\n4\u{fe0f}\u{20e3} GitLab CI, Terraform\n5\u{fe0f}\u{20e3} SOC 2",
        ],
        json!({"teams": {"app": 14}, "pain": "waiting on infra tickets", "capabilities": ["provision_infra"], "constraints": ["soc2"]}),
    );
    // The pain does not carry the next answer's number, and the teams count is not that number.
    holds(
        &["answers in order: 1) 6 app teams 2) hand-run helm upgrades 3) ship svc 4) jenkins/tf 5) nil"],
        json!({"teams": {"app": 6}, "pain": "hand-run helm upgrades", "constraints": ["none"]}),
    );
}

/// Numbers after a label are items of that label, not answers to the grouped questions.
#[test]
fn a_numbered_list_after_a_label_belongs_to_the_label() {
    holds(
        &[
            "Priorities in order: 1) preview environments per PR, 2) self-service databases.",
            "First asks (ranked): 1. preview envs for each pull request 2. databases on demand",
            "Wants: 1) per-PR preview environments 2) self-serve RDS",
        ],
        json!({"capabilities": ["provision_infra", "environment"]}),
    );
    lacks(
        &["Priorities in order: 1) preview environments per PR, 2) self-service databases."],
        "pain",
    );
}

/// A total of teams followed by its parts reads as the parts when they add up to it.
#[test]
fn a_team_total_split_into_kinds_reads_as_its_parts() {
    holds(
        &[
            "we're 7 teams (6 app + 1 data)",
            "7 squads: 6 product, 1 data",
            "Consumers: 7 teams in total (6 feature teams, 1 data team)",
        ],
        json!({"teams": {"app": 6, "data": 1}, "ml_data_consumers": true}),
    );
    // Parts that do not add up leave the total alone.
    holds(
        &["we're 7 teams (most of them app, 1 data)"],
        json!({"teams": {"app": 7}}),
    );
}

/// The kind after the team noun ("2 squads data") and data scientists counted as ML teams.
#[test]
fn team_kinds_after_the_noun_and_data_scientists() {
    holds(
        &[
            "we have 9 squads for product, 2 squads data and 1 squad ML",
            "9 product squads, 2 squads data, 1 ML squad",
            "teams: 9 squad for product, 2 squad data, 1 squad ml",
        ],
        json!({"teams": {"app": 9, "data": 2, "ml": 1}}),
    );
    holds(
        &[
            "plus 2 teams of data scientists",
            "and two teams of data scientists training models",
            "2 data science teams",
        ],
        json!({"teams": {"ml": 2}}),
    );
}

/// "No constraints" in more words, and a regime after "except" still applies.
#[test]
fn no_constraints_said_in_other_words() {
    holds(
        &[
            "constraints? none i know of",
            "Constraints - none that we know of",
            "No particular regulation for us.",
            "We don't have compliance requirements.",
            "Limits: none whatsoever",
        ],
        json!({"constraints": ["none"]}),
    );
    holds(
        &[
            "No constraints except GDPR.",
            "no hard constraints other than GDPR",
            "No compliance besides GDPR",
        ],
        json!({"constraints": ["gdpr"]}),
    );
}

/// Keeping what the team runs, said as not replacing it, being locked in, renewing or staying.
#[test]
fn tools_not_to_be_replaced_are_an_existing_investment() {
    holds(
        &[
            "We run Flux and we're not looking to replace it.",
            "Datadog everywhere; we will not switch away from it.",
            "We're locked into Datadog until 2027.",
            "GitLab CI, Terraform, Datadog (renewed in June)",
            "Backstage, Argo CD, Kyverno: all staying",
        ],
        json!({"constraints": ["existing_investment"]}),
    );
}

/// Data kept in a country said as resting, hosted or inside it, or as a data centre there; no
/// internet in the production network.
#[test]
fn residency_and_air_gap_in_other_words() {
    holds(
        &[
            "our data must rest in Germany",
            "hosting has to be in Switzerland",
            "regulation requires all data inside Saudi Arabia",
            "the regulator wants the data center in Indonesia",
            "customer data never leaves Canada",
            "the data can not go out of the EU",
        ],
        json!({"constraints": ["data_residency"]}),
    );
    holds(
        &[
            "We don't have internet in the production network.",
            "prod must be isolated from the internet",
            "there is no route to the internet from the clusters",
        ],
        json!({"constraints": ["air_gapped"]}),
    );
}

/// More ways to ask for a capability: "provisioning" as an item, Airflow or dbt jobs, templates for
/// repositories, environments for testing.
#[test]
fn capabilities_said_as_provisioning_jobs_and_test_environments() {
    holds(
        &[
            "first: provisioning + scaffolding",
            "3. provisioning, scaffolding",
            "want: scaffolding and provisioning",
        ],
        json!({"capabilities": ["provision_infra", "scaffold_repo"]}),
    );
    holds(
        &[
            "first: run our Airflow jobs",
            "we want to start with dbt jobs for the analysts",
            "first: Airflow DAGs on the platform",
        ],
        json!({"capabilities": ["ml_job"]}),
    );
    holds(
        &[
            "We want a template for new repository first.",
            "first: templates for every new repository",
        ],
        json!({"capabilities": ["scaffold_repo"]}),
    );
    holds(
        &[
            "we want environments for testing on demand",
            "first we'd like an environment for QA quickly",
        ],
        json!({"capabilities": ["environment"]}),
    );
}
