//! Input validation, run before any request is built: the rules about the values a caller gives
//! (cards, expiry, CVV, tokens, order ids, orders, refunds, the store's accepted methods). The
//! rules about their shape (types, missing and unknown keys) are the readers' ([`crate::read`]);
//! the check that a payment access token can go in a header is [`crate::api::Api::build_process_payment`]'s;
//! the flow's options are checked by the flow.
//!
//! Validators collect **all** problems as [`FieldError`]s with a path, a machine code and a
//! description that never repeats the value.

use crate::error::FieldError;
use crate::model::{CardBrand, InstrumentType, NewOrder, Payment, PaymentInstrument, PaymentMethod, RefundItem};
use std::fmt;

/// Largest order id the API accepts (`int32`).
pub const MAX_ORDER_ID: u64 = i32::MAX as u64;
/// Longest cardholder name accepted.
pub const MAX_CARDHOLDER_NAME: usize = 255;
/// Exact length of stored-instrument tokens.
pub const STORED_TOKEN_LEN: usize = 64;

/// Luhn (mod 10) check over ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

fn prefix_in(digits: &str, len: usize, lo: u32, hi: u32) -> bool {
    digits
        .get(..len)
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| (lo..=hi).contains(&p))
}

/// Each brand's issuer identification number ranges: `(brand, prefix length, low, high)`.
///
/// Order matters where ranges nest: Dankort's 5019 sits inside Maestro's 50, and Discover's
/// 6011/644–649/65/622126–622925 inside Maestro's 6; the first match wins.
const IIN_RANGES: &[(CardBrand, usize, u32, u32)] = &[
    (CardBrand::Dankort, 4, 5019, 5019),
    (CardBrand::Visa, 1, 4, 4),
    (CardBrand::Amex, 2, 34, 34),
    (CardBrand::Amex, 2, 37, 37),
    (CardBrand::Mastercard, 2, 51, 55),
    (CardBrand::Mastercard, 4, 2221, 2720),
    (CardBrand::Discover, 4, 6011, 6011),
    (CardBrand::Discover, 3, 644, 649),
    (CardBrand::Discover, 2, 65, 65),
    (CardBrand::Discover, 6, 622126, 622925),
    (CardBrand::Jcb, 4, 3528, 3589),
    (CardBrand::DinersClub, 3, 300, 305),
    (CardBrand::DinersClub, 2, 36, 36),
    (CardBrand::DinersClub, 2, 38, 39),
    (CardBrand::Maestro, 2, 50, 50),
    (CardBrand::Maestro, 2, 56, 58),
    (CardBrand::Maestro, 2, 67, 67),
    (CardBrand::Maestro, 4, 6304, 6304),
    (CardBrand::Maestro, 4, 6759, 6759),
    (CardBrand::Maestro, 4, 6761, 6763),
    (CardBrand::Maestro, 4, 5893, 5893),
];

/// The brand for a card number's IIN, or `None` if it matches no supported brand. A partial
/// number gets the brand its digits so far match, which may change as more are typed
/// (`50` is Maestro, `5019` Dankort).
pub fn detect_brand(digits: &str) -> Option<CardBrand> {
    IIN_RANGES
        .iter()
        .find(|&&(_, len, lo, hi)| prefix_in(digits, len, lo, hi))
        .map(|&(brand, ..)| brand)
}

/// Whether more digits could still make `digits` a supported brand's prefix (`3` may become
/// Amex, Diners Club or JCB; `9` never becomes anything).
fn may_become_brand(digits: &str) -> bool {
    let Ok(typed) = digits.parse::<u64>() else {
        return digits.is_empty();
    };
    IIN_RANGES.iter().any(|&(_, len, lo, hi)| {
        let Some(missing) = len.checked_sub(digits.len()).filter(|m| *m > 0) else {
            return false;
        };
        let scale = 10u64.pow(missing as u32);
        let (first, last) = (typed * scale, (typed + 1) * scale - 1);
        first <= u64::from(hi) && last >= u64::from(lo)
    })
}

