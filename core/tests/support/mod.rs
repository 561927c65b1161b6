//! An in-memory stand-in for the store, used to drive `PaymentFlow` in tests. It keeps a ledger
//! of every payment it commits, which is the oracle for "never double-charge".
#![allow(dead_code)]

use base64::Engine;
use bcpay_core::http::{Endpoint, Header, HttpRequest, HttpResponse, TransportFailure};
use bcpay_core::{Action, PaymentFlow};
use serde_json::{Value, json};
use std::collections::HashMap;

/// What happens to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    /// 429 with headers, nothing done.
    RateLimited,
    /// 500 and nothing done.
    ServerErrorBeforeCommit,
    /// The payment is committed, then 500 with code 10000.
    ServerErrorAfterCommit,
    /// Connection reset before the server acted.
    MaybeSentBeforeCommit,
    /// Connection reset after the server committed.
    MaybeSentAfterCommit,
    /// The server committed; the client timed out.
    TimedOutAfterCommit,
    /// The server never saw it.
    NotSent,
    /// An HTML page with status 200 (committed for payments).
    HtmlOkAfterCommit,
    /// 401 (token rejected), nothing done.
    Unauthorized,
    /// 422 decline 30102, nothing done.
    Declined,
}

pub const ALL_FAULTS: [Fault; 11] = [
    Fault::None,
    Fault::RateLimited,
    Fault::ServerErrorBeforeCommit,
    Fault::ServerErrorAfterCommit,
    Fault::MaybeSentBeforeCommit,
    Fault::MaybeSentAfterCommit,
    Fault::TimedOutAfterCommit,
    Fault::NotSent,
    Fault::HtmlOkAfterCommit,
    Fault::Unauthorized,
    Fault::Declined,
];

pub enum Outcome {
    Response(HttpResponse),
    Failure(TransportFailure),
}

#[derive(Default)]
pub struct FakeStore {
    /// order id → number of payments the order needs.
    pub orders: HashMap<u64, usize>,
    /// order id → committed payments' method ids.
    pub ledger: HashMap<u64, Vec<String>>,
    pub process_payment_requests: usize,
    pub requests: usize,
    /// order id → when each committed payment was committed (ms).
    pub committed_at: HashMap<u64, Vec<u64>>,
    /// How long (ms) a committed payment takes to show in the order's transactions and status:
    /// a slow ledger.
    pub ledger_lag_ms: u64,
}

/// A JWT that lives `lifetime_s` from `iat_s`.
pub fn jwt_lived(iat_s: u64, lifetime_s: u64, order_id: u64) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = e.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let exp_s = iat_s + lifetime_s;
    let payload = e.encode(json!({"exp": exp_s, "nbf": iat_s, "iat": iat_s, "iss": "payments.bigcommerce.com", "sub": "abc123", "jti": "j", "data": {"store_id": 1, "order_id": order_id, "amount": 6098, "currency": "USD"}}).to_string());
    format!("{header}.{payload}.c2ln")
}

pub fn jwt(exp_s: u64, order_id: u64) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = e.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let payload = e.encode(json!({"exp": exp_s, "nbf": exp_s - 3600, "iat": exp_s - 3600, "iss": "payments.bigcommerce.com", "sub": "abc123", "jti": "j", "data": {"store_id": 1, "order_id": order_id, "amount": 6098, "currency": "USD"}}).to_string());
    format!("{header}.{payload}.c2ln")
}

fn json_response(status: u16, body: Value) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![Header::new("Content-Type", "application/json")],
        serde_json::to_vec(&body).unwrap(),
    )
}

fn order_id_from_url(url: &str) -> u64 {
    if let Some(q) = url.split("order_id=").nth(1) {
        return q.split('&').next().unwrap().parse().unwrap();
    }
    let parts: Vec<&str> = url.split('/').collect();
    match parts.iter().position(|p| *p == "orders") {
        Some(i) => parts[i + 1].split('?').next().unwrap().parse().unwrap(),
        None => 0,
    }
}

impl FakeStore {
    pub fn with_order(order_id: u64, payments_needed: usize) -> FakeStore {
        let mut s = FakeStore::default();
        s.orders.insert(order_id, payments_needed);
        s
    }

    pub fn paid(&self, order_id: u64) -> usize {
        self.ledger.get(&order_id).map_or(0, Vec::len)
    }

    /// Payments visible at `now_ms` in the order's transactions and status.
    fn visible(&self, order_id: u64, now_ms: u64) -> usize {
        self.committed_at
            .get(&order_id)
            .map_or(0, |at| at.iter().filter(|t| **t + self.ledger_lag_ms <= now_ms).count())
    }

