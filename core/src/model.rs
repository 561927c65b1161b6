//! Typed inputs and results, following the OpenAPI files in `shared/spec/`.
//!
//! Inputs that carry card data (`PaymentInstrument`, `Payment`) deserialize but never serialize:
//! the request builder writes their wire form explicitly. Results serialize and deserialize so
//! hosts can pass them across bindings. Enumerations the API may extend keep unknown values as
//! text instead of failing.

use crate::read::{Fields, FromJson, Json, Path, ShapeError, deserialize_with_reader};
use crate::secret::{CardNumber, InstrumentToken, PatSecret, VerificationValue};
use bcpay_derive::FromJson;
use serde::{Serialize, Serializer};
use std::fmt;

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

        impl FromJson for $name {
            const EXPECTED: &'static str = "a string";
            fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
                v.as_str().map($name::parse).ok_or_else(|| Self::mismatch(v, at))
            }
        }

        deserialize_with_reader!($name);
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
// Nothing the core reads carries a brand (it is detected from the number), so plain serde suffices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug)]
pub enum PaymentInstrument {
    /// A new card (raw card data).
    Card(Card),
    /// A card stored in the store's vault.
    StoredCard {
        /// 64-character token from Get Payment Methods.
        token: InstrumentToken,
        /// CVV, when Get Payment Methods says `verification_value_required`.
        verification_value: Option<VerificationValue>,
    },
    /// A stored PayPal account (PayPal powered by Braintree / PayPal Commerce Platform).
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
#[derive(Clone, Debug)]
pub struct Card {
    /// Card number (spaces and dashes are ignored).
    pub number: CardNumber,
    /// Cardholder's full name.
    pub cardholder_name: String,
    /// Expiry month, 1–12.
    pub expiry_month: Option<i64>,
    /// Expiry year, four digits.
    pub expiry_year: Option<i64>,
    /// CVV/CVC.
    pub verification_value: Option<VerificationValue>,
    /// Issue month (some Maestro cards).
    pub issue_month: Option<i64>,
    /// Issue year (some Maestro cards).
    pub issue_year: Option<i64>,
    /// Issue number (some Maestro cards).
    pub issue_number: Option<i64>,
}

/// A wallet-tokenized card.
#[derive(Clone, Debug)]
pub struct TokenizedCard {
    /// The provider's token.
    pub token: InstrumentToken,
    /// Issuer identification number.
    pub iin: Option<String>,
    /// Last four digits.
    pub last_four_digits: Option<String>,
    /// Expiry month.
    pub expiration_month: Option<String>,
    /// Expiry year.
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

    /// The secret values this instrument puts in a request body, to be scrubbed by value from
    /// any server text (an echoing server could send them back).
    pub fn secret_values(&self) -> impl Iterator<Item = &str> {
        let (a, b) = match self {
            PaymentInstrument::Card(c) => (Some(c.number.expose()), c.verification_value.as_ref().map(|v| v.expose())),
            PaymentInstrument::StoredCard { token, verification_value } => {
                (Some(token.expose()), verification_value.as_ref().map(|v| v.expose()))
            }
            PaymentInstrument::StoredPaypalAccount { token } | PaymentInstrument::StoredBankAccount { token } => {
                (Some(token.expose()), None)
            }
            PaymentInstrument::GiftCertificate { gift_certificate_code } => (Some(gift_certificate_code.expose()), None),
            PaymentInstrument::TokenizedCard(t) => (Some(t.token.expose()), None),
            PaymentInstrument::StoreCredit => (None, None),
        };
        a.into_iter().chain(b)
    }

