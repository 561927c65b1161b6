//! [`Session`]: one store's [`Api`], rate limiter, entropy and default [`FlowOptions`] — the one
//! way every host makes a call.
//!
//! A host keeps one session per store and asks it for an [`Operation`]: a payment flow
//! ([`Session::pay`]) or a single call ([`Session::call`]). Both are sans-IO state machines driven
//! by the same host loop (`poll` → send → `on_response` / `on_transport_failure`), so every call
//! waits for the store's shared limiter, retries by one rule ([`may_resend`]) with the flow's
//! backoff, honours the caller's time budget ([`FlowOptions::time_budget_ms`]) and ends in a typed
//! error when the caller cancels ([`Operation::cancel`]). A host's single call is therefore
//! `session.call(…)` plus the loop it already has for payments — no rule of its own.
//!
//! ```text
//! single call:  send ──2xx──→ Done (transactions: next page … last page → Done, all pages)
//!                 │ 429 ───────────────→ wait for the limiter, send again
//!                 │ not_sent ──────────→ back off, send again (the server never saw it)
//!                 │ 5xx, timed_out, maybe_sent
//!                 │   on a call safe to repeat (reads, tokens, quotes) → back off, send again
//!                 │   on any other call (orders, captures, refunds, payments) → Failed
//!                 └ anything else, or out of attempts or time ──→ Failed
//! ```

use crate::api::{Api, MethodsQuery};
use crate::config::ClientConfig;
use crate::error::{ErrorKind, PaymentError, RetryAdvice};
use crate::flow::{Action, FlowOptions, MAX_SERVER_WAIT_MS, PaymentFlow, refused_wait, server_wait_too_long};
use crate::http::{Endpoint, HttpRequest, HttpResponse, RequestId, TransportFailure};
use crate::model::{
    NewOrder, Order, OrderPaymentStatus, Payment, PaymentAccessToken, PaymentMethod, PaymentReceipt, ProcessedPayment, Refund, RefundItem,
    RefundQuote, RefundQuoteRequest, RefundRequest, StoredInstrument, Transaction, TransactionPage,
};
use crate::observe::{Decision, FlowEvent, Trace, joined, scrub_cause};
use crate::ratelimit::{LimitClass, Permit, RateLimitConfig, RateLimiter, SharedRateLimiter};
use crate::rng::Entropy;
use crate::secret::PatSecret;
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// One store's API, its shared rate limiter and entropy, and the default flow options.
pub struct Session {
    api: Arc<Api>,
    limiter: SharedRateLimiter,
    /// What [`Call::Prepare`] fetched, until the order's payment takes it.
    prepared: SharedPrepared,
    /// Seeds each operation's jitter: one OS read per session, not per call.
    entropy: Mutex<Entropy>,
    options: FlowOptions,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("options", &self.options).finish_non_exhaustive()
    }
}

impl Session {
    /// A session for `config` with the documented rate limits and OS entropy.
    pub fn new(config: ClientConfig, rate_limit: RateLimitConfig) -> Session {
        Session::with_entropy(config, rate_limit, Entropy::from_os())
    }

    /// A session whose request ids and jitter come from `entropy` (seeded in tests).
    pub fn with_entropy(config: ClientConfig, rate_limit: RateLimitConfig, mut entropy: Entropy) -> Session {
        Session {
            api: Arc::new(Api::with_entropy(config, &mut entropy)),
            limiter: RateLimiter::shared(rate_limit),
            prepared: SharedPrepared::default(),
            entropy: Mutex::new(entropy),
            options: FlowOptions::default(),
        }
    }

    /// Sets the options every operation starts from.
    pub fn with_options(mut self, options: FlowOptions) -> Session {
        self.options = options;
        self
    }

    /// Shares `limiter` (e.g. between sessions of one store).
    pub fn with_limiter(mut self, limiter: SharedRateLimiter) -> Session {
        self.limiter = limiter;
        self
    }

    /// The stateless API requests are built with.
    pub fn api(&self) -> &Arc<Api> {
        &self.api
    }

    /// The limiter every operation of this session waits for.
    pub fn limiter(&self) -> &SharedRateLimiter {
        &self.limiter
    }

    /// The store's Process Payment budget in the form processes share it in (Redis; see
    /// [`crate::ratelimit::SharedPaymentsLimit`]).
    pub fn shared_payments_limit(&self) -> crate::ratelimit::SharedPaymentsLimit {
        lock(&self.limiter).config().shared(self.api.config().store_hash().as_str())
    }

    /// The default options.
    pub fn options(&self) -> &FlowOptions {
        &self.options
    }

    fn entropy(&self, seed: Option<u64>) -> Entropy {
        let seed = seed.unwrap_or_else(|| self.entropy.lock().unwrap_or_else(|p| p.into_inner()).next_u64());
        Entropy::from_seed(seed)
    }

