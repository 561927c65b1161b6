//! The billing journal: what a run records around each Process Payment, and what a later run
//! does with each record. BigCommerce has no idempotency keys; a durable record written before
//! the payment is sent, read back before anything else, gives a billing job the same guarantee
//! from the client side (the atomic-phase pattern of idempotency keys).
//!
//! ```text
//! a run, per order:   read the record ─→ plan ─→ pay:    write `sending` (durably) → Process Payment
//!                                          │                → write paid / declined / ambiguous / failed
//!                                          ├→ settle: read the order's transactions and status
//!                                          │          (window counted from the recorded send)
//!                                          │                → write paid / ambiguous (never a blind resend)
//!                                          └→ skip:   paid or declined already; report it
//!
//! record        next run
//! (none)        pay
//! sending       settle: the run stopped with the payment possibly sent
//! ambiguous     settle again: the ledger may have caught up since
//! failed        pay: nothing was taken (validation, order state, no answer before sending, …)
//! paid          skip
//! declined      skip and report: charging a declined card again is the merchant's decision
//! ```
//!
//! Storage is the host's: records by order id (SQLite, PostgreSQL, …), written when
//! [`JournalStep::Write`] says and confirmed with [`JournaledPayment::written`] before the
//! payment goes out. A record never holds card data, a CVV or a token: the instrument is its
//! type, method and a fingerprint ([`InstrumentRef`]).

use crate::error::PaymentError;
use crate::flow::{Action, PaymentFlow};
use crate::http::{Endpoint, HttpRequest, HttpResponse, RequestId, TransportFailure};
use crate::model::{Payment, PaymentInstrument, PaymentReceipt};
use crate::read::{FromJson, Json, Path, ShapeError};
use bcpay_derive::FromJson;
use serde::Serialize;

/// The record format's version, written in every record.
pub const RECORD_VERSION: u32 = 1;

/// Where an order's payment stands in the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalState {
    /// A Process Payment was about to be sent; its outcome is not recorded.
    Sending,
    /// Paid (the receipt is recorded).
    Paid,
    /// Declined by the issuer or gateway.
    Declined,
    /// May or may not be paid, and settling did not tell: never paid again blindly.
    Ambiguous,
    /// Failed without taking a payment (validation, order state, an unreachable server, …).
    Failed,
}

impl JournalState {
    /// snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            JournalState::Sending => "sending",
            JournalState::Paid => "paid",
            JournalState::Declined => "declined",
            JournalState::Ambiguous => "ambiguous",
            JournalState::Failed => "failed",
        }
    }
}