    /// Gift certificates and store credit may cover only part of an order; they go first in a
    /// split payment.
    pub fn is_partial_tender(&self) -> bool {
        matches!(self, PaymentInstrument::GiftCertificate { .. } | PaymentInstrument::StoreCredit)
    }
}

/// One Process Payment: an instrument, the method to charge it through, and whether to save it.
#[derive(Clone, Debug, FromJson)]
#[json(expected = "a payment object", deny_unknown)]
pub struct Payment {
    /// What to charge.
    pub instrument: PaymentInstrument,
    /// `id` from Get Payment Methods, shaped `provider.method` (e.g. `stripe.card`).
    pub payment_method_id: String,
    /// Vault the card for later (`save_instrument`).
    #[json(read = or_default)]
    pub save_instrument: bool,
}

/// A card form as the shopper has typed it so far ([`crate::validate::check_card_form`]): every
/// field is text, possibly empty. Used on the device (no token, no request) to show each field's state while typing; submitting goes
/// through the full [`crate::validate::validate_payment`] rules, here or on the server.
#[derive(Clone, Debug, Default)]
pub struct CardForm {
    /// The card number, spaces and dashes allowed.
    pub number: CardNumber,
    /// The cardholder's name.
    pub cardholder_name: String,
    /// `1`–`12`, one or two digits.
    pub expiry_month: String,
    /// Two digits (`30` is 2030) or four.
    pub expiry_year: String,
    /// The CVV/CVC.
    pub verification_value: VerificationValue,
}

/// The keys a card form may have.
pub const CARD_FORM_KEYS: &[&str] = &["number", "cardholder_name", "expiry_month", "expiry_year", "verification_value"];

impl FromJson for CardForm {
    const EXPECTED: &'static str = "a card form object";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        let f = Fields::of(v, at, Self::EXPECTED)?;
        f.deny_unknown(CARD_FORM_KEYS)?;
        // Month and year as typed: text, or a number from a numeric input.
        let typed = |key| -> Result<String, ShapeError> {
            match f.get(key) {
                Some(Json::Number(n)) => Ok(n.to_string()),
                _ => f.or_default(key),
            }
        };
        Ok(CardForm {
            number: f.or_default("number")?,
            cardholder_name: f.or_default("cardholder_name")?,
            expiry_month: typed("expiry_month")?,
            expiry_year: typed("expiry_year")?,
            verification_value: f.or_default("verification_value")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Get Payment Methods
// ---------------------------------------------------------------------------------------------

/// One accepted payment method for an order or checkout.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a payment method object")]
pub struct PaymentMethod {
    /// `provider.method`, e.g. `stripe.card`.
    pub id: String,
    /// Display name.
    #[json(read = or_default)]
    pub name: String,
    /// Whether the gateway is in test mode.
    #[json(read = or_default)]
    pub test_mode: bool,
    /// Method type, e.g. `card`, `paypal`, `gift_certificate`.
    #[serde(rename = "type")]
    #[json(rename = "type", read = or_default)]
    pub method_type: String,
    /// Brands and stored kinds this method accepts.
    #[json(read = or_default)]
    pub supported_instruments: Vec<SupportedInstrument>,
    /// The shopper's stored instruments usable with this method.
    #[json(read = or_default)]
    pub stored_instruments: Vec<StoredInstrument>,
}

/// One brand or stored kind a method accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromJson)]
#[json(expected = "a supported instrument object")]
pub struct SupportedInstrument {
    /// `VISA`, `STORED_CARD`, …
    pub instrument_type: InstrumentType,
    /// Whether Process Payment needs the CVV for this brand.
    #[json(read = or_default)]
    pub verification_value_required: bool,
}

/// A stored instrument, from Get Payment Methods or Get Stored Instruments. One flat record
/// discriminated by `type` so that unknown kinds still parse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredInstrument {
    /// `stored_card`, `stored_paypal_account`, `stored_bank_account`, or a newer kind.
    #[serde(rename = "type")]
    pub instrument_type: String,
    /// The token to pay with.
    pub token: InstrumentToken,
    /// Whether it is the shopper's default.
    pub is_default: bool,
    /// Card brand (`VISA`, …), for stored cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Card expiry month, for stored cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_month: Option<i64>,
    /// Card expiry year, for stored cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_year: Option<i64>,
    /// First six digits, for stored cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_identification_number: Option<String>,
    /// Last four digits, for stored cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_4: Option<String>,
    /// PayPal email, for stored PayPal accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Masked account number, for stored bank accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked_account_number: Option<String>,
    /// Issuer, for stored bank accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The token as shown to people (`••••` and its last four characters), to tell instruments
    /// apart in reprs and logs; [`InstrumentToken`]'s rule, so hosts need none of their own.
    pub token_hint: String,
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, FromJson)]
#[json(expected = "a claims object")]
pub struct PatClaims {
    /// Expiry, seconds since the epoch.
    #[json(read = int)]
    pub exp: Option<i64>,
    /// Not before, seconds since the epoch.
    #[json(read = int)]
    pub nbf: Option<i64>,
    /// Issued at, seconds since the epoch.
    #[json(read = int)]
    pub iat: Option<i64>,
    /// Issuer (`payments.bigcommerce.com`).
    #[json(read = text)]
    pub iss: Option<String>,
    /// Subject: the store hash.
    #[json(read = text)]
    pub sub: Option<String>,
    /// Token id.
    #[json(read = text)]
    pub jti: Option<String>,
    /// `data.store_id`.
    #[json(read = int)]
    pub store_id: Option<i64>,
    /// `data.order_id`.
    #[json(read = int)]
    pub order_id: Option<i64>,
    /// `data.amount`, in the currency's minor units.
    #[json(read = int)]
    pub amount: Option<i64>,
    /// `data.currency`.
    #[json(read = text)]
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
    /// When it stops working (host clock, ms): receipt plus its lifetime (see
    /// [`crate::api::payment_access_token`]).
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromJson)]
#[json(expected = "a processed payment object")]
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
    #[json(read = or_default)]
    pub reconciled: bool,
}

