//! End to end over real HTTP against the sandbox: every instrument type, every test card, the
//! payment actions, and reconciliation of a real timeout.

use bcpay::api::MethodsQuery;
use bcpay::model::*;
use bcpay::secret::ApiToken;
use bcpay::{Client, ClientConfig, ErrorKind, FlowOptions, ReqwestTransport, RetryAdvice};
use bcpay_sandbox::{Faults, Sandbox, SandboxConfig};
use common::{charges, client as client_for, order};
use serde_json::{Value, json};

mod common;

struct Env {
    sandbox: Sandbox,
    client: Client<ReqwestTransport>,
}

async fn env() -> Env {
    let sandbox = Sandbox::start(SandboxConfig::default(), 0).await.unwrap();
    let client = client_for(&sandbox, 10_000, FlowOptions::default());
    Env { sandbox, client }
}

fn pay(instrument: Value, method: &str) -> Payment {
    serde_json::from_value(json!({"instrument": instrument, "payment_method_id": method})).unwrap()
}

fn card(number: &str) -> Value {
    let cvv = if number.starts_with("37") { "1234" } else { "123" };
    json!({"type": "card", "number": number, "cardholder_name": "Jane Doe", "expiry_month": 12, "expiry_year": 2030, "verification_value": cvv})
}

async fn stored(client: &Client<ReqwestTransport>, order_id: u64, method: &str, kind: &str, email: Option<&str>) -> String {
    let methods = client.get_payment_methods(&MethodsQuery::OrderId(order_id)).await.unwrap();
    let m = methods.iter().find(|m| m.id == method).unwrap();
    m.stored_instruments
        .iter()
        .find(|s| s.instrument_type == kind && (email.is_none() || s.email.as_deref() == email))
        .unwrap()
        .token
        .expose()
        .to_owned()
}

#[tokio::test]
async fn every_instrument_type() {
    let Env { sandbox, client } = env().await;

    let o = order(&client, 0, 50.0).await;
    let r = client.pay(o, vec![pay(card("4242424242424242"), "stripe.card")]).await.unwrap();
    assert_eq!(r.payments[0].transaction_type, TransactionType::Purchase);
    assert_eq!(
        client.get_order(o).await.unwrap().status_id,
        Some(order_status::AWAITING_FULFILLMENT)
    );

    let o = order(&client, 11, 30.0).await;
    let token = stored(&client, o, "stripe.card", "stored_card", None).await;
    client
        .pay(
            o,
            vec![pay(
                json!({"type": "stored_card", "token": token, "verification_value": "123"}),
                "stripe.card",
            )],
        )
        .await
        .unwrap();

    let o = order(&client, 11, 30.0).await;
    let token = stored(&client, o, "braintree.paypal", "stored_paypal_account", Some("jane@example.com")).await;
    client
        .pay(
            o,
            vec![pay(json!({"type": "stored_paypal_account", "token": token}), "braintree.paypal")],
        )
        .await
        .unwrap();

    let o = order(&client, 11, 30.0).await;
    let token = stored(&client, o, "braintree.ach", "stored_bank_account", None).await;
    let r = client
        .pay(
            o,
            vec![pay(json!({"type": "stored_bank_account", "token": token}), "braintree.ach")],
        )
        .await
        .unwrap();
    assert_eq!(r.payments[0].status, PaymentStatus::Pending);

    let o = order(&client, 0, 30.0).await;
    client
        .pay(
            o,
            vec![pay(
                json!({"type": "gift_certificate", "gift_certificate_code": "GC-500"}),
                "bigcommerce.gift_certificate",
            )],
        )
        .await
        .unwrap();
    assert_eq!(
        client.get_order(o).await.unwrap().status_id,
        Some(order_status::AWAITING_FULFILLMENT)
    );

    // Store credit ($15) covers part; the order stays Pending until a card pays the rest.
    let o = order(&client, 11, 40.0).await;
    let split = vec![
        pay(json!({"type": "store_credit"}), "bigcommerce.store_credit"),
        pay(card("5555555555554444"), "stripe.card"),
    ];
    let r = client.pay(o, split).await.unwrap();
    assert_eq!(r.payments.len(), 2);
    let tx = client.get_transactions(o).await.unwrap();
    assert_eq!(
        tx.iter().map(|t| (t.method.as_str(), t.amount.to_string())).collect::<Vec<_>>(),
        vec![("store_credit", "15.00".to_owned()), ("credit_card", "25.00".to_owned())]
    );

    let o = order(&client, 0, 30.0).await;
    let t = json!({"type": "tokenized_card", "token": "K7KW-M9GX-6PQ3", "iin": "4111111", "last_four_digits": "1111", "expiration_month": "12", "expiration_year": "2030"});
    client.pay(o, vec![pay(t, "bolt.card")]).await.unwrap();

    assert_eq!(sandbox.ledger()["double_charges"], json!(0));
}