    fn status_id(&self, order_id: u64, now_ms: u64) -> i64 {
        let paid = self.visible(order_id, now_ms);
        let needed = self.orders[&order_id];
        if paid == 0 {
            0
        } else if paid < needed {
            1
        } else {
            11
        }
    }

    /// Answers `request` at `now_ms` under `fault`.
    pub fn handle(&mut self, request: &HttpRequest, fault: Fault, now_ms: u64) -> Outcome {
        self.requests += 1;
        if request.endpoint == Endpoint::ProcessPayment {
            self.process_payment_requests += 1;
        }
        match fault {
            Fault::NotSent => return Outcome::Failure(TransportFailure::NotSent),
            Fault::MaybeSentBeforeCommit => return Outcome::Failure(TransportFailure::MaybeSent),
            Fault::RateLimited => {
                return Outcome::Response(HttpResponse::new(
                    429,
                    vec![Header::new("X-Rate-Limit-Time-Reset-Ms", "700"), Header::new("X-Retry-After", "1")],
                    b"{\"status\":429,\"title\":\"Too many requests\",\"type\":\"x\"}".to_vec(),
                ));
            }
            Fault::ServerErrorBeforeCommit => {
                return Outcome::Response(json_response(
                    503,
                    json!({"status": 503, "title": "Service Unavailable", "type": "x"}),
                ));
            }
            _ => {}
        }
        let order_id = order_id_from_url(&request.url);
        let response = match request.endpoint {
            Endpoint::GetPaymentMethods => json_response(
                200,
                json!({"data": [
                {"id": "stripe.card", "name": "Stripe", "test_mode": true, "type": "card",
                 "supported_instruments": [{"instrument_type": "VISA", "verification_value_required": true}, {"instrument_type": "MASTERCARD", "verification_value_required": true}, {"instrument_type": "STORED_CARD", "verification_value_required": false}],
                 "stored_instruments": [{"type": "stored_card", "brand": "VISA", "expiry_month": 1, "expiry_year": 2030, "issuer_identification_number": "424242", "last_4": "4242", "token": "a".repeat(64), "is_default": true}]},
                {"id": "bigcommerce.gift_certificate", "name": "Gift Certificate", "test_mode": false, "type": "gift_certificate", "supported_instruments": [], "stored_instruments": []}
            ], "meta": {}}),
            ),
            Endpoint::CreatePaymentAccessToken => {
                let body: Value = serde_json::from_slice(request.body.as_ref().unwrap()).unwrap();
                let order_id = body["order"]["id"].as_u64().unwrap();
                json_response(201, json!({"data": {"id": jwt(now_ms / 1000 + 3600, order_id)}, "meta": {}}))
            }
            Endpoint::ProcessPayment => {
                let body: Value = serde_json::from_slice(request.body.as_ref().unwrap()).unwrap();
                let auth = request.header("authorization").unwrap();
                let token = auth.strip_prefix("PAT ").unwrap();
                let payload = token.split('.').nth(1).unwrap();
                let claims: Value =
                    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
                let order_id = claims["data"]["order_id"].as_u64().unwrap();
                if fault == Fault::Unauthorized {
                    return Outcome::Response(json_response(401, json!({"status": 401, "title": "Unauthorized", "type": "x"})));
                }
                if fault == Fault::Declined {
                    return Outcome::Response(json_response(
                        422,
                        json!({"status": 422, "title": "Your card details could not be verified.", "type": "x", "code": 30102}),
                    ));
                }
                if self.status_id(order_id, now_ms) == 11 {
                    return Outcome::Response(json_response(
                        422,
                        json!({"status": 422, "title": "Order is invalid.", "type": "x", "code": 30101}),
                    ));
                }
                let method = body["payment"]["payment_method_id"].as_str().unwrap().to_owned();
                self.ledger.entry(order_id).or_default().push(method);
                self.committed_at.entry(order_id).or_default().push(now_ms);
                match fault {
                    Fault::ServerErrorAfterCommit => json_response(
                        500,
                        json!({"status": 500, "title": "We're experiencing difficulty processing your transaction.", "type": "x", "code": 10000}),
                    ),
                    Fault::MaybeSentAfterCommit => return Outcome::Failure(TransportFailure::MaybeSent),
                    Fault::TimedOutAfterCommit => return Outcome::Failure(TransportFailure::TimedOut),
                    Fault::HtmlOkAfterCommit => HttpResponse::new(200, vec![], b"<html><body>OK</body></html>".to_vec()),
                    _ => json_response(
                        201,
                        json!({"data": {"id": format!("tx-{}", self.requests), "status": "success", "transaction_type": "purchase"}}),
                    ),
                }
            }
            Endpoint::GetOrderTransactions => {
                let visible = self.visible(order_id, now_ms);
                let txs: Vec<Value> = self.ledger.get(&order_id).cloned().unwrap_or_default().iter().take(visible).enumerate().map(|(i, m)| json!({
                    "id": i + 1, "order_id": order_id.to_string(), "event": "purchase", "method": "credit_card", "amount": 10.5, "currency": "USD", "gateway": "stripe", "status": "ok", "test": true, "payment_method_id": m
                })).collect();
                if txs.is_empty() {
                    HttpResponse::new(204, vec![], Vec::new())
                } else {
                    json_response(
                        200,
                        json!({"data": txs, "meta": {"pagination": {"total": txs.len(), "count": txs.len(), "per_page": 250, "current_page": 1, "total_pages": 1}}}),
                    )
                }
            }
            Endpoint::GetOrder => json_response(
                200,
                json!({"id": order_id, "status_id": self.status_id(order_id, now_ms), "status": "x", "payment_status": "", "customer_id": 0, "total_inc_tax": "60.9800", "currency_code": "USD"}),
            ),
            other => panic!("unexpected endpoint {other}"),
        };
        if fault == Fault::HtmlOkAfterCommit && request.endpoint != Endpoint::ProcessPayment {
            return Outcome::Response(HttpResponse::new(200, vec![], b"<html>".to_vec()));
        }
        Outcome::Response(response)
    }
}

