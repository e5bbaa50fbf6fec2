//! The API's per-client rate limit: a token bucket per client address.
//!
//! Owns: the buckets (at most [`crate::limits::MAX_API_RATE_CLIENTS`]; past that the table is
//! emptied, which only ever lets clients through sooner). Must not touch: HTTP.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tokens refill at `rate` a second up to `2 × rate`; each request takes one.
pub struct Limiter {
    rate: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl Limiter {
    pub fn new(rate: u32) -> Limiter {
        Limiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Takes a token for `ip`, or says how long until one is free.
    pub fn allow(&self, ip: IpAddr) -> Result<(), Duration> {
        self.allow_at(ip, Instant::now())
    }

    fn allow_at(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let rate = f64::from(self.rate);
        let burst = rate * 2.0;
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() >= crate::limits::MAX_API_RATE_CLIENTS && !b.contains_key(&ip) {
            b.clear();
        }
        let (tokens, at) = b.entry(ip).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_past_twice_the_rate_is_refused_then_refilled() {
        let l = Limiter::new(5);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        let t = Instant::now();
        for _ in 0..10 {
            assert!(l.allow_at(ip, t).is_ok());
        }
        assert!(l.allow_at(ip, t).is_err());
        // Another client has its own bucket.
        assert!(l.allow_at(other, t).is_ok());
        assert!(l.allow_at(ip, t + Duration::from_millis(250)).is_ok());
    }
}
