//! [`PaymentFlow`]: the sans-IO state machine that takes one order from unpaid to paid.
//!
//! The host loops: `poll(now)` says what to do ([`Action`]); the host sends the request, then
//! feeds back the response (`on_response`) or the failure (`on_transport_failure`).
//!
//! Get Payment Methods and Create Payment Access Token depend only on the order, so the flow
//! asks for both at once: a host that polls again after a `Send`, before reporting its outcome,
//! gets the token's `Send` too, then `Awaiting` (the request to report next). The token's answer
//! is taken only once the methods are in and the payments pass them. Process Payment is only ever
//! sent alone. A host that reports each outcome before polling again gets the same flow, one
//! request at a time.
//!
//! ```text
//! [methods ∥ token] → pay ──201──→ next payment / Done
//!                 ↑      │ 429, NotSent ──→ wait, pay again (the server surely did nothing)
//!                 ├──────┤ 401 ─────────→ new token, pay again
//!                 │      │ MaybeSent, TimedOut, 5xx, 10000, unreadable 2xx
//!                 │      ↓
//!                 │   settle: read transactions (all pages) + order status, again and again
//!                 │      │    with backoff over `settle_window_ms` (the ledger may lag)
//!                 │      ├─ payment recorded in any read ─────────────→ counts as paid
//!                 │      ├─ window over, nothing recorded (default) ───→ Failed(AmbiguousOutcome)
//!                 └──────┼─ window over, order unpaid in every read,
//!                        │  and `resend_when_unrecorded` opted in ──────→ new token, pay again
//!                        └─ window over, order status moved ──────────→ Failed(AmbiguousOutcome)
//! ```
//!
//! The flow ends when the order is settled, not merely when the list is done
//! ([`OrderPaymentStatus::judge`] tells from the order and its transactions):
//!
//! ```text
//! last payment taken ─ a card, PayPal, a bank account ─→ Done(paid): it pays what is due
//!                    └ a gift certificate, store credit ─→ read order + transactions
//!                                                           → Done(paid | partially_paid, amount remaining)
//! token or payment refused with 30101 (order invalid) ──→ read order + transactions
//!                    paid ─→ Done(already_paid, nothing taken) or Done(paid, the rest not needed)
//!                    else ─→ Failed(the refusal)
//! ```
//!
//! The rule that protects shoppers from double charges lives in [`PaymentFlow::on_pay_failure`]
//! and [`PaymentFlow::decide_after_reconcile`]: a Process Payment that may have reached the
//! server is never sent again on the strength of one read that shows nothing, because absent
//! evidence is not proof — BigCommerce does not document how soon a charge appears in the order's
//! transactions. By default it is never sent again at all; see [`FlowOptions::settle_window_ms`].

use crate::api::{Api, MethodsQuery};
use crate::error::{ErrorKind, PaymentError, RetryAdvice};
use crate::http::{Endpoint, HttpRequest, HttpResponse, RequestId, TransportFailure};
use crate::model::{
    Amount, Order, OrderPaymentState, OrderPaymentStatus, Payment, PaymentAccessToken, PaymentMethod, PaymentReceipt, PaymentStatus,
    ProcessedPayment, Transaction, TransactionType, order_status,
};
use crate::observe::{Decision, FlowEvent, Trace, because, joined, scrub_cause};
use crate::ratelimit::{RateLimiter, SharedRateLimiter};
use crate::rng::Entropy;
use crate::session::{Admission, Failure, InFlight, Stop, admit, backoff, finish, lock, may_resend, out_of_time, wake_at};
use crate::validate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Tunables of a flow. `Default` is what a careful integration wants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlowOptions {
    /// Call Get Payment Methods first and check the payments against it (brand accepted, CVV
    /// present when required, stored instrument known).
    pub fetch_methods: bool,
    /// After an unclear Process Payment, read the order's transactions and status to settle it.
    /// Off: such outcomes fail at once as `AmbiguousOutcome`.
    pub reconcile: bool,
    /// Most sends of one call (and of Process Payment per instrument), first try included.
    pub max_attempts: u32,
    /// Backoff base (ms): the n-th retry waits a random time in `0..=min(cap, base·2ⁿ)`.
    pub backoff_base_ms: u64,
    /// Backoff cap (ms).
    pub backoff_cap_ms: u64,
    /// Re-create the payment access token when it expires within this margin (ms).
    pub pat_refresh_margin_ms: u64,
    /// Wait this long (ms) after an unclear Process Payment before the first read of the order's
    /// transactions, so a payment still in progress at the gateway has time to be recorded. Later
    /// reads back off from it (×2 each time, at least [`MIN_SETTLE_GAP_MS`] apart).
    pub reconcile_delay_ms: u64,
    /// How long (ms, counted from the unclear outcome) the flow keeps reading the order's
    /// transactions for the payment before it gives up on finding one.
    ///
    /// Default 60 s: BigCommerce does not document how soon a charge is recorded, and gateways
    /// answer or abandon an authorization within their own timeouts (card networks' and the big
    /// gateways' are 30–60 s; Stripe's client waits 80 s), so a charge that exists is almost
    /// always visible by then. With the default 2 s first delay the reads fall at 2, 6, 14, 30 and
    /// 60 s (5 reads, 2 requests each for a one-page order). A checkout holds its shopper that long
    /// only after an unclear outcome; a shorter window ends sooner, in `AmbiguousOutcome`.
    pub settle_window_ms: u64,
    /// When the settle window ends with no transaction recorded and the order unpaid in every
    /// read, pay again with a new token instead of failing with `AmbiguousOutcome`.
    ///
    /// Off by default: a ledger that lags longer than the window would make that a second charge.
    /// Turn it on only where a missed sale costs more than a (refundable) double charge; otherwise
    /// let the ambiguous outcome be settled later (the billing journal, or a person).
    pub resend_when_unrecorded: bool,
    /// Most pages of transactions read during one reconciliation.
    pub max_transaction_pages: u32,
    /// Sent as `order.is_recurring` when creating the access token: a merchant-initiated
    /// charge, as a billing job makes. Its stored cards then need no CVV (the rule is in
    /// `validate`, `check_against_methods`).
    pub is_recurring: bool,
    /// The most time (ms) the whole operation may take, waits and retries included; `None`: no
    /// limit beyond the settle window and the attempts. When it runs out the operation ends with
    /// the same error as a cancellation (see [`PaymentFlow::cancel`]): `Cancelled` when nothing
    /// unclear was sent, `AmbiguousOutcome` when a payment may have been taken.
    pub time_budget_ms: Option<u64>,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions {
            fetch_methods: true,
            reconcile: true,
            max_attempts: 4,
            backoff_base_ms: 200,
            backoff_cap_ms: 10_000,
            pat_refresh_margin_ms: 60_000,
            reconcile_delay_ms: 2_000,
            settle_window_ms: 60_000,
            resend_when_unrecorded: false,
            max_transaction_pages: 20,
            is_recurring: false,
            time_budget_ms: None,
        }
    }
}