/// Which instrument a record is about, without anything that could charge it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromJson)]
#[json(expected = "an instrument reference", deny_unknown)]
pub struct InstrumentRef {
    /// `stored_card`, `gift_certificate`, … (as on the wire).
    #[serde(rename = "type")]
    #[json(rename = "type")]
    pub instrument_type: String,
    /// The method it is charged through.
    pub payment_method_id: String,
    /// For instruments named by a token or code: a 64-bit FNV-1a fingerprint of it (hex), to
    /// tell two instruments apart in a report. It does not reveal the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

impl InstrumentRef {
    /// The reference of `payment`'s instrument.
    pub fn of(payment: &Payment) -> InstrumentRef {
        let secret = match &payment.instrument {
            PaymentInstrument::StoredCard { token, .. }
            | PaymentInstrument::StoredPaypalAccount { token }
            | PaymentInstrument::StoredBankAccount { token }
            | PaymentInstrument::GiftCertificate {
                gift_certificate_code: token,
            } => Some(token.expose()),
            _ => None,
        };
        InstrumentRef {
            instrument_type: payment.instrument.type_name().to_owned(),
            payment_method_id: payment.payment_method_id.clone(),
            fingerprint: secret.map(|s| format!("{:016x}", fnv1a(s.as_bytes()))),
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// Why a record is not paid: the error's kind, code and the core's sentence (secret-free, as
/// every error is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromJson)]
#[json(expected = "a recorded error", deny_unknown)]
pub struct RecordedError {
    /// [`ErrorKind`] as snake_case.
    pub kind: String,
    /// The API's numeric code, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[json(read = int)]
    pub code: Option<i64>,
    /// What went wrong, in the core's words (`Display` of the error).
    pub text: String,
}

/// One order's record.
#[derive(Clone, Debug, PartialEq, Serialize, FromJson)]
#[json(expected = "a journal record", deny_unknown)]
pub struct JournalRecord {
    /// [`RECORD_VERSION`].
    pub version: u32,
    /// The order.
    pub order_id: u64,
    /// Where its payment stands.
    pub state: JournalState,
    /// What it is paid with.
    pub instrument: InstrumentRef,
    /// Process Payment sends recorded for the order, over every run.
    pub attempts: u32,
    /// The request id of the latest Process Payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_id: Option<String>,
    /// When (ms since the epoch) the latest Process Payment was about to be sent: a later run's
    /// settle window counts from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at_ms: Option<u64>,
    /// When the record was last written.
    pub updated_at_ms: u64,
    /// The receipt, when paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<PaymentReceipt>,
    /// Why, when declined, ambiguous or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RecordedError>,
}

impl FromJson for JournalState {
    const EXPECTED: &'static str = "a journal state";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        let states = [
            JournalState::Sending,
            JournalState::Paid,
            JournalState::Declined,
            JournalState::Ambiguous,
            JournalState::Failed,
        ];
        v.as_str()
            .and_then(|text| states.into_iter().find(|s| s.as_str() == text))
            .ok_or_else(|| Self::mismatch(v, at))
    }
}

impl JournalRecord {
    /// Reads a record a host stored; a record this version cannot read is a typed error naming
    /// what is wrong, never a guess.
    pub fn read(text: &str) -> Result<JournalRecord, PaymentError> {
        let refused = |path: &str, code: &str, description: String| {
            PaymentError::validation(vec![crate::error::FieldError::new(path, code, description)])
        };
        let unreadable = |why: String| {
            refused(
                "journal_record",
                "unreadable_record",
                format!("The journal record cannot be read: {why}."),
            )
        };
        let doc = crate::read::document(text.as_bytes()).map_err(|e| unreadable(e.to_string()))?;
        let record = JournalRecord::from_json(&doc.0, &Path::Root("journal_record")).map_err(|e| unreadable(e.to_string()))?;
        if record.version != RECORD_VERSION {
            let why = format!("Journal record version {} is not {RECORD_VERSION}.", record.version);
            return Err(refused("journal_record.version", "unsupported_version", why));
        }
        Ok(record)
    }

