//! The core's records that count with unsigned integers, mirrored with signed ones. Kotlin's
//! `ULong` / `UInt` and Swift's `UInt64` are awkward to write and to mix with everything else
//! an app counts in (`maxAttempts = 5u`, `.toLong()` at every use), and no count or duration here
//! needs the top bit. Results convert saturating at the signed maximum (never reached: ids,
//! milliseconds, counts); inputs are read by the core's rule for whole numbers
//! ([`json_api::whole_number`]), so a negative value is a typed error naming the field, as in
//! every other host.
//!
//! Each conversion destructures the core type without `..`, so a field added to the core fails
//! to compile here until it is mirrored.

use bcpay_core::error::{ErrorKind, FieldError, PaymentError};
use bcpay_core::http::{Endpoint, Header, RequestId};
use bcpay_core::json_api::{self, whole_number};
use bcpay_core::model::{Amount, OrderPaymentState, ProcessedPayment, Transaction};

/// A core count, id or duration as the signed number Kotlin and Swift hold (saturating).
pub(crate) fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn signed32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// What an operation did or decided (`bcpay_core::FlowEvent`), for a listener. The variants are
/// named apart from the types their fields hold (`TransportFailed`, not `TransportFailure`): a
/// Kotlin sealed class's nested name would shadow the type inside it.
#[derive(uniffi::Enum, Clone, Debug, PartialEq, Eq)]
pub enum FlowEvent {
    /// A request goes out: its attempt is 1 for the first send of the call, 2 for the first
    /// retry, …; the URL holds no secret (those travel in headers).
    RequestSent {
        endpoint: Endpoint,
        request_id: String,
        method: String,
        url: String,
        attempt: i32,
    },
    /// A response came in `elapsed_ms` after the send; `server_request_id` is the server's id of
    /// the exchange when it sent one (the id to quote to BigCommerce).
    ResponseReceived {
        endpoint: Endpoint,
        request_id: String,
        status: i32,
        elapsed_ms: i64,
        attempt: i32,
        server_request_id: Option<String>,
    },
    /// The request got no response; `cause` is the transport's words for it, scrubbed.
    TransportFailed {
        endpoint: Endpoint,
        request_id: String,
        failure: bcpay_core::TransportFailure,
        cause: Option<String>,
        elapsed_ms: i64,
        attempt: i32,
    },
    /// What the operation does next, and why; `wait_ms` when it waits first.
    Decided {
        decision: bcpay_core::Decision,
        reason: String,
        wait_ms: Option<i64>,
    },
}

impl From<bcpay_core::FlowEvent> for FlowEvent {
    fn from(event: bcpay_core::FlowEvent) -> Self {
        use bcpay_core::FlowEvent as E;
        match event {
            E::Request {
                endpoint,
                request_id,
                method,
                url,
                attempt,
            } => FlowEvent::RequestSent {
                endpoint,
                request_id: request_id.0,
                method: method.as_str().to_owned(),
                url,
                attempt: signed32(attempt),
            },
            E::Response {
                endpoint,
                request_id,
                status,
                elapsed_ms,
                attempt,
                server_request_id,
            } => FlowEvent::ResponseReceived {
                endpoint,
                request_id: request_id.0,
                status: i32::from(status),
                elapsed_ms: signed(elapsed_ms),
                attempt: signed32(attempt),
                server_request_id,
            },
            E::TransportFailure {
                endpoint,
                request_id,
                failure,
                cause,
                elapsed_ms,
                attempt,
            } => FlowEvent::TransportFailed {
                endpoint,
                request_id: request_id.0,
                failure,
                cause,
                elapsed_ms: signed(elapsed_ms),
                attempt: signed32(attempt),
            },
            E::Decision { decision, reason, wait_ms } => FlowEvent::Decided {
                decision,
                reason,
                wait_ms: wait_ms.map(signed),
            },
        }
    }
}