/// The option rules every operation checks before it starts.
pub(crate) fn check_options(options: &FlowOptions) -> Result<(), PaymentError> {
    if options.max_attempts == 0 {
        return Err(PaymentError::validation(vec![crate::error::FieldError::new(
            "options.max_attempts",
            "invalid_max_attempts",
            "At least one attempt is needed.",
        )]));
    }
    Ok(())
}

/// Shortest gap (ms) between two settle reads, whatever `reconcile_delay_ms` is.
pub const MIN_SETTLE_GAP_MS: u64 = 500;

/// Longest wait (ms) the flow accepts from a server (`X-Retry-After`, `X-Rate-Limit-Time-Reset-Ms`,
/// or a budget of 0 left until a reset). Twice the longest documented rate-limit window (the
/// management API's 30 s); a server asking for more is answered with a `RateLimited` error that
/// carries its figure in `retry`, instead of a sleep that may never end.
pub const MAX_SERVER_WAIT_MS: u64 = 60_000;

/// What the host should do next. `T` is what the operation ends with: a [`PaymentReceipt`] for a
/// [`PaymentFlow`], a [`CallOutput`](crate::session::CallOutput) for a single call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action<T = PaymentReceipt> {
    /// Send this request, then report its outcome.
    Send {
        /// The request, complete.
        request: HttpRequest,
    },
    /// Nothing to send before this time (ms); poll again then.
    Wait {
        /// When to poll again (ms).
        until_ms: u64,
    },
    /// A request is in flight: report its outcome before polling again.
    Awaiting {
        /// The request awaited.
        request_id: RequestId,
    },
    /// The operation finished: every payment went through, or the call answered.
    Done {
        /// What was paid, or the call's answer.
        output: T,
    },
    /// The flow stopped. `error.payments_taken` lists split payments already taken.
    Failed {
        /// Why.
        error: PaymentError,
    },
}

impl<T> Action<T> {
    /// The same action with its output converted (only `Done` carries one).
    pub fn map_output<U>(self, f: impl FnOnce(T) -> U) -> Action<U> {
        match self {
            Action::Send { request } => Action::Send { request },
            Action::Wait { until_ms } => Action::Wait { until_ms },
            Action::Awaiting { request_id } => Action::Awaiting { request_id },
            Action::Done { output } => Action::Done { output: f(output) },
            Action::Failed { error } => Action::Failed { error },
        }
    }
}

#[derive(Clone, Debug)]
enum Stage {
    Methods,
    Token,
    Pay,
    /// Reading the order's transactions (every page), then the order itself, for `why`.
    ReadTransactions {
        why: Read,
        page: u32,
        collected: Vec<Transaction>,
    },
    ReadOrder {
        why: Read,
        transactions: Vec<Transaction>,
    },
}

/// Why the flow reads the order and its transactions.
#[derive(Clone, Debug)]
enum Read {
    /// Settling a Process Payment that may have been taken (see [`PaymentFlow::decide_after_reconcile`]).
    Reconcile,
    /// The last payment was a partial tender: how much is still due?
    AfterLastPayment,
    /// The order was refused as invalid (30101): paid already, or the refusal stands.
    Refused(Box<PaymentError>),
}

impl Stage {
    fn endpoint(&self) -> Endpoint {
        match self {
            Stage::Methods => Endpoint::GetPaymentMethods,
            Stage::Token => Endpoint::CreatePaymentAccessToken,
            Stage::Pay => Endpoint::ProcessPayment,
            Stage::ReadTransactions { .. } => Endpoint::GetOrderTransactions,
            Stage::ReadOrder { .. } => Endpoint::GetOrder,
        }
    }
}

/// Takes one order from unpaid to paid: one instrument, or several for split payments.
pub struct PaymentFlow {
    api: Arc<Api>,
    limiter: SharedRateLimiter,
    entropy: Entropy,
    options: FlowOptions,
    order_id: u64,
    payments: Vec<Payment>,
    methods: Option<Vec<PaymentMethod>>,
    pat: Option<PaymentAccessToken>,
    /// The current token went out with a Process Payment that may have been processed: tokens
    /// are single-use, so the next send needs a new one.
    pat_spent: bool,
    step: usize,
    stage: Stage,
    taken: Vec<ProcessedPayment>,
    /// Sends of the current call (retries of one GET or token creation).
    attempts: u32,
    /// Process Payment sends for the current instrument.
    pay_sends: u32,
    requests_sent: u32,
    not_before: u64,
    /// The request in flight, its endpoint, and its rate-limit ticket.
    in_flight: InFlight,
    /// The first payment's token, asked for while Get Payment Methods is in flight (both depend
    /// only on the order), so that a payment costs two round trips before Process Payment, not
    /// three. A token that comes first waits for the methods; one still out when they are in
    /// becomes the Token stage's request. A failed one is only a missed head start: the Token
    /// stage asks again after the methods, under its own rules (retries, refusals, expiry).
    token_ahead: InFlight,
    /// The token is still to be asked for ahead (the flow fetches methods, and has not yet).
    token_ahead_due: bool,
    /// Why the current reconciliation started, and the payment request it is about.
    unclear: Option<(PaymentError, RequestId)>,
    /// When the current unclear outcome happened (the settle window counts from it).
    unclear_since_ms: u64,
    /// Settle reads finished for the current unclear outcome.
    settle_reads: u32,
    /// A settle read saw the order's status move although no transaction was recorded.
    order_moved: bool,
    /// Tokens received already expired (or expiring at issue) for the current payment.
    unusable_tokens: u32,
    /// When the time budget runs out.
    deadline_ms: Option<u64>,
    /// What was due when the flow's first token was issued (its claims), and in what currency.
    due_at_start: Option<(Amount, String)>,
    outcome: Option<Action>,
    /// The flow holds its order's claim in the limiter (see [`RateLimiter::claim_order`]),
    /// released when it finishes or is dropped.
    claimed: bool,
    /// What it did and decided, for a host that watches ([`PaymentFlow::observe`]).
    trace: Trace,
}

