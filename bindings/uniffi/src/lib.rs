//! The uniffi binding of bcpay-core for the Kotlin and Swift packages.
//!
//! It converts types and nothing else; every rule lives in the core. Plain records and enums are
//! the core's own, declared as remote types in [`types`]; those that count in unsigned integers
//! cross as signed mirrors (the `signed` module), since Kotlin's `ULong` and Swift's `UInt64`
//! are awkward in apps, and ids, counts and milliseconds are signed here too (a negative one is
//! refused by the core's rules). A token crosses as an object — [`PaymentAccessToken`],
//! [`HttpRequest`] — so that no generated data class can print it, and the secret stays in Rust
//! memory that is wiped on drop. Card data crosses inside the payment, as bytes, into the core's
//! own `CardNumber` and `VerificationValue` (custom types, see [`types`]); on the host side each
//! is a class of the package's own whose text form is the core's redaction
//! ([`describe_card_number`]), so making one calls no native code. The host drives
//! [`CoreOperation`] and owns HTTP, so nothing here is async. Every failure is a [`BcpayError`]
//! (Kotlin `BcpayException`, Swift `throws`); nothing here panics on bad input.

use bcpay_core::model::{self, Card, TokenizedCard};
use bcpay_core::secret::{self, ApiToken, CardNumber, InstrumentToken, VerificationValue};
use bcpay_core::{
    Api, Call, ClientConfig, ClientSettings, Endpoint, ErrorKind, FieldError, MethodsQuery, Operation, PaymentError, RequestId, Session,
    TransportFailure,
};
use bcpay_core::{json_api, validate};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

/// Every heap block is wiped as it is freed: see "Memory" in `bcpay_core::secret`.
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> = zeroizing_alloc::ZeroAlloc(std::alloc::System);

mod signed;
pub mod steps;
pub mod types;

pub use signed::{
    ErrorDetails, FlowEvent, FlowOptions, HttpResponse, OrderPaymentStatus, PaymentReceipt, RateLimitConfig, RetryAdvice, TransactionPage,
};

uniffi::setup_scaffolding!("bcpay");

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not make every later call panic too.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Every bcpay failure, one variant per [`ErrorKind`], each carrying the full details. Kotlin
/// sees `BcpayException.Declined` and friends; Swift a throwing `BcpayError`.
#[derive(Debug, uniffi::Error)]
pub enum BcpayError {
    /// Input failed validation; see `details.fieldErrors`.
    Validation { details: ErrorDetails },
    /// The client was configured wrongly.
    Configuration { details: ErrorDetails },
    /// The API token or payment access token was refused.
    Authentication { details: ErrorDetails },
    /// The store's payment setup rejects the request.
    MerchantSetup { details: ErrorDetails },
    /// The order cannot be paid in its current state.
    OrderState { details: ErrorDetails },
    /// The card or account was declined.
    Declined { details: ErrorDetails },
    /// The gateway saw a duplicate transaction: never pay again; confirm the order.
    DuplicatePayment { details: ErrorDetails },
    /// The request was rejected as invalid.
    InvalidRequest { details: ErrorDetails },
    /// The resource does not exist.
    NotFound { details: ErrorDetails },
    /// The request conflicts with the resource's state.
    Conflict { details: ErrorDetails },
    /// Too many requests.
    RateLimited { details: ErrorDetails },
    /// The server failed.
    Server { details: ErrorDetails },
    /// The response could not be understood.
    InvalidResponse { details: ErrorDetails },
    /// No response arrived (the core's `NoResponseError`; `Transport` is what a transport throws).
    NoResponse { details: ErrorDetails },
    /// A payment may or may not have been taken; check the order before doing anything else.
    AmbiguousOutcome { details: ErrorDetails },
    /// The caller cancelled, or the time budget ran out, with nothing unclear sent.
    Cancelled { details: ErrorDetails },
}

/// A core field path (`payments[0].instrument.verification_value`) in the names Kotlin and Swift
/// give the same fields (`payments[0].instrument.verificationValue`).
fn camel_case_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for c in path.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

impl From<PaymentError> for BcpayError {
    fn from(mut details: PaymentError) -> Self {
        for f in &mut details.field_errors {
            f.path = camel_case_path(&f.path);
        }
        let kind = details.kind;
        let details = ErrorDetails::from(details);
        match kind {
            ErrorKind::Validation => BcpayError::Validation { details },
            ErrorKind::Configuration => BcpayError::Configuration { details },
            ErrorKind::Authentication => BcpayError::Authentication { details },
            ErrorKind::MerchantSetup => BcpayError::MerchantSetup { details },
            ErrorKind::OrderState => BcpayError::OrderState { details },
            ErrorKind::Declined => BcpayError::Declined { details },
            ErrorKind::DuplicatePayment => BcpayError::DuplicatePayment { details },
            ErrorKind::InvalidRequest => BcpayError::InvalidRequest { details },
            ErrorKind::NotFound => BcpayError::NotFound { details },
            ErrorKind::Conflict => BcpayError::Conflict { details },
            ErrorKind::RateLimited => BcpayError::RateLimited { details },
            ErrorKind::Server => BcpayError::Server { details },
            ErrorKind::InvalidResponse => BcpayError::InvalidResponse { details },
            ErrorKind::Transport => BcpayError::NoResponse { details },
            ErrorKind::AmbiguousOutcome => BcpayError::AmbiguousOutcome { details },
            ErrorKind::Cancelled => BcpayError::Cancelled { details },
        }
    }
}

impl BcpayError {
    /// The details every variant carries.
    pub fn details(&self) -> &ErrorDetails {
        match self {
            BcpayError::Validation { details }
            | BcpayError::Configuration { details }
            | BcpayError::Authentication { details }
            | BcpayError::MerchantSetup { details }
            | BcpayError::OrderState { details }
            | BcpayError::Declined { details }
            | BcpayError::DuplicatePayment { details }
            | BcpayError::InvalidRequest { details }
            | BcpayError::NotFound { details }
            | BcpayError::Conflict { details }
            | BcpayError::RateLimited { details }
            | BcpayError::Server { details }
            | BcpayError::InvalidResponse { details }
            | BcpayError::NoResponse { details }
            | BcpayError::AmbiguousOutcome { details }
            | BcpayError::Cancelled { details } => details,
        }
    }
}

impl fmt::Display for BcpayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&PaymentError::from(self.details().clone()), f)
    }
}

impl std::error::Error for BcpayError {}

type Result<T> = std::result::Result<T, BcpayError>;

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

/// How a card number shows (at most its last four digits): the text form of the hosts' own
/// `CardNumber` classes, so that the redaction stays the core's.
#[uniffi::export]
pub fn describe_card_number(number: CardNumber) -> String {
    number.redacted()
}

