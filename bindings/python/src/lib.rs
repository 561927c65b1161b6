//! The pyo3 binding of bcpay-core for the Python package `bcpay` (module `bcpay._core`).
//!
//! It converts types and nothing else: values cross as JSON text through
//! `bcpay_core::json_api` (the Python layer turns them into typed named tuples), bodies as
//! `bytes`, headers as lists of `(name, value)` pairs. Every `PaymentError` is raised as
//! `CoreError(message, details_json)`, which the Python layer re-raises as the matching
//! `BcpayError` subclass. Nothing here panics on bad input: it is a validation error.

use bcpay_core::journal::{JournalRecord, JournalStep, JournaledPayment};
use bcpay_core::json_api;
use bcpay_core::model::Payment;
use bcpay_core::{
    Action, FlowOptions, Header, HttpRequest, HttpResponse, Operation, PaymentError, RateLimitConfig, RequestId, Session, TransportFailure,
};
use pyo3::create_exception;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::sync::Mutex;

/// Every heap block is wiped as it is freed: see "Memory" in `bcpay_core::secret`.
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> = zeroizing_alloc::ZeroAlloc(std::alloc::System);

create_exception!(
    _core,
    CoreError,
    pyo3::exceptions::PyException,
    "A bcpay-core error: args are (message, details as JSON)."
);

fn err(e: PaymentError) -> PyErr {
    CoreError::new_err((e.to_string(), json_api::error_json(&e)))
}

/// An action as the tuple `CoreFlow.poll` documents.
fn action_tuple<'py>(py: Python<'py>, action: Action<bcpay_core::CallOutput>) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
    Ok(match action {
        Action::Send { request } => ("send", request_tuple(py, &request).into_pyobject(py)?.into_any()),
        Action::Awaiting { request_id } => ("awaiting", request_id.as_str().into_pyobject(py)?.into_any()),
        Action::Wait { until_ms } => ("wait", until_ms.into_pyobject(py)?.into_any()),
        Action::Done { output } => ("done", json_api::output_json(&output).into_pyobject(py)?.into_any()),
        Action::Failed { error } => (
            "failed",
            (error.to_string(), json_api::error_json(&error)).into_pyobject(py)?.into_any(),
        ),
    })
}

/// `(id, endpoint, method, url, headers, body)` — a request, as Python receives it. Its text goes
/// straight into Python strings: no Rust copy of the tokens in its headers.
type RequestTuple<'py> = (
    Bound<'py, PyString>,
    &'static str,
    &'static str,
    Bound<'py, PyString>,
    Vec<(Bound<'py, PyString>, Bound<'py, PyString>)>,
    Option<Bound<'py, PyBytes>>,
);

fn request_tuple<'py>(py: Python<'py>, r: &HttpRequest) -> RequestTuple<'py> {
    (
        PyString::new(py, r.id.as_str()),
        r.endpoint.as_str(),
        r.method.as_str(),
        PyString::new(py, &r.url),
        r.headers
            .iter()
            .map(|h| (PyString::new(py, &h.name), PyString::new(py, &h.value)))
            .collect(),
        r.body.as_ref().map(|b| PyBytes::new(py, b)),
    )
}

fn response(status: u16, headers: Vec<(String, String)>, body: &[u8]) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers.into_iter().map(|(name, value)| Header { name, value }).collect(),
        body: body.to_vec(),
    }
}

fn enum_from_str<T: serde::de::DeserializeOwned>(text: &str, path: &str) -> PyResult<T> {
    json_api::enum_named(text, path).map_err(err)
}

/// The stateless build/parse API for one store, and the factory of its payment flows.
/// One store's core session: the stateless build/parse API and the factory of its operations.
#[pyclass(module = "bcpay._core", frozen)]
struct CoreApi {
    session: Session,
}

