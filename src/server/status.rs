//! The public status endpoint for the office's WhatsApp and web services: the stage of an
//! application and nothing else (no name, no NIK), rate-limited per client address so it
//! cannot be used to walk the booking codes.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};

use super::{ApiError, AppState, Result, repo};
use crate::domain::BookingCode;
use crate::protocol::{ErrorCode, Stage, StatusResponse};

/// A token bucket per client (an IPv4 address, or an IPv6 /64: one household or host
/// holds a whole /64), and one for everybody together: 200 addresses of one machine each
/// within its own limit still cannot walk the booking codes.
pub struct RateLimiter {
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    burst: f64,
    per_second: f64,
    global: Mutex<(f64, Instant)>,
    global_burst: f64,
    global_per_second: f64,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(20.0, 0.5).with_global(200.0, 20.0)
    }
}

/// The client a bucket is kept for: an IPv4 address (an IPv4 address seen through an IPv6
/// socket is the same), or the /64 an IPv6 address is in.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from_bits(
                v6.to_bits() & !((1u128 << 64) - 1),
            )),
        },
    }
}

impl RateLimiter {
    pub fn new(burst: f64, per_second: f64) -> RateLimiter {
        RateLimiter {
            buckets: Mutex::new(HashMap::new()),
            burst,
            per_second,
            global: Mutex::new((f64::INFINITY, Instant::now())),
            global_burst: f64::INFINITY,
            global_per_second: 0.0,
        }
    }

    /// And a budget for all clients together.
    pub fn with_global(mut self, burst: f64, per_second: f64) -> RateLimiter {
        self.global = Mutex::new((burst, Instant::now()));
        self.global_burst = burst;
        self.global_per_second = per_second;
        self
    }

    /// Takes one token for `ip` (its client, see [`client_key`]) and one from the global
    /// budget; false when either is empty.
    pub fn allow(&self, ip: IpAddr, now: Instant) -> bool {
        let ip = client_key(ip);
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
        if *tokens < 1.0 {
            return false;
        }
        *tokens -= 1.0;
        // A client within its own limit then draws on everybody's budget.
        self.allow_global(now)
    }

    fn allow_global(&self, now: Instant) -> bool {
        if !self.global_burst.is_finite() {
            return true;
        }
        let Ok(mut global) = self.global.lock() else {
            return false;
        };
        let (tokens, at) = &mut *global;
        let since = now.saturating_duration_since(*at).as_secs_f64();
        *tokens = (*tokens + since * self.global_per_second).min(self.global_burst);
        *at = now.max(*at);
        if *tokens < 1.0 {
            return false;
        }
        *tokens -= 1.0;
        true
    }
}

/// A network whose addresses pusat trusts to say who the client is: a reverse proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Network {
    type Err = String;

    /// `10.0.0.5`, `10.0.0.0/8`, `::1` or `fd00::/8`.
    fn from_str(text: &str) -> std::result::Result<Network, String> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text}: not an IP address or network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text}: the prefix is 0 to {max}"))?,
        };
        Ok(Network { addr, prefix })
    }
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| match ip {
            IpAddr::V4(v4) => (u128::from(v4.to_bits()), 32),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (u128::from(v4.to_bits()), 32),
                None => (v6.to_bits(), 128),
            },
        };
        let ((net, width), (ip, ip_width)) = (bits(self.addr), bits(ip));
        if width != ip_width {
            return false;
        }
        let shift = u32::from(width) - u32::from(self.prefix.min(width));
        shift >= u32::from(width) || (net >> shift) == (ip >> shift)
    }
}

/// Whom to rate-limit: the peer, unless the peer is a trusted proxy; then the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy (the ones further left
/// were written by the client and prove nothing).
pub fn client_ip(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &[Network]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().parse::<IpAddr>())
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop {
            Ok(ip) if is_trusted(*ip) => continue,
            Ok(ip) => return *ip,
            // A hop we cannot read: do not look past it.
            Err(_) => return peer,
        }
    }
    peer
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
    } else if count("awaiting_photo") > 0 {
        Stage::AwaitingPhoto
    } else {
        Stage::Approved
    }
}

/// How long a status lookup takes at least, found or not.
const ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(40);

#[utoipa::path(get, path = "/status/{code}", tag = "public",
    params(("code" = String, Path, description = "The booking code")),
    responses(
        (status = 200, description = "The booking's stage, nothing personal", body = StatusResponse),
        (status = 404, description = "No such booking", body = crate::protocol::ErrorBody),
        (status = 422, description = "Not a booking code", body = crate::protocol::ErrorBody),
        (status = 429, description = "Too many requests from this address", body = crate::protocol::ErrorBody),
    ))]
