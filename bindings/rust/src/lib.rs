//! # bcpay
//!
//! The Rust host for [`bcpay_core`]: a [`Client`] that runs payment flows and single calls over
//! an HTTP [`Transport`] — [`ReqwestTransport`] by default, or your own.
//!
//! ```no_run
//! # async fn demo() -> Result<(), bcpay::PaymentError> {
//! use bcpay::{Client, ClientConfig, secret::ApiToken, model::Payment};
//! let client = Client::new(ClientConfig::new("abc123", ApiToken::new("token"))?);
//! let payment: Payment = serde_json::from_str(r#"{"instrument":{"type":"card","number":"4242424242424242",
//!     "cardholder_name":"Jane Doe","expiry_month":12,"expiry_year":2030,"verification_value":"123"},
//!     "payment_method_id":"stripe.card"}"#).unwrap();
//! let receipt = client.pay(215, vec![payment]).await?;
//! # Ok(()) }
//! ```

#[cfg(not(target_arch = "wasm32"))]
pub mod journal;
mod transport;

pub use bcpay_core::*;
pub use transport::{ReqwestTransport, Transport, TransportError};

use bcpay_core::model::*;
use bcpay_core::session::PreparedPayment;
use zeroize::Zeroizing;

/// Milliseconds since the Unix epoch from the host clock.
pub fn now_ms() -> u64 {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as u64
    }
}

/// Sleeps until `until_ms` (host clock).
pub async fn sleep_until(until_ms: u64) {
    let ms = until_ms.saturating_sub(now_ms());
    if ms == 0 {
        return;
    }
    #[cfg(not(target_arch = "wasm32"))]
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    #[cfg(target_arch = "wasm32")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let global = js_sys::global();
            let set_timeout = js_sys::Reflect::get(&global, &"setTimeout".into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            if let Some(f) = set_timeout {
                let _ = f.call2(&global, &resolve, &(ms as f64).into());
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

#[cfg(target_arch = "wasm32")]
use js_sys::wasm_bindgen::JsCast;

/// A BigCommerce Payments client for one store: a core [`Session`] (the store's API, shared rate
/// limiter, entropy and default options) driven over a [`Transport`]. Payments and single calls
/// run through the same loop, so single calls wait for the limiter and retry by the core's rule.
///
/// Every request, response, transport failure and decision (wait, retry, reconcile, give up) is
/// a [`FlowEvent`]: emitted as a `tracing` event with target `bcpay` (requests and responses at
/// DEBUG, transport failures at WARN, decisions at INFO) and handed to the
/// [`on_event`](Self::on_event) listener, if any. No event holds a secret.
pub struct Client<T: Transport = ReqwestTransport> {
    session: Session,
    transport: T,
    listener: Option<EventListener>,
}

/// A function that receives each [`FlowEvent`] of every operation a [`Client`] runs.
pub type EventListener = std::sync::Arc<dyn Fn(&FlowEvent) + Send + Sync>;

/// `event` as a `tracing` event (target `bcpay`), its fields as the event's fields.
fn emit_tracing(event: &FlowEvent) {
    match event {
        FlowEvent::Request {
            endpoint,
            request_id,
            method,
            url,
            attempt,
        } => tracing::debug!(
            target: "bcpay",
            endpoint = endpoint.as_str(),
            request_id = request_id.as_str(),
            method = method.as_str(),
            url = url.as_str(),
            attempt,
            "request"
        ),
        FlowEvent::Response {
            endpoint,
            request_id,
            status,
            elapsed_ms,
            attempt,
            server_request_id,
        } => tracing::debug!(
            target: "bcpay",
            endpoint = endpoint.as_str(),
            request_id = request_id.as_str(),
            status,
            elapsed_ms,
            attempt,
            server_request_id = server_request_id.as_deref(),
            "response"
        ),
        FlowEvent::TransportFailure {
            endpoint,
            request_id,
            failure,
            cause,
            elapsed_ms,
            attempt,
        } => tracing::warn!(
            target: "bcpay",
            endpoint = endpoint.as_str(),
            request_id = request_id.as_str(),
            failure = failure.as_str(),
            cause = cause.as_deref(),
            elapsed_ms,
            attempt,
            "transport failure"
        ),
        FlowEvent::Decision { decision, reason, wait_ms } => tracing::info!(
            target: "bcpay",
            decision = ?decision,
            reason = reason.as_str(),
            wait_ms,
            "decision"
        ),
    }
}

impl Client<ReqwestTransport> {
    /// A client using reqwest with the configuration's deadline per request (30 s by default)
    /// and its body cap.
    pub fn new(config: ClientConfig) -> Client<ReqwestTransport> {
        let transport = ReqwestTransport::new(config.timeout_ms()).with_max_body_bytes(config.max_response_bytes());
        Client::with_transport(config, transport)
    }
}

/// `future`'s output, or `None` once `deadline_ms` (host clock) passes first.
async fn within<F: std::future::Future>(future: F, deadline_ms: Option<u64>) -> Option<F::Output> {
    let Some(deadline_ms) = deadline_ms else {
        return Some(future.await);
    };
    let mut future = std::pin::pin!(future);
    let mut timer = std::pin::pin!(sleep_until(deadline_ms));
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(output));
        }
        timer.as_mut().poll(cx).map(|()| None)
    })
    .await
}

