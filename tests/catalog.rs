//! The reply catalogue's key list cannot rot: every `.rs` file under `src/` and `crates/` is scanned
//! for the `replies/ui.toml` keys it uses, and the set must equal `catalog::USED_KEYS` (which loading
//! checks against the catalogue both ways).
//!
//! A key counts as used when, in non-test code (comments and `#[cfg(test)] mod` blocks left out):
//! - it is the literal argument of `ui("...")` (the catalogue lookup, and any helper named `ui`);
//! - it is a key-shaped string literal (`namespace.name`, the namespace one of the catalogue's, such as
//!   `"label.airgapped"` in a table later passed to `ui`; file names such as `"plan.md"` and the plan's
//!   own words (`knowledge::PLAN_WORDS`, in replies/architecture.toml) excepted);
//! - it belongs to a family built at run time, `ui(&format!("prefix{...}"))`, whose prefix it has.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pavebot::engine::catalog::USED_KEYS;

/// The source with comments blanked out, and every string literal's contents.
fn lex(src: &str) -> (String, Vec<String>) {
    let b = src.as_bytes();
    let (mut code, mut lits) = (String::with_capacity(src.len()), Vec::new());
    let mut i = 0;
    while i < b.len() {
        let rest = &src[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(rest.len(), |e| e + 2);
            i += end;
            code.push(' ');
        } else if let Some(hashes) = raw_string_start(rest) {
            let open = 1 + hashes.len() + 1 + usize::from(rest.starts_with('b'));
            let close = format!("\"{hashes}");
            let body_end = rest[open..].find(&close).map_or(rest.len(), |e| open + e);
            lits.push(rest[open..body_end].to_string());
            let end = (body_end + close.len()).min(rest.len());
            code.push_str(&rest[..end]);
            i += end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let j = j.min(b.len() - 1);
            lits.push(src[i + 1..j].to_string());
            code.push_str(&src[i..=j]);
            i = j + 1;
        } else if b[i] == b'\'' {
            // A char literal ('"', '\'', '\u{..}') or a lifetime ('a).
            let len = if rest[1..].starts_with('\\') {
                rest[2..].find('\'').map_or(1, |e| e + 3)
            } else {
                let c = rest[1..].chars().next().map_or(0, char::len_utf8);
                if rest[1 + c..].starts_with('\'') {
                    c + 2
                } else {
                    1
                }
            };
            code.push_str(&rest[..len]);
            i += len;
        } else {
            let c = rest.chars().next().expect("not at the end");
            code.push(c);
            i += c.len_utf8();
        }
    }
    (code, lits)
}

/// `r"`, `r#"`, `br##"` ...: the hashes of a raw string starting here.
fn raw_string_start(s: &str) -> Option<&str> {
    let s = s.strip_prefix('b').unwrap_or(s).strip_prefix('r')?;
    let hashes = &s[..s.len() - s.trim_start_matches('#').len()];
    s[hashes.len()..].starts_with('"').then_some(hashes)
}

