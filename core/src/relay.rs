//! The relay: how a shopper-facing app pays without the store's API token.
//!
//! The API token opens the whole store (customers, stored instruments, orders, refunds), and the
//! guide says Payments API calls are made server-to-server. So an app never calls BigCommerce:
//! it checks the card on the device ([`crate::validate::check_card_form`]), builds a
//! [`PaymentRequest`] envelope and posts it to its own server; the server, which holds the token,
//! reads the envelope ([`PaymentRequest::read`]), runs the normal payment flow, and answers with
//! an outcome envelope ([`outcome_body`]); the app reads that back ([`read_outcome`]) into the
//! same receipt or [`PaymentError`] it would have got by paying itself.
//!
//! Request, `Content-Type: application/json`:
//! ```json
//! {"type": "bcpay.payment_request", "version": 1, "order_id": 215,
//!  "payments": [{"payment_method_id": "stripe.card",
//!                "instrument": {"type": "card", "number": "4111111111111111", …}}],
//!  "options": {"time_budget_ms": 30000}}
//! ```
//! Outcome, always answered with HTTP 200 (the envelope carries the result):
//! ```json
//! {"type": "bcpay.payment_outcome", "version": 1, "status": "paid", "receipt": {…}}
//! {"type": "bcpay.payment_outcome", "version": 1, "status": "failed",
//!  "payment_may_have_been_taken": false, "error": {"kind": "declined", "shopper_message": …}}
//! ```
//!
//! The rules that keep the relay safe:
//! - The request carries card data, so its text is written only into a wiping buffer and the
//!   type's `Debug` redacts it; it never carries the API token or a payment access token (the
//!   server creates tokens; an error's text is already scrubbed of them).
//! - The app may set only options that cannot weaken a money rule: `time_budget_ms` (capped by
//!   the server's own). Reconciliation, resending and retries stay the server's choice.
//! - Both sides validate with the same rules; the server never trusts the app's check.
//! - An answer the app cannot read, or a relay request that may have reached the server, is an
//!   `AmbiguousOutcome`: the server may have charged, so the app asks its server about the order
//!   before paying again.

use crate::error::{ErrorKind, FieldError, PaymentError, RetryAdvice};
use crate::http::TransportFailure;
use crate::model::{Payment, PaymentReceipt};
use crate::read::{Fields, FromJson, Json, Path, ShapeError};
use crate::secret::to_json_wiping;
use serde::Serialize;
use zeroize::Zeroizing;

/// The request envelope's `type`.
pub const REQUEST_TYPE: &str = "bcpay.payment_request";
/// The outcome envelope's `type`.
pub const OUTCOME_TYPE: &str = "bcpay.payment_outcome";
/// The envelopes' version; a reader refuses any other.
pub const VERSION: u64 = 1;
/// The keys a request envelope may have.
pub const REQUEST_KEYS: &[&str] = &["type", "version", "order_id", "payments", "options"];
/// The flow options an app may set: only those that cannot weaken a money rule.
pub const APP_OPTION_KEYS: &[&str] = &["time_budget_ms"];

/// A payment an app asks its server to make: what [`crate::Session::pay`] takes, less the
/// options only the server may choose. `Debug` redacts the card data.
#[derive(Debug)]
pub struct PaymentRequest {
    /// The order to pay.
    pub order_id: u64,
    /// The payments, as for `pay`.
    pub payments: Vec<Payment>,
    /// How long the app will wait for the outcome; the server's own budget caps it.
    pub time_budget_ms: Option<u64>,
}

impl PaymentRequest {
    /// The problems with this request, by the same rules `pay` applies; paths as `pay`'s
    /// (`payment.instrument.number`), and `order_id`.
    pub fn problems(&self, now_ms: u64) -> Vec<FieldError> {
        let mut errors = crate::validate::validate_order_id("order_id", self.order_id);
        errors.extend(crate::validate::validate_payments(&self.payments, now_ms, None));
        errors
    }

    /// The envelope's body after the app-side check: a [`PaymentError`] of kind `validation`
    /// naming every problem ([`problems`](Self::problems)), so nothing is sent for a bad card.
    pub fn validated_body(&self, now_ms: u64) -> Result<Zeroizing<Vec<u8>>, PaymentError> {
        let problems = self.problems(now_ms);
        if problems.is_empty() {
            Ok(self.to_body())
        } else {
            Err(PaymentError::validation(problems))
        }
    }