/// `future`'s output, or `None` when `stop` completes first.
async fn first<F: std::future::Future>(
    future: F,
    mut stop: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(output));
        }
        stop.as_mut().poll(cx).map(|()| None)
    })
    .await
}

/// A request's outcome: the response (zeroed when dropped: it may hold a token), or why there
/// was none.
pub(crate) type Exchange = Result<Zeroizing<HttpResponse>, TransportError>;

/// The requests an operation has out. They are polled together, so each makes progress while the
/// host awaits the one the core names; outcomes that come early wait here for their turn.
pub(crate) struct Exchanges<F> {
    pending: Vec<std::pin::Pin<Box<F>>>,
    arrived: Vec<(RequestId, Exchange)>,
}

impl<F> Default for Exchanges<F> {
    fn default() -> Self {
        Exchanges {
            pending: Vec::new(),
            arrived: Vec::new(),
        }
    }
}

impl<F: std::future::Future<Output = (RequestId, Exchange)>> Exchanges<F> {
    pub(crate) fn start(&mut self, exchange: F) {
        self.pending.push(Box::pin(exchange));
    }

    /// The outcome of request `id`, once it is in (`None`: no such request is out).
    pub(crate) async fn outcome_of(&mut self, id: &RequestId) -> Option<Exchange> {
        std::future::poll_fn(|cx| {
            let mut i = 0;
            while i < self.pending.len() {
                match self.pending[i].as_mut().poll(cx) {
                    std::task::Poll::Ready(arrived) => {
                        self.pending.swap_remove(i);
                        self.arrived.push(arrived);
                    }
                    std::task::Poll::Pending => i += 1,
                }
            }
            if let Some(at) = self.arrived.iter().position(|(arrived, _)| arrived == id) {
                return std::task::Poll::Ready(Some(self.arrived.remove(at).1));
            }
            match self.pending.is_empty() {
                true => std::task::Poll::Ready(None),
                false => std::task::Poll::Pending,
            }
        })
        .await
    }
}

/// The core awaited a request this host never sent: cannot happen, but a typed error beats a hang.
fn unexpected_await(id: &RequestId) -> PaymentError {
    PaymentError::new(
        ErrorKind::InvalidResponse,
        format!("the core awaits request {id}, which is not out"),
    )
}

/// What a single call answered, when it is not what the caller asked for: cannot happen (the
/// core answers each call with its own output), but a typed error beats a panic.
fn unexpected(output: &CallOutput) -> PaymentError {
    PaymentError::new(
        ErrorKind::InvalidResponse,
        format!("unexpected call output {:?}", std::mem::discriminant(output)),
    )
}

impl<T: Transport> Client<T> {
    /// A client over your own transport.
    pub fn with_transport(config: ClientConfig, transport: T) -> Client<T> {
        Client {
            session: Session::new(config, RateLimitConfig::default()),
            transport,
            listener: None,
        }
    }

