//! The shape of every result the core hands to a host, written to `tests/types/outputs.json` so
//! that the hand-written host declarations (npm's `types.ts`, Python's `_models.py`) are checked
//! against it: each host's test suite type-checks these samples against its declarations.
//!
//! Each record is built here twice, with a struct literal the compiler holds to the core's
//! fields: `full` (every optional field set, one element in each list) and `bare` (every optional
//! field empty). A field added to the core fails to compile here until it has a sample; the
//! refreshed file then fails the hosts' checks until they declare it.
//!
//! Refresh: `BCPAY_BLESS=1 cargo test -p bcpay-core --test output_types`.

use bcpay_core::error::{ErrorKind, FieldError, RetryAdvice};
use bcpay_core::http::{Endpoint, TransportFailure};
use bcpay_core::model::*;
use bcpay_core::secret::InstrumentToken;
use bcpay_core::session::PreparedPayment;
use bcpay_core::validate::{CardFormCheck, FieldCheck, FieldState};
use serde_json::{Value, json};
use std::sync::Arc;

fn some<T>(full: bool, value: T) -> Option<T> {
    full.then_some(value)
}

fn list<T>(full: bool, item: impl FnOnce() -> T) -> Vec<T> {
    if full { vec![item()] } else { Vec::new() }
}

fn amount(text: &str) -> Amount {
    Amount::parse(text).expect("an amount")
}

fn transaction(full: bool) -> Transaction {
    Transaction {
        id: some(full, 1),
        order_id: some(full, "101".to_owned()),
        event: "purchase".to_owned(),
        method: "credit_card".to_owned(),
        amount: amount("10.00"),
        currency: "USD".to_owned(),
        gateway: "stripe".to_owned(),
        gateway_transaction_id: some(full, "ch_1".to_owned()),
        status: "ok".to_owned(),
        test: true,
        payment_method_id: some(full, "stripe.card".to_owned()),
        date_created: some(full, "2026-01-01T00:00:00Z".to_owned()),
        reference_transaction_id: some(full, 2),
    }
}

fn processed_payment(full: bool) -> ProcessedPayment {
    ProcessedPayment {
        id: some(full, "t1".to_owned()),
        status: PaymentStatus::parse("success"),
        transaction_type: TransactionType::parse("purchase"),
        payment_method_id: "stripe.card".to_owned(),
        reconciled: false,
    }
}

fn stored_instrument(full: bool) -> StoredInstrument {
    let token = InstrumentToken::new("050a1e5c982e5905");
    StoredInstrument {
        instrument_type: "stored_card".to_owned(),
        token_hint: token.redacted(),
        token,
        is_default: true,
        brand: some(full, "VISA".to_owned()),
        expiry_month: some(full, 9),
        expiry_year: some(full, 2030),
        issuer_identification_number: some(full, "424242".to_owned()),
        last_4: some(full, "4242".to_owned()),
        email: some(full, "a@example.com".to_owned()),
        masked_account_number: some(full, "****1234".to_owned()),
        issuer: some(full, "bank".to_owned()),
    }
}

fn payment_method(full: bool) -> PaymentMethod {
    PaymentMethod {
        id: "stripe.card".to_owned(),
        name: "Stripe".to_owned(),
        test_mode: true,
        method_type: "card".to_owned(),
        supported_instruments: list(full, || SupportedInstrument {
            instrument_type: InstrumentType::parse("VISA"),
            verification_value_required: true,
        }),
        stored_instruments: list(full, || stored_instrument(full)),
    }
}

fn refund_payment_option(full: bool) -> RefundPaymentOption {
    RefundPaymentOption {
        provider_id: "stripe".to_owned(),
        provider_description: some(full, "Stripe".to_owned()),
        amount: amount("9.99"),
        offline: false,
        offline_provider: false,
        offline_reason: some(full, "why".to_owned()),
    }
}

fn field_check(full: bool) -> FieldCheck {
    FieldCheck {
        field: "number",
        state: FieldState::Invalid,
        code: some(full, "luhn_check_failed"),
        description: some(full, "The card number is not valid."),
    }
}