/// How a card verification value shows (never): the hosts' `VerificationValue` text form.
#[uniffi::export]
pub fn describe_verification_value(value: VerificationValue) -> String {
    value.redacted()
}

/// A payment access token. The secret never leaves Rust: pass the object to
/// `buildProcessPayment`.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PaymentAccessToken(model::PaymentAccessToken);

#[uniffi::export]
impl PaymentAccessToken {
    /// A token from its JWT text, received at `now_ms` (for hosts that create tokens elsewhere).
    #[uniffi::constructor]
    pub fn from_secret(secret: String, now_ms: u64) -> Self {
        PaymentAccessToken(bcpay_core::api::payment_access_token(secret::PatSecret::new(secret), now_ms))
    }

    /// The claims read (not verified) from the token, if it is a readable JWT.
    pub fn claims(&self) -> Option<model::PatClaims> {
        self.0.claims.clone()
    }

    /// When the token was received (host clock, ms).
    pub fn received_at_ms(&self) -> u64 {
        self.0.received_at_ms
    }

    /// When it stops working (ms).
    pub fn expires_at_ms(&self) -> u64 {
        self.0.expires_at_ms
    }

    /// Whether it has expired at `now_ms`.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.0.is_expired(now_ms)
    }
}

// ---------------------------------------------------------------------------------------------
// Requests: an object, because headers and bodies carry credentials and card data
// ---------------------------------------------------------------------------------------------

/// A complete request built by the core. Send exactly this; report the outcome with its
/// `requestId()`. Its text form names the call and URL only.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct HttpRequest {
    inner: bcpay_core::HttpRequest,
}

impl fmt::Display for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({} {})",
            self.inner.method.as_str(),
            self.inner.url,
            self.inner.endpoint,
            self.inner.id
        )
    }
}

#[uniffi::export]
impl HttpRequest {
    /// Matches the response back to this request.
    pub fn request_id(&self) -> String {
        self.inner.id.0.clone()
    }

    /// The API call this request makes.
    pub fn endpoint(&self) -> Endpoint {
        self.inner.endpoint
    }

    /// `GET` or `POST`.
    pub fn method(&self) -> String {
        self.inner.method.as_str().to_owned()
    }

    /// Absolute URL including the query string.
    pub fn url(&self) -> String {
        self.inner.url.clone()
    }

    /// Header names, in the order to send them.
    pub fn header_names(&self) -> Vec<String> {
        self.inner.headers.iter().map(|h| h.name.clone()).collect()
    }

    /// Header values, in the order of [`header_names`](Self::header_names): one call instead of
    /// one per header. Values include credentials: do not log them.
    pub fn header_values(&self) -> Vec<String> {
        self.inner.headers.iter().map(|h| h.value.clone()).collect()
    }

    /// A header's value (case-insensitive name). Values include credentials: do not log them.
    pub fn header(&self, name: String) -> Option<String> {
        self.inner.header(&name).map(str::to_owned)
    }

    /// The JSON body, if any. Process Payment bodies hold card data: do not log them.
    pub fn body(&self) -> Option<Vec<u8>> {
        self.inner.body.clone()
    }

    /// Everything a transport sends, in one call (the accessors above cost a crossing each).
    pub fn wire(&self) -> WireRequest {
        let r = &self.inner;
        WireRequest {
            request_id: r.id.0.clone(),
            endpoint: r.endpoint,
            method: r.method.as_str().to_owned(),
            url: r.url.clone(),
            headers: r
                .headers
                .iter()
                .map(|h| WireHeader {
                    name: h.name.clone(),
                    value: h.value.clone().into_bytes(),
                })
                .collect(),
            body: r.body.clone(),
        }
    }
}

/// A request as it goes on the wire, for a transport. Header values and the body are bytes so
/// that the record's generated text form (`toString`, `description`) prints their length, not
/// the API token, the access token or card data.
#[derive(uniffi::Record)]
pub struct WireRequest {
    /// Matches the response back to this request.
    pub request_id: String,
    /// The API call this request makes.
    pub endpoint: Endpoint,
    pub method: String,
    pub url: String,
    /// In the order to send them.
    pub headers: Vec<WireHeader>,
    pub body: Option<Vec<u8>>,
}

/// One request header; `value` is UTF-8 and may be a credential.
#[derive(uniffi::Record)]
pub struct WireHeader {
    pub name: String,
    pub value: Vec<u8>,
}

fn request(inner: bcpay_core::HttpRequest) -> Arc<HttpRequest> {
    Arc::new(HttpRequest { inner })
}

// ---------------------------------------------------------------------------------------------
// Payment input
// ---------------------------------------------------------------------------------------------

/// What to charge. Mirrors the core's `PaymentInstrument`.
#[derive(uniffi::Enum)]
pub enum PaymentInstrument {
    /// A new card.
    Card {
        number: CardNumber,
        cardholder_name: String,
        expiry_month: Option<i64>,
        expiry_year: Option<i64>,
        verification_value: Option<VerificationValue>,
        issue_month: Option<i64>,
        issue_year: Option<i64>,
        issue_number: Option<i64>,
    },
    /// A card stored in the store's vault.
    StoredCard {
        token: String,
        verification_value: Option<VerificationValue>,
    },
    /// A stored PayPal account.
    StoredPaypalAccount { token: String },
    /// A stored bank account.
    StoredBankAccount { token: String },
    /// A gift certificate.
    GiftCertificate { gift_certificate_code: String },
    /// The customer's store credit.
    StoreCredit,
    /// A card tokenized by a wallet provider.
    TokenizedCard {
        token: String,
        iin: Option<String>,
        last_four_digits: Option<String>,
        expiration_month: Option<String>,
        expiration_year: Option<String>,
    },
}

/// One Process Payment: an instrument, the method to charge it through, whether to save it.
#[derive(uniffi::Record)]
pub struct Payment {
    pub instrument: PaymentInstrument,
    pub payment_method_id: String,
    #[uniffi(default = false)]
    pub save_instrument: bool,
}