#[pymethods]
impl CoreApi {
    #[new]
    #[pyo3(signature = (settings_json, rate_limit_json=None, options_json=None))]
    fn new(settings_json: &str, rate_limit_json: Option<&str>, options_json: Option<&str>) -> PyResult<CoreApi> {
        let config = json_api::client_config(settings_json).map_err(err)?;
        let limits: RateLimitConfig = match rate_limit_json {
            Some(j) => json_api::input(j, "rate_limit").map_err(err)?,
            None => RateLimitConfig::default(),
        };
        let options: FlowOptions = match options_json {
            Some(j) => json_api::input(j, "options").map_err(err)?,
            None => FlowOptions::default(),
        };
        Ok(CoreApi {
            session: Session::new(config, limits).with_options(options),
        })
    }

    fn transport_limits(&self) -> (u64, usize) {
        let config = self.session.api().config();
        (config.timeout_ms(), config.max_response_bytes())
    }

    fn build<'py>(&self, py: Python<'py>, call: &str, input_json: &str) -> PyResult<RequestTuple<'py>> {
        let request = json_api::build(self.session.api(), call, input_json).map_err(err)?;
        Ok(request_tuple(py, &request))
    }

    fn parse(
        &self,
        call: &str,
        request_id: String,
        status: u16,
        headers: Vec<(String, String)>,
        body: &[u8],
        context_json: &str,
    ) -> PyResult<String> {
        json_api::parse(
            self.session.api(),
            call,
            &RequestId(request_id),
            &response(status, headers, body),
            context_json,
        )
        .map_err(err)
    }

    #[pyo3(signature = (payments_json, now_ms, methods_json=None))]
    fn validate(&self, payments_json: &str, now_ms: u64, methods_json: Option<&str>) -> PyResult<String> {
        json_api::validate(payments_json, now_ms, methods_json).map_err(err)
    }

    #[pyo3(signature = (order_id_json, payments_json, options_json, now_ms, seed=None))]
    fn new_flow(
        &self,
        order_id_json: &str,
        payments_json: &str,
        options_json: Option<&str>,
        now_ms: u64,
        seed: Option<u64>,
    ) -> PyResult<CoreFlow> {
        // As JSON, so that `True`, `"215"` or `1.5` are the core's typed errors, not order 1.
        let order_id: u64 = json_api::input(order_id_json, "order_id").map_err(err)?;
        let payments: Vec<Payment> = json_api::input(payments_json, "payments").map_err(err)?;
        let options = options_json
            .map(|o| json_api::input::<FlowOptions>(o, "options"))
            .transpose()
            .map_err(err)?;
        let flow = self.session.pay(order_id, payments, options, now_ms, seed).map_err(err)?;
        Ok(CoreFlow::of(Operation::Pay(flow)))
    }

    /// A payment an app relayed to this server (see `bcpay_core::relay`): ends with the outcome
    /// envelope as its output, whatever happened; after `cancel`, poll once more for the
    /// envelope of the cancellation.
    #[pyo3(signature = (body, expect_order_id_json, now_ms, seed=None))]
    fn pay_from_app(&self, body: &[u8], expect_order_id_json: Option<&str>, now_ms: u64, seed: Option<u64>) -> PyResult<CoreFlow> {
        let expect = expect_order_id_json
            .map(|id| json_api::input::<u64>(id, "expect_order_id"))
            .transpose()
            .map_err(err)?;
        Ok(CoreFlow::of(self.session.pay_from_app(body, None, expect, now_ms, seed)))
    }

    /// A payment under the billing journal (see `bcpay_core::journal`), given the order's stored
    /// record (JSON) if any.
    #[pyo3(signature = (order_id_json, payment_json, record_json, options_json, now_ms, seed=None))]
    fn pay_journaled(
        &self,
        order_id_json: &str,
        payment_json: &str,
        record_json: Option<&str>,
        options_json: Option<&str>,
        now_ms: u64,
        seed: Option<u64>,
    ) -> PyResult<CoreJournaled> {
        let order_id: u64 = json_api::input(order_id_json, "order_id").map_err(err)?;
        let payment: Payment = json_api::input(payment_json, "payment").map_err(err)?;
        let record = record_json.map(JournalRecord::read).transpose().map_err(err)?;
        let options = options_json
            .map(|o| json_api::input::<FlowOptions>(o, "options"))
            .transpose()
            .map_err(err)?;
        let op = self.session.pay_journaled(order_id, payment, record, options, now_ms, seed);
        Ok(CoreJournaled { op: Mutex::new(op) })
    }

    /// The store's Process Payment budget in Redis form, as JSON (see
    /// `bcpay_core::ratelimit::SharedPaymentsLimit`).
    fn shared_payments_limit(&self) -> String {
        json_api::to_json(&self.session.shared_payments_limit())
    }

    /// Which budget a call draws on: `payments` or `management`.
    fn limit_class(&self, call: &str) -> PyResult<&'static str> {
        json_api::limit_class(call).map_err(err)
    }

    /// How long (ms) a worker's lease on an order lasts under `options` (else the session's).
    #[pyo3(signature = (options_json=None))]
    fn lease_ms(&self, options_json: Option<&str>) -> PyResult<u64> {
        let options = match options_json {
            Some(o) => json_api::input::<FlowOptions>(o, "options").map_err(err)?,
            None => self.session.options().clone(),
        };
        Ok(bcpay_core::journal::lease_ms(&options))
    }

    #[pyo3(signature = (call, input_json, now_ms, seed=None))]
    fn new_call(&self, call: &str, input_json: &str, now_ms: u64, seed: Option<u64>) -> PyResult<CoreFlow> {
        let (call, _) = json_api::call(call, input_json).map_err(err)?;
        let op = self.session.call(call, None, now_ms, seed).map_err(err)?;
        Ok(CoreFlow::of(Operation::Call(op)))
    }
}

