//! The stateless API: one `build_*` and one `parse_*` per call, pure functions of their inputs.
//!
//! `build_*` validates its input and returns a complete [`HttpRequest`]; `parse_*` turns the
//! [`HttpResponse`] into a typed result or a classified [`PaymentError`]. Users who drive calls
//! one by one use this directly; [`PaymentFlow`](crate::flow::PaymentFlow) uses it too.

use crate::config::ClientConfig;
use crate::error::{FieldError, PaymentError, classify_response};
use crate::http::{Endpoint, Header, HttpRequest, HttpResponse, Method, RequestId};
use crate::model::*;
use crate::read::{self, Fields, FromJson, Json, Path, ShapeError};
use crate::rng::Entropy;
use crate::secret::PatSecret;
use crate::validate;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use zeroize::Zeroizing;

/// `Accept` for the Payments API host.
pub const PAYMENTS_ACCEPT: &str = "application/vnd.bc.v1+json";
/// `Accept`/`Content-Type` for the management API.
pub const JSON: &str = "application/json";
/// Page size used when reading order transactions.
pub const TRANSACTIONS_PAGE_LIMIT: u32 = 250;

/// Which order or checkout to list payment methods for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MethodsQuery {
    /// `?order_id=`
    OrderId(u64),
    /// `?checkout_id=` (the cart id)
    CheckoutId(String),
}

/// `parts` joined, in one allocation with room for `more` bytes after them.
fn concat(parts: &[&str], more: usize) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + more);
    parts.iter().for_each(|part| out.push_str(part));
    out
}

/// Appends `n` in decimal (what `format!("{n}")` writes, without the formatting machinery).
pub fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[at..].iter().for_each(|&d| out.push(char::from(d)));
}

/// `n` in decimal.
fn decimal(n: u64) -> String {
    let mut out = String::with_capacity(20);
    push_decimal(&mut out, n);
    out
}

/// Builds and parses every call for one store. Cheap to share: building takes `&self`.
#[derive(Debug)]
pub struct Api {
    config: ClientConfig,
    id_prefix: u64,
    next_id: AtomicU64,
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn is_false(b: &bool) -> bool {
    !*b
}

// Borrowing wire structs: card data goes from the secret types straight into the body bytes.
#[derive(Serialize)]
struct WirePaymentRequest<'a> {
    payment: WirePayment<'a>,
}

#[derive(Serialize)]
pub(crate) struct WirePayment<'a> {
    instrument: WireInstrument<'a>,
    payment_method_id: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    save_instrument: bool,
}

/// The card number's digits when the payment carries a card (the wire form borrows them).
pub(crate) fn payment_digits(payment: &Payment) -> Zeroizing<String> {
    match &payment.instrument {
        PaymentInstrument::Card(c) => c.number.digits(),
        _ => Zeroizing::new(String::new()),
    }
}

impl<'a> WirePayment<'a> {
    /// A payment's wire form: the secrets exposed, straight from their types; `digits` from
    /// [`payment_digits`].
    pub(crate) fn of(payment: &'a Payment, digits: &'a str) -> Self {
        let instrument = match &payment.instrument {
            PaymentInstrument::Card(c) => WireInstrument::Card {
                number: digits,
                cardholder_name: c.cardholder_name.trim(),
                expiry_month: c.expiry_month.unwrap_or_default(),
                expiry_year: c.expiry_year.unwrap_or_default(),
                verification_value: c.verification_value.as_ref().map(|v| v.expose()),
                issue_month: c.issue_month,
                issue_year: c.issue_year,
                issue_number: c.issue_number,
            },
            PaymentInstrument::StoredCard { token, verification_value } => WireInstrument::StoredCard {
                token: token.expose(),
                verification_value: verification_value.as_ref().map(|v| v.expose()),
            },
            PaymentInstrument::StoredPaypalAccount { token } => WireInstrument::StoredPaypalAccount { token: token.expose() },
            PaymentInstrument::StoredBankAccount { token } => WireInstrument::StoredBankAccount { token: token.expose() },
            PaymentInstrument::GiftCertificate { gift_certificate_code } => WireInstrument::GiftCertificate {
                gift_certificate_code: gift_certificate_code.expose().trim(),
            },
            PaymentInstrument::StoreCredit => WireInstrument::StoreCredit,
            PaymentInstrument::TokenizedCard(t) => WireInstrument::TokenizedCard {
                token: t.token.expose(),
                iin: t.iin.as_deref(),
                last_four_digits: t.last_four_digits.as_deref(),
                expiration_month: t.expiration_month.as_deref(),
                expiration_year: t.expiration_year.as_deref(),
            },
        };
        WirePayment {
            instrument,
            payment_method_id: &payment.payment_method_id,
            save_instrument: payment.save_instrument,
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireInstrument<'a> {
    Card {
        number: &'a str,
        cardholder_name: &'a str,
        expiry_month: i64,
        expiry_year: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        verification_value: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        issue_month: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        issue_year: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        issue_number: Option<i64>,
    },
    StoredCard {
        token: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        verification_value: Option<&'a str>,
    },
    #[serde(rename = "stored_paypal_account")]
    StoredPaypalAccount {
        token: &'a str,
    },
    StoredBankAccount {
        token: &'a str,
    },
    GiftCertificate {
        gift_certificate_code: &'a str,
    },
    StoreCredit,
    TokenizedCard {
        token: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        iin: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        last_four_digits: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        expiration_month: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        expiration_year: Option<&'a str>,
    },
}

#[derive(Serialize)]
struct WireNewOrder<'a> {
    status_id: i64,
    customer_id: i64,
    billing_address: &'a BillingAddress,
    products: &'a [OrderProduct],
    #[serde(skip_serializing_if = "Option::is_none")]
    default_currency_code: Option<&'a str>,
}

impl Api {
    /// An API for `config`, with request ids seeded from the operating system.
    pub fn new(config: ClientConfig) -> Api {
        Api::with_entropy(config, &mut Entropy::from_os())
    }