pub async fn status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
) -> Result<Json<StatusResponse>> {
    let client = client_ip(peer.ip(), &headers, &state.trusted_proxies);
    if !state.limiter.allow(client, Instant::now()) {
        return Err(ApiError::Client(
            ErrorCode::TooMany,
            "too many requests; try again in a minute".into(),
        ));
    }
    let started = Instant::now();
    let code = BookingCode::parse(&code).map_err(|e| {
        use crate::domain::booking_code::CodeError;
        let why = match e {
            CodeError::Empty => "it is empty".to_owned(),
            CodeError::Length(n) => format!("a booking code has 10 characters, not {n}"),
            CodeError::Character(c) => format!("{c:?} is not a booking-code character"),
            CodeError::Checksum => "its check character does not match (mistyped?)".to_owned(),
        };
        ApiError::bad(format!("not a booking code: {why}"))
    })?;
    let client = state.pool.get().await?;
    // The same queries whether the booking exists or not, and no answer sooner than
    // `ANSWER_FLOOR`: a code that exists is not told apart by how fast it is answered.
    let found = repo::bookings::day_and_cancelled(&**client, code.as_str()).await?;
    let statuses = repo::cases::statuses_of_booking(&**client, code.as_str()).await?;
    tokio::time::sleep(ANSWER_FLOOR.saturating_sub(started.elapsed())).await;
    let (day, cancelled) = found.ok_or_else(|| ApiError::not_found("no booking with this code"))?;
    Ok(Json(StatusResponse {
        booking: code.as_str().to_owned(),
        day,
        stage: stage(cancelled, &statuses),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn networks_parse_and_contain() {
        let net: Network = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains([10, 200, 3, 4].into()));
        assert!(!net.contains([11, 0, 0, 1].into()));
        let one: Network = "192.168.1.7".parse().unwrap();
        assert!(one.contains([192, 168, 1, 7].into()));
        assert!(!one.contains([192, 168, 1, 8].into()));
        // An IPv4 proxy seen through an IPv6 socket is the same proxy.
        assert!(one.contains("::ffff:192.168.1.7".parse().unwrap()));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains([10, 0, 0, 1].into()));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains([8, 8, 8, 8].into()));
        for bad in ["10.0.0.0/33", "proxy", "10.0.0.0/x", "::/129"] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_client_is_the_nearest_untrusted_forwarded_address() {
        let trusted: Vec<Network> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy: IpAddr = [10, 0, 0, 2].into();
        let mut headers = axum::http::HeaderMap::new();
        // The client claims 1.1.1.1; the outer proxy saw 203.0.113.9; an inner proxy 10.0.0.3.
        headers.insert(
            "x-forwarded-for",
            "1.1.1.1, 203.0.113.9, 10.0.0.3".parse().unwrap(),
        );
        assert_eq!(
            client_ip(proxy, &headers, &trusted),
            IpAddr::from([203, 0, 113, 9])
        );
        // A peer that is not a proxy cannot choose its own address.
        let stranger: IpAddr = [198, 51, 100, 1].into();
        assert_eq!(client_ip(stranger, &headers, &trusted), stranger);
        // No header, or a garbled one: the proxy itself.
        assert_eq!(
            client_ip(proxy, &axum::http::HeaderMap::new(), &trusted),
            proxy
        );
        headers.insert("x-forwarded-for", "bogus, 10.0.0.3".parse().unwrap());
        assert_eq!(client_ip(proxy, &headers, &trusted), proxy);
    }

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
    fn an_ipv6_client_is_its_64_and_everybody_shares_one_budget() {
        let limiter = RateLimiter::new(2.0, 0.0);
        let t0 = Instant::now();
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(limiter.allow(a, t0) && limiter.allow(b, t0));
        assert!(
            !limiter.allow("2001:db8:1:2::77".parse().unwrap(), t0),
            "one /64"
        );
        assert!(
            limiter.allow("2001:db8:1:3::1".parse().unwrap(), t0),
            "the next /64"
        );
        // Each IPv4 address is its own client, but 200 of them share the global budget.
        let limiter = RateLimiter::new(20.0, 0.0).with_global(100.0, 0.0);
        let allowed = (0..200u8)
            .flat_map(|host| (0..20).map(move |_| IpAddr::from([127, 0, 1, host])))
            .filter(|ip| limiter.allow(*ip, t0))
            .count();
        assert_eq!(allowed, 100);
        assert!(!limiter.allow([127, 0, 1, 250].into(), t0 + Duration::from_secs(1)));
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
        assert_eq!(
            stage(false, &s(&["continued", "awaiting_photo"])),
            Stage::AwaitingPhoto
        );
        assert_eq!(stage(false, &s(&["rejected"])), Stage::Rejected);
    }
}