    /// Hands every [`FlowEvent`] of this client's operations to `listener` (as well as to
    /// `tracing`). The listener runs on the task that drives the operation: keep it quick.
    pub fn on_event(mut self, listener: impl Fn(&FlowEvent) + Send + Sync + 'static) -> Self {
        self.listener = Some(std::sync::Arc::new(listener));
        self
    }

    /// Whether anyone watches: a listener, or a `tracing` subscriber interested in `bcpay`.
    pub(crate) fn watched(&self) -> bool {
        self.listener.is_some() || tracing::enabled!(target: "bcpay", tracing::Level::ERROR)
    }

    /// Hands the events an operation recorded to `tracing` and the listener.
    pub(crate) fn emit(&self, events: Vec<FlowEvent>) {
        for event in events {
            emit_tracing(&event);
            if let Some(listener) = &self.listener {
                listener(&event);
            }
        }
    }

    /// Sets the options every payment and call uses (a time budget, attempts, backoff, …).
    pub fn with_options(mut self, options: FlowOptions) -> Self {
        self.session = self.session.with_options(options);
        self
    }

    /// Shares a rate limiter (e.g. between clients of one store).
    pub fn with_limiter(mut self, limiter: SharedRateLimiter) -> Self {
        self.session = self.session.with_limiter(limiter);
        self
    }

    /// The stateless API this client builds requests with.
    pub fn api(&self) -> &Api {
        self.session.api()
    }

    /// The session: the store's API, limiter and default options.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Pays `order_id` with `payments` (several for split payments): methods → token → process,
    /// with retries, rate limiting and reconciliation. Dropping the future cancels nothing
    /// safely: to stop a payment, set a time budget (`FlowOptions::time_budget_ms`).
    pub async fn pay(&self, order_id: u64, payments: Vec<Payment>) -> Result<PaymentReceipt, PaymentError> {
        self.pay_until(order_id, payments, std::future::pending()).await
    }