    /// An API whose request ids come from `entropy` (deterministic in tests).
    pub fn with_entropy(config: ClientConfig, entropy: &mut Entropy) -> Api {
        Api {
            config,
            id_prefix: entropy.next_u64() & 0xFFFF_FFFF_FFFF,
            next_id: AtomicU64::new(1),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// A fresh request id: unique within this `Api` and, by its random prefix, across processes.
    pub fn next_request_id(&self) -> RequestId {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        // `bcp-{prefix:012x}-{n}`, written out: `format!` costs more than the rest of a request.
        let mut id = String::with_capacity(40);
        id.push_str("bcp-");
        for shift in (0..12).rev() {
            let digit = ((self.id_prefix >> (shift * 4)) & 0xF) as u8;
            id.push(char::from(if digit < 10 { b'0' + digit } else { b'a' + digit - 10 }));
        }
        id.push('-');
        push_decimal(&mut id, n);
        RequestId(id)
    }

    /// A management request to `{api_base}/stores/{hash}` + `path` (its parts, joined).
    fn management(&self, endpoint: Endpoint, method: Method, path: &[&str], body: Option<Vec<u8>>) -> HttpRequest {
        let mut headers = Vec::with_capacity(4);
        headers.push(Header::new("Accept", JSON));
        if body.is_some() {
            headers.push(Header::new("Content-Type", JSON));
        }
        headers.push(Header::new("X-Auth-Token", self.config.api_token().expose()));
        headers.push(Header::new("User-Agent", self.config.user_agent()));
        let mut url = concat(
            &[self.config.api_base(), "/stores/", self.config.store_hash().as_str()],
            path.iter().map(|p| p.len()).sum(),
        );
        path.iter().for_each(|part| url.push_str(part));
        HttpRequest {
            id: self.next_request_id(),
            endpoint,
            method,
            url,
            headers,
            body,
        }
    }

    fn json_body<T: Serialize>(value: &T) -> Vec<u8> {
        // Serializing our own plain structs cannot fail.
        crate::secret::to_json_wiping(value).unwrap_or_default()
    }

    /// Reads a success body as `T` (inside `{data: …}` when `unwrap`, or bare), or classifies
    /// the failure. Bodies over the configured cap, and 2xx bodies that are not the expected
    /// JSON, are `InvalidResponse`.
    fn read<T: FromJson>(&self, endpoint: Endpoint, id: &RequestId, response: &HttpResponse, unwrap: bool) -> Result<T, PaymentError> {
        if response.body.len() > self.config.max_response_bytes() {
            return Err(PaymentError::invalid_response(
                endpoint,
                id,
                response.status,
                &format!(
                    "response body of {} bytes exceeds the {}-byte limit",
                    response.body.len(),
                    self.config.max_response_bytes()
                ),
            ));
        }
        if !(200..300).contains(&response.status) {
            let mut e = classify_response(endpoint, id, response);
            e.redact_values([self.config.api_token().expose()]);
            return Err(e);
        }
        let why = match read::document(&response.body) {
            Ok(doc) => {
                let root = Path::Root("");
                // Current shape first (`{data: …}` when `unwrap`), then the bare shape the older
                // editions and some endpoints use.
                let data = doc.0.get("data").filter(|_| unwrap);
                let first = match data {
                    Some(inner) => T::from_json(inner, &Path::Key(&root, "data")),
                    None => T::from_json(&doc.0, &root),
                };
                let error = match first {
                    Ok(value) => return Ok(value),
                    Err(e) => e,
                };
                if data.is_some() {
                    if let Ok(value) = T::from_json(&doc.0, &root) {
                        return Ok(value);
                    }
                }
                format!("unexpected JSON shape: {error}")
            }
            Err(_) if response.body.is_empty() => "empty body where JSON was expected".to_owned(),
            Err(_) if response.body.trim_ascii_start().starts_with(b"<") => "HTML or XML where JSON was expected".to_owned(),
            Err(syntax) => syntax.to_string(),
        };
        Err(PaymentError::invalid_response(endpoint, id, response.status, &why))
    }

    // -----------------------------------------------------------------------------------------
    // Get Payment Methods
    // -----------------------------------------------------------------------------------------

    /// `GET /v3/payments/methods?order_id=` or `?checkout_id=`.
    pub fn build_get_payment_methods(&self, query: &MethodsQuery) -> Result<HttpRequest, PaymentError> {
        let q = match query {
            MethodsQuery::OrderId(id) => {
                let errors = validate::validate_order_id("order_id", *id);
                if !errors.is_empty() {
                    return Err(PaymentError::validation(errors));
                }
                return Ok(self.management(
                    Endpoint::GetPaymentMethods,
                    Method::Get,
                    &["/v3/payments/methods?order_id=", &decimal(*id)],
                    None,
                ));
            }
            MethodsQuery::CheckoutId(id) => {
                if id.trim().is_empty() || id.len() > 128 {
                    return Err(PaymentError::validation(vec![FieldError::new(
                        "checkout_id",
                        "invalid_checkout_id",
                        "The checkout id is required (at most 128 characters).",
                    )]));
                }
                format!("checkout_id={}", percent_encode(id))
            }
        };
        Ok(self.management(Endpoint::GetPaymentMethods, Method::Get, &["/v3/payments/methods?", &q], None))
    }

    /// The accepted methods. Accepts `{data: [...]}` and a bare array.
    pub fn parse_get_payment_methods(&self, id: &RequestId, response: &HttpResponse) -> Result<Vec<PaymentMethod>, PaymentError> {
        self.read(Endpoint::GetPaymentMethods, id, response, true)
    }

    // -----------------------------------------------------------------------------------------
    // Create Payment Access Token
    // -----------------------------------------------------------------------------------------

    /// `POST /v3/payments/access_tokens` with `{order: {id, is_recurring}}`.
    pub fn build_create_access_token(&self, order_id: u64, is_recurring: bool) -> Result<HttpRequest, PaymentError> {
        let errors = validate::validate_order_id("order.id", order_id);
        if !errors.is_empty() {
            return Err(PaymentError::validation(errors));
        }
        #[derive(Serialize)]
        struct Order {
            id: u64,
            is_recurring: bool,
        }
        #[derive(Serialize)]
        struct Body {
            order: Order,
        }
        let body = Body {
            order: Order {
                id: order_id,
                is_recurring,
            },
        };
        Ok(self.management(
            Endpoint::CreatePaymentAccessToken,
            Method::Post,
            &["/v3/payments/access_tokens"],
            Some(Self::json_body(&body)),
        ))
    }

    /// The token and its claims. `now_ms` is when the response arrived.
    pub fn parse_create_access_token(
        &self,
        id: &RequestId,
        response: &HttpResponse,
        now_ms: u64,
    ) -> Result<PaymentAccessToken, PaymentError> {
        struct Data {
            id: PatSecret,
        }
        impl FromJson for Data {
            const EXPECTED: &'static str = "a token object";
            fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
                Ok(Data {
                    id: Fields::of(v, at, Self::EXPECTED)?.req("id")?,
                })
            }
        }
        let data: Data = self.read(Endpoint::CreatePaymentAccessToken, id, response, true)?;
        if data.id.expose().trim().is_empty() || !crate::http::is_header_value(data.id.expose()) {
            return Err(PaymentError::invalid_response(
                Endpoint::CreatePaymentAccessToken,
                id,
                response.status,
                "empty payment access token, or one with control characters",
            ));
        }
        Ok(payment_access_token(data.id, now_ms))
    }

    // -----------------------------------------------------------------------------------------
    // Process Payment
    // -----------------------------------------------------------------------------------------

    /// `POST {payments_base}/stores/{hash}/payments`, after validating `payment` (and, with
    /// `methods`, checking it against the store's accepted methods).
    pub fn build_process_payment(
        &self,
        pat: &PatSecret,
        payment: &Payment,
        now_ms: u64,
        methods: Option<&[PaymentMethod]>,
    ) -> Result<HttpRequest, PaymentError> {
        let errors = validate::validate_payment("payment", payment, now_ms, methods);
        if !errors.is_empty() {
            return Err(PaymentError::validation(errors));
        }
        if pat.expose().trim().is_empty() || !crate::http::is_header_value(pat.expose()) {
            return Err(PaymentError::validation(vec![FieldError::new(
                "pat",
                "invalid_payment_access_token",
                "A payment access token from Create Payment Access Token is required.",
            )]));
        }
        Ok(self.process_payment_request(pat, payment))
    }

    /// Builds the request for an already validated payment.
    pub(crate) fn process_payment_request(&self, pat: &PatSecret, payment: &Payment) -> HttpRequest {
        let digits = payment_digits(payment);
        let wire = WirePaymentRequest {
            payment: WirePayment::of(payment, &digits),
        };
        let body = Self::json_body(&wire);
        HttpRequest {
            id: self.next_request_id(),
            endpoint: Endpoint::ProcessPayment,
            method: Method::Post,
            url: concat(
                &[
                    self.config.payments_base(),
                    "/stores/",
                    self.config.store_hash().as_str(),
                    "/payments",
                ],
                0,
            ),
            headers: vec![
                Header::new("Accept", PAYMENTS_ACCEPT),
                Header::new("Content-Type", JSON),
                // Built in place: the request wipes its header values when dropped.
                Header::new("Authorization", concat(&["PAT ", pat.expose()], 0)),
                Header::new("User-Agent", self.config.user_agent()),
            ],
            body: Some(body),
        }
    }

    /// The processed payment. Accepts the current `201 {data: {...}}` and the legacy
    /// `202 {id, status, transaction_type}`.
    pub fn parse_process_payment(
        &self,
        id: &RequestId,
        response: &HttpResponse,
        payment_method_id: &str,
    ) -> Result<ProcessedPayment, PaymentError> {
        struct Data {
            id: Option<String>,
            status: PaymentStatus,
            transaction_type: Option<TransactionType>,
        }
        impl FromJson for Data {
            const EXPECTED: &'static str = "a payment object";
            fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
                let f = Fields::of(v, at, Self::EXPECTED)?;
                Ok(Data {
                    // A string in the current edition, a number in some older examples.
                    id: f.get("id").and_then(|id| match id {
                        Json::String(s) => Some(s.to_string()),
                        Json::Number(n) => Some(n.to_string()),
                        _ => None,
                    }),
                    status: f.req("status")?,
                    transaction_type: f.opt("transaction_type")?,
                })
            }
        }
        let data: Data = self.read(Endpoint::ProcessPayment, id, response, true)?;
        let transaction_id = data.id;
        Ok(ProcessedPayment {
            id: transaction_id,
            status: data.status,
            transaction_type: data.transaction_type.unwrap_or(TransactionType::Purchase),
            payment_method_id: payment_method_id.to_owned(),
            reconciled: false,
        })
    }

