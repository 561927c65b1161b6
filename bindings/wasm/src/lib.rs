//! The wasm-bindgen binding of bcpay-core for the npm package `bcpay`.
//!
//! It converts types and nothing else. Values cross the boundary as JSON text (snake_case, the
//! core's serde names; the TypeScript layer maps them to camelCase plain objects) and request /
//! response bodies as bytes. An operation's steps cross as plain lines (see [`Steps`]): one call
//! per request — the response in, every request to send and what to do next out, the bodies read
//! by JS straight from this module's memory — which costs both sides less than JSON and than a
//! call per field. JSON text rather than serde-wasm-bindgen keeps the module small (the
//! package's size budget is in `scripts/test`) and V8's `JSON.parse` is fast.
//! Every `PaymentError` becomes a real JS `Error` named `BcpayError` with the error's fields as
//! `details`; input that does not fit is a `BcpayError` of kind `validation` naming the path,
//! never a panic.

use bcpay_core::json_api::{self, to_json};
use bcpay_core::model::Payment;
use bcpay_core::read::FromJson;
use bcpay_core::{
    Action, Endpoint, FlowOptions, Header, HttpRequest, HttpResponse, Method, Operation, PaymentError, RateLimitConfig, RequestId, Session,
};
use wasm_bindgen::prelude::*;

/// Every heap block is wiped as it is freed: see "Memory" in `bcpay_core::secret`. On wasm32 the
/// blocks come from talc, which takes fewer instructions per block than the standard library's
/// dlmalloc and less of the module.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<talc::wasm::WasmDynamicTalc> =
    zeroizing_alloc::ZeroAlloc(talc::wasm::new_wasm_dynamic_allocator());
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> = zeroizing_alloc::ZeroAlloc(std::alloc::System);

/// Plain JSON text → JS value.
fn parse_js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or(JsValue::NULL)
}

/// The core's error as a JS `Error` named `BcpayError`, its fields (with the core's `message`
/// and `class_name`) under `details`.
fn js_error(e: &PaymentError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("BcpayError");
    let _ = js_sys::Reflect::set(&err, &"details".into(), &parse_js(&json_api::error_json(e)));
    err.into()
}

/// JSON input read by the core's reader; a mismatch is a validation error at its path.
fn input<T: FromJson>(json: &str, path: &str) -> Result<T, JsValue> {
    json_api::input(json, path).map_err(|e| js_error(&e))
}

/// A response as the TypeScript layer sends it: the request id and the headers in lines (id,
/// then name and value per header: HTTP forbids line breaks in both, and the TypeScript layer
/// replaces any a custom transport lets through), cheaper on both sides than a JSON list of
/// objects; the status and body beside them.
fn response_head(head: &str, status: u16, body: Vec<u8>) -> (RequestId, HttpResponse) {
    let mut lines = head.split('\n');
    let id = RequestId(lines.next().unwrap_or_default().to_owned());
    (
        id,
        HttpResponse {
            status,
            headers: header_pairs(lines),
            body,
        },
    )
}

/// Headers from alternating name and value lines.
fn header_pairs<'a>(mut lines: impl Iterator<Item = &'a str>) -> Vec<Header> {
    let mut headers = Vec::new();
    while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
        headers.push(Header::new(name, value));
    }
    headers
}

/// Response headers as `name\nvalue\n` per header (the stateless `parse`).
fn header_lines(text: &str) -> Vec<Header> {
    header_pairs(text.split('\n'))
}

/// A request without its body, serialized in one piece: one `JSON.parse` in JS instead of a
/// property set (and a string decode) per field.
#[derive(serde::Serialize)]
struct RequestHead<'a> {
    id: &'a RequestId,
    endpoint: Endpoint,
    method: Method,
    url: &'a str,
    headers: &'a [Header],
}

fn request_head(request: &HttpRequest) -> RequestHead<'_> {
    RequestHead {
        id: &request.id,
        endpoint: request.endpoint,
        method: request.method,
        url: &request.url,
        headers: &request.headers,
    }
}

