//! The public status endpoint for the office's WhatsApp and web services: the stage of an
//! application and nothing else (no name, no NIK), rate-limited per client address so it
//! cannot be used to walk the booking codes.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};

use super::{ApiError, AppState, Result};
use crate::domain::BookingCode;
use crate::protocol::{ErrorCode, Stage, StatusResponse};

/// A token bucket per client address.
pub struct RateLimiter {
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    burst: f64,
    per_second: f64,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(20.0, 0.5)
    }
}

impl RateLimiter {
    pub fn new(burst: f64, per_second: f64) -> RateLimiter {
        RateLimiter {
            buckets: Mutex::new(HashMap::new()),
            burst,
            per_second,
        }
    }

    /// Takes one token for `ip`; false when its bucket is empty.
    pub fn allow(&self, ip: IpAddr, now: Instant) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return false;
        };
        if buckets.len() > 100_000 {
            // Forget full buckets: they would allow a burst anyway.
            let (burst, rate) = (self.burst, self.per_second);
            buckets.retain(|_, (t, at)| *t + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn stage(cancelled: bool, statuses: &[String]) -> Stage {
    let count = |s: &str| statuses.iter().filter(|x| *x == s).count();
    if cancelled && statuses.is_empty() {
        Stage::Cancelled
    } else if statuses.is_empty() {
        Stage::Booked
    } else if count("open") > 0 {
        Stage::InProgress
    } else if count("rejected") == statuses.len() {
        Stage::Rejected
    } else if count("deferred") > 0 {
        Stage::Deferred
    } else {
        Stage::Approved
    }
}

pub async fn status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Result<Json<StatusResponse>> {
    if !state.limiter.allow(peer.ip(), Instant::now()) {
        return Err(ApiError::Client(
            ErrorCode::TooMany,
            "too many requests; try again in a minute".into(),
        ));
    }
    let code = BookingCode::parse(&code)
        .map_err(|e| ApiError::bad(format!("not a booking code: {e:?}")))?;
    let client = state.pool.get().await?;
    let row = client
        .query_opt(
            "SELECT day, cancelled FROM bookings WHERE code = $1",
            &[&code.as_str()],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("no booking with this code"))?;
    let statuses: Vec<String> = client
        .query(
            "SELECT status FROM cases WHERE booking = $1 AND lost_to IS NULL",
            &[&code.as_str()],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(Json(StatusResponse {
        booking: code.as_str().to_owned(),
        day: row.get(0),
        stage: stage(row.get(1), &statuses),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_is_allowed_then_refused_then_refilled() {
        let limiter = RateLimiter::new(3.0, 1.0);
        let ip: IpAddr = [10, 0, 0, 1].into();
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.allow(ip, t0)));
        assert!(!limiter.allow(ip, t0));
        assert!(
            limiter.allow([10, 0, 0, 2].into(), t0),
            "others are not affected"
        );
        assert!(limiter.allow(ip, t0 + Duration::from_millis(1100)));
    }

    #[test]
    fn stages_follow_the_cases() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(stage(false, &[]), Stage::Booked);
        assert_eq!(stage(true, &[]), Stage::Cancelled);
        assert_eq!(stage(false, &s(&["open", "continued"])), Stage::InProgress);
        assert_eq!(
            stage(false, &s(&["continued", "continued"])),
            Stage::Approved
        );
        assert_eq!(
            stage(false, &s(&["continued", "deferred"])),
            Stage::Deferred
        );
        assert_eq!(stage(false, &s(&["rejected"])), Stage::Rejected);
    }
}
