//! The one error type, [`PaymentError`], and the classification of every failure into it.
//!
//! A failure is classified once, here: by the documented API error code when the body carries
//! one, else by the HTTP status class. Each class fixes the error's [`ErrorKind`], its
//! [`RetryAdvice`], the shopper-safe message and the developer remedy (the docs' error table).

use crate::http::{Endpoint, HttpResponse, RequestId, TransportFailure};
use crate::read::Json;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One problem with one input field, found before any request was built or reported by the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `payment.instrument.number`.
    pub path: String,
    /// Machine-readable code, e.g. `luhn_check_failed`.
    pub code: String,
    /// Human-readable explanation. Never contains the field's value.
    pub description: String,
}

impl FieldError {
    /// A field error from its parts.
    pub fn new(path: impl Into<String>, code: &str, description: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            code: code.to_owned(),
            description: description.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.description, self.code)
    }
}

/// What went wrong, by meaning. Hosts map these onto exception classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Input failed validation before any request was built (see `field_errors`).
    Validation,
    /// The SDK was configured wrongly (store hash, base URL).
    Configuration,
    /// The API token or the payment access token was missing, invalid, expired or lacks scope.
    Authentication,
    /// The store's payment setup rejects the request (30000, 30001, 30002).
    MerchantSetup,
    /// The order cannot be paid in its current state (30003, 30004, 30101).
    OrderState,
    /// The card or account was declined (30102, 30103, 30104, 30106, 30107).
    Declined,
    /// The gateway saw a duplicate transaction (30105). Never pay again; confirm the order.
    DuplicatePayment,
    /// The request was rejected as invalid (10001, 30050, 30051, 400, 422).
    InvalidRequest,
    /// The resource does not exist (404).
    NotFound,
    /// The request conflicts with the resource's state (409).
    Conflict,
    /// Too many requests (429).
    RateLimited,
    /// The server failed (5xx, 10000, 30100).
    Server,
    /// The response could not be understood: HTML, empty, truncated, wrong types, too large.
    InvalidResponse,
    /// No response arrived and retries are exhausted.
    Transport,
    /// A payment may or may not have been taken; reconciliation could not settle it.
    AmbiguousOutcome,
    /// The caller cancelled, or the time budget ran out, while nothing that may have moved money
    /// was unsettled (otherwise the error is `AmbiguousOutcome`).
    Cancelled,
}

impl ErrorKind {
    /// snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::Configuration => "configuration",
            ErrorKind::Authentication => "authentication",
            ErrorKind::MerchantSetup => "merchant_setup",
            ErrorKind::OrderState => "order_state",
            ErrorKind::Declined => "declined",
            ErrorKind::DuplicatePayment => "duplicate_payment",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::Transport => "transport",
            ErrorKind::AmbiguousOutcome => "ambiguous_outcome",
            ErrorKind::Cancelled => "cancelled",
        }
    }

    /// Every kind, for tables and tests.
    pub const ALL: [ErrorKind; 16] = [
        ErrorKind::Validation,
        ErrorKind::Configuration,
        ErrorKind::Authentication,
        ErrorKind::MerchantSetup,
        ErrorKind::OrderState,
        ErrorKind::Declined,
        ErrorKind::DuplicatePayment,
        ErrorKind::InvalidRequest,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::InvalidResponse,
        ErrorKind::Transport,
        ErrorKind::AmbiguousOutcome,
        ErrorKind::Cancelled,
    ];

    /// The name of the error class hosts raise for this kind (each host's base class is
    /// `BcpayError`): one class per kind, named here so every host names it alike. `Transport` is
    /// `NoResponseError`, leaving `TransportError` to what a transport itself throws.
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "ValidationError",
            ErrorKind::Configuration => "ConfigurationError",
            ErrorKind::Authentication => "AuthenticationError",
            ErrorKind::MerchantSetup => "MerchantSetupError",
            ErrorKind::OrderState => "OrderStateError",
            ErrorKind::Declined => "DeclinedError",
            ErrorKind::DuplicatePayment => "DuplicatePaymentError",
            ErrorKind::InvalidRequest => "InvalidRequestError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::Conflict => "ConflictError",
            ErrorKind::RateLimited => "RateLimitedError",
            ErrorKind::Server => "ServerError",
            ErrorKind::InvalidResponse => "InvalidResponseError",
            ErrorKind::Transport => "NoResponseError",
            ErrorKind::AmbiguousOutcome => "AmbiguousOutcomeError",
            ErrorKind::Cancelled => "CancelledError",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a caller may do about an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RetryAdvice {
    /// Do not retry: the same request will fail the same way, or retrying could charge twice.
    Never,
    /// The same request may be sent again after this many milliseconds.
    After {
        /// Milliseconds to wait.
        ms: u64,
    },
    /// Create a new payment access token, then retry.
    WithNewToken,
    /// A payment may have been taken: read the order's transactions before doing anything else.
    Reconcile,
}

