//! The Kubernetes manifests under deploy/k8s: every document valid against the Kubernetes
//! schemas (kubernetes-validate, strict), every overlay rendered by kustomize, the rendered
//! fleet consistent as one benchmark, and every geobench command line in it parsed by this
//! build's binary. The checking is tests/k8s/check_manifests.py (the validator is Python);
//! these tests run it on the real manifests and on broken copies, which it must refuse.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the checker on `dir`; `None` (after saying why) when a tool it needs is missing and
/// this is not CI. In CI a missing tool fails the test: .ci/run installs them.
fn check(dir: &Path) -> Option<Output> {
    let out = Command::new("python3")
        .arg(root().join("tests/k8s/check_manifests.py"))
        .arg(dir)
        .arg("--geobench")
        .arg(env!("CARGO_BIN_EXE_geobench"))
        .output()
        .expect("python3 runs");
    if out.status.code() == Some(3) {
        let why = String::from_utf8_lossy(&out.stderr);
        support::skip(&format!("the manifest checker's tools are missing: {why}"));
        return None;
    }
    Some(out)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn manifests_validate_render_and_parse() {
    let Some(out) = check(&root().join("deploy/k8s")) else {
        return;
    };
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}{stdout}");
    // The example overlay renders two region Jobs, the load and the report.
    assert!(
        stdout.contains("4 geobench command lines parsed"),
        "{stdout}"
    );
}

/// Each broken copy must be refused with a message that names what is wrong.
#[test]
fn broken_manifests_are_refused() {
    let overlay = "overlays/example-two-region";
    let west = "overlays/example-two-region/region-us-west-2/kustomization.yaml";
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "base/job-load.yaml",
            "completionMode: Indexed",
            "completionMod: Indexed",
            "'completionMod' was unexpected",
        ),
        (
            west,
            "value: \"2\"",
            "value: \"3\"",
            "--shards 3, completions 2",
        ),
        (
            west,
            "value: us-west-2",
            "value: us-west-3",
            "is not a region of",
        ),
        (
            "base/region/job-region.yaml",
            "$(WARMUP)",
            "$(WARM_UP)",
            "$(WARM_UP) is not defined",
        ),
        (
            "base/region/job-region.yaml",
            "--skip-load",
            "--skip-lod",
            "unexpected argument '--skip-lod'",
        ),
        (
            "base/region/job-region.yaml",
            "suspend: true",
            "suspend: false",
            "must not start before the load",
        ),
        (
            &format!("{overlay}/kustomization.yaml"),
            "START_AT=2026-12-01T12:00:00Z",
            "START_AT=tomorrow",
            "--start-at 'tomorrow' is not RFC 3339",
        ),
        (
            &format!("{overlay}/kustomization.yaml"),
            "  - region-us-west-2\n",
            "",
            "region us-west-2 of the topology has 0 Jobs",
        ),
        (
            "base/job-report.yaml",
            "- /results/sweep",
            "- /results/elsewhere",
            "one directory for all",
        ),
        (
            "base/pod-defaults/job.yaml",
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
            "readOnlyRootFilesystem is not set",
        ),
        (
            "base/pvc.yaml",
            "ReadWriteMany",
            "ReadWriteOnce",
            "ReadWriteMany",
        ),
        (
            &format!("{overlay}/kustomization.yaml"),
            "- topology.toml",
            "- topology-a.toml",
            "generator file 'topology-a.toml' does not exist",
        ),
    ];
    for (file, from, to, expected) in cases {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&root().join("deploy/k8s"), tmp.path());
        let path = tmp.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} no longer has {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        let Some(out) = check(tmp.path()) else {
            return;
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{file}: {from:?} -> {to:?} passed:\n{stderr}"
        );
        assert!(
            stderr.contains(expected),
            "{file}: {from:?} -> {to:?}: no {expected:?} in:\n{stderr}"
        );
    }
}

/// The image's Dockerfile passes dockerfilelint (it cannot be built here: no Docker Hub).
#[test]
fn dockerfile_lints_clean() {
    let run = Command::new("dockerfilelint")
        .arg(root().join("Dockerfile"))
        .output();
    let out = match run {
        Ok(out) => out,
        Err(e) => {
            support::skip(&format!(
                "dockerfilelint (npm install -g dockerfilelint): {e}"
            ));
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("Issues: None found"), "{stdout}");
}