/// Valid number lengths for a brand.
pub fn brand_lengths(brand: CardBrand) -> &'static [usize] {
    match brand {
        CardBrand::Visa => &[13, 16, 19],
        CardBrand::Mastercard => &[16],
        CardBrand::Amex => &[15],
        CardBrand::Discover => &[16, 17, 18, 19],
        CardBrand::Jcb => &[16, 17, 18, 19],
        CardBrand::DinersClub => &[14, 15, 16, 17, 18, 19],
        CardBrand::Maestro => &[12, 13, 14, 15, 16, 17, 18, 19],
        CardBrand::Dankort => &[16],
    }
}

/// Civil (year, month) in UTC for a Unix time in milliseconds (Howard Hinnant's algorithm).
pub fn year_month_utc(now_ms: u64) -> (i64, i64) {
    let days = (now_ms / 86_400_000) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

/// Checks an order id: at least 1 and within `int32`.
pub fn validate_order_id(path: &str, order_id: u64) -> Vec<FieldError> {
    if order_id == 0 || order_id > MAX_ORDER_ID {
        vec![FieldError::new(
            path,
            "invalid_order_id",
            "The order id must be a whole number from 1 to 2147483647.",
        )]
    } else {
        Vec::new()
    }
}

fn at(base: &dyn fmt::Display, field: &str) -> String {
    format!("{base}.{field}")
}

/// The path of a payment's instrument (`payment.instrument`), written out only when a problem
/// needs it: most payments have none, and each would otherwise pay for a string.
struct InstrumentPath<'a>(&'a str);

impl fmt::Display for InstrumentPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        f.write_str(".instrument")
    }
}

fn validate_payment_method_id_at(prefix: &str, id: &str) -> Vec<FieldError> {
    if payment_method_id_ok(id) {
        Vec::new()
    } else {
        validate_payment_method_id(&at(&prefix, "payment_method_id"), id)
    }
}

fn payment_method_id_ok(id: &str) -> bool {
    let part_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match id.split_once('.') {
        Some((provider, method)) => part_ok(provider) && part_ok(method) && id.len() <= 128,
        None => false,
    }
}

