//! What a user watching the Rust client sees: `tracing` events with target `bcpay` and the
//! `on_event` listener, for a real payment over HTTP. No event or log line holds a secret.
//!
//! One test per file: `tracing` caches whether a callsite is wanted the first time it is hit, so
//! a test on another thread without this subscriber would hide events from it.

use bcpay::model::Payment;
use bcpay::{FlowEvent, FlowOptions};
use bcpay_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};

mod common;

/// A `tracing` subscriber that keeps every `bcpay` event as a line: its level, then its fields.
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "bcpay"
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(event.metadata().level().to_string());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn card() -> Payment {
    serde_json::from_value(
        json!({"instrument": {"type": "card", "number": "4242424242424242", "cardholder_name": "Jane Doe",
        "expiry_month": 12, "expiry_year": 2030, "verification_value": "737"}, "payment_method_id": "stripe.card"}),
    )
    .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn a_payment_is_reported_to_tracing_and_the_listener_without_secrets() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    // The test runs on one thread, so the thread's default subscriber sees every event.
    let _guard = tracing::subscriber::set_default(Capture(Arc::clone(&lines)));
    let sandbox = Sandbox::start(SandboxConfig::default(), 0).await.unwrap();
    let events = Arc::new(Mutex::new(Vec::<FlowEvent>::new()));
    let seen = Arc::clone(&events);
    let client = common::client(&sandbox, 10_000, FlowOptions::default()).on_event(move |e| seen.lock().unwrap().push(e.clone()));
    let order_id = common::order(&client, 0, 20.0).await;
    events.lock().unwrap().clear();
    lines.lock().unwrap().clear();

    client.pay(order_id, vec![card()]).await.unwrap();

    let events = events.lock().unwrap().clone();
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match e {
            FlowEvent::Request { endpoint, .. } => format!("request {endpoint}"),
            FlowEvent::Response { endpoint, status, .. } => format!("response {endpoint} {status}"),
            FlowEvent::TransportFailure { endpoint, .. } => format!("transport_failure {endpoint}"),
            FlowEvent::Decision { decision, .. } => format!("{decision:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "request get_payment_methods",
            "request create_payment_access_token",
            "response get_payment_methods 200",
            "response create_payment_access_token 201",
            "request process_payment",
            "response process_payment 201",
            "Done"
        ]
    );
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines.len(), events.len(), "{lines:#?}");
    assert!(
        lines[0].starts_with("DEBUG") && lines[0].contains("endpoint=\"get_payment_methods\""),
        "{}",
        lines[0]
    );
    assert!(lines[2].contains("status=200") && lines[2].contains("elapsed_ms="), "{}", lines[2]);
    assert!(lines[6].starts_with("INFO") && lines[6].contains("decision=Done"), "{}", lines[6]);
    let everything = format!("{lines:?} {events:?} {}", serde_json::to_string(&events).unwrap());
    for secret in [sandbox.api_token().as_str(), "4242424242424242", "737", "eyJ"] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }
}
