//! The wasm-bindgen binding of bcpay-core's app side for the npm entry `bcpay/app`: what a
//! browser app needs to pay through its own server without the store's API token (see
//! `bcpay_core::relay`); npm also ships it translated to JavaScript by wasm2js, for engines
//! without WebAssembly (React Native). A module of its own, so that an app ships none of the
//! token-holding client (and a smaller download). It converts types and nothing else; errors are
//! JS `Error`s named `BcpayError` with the core's fields under `details`, as in `bcpay-wasm`.

use bcpay_core::json_api::{self, error_json, input, to_json};
use bcpay_core::model::PaymentMethod;
use bcpay_core::{PaymentError, relay};
use wasm_bindgen::prelude::*;

/// Every heap block is wiped as it is freed: see "Memory" in `bcpay_core::secret`.
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> = zeroizing_alloc::ZeroAlloc(std::alloc::System);

fn js_error(e: &PaymentError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("BcpayError");
    let details = js_sys::JSON::parse(&error_json(e)).unwrap_or(JsValue::NULL);
    let _ = js_sys::Reflect::set(&err, &"details".into(), &details);
    err.into()
}

/// A card form (`{number, cardholder_name, expiry_month, expiry_year, verification_value}`, text)
/// checked as typed (`bcpay_core::validate::check_card_form`), optionally against methods (a Get
/// Payment Methods `data` array); the check as JSON.
#[wasm_bindgen(js_name = checkCardForm)]
pub fn check_card_form(form_json: &str, now_ms: f64, methods_json: Option<String>) -> Result<String, JsValue> {
    let read = || -> Result<String, PaymentError> {
        let form: bcpay_core::model::CardForm = input(form_json, "form")?;
        let methods: Option<Vec<PaymentMethod>> = methods_json.as_deref().map(|m| input(m, "methods")).transpose()?;
        Ok(to_json(&bcpay_core::validate::check_card_form(
            &form,
            now_ms as u64,
            methods.as_deref(),
        )))
    };
    read().map_err(|e| js_error(&e))
}

/// A relay request envelope's body for paying `order_id_json` with `payments_json` (as `pay`
/// takes them), validated now; `time_budget_ms_json` is how long the app will wait.
#[wasm_bindgen(js_name = buildPaymentRequest)]
pub fn build_payment_request(
    order_id_json: &str,
    payments_json: &str,
    time_budget_ms_json: Option<String>,
    now_ms: f64,
) -> Result<Vec<u8>, JsValue> {
    let build = || -> Result<Vec<u8>, PaymentError> {
        let request = relay::PaymentRequest {
            order_id: input(order_id_json, "order_id")?,
            payments: input(payments_json, "payments")?,
            time_budget_ms: time_budget_ms_json.as_deref().map(|t| input(t, "time_budget_ms")).transpose()?,
        };
        Ok(request.validated_body(now_ms as u64)?.to_vec())
    };
    build().map_err(|e| js_error(&e))
}

/// The server's outcome envelope as an action (`{type: "done", output}` or `{type: "failed", error}`).
#[wasm_bindgen(js_name = readPaymentOutcome)]
pub fn read_payment_outcome(body: &[u8]) -> String {
    match relay::read_outcome(body) {
        Ok(receipt) => format!(r#"{{"type":"done","output":{}}}"#, to_json(&receipt)),
        Err(error) => format!(r#"{{"type":"failed","error":{}}}"#, error_json(&error)),
    }
}

/// The error for a relay request that got no answer, as JSON.
#[wasm_bindgen(js_name = relayFailure)]
pub fn relay_failure(failure: &str) -> Result<String, JsValue> {
    let failure = json_api::transport_failure(failure, "failure").map_err(|e| js_error(&e))?;
    Ok(error_json(&relay::relay_failure(failure)))
}
