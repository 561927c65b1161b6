//! A pure rate limiter: `acquire(now) -> Ready | WaitUntil(t)`, fed by response headers.
//!
//! Process Payment has a fixed documented quota (50 requests per 4 s), enforced with a sliding
//! window so that a burst never exceeds it. The management API announces its own budget in
//! `X-Rate-Limit-*` headers, which the limiter learns from every response. A 429 blocks the
//! class for the longer of `X-Retry-After` (seconds) and `X-Rate-Limit-Time-Reset-Ms`, or a
//! safe default when the response says neither.

use crate::error::{DEFAULT_RETRY_AFTER_MS, retry_after_ms};
use crate::http::{Endpoint, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The documented Process Payment quota: requests…
pub const PAYMENTS_QUOTA: u32 = 50;
/// …per this many milliseconds.
pub const PAYMENTS_WINDOW_MS: u64 = 4_000;

/// Whether a request may go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Permit {
    /// Send now; the slot is reserved.
    Ready,
    /// Ask again at this time (ms).
    WaitUntil {
        /// When (ms).
        at_ms: u64,
    },
}

/// Limiter settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitConfig {
    /// Process Payment requests allowed per window.
    pub payments_quota: u32,
    /// Process Payment window (ms).
    pub payments_window_ms: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            payments_quota: PAYMENTS_QUOTA,
            payments_window_ms: PAYMENTS_WINDOW_MS,
        }
    }
}

/// Which budget a request draws on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitClass {
    /// `payments.bigcommerce.com` (Process Payment).
    Payments,
    /// `api.bigcommerce.com` (everything else).
    Management,
}

impl LimitClass {
    /// The budget an endpoint draws on.
    pub fn of(endpoint: Endpoint) -> LimitClass {
        if endpoint == Endpoint::ProcessPayment {
            LimitClass::Payments
        } else {
            LimitClass::Management
        }
    }
}

/// The limiter state for one store. Share one across all flows of a store ([`SharedRateLimiter`]).
#[derive(Clone, Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    payment_sends: VecDeque<u64>,
    payments_blocked_until: u64,
    management_left: Option<u64>,
    management_reset_at: u64,
    management_blocked_until: u64,
}

/// A limiter shared by several flows (and threads) of one store.
pub type SharedRateLimiter = Arc<Mutex<RateLimiter>>;

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(RateLimitConfig::default())
    }
}

impl RateLimiter {
    /// A limiter with `config`.
    pub fn new(config: RateLimitConfig) -> RateLimiter {
        RateLimiter {
            config: RateLimitConfig {
                payments_quota: config.payments_quota.max(1),
                payments_window_ms: config.payments_window_ms,
            },
            payment_sends: VecDeque::new(),
            payments_blocked_until: 0,
            management_left: None,
            management_reset_at: 0,
            management_blocked_until: 0,
        }
    }

    /// A limiter ready to share between flows.
    pub fn shared(config: RateLimitConfig) -> SharedRateLimiter {
        Arc::new(Mutex::new(RateLimiter::new(config)))
    }

    /// Asks to send one request of `class` at `now_ms`. `Ready` reserves the slot.
    pub fn acquire(&mut self, class: LimitClass, now_ms: u64) -> Permit {
        match class {
            LimitClass::Payments => {
                if now_ms < self.payments_blocked_until {
                    return Permit::WaitUntil {
                        at_ms: self.payments_blocked_until,
                    };
                }
                let window = self.config.payments_window_ms;
                while self.payment_sends.front().is_some_and(|&t| t.saturating_add(window) <= now_ms) {
                    self.payment_sends.pop_front();
                }
                if self.payment_sends.len() < self.config.payments_quota as usize {
                    self.payment_sends.push_back(now_ms);
                    Permit::Ready
                } else {
                    // The oldest send leaves the window at its time + window.
                    Permit::WaitUntil {
                        at_ms: self.payment_sends.front().map_or(now_ms, |t| t + window),
                    }
                }
            }
            LimitClass::Management => {
                if now_ms < self.management_blocked_until {
                    return Permit::WaitUntil {
                        at_ms: self.management_blocked_until,
                    };
                }
                if now_ms >= self.management_reset_at {
                    // The announced window is over; the budget is unknown until the next response.
                    self.management_left = None;
                }
                match self.management_left {
                    Some(0) => Permit::WaitUntil {
                        at_ms: self.management_reset_at,
                    },
                    Some(n) => {
                        self.management_left = Some(n - 1);
                        Permit::Ready
                    }
                    None => Permit::Ready,
                }
            }
        }
    }