/// Checks a payment method id is shaped `provider.method` (letters, digits, `_`, `-`).
pub fn validate_payment_method_id(path: &str, id: &str) -> Vec<FieldError> {
    if payment_method_id_ok(id) {
        Vec::new()
    } else {
        vec![FieldError::new(
            path,
            "invalid_payment_method_id",
            "The payment method id must look like provider.method (e.g. stripe.card), as returned by Get Payment Methods.",
        )]
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The verification value's possible lengths for a brand, with the sentence that says so.
fn cvv_rule(brand: Option<CardBrand>) -> (&'static [usize], &'static str) {
    match brand {
        Some(CardBrand::Amex) => (&[4], "The verification value must be 4 digits for American Express."),
        Some(_) => (&[3], "The verification value must be 3 digits."),
        // Stored cards: brand unknown here; the spec allows 3–4.
        None => (&[3, 4], "The verification value must be 3 or 4 digits."),
    }
}

fn check_cvv(errors: &mut Vec<FieldError>, base: &dyn fmt::Display, cvv: &str, brand: Option<CardBrand>) {
    let (lengths, description) = cvv_rule(brand);
    if !is_digits(cvv) || !lengths.contains(&cvv.len()) {
        errors.push(FieldError::new(
            at(base, "verification_value"),
            "invalid_verification_value",
            description,
        ));
    }
}

/// What is wrong with a card number's digits (spaces and dashes removed), as `(code,
/// description)` pairs; empty when it is a valid number of a supported brand.
fn number_problems(digits: &str) -> Vec<(&'static str, &'static str)> {
    if !is_digits(digits) {
        return vec![("invalid_card_number", "The card number must contain only digits.")];
    }
    let mut problems = Vec::new();
    match detect_brand(digits) {
        None => problems.push((
            "unsupported_card_brand",
            "The card number does not belong to a supported card brand.",
        )),
        Some(b) if !brand_lengths(b).contains(&digits.len()) => problems.push((
            "invalid_card_length",
            "The card number has the wrong number of digits for its brand.",
        )),
        Some(_) => {}
    }
    if !luhn_valid(digits) {
        problems.push(("luhn_check_failed", "The card number is not valid (check digit mismatch)."));
    }
    problems
}

/// What is wrong with a cardholder name, if anything.
fn name_problem(name: &str) -> Option<(&'static str, &'static str)> {
    let name = name.trim();
    if name.is_empty() {
        Some(("missing", "The cardholder name is required."))
    } else if crate::read::char_count(name) > MAX_CARDHOLDER_NAME || name.chars().any(is_invisible_or_control) {
        Some((
            "invalid_cardholder_name",
            "The cardholder name must be at most 255 characters, with no control, bidirectional-override or zero-width characters.",
        ))
    } else {
        None
    }
}

/// Whether a card expiring at the end of `month`/`year` has expired at `now_ms` (UTC).
fn has_expired(year: i64, month: i64, now_ms: u64) -> bool {
    (1..=12).contains(&month) && (1000..=9999).contains(&year) && (year, month) < year_month_utc(now_ms)
}

const CARD_EXPIRED: (&str, &str) = ("card_expired", "The card's expiry date has passed.");

fn check_stored_token(errors: &mut Vec<FieldError>, base: &dyn fmt::Display, token: &str) {
    if token.len() != STORED_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        errors.push(FieldError::new(
            at(base, "token"),
            "invalid_token",
            "A stored instrument token is 64 letters and digits, from Get Payment Methods.",
        ));
    }
}

fn check_month(errors: &mut Vec<FieldError>, base: &dyn fmt::Display, field: &str, month: Option<i64>, required: bool) {
    match month {
        None if required => errors.push(FieldError::new(at(base, field), "missing", "The month is required.")),
        Some(m) if !(1..=12).contains(&m) => errors.push(FieldError::new(at(base, field), "invalid_month", "The month must be 1 to 12.")),
        _ => {}
    }
}

fn check_year(errors: &mut Vec<FieldError>, base: &dyn fmt::Display, field: &str, year: Option<i64>, required: bool) {
    match year {
        None if required => errors.push(FieldError::new(at(base, field), "missing", "The year is required.")),
        Some(y) if !(1000..=9999).contains(&y) => errors.push(FieldError::new(
            at(base, field),
            "invalid_year",
            "The year must have four digits (e.g. 2030).",
        )),
        _ => {}
    }
}

/// Validates one payment. `prefix` is the path of the payment object (`payment` or
/// `payments[1]`); `now_ms` dates the expiry check; `methods`, when at hand, adds the checks
/// against the store's accepted methods.
pub fn validate_payment(prefix: &str, payment: &Payment, now_ms: u64, methods: Option<&[PaymentMethod]>) -> Vec<FieldError> {
    let mut errors = validate_payment_method_id_at(prefix, &payment.payment_method_id);
    let ip = InstrumentPath(prefix);
    let mut brand = None;
    match &payment.instrument {
        PaymentInstrument::Card(card) => {
            let digits = zeroize::Zeroizing::new(card.number.digits());
            brand = is_digits(&digits).then(|| detect_brand(&digits)).flatten();
            for (code, description) in number_problems(&digits) {
                errors.push(FieldError::new(at(&ip, "number"), code, description));
            }
            if let Some((code, description)) = name_problem(&card.cardholder_name) {
                errors.push(FieldError::new(format!("{ip}.cardholder_name"), code, description));
            }
            check_month(&mut errors, &ip, "expiry_month", card.expiry_month, true);
            check_year(&mut errors, &ip, "expiry_year", card.expiry_year, true);
            if let (Some(m), Some(y)) = (card.expiry_month, card.expiry_year) {
                if has_expired(y, m, now_ms) {
                    errors.push(FieldError::new(format!("{ip}.expiry_year"), CARD_EXPIRED.0, CARD_EXPIRED.1));
                }
            }
            if let Some(cvv) = &card.verification_value {
                check_cvv(&mut errors, &ip, cvv.expose(), brand);
            }
            check_month(&mut errors, &ip, "issue_month", card.issue_month, false);
            check_year(&mut errors, &ip, "issue_year", card.issue_year, false);
            if card.issue_number.is_some_and(|n| n < 0) {
                errors.push(FieldError::new(
                    format!("{ip}.issue_number"),
                    "invalid_issue_number",
                    "The issue number cannot be negative.",
                ));
            }
        }
        PaymentInstrument::StoredCard { token, verification_value } => {
            check_stored_token(&mut errors, &ip, token.expose());
            if let Some(cvv) = verification_value {
                check_cvv(&mut errors, &ip, cvv.expose(), None);
            }
        }
        PaymentInstrument::StoredPaypalAccount { token } | PaymentInstrument::StoredBankAccount { token } => {
            check_stored_token(&mut errors, &ip, token.expose());
        }
        PaymentInstrument::GiftCertificate { gift_certificate_code } => {
            let code = gift_certificate_code.expose().trim();
            if code.is_empty() || code.len() > 255 || code.chars().any(char::is_control) {
                errors.push(FieldError::new(
                    format!("{ip}.gift_certificate_code"),
                    "invalid_gift_certificate_code",
                    "The gift certificate code is required (at most 255 characters).",
                ));
            }
        }
        PaymentInstrument::StoreCredit => {}
        PaymentInstrument::TokenizedCard(t) => {
            if t.token.expose().trim().is_empty() {
                errors.push(FieldError::new(
                    format!("{ip}.token"),
                    "missing",
                    "The tokenized card's token is required.",
                ));
            }
            if t.iin.as_deref().is_some_and(|iin| !is_digits(iin) || !(6..=8).contains(&iin.len())) {
                errors.push(FieldError::new(
                    format!("{ip}.iin"),
                    "invalid_iin",
                    "The IIN must be 6 to 8 digits.",
                ));
            }
            if t.last_four_digits.as_deref().is_some_and(|l| !is_digits(l) || l.len() != 4) {
                errors.push(FieldError::new(
                    format!("{ip}.last_four_digits"),
                    "invalid_last_four_digits",
                    "The last four digits must be exactly 4 digits.",
                ));
            }
            let parse = |s: &Option<String>| s.as_deref().map(|v| v.trim().parse::<i64>().unwrap_or(-1));
            check_month(&mut errors, &ip, "expiration_month", parse(&t.expiration_month), false);
            check_year(&mut errors, &ip, "expiration_year", parse(&t.expiration_year), false);
        }
    }
    if payment.save_instrument
        && !matches!(
            payment.instrument,
            PaymentInstrument::Card(_) | PaymentInstrument::StoredCard { .. } | PaymentInstrument::TokenizedCard(_)
        )
    {
        errors.push(FieldError::new(
            format!("{prefix}.save_instrument"),
            "save_not_supported",
            "Only cards can be saved with save_instrument.",
        ));
    }
    if let Some(methods) = methods {
        check_against_methods(&mut errors, prefix, payment, brand, methods, false);
    }
    errors
}

/// Checks already validated payments against the store's accepted methods only (the checks
/// [`validate_payments`] adds when given methods), without repeating the structural rules.
pub fn validate_against_methods(payments: &[Payment], methods: &[PaymentMethod], recurring: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, p) in payments.iter().enumerate() {
        let prefix = if payments.len() == 1 {
            "payment".to_owned()
        } else {
            format!("payments[{i}]")
        };
        let brand = match &p.instrument {
            PaymentInstrument::Card(card) => detect_brand(&zeroize::Zeroizing::new(card.number.digits())),
            _ => None,
        };
        check_against_methods(&mut errors, &prefix, p, brand, methods, recurring);
    }
    errors
}