impl From<&Payment> for model::Payment {
    fn from(p: &Payment) -> model::Payment {
        let instrument = match &p.instrument {
            PaymentInstrument::Card {
                number,
                cardholder_name,
                expiry_month,
                expiry_year,
                verification_value,
                issue_month,
                issue_year,
                issue_number,
            } => model::PaymentInstrument::Card(Card {
                number: number.clone(),
                cardholder_name: cardholder_name.clone(),
                expiry_month: *expiry_month,
                expiry_year: *expiry_year,
                verification_value: verification_value.clone(),
                issue_month: *issue_month,
                issue_year: *issue_year,
                issue_number: *issue_number,
            }),
            PaymentInstrument::StoredCard { token, verification_value } => model::PaymentInstrument::StoredCard {
                token: InstrumentToken::new(token.as_str()),
                verification_value: verification_value.clone(),
            },
            PaymentInstrument::StoredPaypalAccount { token } => model::PaymentInstrument::StoredPaypalAccount {
                token: InstrumentToken::new(token.as_str()),
            },
            PaymentInstrument::StoredBankAccount { token } => model::PaymentInstrument::StoredBankAccount {
                token: InstrumentToken::new(token.as_str()),
            },
            PaymentInstrument::GiftCertificate { gift_certificate_code } => model::PaymentInstrument::GiftCertificate {
                gift_certificate_code: InstrumentToken::new(gift_certificate_code.as_str()),
            },
            PaymentInstrument::StoreCredit => model::PaymentInstrument::StoreCredit,
            PaymentInstrument::TokenizedCard {
                token,
                iin,
                last_four_digits,
                expiration_month,
                expiration_year,
            } => model::PaymentInstrument::TokenizedCard(TokenizedCard {
                token: InstrumentToken::new(token.as_str()),
                iin: iin.clone(),
                last_four_digits: last_four_digits.clone(),
                expiration_month: expiration_month.clone(),
                expiration_year: expiration_year.clone(),
            }),
        };
        model::Payment {
            instrument,
            payment_method_id: p.payment_method_id.clone(),
            save_instrument: p.save_instrument,
        }
    }
}

fn core_payments(payments: &[Payment]) -> Vec<model::Payment> {
    payments.iter().map(model::Payment::from).collect()
}

// ---------------------------------------------------------------------------------------------
// Free functions
// ---------------------------------------------------------------------------------------------

/// The flow options a careful integration wants.
/// The error's sentence, as the core writes it (kind, title, detail, code, status, request):
/// what a host shows as the exception's message. Never contains card data or tokens.
#[uniffi::export]
pub fn describe_error(details: ErrorDetails) -> String {
    PaymentError::from(details).to_string()
}

#[uniffi::export]
pub fn default_flow_options() -> FlowOptions {
    bcpay_core::FlowOptions::default().into()
}

/// The documented Process Payment rate limit.
#[uniffi::export]
pub fn default_rate_limit() -> RateLimitConfig {
    bcpay_core::RateLimitConfig::default().into()
}

/// Whether a later page of transactions exists.
#[uniffi::export]
pub fn has_next_page(page: TransactionPage) -> bool {
    model::TransactionPage::from(page).has_next()
}

/// Every problem with `payments` at `now_ms` (optionally against the store's methods), as field
/// errors; empty when valid.
#[uniffi::export]
pub fn validate_payments(payments: Vec<Payment>, now_ms: u64, methods: Option<Vec<model::PaymentMethod>>) -> Vec<FieldError> {
    let mut errors = bcpay_core::validate::validate_payments(&core_payments(&payments), now_ms, methods.as_deref());
    for f in &mut errors {
        f.path = camel_case_path(&f.path);
    }
    errors
}

/// [`validate_payments`] for payments held as JSON (snake_case, as on the wire); malformed JSON is
/// a validation error.
#[uniffi::export]
pub fn validate_payments_json(payments_json: String, now_ms: u64, methods_json: Option<String>) -> Result<Vec<FieldError>> {
    Ok(json_api::validate_errors(&payments_json, now_ms, methods_json.as_deref())?)
}

/// The version of bcpay-core.
/// The response headers the core reads, lower case: a transport may hand over only these.
#[uniffi::export]
pub fn response_headers_read() -> Vec<String> {
    bcpay_core::http::RESPONSE_HEADERS_READ.iter().map(|h| (*h).to_owned()).collect()
}

#[uniffi::export]
pub fn core_version() -> String {
    bcpay_core::config::VERSION.to_owned()
}

// ---------------------------------------------------------------------------------------------
// CoreApi: stateless build / parse for one store, and the factory of its flows
// ---------------------------------------------------------------------------------------------

/// The limits a default transport enforces, from the client's configuration.
#[derive(uniffi::Record)]
pub struct TransportLimits {
    /// Total deadline of one request, headers and body (ms).
    pub timeout_ms: i64,
    /// Largest response body accepted (bytes).
    pub max_body_bytes: i64,
}

/// Optional client settings.
#[derive(uniffi::Record, Default)]
pub struct ClientOptions {
    /// Management API base URL (a sandbox, say).
    #[uniffi(default = None)]
    pub api_base: Option<String>,
    /// Payments API base URL.
    #[uniffi(default = None)]
    pub payments_base: Option<String>,
    /// Host name for the user agent (`kotlin`, `swift`, …).
    #[uniffi(default = None)]
    pub host: Option<String>,
    /// Largest accepted response body, bytes.
    #[uniffi(default = None)]
    pub max_response_bytes: Option<i64>,
    /// Process Payment rate limit shared by this client's flows.
    #[uniffi(default = None)]
    pub rate_limit: Option<RateLimitConfig>,
    /// Total deadline of one request, headers and body (ms; default 30 000).
    #[uniffi(default = None)]
    pub timeout_ms: Option<i64>,
    /// The options every payment and single call uses unless given others (a time budget,
    /// attempts, backoff, …); `defaultFlowOptions()` when absent.
    #[uniffi(default = None)]
    pub flow_options: Option<FlowOptions>,
}

/// One store's core session: builds requests and parses responses; creates its operations
/// (payment flows and single calls), which share its rate limiter.
#[derive(uniffi::Object)]
pub struct CoreApi {
    session: Session,
    api: Arc<Api>,
}

impl CoreApi {
    fn build(&self, built: std::result::Result<bcpay_core::HttpRequest, PaymentError>) -> Result<Arc<HttpRequest>> {
        Ok(request(built?))
    }
}

#[uniffi::export]
impl CoreApi {
    /// A client for `store_hash` using API account token `api_token`.
    #[uniffi::constructor]
    pub fn new(store_hash: String, api_token: String, options: ClientOptions) -> Result<Self> {
        // Settings are read by the core's rules, so a bad one is the configuration error it is
        // in every host.
        fn setting<T: bcpay_core::read::FromJson>(value: Option<i64>, name: &str) -> Result<Option<T>> {
            Ok(value
                .map(|v| json_api::whole_number(v, name))
                .transpose()
                .map_err(json_api::as_configuration)?)
        }
        let max_response_bytes = setting(options.max_response_bytes, "max_response_bytes")?;
        let timeout_ms = setting(options.timeout_ms, "timeout_ms")?;
        let rate_limit = options.rate_limit.map(RateLimitConfig::to_core).transpose()?.unwrap_or_default();
        let flow_options = match options.flow_options {
            Some(o) => o.to_core("flow_options").map_err(json_api::as_configuration)?,
            None => bcpay_core::FlowOptions::default(),
        };
        let config = ClientConfig::from_settings(ClientSettings {
            store_hash,
            api_token: ApiToken::new(api_token),
            api_base: options.api_base,
            payments_base: options.payments_base,
            host: options.host,
            max_response_bytes,
            timeout_ms,
        })?;
        let session = Session::new(config, rate_limit).with_options(flow_options);
        Ok(CoreApi {
            api: Arc::clone(session.api()),
            session,
        })
    }

