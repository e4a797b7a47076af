//! The queue-ticket printer through a real pseudo-terminal pair: the printer code opens the
//! slave side as it would /dev/ttyUSB0, the test reads the master side as the printer does.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot set up must fail loudly

use std::io::Read;
use std::time::{Duration, Instant};

use loket::devices::printer::{self, PrinterConfig, Slip};
use serialport::{SerialPort, TTYPort};

fn slip() -> Slip {
    Slip {
        office: "Kantor Imigrasi Jakarta Selatan".into(),
        label: "P-2007".into(),
        line: "Prioritas".into(),
        issued_at: chrono::DateTime::parse_from_rfc3339("2026-11-26T10:42:00+07:00").unwrap(),
        ahead: 3,
    }
}

#[test]
fn a_slip_reaches_a_serial_printer_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("printer");
    let (mut master, slave) = TTYPort::pair().unwrap();
    std::os::unix::fs::symlink(slave.name().unwrap(), &link).unwrap();
    // The slave stays open here so the printer's close does not hang up the pair.
    let config = PrinterConfig {
        port: link.display().to_string(),
        baud: 19200,
        ..PrinterConfig::default()
    };
    let bytes = printer::escpos(&slip(), &config);
    let sent = bytes.clone();
    let writer = std::thread::spawn(move || printer::print(&config, &sent));
    master.set_timeout(Duration::from_millis(200)).unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.len() < bytes.len() && Instant::now() < deadline {
        let mut buf = [0u8; 256];
        match master.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("{e}"),
        }
    }
    writer.join().unwrap().unwrap();
    // A pty in its default (cooked) mode turns \n into \r\n on the way: compare as the
    // printer would read the text, line ends aside.
    let got: Vec<u8> = got.into_iter().filter(|b| *b != b'\r').collect();
    assert_eq!(got, bytes, "{}", String::from_utf8_lossy(&got));
    drop(slave);
}

#[test]
fn a_missing_printer_is_said_in_words_with_what_to_check() {
    let config = PrinterConfig {
        port: "/dev/loket-no-such-printer".into(),
        ..PrinterConfig::default()
    };
    let e = printer::print(&config, b"x").unwrap_err();
    let text = e.to_string();
    assert!(text.contains("tidak dapat dibuka"), "{text}");
    assert!(text.contains("periksa kabel"), "{text}");
}

#[test]
fn a_printer_that_never_takes_the_slip_is_given_up_on_in_time() {
    // A pty whose reader never reads fills up and blocks the writer, as a printer out of
    // paper does; the officer hears of it in bounded time (here the serial port's own write
    // timeout may fire first; a /dev/usb/lp* device has none, which is why `print_within`
    // gives up on its own after PRINT_TIMEOUT).
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("printer");
    let (_master, slave) = TTYPort::pair().unwrap();
    std::os::unix::fs::symlink(slave.name().unwrap(), &link).unwrap();
    let config = PrinterConfig {
        port: link.display().to_string(),
        ..PrinterConfig::default()
    };
    let started = Instant::now();
    let e = printer::print_within(&config, vec![b'x'; 4 << 20]).unwrap_err();
    println!("given up after {:?}", started.elapsed());
    assert!(e.to_string().contains("berhenti menerima"), "{e}");
    drop(slave);
}
