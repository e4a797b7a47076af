//! What a technician needs to set a kiosk's devices up: the serial ports and cameras plugged
//! in with their USB ids, the udev rule that gives a scanner its stable name, and which
//! terminator a scanner ends its codes with (read from a few real scans).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::framing::Terminator;

/// A USB vendor:product id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsbId {
    pub vendor: u16,
    pub product: u16,
}

impl std::fmt::Display for UsbId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vendor, self.product)
    }
}

impl std::str::FromStr for UsbId {
    type Err = String;
    fn from_str(s: &str) -> Result<UsbId, String> {
        let bad = || format!("{s:?}: tulis vvvv:pppp, mis. 05e0:1200 / write vvvv:pppp");
        let (v, p) = s.trim().split_once(':').ok_or_else(bad)?;
        if v.len() != 4 || p.len() != 4 {
            return Err(bad());
        }
        Ok(UsbId {
            vendor: u16::from_str_radix(v, 16).map_err(|_| bad())?,
            product: u16::from_str_radix(p, 16).map_err(|_| bad())?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialDevice {
    pub path: String,
    pub usb: Option<UsbId>,
    /// Maker and model as the device names itself.
    pub label: String,
}

/// The serial ports of this machine, USB ones with their ids.
pub fn serial_devices() -> Vec<SerialDevice> {
    use serialport::SerialPortType;
    let Ok(ports) = serialport::available_ports() else {
        return Vec::new();
    };
    ports
        .into_iter()
        .map(|p| match p.port_type {
            SerialPortType::UsbPort(u) => SerialDevice {
                path: p.port_name,
                usb: Some(UsbId {
                    vendor: u.vid,
                    product: u.pid,
                }),
                label: [u.manufacturer, u.product]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
            },
            _ => SerialDevice {
                path: p.port_name,
                usb: None,
                label: String::new(),
            },
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoDevice {
    pub path: PathBuf,
    pub name: String,
    pub usb: Option<UsbId>,
    /// The device's first node (index 0): the one that gives pictures; further nodes of a
    /// camera carry metadata.
    pub first_node: bool,
}

/// The V4L2 devices listed under `sys` (normally /sys/class/video4linux).
pub fn video_devices(sys: &Path) -> Vec<VideoDevice> {
    let Ok(entries) = std::fs::read_dir(sys) else {
        return Vec::new();
    };
    let read = |p: PathBuf| {
        std::fs::read_to_string(p)
            .map(|t| t.trim().to_owned())
            .unwrap_or_default()
    };
    let mut found: Vec<VideoDevice> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("video"))
        .map(|e| {
            let dir = e.path();
            // device/ is the USB interface; its parent holds the ids.
            let usb_dir = dir.join("device").join("..");
            let id = |f: &str| u16::from_str_radix(&read(usb_dir.join(f)), 16).ok();
            VideoDevice {
                path: Path::new("/dev").join(e.file_name()),
                name: read(dir.join("name")),
                usb: id("idVendor")
                    .zip(id("idProduct"))
                    .map(|(vendor, product)| UsbId { vendor, product }),
                first_node: read(dir.join("index")) == "0",
            }
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// The udev rule naming the scanner `id` /dev/loket-scanner, readable by the loket user;
/// in keyboard mode (`[scanner] hid`), its input device is readable by the loket user too,
/// and no other keyboard is.
pub fn scanner_rule(id: UsbId) -> String {
    format!(
        "# Written by `loket scan --udev-rule {id}`: this kiosk's scanner.\n\
         SUBSYSTEM==\"tty\", ENV{{ID_VENDOR_ID}}==\"{v:04x}\", ENV{{ID_MODEL_ID}}==\"{p:04x}\", \
         SYMLINK+=\"loket-scanner\", GROUP=\"dialout\", MODE=\"0660\"\n\
         SUBSYSTEM==\"input\", KERNEL==\"event*\", ENV{{ID_VENDOR_ID}}==\"{v:04x}\", \
         ENV{{ID_MODEL_ID}}==\"{p:04x}\", GROUP=\"dialout\", MODE=\"0660\"\n",
        v = id.vendor,
        p = id.product
    )
}

/// The rule's file, beside the package's 60-loket.rules and read after it.
pub const RULE_FILE: &str = "61-loket-scanner.rules";

/// Writes the scanner's rule into `dir`; `Ok(false)` when it was already there as written.
pub fn write_scanner_rule(dir: &Path, id: UsbId) -> std::io::Result<bool> {
    let path = dir.join(RULE_FILE);
    let rule = scanner_rule(id);
    if std::fs::read_to_string(&path).is_ok_and(|t| t == rule) {
        return Ok(false);
    }
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{RULE_FILE}.tmp"));
    std::fs::write(&tmp, &rule)?;
    std::fs::rename(&tmp, &path)?;
    Ok(true)
}

/// How a scanner ends each code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    With(Terminator),
    /// Nothing: the scan ends when the line goes quiet (`silence_ms`).
    Silence,
}

/// How `scan` (the bytes of one scan) ends.
pub fn ending_of(scan: &[u8]) -> Ending {
    match scan {
        [.., b'\r', b'\n'] => Ending::With(Terminator::Crlf),
        [.., b'\r'] => Ending::With(Terminator::Cr),
        [.., b'\n'] => Ending::With(Terminator::Lf),
        [.., b'\t'] => Ending::With(Terminator::Tab),
        _ => Ending::Silence,
    }
}

/// The ending most scans had, when there were any.
pub fn most_common(scans: &[Vec<u8>]) -> Option<Ending> {
    let endings: Vec<Ending> = scans.iter().map(|s| ending_of(s)).collect();
    endings
        .iter()
        .copied()
        .max_by_key(|e| endings.iter().filter(|x| *x == e).count())
}

/// The settings for `ending`, as config.toml takes them.
pub fn setting(ending: Ending) -> &'static str {
    match ending {
        Ending::With(Terminator::Cr) => "terminator = \"cr\"",
        Ending::With(Terminator::Lf) => "terminator = \"lf\"",
        Ending::With(Terminator::Crlf) => "terminator = \"crlf\"",
        Ending::With(Terminator::Tab) => "terminator = \"tab\"",
        Ending::Silence => "silence_ms = 100",
    }
}

/// A pause this long between bytes ends one scan (a scanner sends a code in one burst).
pub const GAP: Duration = Duration::from_millis(150);

/// Reads raw scans from `port` until `count` have arrived or `wait` passes with none.
/// `each` sees every scan as it arrives.
pub fn watch(
    port: &mut dyn std::io::Read,
    count: usize,
    wait: Duration,
    mut each: impl FnMut(&[u8]),
) -> Vec<Vec<u8>> {
    let mut scans = Vec::new();
    let mut current = Vec::new();
    let mut last_byte = Instant::now();
    let mut buf = [0u8; 256];
    while scans.len() < count {
        match port.read(&mut buf) {
            Ok(n) if n > 0 => {
                current.extend_from_slice(&buf[..n]);
                last_byte = Instant::now();
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
        let quiet = last_byte.elapsed();
        if !current.is_empty() && quiet >= GAP {
            each(&current);
            scans.push(std::mem::take(&mut current));
        } else if current.is_empty() && quiet >= wait {
            break;
        }
    }
    scans
}

/// The bytes of a scan as a technician reads them: control characters named.
pub fn visible(scan: &[u8]) -> String {
    scan.iter()
        .map(|&b| match b {
            b'\r' => "<CR>".to_owned(),
            b'\n' => "<LF>".to_owned(),
            b'\t' => "<TAB>".to_owned(),
            0x20..=0x7e => (b as char).to_string(),
            other => format!("<{other:02X}>"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_are_read_from_the_last_bytes() {
        assert_eq!(ending_of(b"1J39D7CMWQ\r\n"), Ending::With(Terminator::Crlf));
        assert_eq!(ending_of(b"1J39D7CMWQ\r"), Ending::With(Terminator::Cr));
        assert_eq!(ending_of(b"1J39D7CMWQ\n"), Ending::With(Terminator::Lf));
        assert_eq!(ending_of(b"1J39D7CMWQ\t"), Ending::With(Terminator::Tab));
        assert_eq!(ending_of(b"1J39D7CMWQ"), Ending::Silence);
        let scans = vec![b"A\r".to_vec(), b"B\r".to_vec(), b"C".to_vec()];
        assert_eq!(most_common(&scans), Some(Ending::With(Terminator::Cr)));
        assert_eq!(most_common(&[]), None);
        assert_eq!(visible(b"AB\x02\r\n"), "AB<02><CR><LF>");
    }

    #[test]
    fn the_rule_names_the_scanner_and_is_written_once() {
        let id: UsbId = "05E0:1200".parse().unwrap();
        assert_eq!(id.to_string(), "05e0:1200");
        assert!("05e0-1200".parse::<UsbId>().is_err());
        let rule = scanner_rule(id);
        assert!(rule.contains(r#"ENV{ID_VENDOR_ID}=="05e0", ENV{ID_MODEL_ID}=="1200""#));
        assert!(rule.contains(r#"SYMLINK+="loket-scanner""#));
        assert!(
            rule.contains(r#"SUBSYSTEM=="input", KERNEL=="event*""#),
            "a keyboard-mode scanner is readable too: {rule}"
        );
        let dir = tempfile::tempdir().unwrap();
        assert!(write_scanner_rule(dir.path(), id).unwrap());
        assert!(
            !write_scanner_rule(dir.path(), id).unwrap(),
            "unchanged the second time"
        );
        let other: UsbId = "0c2e:0b61".parse().unwrap();
        assert!(write_scanner_rule(dir.path(), other).unwrap());
        let written = std::fs::read_to_string(dir.path().join(RULE_FILE)).unwrap();
        assert!(written.contains("0c2e") && !written.contains("05e0"));
    }

    #[test]
    fn cameras_are_listed_from_sysfs_with_their_usb_ids() {
        let sys = tempfile::tempdir().unwrap();
        let usb = sys.path().join("usb1");
        let iface = usb.join("1-1:1.0");
        std::fs::create_dir_all(&iface).unwrap();
        std::fs::write(usb.join("idVendor"), "046d\n").unwrap();
        std::fs::write(usb.join("idProduct"), "0825\n").unwrap();
        for (n, index) in [("video0", "0"), ("video1", "1")] {
            let node = sys.path().join("class").join(n);
            std::fs::create_dir_all(&node).unwrap();
            std::fs::write(node.join("name"), "UVC Camera (046d:0825)\n").unwrap();
            std::fs::write(node.join("index"), index).unwrap();
            std::os::unix::fs::symlink(&iface, node.join("device")).unwrap();
        }
        let found = video_devices(&sys.path().join("class"));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].path, Path::new("/dev/video0"));
        assert_eq!(
            found[0].usb.map(|u| u.to_string()).as_deref(),
            Some("046d:0825")
        );
        assert!(found[0].first_node && !found[1].first_node);
        assert_eq!(found[0].name, "UVC Camera (046d:0825)");
    }
}
