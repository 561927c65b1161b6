//! SDK CPU per payment: build + parse of the three calls (methods, token, process), through the
//! stateless API and through `PaymentFlow`. Responses are canned, so this measures only bcpay.

use bcpay_core::api::MethodsQuery;
use bcpay_core::http::{Header, HttpResponse};
use bcpay_core::model::Payment;
use bcpay_core::rng::Entropy;
use bcpay_core::secret::ApiToken;
use bcpay_core::{Action, Api, ClientConfig, FlowOptions, PaymentFlow, RateLimitConfig, RateLimiter};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;

const NOW: u64 = 1_795_219_200_000;
const PAT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3OTUyMjI4MDAsIm5iZiI6MTc5NTIxOTIwMCwiaWF0IjoxNzk1MjE5MjAwLCJpc3MiOiJwYXltZW50cy5iaWdjb21tZXJjZS5jb20iLCJzdWIiOiJhYmMxMjMiLCJqdGkiOiJqIiwiZGF0YSI6eyJzdG9yZV9pZCI6MSwib3JkZXJfaWQiOjIxNSwiYW1vdW50Ijo2MDk4LCJjdXJyZW5jeSI6IlVTRCJ9fQ.c2ln";

fn responses() -> [HttpResponse; 3] {
    let h = || vec![Header::new("Content-Type", "application/json")];
    [
        HttpResponse::new(200, h(), br#"{"data":[{"id":"stripe.card","name":"Stripe","test_mode":true,"type":"card","supported_instruments":[{"instrument_type":"VISA","verification_value_required":true},{"instrument_type":"MASTERCARD","verification_value_required":true},{"instrument_type":"AMEX","verification_value_required":true},{"instrument_type":"STORED_CARD","verification_value_required":true}],"stored_instruments":[{"type":"stored_card","brand":"VISA","expiry_month":9,"expiry_year":2030,"issuer_identification_number":"424242","last_4":"4242","token":"050a1e5c982e5905288ec5ec33f292772762033a0704f46fccb16bf1940b51ef","is_default":true}]},{"id":"bigcommerce.gift_certificate","name":"Gift Certificate","test_mode":false,"type":"gift_certificate","supported_instruments":[],"stored_instruments":[]}],"meta":{}}"#.to_vec()),
        HttpResponse::new(201, h(), format!(r#"{{"data":{{"id":"{PAT}"}},"meta":{{}}}}"#).into_bytes()),
        HttpResponse::new(201, h(), br#"{"data":{"id":"693bb4cd-3f20-444a-8315-6369f582c68a","status":"success","transaction_type":"purchase"}}"#.to_vec()),
    ]
}

fn payment() -> Payment {
    serde_json::from_str(r#"{"instrument":{"type":"card","number":"4242424242424242","cardholder_name":"Jane Doe","expiry_month":12,"expiry_year":2030,"verification_value":"123"},"payment_method_id":"stripe.card"}"#).unwrap()
}

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