/// Default wait when a server asks us to slow down without saying for how long.
pub const DEFAULT_RETRY_AFTER_MS: u64 = 4_000;
/// Default wait before retrying a server error from a single call.
pub const DEFAULT_SERVER_RETRY_MS: u64 = 1_000;

/// The error every bcpay operation returns.
///
/// Its `Display` and `Debug` never contain card data or tokens: server-provided text is scrubbed
/// of anything that looks like a card number or a JWT before it is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentError {
    /// What went wrong, by meaning.
    pub kind: ErrorKind,
    /// HTTP status, when the error came from a response.
    pub status: Option<u16>,
    /// The API's numeric error code (`30102`, …), preserved even when undocumented.
    pub code: Option<i64>,
    /// A non-numeric error code string from the body, if that is what the server sent.
    pub code_text: Option<String>,
    /// Short summary (from the server's `title`, or ours).
    pub title: String,
    /// Longer explanation (from the server's `detail`), if any.
    pub detail: Option<String>,
    /// Field-level problems: from validation or from the server's `errors` object.
    pub field_errors: Vec<FieldError>,
    /// A message safe to show the shopper.
    pub shopper_message: String,
    /// What the developer or merchant should do.
    pub remedy: String,
    /// The API call that failed, if any.
    pub endpoint: Option<Endpoint>,
    /// The id of the request that failed, if any (bcpay's own: it is not sent).
    pub request_id: Option<RequestId>,
    /// The server's id of the exchange, when the failed response carried one
    /// ([`crate::observe::CORRELATION_HEADERS`]): the id to quote to BigCommerce.
    pub server_request_id: Option<String>,
    /// What the caller may do next.
    pub retry: RetryAdvice,
    /// In split payments: the payments already taken before this error (the order is not fully
    /// paid). Empty otherwise.
    pub payments_taken: Vec<crate::model::ProcessedPayment>,
}

impl PaymentError {
    /// An error of `kind` with our own title, and defaults for everything else.
    pub fn new(kind: ErrorKind, title: impl Into<String>) -> Self {
        let (shopper_message, remedy) = default_texts(kind);
        PaymentError {
            kind,
            status: None,
            code: None,
            code_text: None,
            title: title.into(),
            detail: None,
            field_errors: Vec::new(),
            shopper_message: shopper_message.to_owned(),
            remedy: remedy.to_owned(),
            endpoint: None,
            request_id: None,
            server_request_id: None,
            retry: RetryAdvice::Never,
            payments_taken: Vec::new(),
        }
    }

    /// A validation error carrying every field error found.
    pub fn validation(field_errors: Vec<FieldError>) -> Self {
        let mut e = PaymentError::new(ErrorKind::Validation, "The input is invalid");
        e.detail = Some(joined(field_errors.iter().map(|f| format!("{}: {}", f.path, f.code)), "; "));
        e.field_errors = field_errors;
        e
    }

    /// A configuration error about one setting.
    pub fn configuration(path: &str, code: &str, description: &str) -> Self {
        let mut e = PaymentError::new(ErrorKind::Configuration, "The client configuration is invalid");
        e.detail = Some(description.to_owned());
        e.field_errors = vec![FieldError::new(path, code, description)];
        e
    }

    /// A response that could not be understood.
    pub fn invalid_response(endpoint: Endpoint, id: &RequestId, status: u16, why: &str) -> Self {
        let mut e = PaymentError::new(ErrorKind::InvalidResponse, "The response could not be understood");
        e.detail = Some(why.to_owned());
        e.status = Some(status);
        // An answer we cannot read (too large, cut off, not JSON) to a call that moves money does
        // not say whether the money moved.
        if endpoint.moves_money() {
            e.retry = RetryAdvice::Reconcile;
        }
        e.at(endpoint, id)
    }

