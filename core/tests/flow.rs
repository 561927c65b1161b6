//! `PaymentFlow` against an in-memory store: the retry and reconcile rules, one by one, and a
//! property test over random fault sequences.

mod support;

use bcpay_core::model::Payment;
use bcpay_core::rng::Entropy;
use bcpay_core::secret::ApiToken;
use bcpay_core::{Action, Api, ClientConfig, Endpoint, ErrorKind, FlowOptions, PaymentFlow, RateLimitConfig, RateLimiter, RetryAdvice};
use proptest::prelude::*;
use std::sync::Arc;
use support::{ALL_FAULTS, FakeStore, Fault, drive, drive_concurrent};

const NOW: u64 = 1_795_219_200_000; // 2026-11-21
const ORDER: u64 = 215;

fn api() -> Arc<Api> {
    Arc::new(Api::with_entropy(
        ClientConfig::new("abc123", ApiToken::new("api-token-secret")).unwrap(),
        &mut Entropy::from_seed(3),
    ))
}

fn card() -> Payment {
    serde_json::from_value(serde_json::json!({
        "instrument": {"type": "card", "number": "4242424242424242", "cardholder_name": "Jane Doe", "expiry_month": 12, "expiry_year": 2030, "verification_value": "123"},
        "payment_method_id": "stripe.card"
    }))
    .unwrap()
}

fn gift() -> Payment {
    serde_json::from_value(serde_json::json!({"instrument": {"type": "gift_certificate", "gift_certificate_code": "GC-10-OFF"}, "payment_method_id": "bigcommerce.gift_certificate"})).unwrap()
}

fn fast() -> FlowOptions {
    FlowOptions {
        reconcile_delay_ms: 50,
        ..FlowOptions::default()
    }
}

fn flow(payments: Vec<Payment>, options: FlowOptions) -> PaymentFlow {
    PaymentFlow::with_limiter(
        api(),
        RateLimiter::shared(RateLimitConfig::default()),
        Entropy::from_seed(9),
        ORDER,
        payments,
        options,
        NOW,
    )
    .unwrap()
}

fn run(payments: Vec<Payment>, options: FlowOptions, faults: &[Fault]) -> (Action, FakeStore) {
    let mut store = FakeStore::with_order(ORDER, payments.len());
    let mut f = flow(payments, options);
    let (action, _) = drive(&mut f, &mut store, &mut faults.iter().copied(), NOW);
    (action, store)
}

fn receipt(action: Action) -> bcpay_core::model::PaymentReceipt {
    match action {
        Action::Done { output: receipt } => receipt,
        other => panic!("expected Done, got {other:?}"),
    }
}

