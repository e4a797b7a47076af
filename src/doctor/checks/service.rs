//! The service under systemd.

use super::*;

/// loket.service under systemd, with its watchdog.
pub(in crate::doctor) fn service(s: &Strings) -> Finding {
    let shown = std::process::Command::new("systemctl")
        .args([
            "show",
            "loket.service",
            "--property=ActiveState,SubState,WatchdogUSec,LoadState",
        ])
        .output();
    let output = match shown {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            let why = stderr.lines().next().unwrap_or("").trim().to_owned();
            return Finding::warn(
                "service",
                fill!(s.dr_unit_none, why = why),
                s.dr_unit_none_fix.to_owned(),
            );
        }
        Err(e) => {
            return Finding::warn(
                "service",
                fill!(s.dr_unit_none, why = e),
                s.dr_unit_none_fix.to_owned(),
            );
        }
    };
    let get = |key: &str| {
        output
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or("")
            .to_owned()
    };
    if get("LoadState") == "not-found" {
        return Finding::warn(
            "service",
            fill!(s.dr_unit_none, why = "loket.service not-found"),
            s.dr_unit_none_fix.to_owned(),
        );
    }
    let active = get("ActiveState");
    if active == "active" {
        Finding::ok(
            "service",
            fill!(s.dr_unit_ok, watchdog = get("WatchdogUSec")),
        )
    } else {
        Finding::warn(
            "service",
            fill!(
                s.dr_unit_down,
                state = format!("{active}/{}", get("SubState"))
            ),
            s.dr_unit_down_fix.to_owned(),
        )
    }
}
