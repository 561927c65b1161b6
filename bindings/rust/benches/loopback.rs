//! Loopback throughput: the bcpay client (validation, typed parsing, flow, limiter) against
//! hand-written reqwest flows making the same three calls with the same transport settings
//! (pooled client, 30 s timeout), against the same sandbox, rounds interleaved in one run so
//! machine noise hits all. Two hand-written flows: one call after another, and the methods and
//! token together as bcpay sends them (which saves a round trip of latency but, here where the
//! CPU is the bottleneck, costs throughput in any client). Prints payments/s and the ratios, and
//! the CPU per payment of each flow, user and system apart.
//!
//! `cargo bench -p bcpay --bench loopback`
//!
//! For instruction and cache counts on this same runtime (`scripts/callgrind.sh --two-workers`):
//! `BCPAY_BENCH_FLOW` (`bcpay`, `hand-written` or `together`) runs one flow alone, and `none`
//! only what every round does besides paying (its orders), the cost to subtract;
//! `BCPAY_BENCH_ROUNDS` sets the rounds (15).

mod support;

use bcpay::model::Payment;
use std::sync::Arc;
use std::time::Instant;

const PER_ROUND: usize = 600;
const ROUNDS: usize = 15;
const FLOWS: [&str; 3] = ["bcpay", "hand-written", "together"];
/// `BCPAY_BENCH_FLOW=none`: the rounds' orders alone.
const NONE: usize = FLOWS.len();
const CONCURRENCY: usize = 8;
use support::{CARD, hand_written, hand_written_together, median, orders};
/// Process CPU time in seconds, user and system: unlike wall time, not inflated by other tenants.
/// Apart, they say whether a difference is the code's own work or the kernel's (wake-ups, I/O).
fn cpu_seconds() -> (f64, f64) {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(usage.ru_utime), t(usage.ru_stime))
}

/// Runs one round; returns (payments per wall second, CPU microseconds per payment: user, system).
async fn run_round<F, Fut>(ids: Vec<u64>, pay: F) -> (f64, (f64, f64))
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
    let (user, system) = cpu_seconds();
    let per_payment = |seconds: f64| seconds * 1e6 / PER_ROUND as f64;
    (
        PER_ROUND as f64 / start.elapsed().as_secs_f64(),
        (per_payment(user - cpu_start.0), per_payment(system - cpu_start.1)),
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

        // Per flow (bcpay, hand-written one after another, hand-written together): payments/s
        // and CPU µs per payment of each round (user, system; their sum derived where printed).
        let mut rate: [Vec<f64>; 3] = Default::default();
        let mut user: [Vec<f64>; 3] = Default::default();
        let mut system: [Vec<f64>; 3] = Default::default();
        let only = std::env::var("BCPAY_BENCH_FLOW").ok().map(|name| {
            FLOWS
                .iter()
                .chain(&["none"])
                .position(|flow| *flow == name)
                .unwrap_or_else(|| panic!("BCPAY_BENCH_FLOW: one of {FLOWS:?} or none"))
        });
        let rounds = std::env::var("BCPAY_BENCH_ROUNDS").map_or(ROUNDS, |n| n.parse().expect("BCPAY_BENCH_ROUNDS: a number"));
        for round in 0..rounds {
            if only == Some(NONE) {
                orders(&client, PER_ROUND).await;
                continue;
            }
            let mut results = [(0.0, (0.0, 0.0)); 3];
            // Rotate which goes first, so warm-up and drift favour none.
            for k in 0..3 {
                let flow = (round + k) % 3;
                if only.is_some_and(|only| only != flow) {
                    continue;
                }
                let ids = orders(&client, PER_ROUND).await;
                let (c, p) = (client.clone(), payment.clone());
                let (h, base, token) = (http.clone(), base.clone(), token.clone());
                results[flow] = match flow {
                    0 => {
                        run_round(ids, move |id| {
                            let (c, p) = (c.clone(), p.clone());
                            async move { c.pay(id, vec![p]).await.map(drop).unwrap() }
                        })
                        .await
                    }
                    1 => {
                        run_round(ids, move |id| {
                            let (h, base, token) = (h.clone(), base.clone(), token.clone());
                            async move { hand_written(&h, &base, &token, id).await }
                        })
                        .await
                    }
                    _ => {
                        run_round(ids, move |id| {
                            let (h, base, token) = (h.clone(), base.clone(), token.clone());
                            async move { hand_written_together(&h, &base, &token, id).await }
                        })
                        .await
                    }
                };
            }
            if only.is_some() {
                continue;
            }
            let [(s, s_cpu), (r, r_cpu), (t, t_cpu)] = results.map(|(rate, (user, system))| (rate, user + system));
            println!(
                "round {round:2}: bcpay {s:7.1}/s {s_cpu:6.1} µs CPU   hand-written {r:7.1}/s {r_cpu:6.1} µs   together {t:7.1}/s {t_cpu:6.1} µs   \
                 ratios {:.3} {:.3}",
                s / r,
                s / t
            );
            for (k, (rate_k, (user_k, system_k))) in results.into_iter().enumerate() {
                rate[k].push(rate_k);
                user[k].push(user_k);
                system[k].push(system_k);
            }
        }
        if only.is_some() {
            assert_eq!(sandbox.ledger()["double_charges"], serde_json::json!(0));
            return;
        }
        // Each round's CPU per payment, all of it.
        let cpu: [Vec<f64>; 3] = std::array::from_fn(|k| user[k].iter().zip(&system[k]).map(|(u, s)| u + s).collect());
        let m = |v: &[f64]| median(v.to_vec());
        let ratio = |other: usize| median(rate[0].iter().zip(&rate[other]).map(|(s, r)| s / r).collect());
        let cpu_ratio = |other: usize| median(cpu[other].iter().zip(&cpu[0]).map(|(r, s)| r / s).collect());
        println!(
            "median of {rounds} rounds: bcpay {:.1} payments/s ({:.1} µs CPU each, client and sandbox); hand-written {:.1}/s ({:.1} µs), \
             together {:.1}/s ({:.1} µs)",
            m(&rate[0]),
            m(&cpu[0]),
            m(&rate[1]),
            m(&cpu[1]),
            m(&rate[2]),
            m(&cpu[2]),
        );
        println!(
            "CPU µs per payment, user + system (medians): bcpay {:.1} + {:.1}; hand-written {:.1} + {:.1}; together {:.1} + {:.1}",
            m(&user[0]),
            m(&system[0]),
            m(&user[1]),
            m(&system[1]),
            m(&user[2]),
            m(&system[2]),
        );
        println!(
            "throughput ratio (median of per-round ratios): {:.3} of hand-written, {:.3} of hand-written together; \
             CPU-efficiency ratio (their CPU per payment / bcpay's): {:.3}, {:.3}",
            ratio(1),
            ratio(2),
            cpu_ratio(1),
            cpu_ratio(2)
        );
        assert_eq!(sandbox.ledger()["double_charges"], serde_json::json!(0));
    });
}
