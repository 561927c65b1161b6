//! The pyo3 binding of bcpay-core for the Python package `bcpay` (module `bcpay._core`).
//!
//! It converts types and nothing else: values cross as JSON text through
//! `bcpay_core::json_api` (the Python layer turns them into typed named tuples), bodies as
//! `bytes`, headers as lists of `(name, value)` pairs. Every `PaymentError` is raised as
//! `CoreError(message, details_json)`, which the Python layer re-raises as the matching
//! `BcpayError` subclass. Nothing here panics on bad input: it is a validation error.

use bcpay_core::json_api::{self, to_json};
use bcpay_core::model::Payment;
use bcpay_core::rng::Entropy;
use bcpay_core::{
    Action, Api, Endpoint, FlowOptions, Header, HttpRequest, HttpResponse, PaymentError, PaymentFlow, RateLimitConfig, RateLimiter,
    RequestId, SharedRateLimiter, TransportFailure,
};
use pyo3::create_exception;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::sync::{Arc, Mutex};

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
    CoreError::new_err((e.to_string(), to_json(&e)))
}

/// `(id, endpoint, method, url, headers, body)` — a request, as Python receives it.
type RequestTuple<'py> = (String, String, String, String, Vec<(String, String)>, Option<Bound<'py, PyBytes>>);

fn request_tuple<'py>(py: Python<'py>, r: &HttpRequest) -> RequestTuple<'py> {
    (
        r.id.0.clone(),
        r.endpoint.as_str().to_owned(),
        r.method.as_str().to_owned(),
        r.url.clone(),
        r.headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect(),
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
#[pyclass(module = "bcpay._core", frozen)]
struct CoreApi {
    api: Arc<Api>,
    limiter: SharedRateLimiter,
    /// Seeds each flow's jitter: one OS read per client, not per payment.
    entropy: Mutex<Entropy>,
}

#[pymethods]
impl CoreApi {
    /// `settings_json`: `{store_hash, api_token, api_base?, payments_base?, host?, max_response_bytes?, timeout_ms?}`.
    #[new]
    #[pyo3(signature = (settings_json, rate_limit_json=None))]
    fn new(settings_json: &str, rate_limit_json: Option<&str>) -> PyResult<CoreApi> {
        let config = json_api::client_config(settings_json).map_err(err)?;
        let limits: RateLimitConfig = match rate_limit_json {
            Some(j) => json_api::input(j, "rate_limit").map_err(err)?,
            None => RateLimitConfig::default(),
        };
        Ok(CoreApi {
            api: Arc::new(Api::new(config)),
            limiter: RateLimiter::shared(limits),
            entropy: Mutex::new(Entropy::from_os()),
        })
    }

    /// `(timeout_ms, max_body_bytes)`: what the default transport enforces per request.
    fn transport_limits(&self) -> (u64, usize) {
        let config = self.api.config();
        (config.timeout_ms(), config.max_response_bytes())
    }

    /// Builds the request for `call` from JSON input.
    fn build<'py>(&self, py: Python<'py>, call: &str, input_json: &str) -> PyResult<RequestTuple<'py>> {
        let request = json_api::build(&self.api, call, input_json).map_err(err)?;
        Ok(request_tuple(py, &request))
    }

    /// Parses a response to a `call` request; returns JSON.
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
            &self.api,
            call,
            &RequestId(request_id),
            &response(status, headers, body),
            context_json,
        )
        .map_err(err)
    }

    /// Validates a JSON list of payments; returns the field errors as JSON.
    #[pyo3(signature = (payments_json, now_ms, methods_json=None))]
    fn validate(&self, payments_json: &str, now_ms: u64, methods_json: Option<&str>) -> PyResult<String> {
        json_api::validate(payments_json, now_ms, methods_json).map_err(err)
    }

    /// The error (as `(message, details_json)`) for a request that got no response.
    fn transport_error(&self, endpoint: &str, request_id: String, failure: &str) -> PyResult<(String, String)> {
        let endpoint: Endpoint = enum_from_str(endpoint, "endpoint")?;
        let failure: TransportFailure = enum_from_str(failure, "failure")?;
        let e = PaymentError::transport(endpoint, &RequestId(request_id), failure);
        Ok((e.to_string(), to_json(&e)))
    }

    /// A payment flow for `order_id`, sharing this API's rate limiter.
    #[pyo3(signature = (order_id_json, payments_json, options_json, now_ms, seed=None))]
    fn new_flow(&self, order_id_json: &str, payments_json: &str, options_json: &str, now_ms: u64, seed: Option<u64>) -> PyResult<CoreFlow> {
        // As JSON, so that `True`, `"215"` or `1.5` are the core's typed errors, not order 1.
        let order_id: u64 = json_api::input(order_id_json, "order_id").map_err(err)?;
        let payments: Vec<Payment> = json_api::input(payments_json, "payments").map_err(err)?;
        let options: FlowOptions = json_api::input(options_json, "options").map_err(err)?;
        let seed = seed.unwrap_or_else(|| self.entropy.lock().unwrap_or_else(|p| p.into_inner()).next_u64());
        let flow = PaymentFlow::with_limiter(
            self.api.clone(),
            self.limiter.clone(),
            Entropy::from_seed(seed),
            order_id,
            payments,
            options,
            now_ms,
        )
        .map_err(err)?;
        Ok(CoreFlow { flow: Mutex::new(flow) })
    }
}

/// `PaymentFlow`: `poll(now)`, `on_response`, `on_transport_failure`.
#[pyclass(module = "bcpay._core", frozen)]
struct CoreFlow {
    flow: Mutex<PaymentFlow>,
}

impl CoreFlow {
    fn flow(&self) -> std::sync::MutexGuard<'_, PaymentFlow> {
        self.flow.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl CoreFlow {
    /// `("send", request_tuple)` or `(type, action_json)` for wait / awaiting / done / failed.
    fn poll<'py>(&self, py: Python<'py>, now_ms: u64) -> (String, Bound<'py, PyAny>) {
        match self.flow().poll(now_ms) {
            Action::Send { request } => (
                "send".to_owned(),
                request_tuple(py, &request)
                    .into_pyobject(py)
                    .map(|t| t.into_any())
                    .expect("tuples convert"),
            ),
            other => {
                let kind = match &other {
                    Action::Wait { .. } => "wait",
                    Action::Awaiting { .. } => "awaiting",
                    Action::Done { .. } => "done",
                    _ => "failed",
                };
                (
                    kind.to_owned(),
                    to_json(&other).into_pyobject(py).expect("strings convert").into_any(),
                )
            }
        }
    }

    /// Feeds the response to request `request_id`.
    fn on_response(&self, request_id: String, status: u16, headers: Vec<(String, String)>, body: &[u8], now_ms: u64) {
        self.flow()
            .on_response(&RequestId(request_id), &response(status, headers, body), now_ms);
    }

    /// Feeds a transport failure (`not_sent`, `maybe_sent`, `timed_out`) for `request_id`.
    fn on_transport_failure(&self, request_id: String, failure: &str, now_ms: u64) -> PyResult<()> {
        let failure: TransportFailure = enum_from_str(failure, "failure")?;
        self.flow().on_transport_failure(&RequestId(request_id), failure, now_ms);
        Ok(())
    }
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
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add("CoreError", m.py().get_type::<CoreError>())?;
    Ok(())
}