    /// [`parse_process_payment`](Self::parse_process_payment) for a payment this client sent
    /// with `pat`: an error also loses every value of the request that a server could echo back
    /// (the token, the card number, the CVV, a stored instrument's token), whatever its shape.
    pub fn parse_process_payment_sent(
        &self,
        id: &RequestId,
        response: &HttpResponse,
        pat: &PatSecret,
        payment: &Payment,
    ) -> Result<ProcessedPayment, PaymentError> {
        self.parse_process_payment(id, response, &payment.payment_method_id)
            .map_err(|mut e| {
                e.redact_values(std::iter::once(pat.expose()).chain(payment.instrument.secret_values()));
                e
            })
    }

    // -----------------------------------------------------------------------------------------
    // Orders (V2)
    // -----------------------------------------------------------------------------------------

    /// `POST /v2/orders` with `status_id: 0` (Incomplete), the only status Process Payment accepts.
    pub fn build_create_order(&self, order: &NewOrder) -> Result<HttpRequest, PaymentError> {
        let errors = validate::validate_new_order(order);
        if !errors.is_empty() {
            return Err(PaymentError::validation(errors));
        }
        let wire = WireNewOrder {
            status_id: order_status::INCOMPLETE,
            customer_id: order.customer_id,
            billing_address: &order.billing_address,
            products: &order.products,
            default_currency_code: order.default_currency_code.as_deref(),
        };
        Ok(self.management(Endpoint::CreateOrder, Method::Post, &["/v2/orders"], Some(Self::json_body(&wire))))
    }

