//! The serial scanner through a real pseudo-terminal pair: the reader opens the slave side
//! as it would /dev/ttyACM0, the test writes to the master side as a scanner does.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot set up must fail loudly

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use loket::devices::framing::{Refusal, Terminator};
use loket::devices::serial::{self, ScannerEvent, SerialConfig};
use serialport::{SerialPort, TTYPort};

/// A child process inherits every open file descriptor, a pseudo-terminal master included,
/// which would keep an "unplugged" scanner plugged: the test that spawns the binary and the
/// one that unplugs take turns.
static SPAWN_OR_UNPLUG: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Rig {
    master: TTYPort,
    events: mpsc::Receiver<ScannerEvent>,
    link: std::path::PathBuf,
    _dir: tempfile::TempDir,
    /// The slave side as the pair opened it, kept open to look at its input queue (it
    /// never reads: the reader is the only one that does).
    probe: Option<TTYPort>,
}

/// A pty pair behind a stable path (as udev's /dev/serial/by-id links are), and a reader.
fn rig(config: SerialConfig) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("scanner");
    let (master, slave) = TTYPort::pair().unwrap();
    std::os::unix::fs::symlink(slave.name().unwrap(), &link).unwrap();
    let (tx, events) = mpsc::channel();
    serial::spawn(
        SerialConfig {
            port: link.display().to_string(),
            ..config
        },
        move |e| tx.send(e).is_ok(),
    );
    let rig = Rig {
        master,
        events,
        link,
        _dir: dir,
        probe: Some(slave),
    };
    assert!(matches!(rig.next(), ScannerEvent::Connected(_)));
    rig
}