impl Drop for PaymentFlow {
    fn drop(&mut self) {
        self.release_claim();
    }
}

impl std::fmt::Debug for PaymentFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentFlow")
            .field("order_id", &self.order_id)
            .field("step", &self.step)
            .field("stage", &self.stage)
            .field("payments", &self.payments.len())
            .field("requests_sent", &self.requests_sent)
            .finish_non_exhaustive()
    }
}

impl PaymentFlow {
    /// A flow paying `order_id` with `payments` in order (gift certificates and store credit
    /// first, then the instrument that pays the rest). Validates everything first, with
    /// `now_ms` dating the card expiry check.
    pub fn new(
        api: Arc<Api>,
        order_id: u64,
        payments: Vec<Payment>,
        options: FlowOptions,
        now_ms: u64,
    ) -> Result<PaymentFlow, PaymentError> {
        Self::with_limiter(
            api,
            RateLimiter::shared(Default::default()),
            Entropy::from_os(),
            order_id,
            payments,
            options,
            now_ms,
        )
    }

    /// Like [`new`](Self::new), sharing `limiter` with the store's other flows and drawing
    /// jitter from `entropy` (seeded in tests).
    pub fn with_limiter(
        api: Arc<Api>,
        limiter: SharedRateLimiter,
        entropy: Entropy,
        order_id: u64,
        payments: Vec<Payment>,
        options: FlowOptions,
        now_ms: u64,
    ) -> Result<PaymentFlow, PaymentError> {
        let mut errors = validate::validate_order_id("order_id", order_id);
        errors.extend(validate::validate_payments(&payments, now_ms, None));
        if let Err(e) = check_options(&options) {
            errors.extend(e.field_errors);
        }
        if !errors.is_empty() {
            return Err(PaymentError::validation(errors));
        }
        let options_fetch_methods = options.fetch_methods;
        let stage = if options.fetch_methods { Stage::Methods } else { Stage::Token };
        Ok(PaymentFlow {
            deadline_ms: options.time_budget_ms.map(|b| now_ms.saturating_add(b)),
            api,
            limiter,
            entropy,
            options,
            order_id,
            payments,
            methods: None,
            pat: None,
            pat_spent: false,
            step: 0,
            stage,
            taken: Vec::new(),
            attempts: 0,
            pay_sends: 0,
            requests_sent: 0,
            not_before: 0,
            in_flight: None,
            token_ahead: None,
            token_ahead_due: options_fetch_methods,
            unclear: None,
            unclear_since_ms: 0,
            settle_reads: 0,
            order_moved: false,
            unusable_tokens: 0,
            due_at_start: None,
            outcome: None,
            claimed: false,
            trace: Trace::default(),
        })
    }

    /// What stands against paying with `methods` (those a [`Call::Prepare`](crate::session::Call::Prepare)
    /// fetched): the checks a flow makes after Get Payment Methods, when it fetches them.
    pub(crate) fn problems_against(&self, methods: &[PaymentMethod]) -> Vec<crate::error::FieldError> {
        match self.options.fetch_methods {
            true => validate::validate_against_methods(&self.payments, methods, self.options.is_recurring),
            false => Vec::new(),
        }
    }

    /// A token for the current payment — one just created, or a prepared one (its methods
    /// checked with [`problems_against`](Self::problems_against)) — so that the next request is
    /// Process Payment; one due for renewal is replaced at that poll, as always. The first
    /// token's claims say what was due at the start.
    pub(crate) fn take_token(&mut self, pat: PaymentAccessToken) {
        if self.due_at_start.is_none() {
            self.due_at_start = pat.claims.as_ref().and_then(|c| {
                let currency = c.currency.clone()?;
                Some((Amount::from_minor(c.amount?, &currency), currency))
            });
        }
        self.pat = Some(pat);
        self.pat_spent = false;
        self.enter(Stage::Pay);
    }

    /// Claims the order in the limiter for this flow (one payment per order at a time), or
    /// refuses with a `conflict` error (`payment_in_progress`) while another flow holds it.
    pub(crate) fn claiming(mut self) -> Result<PaymentFlow, PaymentError> {
        if !lock(&self.limiter).claim_order(self.order_id) {
            let mut e = PaymentError::new(ErrorKind::Conflict, "A payment of this order is already in progress");
            e.code_text = Some("payment_in_progress".to_owned());
            e.remedy = "Wait for the other payment's outcome before paying this order again.".to_owned();
            return Err(e);
        }
        self.claimed = true;
        Ok(self)
    }

    fn release_claim(&mut self) {
        if std::mem::take(&mut self.claimed) {
            lock(&self.limiter).release_order(self.order_id);
        }
    }

    /// Turns a new flow into one that settles a Process Payment an earlier run may have sent
    /// and never recorded the outcome of (see [`crate::journal`]). It starts where an unclear
    /// outcome in this run would be — reading the order's transactions and status — with the
    /// settle window counted from `sent_at_ms`, when that payment was about to be sent, and ends
    /// the same way: paid when a transaction is recorded, else `AmbiguousOutcome` (or, with
    /// `resend_when_unrecorded`, a new token and payment). Settle reads whose time has passed are
    /// not made, except the latest, which is made now.
    pub(crate) fn resume_unclear(mut self, sent_at_ms: u64, attempt_id: RequestId, now_ms: u64) -> PaymentFlow {
        let cause = PaymentError::new(ErrorKind::Transport, "the run that sent it stopped before recording its outcome");
        self.pay_sends = 1;
        self.start_reconcile(cause, attempt_id, sent_at_ms);
        if self.outcome.is_none() {
            let due = settle_schedule(&self.options)
                .take_while(|offset| sent_at_ms.saturating_add(*offset) <= now_ms)
                .count();
            self.settle_reads = due.saturating_sub(1) as u32;
            self.schedule_settle_read(now_ms);
        }
        self
    }

    /// The order being paid.
    pub fn order_id(&self) -> u64 {
        self.order_id
    }

    /// Payments taken so far.
    pub fn payments_taken(&self) -> &[ProcessedPayment] {
        &self.taken
    }

    /// The accepted methods, once fetched.
    pub fn payment_methods(&self) -> Option<&[PaymentMethod]> {
        self.methods.as_deref()
    }