    /// The created order.
    pub fn parse_create_order(&self, id: &RequestId, response: &HttpResponse) -> Result<Order, PaymentError> {
        self.read(Endpoint::CreateOrder, id, response, false)
    }

    /// `GET /v2/orders/{id}`.
    pub fn build_get_order(&self, order_id: u64) -> Result<HttpRequest, PaymentError> {
        self.order_path_request(Endpoint::GetOrder, Method::Get, order_id, |id| format!("/v2/orders/{id}"), None)
    }

    /// The order.
    pub fn parse_get_order(&self, id: &RequestId, response: &HttpResponse) -> Result<Order, PaymentError> {
        self.read(Endpoint::GetOrder, id, response, false)
    }

    fn order_path_request(
        &self,
        endpoint: Endpoint,
        method: Method,
        order_id: u64,
        path: impl Fn(u64) -> String,
        body: Option<Vec<u8>>,
    ) -> Result<HttpRequest, PaymentError> {
        let errors = validate::validate_order_id("order_id", order_id);
        if !errors.is_empty() {
            return Err(PaymentError::validation(errors));
        }
        Ok(self.management(endpoint, method, &[&path(order_id)], body))
    }

    // -----------------------------------------------------------------------------------------
    // Transactions (V3)
    // -----------------------------------------------------------------------------------------

