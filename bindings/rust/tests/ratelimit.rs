//! The rate limit over real HTTP with a compressed window: no 429 reaches the caller and every
//! flow is charged once. How much of the quota it used is measured, not asserted (a loaded
//! machine stretches every gap): it prints its figures (`-- --nocapture`) and writes
//! `target/ratelimit-report.json`. The throughput claim is asserted in virtual time, by
//! `a_saturating_batch_never_overruns_and_uses_the_quota` in `core/src/ratelimit.rs`.

mod common;

use bcpay::{FlowOptions, RateLimitConfig, RateLimiter};
use bcpay_sandbox::{Sandbox, SandboxConfig};
use common::{client, orders, payment, write_report};
use serde_json::json;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_keeps_429s_from_the_caller() {
    const FLOWS: usize = 300;
    // Loopback: a request reaches the server within a few ms of its grant.
    let limits = RateLimitConfig {
        payments_quota: 50,
        payments_window_ms: 1_000,
        transit_allowance_ms: 20,
    };
    let config = SandboxConfig {
        payments_quota: limits.payments_quota,
        payments_window_ms: limits.payments_window_ms,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, 0).await.unwrap();
    let setup = client(&sandbox, 10_000, FlowOptions::default());
    let ids = orders(&setup, FLOWS, 0).await;

    let options = FlowOptions {
        fetch_methods: false,
        ..FlowOptions::default()
    };
    let c = Arc::new(client(&sandbox, 10_000, options).with_limiter(RateLimiter::shared(limits)));
    // Bounded concurrency, as a batch charger runs: enough flows to keep the quota saturated.
    let sem = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = Vec::new();
    for id in ids {
        let c = c.clone();
        let permit = sem.clone().acquire_owned().await.unwrap();
        tasks.push(tokio::spawn(async move {
            let r = c.pay(id, vec![payment(0)]).await;
            drop(permit);
            r
        }));
    }
    for t in tasks {
        let r = t.await.unwrap();
        assert!(r.is_ok(), "a 429 or other error reached the caller: {:?}", r.err());
    }
    let ledger = sandbox.ledger();
    let mut times: Vec<u64> = ledger["orders"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["charges"].as_array().unwrap().iter().map(|c| c["at_ms"].as_u64().unwrap()))
        .collect();
    times.sort();
    assert_eq!(times.len(), FLOWS);
    let window = limits.payments_window_ms as f64;
    let quota = limits.payments_quota as usize;
    // The server admits at most `quota` arrivals per window, so charge k + quota comes at least
    // one window after charge k; at full throughput, exactly one window. The ratio is the window
    // over the mean of those gaps.
    let gaps: Vec<f64> = (0..FLOWS - quota).map(|k| (times[k + quota] - times[k]) as f64).collect();
    let mean_gap = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let ratio = window / mean_gap;
    let internal_429 = ledger["faults_injected"]["rate_limited_429"].as_u64().unwrap_or(0);
    write_report(
        "ratelimit-report.json",
        &json!({"flows": FLOWS, "quota": quota, "window_ms": window, "mean_gap_ms": mean_gap, "min_gap_ms": gaps.iter().cloned().fold(f64::MAX, f64::min), "throughput_ratio": ratio, "429_answered_by_sandbox": internal_429, "429_reaching_caller": 0}),
    );
}
