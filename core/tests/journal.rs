//! The billing journal (`bcpay_core::journal`) against an in-memory store: a run killed at any
//! point and run again charges an order at most once, and settles what the killed run left.

mod support;

use bcpay_core::journal::{JournalRecord, JournalState, JournalStep, Plan, plan};
use bcpay_core::model::Payment;
use bcpay_core::rng::Entropy;
use bcpay_core::secret::ApiToken;
use bcpay_core::{ClientConfig, ErrorKind, FlowOptions, RateLimitConfig, Session};
use proptest::prelude::*;
use support::{FakeStore, Fault, Outcome};

const NOW: u64 = 1_795_219_200_000; // 2026-11-21
const ORDER: u64 = 215;
const TOKEN: &str = "a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e8d9c0b1a2f3";

fn session(options: FlowOptions) -> Session {
    let config = ClientConfig::new("abc123", ApiToken::new("api-token-secret")).unwrap();
    Session::with_entropy(config, RateLimitConfig::default(), Entropy::from_seed(5)).with_options(options)
}

fn stored_card() -> Payment {
    serde_json::from_value(serde_json::json!({
        "instrument": {"type": "stored_card", "token": TOKEN, "verification_value": "123"},
        "payment_method_id": "stripe.card"
    }))
    .unwrap()
}

fn fast() -> FlowOptions {
    FlowOptions {
        reconcile_delay_ms: 50,
        settle_window_ms: 2_000,
        fetch_methods: false,
        ..FlowOptions::default()
    }
}

/// How one run of a billing job went for the order.
struct Run {
    /// The record in durable storage when the run ended (or was killed).
    stored: Option<JournalRecord>,
    /// The final record and whether it was skipped; `None` when killed.
    finished: Option<(JournalRecord, bool)>,
    /// Steps the run took.
    steps: usize,
    now: u64,
}

/// One run of the job for the order, starting from `stored`. With `kill_at: Some(k)`, the run
/// dies at its k-th step; a send it was making reaches the store first when `delivered`.
fn run(
    session: &Session,
    store: &mut FakeStore,
    stored: Option<JournalRecord>,
    faults: &[Fault],
    kill_at: Option<(usize, bool)>,
    start: u64,
) -> Run {
    let mut op = session.pay_journaled(ORDER, stored_card(), stored.clone(), None, start, Some(1));
    let mut stored = stored;
    let mut faults = faults.iter().copied();
    let mut now = start;
    for step in 0..100_000 {
        let polled = op.poll(now);
        if let Some((k, delivered)) = kill_at
            && step == k
        {
            if let (JournalStep::Send { request }, true) = (&polled, delivered) {
                store.handle(request, Fault::None, now + 5);
            }
            return Run {
                stored,
                finished: None,
                steps: step,
                now: now + 10,
            };
        }
        match polled {
            JournalStep::Write { record } => {
                // Written records are readable back, as a host's storage holds them.
                stored = Some(JournalRecord::read(&record.to_json()).unwrap());
                op.written();
            }
            JournalStep::Send { request } => {
                now += 5;
                match store.handle(&request, faults.next().unwrap_or(Fault::None), now) {
                    Outcome::Response(r) => op.on_response(&request.id, &r, now),
                    Outcome::Failure(f) => op.on_transport_failure(&request.id, f, None, now),
                }
            }
            JournalStep::Wait { until_ms } => now = until_ms,
            JournalStep::Awaiting { .. } => unreachable!("each outcome is reported before polling again"),
            JournalStep::Finished { record, skipped } => {
                assert_eq!(Some(&record), stored.as_ref(), "the final record is the stored one");
                return Run {
                    stored,
                    finished: Some((record, skipped)),
                    steps: step,
                    now,
                };
            }
        }
    }
    panic!("the journaled payment did not finish");
}

fn finished(r: &Run) -> &JournalRecord {
    &r.finished.as_ref().expect("the run finished").0
}