    /// When the time budget runs out, if there is one: a host aborts a request still in flight
    /// then and calls [`cancel`](Self::cancel).
    pub fn deadline_ms(&self) -> Option<u64> {
        self.deadline_ms
    }

    /// Whether the flow has finished (`Done` or `Failed`).
    pub fn is_finished(&self) -> bool {
        self.outcome.is_some()
    }

    /// A hard ceiling on requests, so the flow ends whatever the server does.
    /// Records [`FlowEvent`]s from now on (see [`crate::observe`]).
    pub fn observe(&mut self) {
        self.trace.start();
    }

    /// The events recorded since the last call (none unless [`observe`](Self::observe)d).
    pub fn take_events(&mut self) -> Vec<FlowEvent> {
        self.trace.take()
    }

    fn request_ceiling(&self) -> u32 {
        let a = self.options.max_attempts;
        let per_reconcile = settle_schedule(&self.options).count() as u32 * a * (self.options.max_transaction_pages + 1);
        let per_send = a /* token */ + 1 /* pay */ + per_reconcile;
        let status_read = a * (self.options.max_transaction_pages + 1);
        a + 1 /* token ahead */ + (self.payments.len() as u32) * a * per_send + status_read
    }

    /// What to do next at `now_ms`.
    pub fn poll(&mut self, now_ms: u64) -> Action {
        if let Some(outcome) = &self.outcome {
            return outcome.clone();
        }
        // The token goes out beside the methods in flight (see `token_ahead`); else a request
        // out is awaited (the methods', or the token's while the methods wait for a retry).
        let ahead = self.token_ahead_due && matches!(self.stage, Stage::Methods) && self.in_flight.is_some();
        let awaited = self.in_flight.as_ref().or(self.token_ahead.as_ref()).map(|(id, _, _)| id.clone());
        if let (false, Some(request_id)) = (ahead, &awaited) {
            return Action::Awaiting {
                request_id: request_id.clone(),
            };
        }
        if out_of_time(self.deadline_ms, now_ms) {
            let error = self.stop(Stop::OutOfTime, now_ms);
            return Action::Failed { error };
        }
        // (Never a Wait while the methods are out, whatever the host's clock says.)
        if now_ms < self.not_before && !ahead {
            return Action::Wait {
                until_ms: wake_at(self.deadline_ms, self.not_before),
            };
        }
        // A stale or spent token is replaced before paying.
        if matches!(self.stage, Stage::Pay) {
            let fresh = self
                .pat
                .as_ref()
                .is_some_and(|p| !self.pat_spent && !p.expires_within(now_ms, self.options.pat_refresh_margin_ms));
            if !fresh {
                self.enter(Stage::Token);
            }
        }
        if self.requests_sent >= self.request_ceiling() {
            let e = PaymentError::new(ErrorKind::Transport, "Request budget exhausted");
            return self.fail_at_step(e);
        }
        let endpoint = match ahead {
            true => Endpoint::CreatePaymentAccessToken,
            false => self.stage.endpoint(),
        };
        let ticket = match (admit(&self.limiter, endpoint, now_ms, self.deadline_ms), awaited) {
            (Admission::Ready(ticket), _) => ticket,
            // No room for a head start: the Token stage asks after the methods.
            (_, Some(request_id)) => return Action::Awaiting { request_id },
            (Admission::Wait(until_ms), None) => {
                self.trace.limiter_wait(endpoint, until_ms, now_ms);
                return Action::Wait { until_ms };
            }
            (Admission::Refused(e), None) => return self.fail_at_step(*e),
        };
        // The token asked for ahead cannot fail to build where the Token stage's would not.
        let built = match ahead {
            true => self.api.build_create_access_token(self.order_id, self.options.is_recurring),
            false => self.build(),
        };
        let request = match built {
            Ok(r) => r,
            Err(e) => {
                lock(&self.limiter).release(ticket, now_ms);
                return self.fail_at_step(e);
            }
        };
        self.requests_sent += 1;
        let attempt = match (ahead, endpoint) {
            (true, _) => 1,
            (false, Endpoint::ProcessPayment) => {
                self.pay_sends += 1;
                self.attempts += 1;
                self.pay_sends
            }
            (false, _) => {
                self.attempts += 1;
                self.attempts
            }
        };
        self.trace.request(&request, attempt, now_ms);
        // A management call's slot (ticket 0) holds nothing in the limiter: a token asked for
        // ahead and abandoned when the flow ends needs no release.
        let slot = match ahead {
            true => &mut self.token_ahead,
            false => &mut self.in_flight,
        };
        *slot = Some((request.id.clone(), endpoint, ticket));
        self.token_ahead_due &= !ahead;
        Action::Send { request }
    }

    /// The methods are in and the payments pass them: the token asked for ahead is taken, or
    /// becomes the Token stage's request if it is still out.
    fn enter_token_stage(&mut self) {
        self.enter(Stage::Token);
        self.token_ahead_due = false;
        if let Some(ahead) = self.token_ahead.take() {
            self.attempts = 1;
            self.in_flight = Some(ahead);
        } else if let Some(pat) = self.pat.take() {
            self.take_token(pat);
        }
    }

    fn build(&self) -> Result<HttpRequest, PaymentError> {
        match &self.stage {
            Stage::Methods => self.api.build_get_payment_methods(&MethodsQuery::OrderId(self.order_id)),
            Stage::Token => self.api.build_create_access_token(self.order_id, self.options.is_recurring),
            Stage::Pay => {
                let pat = self
                    .pat
                    .as_ref()
                    .ok_or_else(|| PaymentError::new(ErrorKind::Authentication, "No payment access token"))?;
                Ok(self.api.process_payment_request(&pat.secret, &self.payments[self.step]))
            }
            Stage::ReadTransactions { page, .. } => self.api.build_get_transactions(self.order_id, *page),
            Stage::ReadOrder { .. } => self.api.build_get_order(self.order_id),
        }
    }

    /// Ends the request `id` if it is out (the stage's, or the token asked for ahead), releasing
    /// its rate-limit slot.
    fn take_in_flight(&mut self, id: &RequestId, now_ms: u64) -> Option<Endpoint> {
        finish(&self.limiter, &mut self.token_ahead, id, now_ms).or_else(|| finish(&self.limiter, &mut self.in_flight, id, now_ms))
    }