    /// What the default transports need: the total deadline of one request (ms) and the largest
    /// body to read (bytes; they stop one byte past it).
    pub fn transport_limits(&self) -> TransportLimits {
        let config = self.api.config();
        TransportLimits {
            timeout_ms: signed::signed(config.timeout_ms()),
            max_body_bytes: signed::signed(config.max_response_bytes() as u64),
        }
    }

    /// `GET /v3/payments/methods?order_id=`.
    pub fn build_get_payment_methods(&self, order_id: u64) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_get_payment_methods(&MethodsQuery::OrderId(order_id)))
    }

    /// `GET /v3/payments/methods?checkout_id=`.
    pub fn build_get_payment_methods_for_checkout(&self, checkout_id: String) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_get_payment_methods(&MethodsQuery::CheckoutId(checkout_id)))
    }

    /// The accepted payment methods.
    pub fn parse_get_payment_methods(&self, request_id: String, response: HttpResponse) -> Result<Vec<model::PaymentMethod>> {
        Ok(self.api.parse_get_payment_methods(&RequestId(request_id), &response.into())?)
    }

    /// `POST /v3/payments/access_tokens`.
    pub fn build_create_access_token(&self, order_id: u64, is_recurring: bool) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_create_access_token(order_id, is_recurring))
    }

    /// The token; `now_ms` is when the response arrived.
    pub fn parse_create_access_token(&self, request_id: String, response: HttpResponse, now_ms: u64) -> Result<Arc<PaymentAccessToken>> {
        let token = self
            .api
            .parse_create_access_token(&RequestId(request_id), &response.into(), now_ms)?;
        Ok(Arc::new(PaymentAccessToken(token)))
    }

    /// `POST {payments}/stores/{hash}/payments`, after validating `payment` (and checking it
    /// against `methods` when given).
    pub fn build_process_payment(
        &self,
        token: &PaymentAccessToken,
        payment: Payment,
        now_ms: u64,
        methods: Option<Vec<model::PaymentMethod>>,
    ) -> Result<Arc<HttpRequest>> {
        let payment = model::Payment::from(&payment);
        self.build(
            self.api
                .build_process_payment(&token.0.secret, &payment, now_ms, methods.as_deref()),
        )
    }

    /// The processed payment.
    pub fn parse_process_payment(
        &self,
        request_id: String,
        response: HttpResponse,
        payment_method_id: String,
    ) -> Result<model::ProcessedPayment> {
        Ok(self
            .api
            .parse_process_payment(&RequestId(request_id), &response.into(), &payment_method_id)?)
    }

    /// `POST /v2/orders`, created Incomplete.
    pub fn build_create_order(&self, order: model::NewOrder) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_create_order(&order))
    }

    /// The created order.
    pub fn parse_create_order(&self, request_id: String, response: HttpResponse) -> Result<model::Order> {
        Ok(self.api.parse_create_order(&RequestId(request_id), &response.into())?)
    }

    /// `GET /v2/orders/{id}`.
    pub fn build_get_order(&self, order_id: u64) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_get_order(order_id))
    }

    /// The order.
    pub fn parse_get_order(&self, request_id: String, response: HttpResponse) -> Result<model::Order> {
        Ok(self.api.parse_get_order(&RequestId(request_id), &response.into())?)
    }

    /// `GET /v3/orders/{id}/transactions?page=`.
    pub fn build_get_transactions(&self, order_id: u64, page: u32) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_get_transactions(order_id, page))
    }

    /// One page of transactions.
    pub fn parse_get_transactions(&self, request_id: String, response: HttpResponse) -> Result<TransactionPage> {
        Ok(self.api.parse_get_transactions(&RequestId(request_id), &response.into())?.into())
    }

    /// `POST /v3/orders/{id}/payment_actions/capture`.
    pub fn build_capture(&self, order_id: u64) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_capture(order_id))
    }

    /// `POST /v3/orders/{id}/payment_actions/void`.
    pub fn build_void(&self, order_id: u64) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_void(order_id))
    }

    /// Checks the answer to a capture or void (`endpoint` says which).
    pub fn parse_payment_action(&self, endpoint: Endpoint, request_id: String, response: HttpResponse) -> Result<()> {
        Ok(self.api.parse_payment_action(endpoint, &RequestId(request_id), &response.into())?)
    }

    /// `POST /v3/orders/{id}/payment_actions/refund_quotes`.
    pub fn build_create_refund_quote(&self, order_id: u64, request: model::RefundQuoteRequest) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_create_refund_quote(order_id, &request))
    }

    /// The refund quote.
    pub fn parse_create_refund_quote(&self, request_id: String, response: HttpResponse) -> Result<model::RefundQuote> {
        Ok(self.api.parse_create_refund_quote(&RequestId(request_id), &response.into())?)
    }

    /// `POST /v3/orders/{id}/payment_actions/refunds`.
    pub fn build_create_refund(&self, order_id: u64, request: model::RefundRequest) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_create_refund(order_id, &request))
    }

    /// The refund.
    pub fn parse_create_refund(&self, request_id: String, response: HttpResponse) -> Result<model::Refund> {
        Ok(self.api.parse_create_refund(&RequestId(request_id), &response.into())?)
    }

    /// `GET /v3/orders/{id}/payment_actions/refunds`.
    pub fn build_list_refunds(&self, order_id: u64) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_list_refunds(order_id))
    }

    /// The order's refunds.
    pub fn parse_list_refunds(&self, request_id: String, response: HttpResponse) -> Result<Vec<model::Refund>> {
        Ok(self.api.parse_list_refunds(&RequestId(request_id), &response.into())?)
    }

    /// `GET /v3/customers/{id}/stored-instruments`.
    pub fn build_get_stored_instruments(&self, customer_id: u64) -> Result<Arc<HttpRequest>> {
        self.build(self.api.build_get_stored_instruments(customer_id))
    }

    /// The customer's stored instruments.
    pub fn parse_get_stored_instruments(&self, request_id: String, response: HttpResponse) -> Result<Vec<model::StoredInstrument>> {
        Ok(self.api.parse_get_stored_instruments(&RequestId(request_id), &response.into())?)
    }

    /// Builds the request for `call` (snake_case name) from JSON input, for hosts that hold
    /// JSON and for the conformance vectors (format: `tests/vectors/README.md`).
    pub fn build_json(&self, call: String, input_json: String) -> Result<Arc<HttpRequest>> {
        self.build(json_api::build(&self.api, &call, &input_json))
    }

    /// A payment flow for `order_id`, sharing this client's rate limiter; `options` replace the
    /// client's. `seed` fixes the retry jitter (tests); without it, jitter is random.
    pub fn new_flow(
        &self,
        order_id: i64,
        payments: Vec<Payment>,
        options: Option<FlowOptions>,
        now_ms: u64,
        seed: Option<u64>,
    ) -> Result<Arc<CoreOperation>> {
        let options = options.map(|o| o.to_core("options")).transpose()?;
        let flow = self.session.pay(id(order_id), core_payments(&payments), options, now_ms, seed)?;
        Ok(CoreOperation::of(Operation::Pay(flow)))
    }

    /// [`new_flow`](Self::new_flow) with the client's options and random jitter: what a
    /// client's `pay` makes, with no optional arguments to carry (each costs the JVM a native
    /// structure per call; see `steps`).
    pub fn new_payment(&self, order_id: i64, payments: Vec<Payment>, now_ms: u64) -> Result<Arc<CoreOperation>> {
        self.new_flow(order_id, payments, None, now_ms, None)
    }

    /// A payment an app relayed to this server (`body`: its `bcpay.payment_request` envelope):
    /// ends with `CallOutput.RelayOutcome`, the envelope to answer with, whatever happened. After
    /// `cancel`, `poll` once more for the envelope of the cancellation. With `expect_order_id`,
    /// a request for another order is refused.
    pub fn pay_from_app(&self, body: Vec<u8>, expect_order_id: Option<i64>, now_ms: u64, seed: Option<u64>) -> Arc<CoreOperation> {
        let body = zeroize::Zeroizing::new(body);
        CoreOperation::of(self.session.pay_from_app(&body, None, expect_order_id.map(id), now_ms, seed))
    }

    /// A single call: waits for the rate limiter, retries what is safe to retry, follows
    /// transaction pages, and honours the time budget, like a payment flow.
    pub fn new_call(&self, call: CallInput, now_ms: u64, seed: Option<u64>) -> Result<Arc<CoreOperation>> {
        let op = self.session.call(call.into(), None, now_ms, seed)?;
        Ok(CoreOperation::of(Operation::Call(op)))
    }
}

