//! Helpers shared by the chaos and rate-limit tests.
#![allow(dead_code)]

use bcpay::model::*;
use bcpay::secret::ApiToken;
use bcpay::{Client, ClientConfig, FlowOptions, ReqwestTransport};
use bcpay_sandbox::Sandbox;
use serde_json::{Value, json};

pub fn client(sandbox: &Sandbox, timeout_ms: u64, options: FlowOptions) -> Client<ReqwestTransport> {
    let config = ClientConfig::new("abc123", ApiToken::new(sandbox.api_token()))
        .unwrap()
        .with_api_base(&sandbox.base_url())
        .unwrap()
        .with_payments_base(&sandbox.base_url())
        .unwrap();
    Client::with_transport(config, ReqwestTransport::new(timeout_ms)).with_options(options)
}

/// Creates an Incomplete order for `customer_id` (0 for a guest) with one custom product.
pub async fn order(client: &Client<ReqwestTransport>, customer_id: i64, price: f64) -> u64 {
    let new = NewOrder {
        customer_id,
        billing_address: BillingAddress {
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            street_1: "1 Main St".into(),
            city: "Austin".into(),
            state: "Texas".into(),
            zip: "78751".into(),
            country: "United States".into(),
            country_iso2: "US".into(),
            email: "jane@example.com".into(),
            ..Default::default()
        },
        products: vec![OrderProduct {
            name: Some("Poster".into()),
            quantity: 1,
            price_inc_tax: Some(price),
            price_ex_tax: Some(price),
            ..Default::default()
        }],
        default_currency_code: None,
    };
    let created = client.create_order(&new).await.unwrap();
    assert_eq!(created.status_id, Some(order_status::INCOMPLETE));
    created.id as u64
}

/// `n` guest orders with varied totals.
pub async fn orders(client: &Client<ReqwestTransport>, n: usize, customer_id: i64) -> Vec<u64> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(order(client, customer_id, 10.0 + (i % 50) as f64).await);
    }
    ids
}

pub fn payment(i: usize) -> Payment {
    // Mostly good cards; every 20th declines, every 25th is the gateway-trouble card.
    let number = if i % 20 == 7 {
        "4000000000009995"
    } else if i % 25 == 3 {
        "4000000000003063"
    } else if i % 2 == 0 {
        "4242424242424242"
    } else {
        "5555555555554444"
    };
    serde_json::from_value(json!({"instrument": {"type": "card", "number": number, "cardholder_name": "Chaos Monkey", "expiry_month": 12, "expiry_year": 2030, "verification_value": "123"}, "payment_method_id": "stripe.card"})).unwrap()
}

pub fn write_report(name: &str, report: &Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(name), serde_json::to_string_pretty(report).unwrap());
    eprintln!("{name}: {}", serde_json::to_string_pretty(report).unwrap());
}

/// How many charges the sandbox's ledger holds for `order_id`.
pub fn charges(sandbox: &Sandbox, order_id: u64) -> usize {
    sandbox.ledger()["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["order_id"] == json!(order_id))
        .map_or(0, |o| o["charges"].as_array().unwrap().len())
}
