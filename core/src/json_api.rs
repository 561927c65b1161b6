//! The stateless API in JSON-text form, for bindings whose hosts speak JSON (the npm package
//! through wasm, the Python package): calls are named as in the conformance vectors
//! (`get_payment_methods`, `process_payment`, …), inputs and results are snake_case JSON.
//! Every binding dispatches through here, so a call name means the same everywhere.

use crate::api::{Api, MethodsQuery};
use crate::error::{FieldError, PaymentError};
use crate::http::{Endpoint, HttpRequest, HttpResponse, RequestId};
use crate::model::{NewOrder, Payment, PaymentMethod, RefundQuoteRequest, RefundRequest};
use crate::read::{self, Document, Fields, FromJson, Path, ShapeError};
use crate::secret::PatSecret;
use crate::validate;
use serde::Serialize;

/// Serializes one of the core's plain types (which always serialize). The text may hold a
/// secret (a parsed payment access token), so it is written without leaving partial copies
/// behind; see "Memory" in [`crate::secret`].
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // serde_json writes UTF-8 only, so the conversion cannot fail.
    crate::secret::to_json_wiping(value)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| "null".to_owned())
}

/// A host's input that does not fit: a validation error at the offending path, `missing` for an
/// absent required field, else `invalid_input`. The message names the kind of value found,
/// never the value.
pub fn input_error(e: &ShapeError) -> PaymentError {
    let code = if e.is_missing() {
        "missing"
    } else if e.is_unknown_field() {
        "unknown_field"
    } else {
        "invalid_input"
    };
    PaymentError::validation(vec![FieldError::new(e.path.clone(), code, e.to_string())])
}

fn parse_document<'a>(json: &'a str, path: &str) -> Result<Document<'a>, PaymentError> {
    read::document(json.as_bytes())
        .map_err(|e| PaymentError::validation(vec![FieldError::new(path, "invalid_input", format!("{path}: {e}"))]))
}

/// Reads JSON input as `T`; paths in errors start at `path` (`payments[0].instrument.number`).
pub fn input<T: FromJson>(json: &str, path: &str) -> Result<T, PaymentError> {
    let doc = parse_document(json, path)?;
    T::from_json(&doc.0, &Path::Root(path)).map_err(|e| input_error(&e))
}

/// A client configuration from JSON settings (`ClientSettings`' fields). A setting of the wrong
/// shape is a configuration error naming it, like every other bad setting.
pub fn client_config(settings_json: &str) -> Result<crate::ClientConfig, PaymentError> {
    let settings: crate::ClientSettings = input(settings_json, "").map_err(|e| {
        let f = &e.field_errors[0];
        let mut c = PaymentError::configuration(&f.path, &f.code, &f.description);
        c.field_errors = e.field_errors;
        c
    })?;
    crate::ClientConfig::from_settings(settings)
}

/// A unit enumeration (`Endpoint`, `TransportFailure`, …) from its wire name.
pub fn enum_named<T: serde::de::DeserializeOwned>(name: &str, path: &str) -> Result<T, PaymentError> {
    use serde::de::IntoDeserializer;
    T::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(name))
        .map_err(|_| PaymentError::validation(vec![FieldError::new(path, "invalid_input", format!("{path}: not a known name"))]))
}

fn unknown(call: &str) -> PaymentError {
    PaymentError::validation(vec![FieldError::new("call", "unknown_call", format!("unknown call \"{call}\""))])
}

/// Builds the request for `call` from JSON `input_json`: an object with the call's arguments
/// (`order_id`, `payment`, …; see the conformance vectors' README).
pub fn build(api: &Api, call: &str, input_json: &str) -> Result<HttpRequest, PaymentError> {
    let doc = parse_document(input_json, "input")?;
    let root = Path::Root("");
    let i = Fields::of(&doc.0, &root, "an object").map_err(|e| input_error(&e))?;
    build_from(api, call, &i).map_err(|e| input_error(&e))?
}