#[tokio::test]
async fn gift_certificate_partial_leaves_order_pending() {
    let Env { client, sandbox: _running } = env().await;
    let o = order(&client, 0, 80.0).await;
    let only_gift = vec![pay(
        json!({"type": "gift_certificate", "gift_certificate_code": "GC-25-OFF"}),
        "bigcommerce.gift_certificate",
    )];
    let r = client.pay(o, only_gift).await.unwrap();
    // The receipt says the order is not paid yet, and what is still due.
    assert_eq!(r.order_state, OrderPaymentState::PartiallyPaid);
    let money = |a: Option<Amount>| a.map(|a| a.to_string());
    assert_eq!(
        (money(r.amount_paid), money(r.amount_remaining)),
        (Some("25.00".into()), Some("55.00".into()))
    );
    let status = client.get_order_payment_status(o).await.unwrap();
    assert_eq!(
        (status.state, money(status.remaining)),
        (OrderPaymentState::PartiallyPaid, Some("55.00".into()))
    );
    assert_eq!(client.get_order(o).await.unwrap().status_id, Some(order_status::PENDING));
    // The rest, in a second flow, on the Pending order.
    let r = client.pay(o, vec![pay(card("4242424242424242"), "stripe.card")]).await.unwrap();
    assert_eq!(
        (r.order_state, money(r.amount_paid)),
        (OrderPaymentState::Paid, Some("55.00".into()))
    );
    assert_eq!(client.get_order_payment_status(o).await.unwrap().state, OrderPaymentState::Paid);
    assert_eq!(
        client.get_order(o).await.unwrap().status_id,
        Some(order_status::AWAITING_FULFILLMENT)
    );
}

#[tokio::test]
async fn a_gift_certificate_that_covers_the_order_ends_the_payment() {
    let Env { client, sandbox } = env().await;
    let o = order(&client, 0, 30.0).await;
    let split = vec![
        pay(
            json!({"type": "gift_certificate", "gift_certificate_code": "GC-500"}),
            "bigcommerce.gift_certificate",
        ),
        pay(card("4242424242424242"), "stripe.card"),
    ];
    let r = client.pay(o, split).await.unwrap();
    assert_eq!((r.order_state, r.payments.len()), (OrderPaymentState::Paid, 1));
    assert_eq!(r.amount_paid.map(|a| a.to_string()).as_deref(), Some("30.00"));
    assert_eq!(charges(&sandbox, o), 1, "the card was not charged");
}

