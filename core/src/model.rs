//! Typed inputs and results, following the OpenAPI files in `shared/spec/`.
//!
//! Inputs that carry card data (`PaymentInstrument`, `Payment`) deserialize but never serialize:
//! the request builder writes their wire form explicitly. Results serialize and deserialize so
//! hosts can pass them across bindings. Enumerations the API may extend keep unknown values as
//! text instead of failing.

use crate::secret::{CardNumber, InstrumentToken, PatSecret, VerificationValue};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Lenient number and string readers: the API's own examples mix "12" and 12.
// ---------------------------------------------------------------------------------------------

/// A JSON scalar read by one small visitor (untagged enums would buffer every value first).
enum Scalar {
    Int(i64),
    Float(f64),
    Text(String),
    Null,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, a string or null")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Text(v))
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
        }
        d.deserialize_any(V)
    }
}

/// A whole number sent as a number or as text (`12`, `12.0`, `"12"`); `None` for null or junk text.
pub(crate) fn int_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Scalar::deserialize(d)? {
        Scalar::Int(i) => Some(i),
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
        Scalar::Text(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Text sent as text or as a number (`"4111111"` or `4111111`).
pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Scalar::deserialize(d)? {
        Scalar::Text(s) => Some(s),
        Scalar::Int(i) => Some(i.to_string()),
        Scalar::Float(f) => Some(f.to_string()),
        Scalar::Null => None,
    })
}

/// An amount sent as a number or as V2's decimal text (`"10.9800"`); null is 0.
fn money<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(match Scalar::deserialize(d)? {
        Scalar::Int(i) => i as f64,
        Scalar::Float(f) => f,
        Scalar::Text(s) => s.trim().parse().unwrap_or(0.0),
        Scalar::Null => 0.0,
    })
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An enumeration value the API may extend: known values as variants, anything else as text.
macro_rules! open_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this SDK version does not know, preserved as sent.
            Other(String),
        }

        impl $name {
            /// The wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s,
                }
            }

            /// Parses wire text; unknown text becomes `Other`.
            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(|s| $name::parse(&s))
            }
        }
    };
}

open_enum!(
    /// `supported_instruments[].instrument_type` in Get Payment Methods.
    InstrumentType {
        /// Visa
        Visa = "VISA",
        /// Mastercard
        Mastercard = "MASTERCARD",
        /// Discover
        Discover = "DISCOVER",
        /// American Express
        Amex = "AMEX",
        /// Diners Club
        DinersClub = "DINERS_CLUB",
        /// JCB
        Jcb = "JCB",
        /// Dankort
        Dankort = "DANKORT",
        /// Maestro
        Maestro = "MAESTRO",
        /// A stored card
        StoredCard = "STORED_CARD",
        /// A stored PayPal account
        StoredPaypalAccount = "STORED_PAYPAL_ACCOUNT",
        /// A stored bank account
        StoredBankAccount = "STORED_BANK_ACCOUNT",
    }
);

open_enum!(
    /// `data.status` of a processed payment.
    PaymentStatus {
        /// The payment went through.
        Success = "success",
        /// The payment is accepted and completes asynchronously.
        Pending = "pending",
    }
);

open_enum!(
    /// `data.transaction_type` of a processed payment.
    TransactionType {
        /// Authorized and captured.
        Purchase = "purchase",
        /// Authorized only; capture later.
        Authorization = "authorization",
    }
);

// ---------------------------------------------------------------------------------------------
// Card brands
// ---------------------------------------------------------------------------------------------

/// A card brand recognised from the card number's issuer identification number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CardBrand {
    /// Visa
    Visa,
    /// Mastercard
    Mastercard,
    /// American Express
    Amex,
    /// Discover
    Discover,
    /// JCB
    Jcb,
    /// Diners Club
    DinersClub,
    /// Maestro
    Maestro,
    /// Dankort
    Dankort,
}