// ---------------------------------------------------------------------------------------------
// The relay: an app's half, with no token and no request to BigCommerce
// ---------------------------------------------------------------------------------------------

/// A card form as typed (every field text, possibly empty).
#[derive(uniffi::Record)]
pub struct CardFormInput {
    pub number: CardNumber,
    pub cardholder_name: String,
    pub expiry_month: String,
    pub expiry_year: String,
    pub verification_value: VerificationValue,
}

/// One field's state in a `CardFormCheck`: `code` and `description` say what is wrong when
/// `state` is `Invalid`.
#[derive(uniffi::Record)]
pub struct FieldCheck {
    pub field: String,
    pub state: validate::FieldState,
    pub code: Option<String>,
    pub description: Option<String>,
}

/// What `checkCardForm` found (see the core's `validate::CardFormCheck`). Holds no card data.
#[derive(uniffi::Record)]
pub struct CardFormCheck {
    pub brand: Option<model::CardBrand>,
    pub payment_method_id: Option<String>,
    pub verification_value_required: bool,
    pub expiry_month: Option<i64>,
    pub expiry_year: Option<i64>,
    pub fields: Vec<FieldCheck>,
    pub complete: bool,
}

/// Checks a card form as the shopper types, on the device's clock `now_ms`, against the order's
/// accepted `methods` when the server passed them.
#[uniffi::export]
pub fn check_card_form(form: CardFormInput, now_ms: u64, methods: Option<Vec<model::PaymentMethod>>) -> CardFormCheck {
    let form = model::CardForm {
        number: form.number,
        cardholder_name: form.cardholder_name,
        expiry_month: form.expiry_month,
        expiry_year: form.expiry_year,
        verification_value: form.verification_value,
    };
    let c = validate::check_card_form(&form, now_ms, methods.as_deref());
    CardFormCheck {
        brand: c.brand,
        payment_method_id: c.payment_method_id,
        verification_value_required: c.verification_value_required,
        expiry_month: c.expiry_month,
        expiry_year: c.expiry_year,
        fields: c
            .fields
            .into_iter()
            .map(|f| FieldCheck {
                field: f.field.to_owned(),
                state: f.state,
                code: f.code.map(str::to_owned),
                description: f.description.map(str::to_owned),
            })
            .collect(),
        complete: c.complete,
    }
}

/// The accepted methods a server passed to the app, read from its JSON (a Get Payment Methods
/// `data` array, as `bcpay app-server`'s `/checkout` answers).
#[uniffi::export]
pub fn payment_methods_from_json(json: String) -> Result<Vec<model::PaymentMethod>> {
    Ok(json_api::input::<Vec<model::PaymentMethod>>(&json, "methods")?)
}

/// A `bcpay.payment_request` envelope's body, for the app to post to its server. Holds card
/// data: its `Debug`/`toString` shows none, and the Rust copy is wiped when it is dropped.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PaymentRequestBody(zeroize::Zeroizing<Vec<u8>>);

impl fmt::Debug for PaymentRequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PaymentRequestBody([redacted, {} bytes])", self.0.len())
    }
}

#[uniffi::export]
impl PaymentRequestBody {
    /// The bytes to send (`Content-Type: application/json`). Wipe your copy once sent.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.to_vec()
    }
}

/// Builds the request envelope for paying `order_id` with `payments`, validated on the device
/// by the rules the server applies again; `time_budget_ms` is how long the app will wait.
#[uniffi::export]
pub fn build_payment_request(
    order_id: i64,
    payments: Vec<Payment>,
    time_budget_ms: Option<i64>,
    now_ms: u64,
) -> Result<Arc<PaymentRequestBody>> {
    let request = bcpay_core::relay::PaymentRequest {
        order_id: id(order_id),
        payments: core_payments(&payments),
        time_budget_ms: time_budget_ms.map(|ms| json_api::whole_number(ms, "time_budget_ms")).transpose()?,
    };
    Ok(Arc::new(PaymentRequestBody(request.validated_body(now_ms)?)))
}

/// Reads the server's `bcpay.payment_outcome` envelope: the receipt, or the error the server's
/// flow ended with. An answer that is not an envelope is `AmbiguousOutcome`.
#[uniffi::export]
pub fn read_payment_outcome(body: Vec<u8>) -> Result<PaymentReceipt> {
    Ok(bcpay_core::relay::read_outcome(&body)?.into())
}

/// The error for a relay request the app's transport could not complete (`AmbiguousOutcome`
/// unless it was certainly not sent).
#[uniffi::export]
pub fn relay_failure(failure: TransportFailure) -> BcpayError {
    bcpay_core::relay::relay_failure(failure).into()
}

