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
    if !config.is_configured() {
        return Err(CliError::NoScanner);
    }
    let key = o.config.token_key()?;
    let s = Lang::parse(&o.config.ui.language).strings();
    let (tx, rx) = std::sync::mpsc::channel();
    serial::spawn(config, move |e| tx.send(e).is_ok());
    let mut accepted = 0;
    while count.is_none_or(|n| accepted < n) {
        let Ok(event) = rx.recv() else { break };
        match event {
            ScannerEvent::Connected(port) => eprintln!("{}", fill(s.scanner_connected, &[&port])),
            ScannerEvent::Disconnected(why) => eprintln!("{}", fill(s.scanner_lost, &[&why])),
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
            CameraEvent::Opened(name) => eprintln!("{}", fill(s.camera_opened, &[&name])),
            CameraEvent::Failed(why) => eprintln!("{}", fill(s.camera_failed, &[&why])),
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