/// The body copied straight from the request into a `Uint8Array` (`null` without one): no
/// intermediate Rust copy that would be freed without being wiped.
fn body_to_js(request: &HttpRequest) -> JsValue {
    match &request.body {
        Some(b) => js_sys::Uint8Array::from(b.as_slice()).into(),
        None => JsValue::NULL,
    }
}

/// A request as a plain object whose body is a `Uint8Array`.
fn request_to_js(request: &HttpRequest) -> Result<JsValue, JsValue> {
    let req = parse_js(&to_json(&request_head(request)));
    js_sys::Reflect::set(&req, &"body".into(), &body_to_js(request))?;
    Ok(req)
}

/// An operation's steps as lines: each request to send, then what to do next.
///
/// ```text
/// send \n id \n endpoint \n method \n url \n header count \n (name \n value \n)* body \n
/// sendjson \n {id, endpoint, method, url, headers} \n body \n     (a field holds a line break)
/// awaiting \n request id  |  wait \n until ms  |  done \n output JSON  |  failed \n error JSON
/// ```
///
/// `body` is `-` (none), or the address and length (`address length`) of the body in this
/// module's memory, which JS copies out before its next call into the module; the requests stay
/// in [`BcpayFlow::sending`] until then, so no second call is needed to hand the body over.
struct Steps(String);

impl Steps {
    fn send(&mut self, request: &HttpRequest) {
        let text = &mut self.0;
        let fields = [
            request.id.as_str(),
            request.endpoint.as_str(),
            request.method.as_str(),
            request.url.as_str(),
        ];
        let header_fields = request.headers.iter().flat_map(|h| [h.name.as_str(), h.value.as_str()]);
        if fields
            .into_iter()
            .chain(header_fields)
            .any(|f| f.bytes().any(|b| b == b'\n' || b == b'\r'))
        {
            text.push_str("sendjson\n");
            text.push_str(&to_json(&request_head(request)));
        } else {
            text.push_str("send");
            for field in fields {
                text.push('\n');
                text.push_str(field);
            }
            text.push('\n');
            push_number(text, request.headers.len() as u64);
            for h in &request.headers {
                text.push('\n');
                text.push_str(&h.name);
                text.push('\n');
                text.push_str(&h.value);
            }
        }
        text.push('\n');
        match &request.body {
            Some(body) => {
                push_number(text, body.as_ptr() as usize as u64);
                text.push(' ');
                push_number(text, body.len() as u64);
            }
            None => text.push('-'),
        }
        text.push('\n');
    }

    fn end(mut self, kind: &str, value: &str) -> String {
        self.0.push_str(kind);
        self.0.push('\n');
        self.0.push_str(value);
        self.0
    }
}

fn push_number(text: &mut String, n: u64) {
    bcpay_core::api::push_decimal(text, n);
}

/// One store's core session: the stateless build/parse API, and the factory of its operations
/// (payment flows and single calls), which share its rate limiter.
#[wasm_bindgen]
pub struct BcpayApi {
    session: Session,
}

#[wasm_bindgen]
impl BcpayApi {
    /// `settings`: JSON `{store_hash, api_token, api_base?, payments_base?, host?,
    /// max_response_bytes?, timeout_ms?}`; `rate_limit`: JSON `{payments_quota?,
    /// payments_window_ms?, transit_allowance_ms?}` or `undefined`; `options`: the default flow
    /// options as JSON.
    #[wasm_bindgen(constructor)]
    pub fn new(settings: &str, rate_limit: Option<String>, options: Option<String>) -> Result<BcpayApi, JsValue> {
        let config = json_api::client_config(settings).map_err(|e| js_error(&e))?;
        let limits: RateLimitConfig = match rate_limit {
            Some(json) => input(&json, "rate_limit")?,
            None => RateLimitConfig::default(),
        };
        let options: FlowOptions = match options {
            Some(json) => input(&json, "options")?,
            None => FlowOptions::default(),
        };
        Ok(BcpayApi {
            session: Session::new(config, limits).with_options(options),
        })
    }

    /// Builds the request for `call` (its endpoint name) from JSON `input`.
    pub fn build(&self, call: &str, input_json: &str) -> Result<JsValue, JsValue> {
        let request = json_api::build(self.session.api(), call, input_json).map_err(|e| js_error(&e))?;
        request_to_js(&request)
    }

