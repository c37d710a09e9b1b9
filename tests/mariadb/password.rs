//! The password, given every way geobench takes one, never reaches an output or a file.

use super::*;

/// Every file under `dir`, as text (lossy), with its path.
fn all_files(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            out.push((p.display().to_string(), text));
        }
    }
}

/// The password, given each way geobench takes one (`mysql.password`, the environment, a
/// password file, a DSN), each a unique marker: in runs that succeed (load, run with status
/// lines, a sweep and its report in every format) and runs that fail (wrong password,
/// closed port), the marker appears in no output, results file, sweep file or report.
// Long: every way of giving a password, through every command, against one started server.
#[test]
fn password_never_reaches_output_or_results() {
    let Some(db) = MariaDb::start() else { return };
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let closed = support::free_port();
    // How each source gives `pw`, for a server on `port`: extra arguments and environment.
    type Source = fn(&str, u16, &std::path::Path) -> (Vec<String>, Vec<(String, String)>);
    let sources: [(&str, Source); 4] = [
        ("prop", |pw, port, _| {
            (
                strings(&[
                    "-p",
                    &format!("mysql.port={port}"),
                    "-p",
                    &format!("mysql.password={pw}"),
                ]),
                vec![],
            )
        }),
        ("env", |pw, port, _| {
            (
                strings(&["-p", &format!("mysql.port={port}")]),
                vec![("GEOBENCH_MYSQL_PASSWORD".to_owned(), pw.to_owned())],
            )
        }),
        ("file", |pw, port, dir| {
            let f = dir.join(format!("pw-{port}"));
            std::fs::write(&f, format!("{pw}\n")).unwrap();
            (
                strings(&[
                    "-p",
                    &format!("mysql.port={port}"),
                    "-p",
                    &format!("mysql.password.file={}", f.display()),
                ]),
                vec![],
            )
        }),
        ("dsn", |pw, port, _| {
            (
                strings(&[
                    "--dsn",
                    &format!("mysql://bench:{pw}@127.0.0.1:{port}/ycsb"),
                ]),
                vec![],
            )
        }),
    ];
    let run = |args: Vec<String>, env: &[(String, String)]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_geobench"));
        c.args(&args).current_dir(env!("CARGO_MANIFEST_DIR"));
        c.env_remove("GEOBENCH_MYSQL_PASSWORD");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    for (name, source) in sources {
        let marker = format!("MARKER-{name}-7f3a9c");
        let wrong = format!("WRONG-{name}-51be2d");
        db.sql(&format!(
            "ALTER USER 'bench'@'127.0.0.1' IDENTIFIED BY '{marker}'"
        ));
        let out = w.join(name);
        std::fs::create_dir_all(&out).unwrap();
        let base = |cmd: &[&str]| {
            let mut a = strings(cmd);
            a.extend(strings(&[
                "--db",
                "mysql",
                "-p",
                "mysql.user=bench",
                "-p",
                "mysql.db=ycsb",
            ]));
            a
        };
        let o = |f: &str| out.join(f).display().to_string();
        // (what, arguments, password, port, must succeed)
        let runs: Vec<(&str, Vec<String>, &str, u16, bool)> = vec![
            (
                "load",
                base(&[
                    "load",
                    "-P",
                    "workloads/workloada",
                    "-p",
                    "recordcount=200",
                    "--drop",
                    "-s",
                    "--format",
                    "ycsb,table,json",
                    "-o",
                    &o("load.json"),
                ]),
                &marker,
                db.port,
                true,
            ),
            (
                "run",
                base(&[
                    "run",
                    "-P",
                    "workloads/workloada",
                    "-p",
                    "recordcount=200",
                    "-d",
                    "1s",
                    "-s",
                    "--status-interval",
                    "0.3s",
                    "--format",
                    "ycsb,table,json",
                    "-o",
                    &o("run.json"),
                ]),
                &marker,
                db.port,
                true,
            ),
            (
                "sweep",
                base(&[
                    "sweep",
                    "-P",
                    "workloads/workloada",
                    "-p",
                    "recordcount=200",
                    "-c",
                    "1,2",
                    "--drop",
                    "--deployment",
                    &format!("db=127.0.0.1:{}", db.port),
                    "-d",
                    "0.4s",
                    "-s",
                    "--status-interval",
                    "0.2s",
                    "-o",
                    &o("sweep"),
                ]),
                &marker,
                db.port,
                true,
            ),
            (
                "wrong password",
                base(&[
                    "run",
                    "-P",
                    "workloads/workloada",
                    "-p",
                    "recordcount=200",
                    "-d",
                    "1s",
                    "-o",
                    &o("wrong.json"),
                ]),
                &wrong,
                db.port,
                false,
            ),
            (
                "closed port",
                base(&[
                    "run",
                    "-P",
                    "workloads/workloada",
                    "-p",
                    "recordcount=200",
                    "-d",
                    "1s",
                    "-o",
                    &o("closed.json"),
                ]),
                &marker,
                closed,
                false,
            ),
        ];
        let mut texts: Vec<(String, String)> = Vec::new();
        for (what, mut args, pw, port, ok) in runs {
            let (extra, env) = source(pw, port, w);
            args.extend(extra);
            let r = run(args, &env);
            let (stdout, stderr) = (
                String::from_utf8_lossy(&r.stdout).into_owned(),
                String::from_utf8_lossy(&r.stderr).into_owned(),
            );
            assert_eq!(r.status.success(), ok, "{name} {what}: {stderr}");
            if !ok {
                assert_eq!(r.status.code(), Some(2), "{name} {what}: {stderr}");
            }
            assert!(!stderr.contains("panicked"), "{name} {what}: {stderr}");
            texts.push((format!("{name} {what} stdout"), stdout));
            texts.push((format!("{name} {what} stderr"), stderr));
        }
        // The sweep's report again, in every format, from its stored steps.
        let r = run(
            strings(&["report", &o("sweep"), "--format", "text,md,html,json,csv"]),
            &[],
        );
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        texts.push((
            format!("{name} report stdout"),
            String::from_utf8_lossy(&r.stdout).into_owned(),
        ));
        all_files(&out, &mut texts);
        assert!(
            texts.iter().any(|(p, _)| p.ends_with("report.html")),
            "{name}: no report written"
        );
        for (what, text) in &texts {
            for m in [&marker, &wrong] {
                assert!(
                    !text.contains(m.as_str()),
                    "{name}: the password leaked into {what}:\n{text}"
                );
            }
        }
    }
    db.sql(&format!(
        "ALTER USER 'bench'@'127.0.0.1' IDENTIFIED BY '{}'",
        MariaDb::PASSWORD
    ));
}
