//! Instructions per payment over loopback, counted by callgrind (client and sandbox in one
//! process, so both sides count): bcpay's `Client::pay` against the hand-written reqwest flows
//! (one call after another; methods and token together, as bcpay sends them), one payment at a
//! time on a single-threaded runtime. Repeatable where timings on this machine
//! are not; a benchmark, not a test: it prints figures and asserts nothing about them.
//!
//! `bash scripts/callgrind.sh` runs it (`cargo bench -p bcpay --bench instructions --no-run`, then
//! the binary under valgrind with `sdk N`, `hand N`, `together N` and `none N`: the same orders, paid or not).

mod support;

use bcpay::model::Payment;
use support::{CARD, hand_written, hand_written_together, orders};

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let mode = args.next().unwrap_or_else(|| "sdk".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (sandbox, client) = support::unlimited().await;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        let payment: Payment = serde_json::from_str(&format!(r#"{{"instrument":{CARD},"payment_method_id":"stripe.card"}}"#)).unwrap();
        // The same warm-up and orders in every mode, so that the difference is the payments.
        let ids = orders(&client, n + 20).await;
        let (warm, ids) = ids.split_at(20);
        for &id in warm {
            hand_written(&http, &sandbox.base_url(), &sandbox.api_token(), id).await;
        }
        for &id in ids {
            match mode.as_str() {
                "sdk" => {
                    client.pay(id, vec![payment.clone()]).await.unwrap();
                }
                "hand" => hand_written(&http, &sandbox.base_url(), &sandbox.api_token(), id).await,
                "together" => hand_written_together(&http, &sandbox.base_url(), &sandbox.api_token(), id).await,
                _ => {}
            }
        }
    });
}
