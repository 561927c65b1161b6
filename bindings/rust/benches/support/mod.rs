//! What the benches share: the hand-written three-call flow they compare bcpay with, and orders.
// Each bench uses its own part of it.
#![allow(dead_code)]

use bcpay::model::{BillingAddress, NewOrder, OrderProduct};
use bcpay::secret::ApiToken;
use bcpay::{Client, ClientConfig, RateLimitConfig, RateLimiter, ReqwestTransport};
use bcpay_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

/// The client settings for `sandbox` (both API hosts at its address).
pub fn sandbox_config(sandbox: &Sandbox) -> ClientConfig {
    let base = sandbox.base_url();
    ClientConfig::new("abc123", ApiToken::new(sandbox.api_token()))
        .unwrap()
        .with_api_base(&base)
        .unwrap()
        .with_payments_base(&base)
        .unwrap()
}

/// A sandbox without quotas, and a client of it whose limiter never waits either: the throughput
/// benches measure the SDK, not the API's rate limits.
pub async fn unlimited() -> (Sandbox, Client<ReqwestTransport>) {
    let sandbox = Sandbox::start(
        SandboxConfig {
            payments_quota: 1_000_000_000,
            management_quota: 1_000_000_000,
            ..SandboxConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let limits = RateLimitConfig {
        payments_quota: u32::MAX,
        ..RateLimitConfig::default()
    };
    let client = Client::with_transport(sandbox_config(&sandbox), ReqwestTransport::new(30_000)).with_limiter(RateLimiter::shared(limits));
    (sandbox, client)
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub const CARD: &str = r#"{"type":"card","number":"4242424242424242","cardholder_name":"Jane Doe","expiry_month":12,"expiry_year":2030,"verification_value":"123"}"#;

/// The three calls written by hand with reqwest, one after another.
pub async fn hand_written(http: &reqwest::Client, base: &str, token: &str, order_id: u64) {
    let store = format!("{base}/stores/abc123");
    hand_methods(http, &store, token, order_id).await;
    let pat = hand_token(http, &store, token, order_id).await;
    hand_process(http, &store, &pat).await;
}

/// The same calls with the methods and the token requested together, as bcpay sends them (a
/// round trip less of latency; in CPU-bound loopback throughput, two exchanges in flight cost).
pub async fn hand_written_together(http: &reqwest::Client, base: &str, token: &str, order_id: u64) {
    let store = format!("{base}/stores/abc123");
    let ((), pat) = tokio::join!(
        hand_methods(http, &store, token, order_id),
        hand_token(http, &store, token, order_id)
    );
    hand_process(http, &store, &pat).await;
}

async fn hand_methods(http: &reqwest::Client, store: &str, token: &str, order_id: u64) {
    let methods = http
        .get(format!("{store}/v3/payments/methods?order_id={order_id}"))
        .header("Accept", "application/json")
        .header("X-Auth-Token", token)
        .send()
        .await
        .unwrap();
    assert!(methods.status().is_success());
    let _: Value = serde_json::from_slice(&methods.bytes().await.unwrap()).unwrap();
}

async fn hand_token(http: &reqwest::Client, store: &str, token: &str, order_id: u64) -> String {
    let pat = http
        .post(format!("{store}/v3/payments/access_tokens"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .header("X-Auth-Token", token)
        .body(json!({"order": {"id": order_id}}).to_string())
        .send()
        .await
        .unwrap();
    let pat: Value = serde_json::from_slice(&pat.bytes().await.unwrap()).unwrap();
    pat["data"]["id"].as_str().unwrap().to_owned()
}

async fn hand_process(http: &reqwest::Client, store: &str, pat: &str) {
    let body = format!(r#"{{"payment":{{"instrument":{CARD},"payment_method_id":"stripe.card"}}}}"#);
    let paid = http
        .post(format!("{store}/payments"))
        .header("Accept", "application/vnd.bc.v1+json")
        .header("Content-Type", "application/json")
        .header("Authorization", format!("PAT {pat}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status().as_u16(), 201);
    let _: Value = serde_json::from_slice(&paid.bytes().await.unwrap()).unwrap();
}

pub async fn orders(client: &Client<ReqwestTransport>, n: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let order = NewOrder {
            billing_address: BillingAddress {
                first_name: "J".into(),
                last_name: "D".into(),
                street_1: "1".into(),
                city: "A".into(),
                state: "T".into(),
                zip: "1".into(),
                country: "US".into(),
                country_iso2: "US".into(),
                email: "j@d.com".into(),
                ..Default::default()
            },
            products: vec![OrderProduct {
                name: Some("x".into()),
                quantity: 1,
                price_inc_tax: Some(5.0),
                price_ex_tax: Some(5.0),
                ..Default::default()
            }],
            ..Default::default()
        };
        ids.push(client.create_order(&order).await.unwrap().id as u64);
    }
    ids
}
