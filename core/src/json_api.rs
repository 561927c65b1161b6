//! The stateless API in JSON-text form, for bindings whose hosts speak JSON (the npm package
//! through wasm, the Python package): calls are named as in the conformance vectors
//! (`get_payment_methods`, `process_payment`, …), inputs and results are snake_case JSON.
//! Every binding dispatches through here, so a call name means the same everywhere.

use crate::api::{Api, MethodsQuery};
use crate::error::{FieldError, PaymentError, scrub};
use crate::http::{Endpoint, HttpRequest, HttpResponse, RequestId};
use crate::model::{NewOrder, Payment, PaymentMethod, RefundQuoteRequest, RefundRequest};
use crate::secret::PatSecret;
use crate::validate;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Serializes one of the core's plain types (which always serialize).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// Reads JSON input; a mismatch is a validation error naming `path`, never a panic. The
/// message is serde's (field and expected type), scrubbed of anything that looks like card data.
pub fn input<T: DeserializeOwned>(json: &str, path: &str) -> Result<T, PaymentError> {
    serde_json::from_str(json).map_err(|e| PaymentError::validation(vec![FieldError::new(path, "invalid_input", scrub(&e.to_string()))]))
}

#[derive(serde::Deserialize, Default)]
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

fn need<T>(v: Option<T>, path: &str) -> Result<T, PaymentError> {
    v.ok_or_else(|| PaymentError::validation(vec![FieldError::new(path, "missing", format!("{path} is required"))]))
}

fn request_body<T: DeserializeOwned>(v: Option<serde_json::Value>) -> Result<T, PaymentError> {
    serde_json::from_value(need(v, "request")?)
        .map_err(|e| PaymentError::validation(vec![FieldError::new("request", "invalid_input", scrub(&e.to_string()))]))
}

fn unknown(call: &str) -> PaymentError {
    PaymentError::validation(vec![FieldError::new("call", "unknown_call", format!("unknown call {call:?}"))])
}

/// Builds the request for `call` from JSON `input_json`.
pub fn build(api: &Api, call: &str, input_json: &str) -> Result<HttpRequest, PaymentError> {
    let i: Input = input(input_json, "input")?;
    match call {
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
        other => Err(unknown(other)),
    }
}

fn json<T: Serialize>(v: Result<T, PaymentError>) -> Result<String, PaymentError> {
    v.map(|x| to_json(&x))
}

/// Parses the response to a request built for `call`; returns the result as JSON. `context_json`
/// carries `{payment_method_id}` for process_payment and `{now_ms}` for create_access_token. A
/// payment access token comes back as `{secret, claims, received_at_ms, expires_at_ms}`: the
/// host must keep `secret` out of its reprs and logs.
pub fn parse(api: &Api, call: &str, id: &RequestId, r: &HttpResponse, context_json: &str) -> Result<String, PaymentError> {
    let c: Input = input(context_json, "context")?;
    match call {
        "get_payment_methods" => json(api.parse_get_payment_methods(id, r)),
        "create_access_token" => api.parse_create_access_token(id, r, need(c.now_ms, "now_ms")?).map(|t| {
            to_json(&serde_json::json!({"secret": t.secret.expose(), "claims": t.claims, "received_at_ms": t.received_at_ms, "expires_at_ms": t.expires_at_ms}))
        }),
        "process_payment" => json(api.parse_process_payment(id, r, &need(c.payment_method_id, "payment_method_id")?)),
        "create_order" => json(api.parse_create_order(id, r)),
        "get_order" => json(api.parse_get_order(id, r)),
        "get_transactions" => json(api.parse_get_transactions(id, r)),
        "capture" => api.parse_payment_action(Endpoint::CapturePayment, id, r).map(|()| "null".to_owned()),
        "void" => api.parse_payment_action(Endpoint::VoidPayment, id, r).map(|()| "null".to_owned()),
        "create_refund_quote" => json(api.parse_create_refund_quote(id, r)),
        "create_refund" => json(api.parse_create_refund(id, r)),
        "list_refunds" => json(api.parse_list_refunds(id, r)),
        "get_stored_instruments" => json(api.parse_get_stored_instruments(id, r)),
        other => Err(unknown(other)),
    }
}

/// Validates a JSON list of payments at `now_ms` (optionally against JSON `methods`); returns the
/// field errors, empty when valid. Input that does not deserialize is a validation error.
pub fn validate_errors(payments_json: &str, now_ms: u64, methods_json: Option<&str>) -> Result<Vec<FieldError>, PaymentError> {
    let payments: Vec<Payment> = input(payments_json, "payments")?;
    let methods: Option<Vec<PaymentMethod>> = methods_json.map(|m| input(m, "methods")).transpose()?;
    Ok(validate::validate_payments(&payments, now_ms, methods.as_deref()))
}

/// [`validate_errors`] with the field errors as JSON, `[]` when valid.
pub fn validate(payments_json: &str, now_ms: u64, methods_json: Option<&str>) -> Result<String, PaymentError> {
    validate_errors(payments_json, now_ms, methods_json).map(|errors| to_json(&errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;
    use crate::rng::Entropy;
    use crate::secret::ApiToken;

    fn api() -> Api {
        Api::with_entropy(ClientConfig::new("abc123", ApiToken::new("t")).unwrap(), &mut Entropy::from_seed(1))
    }

    #[test]
    fn builds_by_call_name() {
        let r = build(&api(), "get_order", r#"{"order_id": 215}"#).unwrap();
        assert_eq!(r.url, "https://api.bigcommerce.com/stores/abc123/v2/orders/215");
    }

    #[test]
    fn bad_input_and_unknown_calls_are_validation_errors() {
        let e = build(&api(), "get_order", r#"{"order_id": "x"}"#).unwrap_err();
        assert_eq!(e.field_errors[0].code, "invalid_input");
        assert_eq!(build(&api(), "teleport", "{}").unwrap_err().field_errors[0].code, "unknown_call");
        assert_eq!(build(&api(), "get_order", "{}").unwrap_err().field_errors[0].code, "missing");
    }

    #[test]
    fn transaction_pages_carry_the_core_paging_rule() {
        let page = |current: u32, total: u32| {
            let body = format!(r#"{{"data":[],"meta":{{"pagination":{{"current_page":{current},"total_pages":{total}}}}}}}"#);
            let r = HttpResponse::new(200, vec![], body.into_bytes());
            let v: serde_json::Value =
                serde_json::from_str(&parse(&api(), "get_transactions", &RequestId("r".into()), &r, "{}").unwrap()).unwrap();
            v["has_next"].as_bool().unwrap()
        };
        assert!(page(1, 3));
        assert!(!page(3, 3));
    }

    #[test]
    fn input_errors_never_echo_card_numbers() {
        let e = build(
            &api(),
            "process_payment",
            r#"{"pat":"p","now_ms":1,"payment":{"instrument":{"type":"card","number":4242424242424242}}}"#,
        )
        .unwrap_err();
        assert!(!format!("{e} {e:?}").contains("4242424242424242"));
    }
}