/// The outcome of a whole [`PaymentFlow`](crate::flow::PaymentFlow): what it took, and where that
/// leaves the order.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a receipt object")]
pub struct PaymentReceipt {
    /// The order paid.
    pub order_id: u64,
    /// One entry per instrument taken, in order. Fewer than given when the order was paid before
    /// the last (a gift certificate that covered it); none when it was already paid.
    pub payments: Vec<ProcessedPayment>,
    /// How many HTTP requests the flow made.
    #[json(read = or_default)]
    pub requests_sent: u32,
    /// The order's payment state at the end: `paid`, `partially_paid` (the payments did not cover
    /// it: `amount_remaining` is still due), `already_paid` (paid before this flow, which took
    /// nothing), or `ambiguous` (the last payment was taken but the order could not be read).
    // Receipts written before this field (journals, relays) were of paid orders.
    #[json(or = "OrderPaymentState::Paid")]
    pub order_state: OrderPaymentState,
    /// What this flow paid, when the token said what was due (see [`Amount`]).
    pub amount_paid: Option<Amount>,
    /// What the order still owes: `"0.00"` when paid; `None` when it could not be told.
    pub amount_remaining: Option<Amount>,
    /// The currency of those amounts (ISO 4217).
    pub currency: Option<String>,
    /// The order's transactions, when the flow read them to tell the state (`already_paid`,
    /// `partially_paid`); else empty.
    #[json(read = or_default)]
    pub transactions: Vec<Transaction>,
}

// ---------------------------------------------------------------------------------------------
// Money and settlement
// ---------------------------------------------------------------------------------------------

/// An amount of money, exact to 1/10000 of a unit (the V2 API's precision). It serializes as a
/// decimal string in major units with at least two decimals — `"19.99"`, `"12.00"`, `"0.125"` —
/// the one form money takes in bcpay's results, whatever form the API gave it in (`"19.9900"`,
/// `12`, or a token's minor units).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(pub i64);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);

    /// From the API's decimal string or number in major units.
    pub fn from_major(major: f64) -> Amount {
        Amount((major * 10_000.0).round() as i64)
    }

    /// From decimal text in major units (`"19.9900"`, `"12.5"`); `None` when it is not a number.
    pub fn parse(text: &str) -> Option<Amount> {
        crate::read::decimal(text).map(Amount::from_major)
    }

    /// From a JSON value: decimal text or a number, in major units — the one way an amount is
    /// read, strictly for inputs (its `FromJson`) and leniently for responses (`Fields::money`).
    pub fn of_json(v: &Json<'_>) -> Option<Amount> {
        match v {
            Json::String(s) => Amount::parse(s),
            n => n.as_f64().map(Amount::from_major),
        }
    }

    /// In major units, for a request body (the API's amounts are JSON numbers).
    pub fn as_major(self) -> f64 {
        self.0 as f64 / 10_000.0
    }

    /// From minor units of `currency` (a token's `data.amount`, its ISO 4217 code in capitals):
    /// the ISO exponent, 2 unless the currency is one of the zero- or three-decimal ones.
    pub fn from_minor(minor: i64, currency: &str) -> Amount {
        // Byte comparison, not `str::contains`: a substring search costs the wasm module 2 KB.
        let among = |codes: &[u8]| codes.chunks(3).any(|c| c == currency.as_bytes());
        let exponent = if among(b"BIFCLPDJFGNFISKJPYKMFKRWPYGRWFUGXUYIVNDVUVXAFXOFXPF") {
            0
        } else if among(b"BHDIQDJODKWDLYDOMRTND") {
            3
        } else {
            2
        };
        Amount(minor.saturating_mul(10i64.pow(4 - exponent)))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let (units, mut frac, mut places) = (self.0.unsigned_abs() / 10_000, self.0.unsigned_abs() % 10_000, 4);
        while places > 2 && frac % 10 == 0 {
            frac /= 10;
            places -= 1;
        }
        write!(f, "{sign}{units}.{frac:0places$}")
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromJson for Amount {
    const EXPECTED: &'static str = "an amount";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        Amount::of_json(v).ok_or_else(|| Self::mismatch(v, at))
    }
}

