//! The API in JSON-text form, for bindings whose hosts speak JSON (the npm package through wasm,
//! the Python package): a call is named by its [`Endpoint`] (`get_payment_methods`,
//! `create_payment_access_token`, `process_payment`, …), inputs and results are snake_case JSON.
//! Every binding dispatches through here, so a call name means the same everywhere.

use crate::api::{Api, MethodsQuery};
use crate::error::{FieldError, PaymentError};
use crate::flow::Action;
use crate::http::{Endpoint, HttpRequest, HttpResponse, RequestId};
use crate::model::{NewOrder, Payment, PaymentMethod, RefundItem, RefundQuoteRequest, RefundRequest};
use crate::read::{self, Document, Fields, FromJson, Path, ShapeError};
use crate::secret::PatSecret;
use crate::session::{Call, CallOutput};
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
    let settings: crate::ClientSettings = input(settings_json, "").map_err(as_configuration)?;
    crate::ClientConfig::from_settings(settings)
}

/// A validation error of a client setting, as the configuration error it is.
pub fn as_configuration(e: PaymentError) -> PaymentError {
    match e.field_errors.first() {
        Some(f) => {
            let mut c = PaymentError::configuration(&f.path, &f.code, &f.description);
            c.field_errors = e.field_errors;
            c
        }
        None => e,
    }
}

/// A count or duration that Kotlin or Swift hand over as a signed integer (their idiomatic type),
/// read by the JSON reader's rule for `T`: `maxAttempts = -1` is the same `invalid_input` error,
/// naming the field, as in every other host.
pub fn whole_number<T: FromJson>(value: i64, path: &str) -> Result<T, PaymentError> {
    T::from_json(&read::Json::Number(value.into()), &Path::Root(path)).map_err(|e| input_error(&e))
}

/// Flow options from JSON over `base` (see [`crate::FlowOptions::read_over`]).
pub fn options_over(base: &crate::FlowOptions, json: &str) -> Result<crate::FlowOptions, PaymentError> {
    let doc = parse_document(json, "options")?;
    crate::FlowOptions::read_over(base, &doc.0, &Path::Root("options")).map_err(|e| input_error(&e))
}

/// The keys each input the hosts type may have, as JSON: `{"flow_options": [...], "payment":
/// [...], "instruments": {"card": [...], ...}, "settings_from_env": {"store_hash":
/// "BCPAY_STORE_HASH", ...}}` (the last, [`crate::config::SETTINGS_FROM_ENV`], read by hosts at run
/// time) — what the hosts' own type declarations (TypeScript
/// interfaces, Python TypedDicts) are checked against in their tests, so they cannot drift.
pub fn input_keys() -> String {
    // Written by hand: a map type here would cost the wasm module more than the rest of this file.
    let list = |keys: &[&str]| to_json(keys);
    let instruments = crate::error::joined(
        crate::model::INSTRUMENT_KEYS
            .iter()
            .map(|(t, keys)| format!("{}:{}", to_json(t), list(keys))),
        ",",
    );
    let from_env = crate::error::joined(
        crate::config::SETTINGS_FROM_ENV
            .iter()
            .map(|(setting, variable)| format!("{}:{}", to_json(setting), to_json(variable))),
        ",",
    );
    format!(
        r#"{{"flow_options":{},"payment":{},"instruments":{{{}}},"settings_from_env":{{{}}}}}"#,
        list(crate::FlowOptions::KEYS),
        list(crate::model::PAYMENT_KEYS),
        instruments,
        from_env
    )
}

/// A unit enumeration (`Endpoint`, `TransportFailure`, …) from its wire name.
pub fn enum_named<T: serde::de::DeserializeOwned>(name: &str, path: &str) -> Result<T, PaymentError> {
    use serde::de::IntoDeserializer;
    T::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(name)).map_err(|_| not_a_name(path))
}

