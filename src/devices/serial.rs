//! The serial barcode scanner: a reader thread that opens the configured port (by path or
//! by USB vendor/product id), frames its bytes into scans, and reopens it by itself when it
//! is unplugged and plugged back. It reports through a callback; it never blocks the UI.

use std::io::Read;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serialport::{DataBits, Parity, SerialPortType, StopBits};

use super::framing::{Deduper, Frame, Framer, FramerConfig, Framing, Refusal, Terminator};

const READ_TIMEOUT: Duration = Duration::from_millis(50);
const RETRY: Duration = Duration::from_millis(500);

/// The `[scanner]` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SerialConfig {
    /// Port path, e.g. /dev/ttyACM0 or /dev/serial/by-id/…; empty to use `usb`.
    pub port: String,
    /// USB vendor:product id in hex, e.g. "05e0:1200", to find the port by itself.
    pub usb: String,
    pub baud: u32,
    pub data_bits: u8,
    /// "none", "odd" or "even".
    pub parity: String,
    /// "cr", "lf", "crlf" or "tab"; ignored when `silence_ms` is set.
    pub terminator: Terminator,
    /// For scanners that send no terminator: a scan ends after this many quiet milliseconds.
    pub silence_ms: u64,
    pub strip_prefix: String,
    pub strip_suffix: String,
    pub aim: bool,
    /// The same code within this many milliseconds counts once.
    pub dedup_ms: u64,
    /// A keyboard-wedge scanner types faster than a person: characters that follow each
    /// other within this many milliseconds and end in Enter, shaped like a scan, are taken
    /// as a scan rather than typed into the focused field. 0 turns this off.
    pub wedge_gap_ms: u64,
    /// A keyboard-mode (HID) scanner to read directly by its USB id, "vvvv:pppp": the
    /// device is grabbed, so its keys never reach the terminal. Empty: not used.
    pub hid: String,
}

impl Default for SerialConfig {
    fn default() -> Self {
        SerialConfig {
            port: String::new(),
            usb: String::new(),
            baud: 9600,
            data_bits: 8,
            parity: "none".into(),
            terminator: Terminator::Cr,
            silence_ms: 0,
            strip_prefix: String::new(),
            strip_suffix: String::new(),
            aim: true,
            dedup_ms: 2000,
            wedge_gap_ms: 30,
            hid: String::new(),
        }
    }
}

impl SerialConfig {
    pub fn is_configured(&self) -> bool {
        !self.port.is_empty() || !self.usb.is_empty()
    }

    /// Whether a keyboard-mode (HID) scanner is to be read directly (`hid`).
    pub fn hid_configured(&self) -> bool {
        !self.hid.trim().is_empty()
    }

    pub(crate) fn framer(&self) -> FramerConfig {
        FramerConfig {
            framing: if self.silence_ms > 0 {
                Framing::Silence(Duration::from_millis(self.silence_ms))
            } else {
                Framing::Terminator(self.terminator)
            },
            strip_prefix: self.strip_prefix.clone(),
            strip_suffix: self.strip_suffix.clone(),
            aim: self.aim,
            ..FramerConfig::default()
        }
    }

    /// The port to open now: the path, or the first port with the configured USB ids.
    pub fn resolve(&self) -> Result<String, String> {
        if !self.port.is_empty() {
            return Ok(self.port.clone());
        }
        let (vid, pid) =
            parse_usb(&self.usb).ok_or_else(|| format!("bad USB id {:?}", self.usb))?;
        let ports = serialport::available_ports().map_err(|e| e.to_string())?;
        ports
            .into_iter()
            .find(|p| matches!(&p.port_type, SerialPortType::UsbPort(u) if u.vid == vid && u.pid == pid))
            .map(|p| p.port_name)
            .ok_or_else(|| format!("no USB device {vid:04x}:{pid:04x}"))
    }

    pub fn open(&self, path: &str) -> Result<Box<dyn serialport::SerialPort>, String> {
        let data_bits = match self.data_bits {
            5 => DataBits::Five,
            6 => DataBits::Six,
            7 => DataBits::Seven,
            _ => DataBits::Eight,
        };
        let parity = match self.parity.as_str() {
            "odd" => Parity::Odd,
            "even" => Parity::Even,
            _ => Parity::None,
        };
        serialport::new(path, self.baud)
            .data_bits(data_bits)
            .parity(parity)
            .stop_bits(StopBits::One)
            .timeout(READ_TIMEOUT)
            .open()
            .map_err(|e| e.to_string())
    }
}

