//! Loopback throughput: the bcpay client (validation, typed parsing, flow, limiter) against a
//! hand-written reqwest flow making the same three calls with the same transport settings
//! (pooled client, 30 s timeout), against the same sandbox, rounds interleaved in one run so
//! machine noise hits both. Prints payments/s and the ratio.
//!
//! `cargo bench -p bcpay --bench loopback`

mod support;

use bcpay::model::Payment;
use std::sync::Arc;
use std::time::Instant;

const PER_ROUND: usize = 600;
const ROUNDS: usize = 15;
const CONCURRENCY: usize = 8;
use support::{CARD, hand_written, median, orders};
/// Process CPU time (user + system) in seconds: unlike wall time, not inflated by other tenants.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Runs one round; returns (payments per wall second, CPU microseconds per payment).
async fn run_round<F, Fut>(ids: Vec<u64>, pay: F) -> (f64, f64)
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let queue = Arc::new(std::sync::Mutex::new(ids));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let queue = queue.clone();
        let pay = pay.clone();
        workers.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().unwrap().pop();
                match next {
                    Some(id) => pay(id).await,
                    None => break,
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    (
        PER_ROUND as f64 / start.elapsed().as_secs_f64(),
        (cpu_seconds() - cpu_start) * 1e6 / PER_ROUND as f64,
    )
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (sandbox, client) = support::unlimited().await;
        let base = sandbox.base_url();
        let client = Arc::new(client);
        // The same transport settings as bcpay's default: a pooled client, 30 s per request.
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        let token = sandbox.api_token();
        let payment: Payment = serde_json::from_str(&format!(r#"{{"instrument":{CARD},"payment_method_id":"stripe.card"}}"#)).unwrap();

        // Warm-up: connections, caches.
        let warm = orders(&client, 50).await;
        for id in warm {
            client.pay(id, vec![payment.clone()]).await.unwrap();
        }

        let (mut sdk, mut raw, mut cpu_ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let a = orders(&client, PER_ROUND).await;
            let b = orders(&client, PER_ROUND).await;
            let c = client.clone();
            let p = payment.clone();
            let run_sdk = move |id| {
                let c = c.clone();
                let p = p.clone();
                async move {
                    c.pay(id, vec![p]).await.unwrap();
                }
            };
            let (h, base, token) = (http.clone(), base.clone(), token.clone());
            let run_raw = move |id| {
                let (h, base, token) = (h.clone(), base.clone(), token.clone());
                async move { hand_written(&h, &base, &token, id).await }
            };
            // Alternate which goes first, so warm-up and drift favour neither.
            let ((s, s_cpu), (r, r_cpu)) = if round % 2 == 0 {
                let s = run_round(a, run_sdk).await;
                (s, run_round(b, run_raw).await)
            } else {
                let r = run_round(b, run_raw).await;
                (run_round(a, run_sdk).await, r)
            };
            println!(
                "round {round}: bcpay {s:7.1}/s {s_cpu:6.1} µs CPU   hand-written {r:7.1}/s {r_cpu:6.1} µs CPU   throughput ratio {:.3}   CPU ratio {:.3}",
                s / r,
                r_cpu / s_cpu
            );
            sdk.push(s);
            raw.push(r);
            cpu_ratios.push(r_cpu / s_cpu);
        }
        let ratios: Vec<f64> = sdk.iter().zip(&raw).map(|(s, r)| s / r).collect();
        println!(
            "median: bcpay {:.1} payments/s, hand-written {:.1} payments/s; throughput ratio {:.3} (median of per-round ratios {:.3}); \
             CPU-efficiency ratio {:.3} (hand-written CPU per payment / bcpay's)",
            median(sdk.clone()),
            median(raw.clone()),
            median(sdk) / median(raw),
            median(ratios),
            median(cpu_ratios)
        );
        assert_eq!(sandbox.ledger()["double_charges"], serde_json::json!(0));
    });
}