/// Whether an order is paid, judged from its own totals and transactions
/// ([`OrderPaymentStatus::judge`]). bcpay's own classification, so a closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderPaymentState {
    /// Nothing paid.
    Unpaid,
    /// Some paid (a gift certificate, store credit), some still due.
    PartiallyPaid,
    /// Paid in full (purchased or authorized).
    Paid,
    /// Paid in full before this flow; it took nothing (a receipt's state only).
    AlreadyPaid,
    /// The order and its transactions disagree, or could not be read: check before paying.
    Ambiguous,
}

impl OrderPaymentState {
    const NAMES: [&'static str; 5] = ["unpaid", "partially_paid", "paid", "already_paid", "ambiguous"];

    /// The wire text (`partially_paid`, …).
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl fmt::Display for OrderPaymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for OrderPaymentState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl FromJson for OrderPaymentState {
    const EXPECTED: &'static str = "an order payment state";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        use OrderPaymentState::*;
        let found = Self::NAMES.iter().position(|n| Some(*n) == v.as_str());
        found
            .map(|i| [Unpaid, PartiallyPaid, Paid, AlreadyPaid, Ambiguous][i])
            .ok_or_else(|| Self::mismatch(v, at))
    }
}

/// An order's payment status: its state and amounts, from the order and its transactions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderPaymentStatus {
    /// The order.
    pub order_id: u64,
    /// Paid, unpaid, partially paid or ambiguous.
    pub state: OrderPaymentState,
    /// The order's total including tax.
    pub total: Option<Amount>,
    /// Taken or reserved by its transactions (purchases, authorizations and pending payments,
    /// less voids).
    pub paid: Amount,
    /// Still due: the total less what is paid, never below zero; `None` without a total.
    pub remaining: Option<Amount>,
    /// The order's currency.
    pub currency: Option<String>,
    /// The order's V2 status id.
    pub order_status_id: Option<i64>,
    /// Every transaction of the order.
    pub transactions: Vec<Transaction>,
}

impl OrderPaymentStatus {
    /// The one rule that says whether an order is paid. Money is what its transactions record;
    /// the order's status must not contradict it: a status past Pending with nothing recorded
    /// (the ledger may lag), or a transaction in another currency, is `ambiguous`.
    pub fn judge(order: &Order, transactions: Vec<Transaction>) -> OrderPaymentStatus {
        let mut paid = Amount::ZERO;
        let mut foreign = false;
        for t in &transactions {
            let sign = match t.event.as_str() {
                _ if t.status == "error" => 0,
                "void" => -1,
                _ if t.records_payment() => 1,
                _ => 0,
            };
            paid.0 += sign * t.amount.0;
            foreign |= sign != 0 && order.currency_code.as_deref().is_some_and(|c| !c.eq_ignore_ascii_case(&t.currency));
        }
        let total = order.total_inc_tax;
        let remaining = total.map(|t| Amount((t.0 - paid.0).max(0)));
        // Statuses an unpaid order may have: Incomplete, and those of orders that never got paid.
        let status_unpaid = matches!(
            order.status_id,
            Some(order_status::INCOMPLETE | order_status::CANCELLED | order_status::DECLINED | order_status::AWAITING_PAYMENT)
        );
        let state = match remaining {
            _ if foreign => OrderPaymentState::Ambiguous,
            None => OrderPaymentState::Ambiguous,
            Some(r) if r.0 == 0 && (paid.0 > 0 || !status_unpaid) => OrderPaymentState::Paid,
            Some(_) if paid.0 > 0 => OrderPaymentState::PartiallyPaid,
            Some(_) if status_unpaid => OrderPaymentState::Unpaid,
            Some(_) => OrderPaymentState::Ambiguous,
        };
        OrderPaymentStatus {
            order_id: order.id.max(0) as u64,
            state,
            total,
            paid,
            remaining,
            currency: order.currency_code.clone(),
            order_status_id: order.status_id,
            transactions,
        }
    }
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
    /// Cancelled.
    pub const CANCELLED: i64 = 5;
    /// Declined.
    pub const DECLINED: i64 = 6;
    /// Awaiting Payment.
    pub const AWAITING_PAYMENT: i64 = 7;
    /// Awaiting Fulfillment: fully paid.
    pub const AWAITING_FULFILLMENT: i64 = 11;
}