fn build_from(api: &Api, call: &str, i: &Fields<'_>) -> Result<Result<HttpRequest, PaymentError>, ShapeError> {
    Ok(match call {
        "get_payment_methods" => match i.opt::<u64>("order_id")? {
            Some(id) => api.build_get_payment_methods(&MethodsQuery::OrderId(id)),
            None => match i.opt::<String>("checkout_id")? {
                Some(c) => api.build_get_payment_methods(&MethodsQuery::CheckoutId(c)),
                None => {
                    return Err(ShapeError {
                        path: "order_id".to_owned(),
                        expected: "an order id (or a checkout_id)",
                        found: "nothing",
                    });
                }
            },
        },
        "create_access_token" => api.build_create_access_token(i.req("order_id")?, i.or_default("is_recurring")?),
        "process_payment" => {
            let pat = PatSecret::new(i.req::<String>("pat")?);
            let payment: Payment = i.req("payment")?;
            let methods: Option<Vec<PaymentMethod>> = i.opt("methods")?;
            api.build_process_payment(&pat, &payment, i.req("now_ms")?, methods.as_deref())
        }
        "create_order" => api.build_create_order(&i.req::<NewOrder>("order")?),
        "get_order" => api.build_get_order(i.req("order_id")?),
        "get_transactions" => api.build_get_transactions(i.req("order_id")?, i.or("page", 1)?),
        "capture" => api.build_capture(i.req("order_id")?),
        "void" => api.build_void(i.req("order_id")?),
        "create_refund_quote" => api.build_create_refund_quote(i.req("order_id")?, &i.req::<RefundQuoteRequest>("request")?),
        "create_refund" => api.build_create_refund(i.req("order_id")?, &i.req::<RefundRequest>("request")?),
        "list_refunds" => api.build_list_refunds(i.req("order_id")?),
        "get_stored_instruments" => api.build_get_stored_instruments(i.req("customer_id")?),
        other => Err(unknown(other)),
    })
}

fn json<T: Serialize>(v: Result<T, PaymentError>) -> Result<String, PaymentError> {
    v.map(|x| to_json(&x))
}

/// Parses the response to a request built for `call`; returns the result as JSON. `context_json`
/// carries `{payment_method_id}` for process_payment and `{now_ms}` for create_access_token. A
/// payment access token comes back as `{secret, claims, received_at_ms, expires_at_ms}`: the
/// host must keep `secret` out of its reprs and logs.
pub fn parse(api: &Api, call: &str, id: &RequestId, r: &HttpResponse, context_json: &str) -> Result<String, PaymentError> {
    let doc = parse_document(context_json, "context")?;
    let root = Path::Root("context");
    let c = Fields::of(&doc.0, &root, "an object").map_err(|e| input_error(&e))?;
    match call {
        "get_payment_methods" => json(api.parse_get_payment_methods(id, r)),
        "create_access_token" => api
            .parse_create_access_token(id, r, c.req("now_ms").map_err(|e| input_error(&e))?)
            .map(|t| {
                #[derive(Serialize)]
                struct Token<'a> {
                    secret: &'a str,
                    claims: &'a Option<crate::model::PatClaims>,
                    received_at_ms: u64,
                    expires_at_ms: u64,
                }
                to_json(&Token {
                    secret: t.secret.expose(),
                    claims: &t.claims,
                    received_at_ms: t.received_at_ms,
                    expires_at_ms: t.expires_at_ms,
                })
            }),
        "process_payment" => json(api.parse_process_payment(id, r, &c.req::<String>("payment_method_id").map_err(|e| input_error(&e))?)),
        "create_order" => json(api.parse_create_order(id, r)),
        "get_order" => json(api.parse_get_order(id, r)),
        "get_transactions" => json(api.parse_get_transactions(id, r)),
        "capture" => api
            .parse_payment_action(Endpoint::CapturePayment, id, r)
            .map(|()| "null".to_owned()),
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

    #[test]
    fn misspelled_flow_options_are_named_not_ignored() {
        let e = input::<crate::FlowOptions>(r#"{"reconcile": true, "reconcle": false}"#, "options").unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Validation);
        assert_eq!(e.field_errors[0].path, "options.reconcle");
        assert_eq!(e.field_errors[0].code, "unknown_field");
    }
}
