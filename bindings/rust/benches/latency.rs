//! Payment latency when each request costs a network round trip: the sandbox waits
//! `--latency-ms` (50) before handling each request. One payment at a time, rounds interleaved
//! in one run, so machine noise hits every variant alike. Prints the median latency per payment
//! of each variant and its ratio to the hand-written three-call flow (#17's goals: ≤ 0.70
//! unprepared, ≤ 0.40 prepared). "Prepared" times `pay` alone — what the shopper waits for
//! after pressing "pay" — on an order `prepare`d beforehand (when the checkout opened).
//!
//! `cargo bench -p bcpay --bench latency`

mod support;

use bcpay::model::Payment;
use bcpay::{Client, FlowOptions, ReqwestTransport};
use bcpay_sandbox::{Sandbox, SandboxConfig};
use std::time::Instant;
use support::{CARD, hand_written, median, orders, sandbox_config};

const LATENCY_MS: u64 = 50;
const ROUNDS: usize = 7;
const PER_ROUND: usize = 10;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sandbox = Sandbox::start(
            SandboxConfig {
                latency_ms: LATENCY_MS,
                ..SandboxConfig::default()
            },
            0,
        )
        .await
        .unwrap();
        let base = sandbox.base_url();
        let config = sandbox_config(&sandbox);
        let client = |options: FlowOptions| Client::with_transport(config.clone(), ReqwestTransport::new(30_000)).with_options(options);
        let full = client(FlowOptions::default());
        let known_method = client(FlowOptions {
            fetch_methods: false,
            ..FlowOptions::default()
        });
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        let token = sandbox.api_token();
        let payment: Payment = serde_json::from_str(&format!(r#"{{"instrument":{CARD},"payment_method_id":"stripe.card"}}"#)).unwrap();

        let names = [
            "hand-written (3 calls)",
            "bcpay",
            "bcpay, fetch_methods: false",
            "bcpay prepared (pay only)",
        ];
        let mut ms: [Vec<f64>; 4] = Default::default();
        // Warm-up: connections.
        for id in orders(&full, 3).await {
            full.pay(id, vec![payment.clone()]).await.unwrap();
        }
        for round in 0..ROUNDS {
            for k in 0..4 {
                // Rotate which variant goes first, so drift favours none.
                let variant = (k + round) % 4;
                for id in orders(&full, PER_ROUND).await {
                    if variant == 3 {
                        full.prepare(id).await.unwrap();
                    }
                    let start = Instant::now();
                    match variant {
                        0 => hand_written(&http, &base, &token, id).await,
                        1 | 3 => drop(full.pay(id, vec![payment.clone()]).await.unwrap()),
                        _ => drop(known_method.pay(id, vec![payment.clone()]).await.unwrap()),
                    }
                    ms[variant].push(start.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
        let hand = median(ms[0].clone());
        println!(
            "payment latency at {LATENCY_MS} ms per request (median of {} payments each, {ROUNDS} interleaved rounds):",
            ROUNDS * PER_ROUND
        );
        for (name, v) in names.iter().zip(ms) {
            let m = median(v);
            println!("  {name:<30} {m:7.1} ms   {:.2} of hand-written", m / hand);
        }
        assert_eq!(sandbox.ledger()["double_charges"], serde_json::json!(0));
    });
}