/// Answers `request` from `store` under `fault` at `now_ms`, and reports the outcome to `flow`.
pub fn deliver(flow: &mut PaymentFlow, store: &mut FakeStore, request: &HttpRequest, fault: Fault, now_ms: u64) {
    match store.handle(request, fault, now_ms) {
        Outcome::Response(r) => flow.on_response(&request.id, &r, now_ms),
        Outcome::Failure(f) => flow.on_transport_failure(&request.id, f, None, now_ms),
    }
}

/// Runs `flow` to the end against `store`, drawing each request's fault from `faults` (then
/// `Fault::None`). Returns the final action and the number of polls.
pub fn drive(flow: &mut PaymentFlow, store: &mut FakeStore, faults: &mut dyn Iterator<Item = Fault>, start_ms: u64) -> (Action, u64) {
    let mut now = start_ms;
    for _ in 0..100_000 {
        match flow.poll(now) {
            Action::Send { request } => {
                now += 5;
                deliver(flow, store, &request, faults.next().unwrap_or(Fault::None), now);
            }
            Action::Wait { until_ms } => {
                assert!(until_ms > now, "Wait must be in the future");
                now = until_ms;
            }
            Action::Awaiting { .. } => panic!("the driver always reports outcomes"),
            done @ (Action::Done { .. } | Action::Failed { .. }) => return (done, now),
        }
    }
    panic!("flow did not terminate");
}

/// Like [`drive`], for a host that sends every request the flow hands out before reporting any
/// (polling again after each `Send`), then reports them newest first (`newest_first`) or in the
/// order sent. Checks that Process Payment always goes out alone.
pub fn drive_concurrent(
    flow: &mut PaymentFlow,
    store: &mut FakeStore,
    faults: &mut dyn Iterator<Item = Fault>,
    start_ms: u64,
    newest_first: bool,
) -> (Action, u64) {
    let mut now = start_ms;
    let mut out: Vec<HttpRequest> = Vec::new();
    for _ in 0..100_000 {
        match flow.poll(now) {
            Action::Send { request } => {
                assert!(out.len() < 2, "at most two requests at once: {out:?}");
                if request.endpoint == Endpoint::ProcessPayment || out.iter().any(|r| r.endpoint == Endpoint::ProcessPayment) {
                    assert!(out.is_empty(), "Process Payment goes out alone, not beside {out:?}");
                }
                out.push(request);
            }
            Action::Awaiting { request_id } => {
                assert!(out.iter().any(|r| r.id == request_id), "awaiting a request not out");
                let request = if newest_first { out.pop().unwrap() } else { out.remove(0) };
                now += 5;
                deliver(flow, store, &request, faults.next().unwrap_or(Fault::None), now);
            }
            Action::Wait { until_ms } => {
                assert!(out.is_empty(), "Wait while {out:?} is out: the host would not hear of it");
                assert!(until_ms > now, "Wait must be in the future");
                now = until_ms;
            }
            done @ (Action::Done { .. } | Action::Failed { .. }) => return (done, now),
        }
    }
    panic!("flow did not terminate");
}
