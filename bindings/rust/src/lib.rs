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

mod transport;

pub use bcpay_core::*;
pub use transport::{ReqwestTransport, Transport};

use bcpay_core::model::*;
use std::sync::Arc;
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

/// A BigCommerce Payments client for one store.
pub struct Client<T: Transport = ReqwestTransport> {
    api: Arc<Api>,
    /// Seeds each flow's jitter: one OS read per client, not per payment.
    entropy: std::sync::Mutex<rng::Entropy>,
    transport: T,
    limiter: SharedRateLimiter,
    options: FlowOptions,
}

impl Client<ReqwestTransport> {
    /// A client using reqwest with the configuration's deadline per request (30 s by default)
    /// and its body cap.
    pub fn new(config: ClientConfig) -> Client<ReqwestTransport> {
        let transport = ReqwestTransport::new(config.timeout_ms()).with_max_body_bytes(config.max_response_bytes());
        Client::with_transport(config, transport)
    }
}

impl<T: Transport> Client<T> {
    /// A client over your own transport.
    pub fn with_transport(config: ClientConfig, transport: T) -> Client<T> {
        Client {
            api: Arc::new(Api::new(config)),
            entropy: std::sync::Mutex::new(rng::Entropy::from_os()),
            transport,
            limiter: RateLimiter::shared(RateLimitConfig::default()),
            options: FlowOptions::default(),
        }
    }

    /// Sets the options every `pay` uses.
    pub fn with_options(mut self, options: FlowOptions) -> Self {
        self.options = options;
        self
    }

    /// Shares a rate limiter (e.g. between clients of one store).
    pub fn with_limiter(mut self, limiter: SharedRateLimiter) -> Self {
        self.limiter = limiter;
        self
    }

    /// The stateless API this client builds requests with.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Pays `order_id` with `payments` (several for split payments): methods → token → process,
    /// with retries, rate limiting and reconciliation.
    pub async fn pay(&self, order_id: u64, payments: Vec<Payment>) -> Result<PaymentReceipt, PaymentError> {
        let seed = self.entropy.lock().unwrap_or_else(|p| p.into_inner()).next_u64();
        let flow = PaymentFlow::with_limiter(
            self.api.clone(),
            self.limiter.clone(),
            rng::Entropy::from_seed(seed),
            order_id,
            payments,
            self.options.clone(),
            now_ms(),
        )?;
        self.run(flow).await
    }

    /// Drives any flow to its end.
    pub async fn run(&self, mut flow: PaymentFlow) -> Result<PaymentReceipt, PaymentError> {
        loop {
            match flow.poll(now_ms()) {
                Action::Send { request } => match self.transport.send(&request).await {
                    Ok(response) => flow.on_response(&request.id, &Zeroizing::new(response), now_ms()),
                    Err(failure) => flow.on_transport_failure(&request.id, failure, now_ms()),
                },
                Action::Wait { until_ms } => sleep_until(until_ms).await,
                Action::Awaiting { .. } => unreachable!("every outcome is reported before polling again"),
                Action::Done { receipt } => return Ok(receipt),
                Action::Failed { error } => return Err(error),
            }
        }
    }

    /// Sends one request and returns the response (wiped when dropped: it can hold a payment
    /// access token), or a transport error.
    async fn exchange(&self, request: HttpRequest) -> Result<(HttpRequest, Zeroizing<HttpResponse>), PaymentError> {
        match self.transport.send(&request).await {
            Ok(response) => Ok((request, Zeroizing::new(response))),
            Err(failure) => Err(PaymentError::transport(request.endpoint, &request.id, failure)),
        }
    }

    /// Get Payment Methods.
    pub async fn get_payment_methods(&self, query: &MethodsQuery) -> Result<Vec<PaymentMethod>, PaymentError> {
        let (req, resp) = self.exchange(self.api.build_get_payment_methods(query)?).await?;
        self.api.parse_get_payment_methods(&req.id, &resp)
    }