impl CardBrand {
    /// The matching Get Payment Methods instrument type.
    pub fn instrument_type(self) -> InstrumentType {
        match self {
            CardBrand::Visa => InstrumentType::Visa,
            CardBrand::Mastercard => InstrumentType::Mastercard,
            CardBrand::Amex => InstrumentType::Amex,
            CardBrand::Discover => InstrumentType::Discover,
            CardBrand::Jcb => InstrumentType::Jcb,
            CardBrand::DinersClub => InstrumentType::DinersClub,
            CardBrand::Maestro => InstrumentType::Maestro,
            CardBrand::Dankort => InstrumentType::Dankort,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Payment input
// ---------------------------------------------------------------------------------------------

/// A payment instrument for Process Payment, tagged by `type` as on the wire.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentInstrument {
    /// A new card (raw card data).
    Card(Card),
    /// A card stored in the store's vault.
    StoredCard {
        /// 64-character token from Get Payment Methods.
        token: InstrumentToken,
        /// CVV, when Get Payment Methods says `verification_value_required`.
        #[serde(default)]
        verification_value: Option<VerificationValue>,
    },
    /// A stored PayPal account (PayPal powered by Braintree / PayPal Commerce Platform).
    #[serde(rename = "stored_paypal_account")]
    StoredPaypalAccount {
        /// 64-character token from Get Payment Methods.
        token: InstrumentToken,
    },
    /// A stored bank account (ACH).
    StoredBankAccount {
        /// 64-character token from Get Payment Methods.
        token: InstrumentToken,
    },
    /// A gift certificate.
    GiftCertificate {
        /// The certificate's code.
        gift_certificate_code: InstrumentToken,
    },
    /// The customer's store credit.
    StoreCredit,
    /// A card tokenized by a wallet provider (e.g. Bolt).
    TokenizedCard(TokenizedCard),
}

/// Raw card data. `Debug` shows only the last four digits.
#[derive(Clone, Debug, Deserialize)]
pub struct Card {
    /// Card number (spaces and dashes are ignored).
    pub number: CardNumber,
    /// Cardholder's full name.
    pub cardholder_name: String,
    /// Expiry month, 1–12.
    #[serde(deserialize_with = "int_or_string", default)]
    pub expiry_month: Option<i64>,
    /// Expiry year, four digits.
    #[serde(deserialize_with = "int_or_string", default)]
    pub expiry_year: Option<i64>,
    /// CVV/CVC.
    #[serde(default)]
    pub verification_value: Option<VerificationValue>,
    /// Issue month (some Maestro cards).
    #[serde(deserialize_with = "int_or_string", default)]
    pub issue_month: Option<i64>,
    /// Issue year (some Maestro cards).
    #[serde(deserialize_with = "int_or_string", default)]
    pub issue_year: Option<i64>,
    /// Issue number (some Maestro cards).
    #[serde(deserialize_with = "int_or_string", default)]
    pub issue_number: Option<i64>,
}

/// A wallet-tokenized card.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenizedCard {
    /// The provider's token.
    pub token: InstrumentToken,
    /// Issuer identification number.
    #[serde(deserialize_with = "string_or_number", default)]
    pub iin: Option<String>,
    /// Last four digits.
    #[serde(deserialize_with = "string_or_number", default)]
    pub last_four_digits: Option<String>,
    /// Expiry month.
    #[serde(deserialize_with = "string_or_number", default)]
    pub expiration_month: Option<String>,
    /// Expiry year.
    #[serde(deserialize_with = "string_or_number", default)]
    pub expiration_year: Option<String>,
}

impl PaymentInstrument {
    /// The wire `type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            PaymentInstrument::Card(_) => "card",
            PaymentInstrument::StoredCard { .. } => "stored_card",
            PaymentInstrument::StoredPaypalAccount { .. } => "stored_paypal_account",
            PaymentInstrument::StoredBankAccount { .. } => "stored_bank_account",
            PaymentInstrument::GiftCertificate { .. } => "gift_certificate",
            PaymentInstrument::StoreCredit => "store_credit",
            PaymentInstrument::TokenizedCard(_) => "tokenized_card",
        }
    }

    /// Gift certificates and store credit may cover only part of an order; they go first in a
    /// split payment.
    pub fn is_partial_tender(&self) -> bool {
        matches!(self, PaymentInstrument::GiftCertificate { .. } | PaymentInstrument::StoreCredit)
    }
}

