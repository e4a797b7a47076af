//! A USB barcode scanner in keyboard mode (HID), read directly through evdev when
//! `[scanner] hid = "vvvv:pppp"` names it: the device is grabbed, so its keys never reach
//! the terminal (or any form), and what it types goes through the same framing, refusals
//! and de-duplication as a serial scanner's.
//!
//! The kernel reports key codes, not characters: [`KeyDecoder`] turns them back into the
//! ASCII a scanner types (a US layout, as scanners are set by default), with Shift and
//! Caps Lock. It is pure and tested with the events a scanner sends; the reading needs a
//! real device.

use std::time::{Duration, Instant};

use super::framing::Framer;
use super::serial::{Outlet, ScannerEvent, SerialConfig, parse_usb};

/// How long to wait before looking for the scanner again.
const RETRY: Duration = Duration::from_secs(2);

/// Linux input event codes (linux/input-event-codes.h) a scanner uses.
mod code {
    pub const EV_KEY: u16 = 1;
    pub const KEY_ENTER: u16 = 28;
    pub const KEY_KPENTER: u16 = 96;
    pub const KEY_TAB: u16 = 15;
    pub const KEY_LEFTSHIFT: u16 = 42;
    pub const KEY_RIGHTSHIFT: u16 = 54;
    pub const KEY_CAPSLOCK: u16 = 58;
}

/// Turns key events into the bytes the scanner meant.
#[derive(Debug, Default)]
pub struct KeyDecoder {
    shift: [bool; 2],
    caps: bool,
}

/// (unshifted, shifted) character of a key on a US keyboard.
fn us_key(key: u16) -> Option<(u8, u8)> {
    const ROW_DIGITS: &[u8; 10] = b"1234567890";
    const ROW_SHIFTED: &[u8; 10] = b"!@#$%^&*()";
    Some(match key {
        2..=11 => {
            let i = usize::from(key - 2);
            (ROW_DIGITS[i], ROW_SHIFTED[i])
        }
        12 => (b'-', b'_'),
        13 => (b'=', b'+'),
        16..=25 => {
            let c = b"qwertyuiop"[usize::from(key - 16)];
            (c, c.to_ascii_uppercase())
        }
        26 => (b'[', b'{'),
        27 => (b']', b'}'),
        30..=38 => {
            let c = b"asdfghjkl"[usize::from(key - 30)];
            (c, c.to_ascii_uppercase())
        }
        39 => (b';', b':'),
        40 => (b'\'', b'"'),
        41 => (b'`', b'~'),
        43 => (b'\\', b'|'),
        44..=50 => {
            let c = b"zxcvbnm"[usize::from(key - 44)];
            (c, c.to_ascii_uppercase())
        }
        51 => (b',', b'<'),
        52 => (b'.', b'>'),
        53 => (b'/', b'?'),
        57 => (b' ', b' '),
        // The keypad, as some scanners send digits.
        55 => (b'*', b'*'),
        74 => (b'-', b'-'),
        78 => (b'+', b'+'),
        71..=73 => (b"789"[usize::from(key - 71)], b"789"[usize::from(key - 71)]),
        75..=77 => (b"456"[usize::from(key - 75)], b"456"[usize::from(key - 75)]),
        79..=81 => (b"123"[usize::from(key - 79)], b"123"[usize::from(key - 79)]),
        82 => (b'0', b'0'),
        83 => (b'.', b'.'),
        98 => (b'/', b'/'),
        _ => return None,
    })
}

impl KeyDecoder {
    /// One key event (`value`: 1 pressed, 0 released, 2 repeated); the byte typed, if any.
    /// Enter is a carriage return and Tab a tab: the framer's terminators.
    pub fn key(&mut self, key: u16, value: i32) -> Option<u8> {
        match key {
            code::KEY_LEFTSHIFT | code::KEY_RIGHTSHIFT => {
                self.shift[usize::from(key == code::KEY_RIGHTSHIFT)] = value != 0;
                return None;
            }
            code::KEY_CAPSLOCK if value == 1 => {
                self.caps = !self.caps;
                return None;
            }
            _ => {}
        }
        // A scanner never holds a key: a repeat is a stuck key, not a character.
        if value != 1 {
            return None;
        }
        match key {
            code::KEY_ENTER | code::KEY_KPENTER => Some(b'\r'),
            code::KEY_TAB => Some(b'\t'),
            _ => {
                let (plain, shifted) = us_key(key)?;
                let shift = self.shift[0] || self.shift[1];
                let upper = shift ^ (self.caps && plain.is_ascii_alphabetic());
                Some(if upper { shifted } else { plain })
            }
        }
    }
}