/// Checks a payment against the store's accepted methods (from Get Payment Methods).
///
/// `recurring`: the payment is made under a token created with `is_recurring` — a
/// merchant-initiated charge of a stored card, as a billing job makes. No shopper is present to
/// give a CVV and PCI DSS forbids keeping one after authorization, and `is_recurring` tells the
/// gateway so ("to let the payment gateway know", Create Payment Access Token): such a stored
/// card needs no verification value even where the method's `verification_value_required` says
/// so for shopper-present payments. This is the one place that rule lives.
fn check_against_methods(
    errors: &mut Vec<FieldError>,
    prefix: &str,
    payment: &Payment,
    brand: Option<CardBrand>,
    methods: &[PaymentMethod],
    recurring: bool,
) {
    let Some(method) = methods.iter().find(|m| m.id == payment.payment_method_id) else {
        errors.push(FieldError::new(
            format!("{prefix}.payment_method_id"),
            "payment_method_not_accepted",
            "This payment method is not accepted for this order (not in Get Payment Methods).",
        ));
        return;
    };
    let ip = InstrumentPath(prefix);
    let supported = |t: &InstrumentType| method.supported_instruments.iter().find(|s| &s.instrument_type == t);
    match &payment.instrument {
        PaymentInstrument::Card(card) => {
            if let Some(b) = brand {
                match supported(&b.instrument_type()) {
                    None => errors.push(FieldError::new(
                        format!("{ip}.number"),
                        "card_brand_not_accepted",
                        "This card brand is not accepted by the payment method.",
                    )),
                    Some(s) if s.verification_value_required && card.verification_value.is_none() => errors.push(FieldError::new(
                        format!("{ip}.verification_value"),
                        "missing",
                        "The payment method requires the card's verification value.",
                    )),
                    Some(_) => {}
                }
            }
        }
        PaymentInstrument::StoredCard { token, verification_value } => {
            check_stored_instrument_known(errors, &ip, method, token);
            let cvv_required = !recurring && supported(&InstrumentType::StoredCard).is_some_and(|s| s.verification_value_required);
            if cvv_required && verification_value.is_none() {
                errors.push(FieldError::new(
                    format!("{ip}.verification_value"),
                    "missing",
                    "The payment method requires the stored card's verification value.",
                ));
            }
        }
        PaymentInstrument::StoredPaypalAccount { token } | PaymentInstrument::StoredBankAccount { token } => {
            check_stored_instrument_known(errors, &ip, method, token);
        }
        _ => {}
    }
}