    /// Parses the response (status, headers as [`header_lines`], body bytes) to a `call`
    /// request; returns JSON (see `bcpay_core::json_api::parse`).
    pub fn parse(
        &self,
        call: &str,
        request_id: String,
        status: u16,
        headers: &str,
        body: Vec<u8>,
        context_json: &str,
    ) -> Result<String, JsValue> {
        let headers = header_lines(headers);
        let response = HttpResponse { status, headers, body };
        json_api::parse(self.session.api(), call, &RequestId(request_id), &response, context_json).map_err(|e| js_error(&e))
    }

    /// Validates payments (a JSON list) at `now_ms`, optionally against JSON `methods`; returns
    /// the field errors as JSON (`[]` when valid).
    pub fn validate(&self, payments_json: &str, now_ms: f64, methods_json: Option<String>) -> Result<String, JsValue> {
        json_api::validate(payments_json, now_ms as u64, methods_json.as_deref()).map_err(|e| js_error(&e))
    }

    /// `[timeout_ms, max_body_bytes]`: what the default transport enforces per request.
    #[wasm_bindgen(js_name = transportLimits)]
    pub fn transport_limits(&self) -> Vec<f64> {
        let config = self.session.api().config();
        vec![config.timeout_ms() as f64, config.max_response_bytes() as f64]
    }

    /// A payment flow for `order_id` with JSON `payments`; `options_json` (or `undefined`)
    /// overrides some of the session's options.
    #[wasm_bindgen(js_name = newFlow)]
    pub fn new_flow(
        &self,
        order_id_json: &str,
        payments_json: &str,
        options_json: Option<String>,
        now_ms: f64,
        seed: Option<f64>,
    ) -> Result<BcpayFlow, JsValue> {
        // As JSON, so that `"0x65"`, `true` or `[101]` are the core's typed errors instead of
        // numbers by JavaScript's coercion.
        let order_id: u64 = input(order_id_json, "order_id")?;
        let payments: Vec<Payment> = input(payments_json, "payments")?;
        let options = options_json
            .map(|o| json_api::options_over(self.session.options(), &o))
            .transpose()
            .map_err(|e| js_error(&e))?;
        self.session
            .pay(order_id, payments, options, now_ms as u64, seed.map(|s| s as u64))
            .map(|flow| BcpayFlow::of(Operation::Pay(flow)))
            .map_err(|e| js_error(&e))
    }

    /// A payment an app relayed to this server (see `bcpay_core::relay`): `body` is the app's
    /// request envelope; the operation ends with the outcome envelope as its output, whatever
    /// happened; after `cancel`, poll once more for the envelope of the cancellation.
    #[wasm_bindgen(js_name = payFromApp)]
    pub fn pay_from_app(
        &self,
        body: &[u8],
        expect_order_id_json: Option<String>,
        now_ms: f64,
        seed: Option<f64>,
    ) -> Result<BcpayFlow, JsValue> {
        let expect = expect_order_id_json.map(|id| input::<u64>(&id, "expect_order_id")).transpose()?;
        Ok(BcpayFlow::of(self.session.pay_from_app(
            body,
            None,
            expect,
            now_ms as u64,
            seed.map(|s| s as u64),
        )))
    }

    /// A payment under the billing journal (see `bcpay_core::journal`): `record_json` is the
    /// order's stored record, if any; `put(order_id, state, record_json)` stores a record
    /// durably and synchronously (better-sqlite3 does) before the payment it precedes is sent. The
    /// operation ends with `{record, skipped}`; a `put` that throws stops it (nothing unrecorded
    /// is sent) with a `configuration` error (`journal_unavailable`).
    #[cfg(feature = "journal")]
    #[wasm_bindgen(js_name = payJournaled)]
    pub fn pay_journaled(
        &self,
        order_id_json: &str,
        payment_json: &str,
        record_json: Option<String>,
        options_json: Option<String>,
        now_ms: f64,
        put: js_sys::Function,
    ) -> Result<BcpayFlow, JsValue> {
        let order_id: u64 = input(order_id_json, "order_id")?;
        let payment: Payment = input(payment_json, "payment")?;
        let record = record_json
            .map(|r| bcpay_core::journal::JournalRecord::read(&r))
            .transpose()
            .map_err(|e| js_error(&e))?;
        let options = options_json
            .map(|o| json_api::options_over(self.session.options(), &o))
            .transpose()
            .map_err(|e| js_error(&e))?;
        let op = self.session.pay_journaled(order_id, payment, record, options, now_ms as u64, None);
        Ok(BcpayFlow {
            op: Op::Journaled(Box::new(op), put, None),
            sending: Vec::new(),
        })
    }