/// An operation (a payment flow or a single call): `poll(now)`, `on_response`,
/// `on_transport_failure`, `cancel`.
#[pyclass(module = "bcpay._core", frozen)]
struct CoreFlow {
    op: Mutex<Operation>,
}

impl CoreFlow {
    fn of(op: Operation) -> CoreFlow {
        CoreFlow { op: Mutex::new(op) }
    }

    fn op(&self) -> std::sync::MutexGuard<'_, Operation> {
        self.op.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl CoreFlow {
    /// The next action: `("send", request_tuple)`, `("awaiting", request_id)`, `("wait",
    /// until_ms)`, `("done", output_json)` (see `bcpay_core::json_api::output_json`) or
    /// `("failed", (message, details_json))`: plain values, no JSON to decode but the output.
    fn poll<'py>(&self, py: Python<'py>, now_ms: u64) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
        let action = self.op().poll(now_ms);
        action_tuple(py, action)
    }

    /// `on_response` then `poll`, in one call per response.
    fn respond<'py>(
        &self,
        py: Python<'py>,
        request_id: String,
        status: u16,
        headers: Vec<(String, String)>,
        body: &[u8],
        now_ms: u64,
    ) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
        let action = {
            let mut op = self.op();
            op.on_response(&RequestId(request_id), &response(status, headers, body), now_ms);
            op.poll(now_ms)
        };
        action_tuple(py, action)
    }

    /// Feeds the response to request `request_id`.
    fn on_response(&self, request_id: String, status: u16, headers: Vec<(String, String)>, body: &[u8], now_ms: u64) {
        self.op()
            .on_response(&RequestId(request_id), &response(status, headers, body), now_ms);
    }

    /// Feeds a transport failure (`not_sent`, `maybe_sent`, `timed_out`) for `request_id`, with
    /// the exception's text as its `cause` (scrubbed by the core).
    #[pyo3(signature = (request_id, failure, now_ms, cause=None))]
    fn on_transport_failure(&self, request_id: String, failure: &str, now_ms: u64, cause: Option<&str>) -> PyResult<()> {
        let failure: TransportFailure = enum_from_str(failure, "failure")?;
        self.op().on_transport_failure(&RequestId(request_id), failure, cause, now_ms);
        Ok(())
    }

    /// Records the operation's events from now on (see `bcpay_core::observe`).
    fn observe(&self) {
        self.op().observe();
    }

    /// The events recorded since the last call, as a JSON list (`[]` when none).
    fn take_events(&self) -> String {
        json_api::to_json(&self.op().take_events())
    }

    /// Ends the operation for a caller that gave up: `(message, details_json)` of the error.
    fn cancel(&self, now_ms: u64) -> (String, String) {
        let e = self.op().cancel(now_ms);
        (e.to_string(), json_api::error_json(&e))
    }

    /// When the time budget runs out (ms), if there is one.
    fn deadline_ms(&self) -> Option<u64> {
        self.op().deadline_ms()
    }
}

