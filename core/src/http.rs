//! The hand-off between the core and a host's HTTP client: plain request and response records.
//!
//! The core builds a complete [`HttpRequest`] (method, absolute URL, headers, body); the host
//! sends it as is and hands back an [`HttpResponse`] or a [`TransportFailure`].

use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroize;

/// Identifies one outgoing request so its response can be matched to it, and names it in logs.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.0)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which API call a request makes; for logs, metrics and error reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `GET /v3/payments/methods`
    GetPaymentMethods,
    /// `POST /v3/payments/access_tokens`
    CreatePaymentAccessToken,
    /// `POST payments.bigcommerce.com/stores/{hash}/payments`
    ProcessPayment,
    /// `POST /v2/orders`
    CreateOrder,
    /// `GET /v2/orders/{id}`
    GetOrder,
    /// `GET /v3/orders/{id}/transactions`
    GetOrderTransactions,
    /// `POST /v3/orders/{id}/payment_actions/capture`
    CapturePayment,
    /// `POST /v3/orders/{id}/payment_actions/void`
    VoidPayment,
    /// `POST /v3/orders/{id}/payment_actions/refund_quotes`
    CreateRefundQuote,
    /// `POST /v3/orders/{id}/payment_actions/refunds`
    CreateRefund,
    /// `GET /v3/orders/{id}/payment_actions/refunds`
    ListRefunds,
    /// `GET /v3/customers/{id}/stored-instruments`
    GetStoredInstruments,
}

impl Endpoint {
    /// Every endpoint, for tables and tests.
    pub const ALL: [Endpoint; 12] = [
        Endpoint::GetPaymentMethods,
        Endpoint::CreatePaymentAccessToken,
        Endpoint::ProcessPayment,
        Endpoint::CreateOrder,
        Endpoint::GetOrder,
        Endpoint::GetOrderTransactions,
        Endpoint::CapturePayment,
        Endpoint::VoidPayment,
        Endpoint::CreateRefundQuote,
        Endpoint::CreateRefund,
        Endpoint::ListRefunds,
        Endpoint::GetStoredInstruments,
    ];

    /// The endpoint named `name` (its [`as_str`](Self::as_str)). A lookup in [`ALL`](Self::ALL)
    /// rather than serde's: the derived visitor costs the wasm module half a kilobyte.
    pub fn named(name: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// The snake_case name used in vectors, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::GetPaymentMethods => "get_payment_methods",
            Endpoint::CreatePaymentAccessToken => "create_payment_access_token",
            Endpoint::ProcessPayment => "process_payment",
            Endpoint::CreateOrder => "create_order",
            Endpoint::GetOrder => "get_order",
            Endpoint::GetOrderTransactions => "get_order_transactions",
            Endpoint::CapturePayment => "capture_payment",
            Endpoint::VoidPayment => "void_payment",
            Endpoint::CreateRefundQuote => "create_refund_quote",
            Endpoint::CreateRefund => "create_refund",
            Endpoint::ListRefunds => "list_refunds",
            Endpoint::GetStoredInstruments => "get_stored_instruments",
        }
    }

    /// Whether a request to this endpoint can move money, so that resending it blindly after an
    /// unclear outcome could charge, capture, void or refund twice.
    pub fn moves_money(self) -> bool {
        matches!(
            self,
            Endpoint::ProcessPayment | Endpoint::CapturePayment | Endpoint::VoidPayment | Endpoint::CreateRefund
        )
    }
}

impl Endpoint {
    /// Whether sending this request twice has the effect of sending it once, so that a request
    /// that may have been acted on (a 5xx, a timeout) may go again: reads, a new payment access
    /// token (an unused one expires harmlessly) and a refund quote (it changes nothing). See
    /// [`crate::session::may_resend`].
    pub fn is_safe_to_repeat(self) -> bool {
        matches!(
            self,
            Endpoint::GetPaymentMethods
                | Endpoint::CreatePaymentAccessToken
                | Endpoint::GetOrder
                | Endpoint::GetOrderTransactions
                | Endpoint::CreateRefundQuote
                | Endpoint::ListRefunds
                | Endpoint::GetStoredInstruments
        )
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
}

impl Method {
    /// `"GET"` or `"POST"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One header line.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    /// Header name as sent (lookup is case-insensitive).
    pub name: String,
    /// Header value.
    pub value: String,
}

impl Header {
    /// A header from a name and a value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }

    fn is_credential(&self) -> bool {
        self.name.eq_ignore_ascii_case("authorization") || self.name.eq_ignore_ascii_case("x-auth-token")
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_credential() {
            write!(f, "{}: [redacted]", self.name)
        } else {
            write!(f, "{}: {}", self.name, self.value)
        }
    }
}

/// Whether `value` can be sent as an HTTP header value: no control characters but tab (RFC 9110
/// §5.5). A line break would let a token smuggle in a header of its own, and HTTP clients refuse
/// such values each in their own way, so secrets that become headers are checked here first.
pub fn is_header_value(value: &str) -> bool {
    // Without an early exit, so the compiler can check many bytes a step (tokens run to 1 KB).
    !value.bytes().fold(false, |bad, b| bad | (b < 0x20 && b != b'\t') | (b == 0x7f))
}

/// Wipes header values, which can be the API token or a payment access token. Names stay: they
/// are the protocol's, not secrets.
fn wipe_header_values(headers: &mut [Header]) {
    for header in headers {
        header.value.zeroize();
    }
}

/// Case-insensitive header lookup over a header list.
pub fn find_header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
}

/// A complete request: the host sends exactly this and must not re-route or rewrite it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// Matches the response back to this request; never empty.
    pub id: RequestId,
    /// The API call this request makes.
    pub endpoint: Endpoint,
    /// HTTP method.
    pub method: Method,
    /// Absolute URL including the query string.
    pub url: String,
    /// Headers to send, in order.
    pub headers: Vec<Header>,
    /// Body bytes (JSON), if any.
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// Case-insensitive header lookup.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body parsed as JSON, for tests and tools (`None` without a body).
    pub fn body_json(&self) -> Option<serde_json::Value> {
        self.body.as_ref().and_then(|b| serde_json::from_slice(b).ok())
    }
}

impl Drop for HttpRequest {
    /// Process Payment bodies hold card data, and header values the API token or the payment
    /// access token: wipe them when the request is dropped.
    fn drop(&mut self) {
        if let Some(body) = &mut self.body {
            body.zeroize();
        }
        wipe_header_values(&mut self.headers);
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Process Payment bodies carry card data; show only their size.
        let body = match (&self.body, self.endpoint) {
            (None, _) => "none".to_owned(),
            (Some(b), Endpoint::ProcessPayment) => format!("[redacted, {} bytes]", b.len()),
            (Some(b), _) => String::from_utf8_lossy(b).into_owned(),
        };
        f.debug_struct("HttpRequest")
            .field("id", &self.id)
            .field("endpoint", &self.endpoint)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body", &body)
            .finish()
    }
}

/// What the server answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<Header>,
    /// Response body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response from status, headers and body.
    pub fn new(status: u16, headers: Vec<Header>, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status,
            headers,
            body: body.into(),
        }
    }

    /// Case-insensitive header lookup.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The lookup the core makes: only of [`RESPONSE_HEADERS_READ`] (checked in debug builds, so
    /// that the list the default transports filter by stays complete).
    pub(crate) fn read_header(&self, name: &str) -> Option<&str> {
        debug_assert!(RESPONSE_HEADERS_READ.contains(&name), "{name} is not in RESPONSE_HEADERS_READ");
        find_header(&self.headers, name)
    }
}