/// Which budget the call named `name` draws on: `payments` or `management`
/// ([`crate::ratelimit::LimitClass::of`]), for hosts that share a budget between processes.
pub fn limit_class(name: &str) -> Result<&'static str, PaymentError> {
    let endpoint = Endpoint::named(name).ok_or_else(|| unknown(name))?;
    Ok(match crate::ratelimit::LimitClass::of(endpoint) {
        crate::ratelimit::LimitClass::Payments => "payments",
        crate::ratelimit::LimitClass::Management => "management",
    })
}

/// A transport failure by name (`not_sent`, `maybe_sent`, `timed_out`), as hosts report them.
pub fn transport_failure(name: &str, path: &str) -> Result<crate::http::TransportFailure, PaymentError> {
    crate::http::TransportFailure::named(name).ok_or_else(|| not_a_name(path))
}

fn not_a_name(path: &str) -> PaymentError {
    PaymentError::validation(vec![FieldError::new(path, "invalid_input", format!("{path}: not a known name"))])
}

fn unknown(call: &str) -> PaymentError {
    PaymentError::validation(vec![FieldError::new("call", "unknown_call", format!("unknown call \"{call}\""))])
}

/// The error's fields as JSON, with the text and class every host shows: `message` (its
/// `Display`) and `class_name` ([`crate::ErrorKind::class_name`]).
pub fn error_json(e: &PaymentError) -> String {
    // Spliced rather than `#[serde(flatten)]`, whose buffering serializer costs the wasm module
    // several kilobytes.
    let mut text = to_json(e);
    if text.ends_with('}') {
        text.pop();
        text.push_str(&format!(
            r#","message":{},"class_name":"{}"}}"#,
            to_json(&e.to_string()),
            e.kind.class_name()
        ));
    }
    text
}

/// A payment access token as JSON: `{secret, claims, received_at_ms, expires_at_ms}`, the secret
/// redacted unless the host must hold it (the JSON-speaking bindings, which keep it out of their
/// reprs and logs).
#[derive(Serialize)]
pub struct TokenJson<'a> {
    secret: &'a str,
    claims: &'a Option<crate::model::PatClaims>,
    received_at_ms: u64,
    expires_at_ms: u64,
}

