//! The module graph: data flows one way (CLI -> config -> workload -> runner -> db/measure ->
//! results -> analysis -> report), so a module may use only modules listed before it in
//! `LAYERS`. Read from the sources (`use crate::...` and `crate::...` paths), tests included.
//! `model`, the types every layer shares, sits at the bottom and uses no other module. A
//! folder whose halves sit in different layers lists its half as `folder::file` (the sweep's
//! directory on disk is read by the analysis; its execution runs the runner).

use std::collections::BTreeSet;
use std::path::Path;

/// Each module with the layer it sits in; a module may use modules of its own or an earlier
/// layer only. Leaves first.
const LAYERS: &[&[&str]] = &[
    &["model"],
    &["generator", "netns", "units"],
    &["config"],
    &["workload"],
    &["db"],
    &["measure"],
    &["check"],
    &["results", "telemetry"],
    &["sweep::dir"],
    &["runner"],
    &["sweep"],
    &["lab"],
    &["analysis"],
    &["compare"],
    &["report"],
    &["cli"],
    &["app"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The halves of folders that sit in their own layer (`folder::file`).
fn split_modules() -> impl Iterator<Item = &'static str> {
    LAYERS
        .iter()
        .flat_map(|l| l.iter())
        .copied()
        .filter(|m| m.contains("::"))
}

/// The module a source file belongs to: its top-level module, or a half listed on its own.
fn module_of(path: &Path, src: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap();
    let parts: Vec<String> = rel
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .collect();
    if parts.len() > 1 {
        let half = format!("{}::{}", parts[0], parts[1]);
        if split_modules().any(|m| m == half) {
            return half;
        }
    }
    parts[0].clone()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every top-level module `text` refers to with a `crate::` path.
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        // `$crate::` in macros and `geobench::` in doc examples are not uses.
        if i > 0 && text.as_bytes()[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let mut names = path.split("::");
        let name = names.next().unwrap_or_default().to_owned();
        let half = format!("{name}::{}", names.next().unwrap_or_default());
        if split_modules().any(|m| m == half) {
            out.insert(half);
        } else if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

#[test]
fn modules_use_only_earlier_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for f in files {
        let m = module_of(&f, &src);
        if m == "lib" || m == "main" {
            continue;
        }
        let Some(mine) = layer(&m) else {
            violations.push(format!("{m} ({}) is in no layer", f.display()));
            continue;
        };
        let text = std::fs::read_to_string(&f).unwrap();
        for used in uses(&text) {
            if used == m {
                continue;
            }
            match layer(&used) {
                Some(l) if l <= mine => {}
                Some(_) => violations.push(format!(
                    "{} uses {used}, a later layer than {m}",
                    f.strip_prefix(&src).unwrap().display()
                )),
                None => violations.push(format!("{} uses unknown module {used}", f.display())),
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_checker_sees_a_violation() {
    assert_eq!(
        uses("use crate::report::markup::Table;\nlet x = crate::db::open(&c);"),
        ["db", "report"].iter().map(|s| s.to_string()).collect()
    );
    assert!(layer("report") > layer("config"));
    // A folder's half is its own module; the folder's other files are the folder.
    assert_eq!(
        uses("use crate::sweep::dir::Step;\nuse crate::sweep::{run, Plan};"),
        ["sweep", "sweep::dir"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let src = Path::new("/s");
    assert_eq!(module_of(Path::new("/s/sweep/dir.rs"), src), "sweep::dir");
    assert_eq!(module_of(Path::new("/s/sweep/run.rs"), src), "sweep");
    assert_eq!(module_of(Path::new("/s/db/mysql.rs"), src), "db");
}

/// What the sources under `paths` (folders or files of src/) use that `banned` refuses, as
/// `file uses module` lines; the MySQL driver counts as a module.
fn banned_uses(paths: &[&str], banned: impl Fn(&str) -> bool) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for p in paths.iter().map(|p| src.join(p)) {
        assert!(p.exists(), "{} is missing", p.display());
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else {
            files.push(p);
        }
    }
    let mut bad = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut used = uses(&text);
        if text.contains("mysql_async") {
            used.insert("mysql_async".into());
        }
        bad.extend(
            used.iter()
                .filter(|u| banned(u))
                .map(|u| format!("{} uses {u}", f.display())),
        );
    }
    bad
}

/// The shared types import nothing from the crate, not even the leaves: a module that needs
/// an error class or a server's description must not drag anything else along with it.
#[test]
fn the_model_uses_no_other_module() {
    let bad = banned_uses(&["model"], |m| m != "model");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Measurement, results, analysis, comparison and reports read the shared types from `model`
/// and a sweep from its directory: never a backend, the runner, a sweep's execution or the
/// driver.
#[test]
fn readers_of_results_depend_on_no_backend_runner_or_driver() {
    let readers = ["measure", "results", "analysis", "report", "compare.rs"];
    let bad = banned_uses(&readers, |m| {
        ["db", "runner", "sweep", "mysql_async"].contains(&m)
    });
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// A test that cannot run (a server or tool missing) goes through `support::skip`, which fails
/// in CI and is counted as skipped by `.ci/run`; a bare early return would count as passed.
#[test]
fn tests_skip_only_through_support() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files = Vec::new();
    rust_files(&tests, &mut files);
    // Split so that this file does not match itself.
    let needles = [concat!("in_ci", "()"), concat!("eprintln!(\"", "skipped")];
    let mut bad = Vec::new();
    for f in files.iter().filter(|f| !f.ends_with("support/mod.rs")) {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if needles.iter().any(|needle| line.contains(needle)) {
                bad.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "skip through support::skip instead:\n{}",
        bad.join("\n")
    );
}