// ---------------------------------------------------------------------------------------------
// Operations: payment flows and single calls
// ---------------------------------------------------------------------------------------------

/// An order or customer id as Kotlin and Swift hold it (signed), for the core: a negative one
/// stays out of range, so the core's id rule refuses it with the error naming the field.
fn id(value: i64) -> u64 {
    value as u64
}

/// A single call and its arguments (the core's `Call`, one case per endpoint).
#[derive(uniffi::Enum)]
pub enum CallInput {
    GetPaymentMethods {
        order_id: i64,
    },
    GetPaymentMethodsForCheckout {
        checkout_id: String,
    },
    CreatePaymentAccessToken {
        order_id: i64,
        is_recurring: bool,
    },
    ProcessPayment {
        token: Arc<PaymentAccessToken>,
        payment: Payment,
        methods: Option<Vec<model::PaymentMethod>>,
    },
    CreateOrder {
        order: model::NewOrder,
    },
    GetOrder {
        order_id: i64,
    },
    /// Every page (`page` absent), or one page.
    GetOrderTransactions {
        order_id: i64,
        page: Option<i32>,
    },
    CapturePayment {
        order_id: i64,
    },
    VoidPayment {
        order_id: i64,
    },
    CreateRefundQuote {
        order_id: i64,
        request: model::RefundQuoteRequest,
    },
    CreateRefund {
        order_id: i64,
        request: model::RefundRequest,
    },
    /// The quote, then the refund it allows (`bcpay_core::session::Call::Refund`).
    Refund {
        order_id: i64,
        items: Vec<model::RefundItem>,
    },
    ListRefunds {
        order_id: i64,
    },
    GetStoredInstruments {
        customer_id: i64,
    },
    /// The order, then its transactions, judged paid or not (`Call::GetOrderPaymentStatus`).
    GetOrderPaymentStatus {
        order_id: i64,
    },
    /// Methods and a token kept for the order's next payment (`Call::Prepare`).
    Prepare {
        order_id: i64,
    },
}

impl From<CallInput> for Call {
    fn from(c: CallInput) -> Call {
        match c {
            CallInput::GetPaymentMethods { order_id } => Call::GetPaymentMethods {
                query: MethodsQuery::OrderId(id(order_id)),
            },
            CallInput::GetPaymentMethodsForCheckout { checkout_id } => Call::GetPaymentMethods {
                query: MethodsQuery::CheckoutId(checkout_id),
            },
            CallInput::CreatePaymentAccessToken { order_id, is_recurring } => Call::CreatePaymentAccessToken {
                order_id: id(order_id),
                is_recurring,
            },
            CallInput::ProcessPayment { token, payment, methods } => Call::ProcessPayment {
                pat: token.0.secret.clone(),
                payment: (&payment).into(),
                methods,
            },
            CallInput::CreateOrder { order } => Call::CreateOrder { order },
            CallInput::GetOrder { order_id } => Call::GetOrder { order_id: id(order_id) },
            CallInput::GetOrderTransactions { order_id, page } => Call::GetOrderTransactions {
                order_id: id(order_id),
                page: page.map(|p| u32::try_from(p).unwrap_or(0)),
            },
            CallInput::CapturePayment { order_id } => Call::CapturePayment { order_id: id(order_id) },
            CallInput::VoidPayment { order_id } => Call::VoidPayment { order_id: id(order_id) },
            CallInput::CreateRefundQuote { order_id, request } => Call::CreateRefundQuote {
                order_id: id(order_id),
                request,
            },
            CallInput::CreateRefund { order_id, request } => Call::CreateRefund {
                order_id: id(order_id),
                request,
            },
            CallInput::Refund { order_id, items } => Call::Refund {
                order_id: id(order_id),
                items,
            },
            CallInput::ListRefunds { order_id } => Call::ListRefunds { order_id: id(order_id) },
            CallInput::GetStoredInstruments { customer_id } => Call::GetStoredInstruments {
                customer_id: id(customer_id),
            },
            CallInput::GetOrderPaymentStatus { order_id } => Call::GetOrderPaymentStatus { order_id: id(order_id) },
            CallInput::Prepare { order_id } => Call::Prepare { order_id: id(order_id) },
        }
    }
}

/// What an operation ends with: a payment's receipt, or a single call's answer.
#[derive(uniffi::Enum)]
pub enum CallOutput {
    Receipt {
        receipt: PaymentReceipt,
    },
    PaymentMethods {
        methods: Vec<model::PaymentMethod>,
    },
    AccessToken {
        token: Arc<PaymentAccessToken>,
    },
    Payment {
        payment: model::ProcessedPayment,
    },
    Order {
        order: model::Order,
    },
    Transactions {
        transactions: Vec<model::Transaction>,
    },
    TransactionPage {
        page: TransactionPage,
    },
    Nothing,
    RefundQuote {
        quote: model::RefundQuote,
    },
    Refund {
        refund: model::Refund,
    },
    Refunds {
        refunds: Vec<model::Refund>,
    },
    StoredInstruments {
        instruments: Vec<model::StoredInstrument>,
    },
    PaymentStatus {
        status: OrderPaymentStatus,
    },
    Prepared {
        prepared: PreparedPayment,
    },
    /// `CoreApi.payFromApp`: the outcome envelope to answer the app with (HTTP 200).
    RelayOutcome {
        body: Vec<u8>,
    },
}

impl From<bcpay_core::CallOutput> for CallOutput {
    fn from(o: bcpay_core::CallOutput) -> CallOutput {
        use bcpay_core::CallOutput as O;
        match o {
            O::Receipt(receipt) => CallOutput::Receipt { receipt: receipt.into() },
            O::PaymentMethods(methods) => CallOutput::PaymentMethods { methods },
            O::AccessToken(t) => CallOutput::AccessToken {
                token: Arc::new(PaymentAccessToken(t)),
            },
            O::Payment(payment) => CallOutput::Payment { payment },
            O::Order(order) => CallOutput::Order { order },
            O::Transactions(transactions) => CallOutput::Transactions { transactions },
            O::TransactionPage(page) => CallOutput::TransactionPage { page: page.into() },
            O::Nothing => CallOutput::Nothing,
            O::RefundQuote(quote) => CallOutput::RefundQuote { quote },
            O::Refund(refund) => CallOutput::Refund { refund },
            O::Refunds(refunds) => CallOutput::Refunds { refunds },
            O::StoredInstruments(instruments) => CallOutput::StoredInstruments { instruments },
            O::PaymentStatus(status) => CallOutput::PaymentStatus { status: status.into() },
            O::Prepared(p) => CallOutput::Prepared {
                prepared: PreparedPayment {
                    order_id: signed::signed(p.order_id),
                    methods: p.methods.to_vec(),
                    token_expires_at_ms: signed::signed(p.token_expires_at_ms),
                },
            },
            O::RelayOutcome(body) => CallOutput::RelayOutcome { body: body.into_bytes() },
        }
    }
}

