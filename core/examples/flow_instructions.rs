//! Runs N payment flows (methods → token → process) through a core `Session` over canned
//! responses, for instruction counts that do not depend on this machine's noise:
//! `bash scripts/callgrind.sh` runs it under callgrind with N = 0 and N = 200 and prints the
//! instructions per flow.

#[path = "../benches/canned.rs"]
mod canned;

use bcpay_core::rng::Entropy;
use bcpay_core::secret::ApiToken;
use bcpay_core::{Action, ClientConfig, Operation, RateLimitConfig, Session};
use canned::{NOW, payment, responses};

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let config = ClientConfig::new("abc123", ApiToken::new("token")).unwrap();
    let session = Session::with_entropy(config, RateLimitConfig::default(), Entropy::from_seed(1));
    let [methods, token, paid] = responses();
    // Read once: each flow gets a copy, as a host's payment reaches the core already read.
    let payment = payment();
    let mut done = 0;
    for i in 0..n {
        // Each flow a second apart, so the limiter's window never fills.
        let now = NOW + i * 1_000;
        let mut op = Operation::Pay(session.pay(215, vec![payment.clone()], None, now, Some(i)).unwrap());
        loop {
            match op.poll(now) {
                Action::Send { request } => {
                    let answer = match request.endpoint {
                        bcpay_core::Endpoint::GetPaymentMethods => &methods,
                        bcpay_core::Endpoint::CreatePaymentAccessToken => &token,
                        _ => &paid,
                    };
                    op.on_response(&request.id, answer, now);
                }
                Action::Done { .. } => {
                    done += 1;
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(done, n);
}