impl Rig {
    fn next(&self) -> ScannerEvent {
        self.events
            .recv_timeout(Duration::from_secs(10))
            .expect("the reader reported nothing within 10 s")
    }
    fn write(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
        self.master.flush().unwrap();
    }
    /// Waits until the reader has taken what was written: the bytes reached the slave's
    /// input queue and left it. A queue seen empty for half a second from the start counts
    /// as taken too (the reader was quicker than the first look); a queue that holds
    /// bytes is waited for however long the reader takes, so a busy machine changes
    /// nothing.
    fn wait_taken(&self) {
        let probe = self.probe.as_ref().expect("the rig keeps its probe");
        let start = std::time::Instant::now();
        let mut seen = false;
        loop {
            match probe.bytes_to_read().unwrap() {
                0 if seen || start.elapsed() > Duration::from_millis(500) => return,
                0 => {}
                _ => seen = true,
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the reader did not take the bytes within 10 s"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    fn scan(&self) -> String {
        match self.next() {
            ScannerEvent::Scan(s) => s,
            other => panic!("expected a scan, got {other:?}"),
        }
    }
}

fn with_terminator(terminator: Terminator) -> SerialConfig {
    SerialConfig {
        terminator,
        dedup_ms: 0,
        ..SerialConfig::default()
    }
}

#[test]
fn each_terminator() {
    for (t, end) in [
        (Terminator::Cr, "\r"),
        (Terminator::Lf, "\n"),
        (Terminator::Crlf, "\r\n"),
        (Terminator::Tab, "\t"),
    ] {
        let mut r = rig(with_terminator(t));
        r.write(format!("AB12C-DE34F{end}]Q1XYZ{end}").as_bytes());
        assert_eq!(r.scan(), "AB12C-DE34F", "{t:?}");
        assert_eq!(r.scan(), "XYZ", "{t:?}");
    }
}

#[test]
fn split_writes_and_a_slow_writer() {
    let mut r = rig(with_terminator(Terminator::Cr));
    r.write(b"AB12C");
    std::thread::sleep(Duration::from_millis(120));
    r.write(b"-DE34F\r");
    assert_eq!(r.scan(), "AB12C-DE34F");
    for b in b"SLOW1\r" {
        r.write(&[*b]);
        std::thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(r.scan(), "SLOW1");
}

#[test]
fn silence_framing_for_scanners_without_terminator() {
    let mut r = rig(SerialConfig {
        silence_ms: 150,
        dedup_ms: 0,
        ..SerialConfig::default()
    });
    // One write: what ends the scan is the silence after it, however slow the machine (the
    // framer's own tests feed it bytes at chosen instants: devices/framing.rs).
    r.write(b"QUIET");
    assert_eq!(r.scan(), "QUIET");
    r.write(b"LOUD");
    assert_eq!(
        r.scan(),
        "LOUD",
        "a second scan after the silence is its own"
    );
}

#[test]
fn the_same_code_twice_counts_once() {
    let mut r = rig(SerialConfig {
        dedup_ms: 2000,
        ..SerialConfig::default()
    });
    r.write(b"AAA\rAAA\rBBB\r");
    assert_eq!(r.scan(), "AAA");
    assert_eq!(r.scan(), "BBB");
}

#[test]
fn garbage_is_refused_with_a_reason() {
    let mut r = rig(with_terminator(Terminator::Cr));
    r.write(b"\xff\xfe\x01\x02\r");
    assert_eq!(r.next(), ScannerEvent::Refused(Refusal::Binary));
    r.write(&[b'A'; 3000]);
    r.write(b"\rOK\r");
    assert_eq!(r.next(), ScannerEvent::Refused(Refusal::TooLong(3000)));
    assert_eq!(r.scan(), "OK");
}

#[test]
fn unplug_and_replug() {
    let _turn = SPAWN_OR_UNPLUG.lock().unwrap_or_else(|e| e.into_inner());
    let mut r = rig(with_terminator(Terminator::Cr));
    r.write(b"HALF-A-CO");
    // Unplugged only once the reader holds the half scan (an unplug flushes what the
    // kernel still holds, and then there is nothing to refuse).
    r.wait_taken();
    let Rig {
        master,
        events,
        link,
        _dir,
        probe,
    } = r;
    drop(master);
    drop(probe);
    let r2 = Rig {
        master: TTYPort::pair().unwrap().0,
        events,
        link: link.clone(),
        _dir,
        probe: None,
    };
    assert_eq!(r2.next(), ScannerEvent::Refused(Refusal::Cut));
    assert!(matches!(r2.next(), ScannerEvent::Disconnected(_)));
    // Plugged back: a new device node behind the same stable path.
    let (master, slave) = TTYPort::pair().unwrap();
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(slave.name().unwrap(), &link).unwrap();
    drop(slave);
    let mut r3 = Rig {
        master,
        events: r2.events,
        link,
        _dir: r2._dir,
        probe: None,
    };
    loop {
        match r3.next() {
            ScannerEvent::Connected(_) => break,
            ScannerEvent::Disconnected(_) => continue,
            other => panic!("{other:?}"),
        }
    }
    r3.write(b"BACK1\r");
    assert_eq!(r3.scan(), "BACK1");
}

#[test]
fn scan_command_prints_codes_and_refusals() {
    let _turn = SPAWN_OR_UNPLUG.lock().unwrap_or_else(|e| e.into_inner());
    let (mut master, slave) = TTYPort::pair().unwrap();
    let path = slave.name().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
        .args([
            "--data-dir",
            &dir.path().display().to_string(),
            "scan",
            "--serial",
            &path,
            "--count",
            "2",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Bytes written before the port is open are lost, as with a real scanner: wait until
    // the command says it is connected.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut first).unwrap();
    assert!(first.contains("tersambung"), "{first}");
    let code = loket::domain::BookingCode::from_number(4242);
    master
        .write_all(
            format!("NOT A CODE\r\u{1}\u{2}\r{code}\r{code}\rhttps://x.example/b?kode={code}\r")
                .as_bytes(),
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(
        stdout,
        format!("{}\n{}\n", code.as_str(), code.as_str()),
        "stderr: {rest}"
    );
    assert!(rest.contains("NOT A CODE"), "{rest}");
    assert!(rest.contains("biner"), "{rest}");
}

/// `loket scan --detect --serial PORT`: a technician scans a few codes and is told which
/// setting the scanner needs, read from the bytes it really sent.
fn detect_endings(sent: &[&[u8]]) -> (String, String) {
    let _turn = SPAWN_OR_UNPLUG.lock().unwrap_or_else(|e| e.into_inner());
    let (mut master, slave) = TTYPort::pair().unwrap();
    let path = slave.name().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
        .args(["--data-dir", &dir.path().display().to_string()])
        .args(["scan", "--detect", "--serial", &path, "--count"])
        .arg(sent.len().to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Scans only once it says it listens (bytes before the port opens are lost).
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut first).unwrap();
    assert!(first.starts_with("Pindai"), "{first}");
    std::thread::sleep(Duration::from_millis(200));
    for scan in sent {
        master.write_all(scan).unwrap();
        master.flush().unwrap();
        // A person aims at the next code: far longer than the gap inside one scan.
        std::thread::sleep(Duration::from_millis(400));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    (String::from_utf8(out.stdout).unwrap(), rest)
}

#[test]
fn detect_tells_which_terminator_the_scanner_sends() {
    let (out, _) = detect_endings(&[b"1J39D7CMWQ\r\n", b"A7K2PX9QWE\r\n"]);
    assert!(
        out.starts_with("1J39D7CMWQ<CR><LF>\nA7K2PX9QWE<CR><LF>\n"),
        "{out}"
    );
    assert!(out.ends_with("terminator = \"crlf\"\n"), "{out}");
    let (out, _) = detect_endings(&[b"1J39D7CMWQ\t", b"A7K2PX9QWE\t"]);
    assert!(out.ends_with("terminator = \"tab\"\n"), "{out}");
    // A scanner that sends no terminator: the scan ends when the line goes quiet.
    let (out, _) = detect_endings(&[b"1J39D7CMWQ", b"A7K2PX9QWE"]);
    assert!(out.ends_with("silence_ms = 100\n"), "{out}");
}

#[test]
fn the_udev_rule_is_written_once_for_the_scanner_picked() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.d");
    let run = |id: &str| {
        let _turn = SPAWN_OR_UNPLUG.lock().unwrap_or_else(|e| e.into_inner());
        std::process::Command::new(env!("CARGO_BIN_EXE_loket"))
            .args(["scan", "--udev-rule", id, "--rules-dir"])
            .arg(&rules)
            .output()
            .unwrap()
    };
    let first = run("05E0:1200");
    assert!(first.status.success(), "{first:?}");
    let rule = std::fs::read_to_string(rules.join("61-loket-scanner.rules")).unwrap();
    assert!(
        rule.contains(r#"ENV{ID_VENDOR_ID}=="05e0", ENV{ID_MODEL_ID}=="1200""#),
        "{rule}"
    );
    assert!(rule.contains(r#"SYMLINK+="loket-scanner""#), "{rule}");
    let second = run("05e0:1200");
    assert!(String::from_utf8_lossy(&second.stdout).contains("tidak berubah"));
    let bad = run("05e0-1200");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("vvvv:pppp"));
}