    /// A transport failure reported for a request that will not be retried.
    pub fn transport(endpoint: Endpoint, id: &RequestId, failure: TransportFailure, cause: Option<&str>) -> Self {
        let mut e = PaymentError::new(ErrorKind::Transport, "No response from the server");
        e.detail = Some(match cause {
            Some(cause) if !cause.is_empty() => format!("transport failure: {failure} ({cause})"),
            _ => format!("transport failure: {failure}"),
        });
        e.retry = if endpoint.moves_money() && failure.may_have_reached_server() {
            RetryAdvice::Reconcile
        } else {
            RetryAdvice::After {
                ms: DEFAULT_SERVER_RETRY_MS,
            }
        };
        e.at(endpoint, id)
    }

    /// An operation that stopped before its end with nothing unclear sent (see
    /// [`crate::session::Stop`]): `Cancelled`, which may be retried at once.
    pub fn stopped(why: crate::session::Stop, detail: &str) -> Self {
        let title = match why {
            crate::session::Stop::Cancelled => "The operation was cancelled",
            crate::session::Stop::OutOfTime => "The operation ran out of time",
        };
        let mut e = PaymentError::new(ErrorKind::Cancelled, title);
        e.detail = Some(format!("Stopped because {}. {detail}", why.reason()));
        e.retry = RetryAdvice::After { ms: 0 };
        e
    }

    /// Tags the error with the request it belongs to.
    pub fn at(mut self, endpoint: Endpoint, id: &RequestId) -> Self {
        self.endpoint = Some(endpoint);
        self.request_id = Some(id.clone());
        self
    }

    /// Replaces every occurrence of each of `secrets` in the server-provided text this error keeps
    /// (title, detail, field errors). [`scrub`] already removes what looks like a card number or
    /// a JWT; this removes values the client knows exactly, whatever their shape: the API token,
    /// an opaque payment access token, a CVV. Values under 3 characters are left alone (they
    /// would blank ordinary words and numbers; a 3-digit CVV is the shortest secret).
    pub fn redact_values<'a>(&mut self, secrets: impl IntoIterator<Item = &'a str>) {
        for secret in secrets.into_iter().filter(|s| s.trim().len() >= 3) {
            let texts = std::iter::once(&mut self.title)
                .chain(self.detail.as_mut())
                .chain(self.code_text.as_mut())
                .chain(self.server_request_id.as_mut())
                .chain(self.field_errors.iter_mut().flat_map(|f| [&mut f.path, &mut f.description]));
            for text in texts {
                redact_value(text, secret);
            }
        }
    }

    /// Whether the shopper's card or account was refused (so asking for another is right).
    pub fn is_decline(&self) -> bool {
        self.kind == ErrorKind::Declined
    }

    /// Whether the order may have been paid anyway, so the next step is to confirm it (read its
    /// transactions and status), never to pay again: an ambiguous outcome, a gateway that saw
    /// a duplicate (30105: the first payment may have gone through), or any error that advises
    /// reconciling.
    pub fn needs_confirmation(&self) -> bool {
        matches!(self.kind, ErrorKind::AmbiguousOutcome | ErrorKind::DuplicatePayment) || self.retry == RetryAdvice::Reconcile
    }
}

/// `parts` with `separator` between them: `[T]::join` without its generic machinery, which costs
/// the wasm module a kilobyte.
pub(crate) fn joined(parts: impl Iterator<Item = String>, separator: &str) -> String {
    let mut out = String::new();
    for (i, part) in parts.enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(&part);
    }
    out
}