/// A payment prepared ahead (`bcpay_core::session::PreparedPayment`): the order's methods and
/// when the token the client keeps for it expires.
#[derive(uniffi::Record)]
pub struct PreparedPayment {
    pub order_id: i64,
    pub methods: Vec<model::PaymentMethod>,
    pub token_expires_at_ms: i64,
}

/// What the host should do next.
#[derive(uniffi::Enum)]
pub enum Action {
    /// Send this request, then report its outcome under `request_id` (the same as
    /// `request.requestId()`, carried here to save a crossing per request).
    Send { request: Arc<HttpRequest>, request_id: String },
    /// Nothing to send before `until_ms`; poll again then.
    Wait { until_ms: u64 },
    /// A request is in flight: report its outcome before polling again.
    Awaiting { request_id: String },
    /// The operation finished: every payment went through, or the call answered.
    Done { output: CallOutput },
    /// The operation stopped: throw `error`. Its `details.paymentsTaken` lists split payments
    /// already taken.
    Failed { error: BcpayError },
}

/// A sans-IO operation (a payment flow or a single call): `poll(now)` says what to do; report
/// each request's outcome with `onResponse` or `onTransportFailure`; `cancel` when the caller
/// gives up. A payment is never sent twice blindly.
#[derive(uniffi::Object)]
pub struct CoreOperation {
    op: Mutex<Operation>,
    /// Steps that did not fit the JVM's buffer (see [`steps`]).
    pending: Mutex<steps::Writer>,
}

fn action(next: bcpay_core::Action<bcpay_core::CallOutput>) -> Action {
    match next {
        bcpay_core::Action::Send { request: r } => Action::Send {
            request_id: r.id.0.clone(),
            request: request(r),
        },
        bcpay_core::Action::Wait { until_ms } => Action::Wait { until_ms },
        bcpay_core::Action::Awaiting { request_id } => Action::Awaiting { request_id: request_id.0 },
        bcpay_core::Action::Done { output } => Action::Done { output: output.into() },
        bcpay_core::Action::Failed { error } => Action::Failed { error: error.into() },
    }
}

impl CoreOperation {
    fn of(op: Operation) -> Arc<CoreOperation> {
        Arc::new(CoreOperation {
            op: Mutex::new(op),
            pending: Mutex::default(),
        })
    }
}

#[uniffi::export]
impl CoreOperation {
    /// The next thing to do at `now_ms`.
    pub fn poll(&self, now_ms: u64) -> Action {
        action(lock(&self.op).poll(now_ms))
    }

    /// `onResponse`, then `poll` at the same `now_ms`, in one call. Each call through JNA
    /// allocates native structures (tens of µs under load), so a driver makes one per request.
    pub fn respond(&self, request_id: String, response: HttpResponse, now_ms: u64) -> Action {
        let mut op = lock(&self.op);
        op.on_response(&RequestId(request_id), &response.into(), now_ms);
        action(op.poll(now_ms))
    }

    /// `onTransportFailure`, then `poll` at the same `now_ms`, in one call.
    pub fn fail(&self, request_id: String, failure: TransportFailure, cause: Option<String>, now_ms: u64) -> Action {
        let mut op = lock(&self.op);
        op.on_transport_failure(&RequestId(request_id), failure, cause.as_deref(), now_ms);
        action(op.poll(now_ms))
    }

    /// Feeds the response to request `request_id`, received at `now_ms`.
    pub fn on_response(&self, request_id: String, response: HttpResponse, now_ms: u64) {
        lock(&self.op).on_response(&RequestId(request_id), &response.into(), now_ms);
    }

    /// Feeds the failure of request `request_id` at `now_ms`, with the transport's words for it
    /// (`cause`, scrubbed by the core) when there are any.
    pub fn on_transport_failure(&self, request_id: String, failure: TransportFailure, cause: Option<String>, now_ms: u64) {
        lock(&self.op).on_transport_failure(&RequestId(request_id), failure, cause.as_deref(), now_ms);
    }

    /// Records the operation's events from now on (`bcpay_core::observe`); a client calls it only
    /// when it has a listener, so one without pays nothing.
    pub fn observe(&self) {
        lock(&self.op).observe();
    }

    /// The events recorded since the last call.
    pub fn take_events(&self) -> Vec<FlowEvent> {
        lock(&self.op).take_events().into_iter().map(FlowEvent::from).collect()
    }

    /// Ends the operation because the caller gave up (a cancelled task or future) or its time
    /// budget ran out, and returns the error to throw: `AmbiguousOutcome` when a payment may have
    /// been sent and is unsettled, else `Cancelled`.
    pub fn cancel(&self, now_ms: u64) -> BcpayError {
        lock(&self.op).cancel(now_ms).into()
    }

