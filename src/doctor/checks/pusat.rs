//! pusat: the credential, reaching pusat, the clocks.

use super::*;

/// A kiosk renews a month before expiry: fewer days left means renewal keeps failing.
const RENEW_WARN_DAYS: i64 = 21;

/// The credential: enrolled, readable, not expired, days left.
pub(in crate::doctor) fn credential(
    dir: &Path,
    now: DateTime<Utc>,
    s: &Strings,
    out: &mut Vec<Finding>,
) -> Option<Credential> {
    let reenroll = || s.dr_cred_reenroll_fix.to_owned();
    match Credential::load(dir) {
        Ok(None) => {
            out.push(Finding::fail(
                "credential",
                s.dr_cred_none.to_owned(),
                s.dr_cred_none_fix.to_owned(),
            ));
            None
        }
        Err(e) => {
            out.push(Finding::fail(
                "credential",
                fill!(s.dr_cred_bad, why = e),
                reenroll(),
            ));
            None
        }
        Ok(Some(c)) => {
            let days = (c.expires_at - now).num_days();
            out.push(if c.expires_at <= now {
                Finding::fail(
                    "credential",
                    fill!(s.dr_cred_expired, day = c.expires_at.format("%Y-%m-%d")),
                    reenroll(),
                )
            } else if days < RENEW_WARN_DAYS {
                Finding::warn(
                    "credential",
                    fill!(s.dr_cred_soon, days = days),
                    s.dr_cred_soon_fix.to_owned(),
                )
            } else {
                Finding::ok(
                    "credential",
                    fill!(
                        s.dr_cred_ok,
                        office = c.office.code,
                        counter = c.counter,
                        days = days
                    ),
                )
            });
            Some(c)
        }
    }
}

/// Clock skew against pusat: a warning from this far, a failure from the second.
pub const SKEW_WARN: TimeDelta = TimeDelta::seconds(30);

pub const SKEW_FAIL: TimeDelta = TimeDelta::seconds(120);

pub fn clock_finding(skew: Option<TimeDelta>, s: &Strings) -> Finding {
    let Some(skew) = skew else {
        return Finding::warn(
            "clock",
            s.dr_clock_unknown.to_owned(),
            s.dr_pusat_down_fix.to_owned(),
        );
    };
    let off = skew.abs();
    let seconds = (off.num_milliseconds() + 500) / 1000;
    if off >= SKEW_FAIL {
        Finding::fail(
            "clock",
            fill!(s.dr_clock_off, seconds = seconds),
            s.dr_clock_fix.to_owned(),
        )
    } else if off >= SKEW_WARN {
        Finding::warn(
            "clock",
            fill!(s.dr_clock_off, seconds = seconds),
            s.dr_clock_fix.to_owned(),
        )
    } else {
        Finding::ok("clock", fill!(s.dr_clock_ok, seconds = seconds))
    }
}

/// Asks pusat once (the findings are then written in each language from the answer).
pub(in crate::doctor) fn probe(
    dir: &Path,
    credential: &Credential,
) -> Result<crate::sync::Probe, SyncError> {
    crate::sync::Client::for_counter(credential, dir).and_then(|client| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SyncError::Store(e.to_string()))?;
        Ok(runtime.block_on(client.probe()))
    })
}

/// pusat: reachable, its certificate valid for its name, our protocol accepted, this kiosk
/// known and not revoked, and the clocks close.
pub(in crate::doctor) fn pusat(
    credential: &Credential,
    probe: &Result<crate::sync::Probe, SyncError>,
    s: &Strings,
    out: &mut Vec<Finding>,
) {
    let server = credential.server.clone();
    let probe = match probe {
        Ok(p) => p,
        Err(e) => {
            out.push(pusat_error(&server, e, s));
            return;
        }
    };
    let skew = probe.skew(Utc::now());
    match &probe.answer {
        Ok(info) => {
            if info.office != credential.office.code || info.counter != credential.counter {
                out.push(Finding::fail(
                    "pusat",
                    fill!(
                        s.dr_pusat_other,
                        office = info.office,
                        counter = info.counter,
                        our_office = credential.office.code,
                        our_counter = credential.counter
                    ),
                    s.dr_cred_reenroll_fix.to_owned(),
                ));
            } else {
                out.push(Finding::ok(
                    "pusat",
                    fill!(
                        s.dr_pusat_ok,
                        server = server,
                        protocol = crate::protocol::VERSION,
                        ms = probe.round_trip.num_milliseconds()
                    ),
                ));
            }
        }
        Err(e) => out.push(pusat_error(&server, e, s)),
    }
    out.push(clock_finding(skew, s));
}

fn pusat_error(server: &str, e: &SyncError, s: &Strings) -> Finding {
    let reenroll = || s.dr_cred_reenroll_fix.to_owned();
    match e {
        SyncError::Offline(why) | SyncError::Unavailable(why) => Finding::warn(
            "pusat",
            fill!(s.dr_pusat_down, server = server, why = why),
            s.dr_pusat_down_fix.to_owned(),
        ),
        SyncError::Certificate(why) => Finding::fail(
            "pusat",
            fill!(s.dr_pusat_cert, server = server, why = why),
            s.dr_pusat_cert_fix.to_owned(),
        ),
        SyncError::Protocol(why) => Finding::fail(
            "pusat",
            fill!(s.dr_pusat_protocol, why = why),
            s.dr_pusat_protocol_fix.to_owned(),
        ),
        SyncError::Revoked => Finding::fail("pusat", s.dr_cred_revoked.to_owned(), reenroll()),
        SyncError::Expired | SyncError::Unauthorized | SyncError::EnrollCode => {
            Finding::fail("pusat", fill!(s.dr_pusat_refused, why = e), reenroll())
        }
        SyncError::Nonsense(why) => Finding::fail(
            "pusat",
            fill!(s.dr_pusat_nonsense, why = why),
            s.dr_pusat_nonsense_fix.to_owned(),
        ),
        other => Finding::fail(
            "pusat",
            fill!(s.dr_pusat_refused, why = other),
            s.dr_pusat_down_fix.to_owned(),
        ),
    }
}