    /// A payment flow for `order_id` (see [`PaymentFlow`]); `options` replace the defaults when
    /// given; `seed` makes retry jitter repeatable.
    pub fn pay(
        &self,
        order_id: u64,
        payments: Vec<Payment>,
        options: Option<FlowOptions>,
        now_ms: u64,
        seed: Option<u64>,
    ) -> Result<PaymentFlow, PaymentError> {
        let options = options.unwrap_or_else(|| self.options.clone());
        let is_recurring = options.is_recurring;
        let mut flow = PaymentFlow::with_limiter(
            Arc::clone(&self.api),
            self.limiter.clone(),
            self.entropy(seed),
            order_id,
            payments,
            options,
            now_ms,
        )?;
        // Taken only once the payments are valid, so that a mistyped card keeps the preparation.
        if let Some(prepared) = self.prepared.take(order_id, is_recurring, now_ms) {
            let problems = flow.problems_against(&prepared.methods);
            if !problems.is_empty() {
                // Refused before anything was sent: the preparation still serves the next try.
                self.prepared.put(prepared, now_ms);
                return Err(PaymentError::validation(problems));
            }
            flow.take_token(prepared.token);
        }
        // One payment per order at a time, across every flow of the store.
        flow.claiming()
    }

    /// A payment an app relayed to its server (see [`crate::relay`]): reads and validates the
    /// request envelope `body`, then pays with `options` (else the session's), the app's time
    /// budget capping the server's. With `expect_order_id` (the order the server knows this
    /// shopper is paying), a request for another order is refused. The operation always ends
    /// with [`CallOutput::RelayOutcome`]: a refused request, a decline or an ambiguous outcome is
    /// an envelope for the app, not an error for the server.
    pub fn pay_from_app(
        &self,
        body: &[u8],
        options: Option<FlowOptions>,
        expect_order_id: Option<u64>,
        now_ms: u64,
        seed: Option<u64>,
    ) -> Operation {
        let flow = crate::relay::PaymentRequest::read(body).and_then(|request| {
            if expect_order_id.is_some_and(|id| id != request.order_id) {
                return Err(PaymentError::validation(vec![crate::error::FieldError::new(
                    "order_id",
                    "order_mismatch",
                    "This payment is for another order than the one being checked out.",
                )]));
            }
            let options = request.options_over(options.as_ref().unwrap_or(&self.options));
            self.pay(request.order_id, request.payments, Some(options), now_ms, seed)
        });
        Operation::Relay(Box::new(flow))
    }

    /// The payment of `order_id` with `payment` under the billing journal (see
    /// [`crate::journal`]), given the order's stored `record`: paid, settled or skipped by the
    /// journal's rules, every Process Payment waiting for its `sending` record to be written.
    pub fn pay_journaled(
        &self,
        order_id: u64,
        payment: Payment,
        record: Option<crate::journal::JournalRecord>,
        options: Option<FlowOptions>,
        now_ms: u64,
        seed: Option<u64>,
    ) -> crate::journal::JournaledPayment {
        let instrument = crate::journal::InstrumentRef::of(&payment);
        crate::journal::JournaledPayment::new(order_id, instrument, record, now_ms, || {
            self.pay(order_id, vec![payment], options, now_ms, seed)
        })
    }

    /// A single call (see [`CallFlow`]), validated now.
    pub fn call(&self, call: Call, options: Option<FlowOptions>, now_ms: u64, seed: Option<u64>) -> Result<CallFlow, PaymentError> {
        let mut flow = CallFlow::new(
            Arc::clone(&self.api),
            self.limiter.clone(),
            self.entropy(seed),
            call,
            options.unwrap_or_else(|| self.options.clone()),
            now_ms,
        )?;
        if matches!(flow.call, Call::Prepare { .. }) {
            flow.prepare_into = Some(self.prepared.clone());
        }
        Ok(flow)
    }
}

/// Payments prepared ahead ([`Call::Prepare`]), one per order, shared by a session's operations.
/// The tokens stay here: `prepare` answers with the methods and the token's expiry, never the
/// token, and the order's next payment takes it.
#[derive(Clone, Default)]
pub struct SharedPrepared(Arc<Mutex<Vec<Prepared>>>);

/// One prepared payment.
struct Prepared {
    order_id: u64,
    methods: Arc<Vec<PaymentMethod>>,
    token: PaymentAccessToken,
    is_recurring: bool,
}

/// Most payments a session keeps prepared; the oldest goes first.
const MAX_PREPARED: usize = 1_000;

impl SharedPrepared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Prepared>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn put(&self, p: Prepared, now_ms: u64) {
        let mut all = self.lock();
        all.retain(|q| q.order_id != p.order_id && !q.token.is_expired(now_ms));
        if all.len() >= MAX_PREPARED {
            all.remove(0);
        }
        all.push(p);
    }

    /// The payment prepared for `order_id`, if its token was made for the same kind of charge
    /// (`is_recurring`) and is not expired; it is removed either way (a token pays once).
    fn take(&self, order_id: u64, is_recurring: bool, now_ms: u64) -> Option<Prepared> {
        let mut all = self.lock();
        let i = all.iter().position(|p| p.order_id == order_id)?;
        let p = all.remove(i);
        (p.is_recurring == is_recurring && !p.token.is_expired(now_ms)).then_some(p)
    }
}

/// What [`Call::Prepare`] answers: the order's accepted methods (to show the checkout) and when
/// the token it holds for the payment expires.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PreparedPayment {
    /// The order.
    pub order_id: u64,
    /// Get Payment Methods for the order (shared with the session's copy, not cloned).
    pub methods: Arc<Vec<PaymentMethod>>,
    /// When the prepared token expires (host clock, ms); a payment after it makes a new one.
    pub token_expires_at_ms: u64,
}