    /// The envelope's body, for the app to post. Holds card data: the buffer wipes itself when
    /// dropped; hosts copy it into a body they wipe once sent.
    pub fn to_body(&self) -> Zeroizing<Vec<u8>> {
        #[derive(Serialize)]
        struct Options {
            #[serde(skip_serializing_if = "Option::is_none")]
            time_budget_ms: Option<u64>,
        }
        #[derive(Serialize)]
        struct Envelope<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            version: u64,
            order_id: u64,
            payments: Vec<crate::api::WirePayment<'a>>,
            options: Options,
        }
        let digits: Vec<_> = self.payments.iter().map(crate::api::payment_digits).collect();
        let envelope = Envelope {
            kind: REQUEST_TYPE,
            version: VERSION,
            order_id: self.order_id,
            payments: self
                .payments
                .iter()
                .zip(&digits)
                .map(|(p, d)| crate::api::WirePayment::of(p, d))
                .collect(),
            options: Options {
                time_budget_ms: self.time_budget_ms,
            },
        };
        Zeroizing::new(to_json_wiping(&envelope).unwrap_or_default())
    }

    /// Reads a request envelope (the server's side). Anything wrong with its shape is a
    /// validation error naming the field: a missing or other `type` or `version`, an option the
    /// app may not set, an unknown key. The values are checked by [`problems`](Self::problems),
    /// which `pay` runs anyway.
    pub fn read(body: &[u8]) -> Result<PaymentRequest, PaymentError> {
        // Bytes that are not UTF-8 cannot be JSON: the reader's syntax error says so.
        crate::json_api::input(std::str::from_utf8(body).unwrap_or("\u{0}"), "")
    }

    /// The flow options for this request: the server's, with the app's time budget when shorter.
    pub fn options_over(&self, server: &crate::FlowOptions) -> crate::FlowOptions {
        let mut options = server.clone();
        options.time_budget_ms = match (server.time_budget_ms, self.time_budget_ms) {
            (Some(s), Some(a)) => Some(s.min(a)),
            (s, a) => s.or(a),
        };
        options
    }
}

impl FromJson for PaymentRequest {
    const EXPECTED: &'static str = "a bcpay.payment_request envelope";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        let f = Fields::of(v, at, Self::EXPECTED)?;
        f.deny_unknown(REQUEST_KEYS)?;
        let kind_ok = f.req::<String>("type")? == REQUEST_TYPE;
        let version_ok = f.req::<u64>("version")? == VERSION;
        if let Some(key) = [("type", kind_ok), ("version", version_ok)]
            .iter()
            .find(|(_, ok)| !ok)
            .map(|(key, _)| *key)
        {
            return Err(ShapeError::at(
                key.to_owned(),
                "a bcpay.payment_request envelope, version 1",
                "another",
            ));
        }
        let time_budget_ms = match f.get("options") {
            None | Some(Json::Null) => None,
            Some(options) => {
                let path = Path::Key(at, "options");
                let o = Fields::of(options, &path, "an options object")?;
                o.deny_unknown(APP_OPTION_KEYS)?;
                o.opt("time_budget_ms")?
            }
        };
        Ok(PaymentRequest {
            order_id: f.req("order_id")?,
            payments: f.req("payments")?,
            time_budget_ms,
        })
    }
}

