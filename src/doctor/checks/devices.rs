//! The devices at the counter: scanner, ticket printer, camera.

use super::*;

/// The scanner's port exists and opens for this user; a keyboard-mode scanner read directly
/// (`hid`) is plugged in and readable.
pub(in crate::doctor) fn scanner(
    config: &crate::devices::serial::SerialConfig,
    s: &Strings,
) -> Finding {
    if !config.is_configured() && config.hid_configured() {
        let shown = format!("HID {}", config.hid);
        let found = crate::devices::serial::parse_usb(&config.hid)
            .and_then(|(v, p)| crate::devices::hid::locate(v, p));
        return match found {
            Some(path) => Finding::ok("scanner", fill!(s.dr_scan_ok, device = path)),
            None => Finding::fail(
                "scanner",
                fill!(s.dr_scan_bad, device = shown, why = s.dr_not_found),
                s.dr_scan_hid_fix.to_owned(),
            ),
        };
    }
    if !config.is_configured() {
        return Finding::warn(
            "scanner",
            s.dr_scan_none.to_owned(),
            s.dr_scan_none_fix.to_owned(),
        );
    }
    let shown = if config.port.is_empty() {
        format!("USB {}", config.usb)
    } else {
        config.port.clone()
    };
    if !config.port.is_empty() && !Path::new(&config.port).exists() {
        return Finding::fail(
            "scanner",
            fill!(s.dr_scan_bad, device = shown, why = s.dr_not_found),
            s.dr_scan_fix.to_owned(),
        );
    }
    match config
        .resolve()
        .and_then(|path| config.open(&path).map(|_| path))
    {
        Ok(path) => Finding::ok("scanner", fill!(s.dr_scan_ok, device = path)),
        // The running terminal holds the port (opened exclusively): it is there and in use.
        Err(e) if is_busy(&e) => Finding::ok("scanner", fill!(s.dr_scan_busy, device = shown)),
        Err(e) => Finding::fail(
            "scanner",
            fill!(s.dr_scan_bad, device = shown, why = e),
            s.dr_scan_fix.to_owned(),
        ),
    }
}

/// The queue-ticket printer's device exists and opens for writing (nothing is printed).
pub(in crate::doctor) fn printer(
    config: &crate::devices::printer::PrinterConfig,
    s: &Strings,
) -> Finding {
    use std::os::unix::fs::OpenOptionsExt;
    if !config.is_configured() {
        return Finding::ok("printer", s.dr_printer_none.to_owned());
    }
    let port = config.port.trim();
    let opened = std::fs::OpenOptions::new()
        .write(true)
        // A serial port must not wait for its carrier line here.
        .custom_flags(0o4000)
        .open(port);
    match opened {
        Ok(_) => Finding::ok("printer", fill!(s.dr_printer_ok, port = port)),
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                s.dr_not_found.to_owned()
            } else {
                e.to_string()
            };
            Finding::fail(
                "printer",
                fill!(s.dr_printer_bad, port = port, why = why),
                s.dr_printer_fix.to_owned(),
            )
        }
    }
}

/// How long the camera may take to give its first frame.
const CAMERA_WAIT: Duration = Duration::from_secs(8);

/// The camera opens and gives a frame (on a thread: a hung driver must not hang doctor).
pub(in crate::doctor) fn camera(
    config: &crate::devices::camera::CameraConfig,
    s: &Strings,
) -> Finding {
    use crate::devices::camera::{FrameSource, Nokhwa};
    if !config.is_configured() {
        return Finding::warn(
            "camera",
            s.dr_cam_none.to_owned(),
            s.dr_cam_none_fix.to_owned(),
        );
    }
    let device = config.device.trim().to_owned();
    if device.starts_with('/') && !Path::new(&device).exists() {
        return Finding::fail(
            "camera",
            fill!(s.dr_cam_bad, device = device, why = s.dr_not_found),
            s.dr_cam_fix.to_owned(),
        );
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let wanted = config.clone();
    let _ = std::thread::Builder::new()
        .name("doctor-camera".into())
        .spawn(move || {
            let frame = Nokhwa::open(&wanted).and_then(|(_, mut camera)| camera.frame());
            let _ = tx.send(frame.map(|f| (f.width(), f.height())));
        });
    let bad = |why: String| {
        Finding::fail(
            "camera",
            fill!(s.dr_cam_bad, device = device, why = why),
            s.dr_cam_fix.to_owned(),
        )
    };
    match rx.recv_timeout(CAMERA_WAIT) {
        Ok(Ok((w, h))) => Finding::ok(
            "camera",
            fill!(s.dr_cam_ok, device = device, width = w, height = h),
        ),
        Ok(Err(e)) if is_busy(&e) => Finding::ok("camera", fill!(s.dr_cam_busy, device = device)),
        Ok(Err(e)) => bad(e),
        Err(_) => bad(format!("> {} s", CAMERA_WAIT.as_secs())),
    }
}

/// A device error that means another program (the running terminal) holds it.
fn is_busy(error: &str) -> bool {
    let e = error.to_lowercase();
    e.contains("busy") || e.contains("ebusy")
}