/// One Payments API call with its arguments. Its name is its [`Endpoint`].
#[derive(Clone, Debug)]
pub enum Call {
    /// Get Payment Methods.
    GetPaymentMethods {
        /// By order or by checkout.
        query: MethodsQuery,
    },
    /// Create Payment Access Token.
    CreatePaymentAccessToken {
        /// The order to pay.
        order_id: u64,
        /// Sent as `order.is_recurring`.
        is_recurring: bool,
    },
    /// Process Payment, once: no reconciliation (a [`PaymentFlow`] does that).
    ProcessPayment {
        /// The token from Create Payment Access Token.
        pat: PatSecret,
        /// What to pay with.
        payment: Payment,
        /// The store's accepted methods, to check the payment against.
        methods: Option<Vec<PaymentMethod>>,
    },
    /// V2 create order (always Incomplete).
    CreateOrder {
        /// The order.
        order: NewOrder,
    },
    /// V2 get order.
    GetOrder {
        /// The order.
        order_id: u64,
    },
    /// The order's transactions: every page (`page: None`, at most
    /// [`FlowOptions::max_transaction_pages`]), or one.
    GetOrderTransactions {
        /// The order.
        order_id: u64,
        /// One page only.
        page: Option<u32>,
    },
    /// Capture an authorization.
    CapturePayment {
        /// The order.
        order_id: u64,
    },
    /// Void an authorization.
    VoidPayment {
        /// The order.
        order_id: u64,
    },
    /// Create a refund quote.
    CreateRefundQuote {
        /// The order.
        order_id: u64,
        /// What to quote.
        request: RefundQuoteRequest,
    },
    /// Create a refund.
    CreateRefund {
        /// The order.
        order_id: u64,
        /// What to refund, and how.
        request: RefundRequest,
    },
    /// Refund items of an order as its refund quote allows: Create Refund Quote, then Create
    /// Refund with the quote's providers and amounts ([`RefundQuote::refund_request`], which
    /// refuses an offline-only quote). Two requests, one operation: each keeps its own resend
    /// rule (a quote may be asked again; a refund that may have been acted on is not resent).
    Refund {
        /// The order.
        order_id: u64,
        /// What to refund.
        items: Vec<RefundItem>,
    },
    /// An order's refunds.
    ListRefunds {
        /// The order.
        order_id: u64,
    },
    /// A customer's stored instruments.
    GetStoredInstruments {
        /// The customer.
        customer_id: u64,
    },
    /// A payment prepared ahead: Get Payment Methods and Create Payment Access Token for the
    /// order (as the session's options say: `is_recurring`), kept in the session so that the
    /// order's next `pay` sends only Process Payment — one round trip when the shopper presses
    /// "pay". Call it when the order is created or the checkout opens; a token lives an hour, and
    /// one that is spent, expired or due for renewal is replaced as usual.
    Prepare {
        /// The order.
        order_id: u64,
    },
    /// Whether an order is paid, and how much is due: V2 get order, then every page of its
    /// transactions, judged by [`OrderPaymentStatus::judge`] (the rule payment flows end by).
    GetOrderPaymentStatus {
        /// The order.
        order_id: u64,
    },
}

impl Call {
    /// The call's name: the endpoint of its (first) request.
    pub fn endpoint(&self) -> Endpoint {
        match self {
            Call::Refund { .. } => Endpoint::CreateRefundQuote,
            Call::GetPaymentMethods { .. } | Call::Prepare { .. } => Endpoint::GetPaymentMethods,
            Call::CreatePaymentAccessToken { .. } => Endpoint::CreatePaymentAccessToken,
            Call::ProcessPayment { .. } => Endpoint::ProcessPayment,
            Call::CreateOrder { .. } => Endpoint::CreateOrder,
            Call::GetOrder { .. } | Call::GetOrderPaymentStatus { .. } => Endpoint::GetOrder,
            Call::GetOrderTransactions { .. } => Endpoint::GetOrderTransactions,
            Call::CapturePayment { .. } => Endpoint::CapturePayment,
            Call::VoidPayment { .. } => Endpoint::VoidPayment,
            Call::CreateRefundQuote { .. } => Endpoint::CreateRefundQuote,
            Call::CreateRefund { .. } => Endpoint::CreateRefund,
            Call::ListRefunds { .. } => Endpoint::ListRefunds,
            Call::GetStoredInstruments { .. } => Endpoint::GetStoredInstruments,
        }
    }

    /// The request for this call (`page` of transactions), validating its input at `now_ms`.
    pub fn request(&self, api: &Api, page: u32, now_ms: u64) -> Result<HttpRequest, PaymentError> {
        match self {
            Call::GetPaymentMethods { query } => api.build_get_payment_methods(query),
            Call::Prepare { order_id } => api.build_get_payment_methods(&MethodsQuery::OrderId(*order_id)),
            Call::CreatePaymentAccessToken { order_id, is_recurring } => api.build_create_access_token(*order_id, *is_recurring),
            Call::ProcessPayment { pat, payment, methods } => api.build_process_payment(pat, payment, now_ms, methods.as_deref()),
            Call::CreateOrder { order } => api.build_create_order(order),
            Call::GetOrder { order_id } | Call::GetOrderPaymentStatus { order_id } => api.build_get_order(*order_id),
            Call::GetOrderTransactions { order_id, .. } => api.build_get_transactions(*order_id, page),
            Call::CapturePayment { order_id } => api.build_capture(*order_id),
            Call::VoidPayment { order_id } => api.build_void(*order_id),
            Call::CreateRefundQuote { order_id, request } => api.build_create_refund_quote(*order_id, request),
            Call::CreateRefund { order_id, request } => api.build_create_refund(*order_id, request),
            Call::Refund { order_id, items } => api.build_create_refund_quote(*order_id, &RefundQuoteRequest { items: items.clone() }),
            Call::ListRefunds { order_id } => api.build_list_refunds(*order_id),
            Call::GetStoredInstruments { customer_id } => api.build_get_stored_instruments(*customer_id),
        }
    }