    /// The record as the host stores it.
    pub fn to_json(&self) -> String {
        crate::json_api::to_json(self)
    }
}

/// The error a host reports when its journal cannot be used (`what` it was doing, and the
/// storage's own `cause`): a `configuration` error, `journal_unavailable`. The one statement of
/// what it means for the money: a payment whose `sending` record was not written was not sent.
pub fn journal_error(what: &str, cause: impl std::fmt::Display) -> PaymentError {
    let mut e = PaymentError::new(crate::error::ErrorKind::Configuration, "The billing journal cannot be used");
    e.code_text = Some("journal_unavailable".to_owned());
    e.detail = Some(format!("{what}: {cause}"));
    e.remedy =
        "Check the journal's path, permissions and disk space; a payment whose `sending` record was not written was not sent.".to_owned();
    e
}

/// What a run does with an order, given its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Pay it.
    Pay,
    /// Settle the payment recorded as sent at `sent_at_ms` before anything else.
    Settle {
        /// When it was about to be sent.
        sent_at_ms: u64,
    },
    /// Done already (paid or declined): report the record.
    Skip,
}

/// The rule a later run follows for each record (see the module's table).
pub fn plan(record: Option<&JournalRecord>) -> Plan {
    let Some(record) = record else { return Plan::Pay };
    match record.state {
        JournalState::Paid | JournalState::Declined => Plan::Skip,
        JournalState::Failed => Plan::Pay,
        // A record without a send time was written by no version of this module; settle it
        // from the epoch (one read now) rather than pay.
        JournalState::Sending | JournalState::Ambiguous => Plan::Settle {
            sent_at_ms: record.sent_at_ms.unwrap_or(0),
        },
    }
}

/// How long (ms) a worker's claim on an order lasts (the lease of a shared journal, such as
/// PostgreSQL's): longer than the longest a journaled payment may take — its time budget when it
/// has one, else the settle window plus two of the longest waits bcpay accepts from a server —
/// and a minute more. An order whose lease runs out is taken by another worker, which settles
/// what the first may have sent; set `time_budget_ms` to bound it.
pub fn lease_ms(options: &crate::flow::FlowOptions) -> u64 {
    let longest = options
        .time_budget_ms
        .unwrap_or(options.settle_window_ms.saturating_add(2 * crate::flow::MAX_SERVER_WAIT_MS));
    longest.saturating_add(60_000)
}

/// The state an operation's result is recorded as: the one classification of outcomes for
/// journals and batch summaries.
pub fn state_of(result: &Result<PaymentReceipt, PaymentError>) -> JournalState {
    match result {
        Ok(_) => JournalState::Paid,
        // The order's one payment was taken; only what came after it (reading the order's state
        // after a gift certificate) was cut short: paid, never sent again.
        Err(e) if !e.payments_taken.is_empty() => JournalState::Paid,
        Err(e) if e.needs_confirmation() => JournalState::Ambiguous,
        Err(e) if e.is_decline() => JournalState::Declined,
        Err(_) => JournalState::Failed,
    }
}

/// What the host does next for a [`JournaledPayment`].
#[derive(Clone, Debug)]
pub enum JournalStep {
    /// Store this record durably (replacing the order's), then call
    /// [`written`](JournaledPayment::written).
    Write {
        /// The record.
        record: JournalRecord,
    },
    /// Send this request and report its outcome.
    Send {
        /// The request.
        request: HttpRequest,
    },
    /// Poll again at this time (ms).
    Wait {
        /// When.
        until_ms: u64,
    },
    /// Requests are in flight (the payment's methods and token go out together): report this
    /// one's outcome before polling again.
    Awaiting {
        /// The request awaited.
        request_id: RequestId,
    },
    /// Finished: the order's record as stored — written already, or unchanged when skipped —
    /// except for a payment that could not start (invalid input, the order busy), whose
    /// `failed` record is reported and not written.
    Finished {
        /// The final record.
        record: JournalRecord,
        /// Whether this run did nothing for the order (its record was final already).
        skipped: bool,
    },
}

/// One order's payment under the journal: a [`PaymentFlow`] (or a settle of an earlier send)
/// whose every Process Payment waits until its `sending` record is written, and whose outcome
/// is written before it is reported.
#[derive(Debug)]
pub struct JournaledPayment {
    flow: Option<PaymentFlow>,
    record: JournalRecord,
    /// A Process Payment held until its `sending` record is written.
    held: Option<HttpRequest>,
    /// A record handed to the host and not yet confirmed written.
    unwritten: bool,
    /// The flow has finished and its outcome is in `record`.
    settled: bool,
    skipped: bool,
}

impl JournaledPayment {
    /// The journaled payment of `order_id` with `payment`, given the order's stored `record`.
    /// `make_flow` makes the flow (the session's `pay`, with its claim and options); a flow that
    /// cannot start (invalid input, the order busy) finishes as failed without writing.
    pub(crate) fn new(
        order_id: u64,
        instrument: InstrumentRef,
        record: Option<JournalRecord>,
        now_ms: u64,
        make_flow: impl FnOnce() -> Result<PaymentFlow, PaymentError>,
    ) -> JournaledPayment {
        let plan = plan(record.as_ref());
        let record = record.unwrap_or(JournalRecord {
            version: RECORD_VERSION,
            order_id,
            state: JournalState::Failed,
            instrument,
            attempts: 0,
            attempt_id: None,
            sent_at_ms: None,
            updated_at_ms: now_ms,
            receipt: None,
            error: None,
        });
        let mut journaled = JournaledPayment {
            flow: None,
            record,
            held: None,
            unwritten: false,
            settled: false,
            skipped: false,
        };
        if plan == Plan::Skip {
            journaled.settled = true;
            journaled.skipped = true;
            return journaled;
        }
        if journaled.record.order_id != order_id {
            let e = PaymentError::validation(vec![crate::error::FieldError::new(
                "journal_record.order_id",
                "order_mismatch",
                "The journal record is for another order.",
            )]);
            journaled.refuse(e, now_ms);
            return journaled;
        }
        match make_flow() {
            Ok(flow) => {
                let flow = match plan {
                    Plan::Settle { sent_at_ms } => {
                        let attempt_id = RequestId(journaled.record.attempt_id.clone().unwrap_or_default());
                        flow.resume_unclear(sent_at_ms, attempt_id, now_ms)
                    }
                    _ => flow,
                };
                journaled.flow = Some(flow);
            }
            Err(e) => journaled.refuse(e, now_ms),
        }
        journaled
    }

    /// Ends a payment that could not start (invalid input, the order busy in this session)
    /// without writing: the stored record, if any, still holds what an earlier run left — a
    /// `sending` to settle must not become `failed` — and another payment of the order may be
    /// writing its own.
    fn refuse(&mut self, error: PaymentError, now_ms: u64) {
        self.settle(Err(error), now_ms);
        self.unwritten = false;
    }

