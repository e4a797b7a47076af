//! End to end: the real `loket` binary in a real terminal (tmux), from login through a
//! complete case, killed with SIGKILL mid-case and restarted with the case intact.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot set up must fail loudly

mod common;
#[path = "common/pg.rs"]
mod pg;
#[path = "common/sync.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use loket::domain::{ApplicationType, Zone};

const BIN: &str = env!("CARGO_BIN_EXE_loket");
const SEED: u64 = 7;

/// A private tmux server, killed when the test ends however it ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(name: &str) -> Tmux {
        let socket = format!("loket-e2e-{}-{name}", std::process::id());
        Tmux { socket }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux must be installed: deploy/test.sh installs it (apt-get install tmux)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts the tmux server ahead of time, so it does not inherit file descriptors the
    /// test opens later (a pseudo-terminal master must close when the test drops it).
    fn start_server(&self) {
        self.tmux(&["new-session", "-d", "-s", "idle", "sleep 3600"]);
    }

    fn start(&self, data: &Path) {
        self.start_with(data, &format!("demo --seed {SEED}"));
    }

    fn start_with(&self, data: &Path, command: &str) {
        self.run(&format!(
            "exec {BIN} --data-dir {} {command}",
            data.display()
        ));
    }

    /// Runs a shell command line in a 100×30 pane.
    fn run(&self, line: &str) {
        let size = ["-x", "100", "-y", "30"];
        self.tmux(&[&["new-session", "-d", "-s", "e2e"][..], &size, &[line]].concat());
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "e2e"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types text literally, as a keyboard-wedge scanner does.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "e2e", "-l", text]);
    }

    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn pid(&self) -> String {
        self.tmux(&["display-message", "-p", "-t", "e2e", "#{pane_pid}"])
            .trim()
            .to_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn export(data: &Path, day: &str) -> serde_json::Value {
    let out = Command::new(BIN)
        .args([
            "--data-dir",
            &data.display().to_string(),
            "cases",
            "export",
            "--json",
            "--day",
            day,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn wait_export(
    data: &Path,
    day: &str,
    what: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let cases = export(data, day);
        if what(&cases) {
            return cases;
        }
        assert!(
            Instant::now() < deadline,
            "export never showed the change: {cases:#}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the counter's database holds a draft containing `text`.
fn wait_draft(data: &Path, text: &str) {
    let db = rusqlite::Connection::open(data.join("loket.db")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found: bool = db
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM drafts WHERE instr(body, ?1) > 0)",
                [text],
                |r| r.get(0),
            )
            .unwrap();
        if found {
            return;
        }
        assert!(Instant::now() < deadline, "no draft holds {text:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn login(t: &Tmux) {
    login_with(t, "111111");
}

/// Signs petugas1 in with `pin` (the demo's is 111111; pusat refuses such a PIN).
fn login_with(t: &Tmux, pin: &str) {
    t.wait_for("Masuk ke Loket");
    t.type_text("petugas1");
    t.keys(&["Enter"]);
    t.type_text(pin);
    t.keys(&["Enter"]);
    t.wait_for("Antrean");
}

#[test]
fn a_case_survives_sigkill_and_completes_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let today = Zone::Wib.today(chrono::Utc::now());
    let day = today.to_string();
    let bookings = loket::demo::day_bookings(
        SEED,
        "JKS",
        today,
        loket::demo::TODAY_BOOKINGS,
        &common::fees(),
    );
    let booking = bookings
        .iter()
        .find(|b| common::clean_single_on(b, ApplicationType::New, today))
        .unwrap();
    let code = booking.code.to_string();

    let t = Tmux::new("sigkill");
    t.start(&data);
    login(&t);

    // A garbled scan is refused with its reason and changes nothing.
    t.type_text("ZZZZZ-ZZZZZ");
    t.keys(&["Enter"]);
    t.wait_for("rusak atau salah ketik");

    // The scanner types the code and Enter.
    t.type_text(&code);
    t.keys(&["Enter"]);
    t.wait_for(&format!("Booking {code}"));
    t.keys(&["Enter"]);
    t.wait_for("Data pemohon");
    t.keys(&["Enter", "Enter", "Enter", "Enter"]);
    t.type_text("111");
    t.keys(&["F8"]);
    t.wait_for("Langkah Verifikasi berkas selesai");
    t.keys(&["Right", "Enter"]);
    t.type_text("Jepang");
    t.keys(&["Enter"]);
    t.type_text("Guru");
    t.keys(&["Enter"]);
    wait_export(&data, &day, |c| c[0]["interview"]["occupation"] == "Guru");
    // Half a word typed, the field not yet left: kept as a draft with each keystroke.
    t.type_text("14 ha");
    wait_draft(&data, "14 ha");

    // Power cut: no chance to clean up.
    let pid = t.pid();
    let killed = Command::new("kill").args(["-9", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < deadline, "loket did not die");
        std::thread::sleep(Duration::from_millis(50));
    }

    let t = Tmux::new("restart");
    t.start(&data);
    login(&t);
    t.type_text(&code);
    t.keys(&["Enter"]);
    let screen = t.wait_for(&format!("Booking {code}"));
    assert!(screen.contains("Wawancara"), "{screen}");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Tujuan perjalanan");
    assert!(
        screen.contains("Jepang") && screen.contains("Guru"),
        "{screen}"
    );
    assert!(screen.contains("▶ Wawancara"), "{screen}");

    assert!(
        screen.contains("14 ha"),
        "the draft was not restored:\n{screen}"
    );
    t.keys(&["Enter", "Enter", "Enter"]);
    t.type_text("ri");
    t.keys(&["Enter"]);
    t.type_text("Budi 0812 555");
    t.keys(&["F8"]);
    t.wait_for("Langkah Wawancara selesai");
    t.keys(&["F8"]);
    t.wait_for("Langkah Foto selesai");
    t.keys(&["F8"]);
    t.wait_for("Y = ya");
    t.keys(&["y"]);
    t.wait_for("Keputusan: Dilanjutkan");

    let cases = wait_export(&data, &day, |c| c[0]["status"]["state"] == "continued");
    let case = &cases[0];
    assert_eq!(cases.as_array().unwrap().len(), 1);
    assert_eq!(case["interview"]["length_of_stay"], "14 hari");
    assert_eq!(case["interview"]["destination"], "Jepang");
    let kinds: Vec<&str> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"case.check_in"));
    assert_eq!(kinds.last(), Some(&"case.decide"));
    assert!(
        case["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["officer"] == "petugas1")
    );

    // The demo did not seed a second time on restart.
    let out = Command::new(BIN)
        .args([
            "--data-dir",
            &data.display().to_string(),
            "bookings",
            "list",
            "--json",
            "--day",
            &day,
        ])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        loket::demo::TODAY_BOOKINGS + 10
    );
    let ours = list
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["code"] == code.as_str())
        .unwrap();
    assert_eq!(ours["status"], "done");
}

#[test]
fn a_serial_scanner_feeds_the_real_terminal() {
    use serialport::{SerialPort, TTYPort};
    use std::io::Write;

    let t = Tmux::new("serial");
    t.start_server();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (mut master, slave) = TTYPort::pair().unwrap();
    let port = slave.name().unwrap();
    drop(slave);
    std::fs::write(
        data.join("config.toml"),
        format!("[scanner]\nport = \"{port}\"\n"),
    )
    .unwrap();
    let today = Zone::Wib.today(chrono::Utc::now());
    let bookings = loket::demo::day_bookings(
        SEED,
        "JKS",
        today,
        loket::demo::TODAY_BOOKINGS,
        &common::fees(),
    );
    let code = bookings[4].code.to_string();

    t.start(&data);
    login(&t);
    t.wait_for("Pemindai tersambung");
    master.write_all(format!("]Q1{code}\r").as_bytes()).unwrap();
    t.wait_for(&format!("Booking {code}"));
    // Unplugged: the status says so and the terminal goes on.
    drop(master);
    t.wait_for("Pemindai tidak tersambung");
    t.keys(&["Escape"]);
    t.wait_for("Antrean");
}

#[test]
fn an_enrolled_terminal_syncs_in_the_background_and_says_so() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (pusat, bookings) = rt.block_on(support::Pusat::start(10));
    let code = rt.block_on(async {
        let mut db = pusat.pool.get().await.unwrap();
        let officer = loket::server::admin::NewOfficer {
            office: support::OFFICE,
            username: "petugas1",
            nip: "199001012015011001",
            name: "Petugas Satu",
            role: "officer",
            pin: "482913",
        };
        loket::server::admin::officer_add(&mut db, &officer)
            .await
            .unwrap();
        pusat.enroll_code(3).await
    });
    let t = Tmux::new("sync");
    t.start_server();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let enrolled = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["enroll", "--server", &pusat.url, "--code", &code])
        .output()
        .unwrap();
    assert!(enrolled.status.success(), "{enrolled:?}");

    // The roster and the bookings came from pusat: no demo data here.
    t.start_with(&data, "run");
    login_with(&t, "482913");
    t.wait_for("Tersambung ke pusat");
    let events = || -> i64 {
        rt.block_on(async {
            let db = pusat.pool.get().await.unwrap();
            db.query_one("SELECT COUNT(*) FROM events", &[])
                .await
                .unwrap()
                .get(0)
        })
    };
    assert_eq!(events(), 0);
    // Opening a booking is an audited event; it reaches pusat at once, not a round later.
    t.type_text(&bookings[0].code.to_string());
    t.keys(&["Enter"]);
    t.wait_for(&bookings[0].applicants[0].name);
    let deadline = Instant::now() + Duration::from_secs(5);
    while events() == 0 {
        assert!(Instant::now() < deadline, "the view never reached pusat");
        std::thread::sleep(Duration::from_millis(100));
    }
    t.wait_for("0 peristiwa, 0 foto menunggu");

    // A check-in desk gives out a number; it shows here without a key (the long poll), and
    // F6 asks pusat, which gives it to this counter.
    let ticket = rt.block_on(async {
        let mut desk = support::Counter::enroll(&pusat, 9).await;
        desk.sync().await.unwrap();
        let actor = desk.actor();
        let (t, _) =
            loket::counter::issue_ticket(&mut desk.store, &actor, 9, &bookings[2]).unwrap();
        desk.sync().await.unwrap();
        t
    });
    t.keys(&["Escape"]);
    t.wait_for("Nomor antrean: 1 menunggu");
    t.keys(&["F6"]);
    t.wait_for(&format!("Dipanggil {} ke loket 3", ticket.label()));
    // pusat gave it to counter 3, and the counter's own record of the call, once pushed, is
    // taken as that same call: no conflict.
    let state = || -> (String, Option<i32>, i64, i64) {
        rt.block_on(async {
            let db = pusat.pool.get().await.unwrap();
            let r = db
                .query_one(
                    "SELECT state, counter FROM tickets WHERE id = $1",
                    &[&ticket.id],
                )
                .await
                .unwrap();
            let calls: i64 = db
                .query_one(
                    "SELECT COUNT(*) FROM events WHERE kind = 'ticket.call'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            let conflicts: i64 = db
                .query_one("SELECT COUNT(*) FROM ticket_conflicts", &[])
                .await
                .unwrap()
                .get(0);
            (r.get(0), r.get(1), calls, conflicts)
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while state().2 == 0 {
        assert!(
            Instant::now() < deadline,
            "the call never reached pusat's events"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(state(), ("called".to_owned(), Some(3), 1, 0));

    // The officer leaves the service: pusat takes them off the roster, and their open
    // session ends at once, with nothing pressed: the terminal's sync worker waits at pusat
    // for the office's next change (a long poll), and this is one.
    let removed = Instant::now();
    rt.block_on(async {
        let mut db = pusat.pool.get().await.unwrap();
        loket::server::admin::officer_remove(&mut db, "petugas1")
            .await
            .unwrap();
    });
    let screen = t.wait_for("dinonaktifkan oleh pusat");
    println!(
        "officer removed at pusat → session ended at the counter: {:?}",
        removed.elapsed()
    );
    // Without the long poll this waited for the next round (10 s).
    assert!(
        removed.elapsed() < Duration::from_secs(8),
        "{:?}",
        removed.elapsed()
    );
    assert!(screen.contains("Masuk ke Loket"), "{screen}");
    // Their PIN no longer opens the counter.
    t.type_text("petugas1");
    t.keys(&["Enter"]);
    t.type_text("482913");
    t.keys(&["Enter"]);
    t.wait_for("tidak dikenal");
    rt.block_on(pusat.stop());
}

/// As systemd runs it (`Type=notify`, `WatchdogSec=`): the terminal says it is ready once
/// its first frame is up, pings the watchdog from its event loop (so a hung loop stops the
/// pings, and systemd restarts it), and says it is stopping when it quits.
#[test]
fn under_systemd_the_terminal_is_ready_pings_its_watchdog_and_stops_cleanly() {
    use std::os::unix::net::UnixDatagram;
    let data = tempfile::tempdir().unwrap();
    let socket = data.path().join("notify.sock");
    let notify = UnixDatagram::bind(&socket).unwrap();
    let t = Tmux::new("watchdog");
    let cmd = format!(
        "export NOTIFY_SOCKET={} WATCHDOG_USEC=1000000 WATCHDOG_PID=$$; exec {BIN} --data-dir {} demo --seed {SEED}",
        socket.display(),
        data.path().join("kiosk").display()
    );
    t.run(&cmd);
    let next = |wait: u64| -> Option<String> {
        notify
            .set_read_timeout(Some(Duration::from_secs(wait)))
            .unwrap();
        let mut buf = [0u8; 512];
        let n = notify.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).trim().to_owned())
    };
    assert_eq!(next(30).as_deref(), Some("READY=1"));
    for _ in 0..3 {
        assert_eq!(next(5).as_deref(), Some("WATCHDOG=1"));
    }
    t.wait_for("Masuk");
    t.keys(&["F10"]);
    let mut said = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Some(message) = next(10).filter(|_| Instant::now() < deadline) {
        let last = message == "STOPPING=1";
        said.push(message);
        if last {
            break;
        }
    }
    assert_eq!(
        said.last().map(String::as_str),
        Some("STOPPING=1"),
        "{said:?}"
    );
}
