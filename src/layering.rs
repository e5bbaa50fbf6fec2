//! The shape of the crate, checked: modules import along the arrows (main → cli → app →
//! pipeline → verify/trust/store → leaves), no module imports `cli`, and no two modules import
//! each other, directly or around a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// A file's code without its unit tests (`#[cfg(test)]` and what follows it).
fn code_of(p: &Path) -> String {
    let s = std::fs::read_to_string(p).unwrap_or_default();
    match s.find("#[cfg(test)]") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The top-level modules each top-level module uses (`crate::NAME`), tests left out.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let top = |p: &Path| -> String {
        let rel = p.strip_prefix(&src).unwrap_or(p);
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        first.trim_end_matches(".rs").to_string()
    };
    let modules: BTreeSet<String> = all.iter().map(|p| top(p)).collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &all {
        let from = top(p);
        if from == "lib" || from == "main" || from == "layering" {
            continue;
        }
        let code = code_of(p);
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != from && modules.contains(&name) {
                g.entry(from.clone()).or_default().insert(name);
            }
        }
    }
    g
}

#[test]
fn no_module_but_main_imports_cli() {
    let g = graph();
    let users: Vec<&String> = g
        .iter()
        .filter(|(from, to)| *from != "cli" && to.contains("cli"))
        .map(|(from, _)| from)
        .collect();
    assert!(users.is_empty(), "these modules import cli: {users:?}");
}

#[test]
fn modules_import_each_other_in_no_cycle() {
    let g = graph();
    // The graph is read (a test over nothing could not fail).
    assert!(g.get("app").is_some_and(|to| to.contains("store")), "{g:?}");
    // Depth-first search for a back edge, naming the cycle it closes.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut cycle = path[i..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(c) = visit(n, &g, &mut Vec::new(), &mut done) {
            panic!("modules import each other: {}", c.join(" → "));
        }
    }
}

#[test]
fn the_pipeline_never_reaches_up_to_the_application_or_its_callers() {
    let g = graph();
    for low in [
        "verify", "policy", "trust", "bundle", "oci", "archive", "import", "store", "crypto",
    ] {
        for high in ["app", "cli", "api", "daemon"] {
            assert!(
                !g.get(low).is_some_and(|to| to.contains(high)),
                "{low} imports {high}"
            );
        }
    }
}