/// A stored instrument must be one of the method's (when the method lists any for the shopper).
fn check_stored_instrument_known(
    errors: &mut Vec<FieldError>,
    ip: &dyn fmt::Display,
    method: &PaymentMethod,
    token: &crate::secret::InstrumentToken,
) {
    if !method.stored_instruments.is_empty() && !method.stored_instruments.iter().any(|s| s.token.expose() == token.expose()) {
        errors.push(FieldError::new(
            at(ip, "token"),
            "stored_instrument_not_found",
            "This stored instrument is not among the shopper's stored instruments for the method.",
        ));
    }
}

/// Validates the payments of one flow: each payment, and for split payments that gift
/// certificates and store credit come before the single instrument that pays the rest.
pub fn validate_payments(payments: &[Payment], now_ms: u64, methods: Option<&[PaymentMethod]>) -> Vec<FieldError> {
    if payments.is_empty() {
        return vec![FieldError::new("payments", "missing", "At least one payment is required.")];
    }
    let single = payments.len() == 1;
    let mut errors = Vec::new();
    for (i, p) in payments.iter().enumerate() {
        let prefix = if single { "payment".to_owned() } else { format!("payments[{i}]") };
        errors.extend(validate_payment(&prefix, p, now_ms, methods));
        if !single && i + 1 < payments.len() && !p.instrument.is_partial_tender() {
            errors.push(FieldError::new(
                format!("payments[{i}].instrument"),
                "split_order",
                "In a split payment only gift certificates and store credit may come before the last instrument.",
            ));
        }
    }
    errors
}

/// Validates a V2 create-order input.
pub fn validate_new_order(order: &NewOrder) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if order.customer_id < 0 {
        errors.push(FieldError::new(
            "order.customer_id",
            "invalid_customer_id",
            "The customer id must be 0 (guest) or a customer's id.",
        ));
    }
    let a = &order.billing_address;
    for (field, value) in [
        ("first_name", &a.first_name),
        ("last_name", &a.last_name),
        ("street_1", &a.street_1),
        ("city", &a.city),
        ("zip", &a.zip),
        ("country", &a.country),
        ("email", &a.email),
    ] {
        if value.trim().is_empty() {
            errors.push(FieldError::new(
                format!("order.billing_address.{field}"),
                "missing",
                "This billing address field is required.",
            ));
        }
    }
    if !(a.country_iso2.len() == 2 && a.country_iso2.bytes().all(|b| b.is_ascii_uppercase())) {
        errors.push(FieldError::new(
            "order.billing_address.country_iso2",
            "invalid_country_code",
            "The country code must be two capital letters (ISO 3166-1 alpha-2).",
        ));
    }
    if !a.email.trim().is_empty() && !a.email.contains('@') {
        errors.push(FieldError::new(
            "order.billing_address.email",
            "invalid_email",
            "The email address must contain @.",
        ));
    }
    if order.products.is_empty() {
        errors.push(FieldError::new("order.products", "missing", "At least one product is required."));
    }
    for (i, p) in order.products.iter().enumerate() {
        let path = format!("order.products[{i}]");
        if p.quantity < 1 {
            errors.push(FieldError::new(
                format!("{path}.quantity"),
                "invalid_quantity",
                "The quantity must be at least 1.",
            ));
        }
        match (&p.product_id, &p.name) {
            (Some(id), _) if *id < 1 => errors.push(FieldError::new(
                format!("{path}.product_id"),
                "invalid_product_id",
                "The product id must be at least 1.",
            )),
            (Some(_), _) => {}
            (None, Some(name)) if !name.trim().is_empty() => {
                for (field, price) in [("price_inc_tax", p.price_inc_tax), ("price_ex_tax", p.price_ex_tax)] {
                    match price {
                        Some(v) if v.is_finite() && v >= 0.0 => {}
                        _ => errors.push(FieldError::new(
                            format!("{path}.{field}"),
                            "invalid_price",
                            "A custom product needs a non-negative price.",
                        )),
                    }
                }
            }
            _ => errors.push(FieldError::new(
                path,
                "missing_product",
                "A product needs a product_id (catalog) or a name and prices (custom).",
            )),
        }
    }
    errors
}