    /// [`pay`](Self::pay) that ends when `cancel` completes first: with `Cancelled` when nothing
    /// unclear was sent, `AmbiguousOutcome` when a payment may have been (a request in flight is
    /// abandoned). Dropping a `pay` future instead loses that answer.
    pub async fn pay_until(
        &self,
        order_id: u64,
        payments: Vec<Payment>,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<PaymentReceipt, PaymentError> {
        let flow = self.session.pay(order_id, payments, None, now_ms(), None)?;
        match self.drive_until(Operation::Pay(flow), cancel).await? {
            CallOutput::Receipt(receipt) => Ok(receipt),
            other => Err(unexpected(&other)),
        }
    }

    /// Pays for an app that relayed the payment to this server (see [`relay`]): `body` is the
    /// app's `bcpay.payment_request` envelope; the answer is the `bcpay.payment_outcome`
    /// envelope to send back with HTTP 200, whatever happened (a refused request, a decline, an
    /// ambiguous outcome). With `expect_order_id`, a request for another order is refused.
    pub async fn pay_from_app(&self, body: &[u8], expect_order_id: Option<u64>) -> String {
        let op = self.session.pay_from_app(body, None, expect_order_id, now_ms(), None);
        match self.drive(op).await {
            Ok(CallOutput::RelayOutcome(outcome)) => outcome,
            Ok(other) => relay::outcome_body(&Err(unexpected(&other))),
            Err(error) => relay::outcome_body(&Err(error)),
        }
    }

    /// Drives any flow to its end.
    pub async fn run(&self, flow: PaymentFlow) -> Result<PaymentReceipt, PaymentError> {
        match self.drive(Operation::Pay(flow)).await? {
            CallOutput::Receipt(receipt) => Ok(receipt),
            other => Err(unexpected(&other)),
        }
    }

    /// Drives an operation to its end: the one host loop. A request still in flight when the
    /// time budget runs out is abandoned and the operation told so.
    pub async fn drive(&self, op: Operation) -> Result<CallOutput, PaymentError> {
        self.drive_until(op, std::future::pending()).await
    }

    /// [`drive`](Self::drive) that ends the operation (see [`Operation::cancel`]) when `cancel`
    /// completes first. Every request the operation hands out is sent at once (the payment's
    /// methods and token go together); outcomes are reported in the order the core awaits them.
    pub async fn drive_until(&self, mut op: Operation, cancel: impl std::future::Future<Output = ()>) -> Result<CallOutput, PaymentError> {
        let mut cancel = std::pin::pin!(cancel);
        let watched = self.watched();
        if watched {
            op.observe();
        }
        let mut out = Exchanges::default();
        loop {
            let action = op.poll(now_ms());
            if watched {
                self.emit(op.take_events());
            }
            match action {
                Action::Send { request } => out.start(self.exchange(request)),
                Action::Awaiting { request_id } => {
                    let answered = within(out.outcome_of(&request_id), op.deadline_ms());
                    match first(answered, cancel.as_mut()).await {
                        Some(Some(Some(Ok(response)))) => op.on_response(&request_id, &response, now_ms()),
                        Some(Some(Some(Err(e)))) => op.on_transport_failure(&request_id, e.failure, e.cause.as_deref(), now_ms()),
                        Some(Some(None)) => return Err(unexpected_await(&request_id)),
                        Some(None) | None => return Err(self.stopped(&mut op, watched)),
                    }
                }
                Action::Wait { until_ms } => {
                    if first(sleep_until(until_ms), cancel.as_mut()).await.is_none() {
                        return Err(self.stopped(&mut op, watched));
                    }
                }
                Action::Done { output } => return Ok(output),
                Action::Failed { error } => return Err(error),
            }
        }
    }

    /// Sends `request`; the future owns it (and drops it, card data and all, once sent).
    pub(crate) async fn exchange(&self, request: HttpRequest) -> (RequestId, Exchange) {
        let outcome = self.transport.send(&request).await.map(Zeroizing::new);
        (request.id.clone(), outcome)
    }

    /// Cancels `op` (its caller gave up or its time ran out) and reports that decision too.
    fn stopped(&self, op: &mut Operation, watched: bool) -> PaymentError {
        let error = op.cancel(now_ms());
        if watched {
            self.emit(op.take_events());
        }
        error
    }

    async fn call(&self, call: Call) -> Result<CallOutput, PaymentError> {
        let op = self.session.call(call, None, now_ms(), None)?;
        self.drive(Operation::Call(op)).await
    }

    /// Get Payment Methods.
    pub async fn get_payment_methods(&self, query: &MethodsQuery) -> Result<Vec<PaymentMethod>, PaymentError> {
        match self.call(Call::GetPaymentMethods { query: query.clone() }).await? {
            CallOutput::PaymentMethods(m) => Ok(m),
            other => Err(unexpected(&other)),
        }
    }

    /// Create Payment Access Token.
    pub async fn create_access_token(&self, order_id: u64, is_recurring: bool) -> Result<PaymentAccessToken, PaymentError> {
        match self.call(Call::CreatePaymentAccessToken { order_id, is_recurring }).await? {
            CallOutput::AccessToken(t) => Ok(t),
            other => Err(unexpected(&other)),
        }
    }

    /// Process Payment, once: no reconciliation. A transport failure or 5xx here is reported with
    /// `retry: Reconcile` — check the order's transactions before paying again.
    pub async fn process_payment(&self, token: &PaymentAccessToken, payment: &Payment) -> Result<ProcessedPayment, PaymentError> {
        let call = Call::ProcessPayment {
            pat: token.secret.clone(),
            payment: payment.clone(),
            methods: None,
        };
        match self.call(call).await? {
            CallOutput::Payment(p) => Ok(p),
            other => Err(unexpected(&other)),
        }
    }

    /// V2 create order (always Incomplete).
    pub async fn create_order(&self, order: &NewOrder) -> Result<Order, PaymentError> {
        match self.call(Call::CreateOrder { order: order.clone() }).await? {
            CallOutput::Order(o) => Ok(o),
            other => Err(unexpected(&other)),
        }
    }

    /// V2 get order.
    pub async fn get_order(&self, order_id: u64) -> Result<Order, PaymentError> {
        match self.call(Call::GetOrder { order_id }).await? {
            CallOutput::Order(o) => Ok(o),
            other => Err(unexpected(&other)),
        }
    }

    /// Prepares the payment of `order_id` ahead (when the order is created or the checkout opens):
    /// fetches its methods and a payment access token, which this client keeps, so that the
    /// order's next [`pay`](Self::pay) sends only Process Payment. Answers with the methods (to
    /// show the checkout) and the token's expiry; the token itself is never handed out.
    pub async fn prepare(&self, order_id: u64) -> Result<PreparedPayment, PaymentError> {
        match self.call(Call::Prepare { order_id }).await? {
            CallOutput::Prepared(p) => Ok(p),
            other => Err(unexpected(&other)),
        }
    }

    /// Whether an order is paid and how much is due, from the order and all its transactions
    /// (the rule a payment flow ends by).
    pub async fn get_order_payment_status(&self, order_id: u64) -> Result<OrderPaymentStatus, PaymentError> {
        match self.call(Call::GetOrderPaymentStatus { order_id }).await? {
            CallOutput::PaymentStatus(s) => Ok(s),
            other => Err(unexpected(&other)),
        }
    }

    /// Every transaction of an order (all pages, at most `max_transaction_pages`).
    pub async fn get_transactions(&self, order_id: u64) -> Result<Vec<Transaction>, PaymentError> {
        match self.call(Call::GetOrderTransactions { order_id, page: None }).await? {
            CallOutput::Transactions(t) => Ok(t),
            other => Err(unexpected(&other)),
        }
    }

    /// Capture an authorized payment.
    pub async fn capture(&self, order_id: u64) -> Result<(), PaymentError> {
        self.call(Call::CapturePayment { order_id }).await.map(|_| ())
    }

    /// Void an authorized payment.
    pub async fn void(&self, order_id: u64) -> Result<(), PaymentError> {
        self.call(Call::VoidPayment { order_id }).await.map(|_| ())
    }

    /// Create a refund quote.
    pub async fn create_refund_quote(&self, order_id: u64, request: &RefundQuoteRequest) -> Result<RefundQuote, PaymentError> {
        match self
            .call(Call::CreateRefundQuote {
                order_id,
                request: request.clone(),
            })
            .await?
        {
            CallOutput::RefundQuote(q) => Ok(q),
            other => Err(unexpected(&other)),
        }
    }

    /// Create a refund.
    pub async fn create_refund(&self, order_id: u64, request: &RefundRequest) -> Result<Refund, PaymentError> {
        match self
            .call(Call::CreateRefund {
                order_id,
                request: request.clone(),
            })
            .await?
        {
            CallOutput::Refund(r) => Ok(r),
            other => Err(unexpected(&other)),
        }
    }

    /// Refund `items` of an order as its refund quote allows: the quote first, then the refund
    /// with the quote's providers and amounts (one operation, [`Call::Refund`]). A quote that
    /// allows only offline refunds fails with `offline_refund_required` (the rule is
    /// [`RefundQuote::refund_request`]). Never resent after an unclear refund.
    pub async fn refund(&self, order_id: u64, items: Vec<RefundItem>) -> Result<Refund, PaymentError> {
        match self.call(Call::Refund { order_id, items }).await? {
            CallOutput::Refund(r) => Ok(r),
            other => Err(unexpected(&other)),
        }
    }

    /// List an order's refunds.
    pub async fn list_refunds(&self, order_id: u64) -> Result<Vec<Refund>, PaymentError> {
        match self.call(Call::ListRefunds { order_id }).await? {
            CallOutput::Refunds(r) => Ok(r),
            other => Err(unexpected(&other)),
        }
    }

    /// A customer's stored instruments.
    pub async fn get_stored_instruments(&self, customer_id: u64) -> Result<Vec<StoredInstrument>, PaymentError> {
        match self.call(Call::GetStoredInstruments { customer_id }).await? {
            CallOutput::StoredInstruments(s) => Ok(s),
            other => Err(unexpected(&other)),
        }
    }
}