impl fmt::Display for PaymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, " — {detail}")?;
        }
        if let Some(code) = self.code {
            write!(f, " (code {code})")?;
        }
        if let Some(status) = self.status {
            write!(f, " [HTTP {status}]")?;
        }
        if let (Some(endpoint), Some(id)) = (self.endpoint, &self.request_id) {
            write!(f, " [{endpoint} {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for PaymentError {}

/// What the docs' error table says about one code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentedCode {
    /// The code.
    pub code: i64,
    /// Its meaning, by kind.
    pub kind: ErrorKind,
    /// The table's description, shown to shoppers where the table meant it for them.
    pub description: &'static str,
    /// The table's "possible solutions", or ours where the table says N/A.
    pub remedy: &'static str,
}

const GENERIC_SHOPPER: &str = "We couldn't process your payment. Please try again later or use a different payment method.";

/// The Payments API error table (newest edition). `3001` in the older edition is `30001`.
pub const DOCUMENTED_CODES: &[DocumentedCode] = &[
    DocumentedCode {
        code: 10000,
        kind: ErrorKind::Server,
        description: "We're experiencing difficulty processing your transaction. Please try again later.",
        remedy: "Connection error between BigCommerce and the gateway. Retry calls that cannot move money; for Process Payment, reconcile the order's transactions before paying again.",
    },
    DocumentedCode {
        code: 10001,
        kind: ErrorKind::InvalidRequest,
        description: "Unable to process the payment because invalid data was supplied with the transaction.",
        remedy: "Missing or incorrect fields: check the request for data that is incorrect or missing.",
    },
    DocumentedCode {
        code: 30000,
        kind: ErrorKind::MerchantSetup,
        description: "Merchant payment configuration could not be found.",
        remedy: "The payment provider has not been configured in the store: check the payment gateway settings in the BigCommerce control panel.",
    },
    DocumentedCode {
        code: 30001,
        kind: ErrorKind::MerchantSetup,
        description: "Merchant payment configuration is not configured correctly.",
        remedy: "The gateway rejects the payment configuration: check the gateway settings in the control panel and confirm the credentials with the payment gateway.",
    },
    DocumentedCode {
        code: 30002,
        kind: ErrorKind::MerchantSetup,
        description: "Vaulting service is currently not available.",
        remedy: "Stored cards are not enabled on this store: ask the store owner to enable Stored Credit Cards.",
    },
    DocumentedCode {
        code: 30003,
        kind: ErrorKind::OrderState,
        description: "Order could not be found.",
        remedy: "The order does not exist or the ID is wrong: check the store's orders with Get All Orders.",
    },
    DocumentedCode {
        code: 30004,
        kind: ErrorKind::OrderState,
        description: "The validation on line item and grand total does not match.",
        remedy: "Recreate the payment access token; if it persists recreate the order and check the store's tax and discount settings.",
    },
    DocumentedCode {
        code: 30050,
        kind: ErrorKind::InvalidRequest,
        description: "Payment instrument could not be saved.",
        remedy: "Check the card information: expiry_month is two digits and expiry_year is four digits.",
    },
    DocumentedCode {
        code: 30051,
        kind: ErrorKind::InvalidRequest,
        description: "That stored payment instrument could not be found. Please try a different payment option.",
        remedy: "The stored instrument is not associated with the shopper: use Get Payment Methods to list the shopper's stored instruments.",
    },
    DocumentedCode {
        code: 30100,
        kind: ErrorKind::Server,
        description: "Payment access token could not be created.",
        remedy: "Retry token creation; if it persists check that the order exists and is Incomplete and that the API account has the Create Payments scope.",
    },
    DocumentedCode {
        code: 30101,
        kind: ErrorKind::OrderState,
        description: "Order is invalid.",
        remedy: "The order is in the wrong status: orders must be Incomplete (status_id 0) and created by the Checkout SDK, Checkout API or V2 Orders API (not in the control panel).",
    },
    DocumentedCode {
        code: 30102,
        kind: ErrorKind::Declined,
        description: "Your card details could not be verified. Please double check them and try again.",
        remedy: "Check the shopper's card details, and that the Authorization header carries the right payment access token.",
    },
    DocumentedCode {
        code: 30103,
        kind: ErrorKind::Declined,
        description: "Your card has expired. Please try again with a valid card.",
        remedy: "Ask the shopper for a card that has not expired.",
    },
    DocumentedCode {
        code: 30104,
        kind: ErrorKind::Declined,
        description: "There was a problem processing your card. Please contact your card issuer.",
        remedy: "The issuer refused the card: ask the shopper to contact their card issuer or use another card.",
    },
    DocumentedCode {
        code: 30105,
        kind: ErrorKind::DuplicatePayment,
        description: "This is a duplicate transaction. Please contact us to confirm your order. Do not try to pay again.",
        remedy: "Never retry: check the order's transactions and status to confirm whether it is already paid.",
    },
    DocumentedCode {
        code: 30106,
        kind: ErrorKind::Declined,
        description: "The payment was declined due to insufficient funds.",
        remedy: "Ask the shopper for another payment method.",
    },
    DocumentedCode {
        code: 30107,
        kind: ErrorKind::Declined,
        description: "The authorization for this transaction has been revoked.",
        remedy: "The shopper revoked the authorization of the stored PayPal account: ask for another payment method.",
    },
];

/// The table entry for `code`, treating the older edition's `3001` as `30001`.
pub fn documented_code(code: i64) -> Option<&'static DocumentedCode> {
    let code = if code == 3001 { 30001 } else { code };
    DOCUMENTED_CODES.iter().find(|d| d.code == code)
}