    /// `GET /v3/orders/{id}/transactions?page=&limit=`; pages start at 1.
    pub fn build_get_transactions(&self, order_id: u64, page: u32) -> Result<HttpRequest, PaymentError> {
        let page = page.max(1);
        self.order_path_request(
            Endpoint::GetOrderTransactions,
            Method::Get,
            order_id,
            |id| format!("/v3/orders/{id}/transactions?page={page}&limit={TRANSACTIONS_PAGE_LIMIT}"),
            None,
        )
    }

    /// One page of transactions. `204 No Content` is an empty page; a missing `meta` is one page.
    pub fn parse_get_transactions(&self, id: &RequestId, response: &HttpResponse) -> Result<TransactionPage, PaymentError> {
        if response.status == 204 {
            return Ok(TransactionPage {
                transactions: Vec::new(),
                current_page: 1,
                total_pages: 1,
            });
        }
        struct Body {
            data: Option<Vec<Transaction>>,
            current_page: Option<u32>,
            total_pages: Option<u32>,
        }
        impl FromJson for Body {
            const EXPECTED: &'static str = "a transactions object";
            fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
                let f = Fields::of(v, at, Self::EXPECTED)?;
                let meta_at = Path::Key(at, "meta");
                let pagination_at = Path::Key(&meta_at, "pagination");
                let pagination = match f.get("meta").filter(|m| !m.is_null()) {
                    Some(meta) => Fields::of(meta, &meta_at, "an object")?.get("pagination").filter(|p| !p.is_null()),
                    None => None,
                };
                let (current_page, total_pages) = match pagination {
                    Some(p) => {
                        let p = Fields::of(p, &pagination_at, "an object")?;
                        (p.opt("current_page")?, p.opt("total_pages")?)
                    }
                    None => (None, None),
                };
                Ok(Body {
                    // Required: `null` or no list at all is not "no transactions" (that is a 204),
                    // and reading it so could make an unclear payment look unrecorded.
                    data: Some(f.req("data")?),
                    current_page,
                    total_pages,
                })
            }
        }
        let body: Body = self.read(Endpoint::GetOrderTransactions, id, response, false)?;
        let current_page = body.current_page.unwrap_or(1).max(1);
        let total_pages = body.total_pages.unwrap_or(current_page).max(current_page);
        Ok(TransactionPage {
            transactions: body.data.unwrap_or_default(),
            current_page,
            total_pages,
        })
    }

    // -----------------------------------------------------------------------------------------
    // Payment actions (V3)
    // -----------------------------------------------------------------------------------------

    /// `POST /v3/orders/{id}/payment_actions/capture`.
    pub fn build_capture(&self, order_id: u64) -> Result<HttpRequest, PaymentError> {
        self.order_path_request(
            Endpoint::CapturePayment,
            Method::Post,
            order_id,
            |id| format!("/v3/orders/{id}/payment_actions/capture"),
            Some(b"{}".to_vec()),
        )
    }

    /// `POST /v3/orders/{id}/payment_actions/void`.
    pub fn build_void(&self, order_id: u64) -> Result<HttpRequest, PaymentError> {
        self.order_path_request(
            Endpoint::VoidPayment,
            Method::Post,
            order_id,
            |id| format!("/v3/orders/{id}/payment_actions/void"),
            Some(b"{}".to_vec()),
        )
    }