    /// Feeds the response to request `id`. Responses to other ids (stale, duplicated) are ignored.
    pub fn on_response(&mut self, id: &RequestId, response: &HttpResponse, now_ms: u64) {
        let Some(endpoint) = self.take_in_flight(id, now_ms) else { return };
        self.trace.response(id, response, &secrets(&self.api, self.pat.as_ref()), now_ms);
        lock(&self.limiter).observe(endpoint, response, now_ms);
        let api = Arc::clone(&self.api);
        match self.stage.clone() {
            Stage::Methods if endpoint == Endpoint::GetPaymentMethods => match api.parse_get_payment_methods(id, response) {
                Ok(methods) => {
                    // The structural rules ran at construction; only the methods checks are new.
                    let errors = validate::validate_against_methods(&self.payments, &methods, self.options.is_recurring);
                    self.methods = Some(methods);
                    if errors.is_empty() {
                        self.enter_token_stage();
                    } else {
                        self.fail_at_step(PaymentError::validation(errors));
                    }
                }
                Err(e) => self.retry_or_fail(e, None, now_ms),
            },
            // The Token stage's answer, or the token asked for ahead (in the Methods stage).
            Stage::Methods | Stage::Token => match api.parse_create_access_token(id, response, now_ms) {
                // The token asked for ahead, answered before the methods: kept until they are in.
                Ok(pat) if matches!(self.stage, Stage::Methods) => self.pat = Some(pat),
                Err(e) if matches!(self.stage, Stage::Methods) => self.trace.retry(None, &e),
                Ok(pat) if pat.is_expired(now_ms) => self.on_unusable_token(id, now_ms),
                Ok(pat) => self.take_token(pat),
                Err(e) if order_may_be_paid(&e) => self.check_refusal(e),
                Err(e) => self.retry_or_fail(e, None, now_ms),
            },
            Stage::Pay => {
                let parsed = match &self.pat {
                    Some(pat) => api.parse_process_payment_sent(id, response, &pat.secret, &self.payments[self.step]),
                    None => api.parse_process_payment(id, response, &self.payments[self.step].payment_method_id),
                };
                match parsed {
                    Ok(payment) => self.record_payment(payment),
                    Err(e) => self.on_pay_failure(e, id, now_ms),
                }
            }
            Stage::ReadTransactions { why, page, mut collected } => match api.parse_get_transactions(id, response) {
                Ok(txs) => {
                    let more = txs.has_next();
                    collected.extend(txs.transactions);
                    if !more {
                        self.enter(Stage::ReadOrder {
                            why,
                            transactions: collected,
                        });
                    } else if page < self.options.max_transaction_pages {
                        self.enter(Stage::ReadTransactions {
                            why,
                            page: page + 1,
                            collected,
                        });
                    } else {
                        self.unreadable(why, "the order has more transaction pages than the flow reads");
                    }
                }
                Err(e) => self.retry_or_fail(e, None, now_ms),
            },
            Stage::ReadOrder { why, transactions } => match api.parse_get_order(id, response) {
                Ok(order) if matches!(why, Read::Reconcile) => {
                    let method_id = &self.payments[self.step].payment_method_id;
                    let recorded: Vec<&Transaction> = transactions
                        .iter()
                        .filter(|t| t.records_payment() && matches_method(t, method_id))
                        .collect();
                    let (count, last) = (recorded.len() as u32, recorded.last().map(|t| (*t).clone()));
                    self.decide_after_reconcile(&order, count, last, now_ms);
                }
                Ok(order) => self.on_status(why, Some(OrderPaymentStatus::judge(&order, transactions))),
                Err(e) => self.retry_or_fail(e, None, now_ms),
            },
        }
    }

    /// A refusal of the order as invalid (30101): the order may be paid already, which its
    /// status tells.
    fn check_refusal(&mut self, refusal: PaymentError) {
        self.trace.decide(Decision::Reconcile, None, || {
            because("reading the order to see whether it is paid already", &refusal)
        });
        self.read(Read::Refused(Box::new(refusal)));
    }

    /// Reads the order's transactions and the order, for `why`.
    fn read(&mut self, why: Read) {
        self.enter(Stage::ReadTransactions {
            why,
            page: 1,
            collected: Vec::new(),
        });
    }

    /// The order or its transactions could not be read (`reason`): an unclear payment stays
    /// unclear; the other reads end as [`on_status`](Self::on_status) says without a status.
    fn unreadable(&mut self, why: Read, reason: &str) {
        match why {
            Read::Reconcile => self.fail_ambiguous(reason),
            why => self.on_status(why, None),
        }
    }

    /// The order's payment status is read (`None`: it could not be): the flow ends by it. A
    /// refusal stands unless the order is paid; payments taken are reported whatever the read.
    fn on_status(&mut self, why: Read, status: Option<OrderPaymentStatus>) {
        use OrderPaymentState::*;
        match (why, status) {
            (Read::Refused(_), Some(s)) if s.state == Paid => {
                self.finish(if self.taken.is_empty() { AlreadyPaid } else { Paid }, Some(s));
            }
            (Read::Refused(refusal), _) => {
                self.fail_at_step(*refusal);
            }
            // After the last payment (a reconciliation decides by its own rule instead).
            (_, s) => self.finish(s.as_ref().map_or(Ambiguous, |s| s.state), s),
        }
    }

    /// Ends the flow because its caller gave up (a cancelled task, an aborted request) or its
    /// time budget ran out, and returns the error to report. If a Process Payment may have
    /// reached the server and is not settled — one in flight, or one being reconciled — the
    /// outcome is `AmbiguousOutcome`: the money may have moved. Otherwise nothing unclear was
    /// sent, and the error is `Cancelled` (payments already taken are listed, as always).
    pub fn cancel(&mut self, now_ms: u64) -> PaymentError {
        self.stop(Stop::at(self.deadline_ms, now_ms), now_ms)
    }

    fn stop(&mut self, why: Stop, now_ms: u64) -> PaymentError {
        if let Some(Action::Failed { error }) = &self.outcome {
            return error.clone();
        }
        if let Some((id, endpoint, _)) = self.in_flight.clone() {
            self.take_in_flight(&id, now_ms);
            if endpoint == Endpoint::ProcessPayment && self.unclear.is_none() {
                let cause = PaymentError::new(ErrorKind::Transport, "no answer yet");
                self.unclear = Some((cause, id));
            }
        }
        if self.unclear.is_some() {
            self.fail_ambiguous(&format!("{} before it was settled", why.reason()));
        } else {
            let detail = format!("No payment of order {} was in flight or unsettled.", self.order_id);
            self.fail_at_step(PaymentError::stopped(why, &detail));
        }
        match &self.outcome {
            Some(Action::Failed { error }) => error.clone(),
            // Cannot happen (the flow has just failed); an error beats a panic.
            _ => PaymentError::stopped(why, "stopped"),
        }
    }