/// One Process Payment: an instrument, the method to charge it through, and whether to save it.
#[derive(Clone, Debug, Deserialize)]
pub struct Payment {
    /// What to charge.
    pub instrument: PaymentInstrument,
    /// `id` from Get Payment Methods, shaped `provider.method` (e.g. `stripe.card`).
    pub payment_method_id: String,
    /// Vault the card for later (`save_instrument`).
    #[serde(default)]
    pub save_instrument: bool,
}

// ---------------------------------------------------------------------------------------------
// Get Payment Methods
// ---------------------------------------------------------------------------------------------

/// One accepted payment method for an order or checkout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentMethod {
    /// `provider.method`, e.g. `stripe.card`.
    pub id: String,
    /// Display name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Whether the gateway is in test mode.
    #[serde(default, deserialize_with = "null_as_default")]
    pub test_mode: bool,
    /// Method type, e.g. `card`, `paypal`, `gift_certificate`.
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub method_type: String,
    /// Brands and stored kinds this method accepts.
    #[serde(default, deserialize_with = "null_as_default")]
    pub supported_instruments: Vec<SupportedInstrument>,
    /// The shopper's stored instruments usable with this method.
    #[serde(default, deserialize_with = "null_as_default")]
    pub stored_instruments: Vec<StoredInstrument>,
}

/// One brand or stored kind a method accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportedInstrument {
    /// `VISA`, `STORED_CARD`, …
    pub instrument_type: InstrumentType,
    /// Whether Process Payment needs the CVV for this brand.
    #[serde(default, deserialize_with = "null_as_default")]
    pub verification_value_required: bool,
}

/// A stored instrument, from Get Payment Methods or Get Stored Instruments. One flat record
/// discriminated by `type` so that unknown kinds still parse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredInstrument {
    /// `stored_card`, `stored_paypal_account`, `stored_bank_account`, or a newer kind.
    #[serde(rename = "type", default = "default_stored_type")]
    pub instrument_type: String,
    /// The token to pay with.
    pub token: InstrumentToken,
    /// Whether it is the shopper's default.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_default: bool,
    /// Card brand (`VISA`, …), for stored cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Card expiry month, for stored cards.
    #[serde(default, deserialize_with = "int_or_string", skip_serializing_if = "Option::is_none")]
    pub expiry_month: Option<i64>,
    /// Card expiry year, for stored cards.
    #[serde(default, deserialize_with = "int_or_string", skip_serializing_if = "Option::is_none")]
    pub expiry_year: Option<i64>,
    /// First six digits, for stored cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_identification_number: Option<String>,
    /// Last four digits, for stored cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_4: Option<String>,
    /// PayPal email, for stored PayPal accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Masked account number, for stored bank accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_account_number: Option<String>,
    /// Issuer, for stored bank accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

fn default_stored_type() -> String {
    "stored_card".to_owned()
}

impl Serialize for InstrumentToken {
    /// Instrument tokens are handed back to the host (it needs them to pay); unlike card data
    /// and access tokens they serialize. `Debug` still redacts them.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

// ---------------------------------------------------------------------------------------------
// Payment Access Token
// ---------------------------------------------------------------------------------------------

/// Claims read (not verified) from the PAT's JWT payload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatClaims {
    /// Expiry, seconds since the epoch.
    pub exp: Option<i64>,
    /// Not before, seconds since the epoch.
    pub nbf: Option<i64>,
    /// Issued at, seconds since the epoch.
    pub iat: Option<i64>,
    /// Issuer (`payments.bigcommerce.com`).
    pub iss: Option<String>,
    /// Subject: the store hash.
    pub sub: Option<String>,
    /// Token id.
    pub jti: Option<String>,
    /// `data.store_id`.
    pub store_id: Option<i64>,
    /// `data.order_id`.
    pub order_id: Option<i64>,
    /// `data.amount`, in the currency's minor units.
    pub amount: Option<i64>,
    /// `data.currency`.
    pub currency: Option<String>,
}