    /// A single call named by its endpoint, with JSON `input` (see `bcpay_core::json_api::call`).
    #[wasm_bindgen(js_name = newCall)]
    pub fn new_call(&self, call: &str, input_json: &str, now_ms: f64, seed: Option<f64>) -> Result<BcpayFlow, JsValue> {
        let (call, _) = json_api::call(call, input_json).map_err(|e| js_error(&e))?;
        self.session
            .call(call, None, now_ms as u64, seed.map(|s| s as u64))
            .map(|c| BcpayFlow::of(Operation::Call(c)))
            .map_err(|e| js_error(&e))
    }
}

/// An operation (a payment flow or a single call): `poll(now)` → action; `respond`;
/// `onTransportFailure`; `cancel`.
#[wasm_bindgen]
pub struct BcpayFlow {
    op: Op,
    /// The requests the last call handed out, until the next call: JS copies their bodies out of
    /// this module's memory in between (see [`Steps`]). Dropping them wipes the bodies.
    sending: Vec<HttpRequest>,
}

/// A core operation, or a journaled payment with the journal's `put` and the storage error that
/// stopped it, if one did. (Every payment is the first kind: it stays unboxed.)
#[cfg_attr(feature = "journal", allow(clippy::large_enum_variant))]
enum Op {
    Core(Operation),
    #[cfg(feature = "journal")]
    Journaled(Box<bcpay_core::journal::JournaledPayment>, js_sys::Function, Option<PaymentError>),
}

impl BcpayFlow {
    fn of(op: Operation) -> BcpayFlow {
        BcpayFlow {
            op: Op::Core(op),
            sending: Vec::new(),
        }
    }

    /// The next action of the operation, as the core's `Action` (a `Done` carrying its output's
    /// JSON); a journaled payment's records are put on the way.
    fn next(&mut self, now_ms: u64) -> Action<String> {
        match &mut self.op {
            Op::Core(op) => op.poll(now_ms).map_output(|output| json_api::output_json(&output)),
            #[cfg(feature = "journal")]
            Op::Journaled(op, put, failed) => journaled_next(op, put, failed, now_ms),
        }
    }

    /// The next step as [`Steps`] lines, or with `all`, every request to send and then the first
    /// other step (what the host does next). Drops (and wipes) what the last call handed out.
    fn steps(&mut self, now_ms: u64, all: bool) -> String {
        self.sending.clear();
        let mut steps = Steps(String::with_capacity(512));
        loop {
            match self.next(now_ms) {
                Action::Send { request } => {
                    steps.send(&request);
                    self.sending.push(request);
                    if !all {
                        return steps.0;
                    }
                }
                Action::Awaiting { request_id } => return steps.end("awaiting", request_id.as_str()),
                Action::Wait { until_ms } => {
                    let mut until = String::new();
                    push_number(&mut until, until_ms);
                    return steps.end("wait", &until);
                }
                Action::Done { output } => return steps.end("done", &output),
                Action::Failed { error } => return steps.end("failed", &json_api::error_json(&error)),
            }
        }
    }

    fn on_response_of(&mut self, id: &RequestId, response: &HttpResponse, now_ms: u64) {
        self.sending.clear();
        match &mut self.op {
            Op::Core(op) => op.on_response(id, response, now_ms),
            #[cfg(feature = "journal")]
            Op::Journaled(op, ..) => op.on_response(id, response, now_ms),
        }
    }
}