    /// Create Payment Access Token.
    pub async fn create_access_token(&self, order_id: u64, is_recurring: bool) -> Result<PaymentAccessToken, PaymentError> {
        let (req, resp) = self.exchange(self.api.build_create_access_token(order_id, is_recurring)?).await?;
        self.api.parse_create_access_token(&req.id, &resp, now_ms())
    }

    /// Process Payment, once: no retry, no reconciliation. A transport failure or 5xx here is
    /// reported with `retry: Reconcile` — check the order's transactions before paying again.
    pub async fn process_payment(&self, token: &PaymentAccessToken, payment: &Payment) -> Result<ProcessedPayment, PaymentError> {
        let (req, resp) = self
            .exchange(self.api.build_process_payment(&token.secret, payment, now_ms(), None)?)
            .await?;
        self.api.parse_process_payment_sent(&req.id, &resp, &token.secret, payment)
    }

    /// V2 create order (always Incomplete).
    pub async fn create_order(&self, order: &NewOrder) -> Result<Order, PaymentError> {
        let (req, resp) = self.exchange(self.api.build_create_order(order)?).await?;
        self.api.parse_create_order(&req.id, &resp)
    }

    /// V2 get order.
    pub async fn get_order(&self, order_id: u64) -> Result<Order, PaymentError> {
        let (req, resp) = self.exchange(self.api.build_get_order(order_id)?).await?;
        self.api.parse_get_order(&req.id, &resp)
    }

    /// Every transaction of an order (all pages).
    pub async fn get_transactions(&self, order_id: u64) -> Result<Vec<Transaction>, PaymentError> {
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let (req, resp) = self.exchange(self.api.build_get_transactions(order_id, page)?).await?;
            let p = self.api.parse_get_transactions(&req.id, &resp)?;
            all.extend(p.transactions.iter().cloned());
            if !p.has_next() || page >= 1000 {
                return Ok(all);
            }
            page += 1;
        }
    }

    /// Capture an authorized payment.
    pub async fn capture(&self, order_id: u64) -> Result<(), PaymentError> {
        let (req, resp) = self.exchange(self.api.build_capture(order_id)?).await?;
        self.api.parse_payment_action(Endpoint::CapturePayment, &req.id, &resp)
    }

    /// Void an authorized payment.
    pub async fn void(&self, order_id: u64) -> Result<(), PaymentError> {
        let (req, resp) = self.exchange(self.api.build_void(order_id)?).await?;
        self.api.parse_payment_action(Endpoint::VoidPayment, &req.id, &resp)
    }

    /// Create a refund quote.
    pub async fn create_refund_quote(&self, order_id: u64, request: &RefundQuoteRequest) -> Result<RefundQuote, PaymentError> {
        let (req, resp) = self.exchange(self.api.build_create_refund_quote(order_id, request)?).await?;
        self.api.parse_create_refund_quote(&req.id, &resp)
    }

    /// Create a refund.
    pub async fn create_refund(&self, order_id: u64, request: &RefundRequest) -> Result<Refund, PaymentError> {
        let (req, resp) = self.exchange(self.api.build_create_refund(order_id, request)?).await?;
        self.api.parse_create_refund(&req.id, &resp)
    }

    /// List an order's refunds.
    pub async fn list_refunds(&self, order_id: u64) -> Result<Vec<Refund>, PaymentError> {
        let (req, resp) = self.exchange(self.api.build_list_refunds(order_id)?).await?;
        self.api.parse_list_refunds(&req.id, &resp)
    }

    /// A customer's stored instruments.
    pub async fn get_stored_instruments(&self, customer_id: u64) -> Result<Vec<StoredInstrument>, PaymentError> {
        let (req, resp) = self.exchange(self.api.build_get_stored_instruments(customer_id)?).await?;
        self.api.parse_get_stored_instruments(&req.id, &resp)
    }
}