    /// Feeds a transport failure for request `id`, with the host's words for it (`cause`: the
    /// library's or the OS's error text, scrubbed here before any event or error shows it). Other
    /// ids are ignored.
    pub fn on_transport_failure(&mut self, id: &RequestId, failure: TransportFailure, cause: Option<&str>, now_ms: u64) {
        let Some(endpoint) = self.take_in_flight(id, now_ms) else { return };
        let cause = cause.map(|c| self.scrub(c));
        self.trace.failure(id, failure, cause.as_deref(), now_ms);
        let error = PaymentError::transport(endpoint, id, failure, cause.as_deref());
        if endpoint != self.stage.endpoint() {
            // The token asked for ahead: only a missed head start: the Token stage asks after the methods.
            self.trace.retry(None, &error);
        } else if matches!(self.stage, Stage::Pay) {
            if failure.may_have_reached_server() {
                self.start_reconcile(error, id.clone(), now_ms);
            } else if self.pay_sends < self.options.max_attempts {
                // The server never saw it: the same request (same token) may go again.
                let wait = self.backoff(self.pay_sends);
                self.trace.retry(Some(wait), &error);
                self.not_before = now_ms.saturating_add(wait);
            } else {
                self.fail_at_step(error);
            }
        } else {
            self.retry_or_fail(error, Some(failure), now_ms);
        }
    }

    /// `cause` without the store's token or the payment access token in it.
    fn scrub(&self, cause: &str) -> String {
        scrub_cause(cause, &secrets(&self.api, self.pat.as_ref()))
    }

    /// A Process Payment failed with a response. The only place that decides whether a payment
    /// may be sent again.
    fn on_pay_failure(&mut self, error: PaymentError, id: &RequestId, now_ms: u64) {
        if let Some(refused) = refused_wait(Endpoint::ProcessPayment, &error) {
            self.fail_at_step(refused);
            return;
        }
        let budget_left = self.pay_sends < self.options.max_attempts;
        match error.kind {
            // Refused before processing: the limiter now blocks until the server's reset.
            ErrorKind::RateLimited if budget_left => self.trace.retry(None, &error),
            // The payments host rejected the token (expired or used): nothing was processed.
            ErrorKind::Authentication if error.status == Some(401) && budget_left => {
                self.trace.decide(Decision::Retry, None, || {
                    because("a new payment access token, then Process Payment again", &error)
                });
                self.pat = None;
                self.enter(Stage::Token);
            }
            // Nothing was processed; the order may have been paid meanwhile (or before).
            _ if order_may_be_paid(&error) => self.check_refusal(error),
            // Includes every answer that could not be read: on a call that moves money, the core
            // advises reconciling those (`PaymentError::invalid_response`).
            _ if error.retry == RetryAdvice::Reconcile => self.start_reconcile(error, id.clone(), now_ms),
            _ => {
                self.fail_at_step(error);
            }
        }
    }

    fn start_reconcile(&mut self, cause: PaymentError, payment_request: RequestId, now_ms: u64) {
        // The token went out with a payment that may have been processed.
        self.pat_spent = true;
        self.unclear = Some((cause, payment_request));
        if !self.options.reconcile {
            self.fail_ambiguous("reconciliation is turned off");
            return;
        }
        self.unclear_since_ms = now_ms;
        self.settle_reads = 0;
        self.order_moved = false;
        self.schedule_settle_read(now_ms);
    }

    /// Starts the next settle read at its time in [`settle_schedule`].
    fn schedule_settle_read(&mut self, now_ms: u64) {
        let offset = settle_schedule(&self.options)
            .nth(self.settle_reads as usize)
            .unwrap_or(self.options.settle_window_ms);
        self.read(Read::Reconcile);
        self.not_before = self.unclear_since_ms.saturating_add(offset);
        let (reads, unclear) = (self.settle_reads, &self.unclear);
        self.trace
            .decide(Decision::Reconcile, Some(self.not_before.saturating_sub(now_ms)), || {
                match (reads, unclear) {
                    (0, Some((cause, _))) => because(
                        "Process Payment may have been taken: reading the order's transactions, never sending it again",
                        cause,
                    ),
                    _ => "no transaction records the payment yet (the ledger may lag): reading again".to_owned(),
                }
            });
    }

    /// A token that is expired when it arrives cannot pay. One more is asked for after a backoff
    /// (a server may have had a passing fault); a second means a clock or a server is wrong, and
    /// asking again would only spin.
    fn on_unusable_token(&mut self, id: &RequestId, now_ms: u64) {
        self.unusable_tokens += 1;
        if self.unusable_tokens < 2 {
            self.attempts = 0;
            let wait = self.backoff(1).max(MIN_SETTLE_GAP_MS);
            self.trace.decide(Decision::Retry, Some(wait), || {
                "a new payment access token: this one arrived expired".to_owned()
            });
            self.not_before = now_ms.saturating_add(wait);
            return;
        }
        let mut e = PaymentError::new(ErrorKind::Configuration, "Payment access tokens arrive already expired");
        e.detail = Some(
            "Two payment access tokens in a row expired at issue (their exp is not after their iat). \
             Check the clock of the server that issues them, or the API base URL; nothing was paid with them."
                .to_owned(),
        );
        e.remedy = "Check the system clocks and the configured API base; then pay again.".to_owned();
        self.fail_at_step(e.at(Endpoint::CreatePaymentAccessToken, id));
    }

