//! Testing a scanner or camera: `loket scan` (serial or camera) and `loket qr decode`.

use super::*;

pub(super) fn serial(
    o: &Opened,
    serial: Option<String>,
    baud: Option<u32>,
    count: Option<usize>,
) -> Result<(), CliError> {
    use crate::devices::serial::{self, ScannerEvent};
    use crate::text::{fill, scan::refusal_text};

    let mut config = o.config.scanner.clone();
    if let Some(port) = serial {
        config.port = port;
    }
    if let Some(baud) = baud {
        config.baud = baud;
    }
    let key = o.config.token_key()?;
    let s = Lang::parse(&o.config.ui.language).strings();
    let (tx, rx) = std::sync::mpsc::channel();
    if config.is_configured() {
        serial::spawn(config, move |e| tx.send(e).is_ok());
    } else if config.hid_configured() {
        // A keyboard-mode scanner read directly (`[scanner] hid`), as the terminal does.
        crate::devices::hid::spawn(config, move |e| tx.send(e).is_ok());
    } else {
        return Err(CliError::NoScanner);
    }
    let mut accepted = 0;
    while count.is_none_or(|n| accepted < n) {
        let Ok(event) = rx.recv() else { break };
        match event {
            ScannerEvent::Connected(port) => {
                eprintln!("{}", fill!(s.scanner_connected, port = port))
            }
            ScannerEvent::Disconnected(why) => eprintln!("{}", fill!(s.scanner_lost, why = why)),
            ScannerEvent::Refused(r) => eprintln!("{}: {}", s.scan_refused, refusal_text(&r, s)),
            ScannerEvent::Scan(text) => {
                accepted += usize::from(print_scan(o, key.as_ref(), &text));
            }
        }
    }
    Ok(())
}

pub(super) fn qr_decode(files: &[PathBuf]) -> u8 {
    let mut status = 0;
    for file in files {
        match crate::devices::qr::read_file(file) {
            Ok(texts) if texts.is_empty() => println!("{}\t-", file.display()),
            Ok(texts) => {
                for text in texts {
                    // One line a code: line breaks inside a code's text are shown escaped.
                    println!(
                        "{}\t{}",
                        file.display(),
                        text.replace('\n', "\\n").replace('\r', "\\r")
                    );
                }
            }
            Err(e) => {
                eprintln!(
                    "{}: tidak dapat dibaca / cannot be read: {e}",
                    file.display()
                );
                status = 2;
            }
        }
    }
    status
}

pub(super) fn camera(o: &Opened, device: String, count: Option<usize>) -> Result<(), CliError> {
    use crate::devices::camera::{self, CameraConfig, CameraEvent};
    use crate::text::fill;

    let config = CameraConfig {
        device,
        ..o.config.camera.clone()
    };
    let key = o.config.token_key()?;
    let s = Lang::parse(&o.config.ui.language).strings();
    let wanted = std::sync::Arc::new(camera::Wanted::default());
    wanted
        .code
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let (tx, rx) = std::sync::mpsc::channel();
    camera::spawn(config, wanted, move |e| tx.send(e).is_ok());
    let mut accepted = 0;
    while count.is_none_or(|n| accepted < n) {
        let Ok(event) = rx.recv() else { break };
        match event {
            CameraEvent::Opened(name) => eprintln!("{}", fill!(s.camera_opened, name = name)),
            CameraEvent::Failed(why) => eprintln!("{}", fill!(s.camera_failed, why = why)),
            CameraEvent::Frame(_) => {}
            CameraEvent::Scan(text) => {
                accepted += usize::from(print_scan(o, key.as_ref(), &text));
            }
        }
    }
    Ok(())
}

/// Prints an accepted scan's booking code on stdout, or why it is refused on stderr.
pub(super) fn print_scan(
    o: &Opened,
    key: Option<&ed25519_dalek::VerifyingKey>,
    text: &str,
) -> bool {
    use crate::domain::payload::{self, ScanContext};
    let s = crate::text::Lang::parse(&o.config.ui.language).strings();
    let ctx = ScanContext {
        key,
        office: &o.office.code,
        today: day_or_today(o, None),
    };
    match payload::parse(text, &ctx) {
        Ok(scanned) => {
            println!("{}", scanned.code().as_str());
            true
        }
        Err(e) => {
            let why = crate::text::scan::payload_error_text(text, &e, s);
            eprintln!("{} {text:?}: {why}", s.scan_refused);
            false
        }
    }
}

