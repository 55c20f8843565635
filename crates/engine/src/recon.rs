//! Reading an eks-recon report: the YAML file a cluster reconnaissance run writes.
//!
//! Only what the report can answer is taken from it (the existing stack, and hints), each value keeping
//! `attachment:<filename>` as its source. Unknown fields are ignored; every field is optional. The
//! parser is serde-saphyr, whose budgets bound nesting depth, node count and alias expansion, so a
//! YAML bomb is a short reason, not an outage. Every label and reason is a `recon.*` key of
//! `replies/ui.toml`.

use serde_json::Value;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::ErrorKind;
use serde_saphyr::{Budget, ExternalMessageSource, Options};

use super::extract::Hit;
use super::knowledge::{fill, Knowledge};
use super::state::Slot;

/// What a report yielded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recon {
    /// Items for the inputs.
    pub hits: Vec<Hit>,
    /// The AWS account id from `cluster.arn`, if any.
    pub account: Option<String>,
    /// Cluster summary, for the restatement.
    pub cluster: Option<String>,
}

const MODULES: [&str; 10] = [
    "cluster",
    "compute",
    "networking",
    "security",
    "addons",
    "observability",
    "storage",
    "workloads",
    "iac",
    "cicd",
];

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    match get(v, path)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn detected(v: &Value, path: &[&str]) -> bool {
    matches!(get(v, path), Some(Value::Bool(true)))
        || text(v, path)
            .is_some_and(|s| s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("yes"))
}

fn hit(out: &mut Vec<Hit>, key: &str, label: &str) {
    if !out.iter().any(|h| h.key == key) {
        out.push(Hit {
            slot: Slot::ExistingStack,
            key: key.to_string(),
            label: label.to_string(),
            negated: false,
        });
    }
}

/// Deepest nesting read (block or flow). Real reports nest a few levels.
pub const MAX_DEPTH: usize = 64;

/// Most YAML nodes (scalars, sequences, mappings) read, aliases expanded. A report is a few hundred.
const MAX_NODES: usize = 100_000;

/// The parser's budgets: depth and flow nesting, nodes, aliases and anchors, one document.
fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_events = 4 * MAX_NODES;
    budget.max_aliases = 10_000;
    budget.max_anchors = 10_000;
    budget.max_documents = 1;
    serde_saphyr::options! {
        budget: Some(budget),
        with_snippet: false,
    }
}

/// The short reason for a parser error: a breached budget in our words, otherwise the parser's first
/// line.
fn reason(k: &Knowledge, e: &serde_saphyr::Error) -> String {
    let limit = |key: &str| fill(k.ui(key), &[("limit", &MAX_DEPTH.to_string())]);
    let mut e = e;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = e
    {
        e = error;
    }
    match e {
        serde_saphyr::Error::Budget {
            breach: BudgetBreach::Depth { .. },
            ..
        } => return limit("recon.too_deep"),
        serde_saphyr::Error::Budget { .. } => {
            return fill(k.ui("recon.too_big"), &[("limit", &MAX_NODES.to_string())])
        }
        serde_saphyr::Error::ExternalMessage { source, .. }
            if matches!(&**source, ExternalMessageSource::Parser(scan)
                if matches!(scan.kind(), ErrorKind::RecursionLimitExceeded)) =>
        {
            return limit("recon.too_deep")
        }
        _ => {}
    }
    let msg = e.to_string();
    msg.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(160)
        .collect()
}