    /// Settles an unclear payment from the order's transactions and status.
    ///
    /// A payment counts as recorded when the order holds more successful transactions for its
    /// payment method than this flow has taken through that method. That assumes no one else
    /// paid the order through the same method meanwhile (orders are Incomplete, hence unpaid,
    /// when a flow starts); the alternative, reading transactions before every payment, would
    /// cost a request per payment.
    fn decide_after_reconcile(&mut self, order: &Order, recorded: u32, found: Option<Transaction>, now_ms: u64) {
        let method_id = self.payments[self.step].payment_method_id.clone();
        let known = self.taken.iter().filter(|p| p.payment_method_id == method_id).count() as u32;
        // More recorded than known means one was found.
        if let (true, Some(tx)) = (recorded > known, found) {
            self.trace.decide(Decision::Settled, None, || {
                "the order's transactions record the payment: it counts as taken".to_owned()
            });
            self.record_payment(ProcessedPayment {
                id: None,
                status: if tx.event == "pending" {
                    PaymentStatus::Pending
                } else {
                    PaymentStatus::Success
                },
                transaction_type: if tx.event == "authorization" {
                    TransactionType::Authorization
                } else {
                    TransactionType::Purchase
                },
                payment_method_id: method_id,
                reconciled: true,
            });
            return;
        }
        // Before the first payment the order must still be Incomplete; after a partial payment
        // it is Pending. Any other status means something happened that the transactions do
        // not show.
        let unpaid = match order.status_id {
            Some(order_status::INCOMPLETE) => true,
            Some(order_status::PENDING) => self.step > 0,
            _ => false,
        };
        self.order_moved |= !unpaid;
        self.settle_reads += 1;
        // Absent evidence is not proof: the transaction may still be on its way. Read again
        // until the settle window is over.
        let window_end = self.unclear_since_ms.saturating_add(self.options.settle_window_ms);
        if now_ms < window_end && (self.settle_reads as usize) < settle_schedule(&self.options).count() {
            self.schedule_settle_read(now_ms);
            return;
        }
        if self.order_moved {
            self.fail_ambiguous("no transaction is recorded for the payment but the order's status changed");
            return;
        }
        if !self.options.resend_when_unrecorded {
            let reason = format!(
                "no transaction for it was recorded within the {} ms settle window (the ledger may lag; it was not sent again)",
                self.options.settle_window_ms
            );
            self.fail_ambiguous(&reason);
            return;
        }
        if self.pay_sends >= self.options.max_attempts {
            // Not recorded within the window, but out of attempts.
            let (cause, _) = self.take_unclear();
            let mut e = cause;
            e.retry = RetryAdvice::After {
                ms: self.options.backoff_cap_ms,
            };
            e.detail = Some(
                format!(
                    "{} No payment was recorded within the settle window; retries are exhausted.",
                    e.detail.unwrap_or_default()
                )
                .trim()
                .to_owned(),
            );
            self.fail_at_step(e);
            return;
        }
        // Not recorded within the window, and the caller opted in to paying again.
        self.trace.decide(Decision::Retry, None, || {
            "a new payment access token, then Process Payment again: no transaction was recorded within the settle window, the order is unpaid in every read, and resend_when_unrecorded is on".to_owned()
        });
        self.unclear = None;
        self.pat = None;
        self.enter(Stage::Token);
    }

    fn record_payment(&mut self, payment: ProcessedPayment) {
        self.taken.push(payment);
        self.unusable_tokens = 0;
        // Tokens are single-use and carry the amount due: each payment gets its own.
        self.pat_spent = true;
        self.unclear = None;
        self.step += 1;
        self.pay_sends = 0;
        if self.step < self.payments.len() {
            self.enter(Stage::Token);
        } else if self.payments[self.step - 1].instrument.is_partial_tender() {
            // A gift certificate or store credit pays what it holds, not what is due.
            self.read(Read::AfterLastPayment);
        } else {
            // Any other instrument pays the amount due, which its token carried.
            self.finish(OrderPaymentState::Paid, None);
        }
    }

    /// Ends the flow with its receipt: the order's `state`, and its amounts from `status` when
    /// it was read, else from the first token's claims.
    fn finish(&mut self, state: OrderPaymentState, status: Option<OrderPaymentStatus>) {
        let remaining = match &status {
            Some(s) => s.remaining,
            None if state == OrderPaymentState::Paid => Some(Amount::ZERO),
            None => None,
        };
        let (due, token_currency) = self.due_at_start.clone().unzip();
        let amount_paid = match (state == OrderPaymentState::AlreadyPaid, due, remaining) {
            (true, ..) => Some(Amount::ZERO),
            (false, Some(due), Some(left)) => Some(Amount((due.0 - left.0).max(0))),
            _ => None,
        };
        let (currency, transactions) = match status {
            Some(s) => (s.currency.or(token_currency), s.transactions),
            None => (token_currency, Vec::new()),
        };
        self.release_claim();
        self.token_ahead = None;
        self.trace
            .decide(Decision::Done, None, || joined(&["the order is ", state.as_str()]));
        self.outcome = Some(Action::Done {
            output: PaymentReceipt {
                order_id: self.order_id,
                payments: self.taken.clone(),
                requests_sent: self.requests_sent,
                order_state: state,
                amount_paid,
                amount_remaining: remaining,
                currency,
                transactions,
            },
        });
    }

    /// Retries a call that cannot move money (by [`may_resend`]), or gives up.
    fn retry_or_fail(&mut self, error: PaymentError, failure: Option<TransportFailure>, now_ms: u64) {
        if let Some(refused) = refused_wait(self.stage.endpoint(), &error) {
            self.fail_at_step(refused);
            return;
        }
        let how = failure.map_or(Failure::Response(&error), Failure::Transport);
        if may_resend(self.stage.endpoint(), how) && self.attempts < self.options.max_attempts {
            let wait = (error.kind != ErrorKind::RateLimited).then(|| self.backoff(self.attempts));
            self.trace.retry(wait, &error);
            if let Some(wait) = wait {
                self.not_before = now_ms.saturating_add(wait);
            }
            return;
        }
        if let Stage::ReadTransactions { why, .. } | Stage::ReadOrder { why, .. } = &mut self.stage {
            let why = std::mem::replace(why, Read::AfterLastPayment);
            self.unreadable(why, "the order's transactions could not be read");
        } else {
            self.fail_at_step(error);
        }
    }

    /// Full-jitter exponential backoff for the `n`-th retry.
    fn backoff(&mut self, n: u32) -> u64 {
        backoff(&self.options, &mut self.entropy, n)
    }

    fn enter(&mut self, stage: Stage) {
        self.stage = stage;
        self.attempts = 0;
    }

    fn fail_at_step(&mut self, mut error: PaymentError) -> Action {
        self.trace.give_up(&error);
        error.payments_taken = self.taken.clone();
        let action = Action::Failed { error };
        self.release_claim();
        self.token_ahead = None;
        self.outcome = Some(action.clone());
        action
    }

