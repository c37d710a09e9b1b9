//! TLS against a server started with a test CA and certificate.

use super::*;

/// A CA and a server certificate (for 127.0.0.1) made with the openssl CLI in `dir`.
fn make_certs(dir: &std::path::Path) {
    let openssl = |args: &[&str]| {
        let o = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=geobench-test-ca",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    let _ = std::process::Command::new("chown")
        .args(["-R", "mysql:mysql"])
        .arg(dir)
        .status();
}

// Long: one server started with test certificates; each TLS mode is checked against it.
#[test]
fn tls_against_a_server_with_a_test_certificate() {
    let certs = tempfile::Builder::new()
        .prefix("geobench-certs-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(
        certs.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    make_certs(certs.path());
    let c = certs.path().display();
    let Some(db) = MariaDb::start_with(&format!(
        "ssl_cert={c}/server.pem\nssl_key={c}/server.key\nssl_ca={c}/ca.pem\nrequire_secure_transport=ON"
    )) else {
        return;
    };
    let ca = format!("mysql.tls.ca={c}/ca.pem");
    for mode in ["verify-ca", "verify-identity", "required"] {
        let o = geobench(&with(
            &db,
            &[
                "load",
                "-P",
                "workloads/workloada",
                "-p",
                "recordcount=50",
                "-p",
                &format!("mysql.tls={mode}"),
                "-p",
                &ca,
                "-q",
                "--format",
                "ycsb",
                "-p",
                "load.mode=ignore",
            ],
        ));
        assert!(
            o.status.success(),
            "tls={mode}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // The server refuses plain connections; a wrong CA is refused by the client.
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=50",
            "-q",
            "--format",
            "ycsb",
        ],
    ));
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let other = tempfile::tempdir().unwrap();
    make_certs(other.path());
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=50",
            "-p",
            "mysql.tls=verify-ca",
            "-p",
            &format!("mysql.tls.ca={}/ca.pem", other.path().display()),
            "-q",
            "--format",
            "ycsb",
        ],
    ));
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("certificate verify failed")
            && err.contains(&format!("127.0.0.1:{}", db.port)),
        "a wrong CA says the certificate was refused, and where: {err}"
    );
    // The certificate is for 127.0.0.1, not for `localhost` (which resolves to it): with the
    // right CA, verify-ca accepts that name and verify-identity refuses it.
    let by_name = |mode: &str| {
        let mut a = strings(&[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "recordcount=50",
            "-p",
            "load.mode=ignore",
            "-p",
            &format!("mysql.tls={mode}"),
            "-p",
            &ca,
            "-q",
            "--format",
            "ycsb",
        ]);
        a.extend(db.props());
        a.extend(strings(&["-p", "mysql.host=localhost"]));
        geobench(&a)
    };
    let o = by_name("verify-ca");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = by_name("verify-identity");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("localhost") && err.contains("hostname mismatch"),
        "a name the certificate does not hold is named: {err}"
    );
    // A CA file that does not exist is named.
    let o = geobench(&with(
        &db,
        &[
            "load",
            "-P",
            "workloads/workloada",
            "-p",
            "mysql.tls=verify-ca",
            "-p",
            "mysql.tls.ca=/nonexistent/ca.pem",
            "-q",
        ],
    ));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("mysql.tls.ca=\"/nonexistent/ca.pem\"") && err.contains("no such file"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(db.sql("SELECT COUNT(*) FROM ycsb.usertable"), "50");
}