/// Validates refund items.
pub fn validate_refund_items(items: &[RefundItem]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if items.is_empty() {
        errors.push(FieldError::new("items", "missing", "At least one item is required."));
    }
    for (i, item) in items.iter().enumerate() {
        let path = format!("items[{i}]");
        const TYPES: [&str; 6] = ["PRODUCT", "GIFT_WRAPPING", "SHIPPING", "HANDLING", "ORDER", "FEE"];
        if !TYPES.contains(&item.item_type.as_str()) {
            errors.push(FieldError::new(
                format!("{path}.item_type"),
                "invalid_item_type",
                "The item type must be PRODUCT, GIFT_WRAPPING, SHIPPING, HANDLING, ORDER or FEE.",
            ));
        }
        if item.item_id < 1 {
            errors.push(FieldError::new(
                format!("{path}.item_id"),
                "invalid_item_id",
                "The item id must be at least 1.",
            ));
        }
        if item.quantity.is_some_and(|q| q < 1) {
            errors.push(FieldError::new(
                format!("{path}.quantity"),
                "invalid_quantity",
                "The quantity must be at least 1.",
            ));
        }
        if item.amount.is_some_and(|a| !a.is_finite() || a < 0.0) {
            errors.push(FieldError::new(
                format!("{path}.amount"),
                "invalid_amount",
                "The amount must be a non-negative number.",
            ));
        }
        if item.quantity.is_none() && item.amount.is_none() {
            errors.push(FieldError::new(
                path,
                "missing_quantity_or_amount",
                "Each item needs a quantity or an amount.",
            ));
        }
    }
    errors
}

// ---------------------------------------------------------------------------------------------
// As the shopper types: a card form checked field by field, on the device
// ---------------------------------------------------------------------------------------------

/// How far a field is from valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldState {
    /// Nothing typed yet.
    Empty,
    /// Not valid yet, but more typing could make it valid (`4111 11`): show no error yet.
    Incomplete,
    /// Valid as it stands.
    Valid,
    /// Wrong whatever is typed next: show `code` / `description`.
    Invalid,
}

/// One field's state in a [`CardFormCheck`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldCheck {
    /// The field: `number`, `cardholder_name`, `expiry_month`, `expiry_year`, `verification_value`.
    pub field: &'static str,
    /// Its state.
    pub state: FieldState,
    /// For `invalid`: the same code [`validate_payment`] gives (`luhn_check_failed`, …).
    pub code: Option<&'static str>,
    /// For `invalid`: a sentence for the shopper; never repeats the value.
    pub description: Option<&'static str>,
}

/// What [`check_card_form`] found. Holds no card data.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CardFormCheck {
    /// The brand the number's digits so far belong to, if any.
    pub brand: Option<CardBrand>,
    /// With the order's accepted methods: the method that accepts this brand (the payment's
    /// `payment_method_id`).
    pub payment_method_id: Option<String>,
    /// Whether this brand needs the verification value (without methods: always).
    pub verification_value_required: bool,
    /// The expiry as numbers for a payment (`30` → 2030), when readable.
    pub expiry_month: Option<i64>,
    /// See `expiry_month`.
    pub expiry_year: Option<i64>,
    /// One entry per field, in the form's order.
    pub fields: Vec<FieldCheck>,
    /// Every field is valid (an optional, empty CVV counts): the form may be submitted.
    pub complete: bool,
}