    /// Why the current reconciliation started, and the payment request it is about.
    fn take_unclear(&mut self) -> (PaymentError, RequestId) {
        self.unclear
            .take()
            .unwrap_or_else(|| (PaymentError::new(ErrorKind::Transport, "unknown"), RequestId("unknown".into())))
    }

    fn fail_ambiguous(&mut self, reason: &str) {
        let (cause, request_id) = self.take_unclear();
        let mut e = PaymentError::new(ErrorKind::AmbiguousOutcome, "The payment's outcome is unknown");
        e.detail = Some(format!(
            "Process Payment for order {} ended unclearly ({}: {}) and {reason}. Check the order's transactions and status before paying again.",
            self.order_id, cause.kind, cause.title
        ));
        e.status = cause.status;
        e.code = cause.code;
        e.retry = RetryAdvice::Reconcile;
        e.endpoint = Some(Endpoint::ProcessPayment);
        e.request_id = Some(request_id);
        self.fail_at_step(e);
    }
}

/// When (ms after the unclear outcome) each settle read is due: `reconcile_delay_ms`, then gaps
/// doubling from it (at least [`MIN_SETTLE_GAP_MS`]), the last one at the window's end. A window
/// shorter than the first delay still gets that one read.
pub fn settle_schedule(options: &FlowOptions) -> impl Iterator<Item = u64> {
    let (first, window) = (options.reconcile_delay_ms, options.settle_window_ms);
    let mut gap = first.max(MIN_SETTLE_GAP_MS);
    let mut next = Some(first);
    std::iter::from_fn(move || {
        let at = next?;
        gap = gap.saturating_mul(2);
        next = (at < window).then(|| at.saturating_add(gap).min(window));
        Some(at)
    })
}

/// The error to end with when `error` (a 429) asks for a longer wait than
/// [`MAX_SERVER_WAIT_MS`], with the server's own figure — read from the answer rather than from
/// the limiter at the next poll, which would report it less the time that passed.
pub(crate) fn refused_wait(endpoint: Endpoint, error: &PaymentError) -> Option<PaymentError> {
    match error.retry {
        RetryAdvice::After { ms } if error.kind == ErrorKind::RateLimited && ms > MAX_SERVER_WAIT_MS => {
            Some(server_wait_too_long(endpoint, ms))
        }
        _ => None,
    }
}

/// A server asked for a wait longer than [`MAX_SERVER_WAIT_MS`].
pub(crate) fn server_wait_too_long(endpoint: Endpoint, asked_ms: u64) -> PaymentError {
    let mut e = PaymentError::new(ErrorKind::RateLimited, "The server asked for a longer wait than bcpay accepts");
    e.detail = Some(format!(
        "The server asked to wait {asked_ms} ms before the next request; bcpay waits at most {MAX_SERVER_WAIT_MS} ms."
    ));
    e.retry = RetryAdvice::After { ms: asked_ms };
    e.endpoint = Some(endpoint);
    e
}

/// Whether a refusal may mean the order is paid already: 30101 ("Order is invalid"), which the
/// Payments API answers for an order that is no longer Incomplete or Pending with money due.
fn order_may_be_paid(error: &PaymentError) -> bool {
    error.code == Some(30101)
}

/// Whether a transaction belongs to the payment method being reconciled. Transactions without a
/// `payment_method_id` (older stores) match any method.
fn matches_method(tx: &Transaction, method_id: &str) -> bool {
    tx.payment_method_id.as_deref().is_none_or(|m| m == method_id)
}

impl crate::read::FromJson for FlowOptions {
    const EXPECTED: &'static str = "a flow options object";
    fn from_json(v: &crate::read::Json<'_>, at: &crate::read::Path<'_>) -> Result<Self, crate::read::ShapeError> {
        FlowOptions::read_over(&FlowOptions::default(), v, at)
    }
}

impl FlowOptions {
    /// The keys the options' JSON may have (the fields' names).
    pub const KEYS: &'static [&'static str] = &[
        "fetch_methods",
        "reconcile",
        "max_attempts",
        "backoff_base_ms",
        "backoff_cap_ms",
        "pat_refresh_margin_ms",
        "reconcile_delay_ms",
        "settle_window_ms",
        "resend_when_unrecorded",
        "max_transaction_pages",
        "is_recurring",
        "time_budget_ms",
    ];

    /// Options read from JSON, each absent key taken from `base` (a client's defaults, so that a
    /// call's `{is_recurring: true}` keeps the client's other settings).
    pub fn read_over(
        base: &FlowOptions,
        v: &crate::read::Json<'_>,
        at: &crate::read::Path<'_>,
    ) -> Result<FlowOptions, crate::read::ShapeError> {
        use crate::read::FromJson;
        let f = crate::read::Fields::of(v, at, Self::EXPECTED)?;
        f.deny_unknown(FlowOptions::KEYS)?;
        let d = base;
        Ok(FlowOptions {
            fetch_methods: f.or("fetch_methods", d.fetch_methods)?,
            reconcile: f.or("reconcile", d.reconcile)?,
            max_attempts: f.or("max_attempts", d.max_attempts)?,
            backoff_base_ms: f.or("backoff_base_ms", d.backoff_base_ms)?,
            backoff_cap_ms: f.or("backoff_cap_ms", d.backoff_cap_ms)?,
            pat_refresh_margin_ms: f.or("pat_refresh_margin_ms", d.pat_refresh_margin_ms)?,
            reconcile_delay_ms: f.or("reconcile_delay_ms", d.reconcile_delay_ms)?,
            settle_window_ms: f.or("settle_window_ms", d.settle_window_ms)?,
            resend_when_unrecorded: f.or("resend_when_unrecorded", d.resend_when_unrecorded)?,
            max_transaction_pages: f.or("max_transaction_pages", d.max_transaction_pages)?,
            is_recurring: f.or("is_recurring", d.is_recurring)?,
            time_budget_ms: match f.opt("time_budget_ms")? {
                Some(ms) => Some(ms),
                None => d.time_budget_ms,
            },
        })
    }
}

crate::read::deserialize_with_reader!(FlowOptions);

/// The secrets no event may hold: the store's token and the payment access token.
fn secrets<'a>(api: &'a Api, pat: Option<&'a PaymentAccessToken>) -> [&'a str; 2] {
    [api.config().api_token().expose(), pat.map_or("", |p| p.secret.expose())]
}