/// The next action of a journaled payment, each record it asks for put with `put` first; a put
/// that throws cancels the payment (nothing unrecorded goes out) and ends it with the storage
/// error once the cancellation's record is put (or that put failed too).
#[cfg(feature = "journal")]
fn journaled_next(
    op: &mut bcpay_core::journal::JournaledPayment,
    put: &js_sys::Function,
    failed: &mut Option<PaymentError>,
    now_ms: u64,
) -> Action<String> {
    use bcpay_core::journal::JournalStep;
    loop {
        match op.poll(now_ms) {
            JournalStep::Write { record } => {
                let (order_id, state, text) = (record.order_id as f64, record.state.as_str(), record.to_json());
                match put.call3(&JsValue::NULL, &order_id.into(), &state.into(), &text.into()) {
                    Ok(_) => op.written(),
                    Err(thrown) if failed.is_none() => {
                        let why = js_sys::Error::from(thrown).message().as_string().unwrap_or_default();
                        *failed = Some(bcpay_core::journal::journal_error("writing a record", why));
                        let _ = op.cancel(now_ms);
                    }
                    Err(_) => {
                        return Action::Failed {
                            error: failed.clone().expect("set by the first failed put"),
                        };
                    }
                }
            }
            JournalStep::Send { request } => return Action::Send { request },
            JournalStep::Wait { until_ms } => return Action::Wait { until_ms },
            JournalStep::Awaiting { request_id } => return Action::Awaiting { request_id },
            JournalStep::Finished { record, skipped } => {
                if let Some(error) = failed.clone() {
                    return Action::Failed { error };
                }
                let output = format!(r#"{{"record":{},"skipped":{skipped}}}"#, record.to_json());
                return Action::Done { output };
            }
        }
    }
}

#[wasm_bindgen]
impl BcpayFlow {
    /// The next step as [`Steps`] lines; with `all`, every request to send and then what to do
    /// next (the client's loop), else one step (`PaymentFlow.poll`).
    pub fn poll(&mut self, now_ms: f64, all: bool) -> String {
        self.steps(now_ms as u64, all)
    }

    /// Feeds the response to a request: `head` as [`response_head`] lines (request id, then
    /// headers), its status and body.
    #[wasm_bindgen(js_name = onResponse)]
    pub fn on_response(&mut self, head: &str, status: u16, body: Vec<u8>, now_ms: f64) {
        let (id, response) = response_head(head, status, body);
        self.on_response_of(&id, &response, now_ms as u64);
    }

    /// `onResponse` then `poll`: the next steps, in one call per response.
    pub fn respond(&mut self, head: &str, status: u16, body: Vec<u8>, now_ms: f64, all: bool) -> String {
        let (id, response) = response_head(head, status, body);
        self.on_response_of(&id, &response, now_ms as u64);
        self.steps(now_ms as u64, all)
    }

    /// Feeds a transport failure (`not_sent`, `maybe_sent`, `timed_out`) for request `id`, with
    /// the thrown error's text (`cause`, scrubbed by the core) when there is one.
    #[wasm_bindgen(js_name = onTransportFailure)]
    pub fn on_transport_failure(&mut self, id: String, failure: &str, cause: Option<String>, now_ms: f64) -> Result<(), JsValue> {
        let failure = json_api::transport_failure(failure, "failure").map_err(|e| js_error(&e))?;
        let (id, cause) = (RequestId(id), cause.as_deref());
        self.sending.clear();
        match &mut self.op {
            Op::Core(op) => op.on_transport_failure(&id, failure, cause, now_ms as u64),
            #[cfg(feature = "journal")]
            Op::Journaled(op, ..) => op.on_transport_failure(&id, failure, cause, now_ms as u64),
        }
        Ok(())
    }

    /// `onTransportFailure` then `poll`: the next steps, in one call per failure.
    pub fn fail(&mut self, id: String, failure: &str, cause: Option<String>, now_ms: f64, all: bool) -> Result<String, JsValue> {
        self.on_transport_failure(id, failure, cause, now_ms)?;
        Ok(self.steps(now_ms as u64, all))
    }

    /// Records the operation's events from now on (`bcpay_core::observe`): only a client with
    /// listeners calls it, so one without pays nothing.
    pub fn observe(&mut self) {
        match &mut self.op {
            Op::Core(op) => op.observe(),
            #[cfg(feature = "journal")]
            Op::Journaled(op, ..) => op.observe(),
        }
    }

    /// The events recorded since the last call, as a JSON array (the core's serde names).
    #[wasm_bindgen(js_name = takeEvents)]
    pub fn take_events(&mut self) -> String {
        let events = match &mut self.op {
            Op::Core(op) => op.take_events(),
            #[cfg(feature = "journal")]
            Op::Journaled(op, ..) => op.take_events(),
        };
        to_json(&events)
    }

    /// Ends the operation for a caller that gave up (an aborted signal, a passed deadline): the
    /// error to throw.
    pub fn cancel(&mut self, now_ms: f64) -> JsValue {
        let error = match &mut self.op {
            Op::Core(op) => op.cancel(now_ms as u64),
            #[cfg(feature = "journal")]
            Op::Journaled(op, put, _) => {
                let error = op.cancel(now_ms as u64);
                // The record of the cancellation, for the next run.
                let record = op.record();
                let _ = put.call3(
                    &JsValue::NULL,
                    &(record.order_id as f64).into(),
                    &record.state.as_str().into(),
                    &record.to_json().into(),
                );
                error
            }
        };
        js_error(&error)
    }

    /// When the time budget runs out (ms), or `undefined`.
    #[wasm_bindgen(js_name = deadlineMs)]
    pub fn deadline_ms(&self) -> Option<f64> {
        match &self.op {
            Op::Core(op) => op.deadline_ms().map(|d| d as f64),
            #[cfg(feature = "journal")]
            Op::Journaled(..) => None,
        }
    }
}

/// The keys each input may have (`bcpay_core::json_api::input_keys`), for the package's type
/// check against its TypeScript declarations.
#[wasm_bindgen(js_name = inputKeys)]
pub fn input_keys() -> String {
    json_api::input_keys()
}

/// The response headers the core reads, lower case, one per line: the default transport hands
/// over only these.
#[wasm_bindgen(js_name = responseHeadersRead)]
pub fn response_headers_read() -> String {
    bcpay_core::http::RESPONSE_HEADERS_READ.join("\n")
}

/// The SDK version.
#[wasm_bindgen]
pub fn version() -> String {
    bcpay_core::config::VERSION.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_pair_names_with_values() {
        let headers = header_lines("retry-after\n2\nx-empty\n\ncontent-type\napplication/json; charset=utf-8\n");
        let pairs: Vec<(&str, &str)> = headers.iter().map(|h| (h.name.as_str(), h.value.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("retry-after", "2"),
                ("x-empty", ""),
                ("content-type", "application/json; charset=utf-8")
            ]
        );
        assert!(header_lines("").is_empty());
        let (id, response) = response_head("r-1\nx-request-id\nabc", 201, b"{}".to_vec());
        assert_eq!(
            (id.as_str(), response.status, response.header("x-request-id")),
            ("r-1", 201, Some("abc"))
        );
    }

    #[test]
    fn sends_travel_as_lines_unless_a_field_has_a_line_break() {
        let request = HttpRequest {
            id: RequestId("r-1".into()),
            endpoint: Endpoint::GetOrder,
            method: Method::Get,
            url: "https://api.example/stores/abc/v2/orders/1".into(),
            headers: vec![Header::new("Accept", "application/json"), Header::new("X-Auth-Token", "t")],
            body: None,
        };
        let mut steps = Steps(String::new());
        steps.send(&request);
        assert_eq!(
            steps.end("awaiting", "r-1"),
            "send\nr-1\nget_order\nGET\nhttps://api.example/stores/abc/v2/orders/1\n2\nAccept\napplication/json\nX-Auth-Token\nt\n-\nawaiting\nr-1"
        );
        let mut broken = request.clone();
        broken.headers[1].value = "t\r\nX-Injected: 1".into();
        broken.body = Some(b"{}".to_vec());
        let mut steps = Steps(String::new());
        steps.send(&broken);
        let text = steps.end("wait", "5");
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines[0], "sendjson");
        assert!(lines[1].starts_with(r#"{"id":"r-1""#) && lines[1].contains(r#"t\r\nX-Injected: 1"#));
        let address = format!("{} 2", broken.body.as_ref().unwrap().as_ptr() as usize);
        assert_eq!(&lines[2..], [address.as_str(), "wait", "5"]);
    }
}