#[test]
fn sending_is_written_before_the_payment_goes_out_and_the_outcome_after() {
    let s = session(fast());
    let mut op = s.pay_journaled(ORDER, stored_card(), None, None, NOW, Some(1));
    let mut store = FakeStore::with_order(ORDER, 1);
    let mut now = NOW;
    // The token call goes first, with nothing written.
    let JournalStep::Send { request } = op.poll(now) else { panic!() };
    let Outcome::Response(r) = store.handle(&request, Fault::None, now) else {
        panic!()
    };
    op.on_response(&request.id, &r, now);
    now += 5;
    // Then the record, and the payment only once the host says it is written.
    let JournalStep::Write { record } = op.poll(now) else {
        panic!("sending is written first")
    };
    assert_eq!(record.state, JournalState::Sending);
    assert_eq!((record.attempts, record.sent_at_ms), (1, Some(now)));
    assert!(matches!(op.poll(now), JournalStep::Write { .. }), "not sent before it is written");
    op.written();
    let JournalStep::Send { request } = op.poll(now) else { panic!() };
    assert_eq!(record.attempt_id.as_deref(), Some(request.id.0.as_str()));
    let Outcome::Response(r) = store.handle(&request, Fault::None, now) else {
        panic!()
    };
    op.on_response(&request.id, &r, now);
    let JournalStep::Write { record } = op.poll(now) else {
        panic!("the outcome is written")
    };
    assert_eq!(record.state, JournalState::Paid);
    assert!(record.receipt.is_some());
    op.written();
    assert!(matches!(op.poll(now), JournalStep::Finished { skipped: false, .. }));
    assert_eq!(store.paid(ORDER), 1);
}