/// Every record a host receives, by the name the hosts declare it under, in both forms.
/// Each kind of event, with its optional fields set and empty.
fn flow_events() -> Vec<Value> {
    use bcpay_core::http::{Method, RequestId};
    use bcpay_core::observe::{Decision, FlowEvent};
    let id = || RequestId("req-1".to_owned());
    let mut events = vec![FlowEvent::Request {
        endpoint: Endpoint::GetOrder,
        request_id: id(),
        method: Method::Get,
        url: "https://api.bigcommerce.com/stores/abc123/v2/orders/101".to_owned(),
        attempt: 1,
    }];
    for full in [true, false] {
        events.push(FlowEvent::Response {
            endpoint: Endpoint::GetOrder,
            request_id: id(),
            status: 200,
            elapsed_ms: 12,
            attempt: 1,
            server_request_id: some(full, "cf-1".to_owned()),
        });
        events.push(FlowEvent::TransportFailure {
            endpoint: Endpoint::GetOrder,
            request_id: id(),
            failure: TransportFailure::NotSent,
            cause: some(full, "connect ECONNREFUSED".to_owned()),
            elapsed_ms: 3,
            attempt: 2,
        });
        events.push(FlowEvent::Decision {
            decision: Decision::Retry,
            reason: "get_order answered 503".to_owned(),
            wait_ms: some(full, 100),
        });
    }
    events
        .iter()
        .map(|e| serde_json::to_value(e).expect("an event serializes"))
        .collect()
}

fn records() -> Vec<(&'static str, Vec<Value>)> {
    let both = |make: &dyn Fn(bool) -> Value| vec![make(true), make(false)];
    let value = |v: &dyn erased::Ser| v.to_value();
    vec![
        ("Transaction", both(&|f| value(&transaction(f)))),
        ("FlowEvent", flow_events()),
        ("ProcessedPayment", both(&|f| value(&processed_payment(f)))),
        ("StoredInstrument", both(&|f| value(&stored_instrument(f)))),
        ("PaymentMethod", both(&|f| value(&payment_method(f)))),
        (
            "PatClaims",
            both(&|f| {
                value(&PatClaims {
                    exp: some(f, 2),
                    nbf: some(f, 1),
                    iat: some(f, 1),
                    iss: some(f, "payments.bigcommerce.com".to_owned()),
                    sub: some(f, "abc123".to_owned()),
                    jti: some(f, "j".to_owned()),
                    store_id: some(f, 1),
                    order_id: some(f, 101),
                    amount: some(f, 1000),
                    currency: some(f, "USD".to_owned()),
                })
            }),
        ),
        (
            "PaymentReceipt",
            both(&|f| {
                value(&PaymentReceipt {
                    order_id: 101,
                    payments: list(f, || processed_payment(f)),
                    requests_sent: 3,
                    order_state: OrderPaymentState::Paid,
                    amount_paid: some(f, amount("10.00")),
                    amount_remaining: some(f, amount("0.00")),
                    currency: some(f, "USD".to_owned()),
                    transactions: list(f, || transaction(f)),
                })
            }),
        ),
        (
            "PreparedPayment",
            both(&|f| {
                value(&PreparedPayment {
                    order_id: 101,
                    methods: Arc::new(list(f, || payment_method(f))),
                    token_expires_at_ms: 3_600_000,
                })
            }),
        ),
        (
            "OrderPaymentStatus",
            both(&|f| {
                value(&OrderPaymentStatus {
                    order_id: 101,
                    state: OrderPaymentState::Unpaid,
                    total: some(f, amount("10.00")),
                    paid: amount("0.00"),
                    remaining: some(f, amount("10.00")),
                    currency: some(f, "USD".to_owned()),
                    order_status_id: some(f, 0),
                    transactions: list(f, || transaction(f)),
                })
            }),
        ),
        (
            "Order",
            both(&|f| {
                value(&Order {
                    id: 101,
                    status_id: some(f, 0),
                    status: "Incomplete".to_owned(),
                    payment_status: String::new(),
                    customer_id: some(f, 0),
                    total_inc_tax: some(f, amount("10.00")),
                    currency_code: some(f, "USD".to_owned()),
                })
            }),
        ),
        (
            "TransactionPage",
            both(&|f| {
                value(&TransactionPage {
                    transactions: list(f, || transaction(f)),
                    current_page: 1,
                    total_pages: 1,
                })
            }),
        ),
        ("RefundPaymentOption", both(&|f| value(&refund_payment_option(f)))),
        (
            "RefundQuote",
            both(&|f| {
                value(&RefundQuote {
                    order_id: some(f, 101),
                    total_refund_amount: amount("9.99"),
                    total_refund_tax_amount: amount("0.00"),
                    rounding: amount("0.00"),
                    adjustment: amount("0.00"),
                    tax_inclusive: false,
                    refund_methods: list(f, || list(f, || refund_payment_option(f))),
                })
            }),
        ),
        (
            "Refund",
            both(&|f| {
                value(&Refund {
                    id: some(f, 1),
                    order_id: some(f, 101),
                    created: some(f, "2026-01-01T00:00:00Z".to_owned()),
                    reason: some(f, "why".to_owned()),
                    total_amount: amount("9.99"),
                    total_tax: amount("0.00"),
                    payments: list(f, || RefundPayment {
                        id: some(f, 1),
                        provider_id: "stripe".to_owned(),
                        amount: amount("9.99"),
                        offline: false,
                        is_declined: false,
                        declined_message: some(f, "no".to_owned()),
                    }),
                })
            }),
        ),
        (
            "FieldError",
            both(&|_| {
                value(&FieldError::new(
                    "payments.0.instrument.number",
                    "luhn_check_failed",
                    "The card number is not valid.",
                ))
            }),
        ),
        ("FieldCheck", both(&|f| value(&field_check(f)))),
        (
            "CardFormCheck",
            both(&|f| {
                value(&CardFormCheck {
                    brand: some(f, CardBrand::Visa),
                    payment_method_id: some(f, "stripe.card".to_owned()),
                    verification_value_required: true,
                    expiry_month: some(f, 9),
                    expiry_year: some(f, 2030),
                    fields: list(f, || field_check(f)),
                    complete: false,
                })
            }),
        ),
        (
            "RetryAdvice",
            vec![
                value(&RetryAdvice::Never),
                value(&RetryAdvice::After { ms: 100 }),
                value(&RetryAdvice::WithNewToken),
                value(&RetryAdvice::Reconcile),
            ],
        ),
    ]
}

