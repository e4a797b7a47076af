//! The queue-ticket printer: an ESC/POS thermal printer on a serial port (/dev/ttyUSB0,
//! /dev/serial/by-id/…) or a USB printer device (/dev/usb/lp0). A slip is built as bytes
//! (pure, tested byte for byte) and written in one go on the work thread, never on the
//! terminal's event loop. Without a printer the number is shown large on the screen.

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

/// The `[printer]` section of the configuration.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct PrinterConfig {
    /// The device: a serial port (/dev/ttyUSB0) or a USB printer (/dev/usb/lp0); empty: no
    /// printer, the number is shown on the screen.
    pub port: String,
    /// Speed of a serial printer (ignored for /dev/usb/lp*).
    pub baud: u32,
    /// Characters per line in the normal font: 32 on 58 mm paper, 48 on 80 mm.
    pub columns: usize,
    /// Cut the paper after each slip (printers without a cutter ignore it).
    pub cut: bool,
}

impl Default for PrinterConfig {
    fn default() -> Self {
        PrinterConfig {
            port: String::new(),
            baud: 9600,
            columns: 42,
            cut: true,
        }
    }
}

impl PrinterConfig {
    pub fn is_configured(&self) -> bool {
        !self.port.trim().is_empty()
    }
}

/// What a queue slip says.
#[derive(Debug, Clone)]
pub struct Slip {
    pub office: String,
    pub label: String,
    pub line: String,
    pub issued_at: DateTime<FixedOffset>,
    /// People waiting on the line before this one.
    pub ahead: u64,
}

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;

/// The slip as ESC/POS bytes: reset, centred, the number in quadruple size, the line, the
/// time and how many wait ahead, then feed and cut. Text is ASCII (a printer's code page
/// is not UTF-8): other letters become their nearest ASCII or '?'.
pub fn escpos(slip: &Slip, config: &PrinterConfig) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend([ESC, b'@']); // reset
    out.extend([ESC, b'a', 1]); // centre
    out.extend([ESC, b'E', 1]); // bold
    text(&mut out, &slip.office, config.columns);
    out.extend([ESC, b'E', 0]);
    text(&mut out, "NOMOR ANTREAN / QUEUE NUMBER", config.columns);
    out.extend([GS, b'!', 0x33]); // 4x wide, 4x tall
    text(&mut out, &slip.label, config.columns / 4);
    out.extend([GS, b'!', 0x00]);
    text(&mut out, &slip.line, config.columns);
    text(
        &mut out,
        &slip.issued_at.format("%d-%m-%Y %H:%M").to_string(),
        config.columns,
    );
    text(
        &mut out,
        &format!("{} orang menunggu sebelum Anda", slip.ahead),
        config.columns,
    );
    text(
        &mut out,
        "Tunggu nomor Anda dipanggil di layar.",
        config.columns,
    );
    out.extend([ESC, b'd', 4]); // feed 4 lines
    if config.cut {
        out.extend([GS, b'V', 66, 0]); // feed to the cutter and cut
    }
    out
}

/// What a deferral slip says: what the applicant must bring back, to resume the case.
#[derive(Debug, Clone)]
pub struct DeferralSlip {
    pub office: String,
    pub booking: String,
    pub applicant: String,
    pub deferred_at: DateTime<FixedOffset>,
    /// The documents to bring, named.
    pub bring: Vec<String>,
    pub note: String,
}

/// The deferral slip as ESC/POS bytes: the booking code large, what to bring one per line,
/// the officer's note wrapped to the paper, then feed and cut.
pub fn deferral_escpos(slip: &DeferralSlip, config: &PrinterConfig) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let width = config.columns.max(16);
    out.extend([ESC, b'@']);
    out.extend([ESC, b'a', 1]);
    out.extend([ESC, b'E', 1]);
    text(&mut out, &slip.office, width);
    out.extend([ESC, b'E', 0]);
    for line in wrap("PERMOHONAN DITUNDA / APPLICATION DEFERRED", width) {
        text(&mut out, &line, width);
    }
    out.extend([GS, b'!', 0x11]); // 2x wide, 2x tall
    text(&mut out, &slip.booking, width / 2);
    out.extend([GS, b'!', 0x00]);
    text(&mut out, &slip.applicant, width);
    text(
        &mut out,
        &slip.deferred_at.format("%d-%m-%Y %H:%M").to_string(),
        width,
    );
    out.extend([ESC, b'a', 0]); // left
    text(&mut out, "Bawa kembali / Bring back:", width);
    if slip.bring.is_empty() {
        text(&mut out, "- (lihat catatan / see the note)", width);
    }
    for doc in &slip.bring {
        text(&mut out, &format!("- {doc}"), width);
    }
    if !slip.note.trim().is_empty() {
        text(&mut out, "Catatan / Note:", width);
        for line in wrap(slip.note.trim(), width) {
            text(&mut out, &line, width);
        }
    }
    for line in wrap("Tunjukkan slip ini dan kode booking saat kembali.", width) {
        text(&mut out, &line, width);
    }
    out.extend([ESC, b'd', 4]);
    if config.cut {
        out.extend([GS, b'V', 66, 0]);
    }
    out
}

