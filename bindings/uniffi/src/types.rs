//! The core's plain records and enums, declared to uniffi as remote types: each mirror below
//! restates the core definition field for field (the compiler checks every field name and type)
//! so the generated Kotlin and Swift types match the core with no conversion code.
//!
//! Tokens are not here: they cross as objects (see `lib.rs`), so that a generated data class's
//! `toString` can never print them. Card data crosses as bytes into the core's secret types,
//! below; each host's class for it prints the core's redaction.

use bcpay_core::error::{ErrorKind, FieldError};
use bcpay_core::http::{Endpoint, Header, RequestId, TransportFailure};
use bcpay_core::model::{
    Amount, BillingAddress, CardBrand, InstrumentType, NewOrder, Order, OrderPaymentState, OrderProduct, PatClaims, PaymentMethod,
    PaymentStatus, ProcessedPayment, Refund, RefundItem, RefundPayment, RefundPaymentOption, RefundPaymentRequest, RefundQuote,
    RefundQuoteRequest, RefundRequest, StoredInstrument, SupportedInstrument, Transaction, TransactionType,
};
use bcpay_core::observe::Decision;
use bcpay_core::secret::{CardNumber, InstrumentToken, VerificationValue};
use bcpay_core::validate::FieldState;

// Open enumerations (values the API may extend) cross as their wire text.
uniffi::custom_type!(InstrumentType, String, {
    remote,
    lower: |v| v.as_str().to_owned(),
    try_lift: |s| Ok(InstrumentType::parse(&s)),
});
uniffi::custom_type!(PaymentStatus, String, {
    remote,
    lower: |v| v.as_str().to_owned(),
    try_lift: |s| Ok(PaymentStatus::parse(&s)),
});
uniffi::custom_type!(TransactionType, String, {
    remote,
    lower: |v| v.as_str().to_owned(),
    try_lift: |s| Ok(TransactionType::parse(&s)),
});
// Money crosses as the core's decimal string ("19.99"), the one form it has in results.
uniffi::custom_type!(Amount, String, {
    remote,
    lower: |v| v.to_string(),
    try_lift: |s| Amount::parse(&s).ok_or_else(|| uniffi::deps::anyhow::anyhow!("not an amount")),
});
uniffi::custom_type!(RequestId, String, {
    remote,
    lower: |v| v.0,
    try_lift: |s| Ok(RequestId(s)),
});
// Stored-instrument tokens are handed back to the host to pay with (the core serializes them too).
uniffi::custom_type!(InstrumentToken, String, {
    remote,
    lower: |v| v.expose().to_owned(),
    try_lift: |s| Ok(InstrumentToken::new(s)),
});

// Card data, as UTF-8 bytes: the hosts' own `CardNumber` and `VerificationValue` classes (see
// uniffi.toml) hand their bytes over inside the payment, so that making one calls no native code
// (on the JVM, the two objects' constructors, text buffers, clones and frees were eight JNA calls
// of a payment's thirteen). The hosts never ask for the bytes back; a lowered value is the digits
// it was given.
uniffi::custom_type!(CardNumber, Vec<u8>, {
    remote,
    lower: |v| v.expose().as_bytes().to_vec(),
    try_lift: |b| secret_text(b).map(CardNumber::new),
});
uniffi::custom_type!(VerificationValue, Vec<u8>, {
    remote,
    lower: |v| v.expose().as_bytes().to_vec(),
    try_lift: |b| secret_text(b).map(VerificationValue::new),
});

/// Secret bytes as text, moved, not copied (the bindings' allocator wipes what is freed).
fn secret_text(bytes: Vec<u8>) -> uniffi::Result<String> {
    String::from_utf8(bytes).map_err(|_| uniffi::deps::anyhow::anyhow!("card data that is not UTF-8"))
}

/// Whether an order is paid (`OrderPaymentStatus::judge` in the core).
#[uniffi::remote(Enum)]
pub enum OrderPaymentState {
    Unpaid,
    PartiallyPaid,
    Paid,
    AlreadyPaid,
    Ambiguous,
}

/// A card brand, from the number's first digits.
#[uniffi::remote(Enum)]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    DinersClub,
    Maestro,
    Dankort,
}

/// How far a card form field is from valid: `Incomplete` while more typing could fix it.
#[uniffi::remote(Enum)]
pub enum FieldState {
    Empty,
    Incomplete,
    Valid,
    Invalid,
}

/// Which API call a request makes.
#[uniffi::remote(Enum)]
pub enum Endpoint {
    GetPaymentMethods,
    CreatePaymentAccessToken,
    ProcessPayment,
    CreateOrder,
    GetOrder,
    GetOrderTransactions,
    CapturePayment,
    VoidPayment,
    CreateRefundQuote,
    CreateRefund,
    ListRefunds,
    GetStoredInstruments,
}

/// Why the host got no response; decides whether a payment may be resent.
#[uniffi::remote(Enum)]
pub enum TransportFailure {
    NotSent,
    MaybeSent,
    TimedOut,
}

/// A choice an operation makes (`bcpay_core::observe::Decision`).
#[uniffi::remote(Enum)]
pub enum Decision {
    Wait,
    Retry,
    Reconcile,
    Settled,
    GiveUp,
    Done,
}

/// One HTTP header.
#[uniffi::remote(Record)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// What went wrong, by meaning.
#[uniffi::remote(Enum)]
pub enum ErrorKind {
    Validation,
    Configuration,
    Authentication,
    MerchantSetup,
    OrderState,
    Declined,
    DuplicatePayment,
    InvalidRequest,
    NotFound,
    Conflict,
    RateLimited,
    Server,
    InvalidResponse,
    Transport,
    AmbiguousOutcome,
    Cancelled,
}