/// What the server answered, as the host hands it to the core.
#[derive(uniffi::Record)]
pub struct HttpResponse {
    /// The HTTP status (`200`, `429`, …).
    pub status: i32,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

impl From<HttpResponse> for bcpay_core::HttpResponse {
    fn from(HttpResponse { status, headers, body }: HttpResponse) -> Self {
        // Not an HTTP status at all: the core reads 0 as an answer it cannot trust.
        let status = u16::try_from(status).unwrap_or(0);
        bcpay_core::HttpResponse { status, headers, body }
    }
}

/// What a caller may do about an error.
#[derive(uniffi::Enum, Clone, Debug, PartialEq, Eq)]
pub enum RetryAdvice {
    /// Do not retry: the same request fails the same way, or could charge twice.
    Never,
    /// The same request may be sent again after `ms` milliseconds.
    After { ms: i64 },
    /// Create a new payment access token, then retry.
    WithNewToken,
    /// A payment may have been taken: read the order's transactions first.
    Reconcile,
}

impl From<bcpay_core::RetryAdvice> for RetryAdvice {
    fn from(r: bcpay_core::RetryAdvice) -> Self {
        use bcpay_core::RetryAdvice as R;
        match r {
            R::Never => RetryAdvice::Never,
            R::After { ms } => RetryAdvice::After { ms: signed(ms) },
            R::WithNewToken => RetryAdvice::WithNewToken,
            R::Reconcile => RetryAdvice::Reconcile,
        }
    }
}

impl From<RetryAdvice> for bcpay_core::RetryAdvice {
    fn from(r: RetryAdvice) -> Self {
        use bcpay_core::RetryAdvice as R;
        match r {
            RetryAdvice::Never => R::Never,
            RetryAdvice::After { ms } => R::After { ms: ms.max(0) as u64 },
            RetryAdvice::WithNewToken => R::WithNewToken,
            RetryAdvice::Reconcile => R::Reconcile,
        }
    }
}

/// Everything known about a failure (the core's `PaymentError`); no card data or tokens.
#[derive(uniffi::Record, Clone, Debug, PartialEq, Eq)]
pub struct ErrorDetails {
    pub kind: ErrorKind,
    /// The HTTP status, when the error came from a response.
    pub status: Option<i32>,
    /// The API's numeric error code (`30102`, …).
    pub code: Option<i64>,
    pub code_text: Option<String>,
    pub title: String,
    pub detail: Option<String>,
    pub field_errors: Vec<FieldError>,
    /// Safe to show the shopper.
    pub shopper_message: String,
    /// What the developer or merchant should do.
    pub remedy: String,
    pub endpoint: Option<Endpoint>,
    /// bcpay's own id of the request (never sent).
    pub request_id: Option<RequestId>,
    /// The server's id of the exchange, when the response carried one: the id to quote to
    /// BigCommerce.
    pub server_request_id: Option<String>,
    pub retry: RetryAdvice,
    /// In split payments: the payments taken before this error.
    pub payments_taken: Vec<ProcessedPayment>,
}

impl From<PaymentError> for ErrorDetails {
    fn from(e: PaymentError) -> Self {
        let PaymentError {
            kind,
            status,
            code,
            code_text,
            title,
            detail,
            field_errors,
            shopper_message,
            remedy,
            endpoint,
            request_id,
            server_request_id,
            retry,
            payments_taken,
        } = e;
        ErrorDetails {
            kind,
            status: status.map(i32::from),
            code,
            code_text,
            title,
            detail,
            field_errors,
            shopper_message,
            remedy,
            endpoint,
            request_id,
            server_request_id,
            retry: retry.into(),
            payments_taken,
        }
    }
}

impl From<ErrorDetails> for PaymentError {
    fn from(d: ErrorDetails) -> Self {
        let ErrorDetails {
            kind,
            status,
            code,
            code_text,
            title,
            detail,
            field_errors,
            shopper_message,
            remedy,
            endpoint,
            request_id,
            server_request_id,
            retry,
            payments_taken,
        } = d;
        PaymentError {
            kind,
            status: status.and_then(|s| u16::try_from(s).ok()),
            code,
            code_text,
            title,
            detail,
            field_errors,
            shopper_message,
            remedy,
            endpoint,
            request_id,
            server_request_id,
            retry: retry.into(),
            payments_taken,
        }
    }
}

/// Tunables of a payment flow; start from `defaultFlowOptions()`. Counts and milliseconds are
/// whole numbers from 0.
#[derive(uniffi::Record)]
pub struct FlowOptions {
    pub fetch_methods: bool,
    pub reconcile: bool,
    pub max_attempts: i32,
    pub backoff_base_ms: i64,
    pub backoff_cap_ms: i64,
    pub pat_refresh_margin_ms: i64,
    pub reconcile_delay_ms: i64,
    pub settle_window_ms: i64,
    pub resend_when_unrecorded: bool,
    pub max_transaction_pages: i32,
    pub is_recurring: bool,
    pub time_budget_ms: Option<i64>,
}

impl From<bcpay_core::FlowOptions> for FlowOptions {
    fn from(o: bcpay_core::FlowOptions) -> Self {
        let bcpay_core::FlowOptions {
            fetch_methods,
            reconcile,
            max_attempts,
            backoff_base_ms,
            backoff_cap_ms,
            pat_refresh_margin_ms,
            reconcile_delay_ms,
            settle_window_ms,
            resend_when_unrecorded,
            max_transaction_pages,
            is_recurring,
            time_budget_ms,
        } = o;
        FlowOptions {
            fetch_methods,
            reconcile,
            max_attempts: signed32(max_attempts),
            backoff_base_ms: signed(backoff_base_ms),
            backoff_cap_ms: signed(backoff_cap_ms),
            pat_refresh_margin_ms: signed(pat_refresh_margin_ms),
            reconcile_delay_ms: signed(reconcile_delay_ms),
            settle_window_ms: signed(settle_window_ms),
            resend_when_unrecorded,
            max_transaction_pages: signed32(max_transaction_pages),
            is_recurring,
            time_budget_ms: time_budget_ms.map(signed),
        }
    }
}

impl FlowOptions {
    /// The core's options; a negative count or duration is a validation error at `path.field`
    /// (`options.maxAttempts` once the error reaches Kotlin or Swift).
    pub fn to_core(self, path: &str) -> Result<bcpay_core::FlowOptions, PaymentError> {
        let FlowOptions {
            fetch_methods,
            reconcile,
            max_attempts,
            backoff_base_ms,
            backoff_cap_ms,
            pat_refresh_margin_ms,
            reconcile_delay_ms,
            settle_window_ms,
            resend_when_unrecorded,
            max_transaction_pages,
            is_recurring,
            time_budget_ms,
        } = self;
        let at = |field: &str| format!("{path}.{field}");
        Ok(bcpay_core::FlowOptions {
            fetch_methods,
            reconcile,
            max_attempts: whole_number(max_attempts.into(), &at("max_attempts"))?,
            backoff_base_ms: whole_number(backoff_base_ms, &at("backoff_base_ms"))?,
            backoff_cap_ms: whole_number(backoff_cap_ms, &at("backoff_cap_ms"))?,
            pat_refresh_margin_ms: whole_number(pat_refresh_margin_ms, &at("pat_refresh_margin_ms"))?,
            reconcile_delay_ms: whole_number(reconcile_delay_ms, &at("reconcile_delay_ms"))?,
            settle_window_ms: whole_number(settle_window_ms, &at("settle_window_ms"))?,
            resend_when_unrecorded,
            max_transaction_pages: whole_number(max_transaction_pages.into(), &at("max_transaction_pages"))?,
            is_recurring,
            time_budget_ms: time_budget_ms.map(|ms| whole_number(ms, &at("time_budget_ms"))).transpose()?,
        })
    }
}

/// Process Payment rate-limit settings; start from `defaultRateLimit()`.
#[derive(uniffi::Record)]
pub struct RateLimitConfig {
    pub payments_quota: i32,
    pub payments_window_ms: i64,
    pub transit_allowance_ms: i64,
}

impl From<bcpay_core::RateLimitConfig> for RateLimitConfig {
    fn from(c: bcpay_core::RateLimitConfig) -> Self {
        let bcpay_core::RateLimitConfig {
            payments_quota,
            payments_window_ms,
            transit_allowance_ms,
        } = c;
        RateLimitConfig {
            payments_quota: signed32(payments_quota),
            payments_window_ms: signed(payments_window_ms),
            transit_allowance_ms: signed(transit_allowance_ms),
        }
    }
}

impl RateLimitConfig {
    /// The core's settings; a negative one is a configuration error naming it.
    pub fn to_core(self) -> Result<bcpay_core::RateLimitConfig, PaymentError> {
        let RateLimitConfig {
            payments_quota,
            payments_window_ms,
            transit_allowance_ms,
        } = self;
        let read = || -> Result<_, PaymentError> {
            Ok(bcpay_core::RateLimitConfig {
                payments_quota: whole_number(payments_quota.into(), "rate_limit.payments_quota")?,
                payments_window_ms: whole_number(payments_window_ms, "rate_limit.payments_window_ms")?,
                transit_allowance_ms: whole_number(transit_allowance_ms, "rate_limit.transit_allowance_ms")?,
            })
        };
        read().map_err(json_api::as_configuration)
    }
}

/// The outcome of a whole payment flow (the core's `PaymentReceipt`).
#[derive(uniffi::Record)]
pub struct PaymentReceipt {
    pub order_id: i64,
    /// One entry per instrument taken, in order; none when the order was already paid.
    pub payments: Vec<ProcessedPayment>,
    pub requests_sent: i32,
    pub order_state: OrderPaymentState,
    pub amount_paid: Option<Amount>,
    /// What the order still owes: `"0.00"` when paid.
    pub amount_remaining: Option<Amount>,
    pub currency: Option<String>,
    /// The order's transactions, when the flow read them (`alreadyPaid`, `partiallyPaid`).
    pub transactions: Vec<Transaction>,
}

impl From<bcpay_core::model::PaymentReceipt> for PaymentReceipt {
    fn from(r: bcpay_core::model::PaymentReceipt) -> Self {
        let bcpay_core::model::PaymentReceipt {
            order_id,
            payments,
            requests_sent,
            order_state,
            amount_paid,
            amount_remaining,
            currency,
            transactions,
        } = r;
        PaymentReceipt {
            order_id: signed(order_id),
            payments,
            requests_sent: signed32(requests_sent),
            order_state,
            amount_paid,
            amount_remaining,
            currency,
            transactions,
        }
    }
}

/// An order's payment state and amounts (the core's `OrderPaymentStatus`).
#[derive(uniffi::Record)]
pub struct OrderPaymentStatus {
    pub order_id: i64,
    pub state: OrderPaymentState,
    pub total: Option<Amount>,
    /// Taken or reserved by its transactions (purchases, authorizations, pending, less voids).
    pub paid: Amount,
    pub remaining: Option<Amount>,
    pub currency: Option<String>,
    pub order_status_id: Option<i64>,
    pub transactions: Vec<Transaction>,
}

impl From<bcpay_core::model::OrderPaymentStatus> for OrderPaymentStatus {
    fn from(s: bcpay_core::model::OrderPaymentStatus) -> Self {
        let bcpay_core::model::OrderPaymentStatus {
            order_id,
            state,
            total,
            paid,
            remaining,
            currency,
            order_status_id,
            transactions,
        } = s;
        OrderPaymentStatus {
            order_id: signed(order_id),
            state,
            total,
            paid,
            remaining,
            currency,
            order_status_id,
            transactions,
        }
    }
}

/// One page of an order's transactions; `hasNextPage(page)` says whether another follows.
#[derive(uniffi::Record)]
pub struct TransactionPage {
    pub transactions: Vec<Transaction>,
    pub current_page: i32,
    pub total_pages: i32,
}

impl From<bcpay_core::model::TransactionPage> for TransactionPage {
    fn from(p: bcpay_core::model::TransactionPage) -> Self {
        let bcpay_core::model::TransactionPage {
            transactions,
            current_page,
            total_pages,
        } = p;
        TransactionPage {
            transactions,
            current_page: signed32(current_page),
            total_pages: signed32(total_pages),
        }
    }
}

impl From<TransactionPage> for bcpay_core::model::TransactionPage {
    fn from(p: TransactionPage) -> Self {
        let TransactionPage {
            transactions,
            current_page,
            total_pages,
        } = p;
        let page = |n: i32| u32::try_from(n).unwrap_or(0);
        bcpay_core::model::TransactionPage {
            transactions,
            current_page: page(current_page),
            total_pages: page(total_pages),
        }
    }
}
