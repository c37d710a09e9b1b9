//! The module graph: data flows one way (CLI -> config -> workload -> runner -> db/measure ->
//! results -> analysis -> report), so a module may use only modules listed before it in
//! `LAYERS`. Read from the sources (`use crate::...` and `crate::...` paths), tests included.
//! The workspace's other crates (the lab, `lab/`; the key names, `keys/`) use nothing of
//! geobench.
//! `model`, the types every layer shares, sits at the bottom and uses no other module. A
//! folder whose halves sit in different layers lists its half as `folder::file` (the sweep's
//! directory on disk is read by the analysis; its execution runs the runner).

use std::collections::BTreeSet;
use std::path::Path;

/// Each module with the layer it sits in; a module may use modules of its own or an earlier
/// layer only. Leaves first. `lab` and `netns` are the lab crate (`geobench_lab`, re-exported by
/// lib.rs): a leaf, since it uses nothing of geobench.
const LAYERS: &[&[&str]] = &[
    &["model"],
    &["generator", "lab", "netns", "units"],
    &["config"],
    &["workload"],
    &["db"],
    &["measure"],
    &["check"],
    &["results", "telemetry"],
    &["sweep::dir"],
    &["runner"],
    &["sweep"],
    &["analysis"],
    &["compare"],
    &["history"],
    &["report"],
    &["cli"],
    &["commands"],
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

/// Every top-level module `text` refers to with a `crate::` path (`geobench_lab::` is `lab`).
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if text.contains("geobench_lab::") {
        out.insert("lab".to_owned());
    }
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

/// `main.rs` parses and dispatches: it names no module of the library but `cli` and
/// `commands`; and nothing else ends the process (but the Ctrl-C handler): every exit code
/// comes from `commands::AppError`.
#[test]
fn main_only_parses_and_dispatches() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let main = std::fs::read_to_string(src.join("main.rs")).unwrap();
    let mut named = BTreeSet::new();
    for (i, _) in main.match_indices("geobench::") {
        let rest = &main[i + "geobench::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        named.insert(name);
    }
    let allowed: BTreeSet<String> = ["cli", "commands"].iter().map(|s| s.to_string()).collect();
    assert!(named.is_subset(&allowed), "main.rs uses {named:?}");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let exits: Vec<String> = files
        .iter()
        .filter(|f| !f.ends_with("main.rs") && !f.ends_with("runner/signal.rs"))
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains(concat!("process::", "exit("))
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(exits.is_empty(), "only main.rs exits: {exits:?}");
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

/// The lab crate and the key names crate are below geobench: geobench depends on them, never
/// the other way (cargo would refuse the cycle of a dependency; this also refuses a path).
#[test]
fn the_other_crates_use_nothing_of_geobench() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut bad = Vec::new();
    for krate in ["lab", "keys"] {
        let manifest = std::fs::read_to_string(root.join(krate).join("Cargo.toml")).unwrap();
        if manifest
            .lines()
            .any(|l| l.trim_start().starts_with("geobench ") || l.starts_with("geobench="))
        {
            bad.push(format!("{krate}/Cargo.toml depends on geobench"));
        }
        let mut files = Vec::new();
        rust_files(&root.join(krate).join("src"), &mut files);
        assert!(!files.is_empty(), "no sources under {krate}/src");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            if names_geobench(&text) {
                bad.push(format!("{} uses geobench", f.display()));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(names_geobench("use geobench::config::topology::Topology;"));
    assert!(names_geobench("let t = geobench::units::human_us(1);"));
    assert!(!names_geobench(
        "use geobench_keys::KeyFormat; // the geobench binary"
    ));
}

/// Whether `text` has a `geobench::` path (not `geobench_lab::` or `geobench_keys::`).
fn names_geobench(text: &str) -> bool {
    text.match_indices("geobench::").any(|(i, _)| {
        i == 0 || {
            let before = text.as_bytes()[i - 1];
            !(before.is_ascii_alphanumeric() || before == b'_')
        }
    })
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
