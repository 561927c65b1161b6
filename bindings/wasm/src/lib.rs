//! The wasm-bindgen binding of bcpay-core for the npm package `bcpay`.
//!
//! It converts types and nothing else: JS objects in and out (snake_case, as the core's serde
//! names; the TypeScript layer maps them to camelCase), every call dispatched to the core, and
//! every `PaymentError` turned into a real JS `Error` named `BcpayError` with the error's fields.
//! Input that does not deserialize is a `BcpayError` of kind `validation`, never a panic.

use bcpay_core::api::MethodsQuery;
use bcpay_core::model::{NewOrder, Payment, PaymentMethod, RefundQuoteRequest, RefundRequest};
use bcpay_core::rng::Entropy;
use bcpay_core::secret::PatSecret;
use bcpay_core::{
    Action, Api, ClientConfig, ClientSettings, Endpoint, FieldError, FlowOptions, HttpResponse, PaymentError, PaymentFlow, RateLimitConfig,
    RateLimiter, RequestId, SharedRateLimiter, TransportFailure, validate,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// The core's error as a JS `Error` named `BcpayError`, carrying every field of `PaymentError`.
fn js_error(e: &PaymentError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("BcpayError");
    if let Ok(fields) = to_js(e) {
        let _ = js_sys::Reflect::set(&err, &"details".into(), &fields);
    }
    err.into()
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let s = serde_wasm_bindgen::Serializer::new()
        .serialize_maps_as_objects(true)
        .serialize_missing_as_null(true);
    value
        .serialize(&s)
        .map_err(|e| js_error(&PaymentError::new(bcpay_core::ErrorKind::InvalidResponse, e.to_string())))
}

/// Input that does not fit the expected shape: a validation error naming the argument.
fn from_js<T: DeserializeOwned>(value: JsValue, path: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        // serde's message names the field and expected type; it never contains secret values
        // because secrets deserialize from any string.
        js_error(&PaymentError::validation(vec![FieldError::new(
            path,
            "invalid_input",
            bcpay_core::error::scrub(&e.to_string()),
        )]))
    })
}

fn result<T: Serialize>(r: Result<T, PaymentError>) -> Result<JsValue, JsValue> {
    match r {
        Ok(v) => to_js(&v),
        Err(e) => Err(js_error(&e)),
    }
}

#[derive(serde::Deserialize)]
struct Input {
    #[serde(default)]
    order_id: Option<u64>,
    #[serde(default)]
    checkout_id: Option<String>,
    #[serde(default)]
    customer_id: Option<u64>,
    #[serde(default)]
    is_recurring: bool,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    pat: Option<String>,
    #[serde(default)]
    now_ms: Option<u64>,
    #[serde(default)]
    payment: Option<Payment>,
    #[serde(default)]
    methods: Option<Vec<PaymentMethod>>,
    #[serde(default)]
    order: Option<NewOrder>,
    #[serde(default)]
    request: Option<serde_json::Value>,
    #[serde(default)]
    payment_method_id: Option<String>,
}

/// A request as a plain object whose body is a `Uint8Array` (not an array of numbers).
fn request_to_js(request: &bcpay_core::HttpRequest) -> Result<JsValue, JsValue> {
    let req = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&req, &k.into(), v);
    set("id", &request.id.as_str().into())?;
    set("endpoint", &request.endpoint.as_str().into())?;
    set("method", &request.method.as_str().into())?;
    set("url", &request.url.as_str().into())?;
    set("headers", &to_js(&request.headers)?)?;
    let body = match &request.body {
        Some(b) => js_sys::Uint8Array::from(b.as_slice()).into(),
        None => JsValue::NULL,
    };
    set("body", &body)?;
    Ok(req.into())
}

fn json<T: Serialize>(v: Result<T, PaymentError>) -> Result<serde_json::Value, PaymentError> {
    v.and_then(|x| serde_json::to_value(x).map_err(|e| PaymentError::new(bcpay_core::ErrorKind::InvalidResponse, e.to_string())))
}

fn need<T>(v: Option<T>, path: &str) -> Result<T, PaymentError> {
    v.ok_or_else(|| PaymentError::validation(vec![FieldError::new(path, "missing", format!("{path} is required"))]))
}

fn request_body<T: DeserializeOwned>(v: Option<serde_json::Value>) -> Result<T, PaymentError> {
    serde_json::from_value(need(v, "request")?).map_err(|e| {
        PaymentError::validation(vec![FieldError::new(
            "request",
            "invalid_input",
            bcpay_core::error::scrub(&e.to_string()),
        )])
    })
}

/// The stateless build/parse API for one store.
#[wasm_bindgen]
pub struct BcpayApi {
    api: Arc<Api>,
    limiter: SharedRateLimiter,
}