    /// What to do next at `now_ms`.
    pub fn poll(&mut self, now_ms: u64) -> JournalStep {
        if self.unwritten {
            return JournalStep::Write {
                record: self.record.clone(),
            };
        }
        if let Some(request) = self.held.take() {
            return JournalStep::Send { request };
        }
        if self.settled {
            return JournalStep::Finished {
                record: self.record.clone(),
                skipped: self.skipped,
            };
        }
        let flow = self.flow.as_mut().expect("an unsettled journaled payment has a flow");
        match flow.poll(now_ms) {
            Action::Send { request } if request.endpoint == Endpoint::ProcessPayment => {
                self.record.state = JournalState::Sending;
                self.record.attempts += 1;
                self.record.attempt_id = Some(request.id.0.clone());
                self.record.sent_at_ms = Some(now_ms);
                self.record.updated_at_ms = now_ms;
                self.record.error = None;
                self.unwritten = true;
                self.held = Some(request);
                self.poll(now_ms)
            }
            Action::Send { request } => JournalStep::Send { request },
            Action::Wait { until_ms } => JournalStep::Wait { until_ms },
            Action::Awaiting { request_id } => JournalStep::Awaiting { request_id },
            Action::Done { output } => {
                self.settle(Ok(output), now_ms);
                self.poll(now_ms)
            }
            Action::Failed { error } => {
                self.settle(Err(error), now_ms);
                self.poll(now_ms)
            }
        }
    }

    /// The host stored the record [`JournalStep::Write`] gave.
    pub fn written(&mut self) {
        self.unwritten = false;
    }

    /// Feeds the response to request `id`.
    pub fn on_response(&mut self, id: &RequestId, response: &HttpResponse, now_ms: u64) {
        if let Some(flow) = self.flow.as_mut() {
            flow.on_response(id, response, now_ms);
        }
    }

    /// Feeds a transport failure for request `id`, with the host's words for it, if any.
    pub fn on_transport_failure(&mut self, id: &RequestId, failure: TransportFailure, cause: Option<&str>, now_ms: u64) {
        if let Some(flow) = self.flow.as_mut() {
            flow.on_transport_failure(id, failure, cause, now_ms);
        }
    }

    /// Records the flow's [`FlowEvent`](crate::observe::FlowEvent)s from now on.
    pub fn observe(&mut self) {
        if let Some(flow) = self.flow.as_mut() {
            flow.observe();
        }
    }

    /// The events recorded since the last call.
    pub fn take_events(&mut self) -> Vec<crate::observe::FlowEvent> {
        self.flow.as_mut().map(PaymentFlow::take_events).unwrap_or_default()
    }

    /// Ends the payment for a caller that gave up and returns why (see
    /// [`PaymentFlow::cancel`]); poll on for the record to write. A Process Payment still held
    /// (its `sending` record unwritten) was never sent.
    pub fn cancel(&mut self, now_ms: u64) -> PaymentError {
        let Some(flow) = self.flow.as_mut().filter(|_| !self.settled) else {
            let detail = format!("Order {} had finished.", self.record.order_id);
            return PaymentError::stopped(crate::session::Stop::Cancelled, &detail);
        };
        if let Some(request) = self.held.take() {
            flow.on_transport_failure(&request.id, TransportFailure::NotSent, None, now_ms);
        }
        let error = flow.cancel(now_ms);
        self.settle(Err(error.clone()), now_ms);
        error
    }

    /// The order's record as it stands.
    pub fn record(&self) -> &JournalRecord {
        &self.record
    }

    fn settle(&mut self, result: Result<PaymentReceipt, PaymentError>, now_ms: u64) {
        self.record.state = state_of(&result);
        self.record.updated_at_ms = now_ms;
        match result {
            Ok(receipt) => {
                self.record.receipt = Some(receipt);
                self.record.error = None;
            }
            Err(e) if !e.payments_taken.is_empty() => {
                // What was taken, the order's state unknown (see `state_of`).
                self.record.receipt = Some(PaymentReceipt {
                    order_id: self.record.order_id,
                    payments: e.payments_taken,
                    requests_sent: 0,
                    order_state: crate::model::OrderPaymentState::Ambiguous,
                    amount_paid: None,
                    amount_remaining: None,
                    currency: None,
                    transactions: Vec::new(),
                });
            }
            Err(e) => {
                self.record.error = Some(RecordedError {
                    kind: e.kind.as_str().to_owned(),
                    code: e.code,
                    text: e.to_string(),
                });
            }
        }
        self.settled = true;
        self.unwritten = true;
    }
}