/// The outcome envelope for a payment's result, for the server to answer with (HTTP 200).
/// Holds no card data and no token: a receipt has none, and an error's text is scrubbed.
pub fn outcome_body(result: &Result<PaymentReceipt, PaymentError>) -> String {
    let head = format!(r#"{{"type":"{OUTCOME_TYPE}","version":{VERSION},"#);
    match result {
        Ok(receipt) => format!(r#"{head}"status":"paid","receipt":{}}}"#, crate::json_api::to_json(receipt)),
        Err(error) => format!(
            r#"{head}"status":"failed","payment_may_have_been_taken":{},"error":{}}}"#,
            error.needs_confirmation(),
            crate::json_api::error_json(error)
        ),
    }
}

/// Reads an outcome envelope (the app's side): the receipt, or the error the server's flow
/// ended with, exactly as paying locally would have returned it. A body that is not an
/// outcome envelope (an HTML error page, a cut-off answer, a proxy's 502) is an
/// `AmbiguousOutcome`: the server may have charged before it failed.
pub fn read_outcome(body: &[u8]) -> Result<PaymentReceipt, PaymentError> {
    #[derive(serde::Deserialize)]
    #[serde(tag = "status", rename_all = "snake_case")]
    enum Outcome {
        Paid { receipt: PaymentReceipt },
        Failed { error: PaymentError },
    }
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[serde(rename = "type")]
        kind: String,
        version: u64,
        #[serde(flatten)]
        outcome: Outcome,
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(e) if e.kind == OUTCOME_TYPE && e.version == VERSION => match e.outcome {
            Outcome::Paid { receipt } => Ok(receipt),
            Outcome::Failed { error } => Err(error),
        },
        _ => Err(unclear("The server's answer is not a bcpay.payment_outcome envelope.")),
    }
}

/// The error for a relay request the app's transport could not complete: a request that may
/// have reached the server is an `AmbiguousOutcome`; one that never left is a no-response error
/// the app may send again.
pub fn relay_failure(failure: TransportFailure) -> PaymentError {
    if failure.may_have_reached_server() {
        unclear(&format!(
            "The relay request failed after it may have reached the server ({failure})."
        ))
    } else {
        let mut e = PaymentError::new(ErrorKind::Transport, "The payment request did not reach the server");
        e.detail = Some(format!("transport failure: {failure}"));
        e.retry = RetryAdvice::After {
            ms: crate::error::DEFAULT_SERVER_RETRY_MS,
        };
        e
    }
}

fn unclear(detail: &str) -> PaymentError {
    let mut e = PaymentError::new(ErrorKind::AmbiguousOutcome, "The payment's outcome is unknown");
    e.detail = Some(format!(
        "{detail} Ask the server about the order (its transactions and status) before paying again."
    ));
    e.retry = RetryAdvice::Reconcile;
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Card, PaymentInstrument, PaymentStatus, ProcessedPayment, TransactionType};
    use crate::secret::{CardNumber, VerificationValue};

    const NOW: u64 = 1_795_219_200_000;

    fn request() -> PaymentRequest {
        PaymentRequest {
            order_id: 215,
            payments: vec![Payment {
                instrument: PaymentInstrument::Card(Card {
                    number: CardNumber::new("4242 4242 4242 4242"),
                    cardholder_name: "Jane Doe".into(),
                    expiry_month: Some(12),
                    expiry_year: Some(2030),
                    verification_value: Some(VerificationValue::new("123")),
                    issue_month: None,
                    issue_year: None,
                    issue_number: None,
                }),
                payment_method_id: "stripe.card".into(),
                save_instrument: false,
            }],
            time_budget_ms: Some(20_000),
        }
    }

    #[test]
    fn a_request_reads_back_as_written() {
        let body = request().to_body();
        let text = std::str::from_utf8(&body).unwrap();
        assert!(
            text.starts_with(r#"{"type":"bcpay.payment_request","version":1,"order_id":215,"#),
            "{text}"
        );
        let read = PaymentRequest::read(&body).unwrap();
        assert_eq!(read.problems(NOW), vec![]);
        assert_eq!(read.order_id, 215);
        assert_eq!(read.time_budget_ms, Some(20_000));
        let PaymentInstrument::Card(c) = &read.payments[0].instrument else {
            panic!()
        };
        assert_eq!(c.number.expose(), "4242424242424242");
        assert_eq!(c.verification_value.as_ref().unwrap().expose(), "123");
    }

    #[test]
    fn a_request_shows_no_card_data() {
        let shown = format!("{:?}", request());
        assert!(
            !shown.contains("4242424242424242") && !shown.contains("\"123\"") && !shown.contains("(123)"),
            "{shown}"
        );
    }

    #[test]
    fn the_app_budget_never_lengthens_the_servers() {
        let server = crate::FlowOptions {
            time_budget_ms: Some(10_000),
            ..Default::default()
        };
        assert_eq!(request().options_over(&server).time_budget_ms, Some(10_000));
        assert_eq!(request().options_over(&Default::default()).time_budget_ms, Some(20_000));
        assert_eq!(request().options_over(&server).reconcile, server.reconcile);
    }

    #[test]
    fn outcomes_read_back_into_the_same_result() {
        let receipt = PaymentReceipt {
            order_id: 215,
            payments: vec![ProcessedPayment {
                id: Some("txn".into()),
                status: PaymentStatus::Success,
                transaction_type: TransactionType::Purchase,
                payment_method_id: "stripe.card".into(),
                reconciled: true,
            }],
            requests_sent: 5,
            order_state: crate::model::OrderPaymentState::PartiallyPaid,
            amount_paid: Some(crate::model::Amount(199_900)),
            amount_remaining: Some(crate::model::Amount(5_000)),
            currency: Some("USD".into()),
            transactions: Vec::new(),
        };
        assert_eq!(read_outcome(outcome_body(&Ok(receipt.clone())).as_bytes()), Ok(receipt));
        let mut decline = PaymentError::new(ErrorKind::Declined, "Card declined");
        decline.code = Some(30102);
        decline.status = Some(422);
        decline.field_errors = vec![FieldError::new("payment.instrument.number", "x", "y")];
        let body = outcome_body(&Err(decline.clone()));
        assert!(body.contains(r#""payment_may_have_been_taken":false"#), "{body}");
        assert_eq!(read_outcome(body.as_bytes()), Err(decline));
        let ambiguous = relay_failure(TransportFailure::TimedOut);
        assert!(outcome_body(&Err(ambiguous.clone())).contains(r#""payment_may_have_been_taken":true"#));
        assert_eq!(ambiguous.kind, ErrorKind::AmbiguousOutcome);
        assert_eq!(relay_failure(TransportFailure::NotSent).kind, ErrorKind::Transport);
    }
}