#[test]
fn a_record_holds_no_token_cvv_or_card_number() {
    let s = session(fast());
    let mut store = FakeStore::with_order(ORDER, 1);
    let r = run(&s, &mut store, None, &[], None, NOW);
    let text = finished(&r).to_json();
    for secret in [TOKEN, "123\"", "api-token-secret"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(finished(&r).instrument.fingerprint.as_ref().map(String::len), Some(16));
}

#[test]
fn a_payment_sent_by_a_killed_run_is_settled_not_sent_again() {
    let s = session(fast());
    let mut store = FakeStore::with_order(ORDER, 1);
    // Steps: 0 token, 1 write sending, 2 send payment — delivered, then the run dies.
    let killed = run(&s, &mut store, None, &[], Some((2, true)), NOW);
    assert_eq!(killed.stored.as_ref().unwrap().state, JournalState::Sending);
    assert_eq!(store.paid(ORDER), 1);
    let rerun = run(&s, &mut store, killed.stored, &[], None, killed.now + 60_000);
    let record = finished(&rerun);
    assert_eq!(record.state, JournalState::Paid);
    assert!(record.receipt.as_ref().unwrap().payments[0].reconciled);
    assert_eq!(store.process_payment_requests, 1, "settled from the ledger, not sent again");
    // Long after the window: one settle read (transactions, order), no waiting.
    assert_eq!(rerun.now, killed.now + 60_000 + 2 * 5);
}

#[test]
fn a_kill_before_the_send_leaves_it_ambiguous_unless_resending_is_opted_in() {
    let s = session(fast());
    let mut store = FakeStore::with_order(ORDER, 1);
    let killed = run(&s, &mut store, None, &[], Some((2, false)), NOW);
    assert_eq!(store.process_payment_requests, 0);
    // Absent evidence is not proof: by default the order is reported, not paid again.
    let rerun = run(&s, &mut store, killed.stored.clone(), &[], None, killed.now + 100);
    assert_eq!(finished(&rerun).state, JournalState::Ambiguous);
    assert_eq!(finished(&rerun).error.as_ref().unwrap().kind, "ambiguous_outcome");
    assert_eq!(store.process_payment_requests, 0);
    // The settle window counted from the recorded send, not from the rerun.
    assert!(rerun.now >= killed.stored.as_ref().unwrap().sent_at_ms.unwrap() + 2_000);
    // Opted in, once the window has passed with nothing recorded, it is paid — once.
    let s = session(FlowOptions {
        resend_when_unrecorded: true,
        ..fast()
    });
    let again = run(&s, &mut store, rerun.stored, &[], None, rerun.now + 100);
    assert_eq!(finished(&again).state, JournalState::Paid);
    assert_eq!(finished(&again).attempts, 2);
    assert_eq!(store.paid(ORDER), 1);
}

#[test]
fn an_ambiguous_order_whose_charge_shows_late_is_paid_on_the_next_run() {
    let s = session(fast());
    let mut store = FakeStore::with_order(ORDER, 1);
    store.ledger_lag_ms = 10_000; // longer than the 2 s window
    let first = run(&s, &mut store, None, &[Fault::None, Fault::TimedOutAfterCommit], None, NOW);
    assert_eq!(finished(&first).state, JournalState::Ambiguous);
    let next = run(&s, &mut store, first.stored, &[], None, first.now + 20_000);
    assert_eq!(finished(&next).state, JournalState::Paid);
    assert_eq!(store.process_payment_requests, 1);
}

#[test]
fn finished_records_are_skipped_and_failed_ones_paid() {
    let s = session(fast());
    let mut store = FakeStore::with_order(ORDER, 1);
    let paid = run(&s, &mut store, None, &[], None, NOW);
    let again = run(&s, &mut store, paid.stored.clone(), &[], None, paid.now + 1);
    assert!(again.finished.as_ref().unwrap().1, "skipped");
    assert_eq!(again.steps, 0);
    assert_eq!(store.requests, 2);

    let mut store = FakeStore::with_order(ORDER, 1);
    let declined = run(&s, &mut store, None, &[Fault::None, Fault::Declined], None, NOW);
    assert_eq!(finished(&declined).state, JournalState::Declined);
    assert_eq!(plan(declined.stored.as_ref()), Plan::Skip);

    // Failed without taking anything (the token call refused): the next run pays.
    let mut failed = declined.stored.unwrap();
    failed.state = JournalState::Failed;
    assert_eq!(plan(Some(&failed)), Plan::Pay);
    let retried = run(&s, &mut store, Some(failed), &[], None, NOW + 10);
    assert_eq!(finished(&retried).state, JournalState::Paid);
    assert_eq!(finished(&retried).attempts, 2);
}

#[test]
fn outcomes_are_recorded_by_one_classification() {
    use bcpay_core::journal::state_of;
    use bcpay_core::{PaymentError, RetryAdvice};
    let e = |kind| Err(PaymentError::new(kind, "x"));
    // A gateway's duplicate (30105) may mean the first payment went through: confirm, not decline.
    assert_eq!(state_of(&e(ErrorKind::DuplicatePayment)), JournalState::Ambiguous);
    assert_eq!(state_of(&e(ErrorKind::Declined)), JournalState::Declined);
    assert_eq!(state_of(&e(ErrorKind::AmbiguousOutcome)), JournalState::Ambiguous);
    let mut server = PaymentError::new(ErrorKind::Server, "x");
    server.retry = RetryAdvice::Reconcile;
    assert_eq!(state_of(&Err(server)), JournalState::Ambiguous);
    assert_eq!(state_of(&e(ErrorKind::Validation)), JournalState::Failed);
}

#[test]
fn unreadable_records_are_typed_errors() {
    for (text, path) in [
        ("{", "journal_record"),
        (
            r#"{"version":2,"order_id":1,"state":"paid","instrument":{"type":"store_credit","payment_method_id":"x"},"attempts":1,"updated_at_ms":0}"#,
            "journal_record.version",
        ),
        (
            r#"{"version":1,"order_id":1,"state":"paid","instrument":{"type":"store_credit","payment_method_id":"x"},"attempts":1,"updated_at_ms":0,"cvv":"1"}"#,
            "journal_record",
        ),
    ] {
        let e = JournalRecord::read(text).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
        assert_eq!(e.field_errors[0].path, path, "{text}");
    }
}

#[test]
fn one_payment_per_order_at_a_time_in_a_session() {
    let s = session(fast());
    let first = s.pay(ORDER, vec![stored_card()], None, NOW, None).unwrap();
    let e = s.pay(ORDER, vec![stored_card()], None, NOW, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    assert_eq!(e.code_text.as_deref(), Some("payment_in_progress"));
    assert!(
        s.pay(ORDER + 1, vec![stored_card()], None, NOW, None).is_ok(),
        "other orders are free"
    );
    drop(first);
    let mut again = s.pay(ORDER, vec![stored_card()], None, NOW, None).unwrap();
    again.cancel(NOW);
    assert!(
        s.pay(ORDER, vec![stored_card()], None, NOW, None).is_ok(),
        "a finished flow frees its order"
    );
    // A journaled payment of a busy order fails, nothing sent, and writes nothing: the stored
    // record (here a `sending` a killed run left) is the other payment's to settle.
    let mut sending = run(&s, &mut FakeStore::with_order(ORDER, 1), None, &[], None, NOW).stored.unwrap();
    sending.state = JournalState::Sending;
    let _busy = s.pay(ORDER, vec![stored_card()], None, NOW, None).unwrap();
    let mut store = FakeStore::with_order(ORDER, 1);
    let mut op = s.pay_journaled(ORDER, stored_card(), Some(sending), None, NOW, None);
    let JournalStep::Finished { record, skipped: false } = op.poll(NOW) else {
        panic!("no write, no send")
    };
    assert_eq!(record.state, JournalState::Failed);
    assert_eq!(record.error.as_ref().unwrap().kind, "conflict");
    assert_eq!(store.requests, 0);
    let _ = &mut store;
}

fn fault_strategy() -> impl Strategy<Value = Fault> {
    prop::sample::select(support::ALL_FAULTS.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Runs killed at random points, with random faults and ledger lag, then a run to the end,
    /// and one more after the ledger has caught up: never two charges, a paid record only for a
    /// charged order, and every charge found in the end.
    #[test]
    fn killed_and_rerun_never_double_charges(
        kills in prop::collection::vec((0usize..12, any::<bool>()), 0..4),
        faults in prop::collection::vec(fault_strategy(), 0..8),
        lag_ms in prop::sample::select(vec![0u64, 500, 5_000]),
        resend in any::<bool>(),
    ) {
        let s = session(FlowOptions { resend_when_unrecorded: resend, ..fast() });
        let mut store = FakeStore::with_order(ORDER, 1);
        // Resending after the window is safe only when the ledger lags less than the window:
        // the documented condition of `resend_when_unrecorded`.
        store.ledger_lag_ms = if resend { lag_ms.min(500) } else { lag_ms };
        let mut stored = None;
        let mut now = NOW;
        for kill in kills {
            let r = run(&s, &mut store, stored, &faults, Some(kill), now);
            stored = r.stored;
            now = r.now;
            prop_assert!(store.paid(ORDER) <= 1);
        }
        let last = run(&s, &mut store, stored, &faults, None, now);
        prop_assert!(store.paid(ORDER) <= 1, "charged {} times", store.paid(ORDER));
        let record = finished(&last).clone();
        if record.state == JournalState::Paid {
            prop_assert_eq!(store.paid(ORDER), 1);
        }
        // After the ledger caught up, a later run tells the truth about every charge.
        let later = run(&s, &mut store, Some(record), &[], None, last.now + 60_000);
        prop_assert!(store.paid(ORDER) <= 1);
        if store.paid(ORDER) == 1 {
            prop_assert_eq!(finished(&later).state, JournalState::Paid);
        }
    }
}