/// The source without its `#[cfg(test)] mod ...` blocks (by convention, at the end of a file).
fn without_tests(src: &str) -> &str {
    let re = regex::Regex::new(r"(?m)^\s*#\[cfg\(test\)\]\s*\n\s*(pub\s+)?mod\s").unwrap();
    re.find(src).map_or(src, |m| &src[..m.start()])
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// What a scan of some sources found.
#[derive(Default, Debug)]
struct Uses {
    /// Literal keys, with where each was seen.
    keys: BTreeSet<(String, String)>,
    /// Run-time families: `ui(&format!("prefix{...}"))` prefixes, with where.
    families: BTreeSet<(String, String)>,
}

fn scan(uses: &mut Uses, file: &str, src: &str, namespaces: &BTreeSet<String>) {
    let (code, lits) = lex(without_tests(src));
    let call = regex::Regex::new(r#"\bui\(\s*"([^"\\]*)""#).unwrap();
    let family = regex::Regex::new(r#"\bui\(\s*&format!\(\s*"([^"{\\]*)\{"#).unwrap();
    let shaped = regex::Regex::new(r"^([a-z][a-z0-9_]*)(\.[a-z0-9_]+)+$").unwrap();
    for c in call.captures_iter(&code) {
        uses.keys.insert((c[1].to_string(), file.to_string()));
    }
    for c in family.captures_iter(&code) {
        uses.families.insert((c[1].to_string(), file.to_string()));
    }
    // File names look like keys (`plan.md`): a last segment that is a file extension is not a key.
    let file_name = regex::Regex::new(r"\.(md|toml|json|jsonl|ya?ml|txt|rs)$").unwrap();
    for l in lits {
        if let Some(c) = shaped.captures(&l) {
            // The plan's own words (`[words]` in replies/architecture.toml) are looked up there, not in
            // ui.toml, and are checked at load against PLAN_WORDS.
            let plan_word = pavebot::engine::knowledge::PLAN_WORDS.contains(&l.as_str());
            if namespaces.contains(&c[1]) && !file_name.is_match(&l) && !plan_word {
                uses.keys.insert((l.clone(), file.to_string()));
            }
        }
    }
}

fn namespaces() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ui: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("replies/ui.toml")).unwrap()).unwrap();
    ui.keys()
        .map(String::as_str)
        .chain(USED_KEYS.iter().copied())
        .filter_map(|k| k.split('.').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_code_uses_exactly_the_listed_reply_keys() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("crates"), &mut files);
    let namespaces = namespaces();
    let mut uses = Uses::default();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap().display().to_string();
        if rel.ends_with("engine/src/catalog.rs") {
            continue; // the list itself
        }
        scan(
            &mut uses,
            &rel,
            &std::fs::read_to_string(f).unwrap(),
            &namespaces,
        );
    }
    assert!(
        files.len() > 10 && uses.keys.len() > 50,
        "the scan found too little: {uses:?}"
    );

    let listed: BTreeSet<&str> = USED_KEYS.iter().copied().collect();
    let not_listed: Vec<String> = uses
        .keys
        .iter()
        .filter(|(k, _)| !listed.contains(k.as_str()))
        .map(|(k, f)| format!("{k} ({f})"))
        .collect();
    assert!(
        not_listed.is_empty(),
        "reply keys used in code but missing from catalog::USED_KEYS (add them there and to \
         replies/ui.toml): {not_listed:?}"
    );
    let empty_families: Vec<String> = uses
        .families
        .iter()
        .filter(|(p, _)| !USED_KEYS.iter().any(|k| k.starts_with(p.as_str())))
        .map(|(p, f)| format!("{p}* ({f})"))
        .collect();
    assert!(
        empty_families.is_empty(),
        "run-time key families with no key in catalog::USED_KEYS: {empty_families:?}"
    );
    let found: BTreeSet<&str> = uses.keys.iter().map(|(k, _)| k.as_str()).collect();
    let unused: Vec<&str> = USED_KEYS
        .iter()
        .copied()
        .filter(|k| !found.contains(k))
        .filter(|k| !uses.families.iter().any(|(p, _)| k.starts_with(p.as_str())))
        .collect();
    assert!(
        unused.is_empty(),
        "catalog::USED_KEYS lists keys no code uses (remove them there and from replies/ui.toml): \
         {unused:?}"
    );
}

#[test]
fn the_scanner_sees_calls_literals_and_families_but_not_comments_or_tests() {
    let src = r##"
        // k.ui("in.comment") is not a use
        /* nor k.ui("in.block") */
        fn f(k: &K) -> char {
            let _ = k.ui("gate.confirmed");
            let _ = self.ui(
                "reset.done",
            );
            let _ = k.ui(&format!("slot.{}", s.id()));
            let table = [("x", "label.airgapped"), ("y", "not.a_namespace"), ("z", "plan.md")];
            let _ = r#"raw "quoted" status.none"#;
            let _ = "say \"hi\" k.ui(\"escaped.key\")";
            let _ = '"'; let _ = k.ui("why.none");
            fn g<'a>(x: &'a str) -> &'a str { x }
            '\''
        }
        #[cfg(test)]
        mod tests {
            fn t(k: &K) { k.ui("test.only"); }
        }
    "##;
    let ns: BTreeSet<String> = [
        "gate", "plan", "reset", "slot", "label", "status", "why", "test",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    let mut uses = Uses::default();
    scan(&mut uses, "sample.rs", src, &ns);
    let keys: Vec<&str> = uses.keys.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "gate.confirmed",
            "label.airgapped",
            "reset.done",
            "why.none"
        ]
    );
    let families: Vec<&str> = uses.families.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(families, ["slot."]);
}