/// Checks a card form as typed, at `now_ms` on the device's clock, against the order's accepted
/// `methods` when the server passed them (brand accepted, CVV required). The same rules as
/// [`validate_payment`]; a field is `incomplete` rather than `invalid` while more typing could
/// still fix it.
pub fn check_card_form(form: &crate::model::CardForm, now_ms: u64, methods: Option<&[PaymentMethod]>) -> CardFormCheck {
    let digits = zeroize::Zeroizing::new(form.number.digits());
    let brand = is_digits(&digits).then(|| detect_brand(&digits)).flatten();
    let accepting = |b: CardBrand| {
        methods?.iter().find_map(|m| {
            let s = m.supported_instruments.iter().find(|s| s.instrument_type == b.instrument_type())?;
            Some((m.id.clone(), s.verification_value_required))
        })
    };
    let accepted = brand.and_then(accepting);
    let mut fields = Vec::with_capacity(5);

    // The number: invalid now, but still growing towards a valid length (or brand), is incomplete.
    let problems = number_problems(&digits);
    let may_grow = is_digits(&digits)
        && match brand {
            Some(b) => brand_lengths(b).iter().any(|&l| l > digits.len()),
            None => may_become_brand(&digits),
        };
    let not_accepted = ("card_brand_not_accepted", "This card brand is not accepted for this order.");
    fields.push(match (digits.is_empty(), problems.first()) {
        (true, _) => FieldCheck::of("number", FieldState::Empty),
        (false, _) if methods.is_some() && brand.is_some() && accepted.is_none() => FieldCheck::invalid("number", not_accepted),
        (false, None) => FieldCheck::of("number", FieldState::Valid),
        (false, Some(_)) if may_grow => FieldCheck::of("number", FieldState::Incomplete),
        (false, Some(&p)) => FieldCheck::invalid("number", p),
    });

    fields.push(match (form.cardholder_name.is_empty(), name_problem(&form.cardholder_name)) {
        (true, _) => FieldCheck::of("cardholder_name", FieldState::Empty),
        (false, Some(p)) => FieldCheck::invalid("cardholder_name", p),
        (false, None) => FieldCheck::of("cardholder_name", FieldState::Valid),
    });

    let (month_check, month) = typed_number(&form.expiry_month, "expiry_month", |t| match t.len() {
        1 if t == "0" => TypedNumber::Partial,
        1 | 2 => t
            .parse()
            .ok()
            .filter(|m| (1..=12).contains(m))
            .map_or(TypedNumber::Wrong, TypedNumber::Whole),
        _ => TypedNumber::Wrong,
    });
    let (mut year_check, year) = typed_number(&form.expiry_year, "expiry_year", |t| match t.len() {
        1 | 3 => TypedNumber::Partial,
        2 => t.parse().map_or(TypedNumber::Wrong, |y: i64| TypedNumber::Whole(2000 + y)),
        4 => t.parse().map_or(TypedNumber::Wrong, TypedNumber::Whole),
        _ => TypedNumber::Wrong,
    });
    if let (Some(m), Some(y)) = (month, year) {
        if has_expired(y, m, now_ms) {
            year_check = FieldCheck::invalid("expiry_year", CARD_EXPIRED);
        }
    }
    fields.push(month_check);
    fields.push(year_check);

    let cvv_required = accepted.as_ref().is_none_or(|(_, required)| *required);
    let cvv = form.verification_value.expose();
    let (lengths, description) = cvv_rule(brand);
    fields.push(if cvv.is_empty() {
        FieldCheck::of("verification_value", FieldState::Empty)
    } else if !is_digits(cvv) || cvv.len() > lengths[lengths.len() - 1] {
        FieldCheck::invalid("verification_value", ("invalid_verification_value", description))
    } else if lengths.contains(&cvv.len()) {
        FieldCheck::of("verification_value", FieldState::Valid)
    } else {
        FieldCheck::of("verification_value", FieldState::Incomplete)
    });

    let complete = fields
        .iter()
        .all(|f| f.state == FieldState::Valid || (f.field == "verification_value" && f.state == FieldState::Empty && !cvv_required));
    CardFormCheck {
        brand,
        payment_method_id: accepted.map(|(id, _)| id),
        verification_value_required: cvv_required,
        expiry_month: month,
        expiry_year: year,
        fields,
        complete,
    }
}