    /// The answer to one request of this call, sent to `endpoint`.
    pub fn parse(
        &self,
        api: &Api,
        endpoint: Endpoint,
        id: &RequestId,
        response: &HttpResponse,
        now_ms: u64,
    ) -> Result<CallOutput, PaymentError> {
        match self {
            // A payment this client sent: an error also loses every secret it carried.
            Call::ProcessPayment { pat, payment, .. } => {
                Ok(CallOutput::Payment(api.parse_process_payment_sent(id, response, pat, payment)?))
            }
            _ => parse_answer(api, endpoint, id, response, now_ms, ""),
        }
    }
}

/// The answer to a request to `endpoint`, as its output: the one mapping of endpoints to parsers,
/// for single calls and for the stateless JSON API. `now_ms` dates a token's receipt;
/// `payment_method_id` is the one a Process Payment went through.
pub fn parse_answer(
    api: &Api,
    endpoint: Endpoint,
    id: &RequestId,
    response: &HttpResponse,
    now_ms: u64,
    payment_method_id: &str,
) -> Result<CallOutput, PaymentError> {
    Ok(match endpoint {
        Endpoint::GetPaymentMethods => CallOutput::PaymentMethods(api.parse_get_payment_methods(id, response)?),
        Endpoint::CreatePaymentAccessToken => CallOutput::AccessToken(api.parse_create_access_token(id, response, now_ms)?),
        Endpoint::ProcessPayment => CallOutput::Payment(api.parse_process_payment(id, response, payment_method_id)?),
        Endpoint::CreateOrder => CallOutput::Order(api.parse_create_order(id, response)?),
        Endpoint::GetOrder => CallOutput::Order(api.parse_get_order(id, response)?),
        Endpoint::GetOrderTransactions => CallOutput::TransactionPage(api.parse_get_transactions(id, response)?),
        Endpoint::CapturePayment | Endpoint::VoidPayment => {
            api.parse_payment_action(endpoint, id, response)?;
            CallOutput::Nothing
        }
        Endpoint::CreateRefundQuote => CallOutput::RefundQuote(api.parse_create_refund_quote(id, response)?),
        Endpoint::CreateRefund => CallOutput::Refund(api.parse_create_refund(id, response)?),
        Endpoint::ListRefunds => CallOutput::Refunds(api.parse_list_refunds(id, response)?),
        Endpoint::GetStoredInstruments => CallOutput::StoredInstruments(api.parse_get_stored_instruments(id, response)?),
    })
}

/// What an [`Operation`] ends with. Serializes as the bare value (the host knows which call it
/// made); an access token serializes with its secret redacted — hosts that must hold the secret
/// get it from [`crate::json_api::action_json`].
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CallOutput {
    /// A payment flow's receipt.
    Receipt(PaymentReceipt),
    /// Get Payment Methods.
    PaymentMethods(Vec<PaymentMethod>),
    /// Create Payment Access Token.
    AccessToken(#[serde(serialize_with = "redacted_token")] PaymentAccessToken),
    /// Process Payment.
    Payment(ProcessedPayment),
    /// Create or get order.
    Order(Order),
    /// Every transaction of an order.
    Transactions(Vec<Transaction>),
    /// One page of transactions.
    TransactionPage(TransactionPage),
    /// Capture or void: no content.
    Nothing,
    /// Create refund quote.
    RefundQuote(RefundQuote),
    /// Create refund.
    Refund(Refund),
    /// List refunds.
    Refunds(Vec<Refund>),
    /// Stored instruments.
    StoredInstruments(Vec<StoredInstrument>),
    /// A payment prepared ahead.
    Prepared(PreparedPayment),
    /// An order's payment status.
    PaymentStatus(OrderPaymentStatus),
    /// [`Session::pay_from_app`]: the outcome envelope to answer the app with (HTTP 200), a
    /// receipt or an error alike (see [`crate::relay`]).
    RelayOutcome(String),
}

fn redacted_token<S: serde::Serializer>(t: &PaymentAccessToken, s: S) -> Result<S::Ok, S::Error> {
    crate::json_api::TokenJson::of(t, false).serialize(s)
}

/// Whether a call that failed this way may be sent again: the one resend rule for every request
/// except Process Payment inside a flow (whose rule, with reconciliation, is the flow's).
///
/// A request the server never saw (`not_sent`) or refused before acting on it (429) may always
/// go again. A request that may have been acted on (a 5xx, a timeout, a broken connection) goes
/// again only when repeating it cannot change anything: reads, a new access token, a refund
/// quote. Creating an order twice makes two orders; a capture, void, refund or payment twice may
/// move money twice.
pub fn may_resend(endpoint: Endpoint, failure: Failure<'_>) -> bool {
    match failure {
        Failure::Transport(TransportFailure::NotSent) => true,
        Failure::Transport(_) => endpoint.is_safe_to_repeat(),
        Failure::Response(e) => match e.kind {
            ErrorKind::RateLimited => true,
            ErrorKind::Server => endpoint.is_safe_to_repeat(),
            _ => false,
        },
    }
}

/// How a request failed, for [`may_resend`].
#[derive(Clone, Copy, Debug)]
pub enum Failure<'a> {
    /// No response.
    Transport(TransportFailure),
    /// A response that is an error.
    Response(&'a PaymentError),
}

/// Why an operation stopped before its end, for [`PaymentError::stopped`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The caller cancelled (a cancelled task, an aborted signal).
    Cancelled,
    /// The time budget ([`FlowOptions::time_budget_ms`]) ran out.
    OutOfTime,
}