fn error(action: Action) -> bcpay_core::PaymentError {
    match action {
        Action::Failed { error } => error,
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[test]
fn happy_path_is_three_calls() {
    let (action, store) = run(vec![card()], fast(), &[]);
    let r = receipt(action);
    assert_eq!(r.requests_sent, 3);
    assert_eq!(r.payments.len(), 1);
    assert!(!r.payments[0].reconciled);
    assert_eq!(store.paid(ORDER), 1);
}

#[test]
fn without_fetching_methods_it_is_two_calls() {
    let (action, _) = run(
        vec![card()],
        FlowOptions {
            fetch_methods: false,
            ..fast()
        },
        &[],
    );
    assert_eq!(receipt(action).requests_sent, 2);
}

#[test]
fn split_payment_pays_gift_certificate_then_card_with_a_token_each() {
    let (action, store) = run(vec![gift(), card()], fast(), &[]);
    let r = receipt(action);
    assert_eq!(r.payments.len(), 2);
    // methods, token, pay, token, pay
    assert_eq!(r.requests_sent, 5);
    assert_eq!(store.ledger[&ORDER], vec!["bigcommerce.gift_certificate", "stripe.card"]);
}

#[test]
fn timeout_after_commit_is_reconciled_not_resent() {
    // methods, token ok; payment times out after the server charged.
    let (action, store) = run(vec![card()], fast(), &[Fault::None, Fault::None, Fault::TimedOutAfterCommit]);
    let r = receipt(action);
    assert!(r.payments[0].reconciled);
    assert_eq!(store.paid(ORDER), 1);
    assert_eq!(store.process_payment_requests, 1);
}

#[test]
fn reset_before_commit_is_ambiguous_by_default_not_resent() {
    let (action, store) = run(vec![card()], fast(), &[Fault::None, Fault::None, Fault::MaybeSentBeforeCommit]);
    let e = error(action);
    assert_eq!(e.kind, ErrorKind::AmbiguousOutcome);
    assert_eq!(e.retry, RetryAdvice::Reconcile);
    assert!(e.detail.as_deref().unwrap().contains("settle window"), "{e}");
    assert_eq!(store.paid(ORDER), 0);
    assert_eq!(store.process_payment_requests, 1);
}

#[test]
fn reset_before_commit_is_resent_after_the_window_when_opted_in() {
    let options = FlowOptions {
        resend_when_unrecorded: true,
        ..fast()
    };
    let (action, store) = run(vec![card()], options, &[Fault::None, Fault::None, Fault::MaybeSentBeforeCommit]);
    let r = receipt(action);
    assert!(!r.payments[0].reconciled);
    assert_eq!(store.paid(ORDER), 1);
    assert_eq!(store.process_payment_requests, 2);
}

/// Runs one card payment whose Process Payment times out after the commit, against a ledger
/// that shows the charge `lag_ms` late; returns the outcome, the store and the time taken.
fn run_lagged(lag_ms: u64, options: FlowOptions) -> (Action, FakeStore, u64) {
    let mut store = FakeStore::with_order(ORDER, 1);
    store.ledger_lag_ms = lag_ms;
    let mut f = flow(vec![card()], options);
    let faults = [Fault::None, Fault::None, Fault::TimedOutAfterCommit];
    let (action, end) = drive(&mut f, &mut store, &mut faults.iter().copied(), NOW);
    (action, store, end - NOW)
}

#[test]
fn a_slow_ledger_never_causes_a_second_charge() {
    // Default options: reads at 2, 6, 14, 30 and 60 s after the timeout.
    for lag_ms in [0, 5_000, 40_000] {
        let (action, store, _) = run_lagged(lag_ms, FlowOptions::default());
        let r = receipt(action);
        assert!(r.payments[0].reconciled, "lag {lag_ms}");
        assert_eq!(store.paid(ORDER), 1, "lag {lag_ms}");
        assert_eq!(store.process_payment_requests, 1, "lag {lag_ms}");
    }
    // Longer than the window: the outcome is ambiguous, and the payment was not sent again.
    let (action, store, elapsed) = run_lagged(90_000, FlowOptions::default());
    let e = error(action);
    assert_eq!(e.kind, ErrorKind::AmbiguousOutcome);
    assert_eq!(store.process_payment_requests, 1);
    assert!((60_000..70_000).contains(&elapsed), "settled over the window: {elapsed} ms");
    // 2 pre-payment calls, the payment, then 5 reads of (transactions, order).
    assert_eq!(store.requests, 3 + 5 * 2);
}

#[test]
fn a_single_negative_read_is_not_proof() {
    // Even opted in to re-sending, a charge that shows 5 s late is found, not repeated.
    let options = FlowOptions {
        resend_when_unrecorded: true,
        ..FlowOptions::default()
    };
    let (action, store, _) = run_lagged(5_000, options);
    assert!(receipt(action).payments[0].reconciled);
    assert_eq!(store.process_payment_requests, 1);
}

#[test]
fn settle_schedule_backs_off_to_the_window() {
    let at: Vec<u64> = bcpay_core::flow::settle_schedule(&FlowOptions::default()).collect();
    assert_eq!(at, [2_000, 6_000, 14_000, 30_000, 60_000]);
    let none = FlowOptions {
        reconcile_delay_ms: 0,
        settle_window_ms: 0,
        ..FlowOptions::default()
    };
    assert_eq!(bcpay_core::flow::settle_schedule(&none).collect::<Vec<_>>(), [0]);
    let short = FlowOptions {
        reconcile_delay_ms: 3_000,
        settle_window_ms: 1_000,
        ..FlowOptions::default()
    };
    assert_eq!(bcpay_core::flow::settle_schedule(&short).collect::<Vec<_>>(), [3_000]);
}

#[test]
fn server_error_10000_after_commit_is_reconciled() {
    let (action, store) = run(vec![card()], fast(), &[Fault::None, Fault::None, Fault::ServerErrorAfterCommit]);
    assert!(receipt(action).payments[0].reconciled);
    assert_eq!(store.paid(ORDER), 1);
}

#[test]
fn unreadable_success_body_is_reconciled() {
    let (action, store) = run(vec![card()], fast(), &[Fault::None, Fault::None, Fault::HtmlOkAfterCommit]);
    assert!(receipt(action).payments[0].reconciled);
    assert_eq!(store.process_payment_requests, 1);
}

#[test]
fn not_sent_and_429_are_resent_directly() {
    let (action, store) = run(
        vec![card()],
        fast(),
        &[Fault::None, Fault::None, Fault::NotSent, Fault::RateLimited],
    );
    receipt(action);
    assert_eq!(store.process_payment_requests, 3);
    assert_eq!(store.paid(ORDER), 1);
    // No reconciliation reads were needed.
    assert_eq!(store.requests, 5);
}

#[test]
fn unauthorized_payment_gets_a_new_token() {
    let (action, store) = run(vec![card()], fast(), &[Fault::None, Fault::None, Fault::Unauthorized]);
    receipt(action);
    // methods, token, pay(401), token, pay
    assert_eq!(store.requests, 5);
}

#[test]
fn decline_fails_without_retry() {
    let (action, store) = run(vec![card()], fast(), &[Fault::None, Fault::None, Fault::Declined]);
    let e = error(action);
    assert_eq!(e.kind, ErrorKind::Declined);
    assert_eq!(e.code, Some(30102));
    assert_eq!(e.retry, RetryAdvice::Never);
    assert_eq!(e.endpoint, Some(Endpoint::ProcessPayment));
    assert!(e.shopper_message.contains("could not be verified"));
    assert_eq!(store.process_payment_requests, 1);
}

#[test]
fn decline_of_second_split_payment_reports_the_first() {
    let (action, _) = run(
        vec![gift(), card()],
        fast(),
        &[Fault::None, Fault::None, Fault::None, Fault::None, Fault::Declined],
    );
    let e = error(action);
    assert_eq!(e.kind, ErrorKind::Declined);
    assert_eq!(e.payments_taken.len(), 1);
    assert_eq!(e.payments_taken[0].payment_method_id, "bigcommerce.gift_certificate");
}

#[test]
fn reconcile_off_reports_ambiguous() {
    let (action, store) = run(
        vec![card()],
        FlowOptions {
            reconcile: false,
            ..fast()
        },
        &[Fault::None, Fault::None, Fault::TimedOutAfterCommit],
    );
    let e = error(action);
    assert_eq!(e.kind, ErrorKind::AmbiguousOutcome);
    assert_eq!(e.retry, RetryAdvice::Reconcile);
    assert_eq!(store.process_payment_requests, 1);
}

#[test]
fn unreadable_transactions_end_ambiguous() {
    let faults = [
        Fault::None,
        Fault::None,
        Fault::TimedOutAfterCommit,
        Fault::NotSent,
        Fault::NotSent,
        Fault::NotSent,
        Fault::NotSent,
    ];
    let (action, store) = run(vec![card()], fast(), &faults);
    let e = error(action);
    assert_eq!(e.kind, ErrorKind::AmbiguousOutcome);
    assert_eq!(store.process_payment_requests, 1);
}

#[test]
fn validation_against_methods_fails_before_paying() {
    let mut amex: Payment = card();
    amex = serde_json::from_value(serde_json::json!({
        "instrument": {"type": "card", "number": "378282246310005", "cardholder_name": "Jane", "expiry_month": 12, "expiry_year": 2030, "verification_value": "1234"},
        "payment_method_id": "stripe.card"
    }))
    .unwrap_or(amex);
    let (action, store) = run(vec![amex], fast(), &[]);
    let e = error(action);
    assert_eq!(e.kind, ErrorKind::Validation);
    assert_eq!(e.field_errors[0].code, "card_brand_not_accepted");
    assert_eq!(store.process_payment_requests, 0);
}

#[test]
fn expiring_token_is_refreshed_before_paying() {
    let mut store = FakeStore::with_order(ORDER, 1);
    let mut f = flow(
        vec![card()],
        FlowOptions {
            fetch_methods: false,
            ..fast()
        },
    );
    // Token arrives, then the host stalls until inside the refresh margin.
    let Action::Send { request } = f.poll(NOW) else { panic!() };
    let support::Outcome::Response(r) = store.handle(&request, Fault::None, NOW) else {
        panic!()
    };
    f.on_response(&request.id, &r, NOW);
    let later = NOW + 3_600_000 - 30_000;
    let Action::Send { request } = f.poll(later) else { panic!() };
    assert_eq!(request.endpoint, Endpoint::CreatePaymentAccessToken);
}

#[test]
fn polling_while_in_flight_never_sends_twice() {
    let mut f = flow(vec![card()], fast());
    let Action::Send { request } = f.poll(NOW) else { panic!() };
    assert_eq!(request.endpoint, Endpoint::GetPaymentMethods);
    // The token goes beside the methods; then there is nothing more to send until one is in.
    let Action::Send { request: token } = f.poll(NOW) else { panic!() };
    assert_eq!(token.endpoint, Endpoint::CreatePaymentAccessToken);
    for _ in 0..3 {
        assert_eq!(
            f.poll(NOW + 1),
            Action::Awaiting {
                request_id: request.id.clone()
            }
        );
    }
}

/// Sends what the flow hands out until it awaits; returns the requests, in order.
fn send_all(f: &mut PaymentFlow, now: u64) -> Vec<bcpay_core::HttpRequest> {
    let mut out = Vec::new();
    while let Action::Send { request } = f.poll(now) {
        out.push(request);
    }
    out
}

use support::deliver as answer;

/// Waits out the flow's waits until it sends; returns the request and the time then.
fn next_send(f: &mut PaymentFlow, mut now: u64) -> (bcpay_core::HttpRequest, u64) {
    loop {
        match f.poll(now) {
            Action::Wait { until_ms } => now = until_ms,
            Action::Send { request } => return (request, now),
            other => panic!("expected a request, got {other:?}"),
        }
    }
}

fn endpoints(requests: &[bcpay_core::HttpRequest]) -> Vec<Endpoint> {
    requests.iter().map(|r| r.endpoint).collect()
}

#[test]
fn methods_and_token_go_out_together_then_process_payment_alone() {
    let mut store = FakeStore::with_order(ORDER, 1);
    let mut f = flow(vec![card()], fast());
    let first = send_all(&mut f, NOW);
    assert_eq!(endpoints(&first), [Endpoint::GetPaymentMethods, Endpoint::CreatePaymentAccessToken]);
    assert_eq!(
        f.poll(NOW),
        Action::Awaiting {
            request_id: first[0].id.clone()
        }
    );
    answer(&mut f, &mut store, &first[0], Fault::None, NOW + 50);
    // The methods are in: the token is awaited, and nothing is sent meanwhile.
    assert_eq!(
        f.poll(NOW + 50),
        Action::Awaiting {
            request_id: first[1].id.clone()
        }
    );
    answer(&mut f, &mut store, &first[1], Fault::None, NOW + 60);
    let second = send_all(&mut f, NOW + 60);
    assert_eq!(endpoints(&second), [Endpoint::ProcessPayment]);
    assert!(matches!(f.poll(NOW + 60), Action::Awaiting { .. }));
    answer(&mut f, &mut store, &second[0], Fault::None, NOW + 110);
    let r = receipt(f.poll(NOW + 110));
    assert_eq!(r.requests_sent, 3);
    assert_eq!(store.paid(ORDER), 1);
}

#[test]
fn a_token_that_answers_first_waits_for_the_methods() {
    let mut store = FakeStore::with_order(ORDER, 1);
    let mut f = flow(vec![card()], fast());
    let first = send_all(&mut f, NOW);
    answer(&mut f, &mut store, &first[1], Fault::None, NOW + 10);
    // Nothing is paid before the methods are in.
    assert_eq!(
        f.poll(NOW + 10),
        Action::Awaiting {
            request_id: first[0].id.clone()
        }
    );
    answer(&mut f, &mut store, &first[0], Fault::None, NOW + 50);
    assert_eq!(endpoints(&send_all(&mut f, NOW + 50)), [Endpoint::ProcessPayment]);
}

#[test]
fn methods_that_refuse_the_card_end_the_flow_and_the_early_token_is_ignored() {
    let mut store = FakeStore::with_order(ORDER, 1);
    let amex: Payment = serde_json::from_value(serde_json::json!({
        "instrument": {"type": "card", "number": "378282246310005", "cardholder_name": "Jane Doe", "expiry_month": 12, "expiry_year": 2030, "verification_value": "1234"},
        "payment_method_id": "stripe.card"
    }))
    .unwrap();
    let mut f = flow(vec![amex], fast());
    let first = send_all(&mut f, NOW);
    answer(&mut f, &mut store, &first[0], Fault::None, NOW + 50);
    let e = error(f.poll(NOW + 50));
    assert_eq!(e.kind, ErrorKind::Validation);
    // The token's late answer changes nothing, and nothing more is sent.
    answer(&mut f, &mut store, &first[1], Fault::None, NOW + 60);
    assert_eq!(error(f.poll(NOW + 60)).kind, ErrorKind::Validation);
    assert_eq!(store.process_payment_requests, 0);
}

#[test]
fn an_early_token_failure_only_costs_the_head_start() {
    let mut store = FakeStore::with_order(ORDER, 1);
    let mut f = flow(vec![card()], fast());
    let first = send_all(&mut f, NOW);
    answer(&mut f, &mut store, &first[1], Fault::ServerErrorBeforeCommit, NOW + 10);
    answer(&mut f, &mut store, &first[0], Fault::None, NOW + 50);
    // Once the methods are in, the Token stage asks, under its own rules.
    let retry = send_all(&mut f, NOW + 50);
    assert_eq!(endpoints(&retry), [Endpoint::CreatePaymentAccessToken]);
    answer(&mut f, &mut store, &retry[0], Fault::None, NOW + 55);
    let pay = send_all(&mut f, NOW + 55);
    assert_eq!(endpoints(&pay), [Endpoint::ProcessPayment]);
    answer(&mut f, &mut store, &pay[0], Fault::None, NOW + 60);
    assert_eq!(receipt(f.poll(NOW + 60)).requests_sent, 4);
}

#[test]
fn a_token_refused_early_as_invalid_is_asked_for_again_then_the_order_read() {
    let mut store = FakeStore::with_order(ORDER, 1);
    let mut f = flow(vec![card()], fast());
    let first = send_all(&mut f, NOW);
    let refusal = bcpay_core::HttpResponse::new(
        422,
        vec![],
        br#"{"status":422,"title":"Order is invalid.","type":"x","code":30101}"#.to_vec(),
    );
    f.on_response(&first[1].id, &refusal, NOW + 10);
    answer(&mut f, &mut store, &first[0], Fault::None, NOW + 50);
    let again = send_all(&mut f, NOW + 50);
    assert_eq!(endpoints(&again), [Endpoint::CreatePaymentAccessToken]);
    f.on_response(&again[0].id, &refusal, NOW + 60);
    // The Token stage's rule for 30101: is the order paid already?
    assert_eq!(endpoints(&send_all(&mut f, NOW + 60)), [Endpoint::GetOrderTransactions]);
}

#[test]
fn a_methods_retry_waits_for_the_token_still_out_before_waiting() {
    let mut store = FakeStore::with_order(ORDER, 1);
    let mut f = flow(vec![card()], fast());
    let first = send_all(&mut f, NOW);
    answer(&mut f, &mut store, &first[0], Fault::ServerErrorBeforeCommit, NOW + 10);
    // The host is told of the token first; a Wait now would leave it unreported.
    assert_eq!(
        f.poll(NOW + 10),
        Action::Awaiting {
            request_id: first[1].id.clone()
        }
    );
    answer(&mut f, &mut store, &first[1], Fault::None, NOW + 20);
    let (retry, now) = next_send(&mut f, NOW + 20);
    assert_eq!(retry.endpoint, Endpoint::GetPaymentMethods);
    // The token is in already: only the methods are out.
    assert_eq!(
        f.poll(now),
        Action::Awaiting {
            request_id: retry.id.clone()
        }
    );
    answer(&mut f, &mut store, &retry, Fault::None, now + 5);
    assert_eq!(endpoints(&send_all(&mut f, now + 5)), [Endpoint::ProcessPayment]);
}

#[test]
fn cancelling_with_methods_and_token_out_is_cancelled_not_ambiguous() {
    let mut f = flow(vec![card()], fast());
    let first = send_all(&mut f, NOW);
    assert_eq!(first.len(), 2);
    let e = f.cancel(NOW + 5);
    assert_eq!(e.kind, ErrorKind::Cancelled);
}

#[test]
fn without_methods_nothing_goes_out_beside_the_token() {
    let mut f = flow(
        vec![card()],
        FlowOptions {
            fetch_methods: false,
            ..fast()
        },
    );
    assert_eq!(endpoints(&send_all(&mut f, NOW)), [Endpoint::CreatePaymentAccessToken]);
}

#[test]
fn stale_response_ids_are_ignored() {
    let mut store = FakeStore::with_order(ORDER, 1);
    let mut f = flow(vec![card()], fast());
    let Action::Send { request } = f.poll(NOW) else { panic!() };
    let support::Outcome::Response(r) = store.handle(&request, Fault::None, NOW) else {
        panic!()
    };
    f.on_response(&bcpay_core::RequestId("someone-else".into()), &r, NOW);
    // Still awaiting the methods (the token goes out beside them first).
    assert!(matches!(f.poll(NOW), Action::Send { request: t } if t.endpoint == Endpoint::CreatePaymentAccessToken));
    assert_eq!(
        f.poll(NOW),
        Action::Awaiting {
            request_id: request.id.clone()
        }
    );
}

#[test]
fn invalid_input_is_rejected_at_construction() {
    let bad: Payment = serde_json::from_value(serde_json::json!({
        "instrument": {"type": "card", "number": "4242424242424241", "cardholder_name": "", "expiry_month": 13, "expiry_year": 30, "verification_value": "12"},
        "payment_method_id": "stripe"
    }))
    .unwrap();
    let e = PaymentFlow::new(api(), 0, vec![bad], FlowOptions::default(), NOW).unwrap_err();
    let codes: Vec<&str> = e.field_errors.iter().map(|f| f.code.as_str()).collect();
    for want in [
        "invalid_order_id",
        "invalid_payment_method_id",
        "luhn_check_failed",
        "missing",
        "invalid_month",
        "invalid_year",
        "invalid_verification_value",
    ] {
        assert!(codes.contains(&want), "{want} not in {codes:?}");
    }
}

#[test]
fn shared_limiter_spaces_payments_across_flows() {
    let limiter = RateLimiter::shared(RateLimitConfig {
        payments_quota: 2,
        payments_window_ms: 1000,
        ..RateLimitConfig::default()
    });
    let mut store = FakeStore::default();
    let mut sends = Vec::new();
    for order in 1..=3u64 {
        store.orders.insert(order, 1);
        let mut f = PaymentFlow::with_limiter(
            api(),
            limiter.clone(),
            Entropy::from_seed(order),
            order,
            vec![card()],
            FlowOptions {
                fetch_methods: false,
                ..fast()
            },
            NOW,
        )
        .unwrap();
        let mut now = NOW;
        loop {
            match f.poll(now) {
                Action::Send { request } => {
                    if request.endpoint == Endpoint::ProcessPayment {
                        sends.push(now);
                    }
                    let support::Outcome::Response(r) = store.handle(&request, Fault::None, now) else {
                        panic!()
                    };
                    f.on_response(&request.id, &r, now);
                }
                Action::Wait { until_ms } => now = until_ms,
                Action::Done { .. } => break,
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(sends.len(), 3);
    // The third payment waited for the window: at most 2 in any 1000 ms.
    assert!(sends[2] - sends[0] >= 1000, "{sends:?}");
}

fn fault_strategy() -> impl Strategy<Value = Fault> {
    prop::sample::select(ALL_FAULTS.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever the server and network do, the store never records a payment twice, the flow
    /// ends within its request ceiling, a Done means every payment was taken exactly once, and a
    /// failure other than AmbiguousOutcome means the failing payment was not taken.
    #[test]
    fn never_double_charges(faults in prop::collection::vec(fault_strategy(), 0..40), split in any::<bool>(), reconcile in any::<bool>(), seed in any::<u64>(),
                            lag_ms in prop::sample::select(vec![0u64, 50, 900, 5_000, 40_000, 120_000]), resend in any::<bool>(),
                            host in prop::sample::select(vec![0u8, 1, 2])) {
        let payments = if split { vec![gift(), card()] } else { vec![card()] };
        let needed = payments.len();
        let mut store = FakeStore::with_order(ORDER, needed);
        store.ledger_lag_ms = lag_ms;
        // Opting in to re-sending trades the lag guarantee for completion: only a ledger that
        // keeps up within the window is safe with it.
        let settle_window_ms = 2_000;
        let resend_when_unrecorded = resend && lag_ms < settle_window_ms;
        let options = FlowOptions { reconcile, reconcile_delay_ms: 10, settle_window_ms, resend_when_unrecorded, ..FlowOptions::default() };
        let mut f = PaymentFlow::with_limiter(api(), RateLimiter::shared(RateLimitConfig::default()), Entropy::from_seed(seed), ORDER, payments, options, NOW).unwrap();
        // A host that reports each outcome before polling again, and two that send all they are
        // handed first, reporting in order sent or newest first.
        let (action, _) = match host {
            0 => drive(&mut f, &mut store, &mut faults.into_iter(), NOW),
            h => drive_concurrent(&mut f, &mut store, &mut faults.into_iter(), NOW, h == 2),
        };
        let ledger = store.ledger.get(&ORDER).cloned().unwrap_or_default();
        let mut methods = ledger.clone();
        methods.dedup();
        prop_assert_eq!(methods.len(), ledger.len(), "double charge: {:?}", ledger);
        match action {
            Action::Done { output: receipt } => {
                prop_assert_eq!(receipt.payments.len(), needed);
                prop_assert_eq!(ledger.len(), needed);
            }
            Action::Failed { error } => {
                if error.kind != ErrorKind::AmbiguousOutcome {
                    prop_assert_eq!(ledger.len(), error.payments_taken.len(), "non-ambiguous failure but the failing payment was taken: {:?}", error);
                }
            }
            other => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}

#[test]
fn short_lived_token_is_used_not_replaced_forever() {
    // A token that lives 10 s is inside the default 60 s margin the moment it arrives.
    let pat = bcpay_core::api::payment_access_token(bcpay_core::secret::PatSecret::new(support::jwt_lived(NOW / 1000, 10, ORDER)), NOW);
    assert!(!pat.expires_within(NOW, 60_000));
    assert!(pat.expires_within(NOW + 5_000, 60_000));
    assert!(pat.is_expired(NOW + 10_000));
}

#[test]
fn cancelling_says_whether_a_payment_may_have_been_sent() {
    // Before any Process Payment: cancelled, nothing taken.
    let mut f = flow(vec![card()], fast());
    let Action::Send { .. } = f.poll(NOW) else { panic!() };
    let e = f.cancel(NOW + 1);
    assert_eq!(e.kind, ErrorKind::Cancelled);
    assert!(f.is_finished());
    // With Process Payment in flight: ambiguous, to reconcile.
    let mut store = FakeStore::with_order(ORDER, 1);
    let mut f = flow(
        vec![card()],
        FlowOptions {
            fetch_methods: false,
            ..fast()
        },
    );
    let mut now = NOW;
    loop {
        match f.poll(now) {
            Action::Send { request } if request.endpoint == Endpoint::ProcessPayment => break,
            Action::Send { request } => match store.handle(&request, support::Fault::None, now) {
                support::Outcome::Response(r) => f.on_response(&request.id, &r, now),
                support::Outcome::Failure(x) => f.on_transport_failure(&request.id, x, None, now),
            },
            Action::Wait { until_ms } => now = until_ms,
            other => panic!("{other:?}"),
        }
    }
    let e = f.cancel(now);
    assert_eq!(e.kind, ErrorKind::AmbiguousOutcome);
    assert_eq!(e.retry, RetryAdvice::Reconcile);
    assert!(matches!(f.poll(now), Action::Failed { .. }));
}