/// A Payment Access Token: the secret plus what we know about its lifetime.
#[derive(Clone, Debug)]
pub struct PaymentAccessToken {
    /// The JWT to send as `Authorization: PAT <secret>`.
    pub secret: PatSecret,
    /// Decoded claims, if the token is a readable JWT.
    pub claims: Option<PatClaims>,
    /// When we received it (host clock, ms).
    pub received_at_ms: u64,
    /// When it stops working (ms): the earlier of its `exp` and one hour after receipt.
    pub expires_at_ms: u64,
}

/// Documented PAT lifetime: one hour.
pub const PAT_LIFETIME_MS: u64 = 3_600_000;

impl PaymentAccessToken {
    /// Whether the token has expired at `now_ms`.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_at_ms
    }

    /// Whether the token is due for replacement at `now_ms`: it expires within `margin_ms`, with
    /// the margin capped at half the token's lifetime so that a short-lived token is still used
    /// rather than replaced forever.
    pub fn expires_within(&self, now_ms: u64, margin_ms: u64) -> bool {
        let lifetime = self.expires_at_ms.saturating_sub(self.received_at_ms);
        now_ms.saturating_add(margin_ms.min(lifetime / 2)) >= self.expires_at_ms
    }
}

// ---------------------------------------------------------------------------------------------
// Process Payment
// ---------------------------------------------------------------------------------------------

/// A payment the server accepted (or that reconciliation found recorded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessedPayment {
    /// The transaction id from Process Payment; `None` when found by reconciliation.
    pub id: Option<String>,
    /// `success` or `pending`.
    pub status: PaymentStatus,
    /// `purchase` or `authorization`.
    pub transaction_type: TransactionType,
    /// The method it went through.
    pub payment_method_id: String,
    /// True when the response was lost and the order's transactions showed it was taken.
    pub reconciled: bool,
}

/// The outcome of a whole [`PaymentFlow`](crate::flow::PaymentFlow).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReceipt {
    /// The order paid.
    pub order_id: u64,
    /// One entry per instrument, in order.
    pub payments: Vec<ProcessedPayment>,
    /// How many HTTP requests the flow made.
    pub requests_sent: u32,
}

// ---------------------------------------------------------------------------------------------
// Orders (V2)
// ---------------------------------------------------------------------------------------------

/// V2 order status ids that matter for payments.
pub mod order_status {
    /// Incomplete: the only status the Payments API can pay.
    pub const INCOMPLETE: i64 = 0;
    /// Pending: partly paid (gift certificate / store credit), awaiting the rest.
    pub const PENDING: i64 = 1;
    /// Awaiting Payment.
    pub const AWAITING_PAYMENT: i64 = 7;
    /// Awaiting Fulfillment: fully paid.
    pub const AWAITING_FULFILLMENT: i64 = 11;
}

/// A billing address for V2 create order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BillingAddress {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Street, line 1.
    pub street_1: String,
    /// Street, line 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_2: Option<String>,
    /// City.
    pub city: String,
    /// State or province.
    pub state: String,
    /// Postal code.
    pub zip: String,
    /// Country name.
    pub country: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country_iso2: String,
    /// Email.
    pub email: String,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A line item for V2 create order: a catalog product (`product_id`) or a custom product
/// (`name` and prices).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderProduct {
    /// Catalog product id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    /// Catalog variant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
    /// Custom product name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Quantity, at least 1.
    pub quantity: i64,
    /// Custom product unit price including tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_inc_tax: Option<f64>,
    /// Custom product unit price excluding tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_ex_tax: Option<f64>,
    /// Custom product SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