impl Stop {
    /// Why an operation is stopped at `now_ms`: its time budget, if that has run out, else its caller.
    pub(crate) fn at(deadline_ms: Option<u64>, now_ms: u64) -> Stop {
        if out_of_time(deadline_ms, now_ms) {
            Stop::OutOfTime
        } else {
            Stop::Cancelled
        }
    }

    /// Why, in words.
    pub fn reason(self) -> &'static str {
        match self {
            Stop::Cancelled => "the caller cancelled",
            Stop::OutOfTime => "the time budget ran out",
        }
    }
}

// -------------------------------------------------------------------------------------------
// Pacing shared by payment flows and single calls: the deadline, the limiter, the request in
// flight and the backoff, so that both wait, send and give up by the same rules.
// -------------------------------------------------------------------------------------------

/// Whether the time budget (a deadline, if any) has run out at `now_ms`.
pub(crate) fn out_of_time(deadline_ms: Option<u64>, now_ms: u64) -> bool {
    deadline_ms.is_some_and(|d| now_ms >= d)
}

/// A wait never runs past the deadline: the caller hears at the deadline, not after.
pub(crate) fn wake_at(deadline_ms: Option<u64>, at_ms: u64) -> u64 {
    deadline_ms.map_or(at_ms, |d| at_ms.min(d))
}

/// What the store's limiter says about sending to an endpoint now.
pub(crate) enum Admission {
    /// Send now, holding this slot.
    Ready(u64),
    /// Poll again then.
    Wait(u64),
    /// The limiter asks for a longer wait than bcpay accepts ([`MAX_SERVER_WAIT_MS`]).
    Refused(Box<PaymentError>),
}

/// Asks `limiter` for a slot for `endpoint` at `now_ms`; a wait ends at the deadline at the latest.
pub(crate) fn admit(limiter: &SharedRateLimiter, endpoint: Endpoint, now_ms: u64, deadline_ms: Option<u64>) -> Admission {
    match lock(limiter).acquire(LimitClass::of(endpoint), now_ms) {
        Permit::WaitUntil { at_ms } if at_ms.saturating_sub(now_ms) > MAX_SERVER_WAIT_MS => {
            Admission::Refused(Box::new(server_wait_too_long(endpoint, at_ms - now_ms)))
        }
        Permit::WaitUntil { at_ms } => Admission::Wait(wake_at(deadline_ms, at_ms.max(now_ms + 1))),
        Permit::Ready { ticket } => Admission::Ready(ticket),
    }
}

/// The request in flight: its id, endpoint and rate-limit slot.
pub(crate) type InFlight = Option<(RequestId, Endpoint, u64)>;

/// Ends the request `id` if it is the one in flight, releasing its slot; other ids (stale,
/// duplicated) give `None`.
pub(crate) fn finish(limiter: &SharedRateLimiter, in_flight: &mut InFlight, id: &RequestId, now_ms: u64) -> Option<Endpoint> {
    match in_flight {
        Some((current, endpoint, ticket)) if current == id => {
            let (endpoint, ticket) = (*endpoint, *ticket);
            *in_flight = None;
            lock(limiter).release(ticket, now_ms);
            Some(endpoint)
        }
        _ => None,
    }
}

/// Full-jitter exponential backoff before the `n`-th retry: a random wait in
/// `0..=min(cap, base·2ⁿ)`.
pub(crate) fn backoff(options: &FlowOptions, entropy: &mut Entropy, n: u32) -> u64 {
    let exp = options.backoff_base_ms.saturating_mul(1u64 << n.min(20));
    entropy.below_or_equal(exp.min(options.backoff_cap_ms))
}

/// The limiter, even after a panic elsewhere poisoned its lock.
pub(crate) fn lock(limiter: &SharedRateLimiter) -> std::sync::MutexGuard<'_, RateLimiter> {
    limiter.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One single call as a sans-IO state machine: waits for the limiter, retries by [`may_resend`]
/// with the flow's full-jitter backoff, follows transaction pages, and stops at the time budget.
pub struct CallFlow {
    api: Arc<Api>,
    limiter: SharedRateLimiter,
    entropy: Entropy,
    options: FlowOptions,
    call: Call,
    now_at_start: u64,
    deadline_ms: Option<u64>,
    page: u32,
    collected: Vec<Transaction>,
    /// [`Call::GetOrderPaymentStatus`]'s order, once read: its transactions come next.
    status_order: Option<Order>,
    /// [`Call::Prepare`]'s methods, once read: the token comes next, then both go here.
    prepared_methods: Option<Vec<PaymentMethod>>,
    prepare_into: Option<SharedPrepared>,
    attempts: u32,
    requests_sent: u32,
    not_before: u64,
    in_flight: InFlight,
    outcome: Option<Action<CallOutput>>,
    /// What it did and decided, for a host that watches ([`Operation::observe`]).
    trace: Trace,
}

