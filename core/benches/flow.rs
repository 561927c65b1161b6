//! SDK CPU per payment: build + parse of the three calls (methods, token, process), through the
//! stateless API and through `PaymentFlow`. Responses are canned, so this measures only bcpay.

use bcpay_core::api::MethodsQuery;
use bcpay_core::rng::Entropy;
use bcpay_core::secret::ApiToken;
use bcpay_core::{Action, Api, ClientConfig, FlowOptions, PaymentFlow, RateLimitConfig, RateLimiter};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;

#[path = "canned.rs"]
mod canned;
use canned::{NOW, payment, responses};

fn bench(c: &mut Criterion) {
    let api = Arc::new(Api::with_entropy(
        ClientConfig::new("abc123", ApiToken::new("token")).unwrap(),
        &mut Entropy::from_seed(1),
    ));
    let [methods, token, paid] = responses();
    let p = payment();

    c.bench_function("stateless: build+parse methods, token, process", |b| {
        b.iter(|| {
            let r1 = api.build_get_payment_methods(&MethodsQuery::OrderId(215)).unwrap();
            let m = api.parse_get_payment_methods(&r1.id, &methods).unwrap();
            let r2 = api.build_create_access_token(215, false).unwrap();
            let t = api.parse_create_access_token(&r2.id, &token, NOW).unwrap();
            let r3 = api.build_process_payment(&t.secret, &p, NOW, Some(&m)).unwrap();
            black_box(api.parse_process_payment(&r3.id, &paid, "stripe.card").unwrap())
        })
    });

    c.bench_function("PaymentFlow: methods, token, process", |b| {
        b.iter(|| {
            // A fresh limiter per payment: the bench's clock stands still, so slots would pile up.
            let limiter = RateLimiter::shared(RateLimitConfig::default());
            let mut flow = PaymentFlow::with_limiter(
                api.clone(),
                limiter,
                Entropy::from_seed(1),
                215,
                vec![p.clone()],
                FlowOptions::default(),
                NOW,
            )
            .unwrap();
            let mut i = 0;
            loop {
                match flow.poll(NOW) {
                    Action::Send { request } => {
                        flow.on_response(&request.id, [&methods, &token, &paid][i], NOW);
                        i += 1;
                    }
                    Action::Done { output: receipt } => break black_box(receipt),
                    other => panic!("{other:?}"),
                }
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
