//! Reading an eks-recon report: the YAML file a cluster reconnaissance run writes.
//!
//! Only what the report can answer is taken from it (the existing stack, and hints), each value keeping
//! `attachment:<filename>` as its source. Unknown fields are ignored; every field is optional. The
//! parser is serde_yaml, which bounds nesting depth and alias expansion, so a YAML bomb is an error
//! message, not an outage.

use serde_yaml::Value;

use super::extract::Hit;
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

/// Deepest `[`/`{` nesting read. libyaml's scanner is quadratic in flow nesting depth (a 200 KB
/// `[[[[...` takes over a minute), and real reports nest a few levels.
const MAX_FLOW_DEPTH: usize = 64;

fn flow_depth(s: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in s.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses a report. The error is a short reason for the user.
pub fn parse(content: &str) -> Result<Recon, String> {
    if flow_depth(content) > MAX_FLOW_DEPTH {
        return Err(format!(
            "it nests brackets more than {MAX_FLOW_DEPTH} levels deep"
        ));
    }
    let doc: Value = serde_yaml::from_str(content).map_err(|e| {
        let msg = e.to_string();
        let first = msg.lines().next().unwrap_or("invalid YAML");
        first.chars().take(160).collect::<String>()
    })?;
    let Value::Mapping(map) = &doc else {
        return Err("the top level is not a mapping of recon modules".to_string());
    };
    if !map
        .keys()
        .any(|k| k.as_str().is_some_and(|k| MODULES.contains(&k)))
    {
        return Err(format!(
            "none of the recon modules ({}) is present",
            MODULES.join(", ")
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
        hit(
            h,
            "gitops:argocd",
            if managed {
                "Argo CD (GitOps, EKS managed capability)"
            } else {
                "Argo CD (GitOps)"
            },
        );
    } else if gitops.contains("flux") || detected(&doc, &["cicd", "gitops", "flux", "detected"]) {
        hit(h, "gitops:flux", "Flux (GitOps)");
    }
    // CI.
    for (field, key, label) in [
        ("github_actions", "ci:github_actions", "GitHub Actions (CI)"),
        ("gitlab_ci", "ci:gitlab_ci", "GitLab CI (CI)"),
        ("jenkins", "ci:jenkins", "Jenkins (CI)"),
        ("circleci", "ci:circleci", "CircleCI (CI)"),
        ("codepipeline", "ci:codepipeline", "CodePipeline (CI)"),
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
        ("crossplane", "iac:crossplane", "Crossplane (IaC)"),
        ("terraform", "iac:terraform", "Terraform (IaC)"),
        ("opentofu", "iac:terraform", "Terraform (IaC)"),
        ("cdk", "iac:cdk", "CDK (IaC)"),
        (
            "cloudformation",
            "iac:cloudformation",
            "CloudFormation (IaC)",
        ),
        ("pulumi", "iac:pulumi", "Pulumi (IaC)"),
    ] {
        if iac.contains(word) {
            hit(h, key, label);
        }
    }
    // Helm releases and platform components.
    let mut charts: Vec<String> = Vec::new();
    if let Some(Value::Sequence(releases)) = get(&doc, &["addons", "helm_releases"]) {
        for r in releases.iter().take(1000) {
            if let Some(c) = text(r, &["chart"]) {
                charts.push(c.to_lowercase());
            }
        }
    }
    if let Some(Value::Mapping(comps)) = get(&doc, &["addons", "platform_components"]) {
        for (k, v) in comps.iter().take(1000) {
            if let Some(k) = k.as_str() {
                if detected(v, &["detected"]) {
                    charts.push(k.to_lowercase());
                }
            }
        }
    }
    for c in &charts {
        for (word, key, label) in [
            ("crossplane", "iac:crossplane", "Crossplane (IaC)"),
            ("backstage", "portal:backstage", "Backstage (portal)"),
            (
                "argo-rollouts",
                "progressive:rollouts",
                "Argo Rollouts (progressive delivery)",
            ),
            (
                "argo_rollouts",
                "progressive:rollouts",
                "Argo Rollouts (progressive delivery)",
            ),
            (
                "flagger",
                "progressive:flagger",
                "Flagger (progressive delivery)",
            ),
            ("kargo", "promotion:kargo", "Kargo (promotion)"),
            ("kyverno", "policy:kyverno", "Kyverno (policy)"),
            ("gatekeeper", "policy:gatekeeper", "OPA Gatekeeper (policy)"),
            (
                "external-secrets",
                "secrets:eso",
                "External Secrets (secrets)",
            ),
            (
                "external_secrets",
                "secrets:eso",
                "External Secrets (secrets)",
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
        "istio" => hit(h, "mesh:istio", "Istio (service mesh)"),
        "linkerd" => hit(h, "mesh:linkerd", "Linkerd (service mesh)"),
        "appmesh" => hit(h, "mesh:appmesh", "App Mesh (service mesh)"),
        _ => {}
    }
    // Identity and policy.
    let iam = text(&doc, &["security", "iam", "model"])
        .unwrap_or_default()
        .to_lowercase();
    if iam.contains("pod identity") || iam.contains("pod_identity") {
        hit(
            h,
            "identity:pod_identity",
            "EKS Pod Identity (workload identity)",
        );
    } else if iam.contains("irsa") {
        hit(h, "identity:irsa", "IRSA (workload identity)");
    } else if iam.contains("mixed") {
        hit(
            h,
            "identity:irsa",
            "IRSA and Pod Identity, mixed (workload identity)",
        );
    }
    let policy = text(&doc, &["security", "policy_engine", "tool"])
        .unwrap_or_default()
        .to_lowercase();
    if policy.contains("kyverno") {
        hit(h, "policy:kyverno", "Kyverno (policy)");
    } else if policy.contains("gatekeeper") || policy.contains("opa") {
        hit(h, "policy:gatekeeper", "OPA Gatekeeper (policy)");
    }
    // Compute.
    let compute = text(&doc, &["compute", "strategy"])
        .unwrap_or_default()
        .to_lowercase();
    for (word, key, label) in [
        ("auto", "compute:auto_mode", "EKS Auto Mode (compute)"),
        ("karpenter", "compute:karpenter", "Karpenter (compute)"),
        ("mng", "compute:mng", "managed node groups (compute)"),
        ("managed", "compute:mng", "managed node groups (compute)"),
        ("fargate", "compute:fargate", "Fargate (compute)"),
    ] {
        if compute.contains(word) {
            hit(h, key, label);
            break;
        }
    }
    if let Some(Value::Sequence(pools)) = get(&doc, &["compute", "karpenter", "nodepool_names"]) {
        if let Some(gpu) = pools
            .iter()
            .filter_map(Value::as_str)
            .find(|p| p.to_lowercase().contains("gpu"))
        {
            let label = format!(
                "GPU node pool `{}` (a hint of ML workloads)",
                gpu.chars().take(60).collect::<String>()
            );
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
            s.push_str(&format!(", EKS {}", v.chars().take(10).collect::<String>()));
        }
        if let Some(r) = text(&doc, &["cluster", "region"]) {
            s.push_str(&format!(", {}", r.chars().take(30).collect::<String>()));
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
        let r = parse(EXAMPLE).unwrap();
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
    }

    #[test]
    fn rejects_garbage_and_bombs() {
        assert!(parse("just: [unclosed").is_err());
        assert!(parse("- a\n- b\n").is_err());
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\ncluster: *i\n";
        assert!(parse(bomb).is_err());
        let deep = format!("cluster: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&deep).is_err());
    }
}
