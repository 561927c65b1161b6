//! A pure rate limiter: `acquire(now) -> Ready | WaitUntil(t)`, fed by response headers.
//!
//! **Process Payment** has a fixed documented quota (50 requests per 4 s) that the server counts
//! by arrival in a sliding window. The client cannot see arrival times, only that a request
//! arrives after it is granted and before it is answered. So a slot is held from its grant until
//! one window after the *earlier* of its answer and `grant + transit_allowance_ms`
//! ([`RateLimiter::release`] reports the answer). Grants are also paced at half the mean interval
//! (`window / quota / 2`), so that a burst does not queue up on the way and stretch transit times.
//!
//! The **management API** announces its own budget in `X-Rate-Limit-*` headers, which the limiter
//! learns from every response. A 429 blocks the class for the longer of `X-Retry-After` (seconds)
//! and `X-Rate-Limit-Time-Reset-Ms`, or a safe default when the response says neither.

use crate::error::{DEFAULT_RETRY_AFTER_MS, retry_after_ms};
use crate::http::{Endpoint, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The documented Process Payment quota: requests…
pub const PAYMENTS_QUOTA: u32 = 50;
/// …per this many milliseconds.
pub const PAYMENTS_WINDOW_MS: u64 = 4_000;
/// Default bound on the time from grant to arrival at the server (ms): DNS, connection set-up,
/// TLS and one network crossing.
pub const TRANSIT_ALLOWANCE_MS: u64 = 250;

/// One store's Process Payment budget shared by several processes (billing workers on many
/// machines), kept in Redis: the same sliding log as [`RateLimiter`] — a slot from its grant
/// until one window after the earlier of its answer and grant + transit allowance, grants paced
/// at half the mean interval — run atomically by [`SHARED_ACQUIRE_LUA`] and
/// [`SHARED_RELEASE_LUA`] on Redis's clock, so that workers' clocks do not matter. A host calls
/// acquire before each request of [`LimitClass::Payments`] (waiting the milliseconds it answers
/// until it answers 0) and release when the answer arrives. Each process's own limiter still
/// runs; the shared one only adds waits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SharedPaymentsLimit {
    /// Redis keys: the log of slots (a sorted set scored by arrival bound), then the last grant.
    pub keys: [String; 2],
    /// The scripts' arguments after the slot's id: window, quota, transit allowance (ms).
    pub args: [u64; 3],
    /// [`SHARED_ACQUIRE_LUA`].
    pub acquire_script: &'static str,
    /// [`SHARED_RELEASE_LUA`].
    pub release_script: &'static str,
}

/// `KEYS`: the log, the last grant. `ARGV`: slot id, window, quota, transit (ms). Answers 0 when
/// the slot is granted, else how many ms to wait before asking again.
pub const SHARED_ACQUIRE_LUA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, quota, transit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local pace = math.floor(window / quota / 2)
local seen = redis.call('GET', KEYS[2])
local last = seen and tonumber(seen)
if last and now < last + pace then return last + pace - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= quota then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now + transit, ARGV[1])
redis.call('PEXPIRE', KEYS[1], window + transit)
redis.call('SET', KEYS[2], now, 'PX', window)
return 0
"#;

/// `KEYS`: the log. `ARGV`: slot id. The answer came: the request arrived by now, so its slot
/// frees one window from now if that is sooner than the bound it was granted with.
pub const SHARED_RELEASE_LUA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', 'LT', now, ARGV[1])
return 0
"#;

impl RateLimitConfig {
    /// The Redis form of this budget for the store `store_hash` (see [`SharedPaymentsLimit`]).
    pub fn shared(&self, store_hash: &str) -> SharedPaymentsLimit {
        SharedPaymentsLimit {
            keys: [format!("bcpay:{store_hash}:payments"), format!("bcpay:{store_hash}:payments:last")],
            args: [
                self.payments_window_ms,
                u64::from(self.payments_quota.max(1)),
                self.transit_allowance_ms,
            ],
            acquire_script: SHARED_ACQUIRE_LUA,
            release_script: SHARED_RELEASE_LUA,
        }
    }
}

/// Whether a request may go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Permit {
    /// Send now; report the outcome with [`RateLimiter::release`] and this ticket.
    Ready {
        /// Identifies the reserved slot (0 for classes that need no release).
        ticket: u64,
    },
    /// Ask again at this time (ms).
    WaitUntil {
        /// When (ms).
        at_ms: u64,
    },
}