impl std::fmt::Debug for CallFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallFlow")
            .field("call", &self.call.endpoint())
            .field("page", &self.page)
            .field("requests_sent", &self.requests_sent)
            .finish_non_exhaustive()
    }
}

impl CallFlow {
    /// A call, its input validated at `now_ms` (the request is built now, so bad input fails here
    /// rather than at the first poll).
    pub fn new(
        api: Arc<Api>,
        limiter: SharedRateLimiter,
        entropy: Entropy,
        call: Call,
        options: FlowOptions,
        now_ms: u64,
    ) -> Result<CallFlow, PaymentError> {
        crate::flow::check_options(&options)?;
        let page = match &call {
            Call::GetOrderTransactions { page: Some(p), .. } => *p,
            _ => 1,
        };
        call.request(&api, page, now_ms)?;
        Ok(CallFlow {
            api,
            limiter,
            entropy,
            deadline_ms: options.time_budget_ms.map(|b| now_ms.saturating_add(b)),
            options,
            call,
            now_at_start: now_ms,
            page,
            collected: Vec::new(),
            status_order: None,
            prepared_methods: None,
            prepare_into: None,
            attempts: 0,
            requests_sent: 0,
            not_before: 0,
            in_flight: None,
            outcome: None,
            trace: Trace::default(),
        })
    }

    /// The call being made.
    pub fn endpoint(&self) -> Endpoint {
        self.call.endpoint()
    }

    /// The endpoint of the call's next request.
    fn endpoint_now(&self) -> Endpoint {
        match (&self.status_order, &self.prepared_methods) {
            (Some(_), _) => Endpoint::GetOrderTransactions,
            (_, Some(_)) => Endpoint::CreatePaymentAccessToken,
            _ => self.call.endpoint(),
        }
    }

    fn request(&self) -> Result<HttpRequest, PaymentError> {
        match (&self.status_order, &self.call) {
            (Some(order), _) => self.api.build_get_transactions(order.id.max(0) as u64, self.page),
            (None, Call::Prepare { order_id }) if self.prepared_methods.is_some() => {
                self.api.build_create_access_token(*order_id, self.options.is_recurring)
            }
            _ => self.call.request(&self.api, self.page, self.now_at_start),
        }
    }

    /// When the time budget runs out, if there is one.
    pub fn deadline_ms(&self) -> Option<u64> {
        self.deadline_ms
    }

    /// What to do next at `now_ms`. `Done` hands the output over once (it is moved, not
    /// copied: a page of transactions can be large); polling after it is a `Cancelled` error.
    pub fn poll(&mut self, now_ms: u64) -> Action<CallOutput> {
        if let Some(outcome) = self.outcome.take() {
            self.outcome = Some(Action::Failed {
                error: match &outcome {
                    Action::Failed { error } => error.clone(),
                    _ => PaymentError::stopped(Stop::Cancelled, "The call had already finished and handed over its output."),
                },
            });
            return outcome;
        }
        if let Some((id, _, _)) = &self.in_flight {
            return Action::Awaiting { request_id: id.clone() };
        }
        if out_of_time(self.deadline_ms, now_ms) {
            let e = self.stop(Stop::OutOfTime, now_ms);
            return Action::Failed { error: e };
        }
        if now_ms < self.not_before {
            return Action::Wait {
                until_ms: wake_at(self.deadline_ms, self.not_before),
            };
        }
        let endpoint = self.endpoint_now();
        let ticket = match admit(&self.limiter, endpoint, now_ms, self.deadline_ms) {
            Admission::Ready(ticket) => ticket,
            Admission::Wait(until_ms) => {
                self.trace.limiter_wait(endpoint, until_ms, now_ms);
                return Action::Wait { until_ms };
            }
            Admission::Refused(e) => return self.fail(*e),
        };
        let request = match self.request() {
            Ok(r) => r,
            Err(e) => {
                lock(&self.limiter).release(ticket, now_ms);
                return self.fail(e);
            }
        };
        self.attempts += 1;
        self.requests_sent += 1;
        self.trace.request(&request, self.attempts, now_ms);
        self.in_flight = Some((request.id.clone(), endpoint, ticket));
        Action::Send { request }
    }

    fn take_in_flight(&mut self, id: &RequestId, now_ms: u64) -> Option<Endpoint> {
        finish(&self.limiter, &mut self.in_flight, id, now_ms)
    }