    /// Success of a capture or void (`201` with an object, or no body).
    pub fn parse_payment_action(&self, endpoint: Endpoint, id: &RequestId, response: &HttpResponse) -> Result<(), PaymentError> {
        struct AnyObject;
        impl FromJson for AnyObject {
            const EXPECTED: &'static str = "an object";
            fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
                Fields::of(v, at, Self::EXPECTED).map(|_| AnyObject)
            }
        }
        if (200..300).contains(&response.status) && response.body.trim_ascii().is_empty() {
            return Ok(());
        }
        self.read::<AnyObject>(endpoint, id, response, false).map(|_| ())
    }

    /// `POST /v3/orders/{id}/payment_actions/refund_quotes`.
    pub fn build_create_refund_quote(&self, order_id: u64, request: &RefundQuoteRequest) -> Result<HttpRequest, PaymentError> {
        let errors = validate::validate_refund_items(&request.items);
        if !errors.is_empty() {
            return Err(PaymentError::validation(errors));
        }
        self.order_path_request(
            Endpoint::CreateRefundQuote,
            Method::Post,
            order_id,
            |id| format!("/v3/orders/{id}/payment_actions/refund_quotes"),
            Some(Self::json_body(request)),
        )
    }

    /// The refund quote.
    pub fn parse_create_refund_quote(&self, id: &RequestId, response: &HttpResponse) -> Result<RefundQuote, PaymentError> {
        self.read(Endpoint::CreateRefundQuote, id, response, true)
    }

    /// `POST /v3/orders/{id}/payment_actions/refunds`.
    pub fn build_create_refund(&self, order_id: u64, request: &RefundRequest) -> Result<HttpRequest, PaymentError> {
        let mut errors = validate::validate_refund_items(&request.items);
        if request.payments.is_empty() {
            errors.push(FieldError::new(
                "payments",
                "missing",
                "At least one refund payment is required (see the refund quote's refund_methods).",
            ));
        }
        for (i, p) in request.payments.iter().enumerate() {
            if p.provider_id.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("payments[{i}].provider_id"),
                    "missing",
                    "The provider id is required.",
                ));
            }
            if !p.amount.is_finite() || p.amount <= 0.0 {
                errors.push(FieldError::new(
                    format!("payments[{i}].amount"),
                    "invalid_amount",
                    "The amount must be a positive number.",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(PaymentError::validation(errors));
        }
        self.order_path_request(
            Endpoint::CreateRefund,
            Method::Post,
            order_id,
            |id| format!("/v3/orders/{id}/payment_actions/refunds"),
            Some(Self::json_body(request)),
        )
    }

    /// The created refund. A success without the refund's `id` (`null`, `{}`, `{data: null}`)
    /// is not proof that a refund exists: an `InvalidResponse`, to be checked (it moves money).
    pub fn parse_create_refund(&self, id: &RequestId, response: &HttpResponse) -> Result<Refund, PaymentError> {
        let refund: Refund = self.read(Endpoint::CreateRefund, id, response, true)?;
        if refund.id.is_none() {
            return Err(PaymentError::invalid_response(
                Endpoint::CreateRefund,
                id,
                response.status,
                "the refund in the response has no id",
            ));
        }
        Ok(refund)
    }

    /// `GET /v3/orders/{id}/payment_actions/refunds`.
    pub fn build_list_refunds(&self, order_id: u64) -> Result<HttpRequest, PaymentError> {
        self.order_path_request(
            Endpoint::ListRefunds,
            Method::Get,
            order_id,
            |id| format!("/v3/orders/{id}/payment_actions/refunds"),
            None,
        )
    }

    /// The order's refunds.
    pub fn parse_list_refunds(&self, id: &RequestId, response: &HttpResponse) -> Result<Vec<Refund>, PaymentError> {
        self.read(Endpoint::ListRefunds, id, response, true)
    }

    // -----------------------------------------------------------------------------------------
    // Customer stored instruments (V3)
    // -----------------------------------------------------------------------------------------

    /// `GET /v3/customers/{id}/stored-instruments`.
    pub fn build_get_stored_instruments(&self, customer_id: u64) -> Result<HttpRequest, PaymentError> {
        if customer_id == 0 || customer_id > validate::MAX_ORDER_ID {
            return Err(PaymentError::validation(vec![FieldError::new(
                "customer_id",
                "invalid_customer_id",
                "Guests (customer 0) have no stored instruments; the customer id must be at least 1.",
            )]));
        }
        Ok(self.management(
            Endpoint::GetStoredInstruments,
            Method::Get,
            &[&format!("/v3/customers/{customer_id}/stored-instruments")],
            None,
        ))
    }

    /// The stored instruments (a bare array, discriminated by `type`; `{data: [...]}` also read).
    pub fn parse_get_stored_instruments(&self, id: &RequestId, response: &HttpResponse) -> Result<Vec<StoredInstrument>, PaymentError> {
        self.read(Endpoint::GetStoredInstruments, id, response, true)
    }
}

