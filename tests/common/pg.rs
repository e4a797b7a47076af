//! A real PostgreSQL for the tests. With `DATABASE_URL` set, its server is used; otherwise
//! one throwaway cluster per test binary is started from the machine's PostgreSQL binaries
//! (as the `postgres` user when the tests run as root, which PostgreSQL refuses) and a
//! watchdog stops and removes it once the test process is gone. Each test gets a database
//! of its own. The cluster also speaks TLS, with a certificate from a CA of its own
//! ([`ca_file`]), for the tests of pusat's encrypted connection.
#![allow(dead_code)] // each test binary and the ingest benchmark use their own part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn bindir() -> PathBuf {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return dir;
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions
        .pop()
        .filter(|d| d.join("initdb").exists())
        .expect("PostgreSQL server binaries (initdb) not found: run deploy/setup.sh test")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a PostgreSQL program, as `postgres` when we are root.
fn pg(root: bool, program: &Path, args: &[&str]) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program).args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    }
}

fn give_to_postgres(path: &Path) {
    let ok = Command::new("chown")
        .args(["postgres:postgres"])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cannot give {} to the postgres user", path.display());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

fn start_cluster() -> String {
    let bin = bindir();
    let root = is_root();
    let dir = std::env::temp_dir().join(format!(
        "loket-pg-{}-{}",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    if root {
        give_to_postgres(&dir);
    }
    let data = dir.join("data");
    let d = data.to_str().unwrap();
    let out = pg(
        root,
        &bin.join("initdb"),
        &[
            "-D",
            d,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    certificates(&dir);
    for file in ["cert.pem", "key.pem"] {
        let path = dir.join(file);
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
        std::fs::set_permissions(&path, perms).unwrap();
        if root {
            give_to_postgres(&path);
        }
    }
    let _ = CA_FILE.set(dir.join("ca.pem"));
    let port = free_port();
    let opts = format!(
        "-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c ssl=on -c ssl_cert_file={d}/cert.pem -c ssl_key_file={d}/key.pem",
        d = dir.display()
    );
    let log = dir.join("log");
    let out = pg(
        root,
        &bin.join("pg_ctl"),
        &[
            "-D",
            d,
            "-l",
            log.to_str().unwrap(),
            "-o",
            &opts,
            "-w",
            "start",
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "pg_ctl start failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The watchdog: once this test process is gone, stop the cluster and remove it. It must
    // outlive this process, so it is never waited for.
    let script = format!(
        "while [ -d /proc/{pid} ]; do sleep 1; done; {pg_ctl} -D {d} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        dir = dir.display(),
    );
    #[allow(clippy::zombie_processes)]
    pg(root, Path::new("/bin/sh"), &["-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

static CA_FILE: OnceLock<PathBuf> = OnceLock::new();

/// The CA that signed the throwaway cluster's certificate; `None` with an outside
/// `DATABASE_URL`.
pub fn ca_file() -> Option<PathBuf> {
    admin_url();
    CA_FILE.get().cloned()
}

/// A CA of the agency's own and a certificate it issued for 127.0.0.1 and localhost, in
/// `dir`: ca.pem, cert.pem, key.pem.
pub fn certificates(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

fn admin_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => start_cluster(),
    })
}

/// A new, empty database; its URL.
pub async fn database() -> String {
    let admin = admin_url();
    let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
        .await
        .expect("cannot connect to the test PostgreSQL");
    tokio::spawn(conn);
    let name = format!("loket_{}", uuid::Uuid::now_v7().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}