/// Reads the HID scanner `config.hid` names until `sink` returns false; the device is
/// looked for again after an unplug.
pub fn run(config: SerialConfig, sink: &mut dyn FnMut(ScannerEvent) -> bool) {
    let Some((vendor, product)) = parse_usb(&config.hid) else {
        sink(ScannerEvent::Disconnected(format!(
            "[scanner] hid = {:?}: expected vvvv:pppp (hex)",
            config.hid
        )));
        return;
    };
    let mut framer = Framer::new(config.framer());
    let mut out = Outlet::new(sink, &config);
    loop {
        let (path, mut device) = match open(vendor, product) {
            Ok(found) => found,
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
        let mut decoder = KeyDecoder::default();
        let reason = loop {
            let events = match device.fetch_events() {
                Ok(events) => events,
                Err(e) => break e.to_string(),
            };
            let now = Instant::now();
            let bytes: Vec<u8> = events
                .filter(|e| e.event_type().0 == code::EV_KEY)
                .filter_map(|e| decoder.key(e.code(), e.value()))
                .collect();
            if !out.frames(framer.push(&bytes, now), now) {
                return;
            }
        };
        if !out.lost(&mut framer, reason) {
            return;
        }
        std::thread::sleep(RETRY);
    }
}

/// Where the keyboard device with this USB id is, when it is plugged in and readable.
pub fn locate(vendor: u16, product: u16) -> Option<String> {
    find(vendor, product).map(|(path, _)| path)
}

fn find(vendor: u16, product: u16) -> Option<(String, evdev::Device)> {
    evdev::enumerate()
        .find(|(_, d)| {
            let id = d.input_id();
            id.vendor() == vendor && id.product() == product
        })
        .map(|(path, d)| (path.display().to_string(), d))
}

/// The scanner's keyboard device, grabbed: its keys reach only Loket.
fn open(vendor: u16, product: u16) -> Result<(String, evdev::Device), String> {
    let Some((path, mut device)) = find(vendor, product) else {
        return Err(format!(
            "HID {vendor:04x}:{product:04x} not found in /dev/input (or not readable)"
        ));
    };
    device
        .grab()
        .map_err(|e| format!("{path}: cannot grab ({e})"))?;
    Ok((path, device))
}

/// Starts the reader on its own thread (restarted after a panic, as the serial one is).
pub fn spawn(
    config: SerialConfig,
    sink: impl FnMut(ScannerEvent) -> bool + Send + 'static,
) -> std::thread::JoinHandle<()> {
    super::serial::spawn_reader(run, config, sink)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The events a scanner in keyboard mode sends for `text` and Enter: Shift around
    /// capitals, each key pressed and released.
    fn typed(text: &str) -> Vec<(u16, i32)> {
        let mut events = Vec::new();
        for c in text.chars() {
            let (key, shift) = (1u16..100)
                .find_map(|k| {
                    let (plain, shifted) = us_key(k)?;
                    if plain == c as u8 {
                        Some((k, false))
                    } else if shifted == c as u8 {
                        Some((k, true))
                    } else {
                        None
                    }
                })
                .unwrap_or_else(|| panic!("no key types {c:?}"));
            if shift {
                events.push((code::KEY_LEFTSHIFT, 1));
            }
            events.extend([(key, 1), (key, 0)]);
            if shift {
                events.push((code::KEY_LEFTSHIFT, 0));
            }
        }
        events.extend([(code::KEY_ENTER, 1), (code::KEY_ENTER, 0)]);
        events
    }

    fn decode(events: &[(u16, i32)]) -> String {
        let mut d = KeyDecoder::default();
        let bytes: Vec<u8> = events.iter().filter_map(|(k, v)| d.key(*k, *v)).collect();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_code_a_link_and_a_token_come_back_as_typed() {
        for text in [
            "1J39D-7CMWQ",
            "https://m-paspor.imigrasi.go.id/b/1J39D7CMWQ?x=1",
            "LKT1.eyJjb2RlIjoiMUozOUQ3Q01XUSJ9.c2ln_-",
        ] {
            assert_eq!(decode(&typed(text)), format!("{text}\r"));
        }
    }

    #[test]
    fn caps_lock_and_repeats() {
        let mut events = vec![(code::KEY_CAPSLOCK, 1), (code::KEY_CAPSLOCK, 0)];
        events.extend(typed("ab1"));
        assert_eq!(decode(&events), "AB1\r");
        // A stuck key repeats; a scanner never means that.
        assert_eq!(decode(&[(30, 1), (30, 2), (30, 2), (30, 0)]), "a");
    }

    #[test]
    fn what_the_scanner_types_is_framed_like_a_serial_scan() {
        let config = SerialConfig::default();
        let mut framer = Framer::new(config.framer());
        let mut d = KeyDecoder::default();
        let bytes: Vec<u8> = typed("]Q11J39D-7CMWQ")
            .iter()
            .filter_map(|(k, v)| d.key(*k, *v))
            .collect();
        let frames = framer.push(&bytes, Instant::now());
        assert_eq!(
            frames,
            vec![super::super::framing::Frame::Scan("1J39D-7CMWQ".into())]
        );
    }
}