/// Decodes unpadded base64url (a JWT segment); `None` for any other character or a length no
/// encoding has. Written out because the `base64` crate costs the wasm module ~1.5 KB gzipped
/// for this one use.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    // Each byte's six bits, or 0x40 for a byte outside the alphabet: any such byte sets that bit
    // in the OR of all the values, and one test at the end refuses it.
    const VALUES: [u8; 256] = {
        let mut table = [0x40u8; 256];
        let mut i = 0;
        while i < 64 {
            table[b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[i] as usize] = i as u8;
            i += 1;
        }
        table
    };
    let value = |c: u8| u32::from(VALUES[usize::from(c)]);
    if text.len() % 4 == 1 {
        return None;
    }
    // A chunk's 24 bits, and the OR of its values (0x40 set by any character outside).
    let decode = |chunk: &[u8]| {
        let (mut bits, mut seen) = (0u32, 0u32);
        for (i, &c) in chunk.iter().enumerate() {
            let v = value(c);
            seen |= v;
            bits |= (v & 0x3F) << (18 - 6 * i);
        }
        (bits, seen)
    };
    let chunks = text.as_bytes().chunks_exact(4);
    let tail = chunks.remainder();
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut seen = 0;
    // Three bytes at a time with `push`, which the compiler keeps inline (a slice copy per chunk
    // was a `memcpy` call per three bytes).
    for chunk in chunks {
        let (bits, chunk_seen) = decode(chunk);
        seen |= chunk_seen;
        out.push((bits >> 16) as u8);
        out.push((bits >> 8) as u8);
        out.push(bits as u8);
    }
    let (bits, tail_seen) = decode(tail);
    seen |= tail_seen;
    if seen & 0x40 != 0 {
        return None;
    }
    // A tail of 2 or 3 characters carries 1 or 2 bytes.
    for shift in [16, 8].into_iter().take(tail.len().saturating_sub(1)) {
        out.push((bits >> shift) as u8);
    }
    Some(out)
}

/// Reads the JWT payload's claims without verifying the signature (only BigCommerce can).
pub fn decode_pat_claims(token: &str) -> Option<PatClaims> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64url_decode(payload.trim_end_matches('='))?;
    let doc = read::document(&bytes).ok()?;
    let root = Path::Root("");
    let raw = Fields::of(&doc.0, &root, "an object").ok()?;
    let data_at = Path::Key(&root, "data");
    let empty = Json::Object(Vec::new());
    let data = Fields::of(raw.get("data").filter(|d| !d.is_null()).unwrap_or(&empty), &data_at, "an object").ok()?;
    Some(PatClaims {
        exp: raw.int("exp").ok()?,
        nbf: raw.int("nbf").ok()?,
        iat: raw.int("iat").ok()?,
        iss: raw.text("iss").ok()?,
        sub: raw.text("sub").ok()?,
        jti: raw.text("jti").ok()?,
        store_id: data.int("store_id").ok()?,
        order_id: data.int("order_id").ok()?,
        amount: data.int("amount").ok()?,
        currency: data.text("currency").ok()?,
    })
}