/// Parses a report. The error is a short reason for the user, in `k`'s words.
pub fn parse(content: &str, k: &Knowledge) -> Result<Recon, String> {
    let doc: Value =
        serde_saphyr::from_str_with_options(content, options()).map_err(|e| reason(k, &e))?;
    let Value::Object(map) = &doc else {
        return Err(k.ui("recon.not_mapping").to_string());
    };
    if !map.keys().any(|k| MODULES.contains(&k.as_str())) {
        return Err(fill(
            k.ui("recon.no_modules"),
            &[("modules", &MODULES.join(", "))],
        ));
    }
    let mut out = Recon::default();
    let h = &mut out.hits;

    // GitOps engine.
    let gitops = text(&doc, &["cicd", "gitops", "tool"])
        .unwrap_or_default()
        .to_lowercase();
    let managed = detected(&doc, &["cicd", "gitops", "argocd", "eks_managed"]);
    if gitops.contains("argo") || detected(&doc, &["cicd", "gitops", "argocd", "detected"]) {
        let label = if managed {
            k.ui("recon.argocd_managed")
        } else {
            k.ui("recon.argocd")
        };
        hit(h, "gitops:argocd", label);
    } else if gitops.contains("flux") || detected(&doc, &["cicd", "gitops", "flux", "detected"]) {
        hit(h, "gitops:flux", k.ui("recon.flux"));
    }
    // CI.
    for (field, key, label) in [
        (
            "github_actions",
            "ci:github_actions",
            k.ui("recon.github_actions"),
        ),
        ("gitlab_ci", "ci:gitlab_ci", k.ui("recon.gitlab_ci")),
        ("jenkins", "ci:jenkins", k.ui("recon.jenkins")),
        ("circleci", "ci:circleci", k.ui("recon.circleci")),
        (
            "codepipeline",
            "ci:codepipeline",
            k.ui("recon.codepipeline"),
        ),
    ] {
        if detected(&doc, &["cicd", "workspace", "details", field, "detected"]) {
            hit(h, key, label);
        }
    }
    // IaC.
    let iac = text(&doc, &["iac", "tool"])
        .unwrap_or_default()
        .to_lowercase();
    for (word, key, label) in [
        ("crossplane", "iac:crossplane", k.ui("recon.crossplane")),
        ("terraform", "iac:terraform", k.ui("recon.terraform")),
        ("opentofu", "iac:terraform", k.ui("recon.terraform")),
        ("cdk", "iac:cdk", k.ui("recon.cdk")),
        (
            "cloudformation",
            "iac:cloudformation",
            k.ui("recon.cloudformation"),
        ),
        ("pulumi", "iac:pulumi", k.ui("recon.pulumi")),
    ] {
        if iac.contains(word) {
            hit(h, key, label);
        }
    }
    // Helm releases and platform components.
    let mut charts: Vec<String> = Vec::new();
    if let Some(Value::Array(releases)) = get(&doc, &["addons", "helm_releases"]) {
        for r in releases.iter().take(1000) {
            if let Some(c) = text(r, &["chart"]) {
                charts.push(c.to_lowercase());
            }
        }
    }
    if let Some(Value::Object(comps)) = get(&doc, &["addons", "platform_components"]) {
        for (name, v) in comps.iter().take(1000) {
            if detected(v, &["detected"]) {
                charts.push(name.to_lowercase());
            }
        }
    }
    for c in &charts {
        for (word, key, label) in [
            ("crossplane", "iac:crossplane", k.ui("recon.crossplane")),
            ("backstage", "portal:backstage", k.ui("recon.backstage")),
            (
                "argo-rollouts",
                "progressive:rollouts",
                k.ui("recon.argo_rollouts"),
            ),
            (
                "argo_rollouts",
                "progressive:rollouts",
                k.ui("recon.argo_rollouts"),
            ),
            ("flagger", "progressive:flagger", k.ui("recon.flagger")),
            ("kargo", "promotion:kargo", k.ui("recon.kargo")),
            ("kyverno", "policy:kyverno", k.ui("recon.kyverno")),
            ("gatekeeper", "policy:gatekeeper", k.ui("recon.gatekeeper")),
            (
                "external-secrets",
                "secrets:eso",
                k.ui("recon.external_secrets"),
            ),
            (
                "external_secrets",
                "secrets:eso",
                k.ui("recon.external_secrets"),
            ),
        ] {
            if c.contains(word) {
                hit(h, key, label);
            }
        }
    }
    // Service mesh.
    let mesh = text(&doc, &["networking", "service_mesh", "detected"])
        .unwrap_or_default()
        .to_lowercase();
    match mesh.replace([' ', '-', '_'], "").as_str() {
        "istio" => hit(h, "mesh:istio", k.ui("recon.istio")),
        "linkerd" => hit(h, "mesh:linkerd", k.ui("recon.linkerd")),
        "appmesh" => hit(h, "mesh:appmesh", k.ui("recon.appmesh")),
        _ => {}
    }
    // Identity and policy.
    let iam = text(&doc, &["security", "iam", "model"])
        .unwrap_or_default()
        .to_lowercase();
    if iam.contains("pod identity") || iam.contains("pod_identity") {
        hit(h, "identity:pod_identity", k.ui("recon.pod_identity"));
    } else if iam.contains("irsa") {
        hit(h, "identity:irsa", k.ui("recon.irsa"));
    } else if iam.contains("mixed") {
        hit(h, "identity:irsa", k.ui("recon.irsa_mixed"));
    }
    let policy = text(&doc, &["security", "policy_engine", "tool"])
        .unwrap_or_default()
        .to_lowercase();
    if policy.contains("kyverno") {
        hit(h, "policy:kyverno", k.ui("recon.kyverno"));
    } else if policy.contains("gatekeeper") || policy.contains("opa") {
        hit(h, "policy:gatekeeper", k.ui("recon.gatekeeper"));
    }
    // Compute.
    let compute = text(&doc, &["compute", "strategy"])
        .unwrap_or_default()
        .to_lowercase();
    for (word, key, label) in [
        ("auto", "compute:auto_mode", k.ui("recon.auto_mode")),
        ("karpenter", "compute:karpenter", k.ui("recon.karpenter")),
        ("mng", "compute:mng", k.ui("recon.mng")),
        ("managed", "compute:mng", k.ui("recon.mng")),
        ("fargate", "compute:fargate", k.ui("recon.fargate")),
    ] {
        if compute.contains(word) {
            hit(h, key, label);
            break;
        }
    }
    if let Some(Value::Array(pools)) = get(&doc, &["compute", "karpenter", "nodepool_names"]) {
        if let Some(gpu) = pools
            .iter()
            .filter_map(Value::as_str)
            .find(|p| p.to_lowercase().contains("gpu"))
        {
            let pool: String = gpu.chars().take(60).collect();
            let label = fill(k.ui("recon.gpu_pool"), &[("pool", &pool)]);
            hit(h, "compute:gpu_pool", &label);
        }
    }
    // Cluster and account.
    if let Some(arn) = text(&doc, &["cluster", "arn"]) {
        out.account = arn
            .split(':')
            .nth(4)
            .filter(|a| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string);
    }
    if let Some(name) = text(&doc, &["cluster", "name"]) {
        let mut s: String = name.chars().take(60).collect();
        if let Some(v) = text(&doc, &["cluster", "version"]) {
            let v: String = v.chars().take(10).collect();
            s = fill(
                k.ui("recon.cluster_version"),
                &[("cluster", &s), ("version", &v)],
            );
        }
        if let Some(r) = text(&doc, &["cluster", "region"]) {
            let r: String = r.chars().take(30).collect();
            s = fill(
                k.ui("recon.cluster_region"),
                &[("cluster", &s), ("region", &r)],
            );
        }
        out.cluster = Some(s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "cluster:\n  name: payments-prod\n  region: eu-west-1\n  version: \"1.31\"\n  arn: arn:aws:eks:eu-west-1:111122223333:cluster/payments-prod\ncompute:\n  strategy: Karpenter\n  karpenter:\n    detected: true\n    nodepool_names: [default, gpu-inference]\niac:\n  tool: Terraform\ncicd:\n  workspace:\n    details:\n      gitlab_ci:\n        detected: true\n  gitops:\n    tool: Flux\n    flux:\n      detected: true\nnetworking:\n  service_mesh:\n    detected: istio\nsecurity:\n  iam:\n    model: IRSA\n  policy_engine:\n    tool: kyverno\n";

    #[test]
    fn reads_the_documented_example() {
        let k = Knowledge::embedded().unwrap();
        let r = parse(EXAMPLE, &k).unwrap();
        let keys: Vec<&str> = r.hits.iter().map(|h| h.key.as_str()).collect();
        for k in [
            "gitops:flux",
            "ci:gitlab_ci",
            "iac:terraform",
            "mesh:istio",
            "identity:irsa",
            "policy:kyverno",
            "compute:karpenter",
            "compute:gpu_pool",
        ] {
            assert!(keys.contains(&k), "{k} missing: {keys:?}");
        }
        assert_eq!(r.account.as_deref(), Some("111122223333"));
        assert_eq!(
            r.cluster.as_deref(),
            Some("payments-prod, EKS 1.31, eu-west-1")
        );
        let gpu = r.hits.iter().find(|h| h.key == "compute:gpu_pool").unwrap();
        assert_eq!(
            gpu.label,
            "GPU node pool `gpu-inference` (a hint of ML workloads)"
        );
    }

    #[test]
    fn rejects_garbage_and_bombs() {
        let k = Knowledge::embedded().unwrap();
        let parse = |s: &str| parse(s, &k);
        assert!(parse("just: [unclosed").is_err());
        assert!(parse("- a\n- b\n").is_err());
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\ncluster: *i\n";
        let e = parse(bomb).unwrap_err();
        assert!(e.contains("100000"), "{e}");
        let deep = format!("cluster: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = parse(&deep).unwrap_err();
        assert!(e.contains("64 levels deep"), "{e}");
        let block: String = (0..100)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i * 2)))
            .collect();
        let e = parse(&format!("cluster:\n{block}")).unwrap_err();
        assert!(e.contains("64 levels deep"), "{e}");
    }
}