    /// Learns from a response: the management budget headers, and any 429.
    pub fn observe(&mut self, endpoint: Endpoint, response: &HttpResponse, now_ms: u64) {
        let class = LimitClass::of(endpoint);
        let header_u64 = |name: &str| response.header(name).and_then(|v| v.trim().parse::<u64>().ok());
        if class == LimitClass::Management {
            if let (Some(left), Some(reset)) = (header_u64("x-rate-limit-requests-left"), header_u64("x-rate-limit-time-reset-ms")) {
                self.management_left = Some(left);
                self.management_reset_at = now_ms.saturating_add(reset);
            }
        }
        if response.status == 429 {
            let until = now_ms.saturating_add(retry_after_ms(response).unwrap_or(DEFAULT_RETRY_AFTER_MS));
            match class {
                LimitClass::Payments => self.payments_blocked_until = self.payments_blocked_until.max(until),
                LimitClass::Management => {
                    self.management_blocked_until = self.management_blocked_until.max(until);
                    self.management_left = Some(0);
                    self.management_reset_at = self.management_reset_at.max(until);
                }
            }
        }
    }

    /// The settings.
    pub fn config(&self) -> RateLimitConfig {
        self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Header;

    #[test]
    fn payments_window_allows_quota_then_waits_for_oldest() {
        let mut l = RateLimiter::new(RateLimitConfig {
            payments_quota: 3,
            payments_window_ms: 1000,
        });
        assert_eq!(l.acquire(LimitClass::Payments, 0), Permit::Ready);
        assert_eq!(l.acquire(LimitClass::Payments, 100), Permit::Ready);
        assert_eq!(l.acquire(LimitClass::Payments, 200), Permit::Ready);
        assert_eq!(l.acquire(LimitClass::Payments, 300), Permit::WaitUntil { at_ms: 1000 });
        assert_eq!(l.acquire(LimitClass::Payments, 1000), Permit::Ready);
        assert_eq!(l.acquire(LimitClass::Payments, 1001), Permit::WaitUntil { at_ms: 1100 });
    }

    #[test]
    fn management_learns_budget_from_headers() {
        let mut l = RateLimiter::default();
        let r = HttpResponse::new(
            200,
            vec![
                Header::new("X-Rate-Limit-Requests-Left", "1"),
                Header::new("X-Rate-Limit-Time-Reset-Ms", "500"),
            ],
            b"{}".to_vec(),
        );
        l.observe(Endpoint::GetOrder, &r, 1000);
        assert_eq!(l.acquire(LimitClass::Management, 1001), Permit::Ready);
        assert_eq!(l.acquire(LimitClass::Management, 1002), Permit::WaitUntil { at_ms: 1500 });
        assert_eq!(l.acquire(LimitClass::Management, 1500), Permit::Ready);
    }

    #[test]
    fn a_429_without_headers_blocks_for_the_default() {
        let mut l = RateLimiter::default();
        l.observe(Endpoint::ProcessPayment, &HttpResponse::new(429, vec![], b"".to_vec()), 10);
        assert_eq!(
            l.acquire(LimitClass::Payments, 11),
            Permit::WaitUntil {
                at_ms: 10 + DEFAULT_RETRY_AFTER_MS
            }
        );
    }

    #[test]
    fn a_429_waits_the_longer_of_reset_and_retry_after() {
        let mut l = RateLimiter::default();
        let r = HttpResponse::new(
            429,
            vec![Header::new("X-Retry-After", "5"), Header::new("X-Rate-Limit-Time-Reset-Ms", "1200")],
            b"".to_vec(),
        );
        l.observe(Endpoint::GetPaymentMethods, &r, 0);
        assert_eq!(l.acquire(LimitClass::Management, 1), Permit::WaitUntil { at_ms: 5000 });
    }
}
