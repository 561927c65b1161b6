//! Whole-order settlement: a payment flow ends when the order is paid (or says how much is still
//! due), an order already paid is a typed outcome, and `Call::GetOrderPaymentStatus` tells the
//! state by the same rule. Driven against a shop that keeps money, not just payment counts.

use base64::Engine;
use bcpay_core::model::{Amount, Order, OrderPaymentState, OrderPaymentStatus, Payment, PaymentReceipt, Transaction};
use bcpay_core::rng::Entropy;
use bcpay_core::secret::ApiToken;
use bcpay_core::session::{Call, CallOutput, Session};
use bcpay_core::{Action, ClientConfig, Endpoint, ErrorKind, FlowOptions, HttpRequest, HttpResponse, RateLimitConfig};
use serde_json::{Value, json};

const NOW: u64 = 1_795_219_200_000;
const ORDER: u64 = 215;

/// One order of 60.98 USD; amounts in cents.
struct Shop {
    total: i64,
    gift_balance: i64,
    /// (event, method id, amount in cents) per transaction.
    transactions: Vec<(&'static str, String, i64)>,
    /// A status the order has whatever was paid (e.g. 5, Cancelled).
    status_override: Option<i64>,
    /// Transactions per page.
    per_page: usize,
    /// Answer reads with 500 from this request on.
    reads_fail: bool,
    sent: Vec<Endpoint>,
}

impl Shop {
    fn new() -> Shop {
        Shop {
            total: 6098,
            gift_balance: 1000,
            transactions: Vec::new(),
            status_override: None,
            per_page: 250,
            reads_fail: false,
            sent: Vec::new(),
        }
    }

    fn paid(&self) -> i64 {
        self.transactions.iter().map(|t| t.2).sum()
    }

    fn status_id(&self) -> i64 {
        match (self.status_override, self.paid()) {
            (Some(s), _) => s,
            (None, 0) => 0,
            (None, p) if p < self.total => 1,
            _ => 11,
        }
    }

    fn payable(&self) -> bool {
        let s = self.status_id();
        s == 0 || (s == 1 && self.paid() < self.total)
    }