/// A journaled payment: `poll(now)` gives `("write", record_json)` — store it, then call
/// `written()` —, `("send", request_tuple)`, `("wait", until_ms)`, `("awaiting", request_id)` or
/// `("finished", {"record", "skipped"} as JSON)`.
#[pyclass(module = "bcpay._core", frozen)]
struct CoreJournaled {
    op: Mutex<JournaledPayment>,
}

impl CoreJournaled {
    fn op(&self) -> std::sync::MutexGuard<'_, JournaledPayment> {
        self.op.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl CoreJournaled {
    fn poll<'py>(&self, py: Python<'py>, now_ms: u64) -> PyResult<(&'static str, Bound<'py, PyAny>)> {
        let step = self.op().poll(now_ms);
        Ok(match step {
            JournalStep::Write { record } => ("write", record.to_json().into_pyobject(py)?.into_any()),
            JournalStep::Send { request } => ("send", request_tuple(py, &request).into_pyobject(py)?.into_any()),
            JournalStep::Wait { until_ms } => ("wait", until_ms.into_pyobject(py)?.into_any()),
            JournalStep::Awaiting { request_id } => ("awaiting", request_id.as_str().into_pyobject(py)?.into_any()),
            JournalStep::Finished { record, skipped } => {
                let json = format!(r#"{{"record":{},"skipped":{skipped}}}"#, record.to_json());
                ("finished", json.into_pyobject(py)?.into_any())
            }
        })
    }

    /// The record `poll` gave is stored.
    fn written(&self) {
        self.op().written();
    }

    fn on_response(&self, request_id: String, status: u16, headers: Vec<(String, String)>, body: &[u8], now_ms: u64) {
        self.op()
            .on_response(&RequestId(request_id), &response(status, headers, body), now_ms);
    }

    #[pyo3(signature = (request_id, failure, now_ms, cause=None))]
    fn on_transport_failure(&self, request_id: String, failure: &str, now_ms: u64, cause: Option<&str>) -> PyResult<()> {
        let failure: TransportFailure = enum_from_str(failure, "failure")?;
        self.op().on_transport_failure(&RequestId(request_id), failure, cause, now_ms);
        Ok(())
    }

    fn observe(&self) {
        self.op().observe();
    }

    fn take_events(&self) -> String {
        json_api::to_json(&self.op().take_events())
    }

    /// Ends the payment for a caller that gave up: `(message, details_json)` of the error; poll
    /// on for the record to write.
    fn cancel(&self, now_ms: u64) -> (String, String) {
        let e = self.op().cancel(now_ms);
        (e.to_string(), json_api::error_json(&e))
    }

    /// No deadline of its own: a journaled payment's time budget is its flow's.
    fn deadline_ms(&self) -> Option<u64> {
        None
    }
}

/// The keys each input may have, as JSON (for the package's check of its TypedDicts).
#[pyfunction]
fn input_keys() -> String {
    json_api::input_keys()
}

/// The version of bcpay-core.
#[pyfunction]
fn version() -> &'static str {
    bcpay_core::config::VERSION
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CoreApi>()?;
    m.add_class::<CoreFlow>()?;
    m.add_class::<CoreJournaled>()?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(input_keys, m)?)?;
    // The response headers the core reads (lower case): the default transports hand over only these.
    m.add("RESPONSE_HEADERS_READ", bcpay_core::http::RESPONSE_HEADERS_READ.to_vec())?;
    m.add("CoreError", m.py().get_type::<CoreError>())?;
    Ok(())
}