    /// Feeds the response to request `id`; other ids are ignored.
    pub fn on_response(&mut self, id: &RequestId, response: &HttpResponse, now_ms: u64) {
        let Some(endpoint) = self.take_in_flight(id, now_ms) else { return };
        self.trace.response(id, response, &[self.api.config().api_token().expose()], now_ms);
        lock(&self.limiter).observe(endpoint, response, now_ms);
        let all_pages = matches!(
            self.call,
            Call::GetOrderTransactions { page: None, .. } | Call::GetOrderPaymentStatus { .. }
        );
        match self.call.parse(&self.api, endpoint, id, response, now_ms) {
            Ok(CallOutput::Order(order)) if matches!(self.call, Call::GetOrderPaymentStatus { .. }) => {
                self.status_order = Some(order);
                self.attempts = 0;
            }
            Ok(CallOutput::PaymentMethods(methods)) if matches!(self.call, Call::Prepare { .. }) => {
                self.prepared_methods = Some(methods);
                self.attempts = 0;
            }
            Ok(CallOutput::AccessToken(token)) if matches!(self.call, Call::Prepare { .. }) => {
                let methods = Arc::new(self.prepared_methods.take().unwrap_or_default());
                let order_id = match self.call {
                    Call::Prepare { order_id } => order_id,
                    _ => 0, // guarded: a Prepare
                };
                let output = PreparedPayment {
                    order_id,
                    methods: Arc::clone(&methods),
                    token_expires_at_ms: token.expires_at_ms,
                };
                if let Some(store) = &self.prepare_into {
                    let p = Prepared {
                        order_id: output.order_id,
                        methods,
                        token,
                        is_recurring: self.options.is_recurring,
                    };
                    store.put(p, now_ms);
                }
                self.done(CallOutput::Prepared(output));
            }
            Ok(CallOutput::TransactionPage(page)) if all_pages => {
                let more = page.has_next();
                self.collected.extend(page.transactions);
                if !more {
                    let all = std::mem::take(&mut self.collected);
                    let output = match &self.status_order {
                        Some(order) => CallOutput::PaymentStatus(OrderPaymentStatus::judge(order, all)),
                        None => CallOutput::Transactions(all),
                    };
                    self.done(output);
                } else if self.page >= self.options.max_transaction_pages {
                    let mut e = PaymentError::new(ErrorKind::InvalidResponse, "The order has more transaction pages than bcpay reads");
                    e.detail = Some(format!(
                        "The order's transactions run past page {} (max_transaction_pages).",
                        self.options.max_transaction_pages
                    ));
                    self.fail(e.at(endpoint, id));
                } else {
                    self.page += 1;
                    self.attempts = 0;
                }
            }
            Ok(output) => match (output, &mut self.call) {
                // The quote of a refund: the refund it allows is the call from now on, with its
                // own attempts and resend rule.
                (CallOutput::RefundQuote(quote), Call::Refund { order_id, items }) => match quote.refund_request(std::mem::take(items)) {
                    Ok(request) => {
                        self.call = Call::CreateRefund {
                            order_id: *order_id,
                            request,
                        };
                        self.attempts = 0;
                    }
                    Err(e) => {
                        self.fail(e.at(endpoint, id));
                    }
                },
                (output, _) => self.done(output),
            },
            Err(e) => {
                if let Some(refused) = refused_wait(endpoint, &e) {
                    self.fail(refused);
                } else if may_resend(endpoint, Failure::Response(&e)) && self.attempts < self.options.max_attempts {
                    let wait = (e.kind != ErrorKind::RateLimited).then(|| self.back_off(now_ms));
                    self.trace.retry(wait, &e);
                } else {
                    self.fail(e);
                }
            }
        }
    }

    /// Feeds a transport failure for request `id`, with the host's words for it (`cause`, scrubbed
    /// here); other ids are ignored.
    pub fn on_transport_failure(&mut self, id: &RequestId, failure: TransportFailure, cause: Option<&str>, now_ms: u64) {
        let Some(endpoint) = self.take_in_flight(id, now_ms) else { return };
        let cause = cause.map(|c| scrub_cause(c, &[self.api.config().api_token().expose()]));
        self.trace.failure(id, failure, cause.as_deref(), now_ms);
        let error = PaymentError::transport(endpoint, id, failure, cause.as_deref());
        if may_resend(endpoint, Failure::Transport(failure)) && self.attempts < self.options.max_attempts {
            let wait = self.back_off(now_ms);
            self.trace.retry(Some(wait), &error);
        } else {
            self.fail(error);
        }
    }

    /// Records [`FlowEvent`]s from now on (see [`crate::observe`]).
    pub fn observe(&mut self) {
        self.trace.start();
    }

    /// The events recorded since the last call.
    pub fn take_events(&mut self) -> Vec<FlowEvent> {
        self.trace.take()
    }

    /// Ends the call because its caller gave up or its time ran out, and returns the error. A
    /// call that moves money and was in flight may have been acted on: `AmbiguousOutcome`.
    pub fn cancel(&mut self, now_ms: u64) -> PaymentError {
        self.stop(Stop::at(self.deadline_ms, now_ms), now_ms)
    }

    fn stop(&mut self, why: Stop, now_ms: u64) -> PaymentError {
        if let Some(outcome) = &self.outcome {
            return match outcome {
                Action::Failed { error } => error.clone(),
                _ => PaymentError::stopped(why, "The call had already finished."),
            };
        }
        let endpoint = self.call.endpoint();
        let in_flight = self.in_flight.clone();
        if let Some((id, _, _)) = &in_flight {
            self.take_in_flight(id, now_ms);
        }
        let e = match in_flight {
            Some((id, _, _)) if endpoint.moves_money() => {
                let mut e = PaymentError::new(ErrorKind::AmbiguousOutcome, "The call's outcome is unknown");
                e.detail = Some(format!(
                    "{endpoint} was in flight when {}: the server may have acted on it. Check the order before sending it again.",
                    why.reason()
                ));
                e.retry = RetryAdvice::Reconcile;
                e.at(endpoint, &id)
            }
            _ => {
                let mut e = PaymentError::stopped(
                    why,
                    &format!("{endpoint} had not finished; nothing that moves money was unsettled."),
                );
                e.endpoint = Some(endpoint);
                e
            }
        };
        self.fail(e.clone());
        e
    }

