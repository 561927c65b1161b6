//! Renders every error, `Debug` and `Display` that payment scenarios produce — validation
//! failures, every vector response, every fault the in-memory store injects — and checks that no
//! card number, CVV, payment access token or API token appears in any of them.

mod support;

use bcpay_core::model::Payment;
use bcpay_core::rng::Entropy;
use bcpay_core::secret::{ApiToken, PatSecret};
use bcpay_core::{Action, Api, ClientConfig, FlowOptions, HttpResponse, PaymentFlow, RateLimiter};
use std::sync::Arc;
use support::{ALL_FAULTS, FakeStore, drive};

const PAN: &str = "4000056655665556";
const PAN_SPACED: &str = "4000 0566 5566 5556";
const CVV: &str = "918";
const API_TOKEN: &str = "sentinel-api-token-7f3a";
const STORED_TOKEN: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const NOW: u64 = 1_795_219_200_000;

fn api() -> Arc<Api> {
    Arc::new(Api::with_entropy(
        ClientConfig::new("abc123", ApiToken::new(API_TOKEN)).unwrap(),
        &mut Entropy::from_seed(5),
    ))
}

fn card_payment(number: &str, cvv: &str, month: i64) -> Payment {
    serde_json::from_value(serde_json::json!({
        "instrument": {"type": "card", "number": number, "cardholder_name": "Jane Doe", "expiry_month": month, "expiry_year": 2030, "verification_value": cvv},
        "payment_method_id": "stripe.card"
    }))
    .unwrap()
}

struct Renders {
    texts: Vec<String>,
    request_ids: Vec<String>,
}

impl Renders {
    fn add(&mut self, text: String) {
        self.texts.push(text);
    }

    fn check(&self, secrets: &[&str]) {
        assert!(self.texts.len() > 100, "too few renders to mean anything: {}", self.texts.len());
        for text in &self.texts {
            // Request ids are random hex and may contain the CVV's digits by chance.
            let mut cleaned = text.clone();
            for id in &self.request_ids {
                cleaned = cleaned.replace(id.as_str(), "<id>");
            }
            for secret in secrets {
                assert!(!cleaned.contains(secret), "secret {secret:?} leaked in: {text}");
            }
        }
    }
}

fn render_action(r: &mut Renders, action: &Action) {
    r.add(format!("{action:?}"));
    if let Action::Failed { error } = action {
        r.add(error.to_string());
        r.add(format!("{error:#?}"));
        r.add(serde_json::to_string(error).unwrap());
        if let Some(id) = &error.request_id {
            r.request_ids.push(id.0.clone());
        }
    }
}

#[test]
fn no_secret_in_any_rendering() {
    let mut r = Renders {
        texts: Vec::new(),
        request_ids: Vec::new(),
    };

    // Validation errors for every kind of bad card input.
    for (number, cvv, month) in [
        (PAN, "12", 13),
        (PAN_SPACED, "12345", 0),
        ("4000056655665557", CVV, 12),
        ("9000056655665556", CVV, 1),
    ] {
        let p = card_payment(number, cvv, month);
        r.add(format!("{p:?}"));
        let e = PaymentFlow::new(api(), 215, vec![p], FlowOptions::default(), NOW).unwrap_err();
        r.add(e.to_string());
        r.add(format!("{e:?}"));
        r.add(serde_json::to_string(&e).unwrap());
        for f in &e.field_errors {
            r.add(f.to_string());
        }
    }

    // Requests: every Debug of a real Process Payment request, with a real-looking PAT.
    let pat = support::jwt(NOW / 1000 + 3600, 215);
    let api = api();
    let req = api
        .build_process_payment(&PatSecret::new(pat.clone()), &card_payment(PAN, CVV, 12), NOW, None)
        .unwrap();
    r.request_ids.push(req.id.0.clone());
    r.add(format!("{req:?}"));
    r.add(format!("{req:#?}"));
    let token = bcpay_core::api::payment_access_token(PatSecret::new(pat.clone()), NOW);
    r.add(format!("{token:?}"));

    // A server that echoes the card number and token back in its error bodies.
    for status in [400u16, 401, 422, 500] {
        let body = format!(
            r#"{{"status":{status},"title":"Card {PAN} rejected","detail":"token {pat} card {PAN_SPACED}","type":"x","code":30102,"errors":{{"number":"{PAN} is invalid"}}}}"#
        );
        let e = api
            .parse_process_payment(&req.id, &HttpResponse::new(status, vec![], body.into_bytes()), "stripe.card")
            .unwrap_err();
        r.add(e.to_string());
        r.add(format!("{e:?}"));
        r.add(serde_json::to_string(&e).unwrap());
    }

    // Every fault, every step, card and stored card.
    for payment in [card_payment(PAN, CVV, 12), serde_json::from_value(serde_json::json!({"instrument": {"type": "stored_card", "token": STORED_TOKEN, "verification_value": CVV}, "payment_method_id": "stripe.card"})).unwrap()] {
        for fault in ALL_FAULTS {
            for position in 0..4 {
                let mut store = FakeStore::with_order(215, 1);
                let mut flow = PaymentFlow::with_limiter(api.clone(), RateLimiter::shared(Default::default()), Entropy::from_seed(1), 215, vec![payment.clone()], FlowOptions { reconcile_delay_ms: 1, max_attempts: 2, ..FlowOptions::default() }, NOW).unwrap();
                r.add(format!("{flow:?}"));
                let mut faults = (0..position).map(|_| support::Fault::None).chain(std::iter::repeat_n(fault, 3));
                let (action, _) = drive(&mut flow, &mut store, &mut faults, NOW);
                render_action(&mut r, &action);
                r.add(format!("{flow:?}"));
            }
        }
    }

    r.check(&[PAN, PAN_SPACED, CVV, &pat, API_TOKEN, STORED_TOKEN, "5556\""]);
}