/// A billing address for V2 create order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, FromJson)]
#[json(expected = "an address object")]
pub struct BillingAddress {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Street, line 1.
    pub street_1: String,
    /// Street, line 2.
    #[serde(skip_serializing_if = "Option::is_none")]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A line item for V2 create order: a catalog product (`product_id`) or a custom product
/// (`name` and prices).
#[derive(Clone, Debug, Default, PartialEq, Serialize, FromJson)]
#[json(expected = "a product object")]
pub struct OrderProduct {
    /// Catalog product id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    /// Catalog variant id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<i64>,
    /// Custom product name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Quantity, at least 1.
    pub quantity: i64,
    /// Custom product unit price including tax.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_inc_tax: Option<f64>,
    /// Custom product unit price excluding tax.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_ex_tax: Option<f64>,
    /// Custom product SKU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

/// V2 create order input. `status_id` is always sent as 0 (Incomplete): the only payable status.
#[derive(Clone, Debug, Default, PartialEq, Serialize, FromJson)]
#[json(expected = "an order object")]
pub struct NewOrder {
    /// Customer id; 0 (or absent) for a guest.
    #[json(read = or_default)]
    pub customer_id: i64,
    /// Billing address (required for payment).
    pub billing_address: BillingAddress,
    /// Line items (required for payment).
    pub products: Vec<OrderProduct>,
    /// Transactional currency, when multi-currency is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_currency_code: Option<String>,
}

/// A V2 order, as far as payments care.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "an order object")]
pub struct Order {
    /// Order id.
    pub id: i64,
    /// Status id (0 Incomplete, 1 Pending, 11 Awaiting Fulfillment, …).
    #[json(read = req_int)]
    pub status_id: Option<i64>,
    /// Status name.
    #[json(read = or_default)]
    pub status: String,
    /// Payment status (`captured`, `authorized`, `pending`, `""`, …: the V2 enum).
    #[json(read = or_default)]
    pub payment_status: String,
    /// Customer id (0 for guests).
    #[json(read = int)]
    pub customer_id: Option<i64>,
    /// Total including tax (see [`Amount`]); `None` when absent or not an amount.
    #[json(read = opt_money)]
    pub total_inc_tax: Option<Amount>,
    /// Currency code.
    pub currency_code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Transactions (V3)
// ---------------------------------------------------------------------------------------------

/// One order transaction (V3). Text fields keep values this SDK does not know.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a transaction object")]
pub struct Transaction {
    /// Transaction id.
    #[json(read = int)]
    pub id: Option<i64>,
    /// Order id.
    #[json(read = text)]
    pub order_id: Option<String>,
    /// `purchase`, `authorization`, `capture`, `refund`, `void`, `pending`, `settled`.
    pub event: String,
    /// `credit_card`, `gift_certificate`, `store_credit`, …
    #[json(read = or_default)]
    pub method: String,
    /// Amount (see [`Amount`]).
    #[json(read = money)]
    pub amount: Amount,
    /// ISO 4217 currency.
    #[json(read = or_default)]
    pub currency: String,
    /// Gateway name.
    #[json(read = or_default)]
    pub gateway: String,
    /// Gateway's transaction id.
    pub gateway_transaction_id: Option<String>,
    /// `ok` or `error`.
    #[json(read = or_default)]
    pub status: String,
    /// Test-mode transaction.
    #[json(read = or_default)]
    pub test: bool,
    /// Payment method id (`stripe.card`, …) when known.
    pub payment_method_id: Option<String>,
    /// When it was created.
    pub date_created: Option<String>,
    /// Transaction this one acts on.
    #[json(read = int)]
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
#[derive(Clone, Debug, PartialEq, FromJson)]
#[json(expected = "a transaction page object")]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RefundItem {
    /// `PRODUCT`, `GIFT_WRAPPING`, `SHIPPING`, `HANDLING`, `ORDER`, `FEE`.
    pub item_type: String,
    /// The item's id (order product id, address id, order id, fee id).
    pub item_id: i64,
    /// Quantity, for quantity-bound items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// Amount, for amount-bound items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    /// Reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Create Refund Quote input.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a refund quote request object")]
pub struct RefundQuoteRequest {
    /// Items to quote.
    pub items: Vec<RefundItem>,
}

/// How a refund is paid back through one provider.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RefundPaymentRequest {
    /// Provider id, from the refund quote's `refund_methods`.
    pub provider_id: String,
    /// Amount through this provider.
    pub amount: f64,
    /// Whether this part is refunded outside BigCommerce.
    pub offline: bool,
}

/// Create Refund input.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a refund request object")]
pub struct RefundRequest {
    /// Items refunded.
    pub items: Vec<RefundItem>,
    /// How the money goes back.
    pub payments: Vec<RefundPaymentRequest>,
}

/// One payment option in a refund quote.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a refund payment option object")]
pub struct RefundPaymentOption {
    /// Provider id.
    pub provider_id: String,
    /// Provider's display name.
    pub provider_description: Option<String>,
    /// Refundable amount through it.
    #[json(read = money)]
    pub amount: Amount,
    /// Offline provider.
    #[json(read = or_default)]
    pub offline: bool,
    /// Whether the provider itself is offline.
    #[json(read = or_default)]
    pub offline_provider: bool,
    /// Why it is offline.
    pub offline_reason: Option<String>,
}

/// A refund quote.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a refund quote object")]
pub struct RefundQuote {
    /// Order id.
    #[json(read = int)]
    pub order_id: Option<i64>,
    /// Total refundable.
    #[json(read = money)]
    pub total_refund_amount: Amount,
    /// Tax in the total.
    #[json(read = money_or_zero)]
    pub total_refund_tax_amount: Amount,
    /// Rounding applied.
    #[json(read = money_or_zero)]
    pub rounding: Amount,
    /// Adjustment.
    #[json(read = money_or_zero)]
    pub adjustment: Amount,
    /// Whether the total includes tax.
    #[json(read = or_default)]
    pub tax_inclusive: bool,
    /// Each refund method is a list of payment options that together refund the total.
    #[json(read = or_default)]
    pub refund_methods: Vec<Vec<RefundPaymentOption>>,
}

impl RefundQuote {
    /// The refund of `items` that this quote allows: the first refund method whose every part
    /// can be refunded online, each part for the amount the quote gives it. The amounts come from
    /// the quote, never from the caller: the API refuses a refund whose payments do not add up to
    /// the quoted total (which rounding, tax and adjustments may move from the items' sum).
    ///
    /// A quote whose every method has an offline part (`offline: true`: a provider BigCommerce
    /// cannot refund through, such as a bank deposit), or that has no method, is refused with
    /// `invalid_request` / `offline_refund_required`: that money must go back outside
    /// BigCommerce, and recording it as refunded is the merchant's decision, not a default. (The
    /// quote names the providers; the error does not repeat them, to keep the npm module within
    /// its size budget.)
    pub fn refund_request(&self, items: Vec<RefundItem>) -> Result<RefundRequest, crate::error::PaymentError> {
        match self.refund_methods.iter().find(|m| !m.is_empty() && m.iter().all(|p| !p.offline)) {
            Some(method) => Ok(RefundRequest {
                items,
                payments: method
                    .iter()
                    .map(|p| RefundPaymentRequest {
                        provider_id: p.provider_id.clone(),
                        amount: p.amount.as_major(),
                        offline: false,
                    })
                    .collect(),
            }),
            None => {
                let mut e = crate::error::PaymentError::new(
                    crate::error::ErrorKind::InvalidRequest,
                    "The refund quote allows only offline refunds",
                );
                e.code_text = Some("offline_refund_required".to_owned());
                e.remedy = "Refund outside BigCommerce, through the provider the quote names; then record it with create_refund and offline: true.".to_owned();
                Err(e)
            }
        }
    }
}

/// One payment of a refund.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a refund payment object")]
pub struct RefundPayment {
    /// Payment id.
    #[json(read = int)]
    pub id: Option<i64>,
    /// Provider.
    pub provider_id: String,
    /// Amount.
    #[json(read = money)]
    pub amount: Amount,
    /// Offline.
    #[json(read = or_default)]
    pub offline: bool,
    /// Whether the provider declined it.
    #[json(read = or_default)]
    pub is_declined: bool,
    /// The provider's decline message.
    pub declined_message: Option<String>,
}

/// A refund.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a refund object")]
pub struct Refund {
    /// Refund id.
    #[json(read = int)]
    pub id: Option<i64>,
    /// Order id.
    #[json(read = int)]
    pub order_id: Option<i64>,
    /// Created at.
    pub created: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// Total refunded.
    #[json(read = money_or_zero)]
    pub total_amount: Amount,
    /// Tax refunded.
    #[json(read = money_or_zero)]
    pub total_tax: Amount,
    /// Payments made back.
    #[json(read = or_default)]
    pub payments: Vec<RefundPayment>,
}

// ---------------------------------------------------------------------------------------------
// Reading (see `read`): each type's fields and the leniency each field gets.
// ---------------------------------------------------------------------------------------------

/// The keys a payment input may have, and each instrument by its `type` (the `type` key
/// included): the one list the readers enforce and the hosts' type checks compare against
/// ([`crate::json_api::input_keys`]).
pub const PAYMENT_KEYS: &[&str] = Payment::KEYS;

/// See [`PAYMENT_KEYS`].
pub const INSTRUMENT_KEYS: &[(&str, &[&str])] = &[
    (
        "card",
        &[
            "type",
            "number",
            "cardholder_name",
            "expiry_month",
            "expiry_year",
            "verification_value",
            "issue_month",
            "issue_year",
            "issue_number",
        ],
    ),
    ("stored_card", &["type", "token", "verification_value"]),
    ("stored_paypal_account", &["type", "token"]),
    ("stored_bank_account", &["type", "token"]),
    ("gift_certificate", &["type", "gift_certificate_code"]),
    ("store_credit", &["type"]),
    (
        "tokenized_card",
        &["type", "token", "iin", "last_four_digits", "expiration_month", "expiration_year"],
    ),
];

/// The keys of a known instrument type; an unknown type has none (its reader reports the type).
fn instrument_keys(instrument_type: &str) -> &'static [&'static str] {
    INSTRUMENT_KEYS
        .iter()
        .find(|(t, _)| *t == instrument_type)
        .map_or(&["type"], |(_, keys)| keys)
}

impl FromJson for PaymentInstrument {
    const EXPECTED: &'static str = "an instrument object with a `type`";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        let f = Fields::of(v, at, Self::EXPECTED)?;
        // Inputs, not responses: a key bcpay does not know (a stray `cvv`, a misspelling) is an
        // error naming it, never dropped while the payment goes through.
        let instrument_type = f.req::<String>("type")?;
        // Cards read their own keys; an unknown type is reported as such below.
        let known = INSTRUMENT_KEYS.iter().any(|(t, _)| *t == instrument_type);
        if known && !matches!(instrument_type.as_str(), "card" | "tokenized_card") {
            f.deny_unknown(instrument_keys(&instrument_type))?;
        }
        let instrument = match instrument_type.as_str() {
            "card" => PaymentInstrument::Card(Card::from_json(v, at)?),
            "stored_card" => PaymentInstrument::StoredCard {
                token: f.req("token")?,
                verification_value: f.opt("verification_value")?,
            },
            "stored_paypal_account" => PaymentInstrument::StoredPaypalAccount { token: f.req("token")? },
            "stored_bank_account" => PaymentInstrument::StoredBankAccount { token: f.req("token")? },
            "gift_certificate" => PaymentInstrument::GiftCertificate {
                gift_certificate_code: f.req("gift_certificate_code")?,
            },
            "store_credit" => PaymentInstrument::StoreCredit,
            "tokenized_card" => PaymentInstrument::TokenizedCard(TokenizedCard::from_json(v, at)?),
            _ => {
                return Err(ShapeError::at(
                    Path::Key(at, "type").to_string(),
                    "card, stored_card, stored_paypal_account, stored_bank_account, gift_certificate, store_credit or tokenized_card",
                    "another value",
                ));
            }
        };
        Ok(instrument)
    }
}

impl FromJson for Card {
    const EXPECTED: &'static str = "a card object";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        let f = Fields::of(v, at, Self::EXPECTED)?;
        f.deny_unknown(instrument_keys("card"))?;
        Ok(Card {
            number: f.req("number")?,
            cardholder_name: f.req("cardholder_name")?,
            expiry_month: f.int("expiry_month")?,
            expiry_year: f.int("expiry_year")?,
            verification_value: f.opt("verification_value")?,
            issue_month: f.int("issue_month")?,
            issue_year: f.int("issue_year")?,
            issue_number: f.int("issue_number")?,
        })
    }
}