/// Limiter settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RateLimitConfig {
    /// Process Payment requests allowed per window.
    pub payments_quota: u32,
    /// Process Payment window (ms).
    pub payments_window_ms: u64,
    /// Longest expected time from grant to arrival at the server (ms). Loopback needs a few ms;
    /// the internet a few hundred.
    pub transit_allowance_ms: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            payments_quota: PAYMENTS_QUOTA,
            payments_window_ms: PAYMENTS_WINDOW_MS,
            transit_allowance_ms: TRANSIT_ALLOWANCE_MS,
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

#[derive(Clone, Copy, Debug)]
struct Slot {
    ticket: u64,
    granted_at: u64,
    answered_at: Option<u64>,
}

/// The limiter state for one store. Share one across all flows of a store ([`SharedRateLimiter`]).
#[derive(Clone, Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    payment_slots: VecDeque<Slot>,
    next_ticket: u64,
    last_payment_grant: Option<u64>,
    payments_blocked_until: u64,
    management_left: Option<u64>,
    management_reset_at: u64,
    management_blocked_until: u64,
    /// Orders with a payment flow under way, by every session sharing this limiter (one store):
    /// see [`RateLimiter::claim_order`].
    orders_in_payment: Vec<u64>,
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
                ..config
            },
            payment_slots: VecDeque::new(),
            orders_in_payment: Vec::new(),
            next_ticket: 1,
            last_payment_grant: None,
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

    /// Claims `order_id` for one payment flow; `false` when another holds it. One payment per
    /// order at a time: two flows for one order could both reach Process Payment. It lives with
    /// the limiter because both are the store's state, shared by all of its flows.
    pub fn claim_order(&mut self, order_id: u64) -> bool {
        if self.orders_in_payment.contains(&order_id) {
            return false;
        }
        self.orders_in_payment.push(order_id);
        true
    }

    /// Releases a claim of [`claim_order`](Self::claim_order).
    pub fn release_order(&mut self, order_id: u64) {
        self.orders_in_payment.retain(|id| *id != order_id);
    }

    /// The settings.
    pub fn config(&self) -> RateLimitConfig {
        self.config
    }

    /// When the server's window has certainly let go of `slot`: one window after it arrived,
    /// which is no later than its answer and, by assumption, than grant + transit allowance.
    fn frees_at(&self, slot: &Slot) -> u64 {
        let arrived_by = slot.granted_at.saturating_add(self.config.transit_allowance_ms);
        slot.answered_at
            .map_or(arrived_by, |a| a.min(arrived_by))
            .saturating_add(self.config.payments_window_ms)
    }

    /// Asks to send one request of `class` at `now_ms`. `Ready` reserves a slot; hand its ticket
    /// to [`release`](Self::release) when the request's outcome is known.
    pub fn acquire(&mut self, class: LimitClass, now_ms: u64) -> Permit {
        match class {
            LimitClass::Payments => self.acquire_payment(now_ms),
            LimitClass::Management => self.acquire_management(now_ms),
        }
    }

    fn acquire_payment(&mut self, now_ms: u64) -> Permit {
        if now_ms < self.payments_blocked_until {
            return Permit::WaitUntil {
                at_ms: self.payments_blocked_until,
            };
        }
        let pace = self.config.payments_window_ms / u64::from(self.config.payments_quota) / 2;
        if let Some(last) = self.last_payment_grant {
            if now_ms < last.saturating_add(pace) {
                return Permit::WaitUntil { at_ms: last + pace };
            }
        }
        // Slots are kept in grant order. Evicting from the front is O(1) and nearly exact (slots
        // free in about the order they were granted); only when the window looks full is every
        // slot checked, which costs at most the quota.
        while self.payment_slots.front().is_some_and(|s| self.frees_at(s) <= now_ms) {
            self.payment_slots.pop_front();
        }
        if self.payment_slots.len() >= self.config.payments_quota as usize {
            let slots = std::mem::take(&mut self.payment_slots);
            self.payment_slots = slots.into_iter().filter(|s| self.frees_at(s) > now_ms).collect();
        }
        if self.payment_slots.len() >= self.config.payments_quota as usize {
            let earliest = self.payment_slots.iter().map(|s| self.frees_at(s)).min().unwrap_or(now_ms);
            return Permit::WaitUntil { at_ms: earliest };
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.last_payment_grant = Some(now_ms);
        self.payment_slots.push_back(Slot {
            ticket,
            granted_at: now_ms,
            answered_at: None,
        });
        Permit::Ready { ticket }
    }

    fn acquire_management(&mut self, now_ms: u64) -> Permit {
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
                Permit::Ready { ticket: 0 }
            }
            None => Permit::Ready { ticket: 0 },
        }
    }

    /// Reports that the request holding `ticket` was answered (or failed) at `now_ms`.
    pub fn release(&mut self, ticket: u64, now_ms: u64) {
        // Tickets increase with grant order and slots leave mostly from the front, so a ticket's
        // slot is nearly always as far from the front as its ticket is from the front's ticket:
        // one look, where a binary search through a window of a high quota's thousands of slots
        // missed the cache at each step.
        let guess = ticket.checked_sub(self.payment_slots.front().map_or(0, |s| s.ticket));
        let at = guess
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| self.payment_slots.get(i).is_some_and(|s| s.ticket == ticket));
        // Otherwise (slots freed out of order when the window looked full) the slots are still
        // sorted by ticket.
        if let Some(i) = at.or_else(|| self.payment_slots.binary_search_by_key(&ticket, |s| s.ticket).ok()) {
            self.payment_slots[i].answered_at.get_or_insert(now_ms);
        }
    }

    /// Learns from a response: the management budget headers, and any 429.
    pub fn observe(&mut self, endpoint: Endpoint, response: &HttpResponse, now_ms: u64) {
        let class = LimitClass::of(endpoint);
        let header_u64 = |name: &str| response.read_header(name).and_then(|v| v.trim().parse::<u64>().ok());
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
                    // The 429's own reset is the freshest word on the budget: block until then,
                    // and forget any older announcement (it may name a later window end).
                    self.management_blocked_until = self.management_blocked_until.max(until);
                    self.management_left = None;
                    self.management_reset_at = until;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Header;

    fn ready(p: Permit) -> u64 {
        match p {
            Permit::Ready { ticket } => ticket,
            other => panic!("expected Ready, got {other:?}"),
        }
    }

    fn limiter(quota: u32, window: u64, transit: u64) -> RateLimiter {
        RateLimiter::new(RateLimitConfig {
            payments_quota: quota,
            payments_window_ms: window,
            transit_allowance_ms: transit,
        })
    }

    #[test]
    fn a_slot_frees_one_window_after_its_answer() {
        // quota 3 per 600 ms: paced at 100 ms.
        let mut l = limiter(3, 600, 50);
        let a = ready(l.acquire(LimitClass::Payments, 0));
        assert_eq!(l.acquire(LimitClass::Payments, 10), Permit::WaitUntil { at_ms: 100 });
        let b = ready(l.acquire(LimitClass::Payments, 100));
        ready(l.acquire(LimitClass::Payments, 200));
        l.release(a, 20);
        l.release(b, 130);
        // Full: `a` was answered at 20, so the server had it by then.
        assert_eq!(l.acquire(LimitClass::Payments, 300), Permit::WaitUntil { at_ms: 620 });
        ready(l.acquire(LimitClass::Payments, 620));
    }

    #[test]
    fn an_answer_finds_its_slot_after_slots_freed_out_of_order() {
        // quota 3 per 600 ms (paced at 100 ms); unanswered slots hold for 2000 + 600 ms.
        let mut l = limiter(3, 600, 2000);
        ready(l.acquire(LimitClass::Payments, 0));
        let b = ready(l.acquire(LimitClass::Payments, 100));
        l.release(b, 110);
        let c = ready(l.acquire(LimitClass::Payments, 200));
        // Full at 720: only `b` (answered, free at 710) goes, from the middle of the slots.
        let d = ready(l.acquire(LimitClass::Payments, 720));
        l.release(c, 800);
        l.release(d, 1000);
        // `c` freed at 1400, so there is room at 1450; then `d`, answered at 1000, frees at 1600.
        // Had either answer been written to the other's slot, the wait would be for 2600.
        ready(l.acquire(LimitClass::Payments, 1450));
        assert_eq!(l.acquire(LimitClass::Payments, 1560), Permit::WaitUntil { at_ms: 1600 });
    }

    #[test]
    fn a_slow_answer_is_bounded_by_the_transit_allowance() {
        let mut l = limiter(1, 1000, 50);
        let t = ready(l.acquire(LimitClass::Payments, 0));
        // Unanswered (a gateway taking seconds): the server had it by 0 + 50.
        assert_eq!(l.acquire(LimitClass::Payments, 500), Permit::WaitUntil { at_ms: 1050 });
        l.release(t, 3000);
        ready(l.acquire(LimitClass::Payments, 1050));
    }

    /// A saturating batch in virtual time against a server that counts arrivals in a sliding
    /// window: the server never sees more than the quota in any window, and the limiter uses the
    /// quota to the full but for the server's own latency (the answer is the client's only proof
    /// of arrival). Deterministic: this is the throughput claim, which the HTTP test only reports.
    #[test]
    fn a_saturating_batch_never_overruns_and_uses_the_quota() {
        const REQUESTS: usize = 600;
        const WORKERS: usize = 16;
        let (quota, window) = (50u32, 4_000u64);
        let mut l = limiter(quota, window, 250);
        // Each worker: when it may next ask. Transit to the server varies 1..=40 ms; the answer
        // comes 25 ms after arrival.
        let mut next_ask = [0u64; WORKERS];
        let mut arrivals: Vec<u64> = Vec::new();
        let mut step = 0u64;
        while arrivals.len() < REQUESTS {
            let w = (0..WORKERS).min_by_key(|w| next_ask[*w]).unwrap();
            let now = next_ask[w];
            match l.acquire(LimitClass::Payments, now) {
                Permit::Ready { ticket } => {
                    step += 1;
                    let arrival = now + 1 + (step * 7919) % 40;
                    let answer = arrival + 25;
                    arrivals.push(arrival);
                    l.release(ticket, answer);
                    next_ask[w] = answer;
                }
                Permit::WaitUntil { at_ms } => {
                    assert!(at_ms > now, "a wait must move time forward");
                    next_ask[w] = at_ms;
                }
            }
        }
        arrivals.sort_unstable();
        let q = quota as usize;
        for k in q..arrivals.len() {
            assert!(
                arrivals[k] - arrivals[k - q] >= window,
                "{} arrivals within one window at {}",
                q + 1,
                arrivals[k]
            );
        }
        // At full use, arrival k + quota comes exactly one window after arrival k.
        let gaps = (0..arrivals.len() - q).map(|k| arrivals[k + q] - arrivals[k]);
        let mean_gap = gaps.sum::<u64>() as f64 / (arrivals.len() - q) as f64;
        let use_of_quota = window as f64 / mean_gap;
        assert!(use_of_quota >= 0.98, "uses {use_of_quota:.3} of the quota");
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
        ready(l.acquire(LimitClass::Management, 1001));
        assert_eq!(l.acquire(LimitClass::Management, 1002), Permit::WaitUntil { at_ms: 1500 });
        ready(l.acquire(LimitClass::Management, 1500));
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
    fn a_short_429_is_not_stretched_by_an_older_window_announcement() {
        let mut l = RateLimiter::default();
        let ok = HttpResponse::new(
            200,
            vec![
                Header::new("X-Rate-Limit-Requests-Left", "500"),
                Header::new("X-Rate-Limit-Time-Reset-Ms", "30000"),
            ],
            b"{}".to_vec(),
        );
        l.observe(Endpoint::GetOrder, &ok, 0);
        let burst = HttpResponse::new(429, vec![Header::new("X-Rate-Limit-Time-Reset-Ms", "100")], b"".to_vec());
        l.observe(Endpoint::GetOrder, &burst, 10);
        assert_eq!(l.acquire(LimitClass::Management, 50), Permit::WaitUntil { at_ms: 110 });
        ready(l.acquire(LimitClass::Management, 110));
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

impl crate::read::FromJson for RateLimitConfig {
    const EXPECTED: &'static str = "a rate limit object";
    fn from_json(v: &crate::read::Json<'_>, at: &crate::read::Path<'_>) -> Result<Self, crate::read::ShapeError> {
        let f = crate::read::Fields::of(v, at, Self::EXPECTED)?;
        let d = RateLimitConfig::default();
        Ok(RateLimitConfig {
            payments_quota: f.or("payments_quota", d.payments_quota)?,
            payments_window_ms: f.or("payments_window_ms", d.payments_window_ms)?,
            transit_allowance_ms: f.or("transit_allowance_ms", d.transit_allowance_ms)?,
        })
    }
}

crate::read::deserialize_with_reader!(RateLimitConfig);