/// Words into lines of at most `width` characters (a longer word is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// One line of text, cut to `width`, in ASCII.
fn text(out: &mut Vec<u8>, line: &str, width: usize) {
    let ascii: String = line
        .chars()
        .map(|c| match c {
            ' '..='~' => c,
            'é' | 'è' | 'ê' => 'e',
            '–' | '—' | '·' => '-',
            _ => '?',
        })
        .take(width.max(1))
        .collect();
    out.extend(ascii.bytes());
    out.push(b'\n');
}

/// Why a slip was not printed, in words an officer can act on.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("printer {port} tidak dapat dibuka ({reason}): periksa kabel dan daya printer")]
    Open { port: String, reason: String },
    #[error("printer {port} berhenti menerima ({reason}): periksa kertas dan tutup printer")]
    Write { port: String, reason: String },
}

/// How long a slip may take to leave before the officer is told.
pub const PRINT_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends `bytes` to the printer on a thread of its own and waits at most
/// [`PRINT_TIMEOUT`]: a USB printer out of paper can block a write for ever, and the
/// caller (the terminal's work thread, which also checks PINs) must not block with it.
pub fn print_within(config: &PrinterConfig, bytes: Vec<u8>) -> Result<(), PrintError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let config = config.clone();
    let port = config.port.trim().to_owned();
    std::thread::spawn(move || {
        let _ = tx.send(print(&config, &bytes));
    });
    rx.recv_timeout(PRINT_TIMEOUT).unwrap_or_else(|_| {
        Err(PrintError::Write {
            port,
            reason: format!("tidak menjawab dalam {} detik", PRINT_TIMEOUT.as_secs()),
        })
    })
}

/// Sends `bytes` to the printer and waits until they have left.
pub fn print(config: &PrinterConfig, bytes: &[u8]) -> Result<(), PrintError> {
    let port = config.port.trim().to_owned();
    let open_err = |reason: String| PrintError::Open {
        port: port.clone(),
        reason,
    };
    let write_err = |e: std::io::Error| PrintError::Write {
        port: port.clone(),
        reason: e.to_string(),
    };
    // A USB printer class device (usblp) is a plain character device; a serial one is a tty.
    let real = std::fs::canonicalize(&port).map_err(|e| open_err(e.to_string()))?;
    let name = real.to_string_lossy();
    if name.starts_with("/dev/usb/") || name.starts_with("/dev/lp") {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&real)
            .map_err(|e| open_err(e.to_string()))?;
        f.write_all(bytes).map_err(write_err)?;
        return f.flush().map_err(write_err);
    }
    let mut serial = serialport::new(&port, config.baud)
        .timeout(Duration::from_secs(3))
        .open()
        .map_err(|e| open_err(e.to_string()))?;
    serial.write_all(bytes).map_err(write_err)?;
    serial.flush().map_err(write_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slip() -> Slip {
        Slip {
            office: "Kantor Imigrasi Jakarta Selatan".into(),
            label: "A-1012".into(),
            line: "Reguler".into(),
            issued_at: DateTime::parse_from_rfc3339("2026-11-26T08:05:00+07:00").unwrap(),
            ahead: 7,
        }
    }

    #[test]
    fn a_slip_is_reset_centred_big_and_cut() {
        let bytes = escpos(&slip(), &PrinterConfig::default());
        assert!(bytes.starts_with(&[ESC, b'@', ESC, b'a', 1]));
        assert!(bytes.ends_with(&[GS, b'V', 66, 0]));
        let big = bytes
            .windows(3)
            .position(|w| w == [GS, b'!', 0x33])
            .unwrap();
        assert!(bytes[big + 3..].starts_with(b"A-1012\n"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("7 orang menunggu sebelum Anda"));
        assert!(text.contains("26-11-2026 08:05"));
        let no_cut = escpos(
            &slip(),
            &PrinterConfig {
                cut: false,
                ..PrinterConfig::default()
            },
        );
        assert!(!no_cut.windows(2).any(|w| w == [GS, b'V']));
    }

    #[test]
    fn text_is_ascii_and_fits_the_paper() {
        let mut out = Vec::new();
        text(&mut out, "Kantor · Médan ☺", 12);
        assert_eq!(out, b"Kantor - Med\n");
    }
}