/// V2 create order input. `status_id` is always sent as 0 (Incomplete): the only payable status.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewOrder {
    /// Customer id; 0 (or absent) for a guest.
    #[serde(default)]
    pub customer_id: i64,
    /// Billing address (required for payment).
    pub billing_address: BillingAddress,
    /// Line items (required for payment).
    pub products: Vec<OrderProduct>,
    /// Transactional currency, when multi-currency is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_currency_code: Option<String>,
}

/// A V2 order, as far as payments care.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Order id.
    pub id: i64,
    /// Status id (0 Incomplete, 1 Pending, 11 Awaiting Fulfillment, …).
    #[serde(deserialize_with = "int_or_string")]
    pub status_id: Option<i64>,
    /// Status name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    /// Payment status (`captured`, `authorized`, `partially paid`, `""`, …).
    #[serde(default, deserialize_with = "null_as_default")]
    pub payment_status: String,
    /// Customer id (0 for guests).
    #[serde(default, deserialize_with = "int_or_string")]
    pub customer_id: Option<i64>,
    /// Total including tax, as the V2 API's decimal string.
    #[serde(default, deserialize_with = "string_or_number")]
    pub total_inc_tax: Option<String>,
    /// Currency code.
    #[serde(default)]
    pub currency_code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Transactions (V3)
// ---------------------------------------------------------------------------------------------

/// One order transaction (V3). Text fields keep values this SDK does not know.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// Transaction id.
    #[serde(default, deserialize_with = "int_or_string")]
    pub id: Option<i64>,
    /// Order id.
    #[serde(default, deserialize_with = "string_or_number")]
    pub order_id: Option<String>,
    /// `purchase`, `authorization`, `capture`, `refund`, `void`, `pending`, `settled`.
    pub event: String,
    /// `credit_card`, `gift_certificate`, `store_credit`, …
    #[serde(default, deserialize_with = "null_as_default")]
    pub method: String,
    /// Amount in major units.
    #[serde(deserialize_with = "money")]
    pub amount: f64,
    /// ISO 4217 currency.
    #[serde(default, deserialize_with = "null_as_default")]
    pub currency: String,
    /// Gateway name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub gateway: String,
    /// Gateway's transaction id.
    #[serde(default)]
    pub gateway_transaction_id: Option<String>,
    /// `ok` or `error`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    /// Test-mode transaction.
    #[serde(default, deserialize_with = "null_as_default")]
    pub test: bool,
    /// Payment method id (`stripe.card`, …) when known.
    #[serde(default)]
    pub payment_method_id: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub date_created: Option<String>,
    /// Transaction this one acts on.
    #[serde(default, deserialize_with = "int_or_string")]
    pub reference_transaction_id: Option<i64>,
}

impl Transaction {
    /// Whether this transaction records money taken or reserved for the order: a successful
    /// purchase, authorization or pending payment.
    pub fn records_payment(&self) -> bool {
        matches!(self.event.as_str(), "purchase" | "authorization" | "pending") && self.status != "error"
    }
}

/// One page of transactions. Serializes with a derived `has_next`, so hosts that receive it as
/// JSON follow pages by the core's rule instead of restating it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TransactionPage {
    /// The transactions on this page.
    pub transactions: Vec<Transaction>,
    /// This page's number (1-based).
    pub current_page: u32,
    /// How many pages there are.
    pub total_pages: u32,
}

impl Serialize for TransactionPage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            transactions: &'a [Transaction],
            current_page: u32,
            total_pages: u32,
            has_next: bool,
        }
        Wire {
            transactions: &self.transactions,
            current_page: self.current_page,
            total_pages: self.total_pages,
            has_next: self.has_next(),
        }
        .serialize(s)
    }
}

impl TransactionPage {
    /// Whether a later page exists.
    pub fn has_next(&self) -> bool {
        self.current_page < self.total_pages
    }
}

