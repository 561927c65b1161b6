//! What an operation did and decided, as events for hosts' hooks and logs.
//!
//! A host that wants to watch calls [`Operation::observe`](crate::session::Operation::observe)
//! once, then drains [`Operation::take_events`](crate::session::Operation::take_events) after
//! each poll and hands the events to its user (stripe-node's `on('request' | 'response')`,
//! Python's `logging`, Rust's `tracing`, a Kotlin or Swift listener). The events are written here,
//! by the flows that decide, so every host reports the same requests, responses and decisions in
//! the same words; an operation nobody observes records nothing and formats nothing.
//!
//! No event holds a secret: requests are reported by endpoint, method and URL (BigCommerce's URLs
//! carry a store hash and order ids, never a token; the tokens travel in headers, which events
//! leave out), responses by status, and a transport error's text passes [`scrub_cause`] first.

use crate::error::PaymentError;
use crate::http::{Endpoint, HttpRequest, HttpResponse, Method, RequestId, TransportFailure};
use serde::Serialize;

/// One thing an operation did or decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FlowEvent {
    /// A request goes out (the host sends it next).
    Request {
        /// The call.
        endpoint: Endpoint,
        /// Matches the request's response and errors.
        request_id: RequestId,
        /// `GET` or `POST`.
        method: Method,
        /// The absolute URL (no secret: those are in headers).
        url: String,
        /// 1 for the first send of this call (of this payment, for Process Payment), 2 for the
        /// first retry, …
        attempt: u32,
    },
    /// A response came in.
    Response {
        /// The call.
        endpoint: Endpoint,
        /// The request answered.
        request_id: RequestId,
        /// The HTTP status.
        status: u16,
        /// Time from the send to the response, by the host's clock.
        elapsed_ms: u64,
        /// As in `Request`.
        attempt: u32,
        /// The server's id of the exchange, when it sent one ([`CORRELATION_HEADERS`]): the
        /// id to quote to BigCommerce.
        server_request_id: Option<String>,
    },
    /// The request got no response.
    TransportFailure {
        /// The call.
        endpoint: Endpoint,
        /// The request that failed.
        request_id: RequestId,
        /// Whether it may have reached the server.
        failure: TransportFailure,
        /// The host's or the OS's words for it (scrubbed), when the host gave them.
        cause: Option<String>,
        /// Time from the send to the failure.
        elapsed_ms: u64,
        /// As in `Request`.
        attempt: u32,
    },
    /// What the operation does next, and why.
    Decision {
        /// The choice.
        decision: Decision,
        /// Why, in a sentence.
        reason: String,
        /// How long (ms) the operation waits before its next request, when it waits.
        wait_ms: Option<u64>,
    },
}

/// A choice an operation makes after an answer (or before a send).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Hold the next request: the store's rate-limit budget is spent.
    Wait,
    /// Send the call again (or a new token first), after `wait_ms`.
    Retry,
    /// Read the order and its transactions to learn what happened to a payment.
    Reconcile,
    /// A reconciliation found the payment recorded: it counts as taken.
    Settled,
    /// Stop with an error.
    GiveUp,
    /// Finish with the operation's output.
    Done,
}

impl Decision {
    /// The wire name (`give_up`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Wait => "wait",
            Decision::Retry => "retry",
            Decision::Reconcile => "reconcile",
            Decision::Settled => "settled",
            Decision::GiveUp => "give_up",
            Decision::Done => "done",
        }
    }
}

/// Response headers that name the exchange on the server's side, in the order they are looked
/// for. BigCommerce documents none for these APIs; these are the names proxies and gateways in
/// front of it commonly add, kept so a user has something to quote.
pub const CORRELATION_HEADERS: [&str; 3] = ["x-request-id", "x-correlation-id", "cf-ray"];

/// The longest server request id kept (characters).
pub const MAX_CORRELATION_ID_CHARS: usize = 128;

/// The server's id of the exchange in `response` ([`CORRELATION_HEADERS`]), if it looks like
/// one: 1–128 visible ASCII characters, holding none of `secrets` (a server that echoes a
/// request's headers must not put a token into an event). Anything else is left out.
pub(crate) fn correlation_id(response: &HttpResponse, secrets: &[&str]) -> Option<String> {
    let value = CORRELATION_HEADERS.iter().find_map(|h| response.read_header(h))?;
    let plausible = !value.is_empty() && value.len() <= MAX_CORRELATION_ID_CHARS && value.bytes().all(|b| b.is_ascii_graphic());
    // Bytes, not `str::contains`: its searcher costs the npm module ~4 KB (see `scrub_cause`).
    let secret = secrets
        .iter()
        .any(|s| s.len() >= 4 && value.as_bytes().windows(s.len()).any(|w| w == s.as_bytes()));
    (plausible && !secret).then(|| value.to_owned())
}