    /// Schedules the next send after a backoff, and returns the wait (ms).
    fn back_off(&mut self, now_ms: u64) -> u64 {
        let wait = backoff(&self.options, &mut self.entropy, self.attempts);
        self.not_before = now_ms.saturating_add(wait);
        wait
    }

    fn done(&mut self, output: CallOutput) {
        let endpoint = self.call.endpoint();
        self.trace
            .decide(Decision::Done, None, || joined(&[endpoint.as_str(), " answered"]));
        self.outcome = Some(Action::Done { output });
    }

    fn fail(&mut self, error: PaymentError) -> Action<CallOutput> {
        self.trace.give_up(&error);
        self.outcome = Some(Action::Failed { error: error.clone() });
        Action::Failed { error }
    }
}

/// A payment flow or a single call, for hosts that drive both with one loop (every binding).
#[derive(Debug)]
// One per call, moved once into its binding object: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Operation {
    /// [`Session::pay`].
    Pay(PaymentFlow),
    /// [`Session::call`].
    Call(CallFlow),
    /// [`Session::pay_from_app`]: the flow, or why the request was refused before it began.
    Relay(Box<Result<PaymentFlow, PaymentError>>),
}

impl Operation {
    /// What to do next at `now_ms`; a payment's receipt ends as [`CallOutput::Receipt`].
    pub fn poll(&mut self, now_ms: u64) -> Action<CallOutput> {
        match self {
            Operation::Pay(flow) => flow.poll(now_ms).map_output(CallOutput::Receipt),
            Operation::Call(call) => call.poll(now_ms),
            Operation::Relay(relay) => {
                let outcome = match relay.as_mut() {
                    Ok(flow) => match flow.poll(now_ms) {
                        Action::Done { output } => Ok(output),
                        Action::Failed { error } => Err(error),
                        other => return other.map_output(CallOutput::Receipt),
                    },
                    Err(refused) => Err(refused.clone()),
                };
                Action::Done {
                    output: CallOutput::RelayOutcome(crate::relay::outcome_body(&outcome)),
                }
            }
        }
    }

    /// Feeds the response to request `id`.
    pub fn on_response(&mut self, id: &RequestId, response: &HttpResponse, now_ms: u64) {
        match self {
            Operation::Pay(flow) => flow.on_response(id, response, now_ms),
            Operation::Call(call) => call.on_response(id, response, now_ms),
            Operation::Relay(relay) => {
                if let Ok(flow) = relay.as_mut() {
                    flow.on_response(id, response, now_ms);
                }
            }
        }
    }

    /// Feeds a transport failure for request `id`, with the host's words for it, if any.
    pub fn on_transport_failure(&mut self, id: &RequestId, failure: TransportFailure, cause: Option<&str>, now_ms: u64) {
        match self {
            Operation::Pay(flow) => flow.on_transport_failure(id, failure, cause, now_ms),
            Operation::Call(call) => call.on_transport_failure(id, failure, cause, now_ms),
            Operation::Relay(relay) => {
                if let Ok(flow) = relay.as_mut() {
                    flow.on_transport_failure(id, failure, cause, now_ms);
                }
            }
        }
    }

    /// Records [`FlowEvent`]s from now on: each request, response, transport failure and decision
    /// (see [`crate::observe`]). Hosts call it when their user has a hook or logger to feed.
    pub fn observe(&mut self) {
        match self {
            Operation::Pay(flow) => flow.observe(),
            Operation::Call(call) => call.observe(),
            Operation::Relay(relay) => {
                if let Ok(flow) = relay.as_mut() {
                    flow.observe();
                }
            }
        }
    }

    /// The events recorded since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<FlowEvent> {
        match self {
            Operation::Pay(flow) => flow.take_events(),
            Operation::Call(call) => call.take_events(),
            Operation::Relay(relay) => relay.as_mut().as_mut().map_or_else(|_| Vec::new(), PaymentFlow::take_events),
        }
    }

    /// Ends the operation for a caller that gave up (see [`PaymentFlow::cancel`]). A relayed
    /// payment then answers the next poll with the envelope of the error returned here.
    pub fn cancel(&mut self, now_ms: u64) -> PaymentError {
        match self {
            Operation::Pay(flow) => flow.cancel(now_ms),
            Operation::Call(call) => call.cancel(now_ms),
            Operation::Relay(relay) => {
                // Kept, so that polling again answers the app with this error's envelope.
                let error = match relay.as_mut() {
                    Ok(flow) => flow.cancel(now_ms),
                    Err(refused) => refused.clone(),
                };
                **relay = Err(error.clone());
                error
            }
        }
    }

    /// When the time budget runs out, if there is one: hosts abort a request still in flight then
    /// and call [`cancel`](Self::cancel).
    pub fn deadline_ms(&self) -> Option<u64> {
        match self {
            Operation::Pay(flow) => flow.deadline_ms(),
            Operation::Call(call) => call.deadline_ms(),
            Operation::Relay(relay) => relay.as_ref().as_ref().ok().and_then(PaymentFlow::deadline_ms),
        }
    }
}