/// Every response header the core reads, in lower case: the server's waits and rate-limit budget,
/// and its id of the exchange. The default transports hand over only these (each other header
/// would cost a copy per response in every host, and across a foreign-function boundary).
pub const RESPONSE_HEADERS_READ: [&str; 7] = [
    "retry-after",
    "x-retry-after",
    "x-rate-limit-time-reset-ms",
    "x-rate-limit-requests-left",
    "x-request-id",
    "x-correlation-id",
    "cf-ray",
];

/// Whether the core reads the response header `name` ([`RESPONSE_HEADERS_READ`]), in any case.
pub fn is_read_header(name: &str) -> bool {
    RESPONSE_HEADERS_READ.iter().any(|read| read.eq_ignore_ascii_case(name))
}

/// Bodies can hold a payment access token or stored-instrument tokens: whoever owns a response
/// can hold it in `Zeroizing` so that it is wiped once read, as the Rust client does. (Not a
/// `Drop` impl: uniffi moves the fields out of the record.)
impl Zeroize for HttpResponse {
    fn zeroize(&mut self) {
        self.body.zeroize();
        wipe_header_values(&mut self.headers);
    }
}

/// Why the host got no response. The distinction decides whether a payment may be resent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportFailure {
    /// The server certainly never saw the request: DNS failure, connection refused, TLS
    /// handshake failure before any byte of the request was written.
    NotSent,
    /// The connection broke after the request was (partly) written: the server may have acted.
    MaybeSent,
    /// No answer in time. The server may have acted.
    TimedOut,
}

impl TransportFailure {
    /// The failure named `name` (its [`as_str`](Self::as_str)); see [`Endpoint::named`].
    pub fn named(name: &str) -> Option<TransportFailure> {
        [TransportFailure::NotSent, TransportFailure::MaybeSent, TransportFailure::TimedOut]
            .into_iter()
            .find(|f| f.as_str() == name)
    }

    /// Whether the server might have received and acted on the request.
    pub fn may_have_reached_server(self) -> bool {
        !matches!(self, TransportFailure::NotSent)
    }

    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportFailure::NotSent => "not_sent",
            TransportFailure::MaybeSent => "maybe_sent",
            TransportFailure::TimedOut => "timed_out",
        }
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_refuse_control_characters_but_tab() {
        assert!(is_header_value("PAT eyJ0eXAi.eyJleHAi.c2ln"));
        assert!(is_header_value("a\tb"));
        for bad in ["a\r\nX-Injected: 1", "a\nb", "a\0b", "a\u{7f}b"] {
            assert!(!is_header_value(bad), "{bad:?}");
        }
    }

    #[test]
    fn header_lookup_ignores_case() {
        let r = HttpResponse::new(200, vec![Header::new("X-Rate-Limit-Requests-Left", "3")], "");
        assert_eq!(r.header("x-rate-limit-requests-left"), Some("3"));
        assert_eq!(r.header("missing"), None);
    }

    #[test]
    fn request_debug_redacts_credentials_and_payment_body() {
        let req = HttpRequest {
            id: RequestId("req-1".into()),
            endpoint: Endpoint::ProcessPayment,
            method: Method::Post,
            url: "https://payments.example/stores/abc/payments".into(),
            headers: vec![
                Header::new("Authorization", "PAT secret.jwt.value"),
                Header::new("X-Auth-Token", "apitoken123"),
            ],
            body: Some(br#"{"number":"4242424242424242"}"#.to_vec()),
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("secret.jwt.value"));
        assert!(!shown.contains("apitoken123"));
        assert!(!shown.contains("4242424242424242"));
        assert!(shown.contains("req-1"));
    }
}

impl crate::read::FromJson for Header {
    const EXPECTED: &'static str = "a header object ({name, value})";
    fn from_json(v: &crate::read::Json<'_>, at: &crate::read::Path<'_>) -> Result<Self, crate::read::ShapeError> {
        let f = crate::read::Fields::of(v, at, Self::EXPECTED)?;
        Ok(Header {
            name: f.req("name")?,
            value: f.req("value")?,
        })
    }
}

crate::read::deserialize_with_reader!(Header);