#[wasm_bindgen]
impl BcpayApi {
    /// `settings`: `{store_hash, api_token, api_base?, payments_base?, host?}`; optional
    /// `rate_limit`: `{payments_quota, payments_window_ms, transit_allowance_ms}`.
    #[wasm_bindgen(constructor)]
    pub fn new(settings: JsValue, rate_limit: JsValue) -> Result<BcpayApi, JsValue> {
        let settings: ClientSettings = from_js(settings, "settings")?;
        let limits: RateLimitConfig = if rate_limit.is_undefined() || rate_limit.is_null() {
            RateLimitConfig::default()
        } else {
            from_js(rate_limit, "rate_limit")?
        };
        let config = ClientConfig::from_settings(settings).map_err(|e| js_error(&e))?;
        Ok(BcpayApi {
            api: Arc::new(Api::new(config)),
            limiter: RateLimiter::shared(limits),
        })
    }

    /// Builds the request for `call` (snake_case endpoint name as in the vectors) from `input`.
    pub fn build(&self, call: &str, input: JsValue) -> Result<JsValue, JsValue> {
        let i: Input = from_js(input, "input")?;
        let api = &self.api;
        let built = (|| match call {
            "get_payment_methods" => match (i.order_id, i.checkout_id) {
                (Some(id), _) => api.build_get_payment_methods(&MethodsQuery::OrderId(id)),
                (None, Some(c)) => api.build_get_payment_methods(&MethodsQuery::CheckoutId(c)),
                _ => Err(need::<()>(None, "order_id").unwrap_err()),
            },
            "create_access_token" => api.build_create_access_token(need(i.order_id, "order_id")?, i.is_recurring),
            "process_payment" => api.build_process_payment(
                &PatSecret::new(need(i.pat, "pat")?),
                &need(i.payment, "payment")?,
                need(i.now_ms, "now_ms")?,
                i.methods.as_deref(),
            ),
            "create_order" => api.build_create_order(&need(i.order, "order")?),
            "get_order" => api.build_get_order(need(i.order_id, "order_id")?),
            "get_transactions" => api.build_get_transactions(need(i.order_id, "order_id")?, i.page.unwrap_or(1)),
            "capture" => api.build_capture(need(i.order_id, "order_id")?),
            "void" => api.build_void(need(i.order_id, "order_id")?),
            "create_refund_quote" => {
                api.build_create_refund_quote(need(i.order_id, "order_id")?, &request_body::<RefundQuoteRequest>(i.request)?)
            }
            "create_refund" => api.build_create_refund(need(i.order_id, "order_id")?, &request_body::<RefundRequest>(i.request)?),
            "list_refunds" => api.build_list_refunds(need(i.order_id, "order_id")?),
            "get_stored_instruments" => api.build_get_stored_instruments(need(i.customer_id, "customer_id")?),
            other => Err(PaymentError::validation(vec![FieldError::new(
                "call",
                "unknown_call",
                format!("unknown call {other:?}"),
            )])),
        })();
        match built {
            Ok(request) => request_to_js(&request),
            Err(e) => Err(js_error(&e)),
        }
    }

    /// Parses the response (status, `[{name, value}]` headers, body bytes) to a `call` request.
    /// `context`: `{payment_method_id}` for
    /// process_payment, `{now_ms}` for create_access_token.
    pub fn parse(
        &self,
        call: &str,
        request_id: String,
        status: u16,
        headers: JsValue,
        body: &[u8],
        context: JsValue,
    ) -> Result<JsValue, JsValue> {
        let r = HttpResponse {
            status,
            headers: from_js(headers, "headers")?,
            body: body.to_vec(),
        };
        let c: Input = if context.is_undefined() || context.is_null() {
            from_js(JsValue::from(js_sys::Object::new()), "context")?
        } else {
            from_js(context, "context")?
        };
        let id = RequestId(request_id);
        let api = &self.api;
        let parsed: Result<serde_json::Value, PaymentError> = (|| {
            match call {
            "get_payment_methods" => json(api.parse_get_payment_methods(&id, &r)),
            "create_access_token" => api.parse_create_access_token(&id, &r, need(c.now_ms, "now_ms")?).map(|t| {
                serde_json::json!({"secret": t.secret.expose(), "claims": t.claims, "received_at_ms": t.received_at_ms, "expires_at_ms": t.expires_at_ms})
            }),
            "process_payment" => json(api.parse_process_payment(&id, &r, &need(c.payment_method_id, "payment_method_id")?)),
            "create_order" => json(api.parse_create_order(&id, &r)),
            "get_order" => json(api.parse_get_order(&id, &r)),
            "get_transactions" => json(api.parse_get_transactions(&id, &r)),
            "capture" => api.parse_payment_action(Endpoint::CapturePayment, &id, &r).map(|()| serde_json::Value::Null),
            "void" => api.parse_payment_action(Endpoint::VoidPayment, &id, &r).map(|()| serde_json::Value::Null),
            "create_refund_quote" => json(api.parse_create_refund_quote(&id, &r)),
            "create_refund" => json(api.parse_create_refund(&id, &r)),
            "list_refunds" => json(api.parse_list_refunds(&id, &r)),
            "get_stored_instruments" => json(api.parse_get_stored_instruments(&id, &r)),
            other => Err(PaymentError::validation(vec![FieldError::new("call", "unknown_call", format!("unknown call {other:?}"))])),
        }
        })();
        result(parsed)
    }