impl<'a> TokenJson<'a> {
    /// The token's JSON form; `expose` writes the secret itself.
    pub fn of(t: &'a crate::model::PaymentAccessToken, expose: bool) -> TokenJson<'a> {
        TokenJson {
            secret: if expose { t.secret.expose() } else { "[redacted]" },
            claims: &t.claims,
            received_at_ms: t.received_at_ms,
            expires_at_ms: t.expires_at_ms,
        }
    }
}

/// An operation's action as JSON for a host: `{type: "send", request}`, `{type: "wait",
/// until_ms}`, `{type: "awaiting", request_id}`, `{type: "done", output}` (an access token with
/// its secret, see [`TokenJson`]) or `{type: "failed", error}` (as [`error_json`]).
pub fn action_json(action: &Action<CallOutput>) -> String {
    match action {
        Action::Done { output } => format!(r#"{{"type":"done","output":{}}}"#, output_json(output)),
        Action::Failed { error } => format!(r#"{{"type":"failed","error":{}}}"#, error_json(error)),
        other => to_json(other),
    }
}

/// What an operation ended with, as JSON for a host: the output's serde form, but an access token
/// with its secret (see [`TokenJson`]).
pub fn output_json(output: &CallOutput) -> String {
    match output {
        CallOutput::AccessToken(t) => to_json(&TokenJson::of(t, true)),
        other => to_json(other),
    }
}

/// A call by its endpoint name (`get_order`, `create_payment_access_token`, …) from JSON `input`:
/// an object with the call's arguments (see the conformance vectors' README). Unknown keys are
/// a validation error naming them. `now_ms` dates a payment's card-expiry check unless the input
/// gives `now_ms`.
pub fn call(name: &str, input_json: &str) -> Result<(Call, Option<u64>), PaymentError> {
    let endpoint = Endpoint::named(name);
    if endpoint.is_none() && ![REFUND, GET_ORDER_PAYMENT_STATUS, PREPARE].contains(&name) {
        return Err(unknown(name));
    }
    let doc = parse_document(input_json, "input")?;
    let root = Path::Root("");
    let i = Fields::of(&doc.0, &root, "an object").map_err(|e| input_error(&e))?;
    match endpoint {
        Some(endpoint) => read_call(endpoint, &i),
        None if name == REFUND => read_refund(&i),
        None if name == PREPARE => read_order_id(&i).map(|order_id| (Call::Prepare { order_id }, None)),
        None => read_order_id(&i).map(|order_id| (Call::GetOrderPaymentStatus { order_id }, None)),
    }
    .map_err(|e| input_error(&e))
}

/// A call that is not one endpoint: [`Call::Refund`] (quote, then refund), `{order_id, items}`.
pub const REFUND: &str = "refund";

/// A call that is not one endpoint: [`Call::GetOrderPaymentStatus`] (order, then transactions),
/// `{order_id}`.
pub const GET_ORDER_PAYMENT_STATUS: &str = "get_order_payment_status";

/// A call that is not one endpoint: [`Call::Prepare`] (methods, then a token kept for the
/// order's payment), `{order_id}`.
pub const PREPARE: &str = "prepare";

fn read_order_id(i: &Fields<'_>) -> Result<u64, ShapeError> {
    i.deny_unknown(&["order_id"])?;
    i.req("order_id")
}

fn read_refund(i: &Fields<'_>) -> Result<(Call, Option<u64>), ShapeError> {
    i.deny_unknown(&["order_id", "items"])?;
    Ok((
        Call::Refund {
            order_id: i.req("order_id")?,
            items: i.req::<Vec<RefundItem>>("items")?,
        },
        None,
    ))
}

fn read_call(endpoint: Endpoint, i: &Fields<'_>) -> Result<(Call, Option<u64>), ShapeError> {
    let keys: &[&str] = match endpoint {
        Endpoint::GetPaymentMethods => &["order_id", "checkout_id"],
        Endpoint::CreatePaymentAccessToken => &["order_id", "is_recurring"],
        Endpoint::ProcessPayment => &["pat", "payment", "methods", "now_ms"],
        Endpoint::CreateOrder => &["order"],
        Endpoint::GetOrderTransactions => &["order_id", "page"],
        Endpoint::CreateRefundQuote | Endpoint::CreateRefund => &["order_id", "request"],
        Endpoint::GetStoredInstruments => &["customer_id"],
        Endpoint::GetOrder | Endpoint::CapturePayment | Endpoint::VoidPayment | Endpoint::ListRefunds => &["order_id"],
    };
    i.deny_unknown(keys)?;
    let call = match endpoint {
        Endpoint::GetPaymentMethods => Call::GetPaymentMethods {
            query: match (i.opt::<u64>("order_id")?, i.opt::<String>("checkout_id")?) {
                (Some(id), _) => MethodsQuery::OrderId(id),
                (None, Some(c)) => MethodsQuery::CheckoutId(c),
                (None, None) => {
                    return Err(ShapeError::at("order_id".to_owned(), "an order id (or a checkout_id)", "nothing"));
                }
            },
        },
        Endpoint::CreatePaymentAccessToken => Call::CreatePaymentAccessToken {
            order_id: i.req("order_id")?,
            is_recurring: i.or_default("is_recurring")?,
        },
        Endpoint::ProcessPayment => Call::ProcessPayment {
            pat: PatSecret::new(i.req::<String>("pat")?),
            payment: i.req::<Payment>("payment")?,
            methods: i.opt::<Vec<PaymentMethod>>("methods")?,
        },
        Endpoint::CreateOrder => Call::CreateOrder {
            order: i.req::<NewOrder>("order")?,
        },
        Endpoint::GetOrder => Call::GetOrder {
            order_id: i.req("order_id")?,
        },
        Endpoint::GetOrderTransactions => Call::GetOrderTransactions {
            order_id: i.req("order_id")?,
            page: i.opt("page")?,
        },
        Endpoint::CapturePayment => Call::CapturePayment {
            order_id: i.req("order_id")?,
        },
        Endpoint::VoidPayment => Call::VoidPayment {
            order_id: i.req("order_id")?,
        },
        Endpoint::CreateRefundQuote => Call::CreateRefundQuote {
            order_id: i.req("order_id")?,
            request: i.req::<RefundQuoteRequest>("request")?,
        },
        Endpoint::CreateRefund => Call::CreateRefund {
            order_id: i.req("order_id")?,
            request: i.req::<RefundRequest>("request")?,
        },
        Endpoint::ListRefunds => Call::ListRefunds {
            order_id: i.req("order_id")?,
        },
        Endpoint::GetStoredInstruments => Call::GetStoredInstruments {
            customer_id: i.req("customer_id")?,
        },
    };
    Ok((call, i.opt("now_ms")?))
}

/// Builds the request for the call named `name` from JSON `input_json` (see [`call`]; a payment
/// needs `now_ms` in its input here, for the card-expiry check; a transaction page `page`,
/// default 1).
pub fn build(api: &Api, name: &str, input_json: &str) -> Result<HttpRequest, PaymentError> {
    let (call, now_ms) = call(name, input_json)?;
    let page = match &call {
        Call::GetOrderTransactions { page, .. } => page.unwrap_or(1),
        _ => 1,
    };
    let now_ms = match (&call, now_ms) {
        (_, Some(now)) => now,
        (Call::ProcessPayment { .. }, None) => {
            return Err(PaymentError::validation(vec![FieldError::new(
                "now_ms",
                "missing",
                "now_ms: expected the time in ms, found nothing",
            )]));
        }
        _ => 0,
    };
    call.request(api, page, now_ms)
}

/// Parses the response to a request built for the call named `name`; returns the result as JSON.
/// `context_json` carries `{payment_method_id}` for process_payment and `{now_ms}` for
/// create_payment_access_token. A payment access token comes back with its secret (see
/// [`TokenJson`]): the host must keep it out of its reprs and logs.
pub fn parse(api: &Api, name: &str, id: &RequestId, r: &HttpResponse, context_json: &str) -> Result<String, PaymentError> {
    let endpoint = Endpoint::named(name).ok_or_else(|| unknown(name))?;
    let doc = parse_document(context_json, "context")?;
    let root = Path::Root("context");
    let c = Fields::of(&doc.0, &root, "an object").map_err(|e| input_error(&e))?;
    let shape = |e: ShapeError| input_error(&e);
    let (now_ms, method) = match endpoint {
        Endpoint::CreatePaymentAccessToken => (c.req("now_ms").map_err(shape)?, String::new()),
        Endpoint::ProcessPayment => (0, c.req::<String>("payment_method_id").map_err(shape)?),
        _ => (0, String::new()),
    };
    Ok(match crate::session::parse_answer(api, endpoint, id, r, now_ms, &method)? {
        CallOutput::AccessToken(t) => to_json(&TokenJson::of(&t, true)),
        output => to_json(&output),
    })
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
        assert_eq!(
            build(&api(), "get_order", r#"{"order_id": 215, "page": 2}"#)
                .unwrap_err()
                .field_errors[0]
                .code,
            "unknown_field"
        );
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
                serde_json::from_str(&parse(&api(), "get_order_transactions", &RequestId("r".into()), &r, "{}").unwrap()).unwrap();
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
    fn a_calls_options_keep_the_clients_other_settings() {
        let client = crate::FlowOptions {
            max_attempts: 2,
            time_budget_ms: Some(5_000),
            ..Default::default()
        };
        let o = options_over(&client, r#"{"is_recurring": true}"#).unwrap();
        assert!(o.is_recurring);
        assert_eq!((o.max_attempts, o.time_budget_ms), (2, Some(5_000)));
        assert_eq!(options_over(&client, r#"{"time_budget_ms": 10}"#).unwrap().time_budget_ms, Some(10));
    }

    #[test]
    fn misspelled_flow_options_are_named_not_ignored() {
        let e = input::<crate::FlowOptions>(r#"{"reconcile": true, "reconcle": false}"#, "options").unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Validation);
        assert_eq!(e.field_errors[0].path, "options.reconcle");
        assert_eq!(e.field_errors[0].code, "unknown_field");
    }
}