    fn answer(&mut self, r: &HttpRequest) -> HttpResponse {
        self.sent.push(r.endpoint);
        let body: Value = r.body.as_deref().map_or(Value::Null, |b| serde_json::from_slice(b).unwrap());
        let invalid = || {
            reply(
                422,
                json!({"status": 422, "title": "Order is invalid.", "type": "x", "code": 30101}),
            )
        };
        let read = matches!(r.endpoint, Endpoint::GetOrder | Endpoint::GetOrderTransactions);
        if read && self.reads_fail {
            return reply(500, json!({"status": 500, "title": "Internal Server Error", "type": "x"}));
        }
        match r.endpoint {
            Endpoint::GetPaymentMethods => reply(
                200,
                json!({"data": [
                    {"id": "stripe.card", "name": "Stripe", "test_mode": true, "type": "card",
                     "supported_instruments": [{"instrument_type": "VISA", "verification_value_required": true}], "stored_instruments": []},
                    {"id": "bigcommerce.gift_certificate", "name": "Gift Certificate", "test_mode": false, "type": "gift_certificate", "supported_instruments": [], "stored_instruments": []}
                ]}),
            ),
            Endpoint::CreatePaymentAccessToken if !self.payable() => invalid(),
            Endpoint::CreatePaymentAccessToken => reply(201, json!({"data": {"id": jwt(self.total - self.paid())}})),
            Endpoint::ProcessPayment if !self.payable() => invalid(),
            Endpoint::ProcessPayment => {
                let method = body["payment"]["payment_method_id"].as_str().unwrap().to_owned();
                let due = self.total - self.paid();
                let amount = if method.contains("gift") {
                    let a = self.gift_balance.min(due);
                    self.gift_balance -= a;
                    a
                } else {
                    due
                };
                self.transactions.push(("purchase", method, amount));
                reply(
                    201,
                    json!({"data": {"id": "tx", "status": "success", "transaction_type": "purchase"}}),
                )
            }
            Endpoint::GetOrder => reply(
                200,
                json!({"id": ORDER, "status_id": self.status_id(), "status": "x", "payment_status": "", "customer_id": 0,
                       "total_inc_tax": format!("{}.{:02}00", self.total / 100, self.total % 100), "currency_code": "USD"}),
            ),
            Endpoint::GetOrderTransactions => {
                let page: usize = r
                    .url
                    .split("page=")
                    .nth(1)
                    .map_or(1, |p| p.split('&').next().unwrap().parse().unwrap());
                let pages = self.transactions.len().div_ceil(self.per_page).max(1);
                let data: Vec<Value> = self
                    .transactions
                    .iter()
                    .enumerate()
                    .skip((page - 1) * self.per_page)
                    .take(self.per_page)
                    .map(|(i, (event, method, cents))| {
                        json!({"id": i + 1, "order_id": ORDER.to_string(), "event": event, "method": "x", "amount": *cents as f64 / 100.0,
                               "currency": "USD", "gateway": "x", "status": "ok", "test": true, "payment_method_id": method})
                    })
                    .collect();
                if data.is_empty() {
                    return HttpResponse::new(204, vec![], Vec::new());
                }
                reply(
                    200,
                    json!({"data": data, "meta": {"pagination": {"current_page": page, "total_pages": pages}}}),
                )
            }
            other => panic!("unexpected {other}"),
        }
    }
}

fn reply(status: u16, body: Value) -> HttpResponse {
    HttpResponse::new(status, vec![], body.to_string().into_bytes())
}

/// A token for `due` cents of USD.
fn jwt(due: i64) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let iat = NOW / 1000;
    let claims = json!({"exp": iat + 3600, "iat": iat, "data": {"order_id": ORDER, "amount": due, "currency": "USD"}});
    format!("{}.{}.c2ln", e.encode(br#"{"alg":"HS256"}"#), e.encode(claims.to_string()))
}

fn session() -> Session {
    Session::with_entropy(
        ClientConfig::new("abc123", ApiToken::new("api-token-secret")).unwrap(),
        RateLimitConfig::default(),
        Entropy::from_seed(5),
    )
    .with_options(FlowOptions {
        backoff_base_ms: 1,
        ..FlowOptions::default()
    })
}

fn card() -> Payment {
    serde_json::from_value(json!({
        "instrument": {"type": "card", "number": "4242424242424242", "cardholder_name": "Jane Doe", "expiry_month": 12, "expiry_year": 2030, "verification_value": "123"},
        "payment_method_id": "stripe.card"
    }))
    .unwrap()
}

fn gift() -> Payment {
    serde_json::from_value(json!({"instrument": {"type": "gift_certificate", "gift_certificate_code": "GC"}, "payment_method_id": "bigcommerce.gift_certificate"}))
        .unwrap()
}

fn pay(shop: &mut Shop, payments: Vec<Payment>) -> Action {
    pay_in(&session(), shop, payments, None, NOW).unwrap()
}

fn receipt(a: Action) -> PaymentReceipt {
    match a {
        Action::Done { output } => output,
        other => panic!("expected a receipt, got {other:?}"),
    }
}

fn text(a: Option<Amount>) -> Option<String> {
    a.map(|a| a.to_string())
}

#[test]
fn a_card_pays_what_is_due_in_three_calls_and_says_how_much() {
    let mut shop = Shop::new();
    let r = receipt(pay(&mut shop, vec![card()]));
    assert_eq!(r.order_state, OrderPaymentState::Paid);
    assert_eq!(text(r.amount_paid).as_deref(), Some("60.98"));
    assert_eq!(text(r.amount_remaining).as_deref(), Some("0.00"));
    assert_eq!(r.currency.as_deref(), Some("USD"));
    // No read after a card: it pays the amount its token carried.
    assert_eq!(r.requests_sent, 3);
}

#[test]
fn a_gift_certificate_then_a_card_pays_the_whole_order() {
    let mut shop = Shop::new();
    let r = receipt(pay(&mut shop, vec![gift(), card()]));
    assert_eq!((r.order_state, r.payments.len()), (OrderPaymentState::Paid, 2));
    assert_eq!(text(r.amount_paid).as_deref(), Some("60.98"));
    assert_eq!(shop.paid(), 6098);
}

#[test]
fn a_gift_certificate_that_covers_the_order_ends_the_flow_paid_without_the_card() {
    let mut shop = Shop::new();
    shop.gift_balance = 10_000;
    let r = receipt(pay(&mut shop, vec![gift(), card()]));
    assert_eq!(r.order_state, OrderPaymentState::Paid);
    assert_eq!(r.payments.len(), 1, "the card was not needed");
    assert_eq!(text(r.amount_paid).as_deref(), Some("60.98"));
    assert_eq!(text(r.amount_remaining).as_deref(), Some("0.00"));
    assert_eq!(shop.transactions.len(), 1);
    use Endpoint::*;
    assert_eq!(
        shop.sent,
        [
            GetPaymentMethods,
            CreatePaymentAccessToken,
            ProcessPayment,
            CreatePaymentAccessToken,
            GetOrderTransactions,
            GetOrder
        ]
    );
}

#[test]
fn payments_that_do_not_cover_the_order_end_partially_paid_with_the_remainder() {
    let mut shop = Shop::new();
    let r = receipt(pay(&mut shop, vec![gift()]));
    assert_eq!(r.order_state, OrderPaymentState::PartiallyPaid);
    assert_eq!(text(r.amount_paid).as_deref(), Some("10.00"));
    assert_eq!(text(r.amount_remaining).as_deref(), Some("50.98"));
    assert_eq!(r.transactions.len(), 1);
}

#[test]
fn an_order_already_paid_is_answered_already_paid_with_its_transactions() {
    let mut shop = Shop::new();
    shop.transactions.push(("purchase", "stripe.card".into(), 6098));
    let r = receipt(pay(&mut shop, vec![card()]));
    assert_eq!(r.order_state, OrderPaymentState::AlreadyPaid);
    assert!(r.payments.is_empty());
    assert_eq!(text(r.amount_paid).as_deref(), Some("0.00"));
    assert_eq!(r.transactions.len(), 1);
    assert_eq!(shop.transactions.len(), 1, "nothing charged");
    assert!(!shop.sent.contains(&Endpoint::ProcessPayment));
}

#[test]
fn an_invalid_order_that_is_not_paid_keeps_its_refusal() {
    let mut shop = Shop::new();
    shop.status_override = Some(5); // Cancelled
    match pay(&mut shop, vec![card()]) {
        Action::Failed { error } => assert_eq!((error.kind, error.code), (ErrorKind::OrderState, Some(30101))),
        other => panic!("expected the refusal, got {other:?}"),
    }
}

#[test]
fn a_taken_payment_whose_order_cannot_be_read_is_reported_ambiguous_not_failed() {
    let mut shop = Shop::new();
    shop.reads_fail = true;
    let r = receipt(pay(&mut shop, vec![gift()]));
    assert_eq!(r.order_state, OrderPaymentState::Ambiguous);
    assert_eq!(r.payments.len(), 1);
    assert_eq!(r.amount_remaining, None);
}

fn status_call(shop: &mut Shop) -> OrderPaymentStatus {
    match drive_call(&session(), shop, Call::GetOrderPaymentStatus { order_id: ORDER }, NOW) {
        Action::Done {
            output: CallOutput::PaymentStatus(status),
        } => status,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_status_call_reads_the_order_and_every_page_of_transactions() {
    let mut shop = Shop::new();
    shop.per_page = 1;
    shop.transactions.push(("purchase", "bigcommerce.gift_certificate".into(), 1000));
    shop.transactions.push(("purchase", "bigcommerce.store_credit".into(), 500));
    let status = status_call(&mut shop);
    assert_eq!(status.state, OrderPaymentState::PartiallyPaid);
    assert_eq!(
        (status.paid.to_string(), text(status.remaining)),
        ("15.00".into(), Some("45.98".into()))
    );
    assert_eq!(status.transactions.len(), 2);
    use Endpoint::*;
    assert_eq!(shop.sent, [GetOrder, GetOrderTransactions, GetOrderTransactions]);
}

fn order(status_id: i64, total: &str) -> Order {
    Order {
        id: ORDER as i64,
        status_id: Some(status_id),
        status: String::new(),
        payment_status: String::new(),
        customer_id: Some(0),
        total_inc_tax: Amount::parse(total),
        currency_code: Some("USD".into()),
    }
}

fn tx(event: &str, amount: f64, currency: &str) -> Transaction {
    Transaction {
        id: Some(1),
        order_id: None,
        event: event.into(),
        method: "credit_card".into(),
        amount: Amount::from_major(amount),
        currency: currency.into(),
        gateway: "x".into(),
        gateway_transaction_id: None,
        status: "ok".into(),
        test: true,
        payment_method_id: None,
        date_created: None,
        reference_transaction_id: None,
    }
}

#[test]
fn judging_an_order_by_its_totals_and_transactions() {
    use OrderPaymentState::*;
    let judge = |status, txs| OrderPaymentStatus::judge(&order(status, "60.9800"), txs).state;
    assert_eq!(judge(0, vec![]), Unpaid);
    assert_eq!(judge(1, vec![tx("purchase", 10.0, "USD")]), PartiallyPaid);
    assert_eq!(judge(11, vec![tx("purchase", 60.98, "USD")]), Paid);
    assert_eq!(
        judge(11, vec![tx("authorization", 60.98, "USD"), tx("capture", 60.98, "USD")]),
        Paid
    );
    // A void cancels its authorization.
    assert_eq!(judge(5, vec![tx("authorization", 60.98, "USD"), tx("void", 60.98, "USD")]), Unpaid);
    // The status moved past Pending with nothing recorded: the ledger may lag.
    assert_eq!(judge(11, vec![]), Ambiguous);
    // Money in another currency than the order's cannot be added up.
    assert_eq!(judge(11, vec![tx("purchase", 60.98, "EUR")]), Ambiguous);
    let mut failed = tx("purchase", 60.98, "USD");
    failed.status = "error".into();
    assert_eq!(judge(0, vec![failed]), Unpaid);
    assert_eq!(OrderPaymentStatus::judge(&order(0, "not money"), vec![]).state, Ambiguous);
}

#[test]
fn money_is_one_decimal_string_whatever_form_it_came_in() {
    assert_eq!(Amount::from_major(19.99).to_string(), "19.99");
    assert_eq!(Amount::from_major(12.0).to_string(), "12.00");
    assert_eq!(Amount::from_major(0.125).to_string(), "0.125");
    assert_eq!(Amount::from_major(-5.5).to_string(), "-5.50");
    assert_eq!(
        OrderPaymentStatus::judge(&order(0, "19.9900"), vec![]).total.unwrap().to_string(),
        "19.99"
    );
    assert_eq!(Amount::from_minor(2500, "USD").to_string(), "25.00");
    assert_eq!(Amount::from_minor(2500, "JPY").to_string(), "2500.00");
    assert_eq!(Amount::from_minor(2500, "KWD").to_string(), "2.50");
    assert_eq!(serde_json::to_string(&Amount::from_major(0.1)).unwrap(), "\"0.10\"");
}

// --- payments prepared ahead: the shopper's wait is one round trip --------------------------------

fn drive_call(s: &Session, shop: &mut Shop, call: Call, now: u64) -> Action<CallOutput> {
    let mut op = s.call(call, None, now, Some(1)).unwrap();
    loop {
        match op.poll(now) {
            Action::Send { request } => {
                let r = shop.answer(&request);
                op.on_response(&request.id, &r, now);
            }
            other => return other,
        }
    }
}

fn pay_in(
    s: &Session,
    shop: &mut Shop,
    payments: Vec<Payment>,
    options: Option<FlowOptions>,
    now: u64,
) -> Result<Action, bcpay_core::PaymentError> {
    let mut flow = s.pay(ORDER, payments, options, now, Some(1))?;
    let mut now = now;
    loop {
        match flow.poll(now) {
            Action::Send { request } => {
                let r = shop.answer(&request);
                flow.on_response(&request.id, &r, now);
            }
            Action::Wait { until_ms } => now = until_ms,
            done => return Ok(done),
        }
    }
}

#[test]
fn a_prepared_payment_sends_only_process_payment() {
    let (s, mut shop) = (session(), Shop::new());
    match drive_call(&s, &mut shop, Call::Prepare { order_id: ORDER }, NOW) {
        Action::Done {
            output: CallOutput::Prepared(p),
        } => {
            assert_eq!((p.order_id, p.methods.len(), p.token_expires_at_ms), (ORDER, 2, NOW + 3_600_000));
        }
        other => panic!("{other:?}"),
    }
    shop.sent.clear();
    let r = receipt(pay_in(&s, &mut shop, vec![card()], None, NOW + 1_000).unwrap());
    assert_eq!(shop.sent, [Endpoint::ProcessPayment]);
    assert_eq!(
        (r.order_state, text(r.amount_paid).as_deref()),
        (OrderPaymentState::Paid, Some("60.98"))
    );
    // The token paid once: it is gone from the session.
    shop.transactions.clear();
    shop.sent.clear();
    receipt(pay_in(&s, &mut shop, vec![card()], None, NOW + 2_000).unwrap());
    use Endpoint::*;
    assert_eq!(shop.sent, [GetPaymentMethods, CreatePaymentAccessToken, ProcessPayment]);
}

#[test]
fn a_prepared_token_near_expiry_is_replaced_and_the_methods_are_kept() {
    let (s, mut shop) = (session(), Shop::new());
    drive_call(&s, &mut shop, Call::Prepare { order_id: ORDER }, NOW);
    shop.sent.clear();
    // 59 minutes later the token is within the refresh margin (60 s).
    receipt(pay_in(&s, &mut shop, vec![card()], None, NOW + 3_590_000).unwrap());
    assert_eq!(shop.sent, [Endpoint::CreatePaymentAccessToken, Endpoint::ProcessPayment]);
}

#[test]
fn a_prepared_payment_is_checked_against_its_methods_and_matches_the_charge_kind() {
    let (s, mut shop) = (session(), Shop::new());
    drive_call(&s, &mut shop, Call::Prepare { order_id: ORDER }, NOW);
    shop.sent.clear();
    let mut paypal = card();
    paypal.payment_method_id = "braintree.paypal".into();
    let e = pay_in(&s, &mut shop, vec![paypal], None, NOW).unwrap_err();
    assert_eq!(e.field_errors[0].code, "payment_method_not_accepted");
    assert!(shop.sent.is_empty(), "nothing sent");
    // A mistyped card number is refused before the preparation is looked at.
    let mut typo = card();
    typo.instrument = serde_json::from_value(json!({"type": "card", "number": "4242424242424241", "cardholder_name": "Jane Doe",
        "expiry_month": 12, "expiry_year": 2030, "verification_value": "123"}))
    .unwrap();
    assert_eq!(
        pay_in(&s, &mut shop, vec![typo], None, NOW).unwrap_err().kind,
        ErrorKind::Validation
    );
    // The preparation still serves the corrected payment.
    receipt(pay_in(&s, &mut shop, vec![card()], None, NOW).unwrap());
    assert_eq!(shop.sent, [Endpoint::ProcessPayment]);
    shop.transactions.clear();
    // A token prepared for a shopper's payment is not used for a merchant-initiated one.
    drive_call(&s, &mut shop, Call::Prepare { order_id: ORDER }, NOW);
    shop.sent.clear();
    let recurring = FlowOptions {
        is_recurring: true,
        fetch_methods: false,
        ..FlowOptions::default()
    };
    receipt(pay_in(&s, &mut shop, vec![card()], Some(recurring), NOW).unwrap());
    assert_eq!(shop.sent, [Endpoint::CreatePaymentAccessToken, Endpoint::ProcessPayment]);
}

#[test]
fn a_journaled_gift_certificate_whose_status_read_is_cut_short_is_recorded_paid_not_failed() {
    use bcpay_core::journal::{JournalState, JournalStep};
    // The time budget runs out while the order is read after the gift certificate was taken: a
    // `failed` record would be paid again by the next run.
    let options = FlowOptions {
        fetch_methods: false,
        time_budget_ms: Some(1_000),
        ..FlowOptions::default()
    };
    let (s, mut shop) = (session(), Shop::new());
    let mut op = s.pay_journaled(ORDER, gift(), None, Some(options), NOW, Some(1));
    let mut now = NOW;
    let record = loop {
        match op.poll(now) {
            JournalStep::Write { .. } => op.written(),
            JournalStep::Send { request } => {
                let r = shop.answer(&request);
                // The payment answers at once; the read after it, only once the budget is gone.
                if request.endpoint != Endpoint::ProcessPayment && shop.transactions.len() == 1 {
                    now += 2_000;
                }
                op.on_response(&request.id, &r, now);
            }
            JournalStep::Wait { until_ms } => now = until_ms,
            JournalStep::Awaiting { .. } => unreachable!("each outcome is reported before polling again"),
            JournalStep::Finished { record, .. } => break record,
        }
    };
    assert_eq!(shop.transactions.len(), 1);
    assert_eq!(record.state, JournalState::Paid, "{record:?}");
    let receipt = record.receipt.expect("what was taken");
    assert_eq!((receipt.payments.len(), receipt.order_state), (1, OrderPaymentState::Ambiguous));
}