/// A [`PaymentAccessToken`] received at `now_ms`. Its life is counted on this machine's clock
/// from receipt: the token's own lifetime (`exp − iat`, both on the issuer's clock, so skew
/// cancels out), at most the documented hour; one hour when the token does not say. Comparing
/// `exp` with the local clock instead would make every token look expired to a client whose
/// clock runs an hour ahead, and the flow would ask for new ones without end. A token whose `exp`
/// is not after its `iat` has no life at all ([`PaymentAccessToken::is_expired`] at once).
pub fn payment_access_token(secret: PatSecret, now_ms: u64) -> PaymentAccessToken {
    let claims = decode_pat_claims(secret.expose());
    let lifetime_ms = claims
        .as_ref()
        .and_then(|c| Some((c.exp?, c.iat?)))
        .map_or(PAT_LIFETIME_MS, |(exp, iat)| {
            (exp.saturating_sub(iat).max(0) as u64).saturating_mul(1000).min(PAT_LIFETIME_MS)
        });
    PaymentAccessToken {
        secret,
        claims,
        received_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(lifetime_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_decodes_like_the_rfc() {
        // RFC 4648 §10 test vectors, unpadded, and the URL-safe alphabet.
        for (text, plain) in [
            ("", ""),
            ("Zg", "f"),
            ("Zm8", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg", "foob"),
            ("Zm9vYmE", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(base64url_decode(text).as_deref(), Some(plain.as_bytes()), "{text}");
        }
        assert_eq!(base64url_decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(base64url_decode("Zm9v+"), None);
        assert_eq!(base64url_decode("Z"), None);
        assert_eq!(base64url_decode("Zm=v"), None);
    }
    use crate::secret::ApiToken;

    fn api() -> Api {
        Api::with_entropy(
            ClientConfig::new("abc123", ApiToken::new("tok")).unwrap(),
            &mut Entropy::from_seed(1),
        )
    }

    #[test]
    fn request_ids_are_unique() {
        let a = api();
        assert_ne!(a.next_request_id(), a.next_request_id());
    }

    #[test]
    fn tokens_that_cannot_be_a_header_are_refused() {
        let a = api();
        let id = RequestId("r-1".into());
        let with_break = HttpResponse::new(
            201,
            vec![],
            br#"{"data":{"id":"eyJ0eXAi.eyJleHAi.c2ln\r\nX-Injected: 1"}}"#.to_vec(),
        );
        let e = a.parse_create_access_token(&id, &with_break, 0).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::InvalidResponse);
        let card: Payment = crate::json_api::input(
            r#"{"instrument":{"type":"card","number":"4242424242424242","cardholder_name":"J D","expiry_month":12,"expiry_year":2030,"verification_value":"123"},"payment_method_id":"stripe.card"}"#,
            "payment",
        )
        .unwrap();
        let e = a
            .build_process_payment(&PatSecret::new("eyJ0eXAi\u{0}"), &card, 0, None)
            .unwrap_err();
        assert_eq!(e.field_errors[0].code, "invalid_payment_access_token");
    }

    #[test]
    fn docs_example_pat_is_tolerated() {
        // The guide's example token has a corrupted payload: it must still be usable.
        let t = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjE1NTEzOTQxNDIsIm5iZiI6MTU1MTM5MDU0MiwiaXNzIjoicGF5bWVudHMuYmlnY29tbWVyY2UuY29tIiwic3ViIjoianJhaDZnbW4iLCJqdGkiOiI3Nzg3ZmU1Zi01OWJmLTQ3ZWMtYTFmZC00ZDQ3ZTkwNjFlNWMiLCJpYXd4gJ8uHDk3kDhhuyefsrtr45mRhdGEiOnsic3RvcmVfaWQiOjEwMjU2NDYsIm9yZGVyX2lkIjoyMTUsImFtb3VudCI6OTgwMCwiY3VycmVuY3kiOiJVU0QifX0.WbR90d8m4gn8wK7kPMDEoVq8B0hHC5Ul5H4Hpqq6Yvo";
        let pat = payment_access_token(PatSecret::new(t), 1_000);
        assert_eq!(pat.expires_at_ms, 1_000 + PAT_LIFETIME_MS);
    }

    #[test]
    fn readable_pat_claims() {
        // From the 2023 spec's curl example: a well-formed payload.
        let t = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjE1NTEzOTQxNDIsIm5iZiI6MTU1MTM5MDU0MiwiaXNzIjoicGF5bWVudHMuYmlnY29tbWVyY2UuY29tIiwic3ViIjoianJhaDZnbW4iLCJqdGkiOiI3Nzg3ZmU1Zi01OWJmLTQ3ZWMtYTFmZC00ZDQ3ZTkwNjFlNWMiLCJpYXQiOjE1NTEzOTA1NDIsImRhdGEiOnsic3RvcmVfaWQiOjEwMjU2NDYsIm9yZGVyX2lkIjoyMTUsImFtb3VudCI6OTgwMCwiY3VycmVuY3kiOiJVU0QifX0.WbR90d8m4gn8wK7kPMDEoVq8B0hHC5Ul5H4Hpqq6Yvo";
        let c = decode_pat_claims(t).unwrap();
        assert_eq!(c.exp, Some(1_551_394_142));
        assert_eq!(c.order_id, Some(215));
        assert_eq!(c.amount, Some(9800));
        assert_eq!(c.currency.as_deref(), Some("USD"));
        assert_eq!(c.sub.as_deref(), Some("jrah6gmn"));
        let pat = payment_access_token(PatSecret::new(t), 1_551_390_542_000);
        assert_eq!(pat.expires_at_ms, 1_551_394_142_000);
        assert!(pat.is_expired(1_551_394_142_000));
        assert!(!pat.is_expired(1_551_394_141_999));
    }
}