impl FromJson for TokenizedCard {
    const EXPECTED: &'static str = "a tokenized card object";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        let f = Fields::of(v, at, Self::EXPECTED)?;
        f.deny_unknown(instrument_keys("tokenized_card"))?;
        Ok(TokenizedCard {
            token: f.req("token")?,
            iin: f.text("iin")?,
            last_four_digits: f.text("last_four_digits")?,
            expiration_month: f.text("expiration_month")?,
            expiration_year: f.text("expiration_year")?,
        })
    }
}

impl FromJson for StoredInstrument {
    const EXPECTED: &'static str = "a stored instrument object";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        let f = Fields::of(v, at, Self::EXPECTED)?;
        let token: InstrumentToken = f.req("token")?;
        Ok(StoredInstrument {
            instrument_type: f.or("type", "stored_card".to_owned())?,
            token_hint: token.redacted(),
            token,
            is_default: f.or_default("is_default")?,
            brand: f.opt("brand")?,
            expiry_month: f.int("expiry_month")?,
            expiry_year: f.int("expiry_year")?,
            issuer_identification_number: f.opt("issuer_identification_number")?,
            last_4: f.opt("last_4")?,
            email: f.opt("email")?,
            masked_account_number: f.opt("masked_account_number")?,
            issuer: f.opt("issuer")?,
        })
    }
}