pub(crate) fn parse_usb(s: &str) -> Option<(u16, u16)> {
    let (v, p) = s.split_once(':')?;
    Some((
        u16::from_str_radix(v.trim(), 16).ok()?,
        u16::from_str_radix(p.trim(), 16).ok()?,
    ))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannerEvent {
    Connected(String),
    /// Not (or no longer) reachable, with the reason; the thread keeps retrying.
    Disconnected(String),
    Scan(String),
    Refused(Refusal),
}

/// Where a scanner reader (serial here, HID in `hid`) sends what it read: its status only
/// when it changes (not on every retry), scans once within the de-duplication window.
pub(crate) struct Outlet<'a> {
    sink: &'a mut dyn FnMut(ScannerEvent) -> bool,
    last: Option<ScannerEvent>,
    dedup: Deduper,
}

impl<'a> Outlet<'a> {
    pub(crate) fn new(
        sink: &'a mut dyn FnMut(ScannerEvent) -> bool,
        config: &SerialConfig,
    ) -> Outlet<'a> {
        Outlet {
            sink,
            last: None,
            dedup: Deduper::new(Duration::from_millis(config.dedup_ms)),
        }
    }

    /// Connected or disconnected; false when nobody listens any more.
    pub(crate) fn status(&mut self, event: ScannerEvent) -> bool {
        if self.last.as_ref() == Some(&event) {
            return true;
        }
        self.last = Some(event.clone());
        (self.sink)(event)
    }

    /// The scans and refusals framed at `now`; false when nobody listens any more.
    pub(crate) fn frames(&mut self, frames: Vec<Frame>, now: Instant) -> bool {
        for frame in frames {
            let event = match frame {
                Frame::Scan(code) if self.dedup.accept(&code, now) => ScannerEvent::Scan(code),
                Frame::Scan(_) => continue,
                Frame::Refused(r) => ScannerEvent::Refused(r),
            };
            if !(self.sink)(event) {
                return false;
            }
        }
        true
    }

    /// The device went away for `reason`: a scan it was in the middle of is refused as cut.
    pub(crate) fn lost(&mut self, framer: &mut Framer, reason: String) -> bool {
        if let Some(Frame::Refused(r)) = framer.disconnected()
            && !(self.sink)(ScannerEvent::Refused(r))
        {
            return false;
        }
        self.status(ScannerEvent::Disconnected(reason))
    }
}

/// Runs the reader until `sink` returns false (its receiver is gone).
pub fn run(config: SerialConfig, sink: &mut dyn FnMut(ScannerEvent) -> bool) {
    let mut framer = Framer::new(config.framer());
    let mut out = Outlet::new(sink, &config);
    loop {
        let port = config
            .resolve()
            .and_then(|path| config.open(&path).map(|p| (path, p)));
        let (path, mut port) = match port {
            Ok(p) => p,
            Err(reason) => {
                if !out.status(ScannerEvent::Disconnected(reason)) {
                    return;
                }
                std::thread::sleep(RETRY);
                continue;
            }
        };
        if !out.status(ScannerEvent::Connected(path)) {
            return;
        }
        let mut buf = [0u8; 256];
        let reason = loop {
            let now = Instant::now();
            let frames = match port.read(&mut buf) {
                Ok(0) => break "hung up".to_owned(),
                Ok(n) => framer.push(&buf[..n], now),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    framer.tick(now).into_iter().collect()
                }
                Err(e) => break e.to_string(),
            };
            if !out.frames(frames, now) {
                return;
            }
        };
        if !out.lost(&mut framer, reason) {
            return;
        }
        std::thread::sleep(RETRY);
    }
}

/// Starts the reader on its own thread.
pub fn spawn(
    config: SerialConfig,
    sink: impl FnMut(ScannerEvent) -> bool + Send + 'static,
) -> std::thread::JoinHandle<()> {
    spawn_reader(run, config, sink)
}

/// Runs a scanner reader on its own thread. A panic in it is counted, never shown over the
/// terminal; the reader starts over, as after an unplug.
pub(crate) fn spawn_reader(
    run: fn(SerialConfig, &mut dyn FnMut(ScannerEvent) -> bool),
    config: SerialConfig,
    sink: impl FnMut(ScannerEvent) -> bool + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        super::qr::quiet_thread();
        let mut sink = sink;
        while std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(config.clone(), &mut sink)
        }))
        .is_err()
        {
            if !sink(ScannerEvent::Disconnected("reader panicked".into())) {
                return;
            }
            std::thread::sleep(RETRY);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usb_ids() {
        assert_eq!(parse_usb("05e0:1200"), Some((0x05e0, 0x1200)));
        assert_eq!(parse_usb("zz:1"), None);
        assert_eq!(parse_usb("05e0"), None);
    }

    #[test]
    fn config_reads_from_toml() {
        let c: SerialConfig =
            toml::from_str("port = \"/dev/ttyACM0\"\nterminator = \"crlf\"\nsilence_ms = 0")
                .unwrap();
        assert_eq!(c.terminator, Terminator::Crlf);
        assert_eq!(c.baud, 9600);
        assert!(c.is_configured());
        assert!(!SerialConfig::default().is_configured());
    }
}