/// One problem with one input field.
#[uniffi::remote(Record)]
pub struct FieldError {
    pub path: String,
    pub code: String,
    pub description: String,
}

/// One accepted payment method.
#[uniffi::remote(Record)]
pub struct PaymentMethod {
    pub id: String,
    pub name: String,
    pub test_mode: bool,
    pub method_type: String,
    pub supported_instruments: Vec<SupportedInstrument>,
    pub stored_instruments: Vec<StoredInstrument>,
}

/// One brand or stored kind a method accepts.
#[uniffi::remote(Record)]
pub struct SupportedInstrument {
    pub instrument_type: InstrumentType,
    pub verification_value_required: bool,
}

/// A stored card, PayPal account or bank account.
#[uniffi::remote(Record)]
pub struct StoredInstrument {
    pub instrument_type: String,
    pub token: InstrumentToken,
    pub is_default: bool,
    pub brand: Option<String>,
    pub expiry_month: Option<i64>,
    pub expiry_year: Option<i64>,
    pub issuer_identification_number: Option<String>,
    pub last_4: Option<String>,
    pub email: Option<String>,
    pub masked_account_number: Option<String>,
    pub issuer: Option<String>,
    pub token_hint: String,
}

/// Claims read (not verified) from a payment access token.
#[uniffi::remote(Record)]
pub struct PatClaims {
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub jti: Option<String>,
    pub store_id: Option<i64>,
    pub order_id: Option<i64>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
}

/// A payment the server accepted (or reconciliation found recorded).
#[uniffi::remote(Record)]
pub struct ProcessedPayment {
    pub id: Option<String>,
    pub status: PaymentStatus,
    pub transaction_type: TransactionType,
    pub payment_method_id: String,
    pub reconciled: bool,
}

/// A billing address for creating an order.
#[uniffi::remote(Record)]
pub struct BillingAddress {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub street_1: String,
    pub street_2: Option<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub country: String,
    pub country_iso2: String,
    pub email: String,
    pub phone: Option<String>,
}

/// A line item for creating an order.
#[uniffi::remote(Record)]
pub struct OrderProduct {
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub name: Option<String>,
    pub quantity: i64,
    pub price_inc_tax: Option<f64>,
    pub price_ex_tax: Option<f64>,
    pub sku: Option<String>,
}

/// Input of Create Order (V2); always created Incomplete, the only payable status.
#[uniffi::remote(Record)]
pub struct NewOrder {
    pub customer_id: i64,
    pub billing_address: BillingAddress,
    pub products: Vec<OrderProduct>,
    pub default_currency_code: Option<String>,
}

/// A V2 order, as far as payments care.
#[uniffi::remote(Record)]
pub struct Order {
    pub id: i64,
    pub status_id: Option<i64>,
    pub status: String,
    pub payment_status: String,
    pub customer_id: Option<i64>,
    pub total_inc_tax: Option<Amount>,
    pub currency_code: Option<String>,
}

/// One order transaction.
#[uniffi::remote(Record)]
pub struct Transaction {
    pub id: Option<i64>,
    pub order_id: Option<String>,
    pub event: String,
    pub method: String,
    pub amount: Amount,
    pub currency: String,
    pub gateway: String,
    pub gateway_transaction_id: Option<String>,
    pub status: String,
    pub test: bool,
    pub payment_method_id: Option<String>,
    pub date_created: Option<String>,
    pub reference_transaction_id: Option<i64>,
}

/// One item to refund.
#[uniffi::remote(Record)]
pub struct RefundItem {
    pub item_type: String,
    pub item_id: i64,
    pub quantity: Option<i64>,
    pub amount: Option<f64>,
    pub reason: Option<String>,
}

/// Input of Create Refund Quote.
#[uniffi::remote(Record)]
pub struct RefundQuoteRequest {
    pub items: Vec<RefundItem>,
}

/// How part of a refund is paid back.
#[uniffi::remote(Record)]
pub struct RefundPaymentRequest {
    pub provider_id: String,
    pub amount: f64,
    pub offline: bool,
}

/// Input of Create Refund.
#[uniffi::remote(Record)]
pub struct RefundRequest {
    pub items: Vec<RefundItem>,
    pub payments: Vec<RefundPaymentRequest>,
}

/// One payment option in a refund quote.
#[uniffi::remote(Record)]
pub struct RefundPaymentOption {
    pub provider_id: String,
    pub provider_description: Option<String>,
    pub amount: Amount,
    pub offline: bool,
    pub offline_provider: bool,
    pub offline_reason: Option<String>,
}

/// A refund quote.
#[uniffi::remote(Record)]
pub struct RefundQuote {
    pub order_id: Option<i64>,
    pub total_refund_amount: Amount,
    pub total_refund_tax_amount: Amount,
    pub rounding: Amount,
    pub adjustment: Amount,
    pub tax_inclusive: bool,
    pub refund_methods: Vec<Vec<RefundPaymentOption>>,
}

/// One payment of a refund.
#[uniffi::remote(Record)]
pub struct RefundPayment {
    pub id: Option<i64>,
    pub provider_id: String,
    pub amount: Amount,
    pub offline: bool,
    pub is_declined: bool,
    pub declined_message: Option<String>,
}

/// A refund.
#[uniffi::remote(Record)]
pub struct Refund {
    pub id: Option<i64>,
    pub order_id: Option<i64>,
    pub created: Option<String>,
    pub reason: Option<String>,
    pub total_amount: Amount,
    pub total_tax: Amount,
    pub payments: Vec<RefundPayment>,
}