#[tokio::test]
async fn every_test_card_outcome() {
    let Env { sandbox, client } = env().await;
    let cases: [(&str, ErrorKind, i64); 6] = [
        ("4000000000000002", ErrorKind::Declined, 30102),
        ("4000000000000069", ErrorKind::Declined, 30103),
        ("4000000000000119", ErrorKind::Declined, 30104),
        ("4000000000000259", ErrorKind::DuplicatePayment, 30105),
        ("4000000000009995", ErrorKind::Declined, 30106),
        // 10000 before any charge: nothing is ever recorded, so once the settle window is over
        // the outcome is ambiguous (the flow never pays again on absent evidence).
        ("4000000000003063", ErrorKind::AmbiguousOutcome, 10000),
    ];
    for (number, kind, code) in cases {
        let o = order(&client, 0, 20.0).await;
        let options = FlowOptions {
            reconcile_delay_ms: 10,
            settle_window_ms: 100,
            max_attempts: 2,
            ..FlowOptions::default()
        };
        let c = client_for(&sandbox, 10_000, options);
        let e = c.pay(o, vec![pay(card(number), "stripe.card")]).await.unwrap_err();
        assert_eq!((e.kind, e.code), (kind, Some(code)), "{number}: {e}");
        assert_eq!(charges(&sandbox, o), 0, "{number} must not charge");
        if kind == ErrorKind::DuplicatePayment {
            assert_eq!(e.retry, RetryAdvice::Never);
        }
    }
    // 30050: the card cannot be saved.
    let o = order(&client, 11, 20.0).await;
    let mut p = pay(card("4000000000000341"), "stripe.card");
    p.save_instrument = true;
    let e = client.pay(o, vec![p]).await.unwrap_err();
    assert_eq!(e.code, Some(30050));
    // 30051: a stored card the shopper does not have; 30107: a revoked PayPal account.
    let o = order(&client, 11, 20.0).await;
    let unknown_card = || {
        pay(
            json!({"type": "stored_card", "token": "b".repeat(64), "verification_value": "123"}),
            "stripe.card",
        )
    };
    let e = client.pay(o, vec![unknown_card()]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation, "checked against Get Payment Methods before sending");
    let mut opts = FlowOptions {
        fetch_methods: false,
        ..FlowOptions::default()
    };
    let e = client_for(&sandbox, 10_000, opts.clone())
        .pay(o, vec![unknown_card()])
        .await
        .unwrap_err();
    assert_eq!(e.code, Some(30051));
    let revoked = stored(&client, o, "braintree.paypal", "stored_paypal_account", Some("revoked@example.com")).await;
    opts.fetch_methods = true;
    let e = client_for(&sandbox, 10_000, opts)
        .pay(
            o,
            vec![pay(json!({"type": "stored_paypal_account", "token": revoked}), "braintree.paypal")],
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, Some(30107));
    assert_eq!(e.kind, ErrorKind::Declined);
}