enum TypedNumber {
    Partial,
    Whole(i64),
    Wrong,
}

/// A numeric form field: its check, and its value when whole. `read` sees digits only.
fn typed_number(text: &str, field: &'static str, read: impl Fn(&str) -> TypedNumber) -> (FieldCheck, Option<i64>) {
    let text = text.trim();
    let (code, description) = if field == "expiry_month" {
        ("invalid_month", "The month must be 1 to 12.")
    } else {
        ("invalid_year", "The year must have two or four digits (e.g. 30 or 2030).")
    };
    if text.is_empty() {
        return (FieldCheck::of(field, FieldState::Empty), None);
    }
    match if is_digits(text) { read(text) } else { TypedNumber::Wrong } {
        TypedNumber::Partial => (FieldCheck::of(field, FieldState::Incomplete), None),
        TypedNumber::Whole(n) => (FieldCheck::of(field, FieldState::Valid), Some(n)),
        TypedNumber::Wrong => (FieldCheck::invalid(field, (code, description)), None),
    }
}

impl FieldCheck {
    fn of(field: &'static str, state: FieldState) -> Self {
        FieldCheck {
            field,
            state,
            code: None,
            description: None,
        }
    }

    fn invalid(field: &'static str, (code, description): (&'static str, &'static str)) -> Self {
        FieldCheck {
            field,
            state: FieldState::Invalid,
            code: Some(code),
            description: Some(description),
        }
    }
}

/// Control characters, and the format characters that change how text reads without being
/// seen: bidirectional embeddings, overrides and isolates (which can make a name display
/// reversed on a receipt or in a dashboard), zero-width spaces and joiners, and the BOM.
fn is_invisible_or_control(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(luhn_valid("4242424242424242"));
        assert!(luhn_valid("378282246310005"));
        assert!(!luhn_valid("4242424242424241"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("42a2"));
    }

    #[test]
    fn brands_by_iin() {
        let cases = [
            ("4242424242424242", Some(CardBrand::Visa)),
            ("5555555555554444", Some(CardBrand::Mastercard)),
            ("2223003122003222", Some(CardBrand::Mastercard)),
            ("2720990000000007", Some(CardBrand::Mastercard)),
            ("2721000000000000", None),
            ("378282246310005", Some(CardBrand::Amex)),
            ("6011111111111117", Some(CardBrand::Discover)),
            ("6445644564456445", Some(CardBrand::Discover)),
            ("6221260000000000", Some(CardBrand::Discover)),
            ("6229250000000000", Some(CardBrand::Discover)),
            ("3530111333300000", Some(CardBrand::Jcb)),
            ("30569309025904", Some(CardBrand::DinersClub)),
            ("36227206271667", Some(CardBrand::DinersClub)),
            ("5019717010103742", Some(CardBrand::Dankort)),
            ("6759649826438453", Some(CardBrand::Maestro)),
            ("5018000000000009", Some(CardBrand::Maestro)),
            ("9999999999999995", None),
        ];
        for (n, b) in cases {
            assert_eq!(detect_brand(n), b, "{n}");
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(year_month_utc(0), (1970, 1));
        // 2026-11-21T00:00:00Z
        assert_eq!(year_month_utc(1_795_219_200_000), (2026, 11));
        // 2024-02-29T12:00:00Z
        assert_eq!(year_month_utc(1_709_208_000_000), (2024, 2));
        // 2025-12-31T23:59:59Z and the next second
        assert_eq!(year_month_utc(1_767_225_599_000), (2025, 12));
        assert_eq!(year_month_utc(1_767_225_600_000), (2026, 1));
    }

    #[test]
    fn payment_method_id_shape() {
        assert!(validate_payment_method_id("p", "stripe.card").is_empty());
        assert!(validate_payment_method_id("p", "bigcommerce.gift_certificate").is_empty());
        assert!(!validate_payment_method_id("p", "stripe").is_empty());
        assert!(!validate_payment_method_id("p", ".card").is_empty());
        assert!(!validate_payment_method_id("p", "a.b c").is_empty());
    }
}