impl FromJson for RefundItem {
    const EXPECTED: &'static str = "a refund item object";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        let f = Fields::of(v, at, Self::EXPECTED)?;
        Ok(RefundItem {
            item_type: f.req("item_type")?,
            item_id: f.req("item_id")?,
            quantity: f.opt("quantity")?,
            amount: f.opt::<Amount>("amount")?.map(Amount::as_major),
            reason: f.opt("reason")?,
        })
    }
}

impl FromJson for RefundPaymentRequest {
    const EXPECTED: &'static str = "a refund payment object";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        let f = Fields::of(v, at, Self::EXPECTED)?;
        Ok(RefundPaymentRequest {
            provider_id: f.req("provider_id")?,
            amount: f.req::<Amount>("amount")?.as_major(),
            offline: f.or_default("offline")?,
        })
    }
}

deserialize_with_reader!(
    CardForm,
    PaymentInstrument,
    Card,
    TokenizedCard,
    Payment,
    PaymentMethod,
    SupportedInstrument,
    StoredInstrument,
    PatClaims,
    ProcessedPayment,
    PaymentReceipt,
    BillingAddress,
    OrderProduct,
    NewOrder,
    Order,
    Transaction,
    TransactionPage,
    RefundItem,
    RefundQuoteRequest,
    RefundPaymentRequest,
    RefundRequest,
    RefundPaymentOption,
    RefundQuote,
    RefundPayment,
    Refund,
);