    /// When the time budget runs out (ms), if there is one: abort a request still in flight
    /// then, and `cancel`.
    pub fn deadline_ms(&self) -> Option<u64> {
        lock(&self.op).deadline_ms()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn api() -> CoreApi {
        CoreApi::new("abc123".into(), "sentinel-api-token".into(), ClientOptions::default()).unwrap()
    }

    /// A card payment through `stripe.card`, CVV 918.
    pub(crate) fn card(number: &str) -> Payment {
        Payment {
            instrument: PaymentInstrument::Card {
                number: CardNumber::new(number),
                cardholder_name: "Jane Doe".into(),
                expiry_month: Some(12),
                expiry_year: Some(2030),
                verification_value: Some(VerificationValue::new("918")),
                issue_month: None,
                issue_year: None,
                issue_number: None,
            },
            payment_method_id: "stripe.card".into(),
            save_instrument: false,
        }
    }

    #[test]
    fn every_error_kind_maps_to_its_own_variant() {
        let kinds = ErrorKind::ALL;
        let mut variants = std::collections::HashSet::new();
        for kind in kinds {
            let e = BcpayError::from(PaymentError::new(kind, "t"));
            assert_eq!(e.details().kind, kind);
            variants.insert(std::mem::discriminant(&e));
        }
        assert_eq!(variants.len(), kinds.len());
    }

    #[test]
    fn every_instrument_converts_to_the_core_instrument() {
        let tokens = |instrument| Payment {
            instrument,
            payment_method_id: "m.x".into(),
            save_instrument: true,
        };
        let cases = [
            (card("4242424242424242"), "card"),
            (
                tokens(PaymentInstrument::StoredCard {
                    token: "t".into(),
                    verification_value: None,
                }),
                "stored_card",
            ),
            (
                tokens(PaymentInstrument::StoredPaypalAccount { token: "t".into() }),
                "stored_paypal_account",
            ),
            (
                tokens(PaymentInstrument::StoredBankAccount { token: "t".into() }),
                "stored_bank_account",
            ),
            (
                tokens(PaymentInstrument::GiftCertificate {
                    gift_certificate_code: "GC".into(),
                }),
                "gift_certificate",
            ),
            (tokens(PaymentInstrument::StoreCredit), "store_credit"),
            (
                tokens(PaymentInstrument::TokenizedCard {
                    token: "t".into(),
                    iin: Some("411111".into()),
                    last_four_digits: None,
                    expiration_month: None,
                    expiration_year: None,
                }),
                "tokenized_card",
            ),
        ];
        for (payment, wire) in cases {
            let core = model::Payment::from(&payment);
            assert_eq!(core.instrument.type_name(), wire);
            assert_eq!(core.payment_method_id, payment.payment_method_id);
            assert_eq!(core.save_instrument, payment.save_instrument);
        }
        let model::PaymentInstrument::Card(c) = model::Payment::from(&card("4242 4242 4242 4242")).instrument else {
            panic!("not a card")
        };
        assert_eq!(c.number.expose(), "4242 4242 4242 4242");
        assert_eq!(c.verification_value.unwrap().expose(), "918");
    }

    #[test]
    fn text_forms_never_show_secrets() {
        let api = api();
        let token = PaymentAccessToken::from_secret("eyJhbGciOiJIUzI1NiJ9.e30.sig".into(), 1);
        let request = api
            .build_process_payment(&token, card("4000056655665556"), 1_795_219_200_000, None)
            .unwrap();
        let shown = format!(
            "{request} {request:?} {token:?} {} {}",
            describe_card_number(CardNumber::new("4000056655665556")),
            describe_verification_value(VerificationValue::new("918")),
        );
        for secret in ["4000056655665556", "918", "eyJhbGci", "sentinel-api-token"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("5556"));
        // The host still gets what it must send.
        assert_eq!(
            request.header("authorization".into()).as_deref(),
            Some("PAT eyJhbGciOiJIUzI1NiJ9.e30.sig")
        );
        assert!(String::from_utf8(request.body().unwrap()).unwrap().contains("4000056655665556"));
    }

    #[test]
    fn flow_actions_and_errors_cross_as_binding_types() {
        let api = api();
        let flow = api
            .new_flow(215, vec![card("4242424242424242")], None, 1_795_219_200_000, Some(7))
            .unwrap();
        let Action::Send { request, .. } = flow.poll(1_795_219_200_000) else {
            panic!("expected a request")
        };
        assert_eq!(request.endpoint(), Endpoint::GetPaymentMethods);
        // The token goes beside the methods; then the methods are awaited.
        assert!(
            matches!(flow.poll(1_795_219_200_000), Action::Send { request: token, .. } if token.endpoint() == Endpoint::CreatePaymentAccessToken)
        );
        assert!(matches!(flow.poll(1_795_219_200_000), Action::Awaiting { request_id } if request_id == request.request_id()));
        assert!(matches!(flow.cancel(1_795_219_200_001), BcpayError::Cancelled { .. }));

        let invalid = api.new_flow(0, vec![card("4242424242424241")], Some(default_flow_options()), 1, None);
        let Err(BcpayError::Validation { details }) = invalid else {
            panic!("expected a validation error")
        };
        let paths: Vec<_> = details.field_errors.iter().map(|f| f.path.as_str()).collect();
        // In the names Kotlin and Swift give the fields.
        assert!(paths.contains(&"orderId"), "{paths:?}");
    }

    #[test]
    fn out_of_range_settings_are_configuration_errors() {
        let options = ClientOptions {
            api_base: Some("ftp://x".into()),
            ..Default::default()
        };
        assert!(matches!(
            CoreApi::new("abc123".into(), "t".into(), options),
            Err(BcpayError::Configuration { .. })
        ));
        assert!(matches!(
            validate_payments_json("{".into(), 1, None),
            Err(BcpayError::Validation { .. })
        ));
    }

    #[test]
    fn negative_counts_and_ids_are_typed_errors_naming_the_field() {
        // Kotlin and Swift hold counts, milliseconds and ids as signed numbers; a negative one
        // is refused by the core's rules, never wrapped to a huge unsigned value.
        let paths = |e: BcpayError| e.details().field_errors.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        let mut options = default_flow_options();
        options.max_attempts = -1;
        let Err(e @ BcpayError::Validation { .. }) = api().new_flow(101, vec![card("4242424242424242")], Some(options), 1, None) else {
            panic!("expected a validation error")
        };
        assert_eq!(paths(e), ["options.maxAttempts"]);

        let settings = ClientOptions {
            timeout_ms: Some(-5),
            ..Default::default()
        };
        let Err(e @ BcpayError::Configuration { .. }) = CoreApi::new("abc123".into(), "t".into(), settings) else {
            panic!("expected a configuration error")
        };
        assert_eq!(paths(e), ["timeoutMs"]);
        let mut flow_options = default_flow_options();
        flow_options.settle_window_ms = -1;
        let settings = ClientOptions {
            flow_options: Some(flow_options),
            ..Default::default()
        };
        let Err(e @ BcpayError::Configuration { .. }) = CoreApi::new("abc123".into(), "t".into(), settings) else {
            panic!("expected a configuration error")
        };
        assert_eq!(paths(e), ["flowOptions.settleWindowMs"]);

        let Err(e @ BcpayError::Validation { .. }) = api().new_flow(-1, vec![card("4242424242424242")], None, 1, None) else {
            panic!("expected a validation error")
        };
        assert_eq!(paths(e), ["orderId"]);
        let Err(e @ BcpayError::Validation { .. }) = api().new_call(CallInput::GetStoredInstruments { customer_id: -3 }, 1, None) else {
            panic!("expected a validation error")
        };
        assert_eq!(paths(e), ["customerId"]);
    }

    #[test]
    fn signed_records_keep_the_cores_values() {
        let options = default_flow_options();
        assert_eq!(options.to_core("options").unwrap(), bcpay_core::FlowOptions::default());
        assert_eq!(default_rate_limit().to_core().unwrap(), bcpay_core::RateLimitConfig::default());
        let e = PaymentError::new(ErrorKind::RateLimited, "slow down");
        let mut e = e;
        e.status = Some(429);
        e.retry = bcpay_core::RetryAdvice::After { ms: 4000 };
        let details = ErrorDetails::from(e.clone());
        assert_eq!(details.status, Some(429));
        assert_eq!(details.retry, RetryAdvice::After { ms: 4000 });
        assert_eq!(PaymentError::from(details), e);
        let response = HttpResponse {
            status: 70_000,
            headers: vec![],
            body: vec![],
        };
        assert_eq!(bcpay_core::HttpResponse::from(response).status, 0);
    }
}