    /// Validates payments (`payment` or a list) at `now_ms`, optionally against `methods`;
    /// returns the field errors (empty when valid).
    pub fn validate(&self, payments: JsValue, now_ms: f64, methods: JsValue) -> Result<JsValue, JsValue> {
        let payments: Vec<Payment> = from_js(payments, "payments")?;
        let methods: Option<Vec<PaymentMethod>> = if methods.is_undefined() || methods.is_null() {
            None
        } else {
            Some(from_js(methods, "methods")?)
        };
        to_js(&validate::validate_payments(&payments, now_ms as u64, methods.as_deref()))
    }

    /// The error for a request that got no response (`not_sent`, `maybe_sent`, `timed_out`), as
    /// the core classifies it (payment calls that may have reached the server → reconcile).
    #[wasm_bindgen(js_name = transportError)]
    pub fn transport_error(&self, endpoint: JsValue, request_id: String, failure: JsValue) -> Result<JsValue, JsValue> {
        let endpoint: Endpoint = from_js(endpoint, "endpoint")?;
        let failure: TransportFailure = from_js(failure, "failure")?;
        Ok(js_error(&PaymentError::transport(endpoint, &RequestId(request_id), failure)))
    }

    /// A payment flow for `order_id` with `payments`, sharing this API's rate limiter.
    #[wasm_bindgen(js_name = newFlow)]
    pub fn new_flow(&self, order_id: f64, payments: JsValue, options: JsValue, now_ms: f64, seed: JsValue) -> Result<BcpayFlow, JsValue> {
        let payments: Vec<Payment> = from_js(payments, "payments")?;
        let options: FlowOptions = if options.is_undefined() || options.is_null() {
            FlowOptions::default()
        } else {
            from_js(options, "options")?
        };
        let entropy = match seed.as_f64() {
            Some(s) => Entropy::from_seed(s as u64),
            None => Entropy::from_os(),
        };
        if !(order_id.is_finite() && order_id >= 0.0 && order_id.fract() == 0.0) {
            return Err(js_error(&PaymentError::validation(vec![FieldError::new(
                "order_id",
                "invalid_order_id",
                "The order id must be a whole number from 1 to 2147483647.",
            )])));
        }
        PaymentFlow::with_limiter(
            self.api.clone(),
            self.limiter.clone(),
            entropy,
            order_id as u64,
            payments,
            options,
            now_ms as u64,
        )
        .map(|flow| BcpayFlow { flow })
        .map_err(|e| js_error(&e))
    }
}

/// `PaymentFlow`: `poll(now)` → action; `onResponse`; `onTransportFailure`.
#[wasm_bindgen]
pub struct BcpayFlow {
    flow: PaymentFlow,
}

#[wasm_bindgen]
impl BcpayFlow {
    /// The next action: `{type: "send", request}`, `{type: "wait", until_ms}`,
    /// `{type: "awaiting", request_id}`, `{type: "done", receipt}` or `{type: "failed", error}`
    /// (the error as plain fields; the TypeScript layer throws it as a `BcpayError`).
    pub fn poll(&mut self, now_ms: f64) -> Result<JsValue, JsValue> {
        let action = self.flow.poll(now_ms as u64);
        match &action {
            Action::Send { request } => {
                let obj = js_sys::Object::new();
                js_sys::Reflect::set(&obj, &"type".into(), &"send".into())?;
                js_sys::Reflect::set(&obj, &"request".into(), &request_to_js(request)?)?;
                Ok(obj.into())
            }
            other => to_js(other),
        }
    }

    /// Feeds the response (`{status, headers: [{name, value}], body: Uint8Array}`) to request `id`.
    #[wasm_bindgen(js_name = onResponse)]
    pub fn on_response(&mut self, id: String, status: u16, headers: JsValue, body: &[u8], now_ms: f64) -> Result<(), JsValue> {
        let headers = from_js(headers, "headers")?;
        self.flow.on_response(
            &RequestId(id),
            &HttpResponse {
                status,
                headers,
                body: body.to_vec(),
            },
            now_ms as u64,
        );
        Ok(())
    }

    /// Feeds a transport failure (`not_sent`, `maybe_sent`, `timed_out`) for request `id`.
    #[wasm_bindgen(js_name = onTransportFailure)]
    pub fn on_transport_failure(&mut self, id: String, failure: JsValue, now_ms: f64) -> Result<(), JsValue> {
        let failure: TransportFailure = from_js(failure, "failure")?;
        self.flow.on_transport_failure(&RequestId(id), failure, now_ms as u64);
        Ok(())
    }
}

/// The SDK version.
#[wasm_bindgen]
pub fn version() -> String {
    bcpay_core::config::VERSION.to_owned()
}