/// Closed sets of names a host declares as unions or literals.
fn enums() -> Vec<(&'static str, Vec<Value>)> {
    use OrderPaymentState::*;
    let states = [Unpaid, PartiallyPaid, Paid, AlreadyPaid, Ambiguous];
    // A new state fails to compile here until it is in the list above.
    for s in states {
        match s {
            Unpaid | PartiallyPaid | Paid | AlreadyPaid | Ambiguous => {}
        }
    }
    let failures = [TransportFailure::NotSent, TransportFailure::MaybeSent, TransportFailure::TimedOut];
    for f in failures {
        match f {
            TransportFailure::NotSent | TransportFailure::MaybeSent | TransportFailure::TimedOut => {}
        }
    }
    use bcpay_core::observe::Decision;
    let decisions = [
        Decision::Wait,
        Decision::Retry,
        Decision::Reconcile,
        Decision::Settled,
        Decision::GiveUp,
        Decision::Done,
    ];
    for d in decisions {
        match d {
            Decision::Wait | Decision::Retry | Decision::Reconcile | Decision::Settled | Decision::GiveUp | Decision::Done => {}
        }
    }
    let names = |values: Vec<Value>| values;
    vec![
        ("ErrorKind", names(ErrorKind::ALL.iter().map(|k| json!(k)).collect())),
        ("Endpoint", names(Endpoint::ALL.iter().map(|e| json!(e)).collect())),
        ("OrderPaymentState", names(states.iter().map(|s| json!(s)).collect())),
        ("TransportFailure", names(failures.iter().map(|f| json!(f)).collect())),
        ("Decision", names(decisions.iter().map(|d| json!(d)).collect())),
        (
            "CardBrand",
            names(
                [
                    CardBrand::Visa,
                    CardBrand::Mastercard,
                    CardBrand::Amex,
                    CardBrand::Discover,
                    CardBrand::Jcb,
                    CardBrand::DinersClub,
                    CardBrand::Maestro,
                    CardBrand::Dankort,
                ]
                .iter()
                .map(|b| json!(b))
                .collect(),
            ),
        ),
    ]
}

/// `serde::Serialize` as an object-safe trait, so the table above can hold any record.
mod erased {
    pub trait Ser {
        fn to_value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_value(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("a record serializes")
        }
    }
}

#[test]
fn the_committed_output_shapes_are_the_cores() {
    let object = |entries: Vec<(&'static str, Vec<Value>)>| {
        Value::Object(
            entries
                .into_iter()
                .map(|(name, values)| (name.to_owned(), Value::Array(values)))
                .collect(),
        )
    };
    let generated = serde_json::to_string_pretty(&json!({ "records": object(records()), "enums": object(enums()) })).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/types/outputs.json");
    if std::env::var_os("BCPAY_BLESS").is_some() {
        std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "tests/types/outputs.json is not the core's output shapes; refresh it with `BCPAY_BLESS=1 cargo test -p bcpay-core --test output_types`"
    );
}