/// The longest cause text an event or error carries (characters).
pub const MAX_CAUSE_CHARS: usize = 200;

/// A transport error's text made safe to show: every secret in `secrets` replaced, control
/// characters turned to spaces, cut to [`MAX_CAUSE_CHARS`]. Libraries put URLs, addresses and
/// sometimes headers in their messages; the store's token and a payment token must not follow.
pub fn scrub_cause(cause: &str, secrets: &[&str]) -> String {
    // By hand, byte by byte, rather than `str::replace` and `trim_end`: their searchers and
    // panic paths cost the npm module more than this whole module.
    let secrets: Vec<&[u8]> = secrets.iter().filter(|s| s.len() >= 4).map(|s| s.as_bytes()).collect();
    let bytes = cause.as_bytes();
    let (mut out, mut chars, mut kept, mut at) = (String::new(), 0, 0, 0);
    while at < bytes.len() && chars < MAX_CAUSE_CHARS {
        if let Some(secret) = secrets.iter().find(|s| bytes[at..].starts_with(s)) {
            out.push_str("[redacted]");
            at += secret.len();
            chars += 1;
            kept = out.len();
            continue;
        }
        let Some(c) = cause.get(at..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        at += c.len_utf8();
        chars += 1;
        if c.is_control() || c.is_whitespace() {
            out.push(' ');
        } else {
            out.push(c);
            kept = out.len();
        }
    }
    // Trailing spaces go: `kept` is the end of the last visible character.
    out.truncate(kept);
    out
}

/// What a flow records: nothing until [`start`](Self::start); then its events, and the requests in
/// flight (to time them).
#[derive(Debug, Default)]
pub(crate) struct Trace {
    events: Option<Vec<FlowEvent>>,
    /// The requests in flight (two at most: a payment's methods and token): id, endpoint, when
    /// it was sent, its attempt.
    sent: [Option<(RequestId, Endpoint, u64, u32)>; 2],
    /// The last wait reported, so a host polling again during it does not report it twice.
    last_wait_until: u64,
}

impl Trace {
    /// Records from now on.
    pub(crate) fn start(&mut self) {
        self.events.get_or_insert_with(Vec::new);
    }

    /// The events recorded since the last call.
    pub(crate) fn take(&mut self) -> Vec<FlowEvent> {
        self.events.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn push(&mut self, event: impl FnOnce() -> FlowEvent) {
        if let Some(events) = &mut self.events {
            events.push(event());
        }
    }

    /// `request` goes out as attempt `attempt` at `now_ms`.
    pub(crate) fn request(&mut self, request: &HttpRequest, attempt: u32, now_ms: u64) {
        if self.events.is_none() {
            return;
        }
        // A slot that is free, else the older one: a request the flow gave up on (a cancelled
        // call) is never answered.
        let slot = usize::from(self.sent[0].is_some() && self.sent[1].is_none());
        self.sent[slot] = Some((request.id.clone(), request.endpoint, now_ms, attempt));
        self.push(|| FlowEvent::Request {
            endpoint: request.endpoint,
            request_id: request.id.clone(),
            method: request.method,
            url: request.url.clone(),
            attempt,
        });
    }

    fn answered(&mut self, id: &RequestId, now_ms: u64) -> Option<(Endpoint, u64, u32)> {
        let slot = self.sent.iter_mut().find(|s| s.as_ref().is_some_and(|(sent, ..)| sent == id))?;
        let (_, endpoint, sent_at, attempt) = slot.take()?;
        Some((endpoint, now_ms.saturating_sub(sent_at), attempt))
    }

    /// The response to `id` came in at `now_ms`; `secrets` may not appear in what is kept of it.
    pub(crate) fn response(&mut self, id: &RequestId, response: &HttpResponse, secrets: &[&str], now_ms: u64) {
        let Some((endpoint, elapsed_ms, attempt)) = self.answered(id, now_ms) else {
            return;
        };
        self.push(|| FlowEvent::Response {
            endpoint,
            request_id: id.clone(),
            status: response.status,
            elapsed_ms,
            attempt,
            server_request_id: correlation_id(response, secrets),
        });
    }

    /// Request `id` failed at `now_ms`; `cause` is already scrubbed.
    pub(crate) fn failure(&mut self, id: &RequestId, failure: TransportFailure, cause: Option<&str>, now_ms: u64) {
        let Some((endpoint, elapsed_ms, attempt)) = self.answered(id, now_ms) else {
            return;
        };
        self.push(|| FlowEvent::TransportFailure {
            endpoint,
            request_id: id.clone(),
            failure,
            cause: cause.map(str::to_owned),
            elapsed_ms,
            attempt,
        });
    }

    /// The flow chose `decision` for `reason` (formatted only when someone watches). A reason
    /// quotes server text (an error's title); on one line, it cannot forge a log line.
    pub(crate) fn decide(&mut self, decision: Decision, wait_ms: Option<u64>, reason: impl FnOnce() -> String) {
        self.push(|| FlowEvent::Decision {
            decision,
            reason: reason().chars().map(|c| if c.is_control() { ' ' } else { c }).collect(),
            wait_ms,
        });
    }

    /// The flow sends its request again after `error`, waiting `wait_ms` first (`None`: as long
    /// as the limiter says).
    pub(crate) fn retry(&mut self, wait_ms: Option<u64>, error: &PaymentError) {
        self.decide(Decision::Retry, wait_ms, || error.to_string());
    }

    /// The flow stops with `error`.
    pub(crate) fn give_up(&mut self, error: &PaymentError) {
        self.decide(Decision::GiveUp, None, || error.to_string());
    }

    /// The limiter holds the next request of `endpoint` until `until_ms` (reported once per wait).
    pub(crate) fn limiter_wait(&mut self, endpoint: Endpoint, until_ms: u64, now_ms: u64) {
        if self.events.is_none() || self.last_wait_until == until_ms {
            return;
        }
        self.last_wait_until = until_ms;
        self.decide(Decision::Wait, Some(until_ms.saturating_sub(now_ms)), || {
            joined(&["the store's rate-limit budget for ", endpoint.as_str(), " is spent"])
        });
    }
}

/// `what`, because of `error` (its one-line text).
pub(crate) fn because(what: &str, error: &PaymentError) -> String {
    joined(&[what, ", after ", &error.to_string()])
}

/// `parts` end to end. By hand: `format!` or `concat` per reason costs the npm module more than
/// the reasons themselves.
pub(crate) fn joined(parts: &[&str]) -> String {
    let mut text = String::new();
    for part in parts {
        text.push_str(part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_lose_secrets_and_control_characters_and_are_cut() {
        let text = "connect failed\r\nX-Auth-Token: tok-1234 for https://api.example/stores/abc";
        assert_eq!(
            scrub_cause(text, &["tok-1234", "pat"]),
            "connect failed  X-Auth-Token: [redacted] for https://api.example/stores/abc"
        );
        assert_eq!(scrub_cause(&"é".repeat(500), &[]).chars().count(), MAX_CAUSE_CHARS);
    }

    #[test]
    fn a_server_request_id_is_kept_only_when_it_looks_like_one() {
        let with = |name: &str, value: &str| HttpResponse::new(404, vec![crate::http::Header::new(name, value)], Vec::new());
        assert_eq!(
            correlation_id(&with("X-Request-Id", "bc-7f3a-91"), &[]).as_deref(),
            Some("bc-7f3a-91")
        );
        assert_eq!(
            correlation_id(&with("cf-ray", "8a1b2c3d4e5f-ORD"), &[]).as_deref(),
            Some("8a1b2c3d4e5f-ORD")
        );
        assert_eq!(correlation_id(&with("x-request-id", "two words"), &[]), None);
        assert_eq!(
            correlation_id(&with("x-request-id", &"x".repeat(MAX_CORRELATION_ID_CHARS + 1)), &[]),
            None
        );
        // A server echoing a request's headers cannot put the token into an event.
        assert_eq!(correlation_id(&with("x-request-id", "id-tok-1234"), &["tok-1234"]), None);
        assert_eq!(correlation_id(&with("x-other", "bc-1"), &[]), None);
    }

    #[test]
    fn decision_names_are_the_serde_names() {
        use Decision::*;
        for d in [Wait, Retry, Reconcile, Settled, GiveUp, Done] {
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
    }

    #[test]
    fn a_reason_quoting_server_text_stays_on_one_line() {
        let mut trace = Trace::default();
        trace.start();
        let mut error = PaymentError::new(crate::error::ErrorKind::Server, "Bad\r\nbcpay decision done: forged");
        error.status = Some(503);
        trace.give_up(&error);
        let events: [FlowEvent; 1] = trace.take().try_into().unwrap();
        let [FlowEvent::Decision { reason, .. }] = events else {
            panic!("one decision")
        };
        assert!(!reason.contains('\n') && !reason.contains('\r'), "{reason}");
    }

    #[test]
    fn an_unobserved_trace_records_nothing() {
        let mut trace = Trace::default();
        trace.decide(Decision::Done, None, || unreachable!("not formatted when nobody watches"));
        assert!(trace.take().is_empty());
        trace.start();
        trace.decide(Decision::Done, None, || "finished".into());
        assert_eq!(trace.take().len(), 1);
        assert!(trace.take().is_empty());
    }
}