#[tokio::test]
async fn saved_card_can_pay_the_next_order() {
    let Env { client, sandbox: _running } = env().await;
    let o = order(&client, 11, 20.0).await;
    let mut p = pay(card("378282246310005"), "stripe.card");
    p.save_instrument = true;
    client.pay(o, vec![p]).await.unwrap();
    let o2 = order(&client, 11, 20.0).await;
    let methods = client.get_payment_methods(&MethodsQuery::OrderId(o2)).await.unwrap();
    let saved = methods[0]
        .stored_instruments
        .iter()
        .find(|s| s.last_4.as_deref() == Some("0005"))
        .expect("the saved Amex is offered");
    assert_eq!(saved.token.expose().len(), 64);
    let token = saved.token.expose().to_owned();
    client
        .pay(
            o2,
            vec![pay(
                json!({"type": "stored_card", "token": token, "verification_value": "1234"}),
                "stripe.card",
            )],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn paying_a_paid_order_again_answers_already_paid() {
    let Env { sandbox, client } = env().await;
    let o = order(&client, 0, 20.0).await;
    client.pay(o, vec![pay(card("4242424242424242"), "stripe.card")]).await.unwrap();
    let again = client.pay(o, vec![pay(card("4242424242424242"), "stripe.card")]).await.unwrap();
    assert_eq!(again.order_state, OrderPaymentState::AlreadyPaid);
    assert!(again.payments.is_empty());
    assert_eq!(again.transactions.len(), 1);
    assert_eq!(charges(&sandbox, o), 1);
}

#[tokio::test]
async fn authorize_capture_void_refund() {
    let Env { client, sandbox: _running } = env().await;
    let o = order(&client, 0, 100.0).await;
    let r = client
        .pay(o, vec![pay(card("4242424242424242"), "authorizenet.card")])
        .await
        .unwrap();
    assert_eq!(r.payments[0].transaction_type, TransactionType::Authorization);
    assert_eq!(client.get_order(o).await.unwrap().payment_status, "authorized");
    client.capture(o).await.unwrap();
    assert_eq!(client.get_order(o).await.unwrap().payment_status, "captured");
    let e = client.capture(o).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);

    let o2 = order(&client, 0, 100.0).await;
    client
        .pay(o2, vec![pay(card("4242424242424242"), "authorizenet.card")])
        .await
        .unwrap();
    client.void(o2).await.unwrap();
    assert_eq!(client.get_order(o2).await.unwrap().payment_status, "void");

    let items = vec![RefundItem {
        item_type: "ORDER".into(),
        item_id: o as i64,
        quantity: None,
        amount: Some(30.0),
        reason: Some("x".into()),
    }];
    let quote = client
        .create_refund_quote(o, &RefundQuoteRequest { items: items.clone() })
        .await
        .unwrap();
    assert_eq!(quote.total_refund_amount.to_string(), "30.00");
    let provider = quote.refund_methods[0][0].provider_id.clone();
    let refund = client
        .create_refund(
            o,
            &RefundRequest {
                items,
                payments: vec![RefundPaymentRequest {
                    provider_id: provider,
                    amount: 30.0,
                    offline: false,
                }],
            },
        )
        .await
        .unwrap();
    assert_eq!(refund.total_amount.to_string(), "30.00");
    assert_eq!(client.list_refunds(o).await.unwrap().len(), 1);
    let events: Vec<String> = client.get_transactions(o).await.unwrap().into_iter().map(|t| t.event).collect();
    assert_eq!(events, vec!["authorization", "capture", "refund"]);
}

#[tokio::test]
async fn stored_instruments_and_auth_errors() {
    let Env { sandbox, client } = env().await;
    let list = client.get_stored_instruments(11).await.unwrap();
    let kinds: Vec<&str> = list.iter().map(|s| s.instrument_type.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "stored_card",
            "stored_paypal_account",
            "stored_bank_account",
            "stored_paypal_account"
        ]
    );
    let config = ClientConfig::new("abc123", ApiToken::new("wrong"))
        .unwrap()
        .with_api_base(&sandbox.base_url())
        .unwrap();
    let bad = Client::with_transport(config, ReqwestTransport::new(5_000));
    let e = bad.get_order(1).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert_eq!(e.status, Some(401));
}

#[tokio::test]
async fn real_timeout_after_commit_is_reconciled() {
    let Env { sandbox, client } = env().await;
    let o = order(&client, 0, 20.0).await;
    sandbox.set_faults(Faults {
        slow: 1.0,
        slow_ms: 800,
        ..Faults::default()
    });
    let impatient = client_for(
        &sandbox,
        200,
        FlowOptions {
            reconcile_delay_ms: 50,
            ..FlowOptions::default()
        },
    );
    let r = impatient.pay(o, vec![pay(card("4242424242424242"), "stripe.card")]).await.unwrap();
    assert!(r.payments[0].reconciled);
    assert_eq!(charges(&sandbox, o), 1);
}