/// `loket scan --detect`: the devices plugged in, or (with a port) how its scans end.
pub(super) fn detect(
    dir: &Path,
    serial: Option<String>,
    baud: Option<u32>,
    count: Option<usize>,
) -> Result<u8, CliError> {
    use crate::devices::detect;
    let mut config = Config::load(dir)?.scanner;
    if let Some(baud) = baud {
        config.baud = baud;
    }
    if let Some(port) = serial {
        return watch_endings(&config, &port, count.unwrap_or(3));
    }
    let ports = detect::serial_devices();
    println!("Port serial / serial ports:");
    if ports.is_empty() {
        println!(
            "  (tidak ada / none: colokkan pemindai; pemindai mode keyboard tidak tampil di sini / plug the scanner in; keyboard-wedge scanners do not show here)"
        );
    }
    for (i, p) in ports.iter().enumerate() {
        let usb = p.usb.map_or_else(|| "-".to_owned(), |u| u.to_string());
        println!("  [{}] {}  USB {usb}  {}", i + 1, p.path, p.label);
    }
    let cameras = detect::video_devices(Path::new("/sys/class/video4linux"));
    println!("Kamera / cameras:");
    if cameras.is_empty() {
        println!("  (tidak ada / none)");
    }
    for c in &cameras {
        let usb = c.usb.map_or_else(|| "-".to_owned(), |u| u.to_string());
        let role = if c.first_node {
            "gambar / pictures"
        } else {
            "metadata"
        };
        println!("  {}  USB {usb}  {}  ({role})", c.path.display(), c.name);
    }
    let usb_ports: Vec<&detect::SerialDevice> = ports.iter().filter(|p| p.usb.is_some()).collect();
    if !usb_ports.is_empty() && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprint!(
            "Nomor pemindai untuk aturan udev (Enter = lewati) / scanner number for the udev rule (Enter = skip): "
        );
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if let Some(id) = answer
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|n| ports.get(n.wrapping_sub(1)))
            .and_then(|p| p.usb)
        {
            return udev_rule(&id.to_string(), Path::new("/etc/udev/rules.d"));
        }
    }
    println!(
        "Lalu / then: loket scan --udev-rule VVVV:PPPP · port = \"/dev/loket-scanner\" di config.toml · loket scan --detect --serial /dev/loket-scanner"
    );
    Ok(0)
}

/// Watches `count` raw scans on `port` and says how they end.
fn watch_endings(
    config: &crate::devices::serial::SerialConfig,
    port: &str,
    count: usize,
) -> Result<u8, CliError> {
    use crate::devices::detect;
    let mut opened = config
        .open(port)
        .map_err(|e| CliError::Device(format!("pemindai / scanner {port}: {e}")))?;
    eprintln!(
        "Pindai {count} kode dengan pemindai di {port} (30 detik) / scan {count} codes with the scanner on {port}"
    );
    let scans = detect::watch(
        &mut opened,
        count,
        std::time::Duration::from_secs(30),
        |scan| {
            println!("{}", detect::visible(scan));
        },
    );
    match detect::most_common(&scans) {
        Some(ending) => {
            println!(
                "Atur di [scanner] / set in [scanner]: {}",
                detect::setting(ending)
            );
            Ok(0)
        }
        None => {
            eprintln!(
                "Tidak ada pindaian dalam 30 detik: cek kabel, baud (--baud) dan mode serial pemindai / no scan in 30 s: check the cable, the baud rate and the scanner's serial mode"
            );
            Ok(1)
        }
    }
}

/// `loket scan --udev-rule VVVV:PPPP`: the scanner's stable name.
pub(super) fn udev_rule(id: &str, dir: &Path) -> Result<u8, CliError> {
    use crate::devices::detect;
    let id: detect::UsbId = id.parse().map_err(CliError::Device)?;
    let changed = detect::write_scanner_rule(dir, id)?;
    let path = dir.join(detect::RULE_FILE);
    if !changed {
        println!(
            "Aturan sudah ada, tidak berubah / rule already there, unchanged: {}",
            path.display()
        );
        return Ok(0);
    }
    println!("Aturan ditulis / rule written: {}", path.display());
    if Path::new("/run/udev").exists() && dir.starts_with("/etc/udev") {
        for args in [
            &["control", "--reload-rules"][..],
            &["trigger", "--subsystem-match=tty", "--action=add"][..],
        ] {
            let _ = std::process::Command::new("udevadm").args(args).status();
        }
        println!(
            "udev dimuat ulang: cabut-colok pemindai bila /dev/loket-scanner belum ada / udev reloaded: replug the scanner if /dev/loket-scanner is missing"
        );
    }
    Ok(0)
}
