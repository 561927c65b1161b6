//! The relay end to end: the app's half (card form, request envelope, outcome) is the core's, run
//! here without a client or a token; the server's half is `Client::pay_from_app` against the
//! sandbox over real HTTP.

use bcpay::model::{CardForm, Payment};
use bcpay::relay::{self, PaymentRequest};
use bcpay::{ErrorKind, FlowOptions, RetryAdvice, now_ms, validate};
use bcpay_sandbox::{Sandbox, SandboxConfig};
use common::{charges, client, order};
use serde_json::json;

mod common;

fn card(number: &str) -> Payment {
    serde_json::from_value(
        json!({"payment_method_id": "stripe.card", "instrument": {"type": "card", "number": number,
        "cardholder_name": "Jane Doe", "expiry_month": 12, "expiry_year": 2030, "verification_value": "123"}}),
    )
    .unwrap()
}

/// What an app sends: built and validated on the device.
fn app_request(order_id: u64, payment: Payment) -> Vec<u8> {
    let request = PaymentRequest {
        order_id,
        payments: vec![payment],
        time_budget_ms: Some(30_000),
    };
    assert_eq!(request.problems(now_ms()), vec![]);
    request.to_body().to_vec()
}

#[tokio::test]
async fn an_app_pays_through_its_server() {
    let sandbox = Sandbox::start(SandboxConfig::default(), 0).await.unwrap();
    let options = FlowOptions {
        settle_window_ms: 600,
        reconcile_delay_ms: 100,
        ..FlowOptions::default()
    };
    let server = client(&sandbox, 10_000, options);

    // A card: paid once, the receipt intact.
    let o = order(&server, 0, 30.0).await;
    let outcome = server.pay_from_app(&app_request(o, card("4242424242424242")), Some(o)).await;
    let receipt = relay::read_outcome(outcome.as_bytes()).unwrap();
    assert_eq!((receipt.order_id, receipt.payments.len()), (o, 1));
    assert_eq!(charges(&sandbox, o), 1);

    // A stored card (the methods the server passed to the app list the shopper's tokens).
    let o = order(&server, 11, 30.0).await;
    let methods = server.get_payment_methods(&bcpay::MethodsQuery::OrderId(o)).await.unwrap();
    let token = methods[0].stored_instruments[0].token.expose().to_owned();
    let stored: Payment = serde_json::from_value(json!({"payment_method_id": "stripe.card",
        "instrument": {"type": "stored_card", "token": token, "verification_value": "123"}}))
    .unwrap();
    let outcome = server.pay_from_app(&app_request(o, stored), Some(o)).await;
    assert!(relay::read_outcome(outcome.as_bytes()).is_ok(), "{outcome}");
    assert!(!outcome.contains(&token), "the outcome repeats no instrument token");

    // A decline: the shopper message arrives as the server's flow wrote it.
    let o = order(&server, 0, 30.0).await;
    let outcome = server.pay_from_app(&app_request(o, card("4000000000009995")), Some(o)).await;
    let error = relay::read_outcome(outcome.as_bytes()).unwrap_err();
    assert_eq!((error.kind, error.code), (ErrorKind::Declined, Some(30106)));
    assert!(error.shopper_message.contains("insufficient funds"), "{}", error.shopper_message);
    assert!(!error.needs_confirmation());

    // Gateway trouble that stays unrecorded: ambiguous, never paid again.
    let o = order(&server, 0, 30.0).await;
    let outcome = server.pay_from_app(&app_request(o, card("4000000000003063")), Some(o)).await;
    assert!(outcome.contains(r#""payment_may_have_been_taken":true"#), "{outcome}");
    let error = relay::read_outcome(outcome.as_bytes()).unwrap_err();
    assert_eq!((error.kind, error.retry), (ErrorKind::AmbiguousOutcome, RetryAdvice::Reconcile));

    // Another order than the one checked out, and options the app may not set, are refused.
    let other = order(&server, 0, 30.0).await;
    let error = relay::read_outcome(
        server
            .pay_from_app(&app_request(other, card("4242424242424242")), Some(o))
            .await
            .as_bytes(),
    )
    .unwrap_err();
    assert_eq!(
        (error.kind, error.field_errors[0].code.as_str()),
        (ErrorKind::Validation, "order_mismatch")
    );
    let sneaky = format!(
        r#"{{"type":"bcpay.payment_request","version":1,"order_id":{other},"payments":[],"options":{{"resend_when_unrecorded":true}}}}"#
    );
    let error = relay::read_outcome(server.pay_from_app(sneaky.as_bytes(), None).await.as_bytes()).unwrap_err();
    assert_eq!(error.field_errors[0].path, "options.resend_when_unrecorded");
    assert_eq!(charges(&sandbox, other), 0);
}

#[test]
fn the_device_catches_a_bad_card_before_any_request() {
    let form: CardForm = serde_json::from_value(json!({"number": "4242 4242 4242 4241", "cardholder_name": "Jane Doe",
        "expiry_month": "12", "expiry_year": "30", "verification_value": "123"}))
    .unwrap();
    // As typed: a Visa may still be 19 digits long, so the number is incomplete, not wrong yet.
    let check = validate::check_card_form(&form, now_ms(), None);
    assert!(!check.complete);
    // Submitted: the request's own validation names the field; nothing is sent.
    let request = PaymentRequest {
        order_id: 215,
        payments: vec![card("4242424242424241")],
        time_budget_ms: None,
    };
    let problems = request.problems(now_ms());
    assert_eq!(problems[0].path, "payment.instrument.number");
    assert_eq!(problems[0].code, "luhn_check_failed");
}