#[tokio::test]
async fn real_reset_after_commit_is_reconciled_and_refused_connection_is_not_sent() {
    let Env { sandbox, client } = env().await;
    let o = order(&client, 0, 20.0).await;
    let options = FlowOptions {
        reconcile_delay_ms: 10,
        fetch_methods: false,
        ..FlowOptions::default()
    };
    sandbox.set_faults(Faults {
        reset_after_commit: 1.0,
        ..Faults::default()
    });
    let r = client_for(&sandbox, 5_000, options.clone())
        .pay(o, vec![pay(card("4242424242424242"), "stripe.card")])
        .await
        .unwrap();
    assert!(r.payments[0].reconciled);
    assert_eq!(charges(&sandbox, o), 1);

    // Connection refused is NotSent: nothing reached a server.
    let config = ClientConfig::new("abc123", ApiToken::new("t"))
        .unwrap()
        .with_api_base("http://127.0.0.1:9")
        .unwrap()
        .with_payments_base("http://127.0.0.1:9")
        .unwrap();
    let nowhere = Client::with_transport(config, ReqwestTransport::new(2_000)).with_options(FlowOptions {
        max_attempts: 2,
        backoff_base_ms: 1,
        ..options
    });
    let e = nowhere
        .pay(o, vec![pay(card("4242424242424242"), "stripe.card")])
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
    // The cause is kept: the OS's words, not just the class of failure.
    let detail = e.detail.as_deref().unwrap_or_default();
    assert!(
        detail.starts_with("transport failure: not_sent (") && detail.contains("Connection refused"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_recurring_charge_of_a_stored_card_needs_no_cvv() {
    let Env { sandbox, client } = env().await;
    let o = order(&client, 11, 30.0).await;
    let token = stored(&client, o, "stripe.card", "stored_card", None).await;
    let no_cvv = || pay(json!({"type": "stored_card", "token": token}), "stripe.card");

    // Shopper present: the method asks for the CVV, so the flow refuses before any payment.
    let e = client.pay(o, vec![no_cvv()]).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert_eq!(e.field_errors[0].path, "payment.instrument.verification_value");

    // A billing job: merchant-initiated under an is_recurring token, no CVV to give.
    let billing = client_for(
        &sandbox,
        10_000,
        FlowOptions {
            is_recurring: true,
            ..FlowOptions::default()
        },
    );
    billing.pay(o, vec![no_cvv()]).await.unwrap();
    assert_eq!(charges(&sandbox, o), 1);
}

/// The documented codes that only the sandbox's trigger cards and orders reach
/// (`tests/sandbox/documented_codes.json`, shared with every host's end-to-end tests).
#[tokio::test]
async fn documented_codes_from_the_sandbox_s_triggers() {
    let Env { sandbox, .. } = env().await;
    let cases: Value = serde_json::from_str(include_str!("../../../tests/sandbox/documented_codes.json")).unwrap();
    let options = FlowOptions {
        backoff_base_ms: 1,
        backoff_cap_ms: 5,
        ..FlowOptions::default()
    };
    let c = client_for(&sandbox, 10_000, options);
    let http = reqwest::Client::new();
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut body = cases["base_order"].clone();
        for (k, v) in case["order"].as_object().unwrap() {
            body[k] = v.clone();
        }
        let created: Value = http
            .post(format!("{}/stores/abc123/v2/orders", sandbox.base_url()))
            .header("x-auth-token", sandbox.api_token())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .map(|b| serde_json::from_slice(&b).unwrap())
            .unwrap();
        let o = created["id"].as_u64().unwrap();
        let payment: Payment = serde_json::from_value(case["payment"].clone()).unwrap();
        let e = c.pay(o, vec![payment]).await.unwrap_err();
        let expect = &case["expect"];
        assert_eq!(json!(e.kind), expect["kind"], "{name}: {e}");
        assert_eq!(e.code, expect["code"].as_i64(), "{name}");
        assert_eq!(json!(e.retry)["type"], expect["retry"], "{name}");
        assert_eq!(e.shopper_message, expect["shopper_message"].as_str().unwrap(), "{name}");
        assert_eq!(charges(&sandbox, o), expect["charged"].as_u64().unwrap() as usize, "{name}");
    }
}

/// Refunds follow the quote: a split order's refund goes back through each provider for the
/// quoted part, and a quote that allows only offline refunds is refused, nothing refunded.
#[tokio::test]
async fn refunds_follow_the_quote() {
    let Env { sandbox: _running, client } = env().await;
    let o = order(&client, 0, 80.0).await;
    client
        .pay(
            o,
            vec![
                pay(
                    json!({"type": "gift_certificate", "gift_certificate_code": "GC-25-OFF"}),
                    "bigcommerce.gift_certificate",
                ),
                pay(card("4242424242424242"), "stripe.card"),
            ],
        )
        .await
        .unwrap();
    let items = |amount: f64, reason: Option<&str>| {
        vec![RefundItem {
            item_type: "ORDER".into(),
            item_id: o as i64,
            quantity: None,
            amount: Some(amount),
            reason: reason.map(str::to_owned),
        }]
    };
    let refund = client.refund(o, items(60.0, None)).await.unwrap();
    let parts: Vec<(String, String)> = refund
        .payments
        .iter()
        .map(|p| (p.provider_id.clone(), p.amount.to_string()))
        .collect();
    assert_eq!(
        parts,
        vec![
            ("stripe".to_owned(), "55.00".to_owned()),
            ("giftcertificate".to_owned(), "5.00".to_owned())
        ]
    );
    let e = client.refund(o, items(10.0, Some("sandbox:offline"))).await.unwrap_err();
    assert_eq!(
        (e.kind, e.code_text.as_deref()),
        (ErrorKind::InvalidRequest, Some("offline_refund_required")),
        "{e}"
    );
    assert_eq!(client.list_refunds(o).await.unwrap().len(), 1);
}

/// `latency_ms` delays every API answer (for latency benchmarks), never the admin paths. A lower
/// bound only: a loaded machine can be slower, never faster.
#[tokio::test]
async fn latency_delays_each_api_answer() {
    let sandbox = Sandbox::start(
        SandboxConfig {
            latency_ms: 150,
            ..SandboxConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let c = client_for(&sandbox, 10_000, FlowOptions::default());
    let started = std::time::Instant::now();
    let o = order(&c, 0, 10.0).await;
    c.get_order(o).await.unwrap();
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_prepared_payment_is_one_request_when_the_shopper_pays() {
    let Env { sandbox, client } = env().await;
    let o = order(&client, 0, 25.0).await;
    let prepared = client.prepare(o).await.unwrap();
    assert!(prepared.methods.iter().any(|m| m.id == "stripe.card"));
    let r = client.pay(o, vec![pay(card("4242424242424242"), "stripe.card")]).await.unwrap();
    assert_eq!((r.requests_sent, r.order_state), (1, OrderPaymentState::Paid));
    assert_eq!(r.amount_paid.map(|a| a.to_string()).as_deref(), Some("25.00"));
    assert_eq!(charges(&sandbox, o), 1);
}

#[tokio::test]
async fn a_refused_connection_keeps_its_cause() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let config = ClientConfig::new("abc123", ApiToken::new("unreachable-token"))
        .unwrap()
        .with_api_base(&base)
        .unwrap()
        .with_payments_base(&base)
        .unwrap();
    let failures = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&failures);
    let options = FlowOptions {
        max_attempts: 1,
        ..FlowOptions::default()
    };
    let client = Client::with_transport(config, ReqwestTransport::new(2_000))
        .with_options(options)
        .on_event(move |e| {
            if let bcpay::FlowEvent::TransportFailure { cause, .. } = e {
                seen.lock().unwrap().push(cause.clone());
            }
        });
    let e = client.get_order(215).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("transport failure: not_sent (") && text.to_lowercase().contains("connection refused"),
        "{text}"
    );
    let failures = failures.lock().unwrap().clone();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].as_deref().is_some_and(|c| text.contains(c)), "{failures:?}");
}