// ---------------------------------------------------------------------------------------------
// Refunds (V3)
// ---------------------------------------------------------------------------------------------

/// One item to refund (`ItemsRefund`): a product by quantity, or an amount on shipping,
/// handling, gift wrapping, fees or the whole order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefundItem {
    /// `PRODUCT`, `GIFT_WRAPPING`, `SHIPPING`, `HANDLING`, `ORDER`, `FEE`.
    pub item_type: String,
    /// The item's id (order product id, address id, order id, fee id).
    pub item_id: i64,
    /// Quantity, for quantity-bound items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// Amount, for amount-bound items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    /// Reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Create Refund Quote input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefundQuoteRequest {
    /// Items to quote.
    pub items: Vec<RefundItem>,
}

/// How a refund is paid back through one provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefundPaymentRequest {
    /// Provider id, from the refund quote's `refund_methods`.
    pub provider_id: String,
    /// Amount through this provider.
    pub amount: f64,
    /// Whether this part is refunded outside BigCommerce.
    #[serde(default)]
    pub offline: bool,
}

/// Create Refund input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// Items refunded.
    pub items: Vec<RefundItem>,
    /// How the money goes back.
    pub payments: Vec<RefundPaymentRequest>,
}

/// One payment option in a refund quote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefundPaymentOption {
    /// Provider id.
    pub provider_id: String,
    /// Provider's display name.
    #[serde(default)]
    pub provider_description: Option<String>,
    /// Refundable amount through it.
    #[serde(deserialize_with = "money")]
    pub amount: f64,
    /// Offline provider.
    #[serde(default, deserialize_with = "null_as_default")]
    pub offline: bool,
    /// Whether the provider itself is offline.
    #[serde(default, deserialize_with = "null_as_default")]
    pub offline_provider: bool,
    /// Why it is offline.
    #[serde(default)]
    pub offline_reason: Option<String>,
}

/// A refund quote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefundQuote {
    /// Order id.
    #[serde(default, deserialize_with = "int_or_string")]
    pub order_id: Option<i64>,
    /// Total refundable.
    #[serde(deserialize_with = "money")]
    pub total_refund_amount: f64,
    /// Tax in the total.
    #[serde(default, deserialize_with = "money")]
    pub total_refund_tax_amount: f64,
    /// Rounding applied.
    #[serde(default, deserialize_with = "money")]
    pub rounding: f64,
    /// Adjustment.
    #[serde(default, deserialize_with = "money")]
    pub adjustment: f64,
    /// Whether the total includes tax.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tax_inclusive: bool,
    /// Each refund method is a list of payment options that together refund the total.
    #[serde(default, deserialize_with = "null_as_default")]
    pub refund_methods: Vec<Vec<RefundPaymentOption>>,
}

/// One payment of a refund.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefundPayment {
    /// Payment id.
    #[serde(default, deserialize_with = "int_or_string")]
    pub id: Option<i64>,
    /// Provider.
    pub provider_id: String,
    /// Amount.
    #[serde(deserialize_with = "money")]
    pub amount: f64,
    /// Offline.
    #[serde(default, deserialize_with = "null_as_default")]
    pub offline: bool,
    /// Whether the provider declined it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_declined: bool,
    /// The provider's decline message.
    #[serde(default)]
    pub declined_message: Option<String>,
}

/// A refund.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    /// Refund id.
    #[serde(default, deserialize_with = "int_or_string")]
    pub id: Option<i64>,
    /// Order id.
    #[serde(default, deserialize_with = "int_or_string")]
    pub order_id: Option<i64>,
    /// Created at.
    #[serde(default)]
    pub created: Option<String>,
    /// Reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// Total refunded.
    #[serde(default, deserialize_with = "money")]
    pub total_amount: f64,
    /// Tax refunded.
    #[serde(default, deserialize_with = "money")]
    pub total_tax: f64,
    /// Payments made back.
    #[serde(default, deserialize_with = "null_as_default")]
    pub payments: Vec<RefundPayment>,
}