#[cfg(test)]
mod refund_by_quote {
    use super::*;

    fn option(provider: &str, amount: f64, offline: bool) -> RefundPaymentOption {
        RefundPaymentOption {
            provider_id: provider.into(),
            provider_description: None,
            amount: Amount::from_major(amount),
            offline,
            offline_provider: offline,
            offline_reason: offline.then(|| "This is an offline payment provider.".into()),
        }
    }

    fn quote(methods: Vec<Vec<RefundPaymentOption>>) -> RefundQuote {
        RefundQuote {
            order_id: Some(7),
            total_refund_amount: Amount::from_major(9.99),
            total_refund_tax_amount: Amount::ZERO,
            rounding: Amount::ZERO,
            adjustment: Amount::ZERO,
            tax_inclusive: true,
            refund_methods: methods,
        }
    }

    fn items() -> Vec<RefundItem> {
        vec![RefundItem {
            item_type: "ORDER".into(),
            item_id: 7,
            quantity: None,
            amount: Some(10.50),
            reason: None,
        }]
    }

    #[test]
    fn the_amounts_come_from_the_quote_and_the_first_online_method() {
        let q = quote(vec![
            vec![option("bankdeposit", 5.0, true), option("storecredit", 4.99, false)],
            vec![option("stripe", 9.99, false)],
        ]);
        let r = q.refund_request(items()).unwrap();
        assert_eq!(
            r.payments,
            vec![RefundPaymentRequest {
                provider_id: "stripe".into(),
                amount: 9.99,
                offline: false
            }]
        );
        assert_eq!(r.items, items());
        // A method of several online parts refunds through each of them.
        let q = quote(vec![vec![option("storecredit", 4.0, false), option("stripe", 5.99, false)]]);
        let amounts: Vec<f64> = q.refund_request(items()).unwrap().payments.iter().map(|p| p.amount).collect();
        assert_eq!(amounts, vec![4.0, 5.99]);
    }

    #[test]
    fn a_quote_that_allows_only_offline_refunds_is_refused() {
        let e = quote(vec![vec![option("custom", 9.99, true)]]).refund_request(items()).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::InvalidRequest);
        assert_eq!(e.code_text.as_deref(), Some("offline_refund_required"));
        assert_eq!(e.title, "The refund quote allows only offline refunds");
        let e = quote(vec![]).refund_request(items()).unwrap_err();
        assert_eq!(e.code_text.as_deref(), Some("offline_refund_required"));
    }
}