fn default_texts(kind: ErrorKind) -> (&'static str, &'static str) {
    match kind {
        ErrorKind::Validation => (
            "Please check your payment details and try again.",
            "Fix the fields listed in field_errors.",
        ),
        ErrorKind::Configuration => (GENERIC_SHOPPER, "Fix the client configuration named in field_errors."),
        ErrorKind::Authentication => (
            GENERIC_SHOPPER,
            "Check the API account's access token and its scopes (Create Payments, Get Payment Methods, Orders, Transactions); for Process Payment, create a new payment access token.",
        ),
        ErrorKind::MerchantSetup => (GENERIC_SHOPPER, "Check the store's payment gateway settings in the control panel."),
        ErrorKind::OrderState => (GENERIC_SHOPPER, "Check the order exists and is Incomplete (status_id 0)."),
        ErrorKind::Declined => (
            "Your payment was declined. Please use a different payment method.",
            "Ask the shopper for another payment method.",
        ),
        ErrorKind::DuplicatePayment => (
            "This is a duplicate transaction. Please contact us to confirm your order. Do not try to pay again.",
            "Never retry: confirm the order's transactions and status.",
        ),
        ErrorKind::InvalidRequest => (
            GENERIC_SHOPPER,
            "Check the request against the API reference; field_errors names the fields when the server said.",
        ),
        ErrorKind::NotFound => (GENERIC_SHOPPER, "Check the store hash and the resource id."),
        ErrorKind::Conflict => (GENERIC_SHOPPER, "The resource changed state: read it again before retrying."),
        ErrorKind::RateLimited => (GENERIC_SHOPPER, "Slow down: wait for the time in `retry` before sending again."),
        ErrorKind::Server => (
            GENERIC_SHOPPER,
            "The server failed: retry later; for Process Payment reconcile the order first.",
        ),
        ErrorKind::InvalidResponse => (
            GENERIC_SHOPPER,
            "The server sent something that is not the API's JSON (an HTML page, a proxy error, a truncated body): check the base URLs and any proxy in between.",
        ),
        ErrorKind::Transport => (GENERIC_SHOPPER, "Check network connectivity to the API hosts."),
        ErrorKind::AmbiguousOutcome => (
            "We couldn't confirm your payment. Please don't pay again until we contact you.",
            "The payment may have been taken. Check the order's transactions (GET /v3/orders/{id}/transactions) and status before paying again.",
        ),
        ErrorKind::Cancelled => (
            GENERIC_SHOPPER,
            "Nothing unclear was sent: the operation may be started again (with a longer time budget, if it ran out).",
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Error bodies
// ---------------------------------------------------------------------------------------------

/// What could be read from an error body, whatever its shape.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ErrorBody {
    pub code: Option<i64>,
    pub code_text: Option<String>,
    pub title: Option<String>,
    pub detail: Option<String>,
    pub field_errors: Vec<FieldError>,
}

fn text_of(v: &Json<'_>) -> Option<String> {
    match v {
        Json::String(s) if !s.trim().is_empty() => Some(scrub(s)),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn set_code(body: &mut ErrorBody, v: &Json<'_>) {
    match v {
        Json::Number(n) => body.code = n.as_i64(),
        Json::String(s) => match s.trim().parse::<i64>() {
            Ok(n) => body.code = Some(n),
            Err(_) if !s.trim().is_empty() => body.code_text = Some(scrub(s.trim())),
            Err(_) => {}
        },
        _ => {}
    }
}

/// Reads one error object: `{status,title,type,detail,code,errors}` or `{code,message}` or
/// V2's `{status,message,details}`.
fn read_error_object(body: &mut ErrorBody, obj: &Json<'_>) {
    if body.code.is_none() && body.code_text.is_none() {
        if let Some(c) = obj.get("code") {
            set_code(body, c);
        }
    }
    if body.title.is_none() {
        body.title = obj.get("title").and_then(text_of).or_else(|| obj.get("message").and_then(text_of));
    }
    if body.detail.is_none() {
        body.detail = obj.get("detail").and_then(text_of).or_else(|| obj.get("error").and_then(text_of));
        if body.detail.is_none() && obj.get("title").is_some() {
            body.detail = obj.get("message").and_then(text_of);
        }
    }
    match obj.get("errors") {
        // `errors: {field: message}`; values may also be arrays or objects in the wild.
        Some(Json::Object(fields)) => {
            for (field, v) in fields {
                let description = match v {
                    Json::Array(items) => joined(items.iter().filter_map(text_of), "; "),
                    other => text_of(other).unwrap_or_default(),
                };
                body.field_errors
                    .push(FieldError::new(field.to_string(), "server_rejected", description));
            }
        }
        // `errors: [{code, message}]`
        Some(Json::Array(items)) => {
            for item in items {
                match item {
                    o @ Json::Object(_) => {
                        if body.code.is_none() && body.code_text.is_none() {
                            if let Some(c) = o.get("code") {
                                set_code(body, c);
                            }
                        }
                        let path = o.get("field").or_else(|| o.get("path")).and_then(text_of).unwrap_or_default();
                        let code = o.get("code").and_then(text_of).unwrap_or_else(|| "server_rejected".into());
                        let description = o
                            .get("message")
                            .or_else(|| o.get("title"))
                            .or_else(|| o.get("detail"))
                            .and_then(text_of)
                            .unwrap_or_default();
                        if body.title.is_none() {
                            body.title = Some(description.clone()).filter(|d| !d.is_empty());
                        }
                        body.field_errors.push(FieldError { path, code, description });
                    }
                    other => {
                        if let Some(t) = text_of(other) {
                            body.field_errors.push(FieldError::new("", "server_rejected", t));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    if let Some(details @ Json::Object(_)) = obj.get("details") {
        if let Some(Json::Array(invalid)) = details.get("invalid_reason") {
            for item in invalid {
                if let Some(t) = text_of(item) {
                    body.field_errors.push(FieldError::new("", "server_rejected", t));
                }
            }
        }
    }
}

/// Reads any error body shape the specs show. Never fails: unreadable bodies give an empty
/// [`ErrorBody`] and the caller classifies by status alone.
pub(crate) fn read_error_body(bytes: &[u8]) -> ErrorBody {
    let mut body = ErrorBody::default();
    let Ok(doc) = crate::read::document(bytes) else {
        return body;
    };
    match &doc.0 {
        obj @ Json::Object(_) => {
            // `{data: [{…}]}` (refund errors) or `{data: {…}}`
            let has = |key: &str| obj.get(key).is_some();
            match obj.get("data") {
                Some(Json::Array(items)) if !has("title") => {
                    for item in items {
                        if let o @ Json::Object(_) = item {
                            read_error_object(&mut body, o);
                        }
                    }
                }
                Some(o @ Json::Object(_)) if !has("title") && !has("code") => read_error_object(&mut body, o),
                _ => read_error_object(&mut body, obj),
            }
        }
        // V2: `[{status, message}]`
        Json::Array(items) => {
            for item in items {
                if let o @ Json::Object(_) = item {
                    read_error_object(&mut body, o);
                }
            }
        }
        _ => {}
    }
    body
}

/// Replaces every occurrence of `secret` in `text` with `[redacted]`, wiping the old text. A plain
/// byte scan: `str::replace` would bring its substring searcher into the wasm module for texts
/// of a few hundred bytes.
fn redact_value(text: &mut String, secret: &str) {
    let (bytes, needle) = (text.as_bytes(), secret.as_bytes());
    if !(0..bytes.len()).any(|i| bytes[i..].starts_with(needle)) {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i..].starts_with(needle) {
            // `secret` is whole UTF-8, so both ends of a match are character boundaries.
            out.push_str(text.get(copied..i).unwrap_or_default());
            out.push_str("[redacted]");
            i += needle.len();
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    zeroize::Zeroize::zeroize(text);
    *text = out;
}

/// Replaces anything that looks like a card number (12–19 digits, spaces or dashes allowed) or a
/// JWT in server-provided text, so that an echoing server cannot make us leak it.
pub fn scrub(text: &str) -> String {
    // Works on the bytes in place: the runs it looks for are ASCII, and a copy of the text (as
    // `Vec<char>`) would leave the card number in freed memory. Each replacement is shorter than
    // what it replaces, so `out` never grows (which would also leave copies behind).
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        let secret_end = if bytes[i].is_ascii_digit() {
            // Digit runs, with single spaces or dashes between digits.
            let (mut j, mut digits) = (i, 0);
            while j < bytes.len()
                && (bytes[j].is_ascii_digit() || (matches!(bytes[j], b' ' | b'-') && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)))
            {
                digits += usize::from(bytes[j].is_ascii_digit());
                j += 1;
            }
            if digits < 12 {
                i = j;
                continue;
            }
            Some(j)
        } else if bytes[i..].starts_with(b"eyJ") {
            // JWTs: `eyJ` followed by base64url and dots.
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || matches!(bytes[j], b'-' | b'_' | b'.' | b'=')) {
                j += 1;
            }
            (j - i >= 16).then_some(j)
        } else {
            None
        };
        match secret_end {
            // `copied` and `i` sit on ASCII bytes, so `get` always succeeds. (Not `[..]`: its
            // panic path would pull Unicode tables into the wasm module.)
            Some(j) => {
                out.push_str(text.get(copied..i).unwrap_or_default());
                out.push_str("[redacted]");
                (copied, i) = (j, j);
            }
            None => i += 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

/// Reads `X-Retry-After` (seconds) and `X-Rate-Limit-Time-Reset-Ms`, and returns the longer wait
/// in milliseconds, if either is present.
pub fn retry_after_ms(response: &HttpResponse) -> Option<u64> {
    let parse = |name: &str| {
        response
            .read_header(name)
            .and_then(crate::read::decimal)
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let retry_after = parse("x-retry-after")
        .or_else(|| parse("retry-after"))
        .map(|s| (s * 1000.0).ceil() as u64);
    let reset = parse("x-rate-limit-time-reset-ms").map(|ms| ms.ceil() as u64);
    match (retry_after, reset) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Turns a non-success response into a [`PaymentError`].
pub fn classify_response(endpoint: Endpoint, id: &RequestId, response: &HttpResponse) -> PaymentError {
    let body = read_error_body(&response.body);
    let status = response.status;
    let documented = body.code.and_then(documented_code);

    let kind = match documented {
        Some(d) => d.kind,
        None => match status {
            401 | 403 => ErrorKind::Authentication,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            400 | 405..=428 | 430..=499 => ErrorKind::InvalidRequest,
            500..=599 => ErrorKind::Server,
            // A 1xx/2xx/3xx handed to the error path is not what the API does.
            _ => ErrorKind::InvalidResponse,
        },
    };

    let money = endpoint.moves_money();
    let retry = match kind {
        ErrorKind::RateLimited => RetryAdvice::After {
            ms: retry_after_ms(response).unwrap_or(DEFAULT_RETRY_AFTER_MS),
        },
        // A 5xx or 10000 on a money-moving call says nothing about whether the money moved.
        ErrorKind::Server if money => RetryAdvice::Reconcile,
        ErrorKind::Server => RetryAdvice::After {
            ms: retry_after_ms(response).unwrap_or(DEFAULT_SERVER_RETRY_MS),
        },
        ErrorKind::Authentication if endpoint == Endpoint::ProcessPayment && status == 401 => RetryAdvice::WithNewToken,
        ErrorKind::OrderState if body.code == Some(30004) => RetryAdvice::WithNewToken,
        ErrorKind::InvalidResponse if money => RetryAdvice::Reconcile,
        _ => RetryAdvice::Never,
    };

    let (default_shopper, default_remedy) = default_texts(kind);
    let (shopper_message, remedy, doc_title) = match documented {
        Some(d) => {
            // Declines and duplicates speak to the shopper in the table's words; the rest are
            // for the merchant and get the generic message.
            let shopper = match d.kind {
                ErrorKind::Declined | ErrorKind::DuplicatePayment => d.description,
                _ if d.code == 30051 => d.description,
                _ => GENERIC_SHOPPER,
            };
            (shopper, d.remedy, Some(d.description))
        }
        None => (default_shopper, default_remedy, None),
    };

    let redirect = (300..400).contains(&status);
    let title = match body.title {
        // A redirect's body is the redirecting server's word, not the API's.
        _ if redirect => format!("Unexpected redirect (HTTP {status})"),
        Some(title) => title,
        None => doc_title.map_or_else(|| format!("HTTP {status}"), str::to_owned),
    };
    let detail = if redirect {
        Some(
            "The server answered with a redirect. bcpay never follows one: it could carry the API token or card data to another \
             origin. Check the configured base URLs."
                .to_owned(),
        )
    } else {
        body.detail
    };

    PaymentError {
        kind,
        status: Some(status),
        code: body.code,
        code_text: body.code_text,
        title,
        detail,
        field_errors: if redirect { Vec::new() } else { body.field_errors },
        shopper_message: shopper_message.to_owned(),
        remedy: remedy.to_owned(),
        endpoint: Some(endpoint),
        request_id: Some(id.clone()),
        server_request_id: crate::observe::correlation_id(response, &[]),
        retry,
        payments_taken: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Header;

    fn id() -> RequestId {
        RequestId("t".into())
    }

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(status, vec![], body.as_bytes().to_vec())
    }

    #[test]
    fn every_documented_code_has_a_kind_and_remedy() {
        for d in DOCUMENTED_CODES {
            let body = format!(r#"{{"status":422,"title":"t","type":"x","code":{}}}"#, d.code);
            let e = classify_response(Endpoint::ProcessPayment, &id(), &resp(422, &body));
            assert_eq!(e.kind, d.kind, "code {}", d.code);
            assert_eq!(e.code, Some(d.code));
            assert!(!e.remedy.is_empty());
        }
    }

    #[test]
    fn old_3001_is_30001() {
        let e = classify_response(Endpoint::ProcessPayment, &id(), &resp(400, r#"{"code":"3001","title":"x"}"#));
        assert_eq!(e.kind, ErrorKind::MerchantSetup);
        assert_eq!(e.code, Some(3001));
    }

    #[test]
    fn duplicate_is_never_retried() {
        let e = classify_response(
            Endpoint::ProcessPayment,
            &id(),
            &resp(422, r#"{"code":30105,"title":"dup","status":422,"type":"x"}"#),
        );
        assert_eq!(e.kind, ErrorKind::DuplicatePayment);
        assert_eq!(e.retry, RetryAdvice::Never);
    }

    #[test]
    fn server_error_on_payment_means_reconcile_elsewhere_retry() {
        let pay = classify_response(Endpoint::ProcessPayment, &id(), &resp(502, "<html>Bad gateway</html>"));
        assert_eq!(pay.retry, RetryAdvice::Reconcile);
        let methods = classify_response(Endpoint::GetPaymentMethods, &id(), &resp(503, ""));
        assert_eq!(
            methods.retry,
            RetryAdvice::After {
                ms: DEFAULT_SERVER_RETRY_MS
            }
        );
    }

    #[test]
    fn rate_limit_waits_longer_of_reset_and_retry_after() {
        let r = HttpResponse::new(
            429,
            vec![Header::new("X-Retry-After", "2"), Header::new("X-Rate-Limit-Time-Reset-Ms", "3500")],
            b"".to_vec(),
        );
        let e = classify_response(Endpoint::GetPaymentMethods, &id(), &r);
        assert_eq!(e.retry, RetryAdvice::After { ms: 3500 });
    }

    #[test]
    fn scrub_removes_card_numbers_and_jwts() {
        assert_eq!(scrub("card 4242 4242 4242 4242 bad"), "card [redacted] bad");
        assert_eq!(scrub("order 12345 ok"), "order 12345 ok");
        assert_eq!(
            scrub("token eyJhbGciOiJIUzI1NiJ9.eyJleHAi.sig rejected"),
            "token [redacted] rejected"
        );
    }

    #[test]
    fn reads_every_body_shape() {
        let v2 = read_error_body(br#"[{"status":400,"message":"The field 'status_id' is invalid."}]"#);
        assert_eq!(v2.title.as_deref(), Some("The field 'status_id' is invalid."));
        let arr = read_error_body(br#"{"errors":[{"code":30102,"message":"bad card"}]}"#);
        assert_eq!(arr.code, Some(30102));
        let data =
            read_error_body(br#"{"data":[{"status":422,"title":"Unable to provide store credit for a guest customer.","type":"x"}]}"#);
        assert_eq!(data.title.as_deref(), Some("Unable to provide store credit for a guest customer."));
        let flat = read_error_body(br#"{"code":"30103","message":"expired"}"#);
        assert_eq!(flat.code, Some(30103));
        assert_eq!(read_error_body(b"<html>"), ErrorBody::default());
    }
}
