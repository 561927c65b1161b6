//! Chaos over real HTTP against the sandbox: thousands of flows under every fault kind, checked
//! against the sandbox's ledger. Prints its figures (`cargo test -p bcpay --test chaos --
//! --nocapture`) and writes them to `target/chaos-report.json`.

mod common;

use bcpay::{ErrorKind, FlowOptions, RateLimitConfig, RateLimiter};
use bcpay_sandbox::{Faults, Sandbox, SandboxConfig};
use common::{client, orders, payment, write_report};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_never_double_charges() {
    const FLOWS: usize = 2_000;
    let config = SandboxConfig {
        payments_quota: 1_000_000,
        seed: 42,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, 0).await.unwrap();
    let setup = client(&sandbox, 10_000, FlowOptions::default());
    let started = std::time::Instant::now();
    let ids = orders(&setup, FLOWS, 0).await;
    let orders_s = started.elapsed().as_secs_f64();

    sandbox.set_faults(Faults {
        server_error: 0.03,
        code_10000: 0.04,
        slow: 0.03,
        slow_ms: 400,
        reset_after_commit: 0.04,
        reset_before_commit: 0.03,
        burst_429: 0.03,
        pat_expire_early: 0.03,
        pat_early_ms: 1,
        // A ledger that shows each charge 300 ms late, well inside the 600 ms settle window.
        ledger_lag_ms: 300,
        ..Faults::default()
    });
    let options = FlowOptions {
        reconcile_delay_ms: 50,
        settle_window_ms: 600,
        backoff_base_ms: 5,
        backoff_cap_ms: 100,
        max_attempts: 4,
        ..FlowOptions::default()
    };
    // The rate limit is tested on its own below; here it matches the sandbox's generous quota.
    let c = Arc::new(client(&sandbox, 150, options).with_limiter(RateLimiter::shared(RateLimitConfig {
        payments_quota: 1_000_000,
        ..RateLimitConfig::default()
    })));
    let sem = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = Vec::new();
    for (i, id) in ids.iter().copied().enumerate() {
        let c = c.clone();
        let permit = sem.clone().acquire_owned().await.unwrap();
        tasks.push(tokio::spawn(async move {
            let r = c.pay(id, vec![payment(i)]).await;
            drop(permit);
            (id, r)
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    sandbox.set_faults(Faults::default());
    let flows_s = started.elapsed().as_secs_f64() - orders_s;

    let ledger = sandbox.ledger();
    let charges: BTreeMap<u64, usize> = ledger["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["order_id"].as_u64().unwrap(), o["charges"].as_array().unwrap().len()))
        .collect();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let (mut ambiguous_paid, mut ambiguous_unpaid, mut reconciled_paid) = (0, 0, 0);
    for (id, r) in &results {
        let charged = charges.get(id).copied().unwrap_or(0);
        assert!(charged <= 1, "order {id} charged {charged} times");
        let key = match r {
            Ok(receipt) => {
                assert_eq!(charged, 1, "order {id} reported paid but the ledger shows {charged} charges");
                if receipt.payments[0].reconciled {
                    reconciled_paid += 1;
                }
                "paid".to_owned()
            }
            Err(e) if e.kind == ErrorKind::AmbiguousOutcome => {
                // Reported ambiguous: the ledger tells the truth the SDK could not.
                if charged == 1 {
                    ambiguous_paid += 1;
                } else {
                    ambiguous_unpaid += 1;
                }
                "ambiguous".to_owned()
            }
            Err(e) => {
                assert_eq!(charged, 0, "order {id} failed ({e}) but the ledger shows a charge");
                e.kind.as_str().to_owned()
            }
        };
        *outcomes.entry(key).or_default() += 1;
    }
    let faults_injected: u64 = ledger["faults_injected"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    write_report(
        "chaos-report.json",
        &json!({
            "flows": FLOWS, "outcomes": outcomes, "seconds_creating_orders": orders_s, "seconds_paying": flows_s, "paid_after_reconciliation": reconciled_paid,
            "ambiguous_checked_against_ledger": {"actually_paid": ambiguous_paid, "not_paid": ambiguous_unpaid},
            "faults_injected_total": faults_injected, "faults_injected": ledger["faults_injected"],
            "double_charges": ledger["double_charges"], "duplicate_attempts": ledger["duplicate_attempts"],
        }),
    );
    assert_eq!(ledger["double_charges"], json!(0));
    assert_eq!(results.len(), FLOWS);
    assert!(faults_injected > 300, "the chaos must actually inject faults: {faults_injected}");
    assert!(outcomes.get("paid").copied().unwrap_or(0) > FLOWS / 2, "{outcomes:?}");
}
