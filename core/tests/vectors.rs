//! Runs every conformance vector in `tests/vectors/` through the Rust API.
//! The format is documented in `tests/vectors/README.md`.

use bcpay_core::api::MethodsQuery;
use bcpay_core::model::{NewOrder, Payment, PaymentMethod, RefundQuoteRequest, RefundRequest};
use bcpay_core::rng::Entropy;
use bcpay_core::secret::PatSecret;
use bcpay_core::{
    Action, Api, ClientConfig, ClientSettings, Endpoint, FlowOptions, Header, HttpRequest, HttpResponse, PaymentError, PaymentFlow,
    RateLimiter, TransportFailure, validate,
};
use serde_json::{Value, json};
use std::sync::Arc;

fn load(name: &str) -> Value {
    let path = format!("{}/../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

fn api(config: &Value, max_response_bytes: Option<u64>) -> Api {
    let settings: ClientSettings = serde_json::from_value(config.clone()).unwrap();
    let mut c = ClientConfig::from_settings(settings).unwrap();
    if let Some(m) = max_response_bytes {
        c = c.with_max_response_bytes(m as usize);
    }
    Api::with_entropy(c, &mut Entropy::from_seed(1))
}

/// `expected` is contained in `actual`: objects by key (missing counts as null), arrays
/// element-wise with equal length, numbers by value.
fn subset(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                subset(v, a.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!("{path}: expected {} items, got {}", e.len(), a.len()));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .try_for_each(|(i, (x, y))| subset(x, y, &format!("{path}[{i}]")))
        }
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => Ok(()),
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{path}: expected {e}, got {a}")),
    }
}

/// Exact equality, numbers by value.
fn same(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.len() == a.len() && e.iter().all(|(k, v)| a.get(k).is_some_and(|w| same(v, w))),
        (Value::Array(e), Value::Array(a)) => e.len() == a.len() && e.iter().zip(a).all(|(x, y)| same(x, y)),
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        (e, a) => e == a,
    }
}

fn field_error_pairs(v: &Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_owned(), f["code"].as_str().unwrap().to_owned()))
        .collect();
    pairs.sort();
    pairs
}

fn error_pairs(e: &PaymentError) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = e.field_errors.iter().map(|f| (f.path.clone(), f.code.clone())).collect();
    pairs.sort();
    pairs
}

fn check_error(expected: &Value, e: &PaymentError) -> Result<(), String> {
    let actual = serde_json::to_value(e).unwrap();
    let mut expected = expected.clone();
    if let Some(fields) = expected.as_object_mut().and_then(|o| o.remove("field_errors")) {
        let want = field_error_pairs(&fields);
        if want != error_pairs(e) {
            return Err(format!("field errors: expected {want:?}, got {:?}", error_pairs(e)));
        }
    }
    subset(&expected, &actual, "error")
}

fn build_call(api: &Api, call: &str, input: &Value) -> Result<HttpRequest, PaymentError> {
    let u = |k: &str| input[k].as_u64().unwrap();
    match call {
        "get_payment_methods" => {
            let q = match input.get("order_id") {
                Some(id) => MethodsQuery::OrderId(id.as_u64().unwrap()),
                None => MethodsQuery::CheckoutId(input["checkout_id"].as_str().unwrap().to_owned()),
            };
            api.build_get_payment_methods(&q)
        }
        "create_payment_access_token" => api.build_create_access_token(u("order_id"), input["is_recurring"].as_bool().unwrap()),
        "process_payment" => {
            let payment: Payment = serde_json::from_value(input["payment"].clone()).unwrap();
            let methods: Option<Vec<PaymentMethod>> = input.get("methods").map(|m| serde_json::from_value(m.clone()).unwrap());
            api.build_process_payment(
                &PatSecret::new(input["pat"].as_str().unwrap()),
                &payment,
                u("now_ms"),
                methods.as_deref(),
            )
        }
        "create_order" => api.build_create_order(&serde_json::from_value::<NewOrder>(input["order"].clone()).unwrap()),
        "get_order" => api.build_get_order(u("order_id")),
        "get_order_transactions" => api.build_get_transactions(u("order_id"), u("page") as u32),
        "capture_payment" => api.build_capture(u("order_id")),
        "void_payment" => api.build_void(u("order_id")),
        "create_refund_quote" => api.build_create_refund_quote(
            u("order_id"),
            &serde_json::from_value::<RefundQuoteRequest>(input["request"].clone()).unwrap(),
        ),
        "create_refund" => api.build_create_refund(
            u("order_id"),
            &serde_json::from_value::<RefundRequest>(input["request"].clone()).unwrap(),
        ),
        "list_refunds" => api.build_list_refunds(u("order_id")),
        "get_stored_instruments" => api.build_get_stored_instruments(u("customer_id")),
        other => panic!("unknown call {other}"),
    }
}

fn run_build_case(api: &Api, case: &Value) -> Result<(), String> {
    let result = build_call(api, case["call"].as_str().unwrap(), &case["input"]);
    let expect = &case["expect"];
    match (result, expect.get("error")) {
        (Err(e), Some(want)) => check_error(want, &e),
        (Err(e), None) => Err(format!("unexpected error {e}")),
        (Ok(r), Some(_)) => Err(format!("expected an error, built {r:?}")),
        (Ok(r), None) => {
            if r.method.as_str() != expect["method"].as_str().unwrap() {
                return Err(format!("method {}", r.method.as_str()));
            }
            if r.url != expect["url"].as_str().unwrap() {
                return Err(format!("url {}", r.url));
            }
            let ua = r.header("user-agent").ok_or("no user-agent")?;
            if !(ua.starts_with("bcpay/") && ua.ends_with(" (vectors)")) {
                return Err(format!("user-agent {ua}"));
            }
            let mut actual: Vec<(String, String)> = r
                .headers
                .iter()
                .filter(|h| !h.name.eq_ignore_ascii_case("user-agent"))
                .map(|h| (h.name.to_ascii_lowercase(), h.value.clone()))
                .collect();
            actual.sort();
            let mut want: Vec<(String, String)> = expect["headers"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            want.sort();
            if actual != want {
                return Err(format!("headers {actual:?}"));
            }
            let body = r.body_json().unwrap_or(Value::Null);
            if !same(&expect["body"], &body) {
                return Err(format!("body {body}"));
            }
            Ok(())
        }
    }
}

fn response_of(v: &Value) -> HttpResponse {
    let headers = v
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| h.iter().map(|(k, v)| Header::new(k, v.as_str().unwrap())).collect())
        .unwrap_or_default();
    let body = match v.get("body_text") {
        Some(t) => t.as_str().unwrap().as_bytes().to_vec(),
        None => serde_json::to_vec(&v["body"]).unwrap(),
    };
    HttpResponse::new(v["status"].as_u64().unwrap() as u16, headers, body)
}

fn parse_call(api: &Api, call: &str, context: &Value, r: &HttpResponse) -> Result<Value, PaymentError> {
    let id = api.next_request_id();
    match call {
        "get_payment_methods" => api.parse_get_payment_methods(&id, r).map(|x| serde_json::to_value(x).unwrap()),
        "create_payment_access_token" => api
            .parse_create_access_token(&id, r, context["now_ms"].as_u64().unwrap())
            .map(|t| json!({"claims": t.claims, "received_at_ms": t.received_at_ms, "expires_at_ms": t.expires_at_ms})),
        "process_payment" => api
            .parse_process_payment(&id, r, context["payment_method_id"].as_str().unwrap())
            .map(|x| serde_json::to_value(x).unwrap()),
        "create_order" => api.parse_create_order(&id, r).map(|x| serde_json::to_value(x).unwrap()),
        "get_order" => api.parse_get_order(&id, r).map(|x| serde_json::to_value(x).unwrap()),
        "get_order_transactions" => api.parse_get_transactions(&id, r).map(|x| serde_json::to_value(x).unwrap()),
        "capture_payment" => api.parse_payment_action(Endpoint::CapturePayment, &id, r).map(|()| Value::Null),
        "void_payment" => api.parse_payment_action(Endpoint::VoidPayment, &id, r).map(|()| Value::Null),
        "create_refund_quote" => api.parse_create_refund_quote(&id, r).map(|x| serde_json::to_value(x).unwrap()),
        "create_refund" => api.parse_create_refund(&id, r).map(|x| serde_json::to_value(x).unwrap()),
        "list_refunds" => api.parse_list_refunds(&id, r).map(|x| serde_json::to_value(x).unwrap()),
        "get_stored_instruments" => api.parse_get_stored_instruments(&id, r).map(|x| serde_json::to_value(x).unwrap()),
        other => panic!("unknown call {other}"),
    }
}

fn run_parse_case(config: &Value, case: &Value) -> Result<(), String> {
    let api = api(config, case.get("max_response_bytes").and_then(Value::as_u64));
    let r = response_of(&case["response"]);
    let result = parse_call(
        &api,
        case["call"].as_str().unwrap(),
        case.get("context").unwrap_or(&Value::Null),
        &r,
    );
    match (result, case["expect"].get("error")) {
        (Err(e), Some(want)) => check_error(want, &e),
        (Err(e), None) => Err(format!("unexpected error {e}")),
        (Ok(v), Some(_)) => Err(format!("expected an error, parsed {v}")),
        (Ok(v), None) => subset(&case["expect"]["ok"], &v, "ok"),
    }
}

fn run_validate_case(case: &Value) -> Result<(), String> {
    let payments: Vec<Payment> = match case.get("payment") {
        Some(p) => vec![serde_json::from_value(p.clone()).unwrap()],
        None => serde_json::from_value(case["payments"].clone()).unwrap(),
    };
    let methods: Option<Vec<PaymentMethod>> = case.get("methods").map(|m| serde_json::from_value(m.clone()).unwrap());
    let errors = validate::validate_payments(&payments, case["now_ms"].as_u64().unwrap(), methods.as_deref());
    let mut got: Vec<(String, String)> = errors.iter().map(|f| (f.path.clone(), f.code.clone())).collect();
    got.sort();
    let want = field_error_pairs(&case["expect_errors"]);
    if got == want {
        Ok(())
    } else {
        Err(format!("expected {want:?}, got {got:?}"))
    }
}

fn failure_of(name: &str) -> TransportFailure {
    match name {
        "not_sent" => TransportFailure::NotSent,
        "maybe_sent" => TransportFailure::MaybeSent,
        "timed_out" => TransportFailure::TimedOut,
        other => panic!("unknown failure {other}"),
    }
}

fn run_flow_case(config: &Value, case: &Value) -> Result<(), String> {
    let api = Arc::new(api(config, None));
    let payments: Vec<Payment> = serde_json::from_value(case["payments"].clone()).unwrap();
    let options: FlowOptions = serde_json::from_value(case["options"].clone()).unwrap();
    let mut now = case["now_ms"].as_u64().unwrap();
    let mut flow = PaymentFlow::with_limiter(
        api,
        RateLimiter::shared(Default::default()),
        Entropy::from_seed(case["seed"].as_u64().unwrap()),
        case["order_id"].as_u64().unwrap(),
        payments,
        options,
        now,
    )
    .map_err(|e| format!("construction failed: {e}"))?;
    for (i, step) in case["script"].as_array().unwrap().iter().enumerate() {
        let expect = &step["expect"];
        let mut action = flow.poll(now);
        // Waits are followed unless the step expects one.
        while expect.get("wait").is_none() {
            match action {
                Action::Wait { until_ms } => {
                    now = until_ms;
                    action = flow.poll(now);
                }
                _ => break,
            }
        }
        let at = format!("step {i}");
        match action {
            Action::Send { request } => {
                let want = expect
                    .get("send")
                    .and_then(Value::as_str)
                    .ok_or(format!("{at}: unexpected send of {}", request.endpoint))?;
                if request.endpoint.as_str() != want {
                    return Err(format!("{at}: expected send {want}, got {}", request.endpoint));
                }
                if let Some(limit) = expect.get("not_after_ms").and_then(Value::as_u64) {
                    if now > limit {
                        return Err(format!("{at}: sent at {now}, later than {limit}"));
                    }
                }
                if let Some(r) = step.get("respond") {
                    flow.on_response(&request.id, &response_of(r), now);
                } else if let Some(f) = step.get("fail") {
                    flow.on_transport_failure(&request.id, failure_of(f.as_str().unwrap()), None, now);
                }
            }
            Action::Wait { until_ms } => {
                let w = expect.get("wait").ok_or(format!("{at}: unexpected wait"))?;
                if until_ms < w["min"].as_u64().unwrap() || until_ms > w["max"].as_u64().unwrap() {
                    return Err(format!("{at}: wait until {until_ms} outside {w}"));
                }
                now = until_ms;
            }
            Action::Awaiting { request_id } => {
                expect.get("awaiting").ok_or(format!("{at}: unexpected awaiting"))?;
                if let Some(r) = step.get("respond") {
                    flow.on_response(&request_id, &response_of(r), now);
                } else if let Some(f) = step.get("fail") {
                    flow.on_transport_failure(&request_id, failure_of(f.as_str().unwrap()), None, now);
                }
            }
            Action::Done { output: receipt } => {
                let want = expect.get("done").ok_or(format!("{at}: unexpected done {receipt:?}"))?;
                subset(want, &serde_json::to_value(&receipt).unwrap(), &at)?;
            }
            Action::Failed { error } => {
                let want = expect.get("failed").ok_or(format!("{at}: unexpected failure {error}"))?;
                check_error(want, &error).map_err(|e| format!("{at}: {e}"))?;
            }
        }
    }
    Ok(())
}

fn run_all(file: &str, run: impl Fn(&Value, &Value) -> Result<(), String>) -> usize {
    let doc = load(file);
    let config = doc.get("config").cloned().unwrap_or(Value::Null);
    let cases = doc["cases"].as_array().unwrap();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| run(&config, c).err().map(|e| format!("{}: {e}", c["name"])))
        .collect();
    assert!(
        failures.is_empty(),
        "{file}: {} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

#[test]
fn build_vectors() {
    let n = run_all("build.json", |config, case| run_build_case(&api(config, None), case));
    assert!(n >= 40);
}

#[test]
fn parse_vectors() {
    let n = run_all("parse.json", run_parse_case);
    assert!(n >= 60);
}

#[test]
fn validate_vectors() {
    let n = run_all("validate.json", |_, case| run_validate_case(case));
    assert!(n >= 40);
}

#[test]
fn flow_vectors() {
    let n = run_all("flow.json", run_flow_case);
    assert!(n >= 15);
}

/// A field's state as the relay vectors write it: `valid`, or `invalid:<code>`.
fn field_states(check: &Value) -> serde_json::Map<String, Value> {
    check["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let state = f["state"].as_str().unwrap();
            let shown = match f["code"].as_str() {
                Some(code) => format!("{state}:{code}"),
                None => state.to_owned(),
            };
            (f["field"].as_str().unwrap().to_owned(), Value::String(shown))
        })
        .collect()
}

fn body_of(case: &Value) -> Vec<u8> {
    match case.get("body_text") {
        Some(text) => text.as_str().unwrap().as_bytes().to_vec(),
        None => serde_json::to_vec(&case["body"]).unwrap(),
    }
}

fn run_card_form_case(case: &Value) -> Result<(), String> {
    let form: bcpay_core::model::CardForm = serde_json::from_value(case["form"].clone()).map_err(|e| e.to_string())?;
    let methods: Option<Vec<PaymentMethod>> = case.get("methods").map(|m| serde_json::from_value(m.clone()).unwrap());
    let check = validate::check_card_form(&form, case["now_ms"].as_u64().unwrap(), methods.as_deref());
    let mut actual = serde_json::to_value(&check).unwrap();
    actual["fields"] = Value::Object(field_states(&actual));
    subset(&case["expect"], &actual, "check")
}

fn run_read_request_case(case: &Value) -> Result<(), String> {
    let now_ms = case["now_ms"].as_u64().unwrap();
    // What a server does: read the envelope, then the values by pay's rules.
    let read = bcpay_core::relay::PaymentRequest::read(&body_of(case)).and_then(|r| match r.problems(now_ms) {
        problems if problems.is_empty() => Ok(r),
        problems => Err(PaymentError::validation(problems)),
    });
    match (read, &case["expect"]) {
        (Ok(r), Value::Object(e)) if e.contains_key("ok") => subset(
            &e["ok"],
            &json!({"order_id": r.order_id, "payments": r.payments.len(), "time_budget_ms": r.time_budget_ms}),
            "ok",
        ),
        (Err(err), Value::Object(e)) if e.contains_key("error") => check_error(&e["error"], &err),
        (other, _) => Err(format!("unexpected {other:?}")),
    }
}

fn run_read_outcome_case(case: &Value) -> Result<(), String> {
    match (bcpay_core::relay::read_outcome(&body_of(case)), &case["expect"]) {
        (Ok(receipt), Value::Object(e)) if e.contains_key("ok") => subset(&e["ok"], &serde_json::to_value(&receipt).unwrap(), "ok"),
        (Err(err), Value::Object(e)) if e.contains_key("error") => check_error(&e["error"], &err),
        (other, _) => Err(format!("unexpected {other:?}")),
    }
}

#[test]
fn relay_vectors() {
    let doc = load("relay.json");
    type Run = fn(&Value) -> Result<(), String>;
    let sections: [(&str, Run, usize); 3] = [
        ("card_form", run_card_form_case, 30),
        ("read_request", run_read_request_case, 15),
        ("read_outcome", run_read_outcome_case, 10),
    ];
    for (section, run, at_least) in sections {
        let cases = doc[section].as_array().unwrap();
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|c| run(c).err().map(|e| format!("{}: {e}", c["name"])))
            .collect();
        assert!(
            failures.is_empty(),
            "relay.json {section}: {} of {} failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
        assert!(cases.len() >= at_least, "{section}");
    }
}

/// journal.json's `plan`: the first step a journaled payment takes for each stored record.
fn run_journal_plan_case(doc: &Value, case: &Value) -> Result<(), String> {
    use bcpay_core::journal::{JournalRecord, JournalStep};
    let config = ClientConfig::new("abc123", bcpay_core::secret::ApiToken::new("test-api-token")).unwrap();
    let options: FlowOptions = serde_json::from_value(case["options"].clone()).map_err(|e| e.to_string())?;
    let session = bcpay_core::Session::with_entropy(config, Default::default(), Entropy::from_seed(1));
    let record = match &case["record"] {
        Value::Null => None,
        r => Some(JournalRecord::read(&r.to_string()).map_err(|e| e.to_string())?),
    };
    let payment: Payment = serde_json::from_value(doc["stored_card"].clone()).unwrap();
    let now = case["now_ms"].as_u64().unwrap();
    let order_id = doc["order_id"].as_u64().unwrap();
    let mut op = session.pay_journaled(order_id, payment, record, Some(options), now, Some(1));
    let expect = &case["expect"];
    let mut step = op.poll(now);
    while let JournalStep::Write { .. } = step {
        op.written();
        step = op.poll(now);
    }
    match (expect["first"].as_str().unwrap(), step) {
        ("finished", JournalStep::Finished { record, skipped }) => {
            if expect["skipped"].as_bool() != Some(skipped) {
                return Err(format!("skipped {skipped}"));
            }
            if let Some(state) = expect["state"].as_str()
                && state != record.state.as_str()
            {
                return Err(format!("state {:?}", record.state));
            }
            if let Some(kind) = expect["error_kind"].as_str()
                && record.error.as_ref().map(|e| e.kind.as_str()) != Some(kind)
            {
                return Err(format!("error {:?}", record.error));
            }
            Ok(())
        }
        ("wait", JournalStep::Wait { until_ms }) if Some(until_ms) == expect["until_ms"].as_u64() => Ok(()),
        (endpoint, JournalStep::Send { request }) if request.endpoint.as_str() == endpoint => Ok(()),
        (want, got) => Err(format!("expected {want}, got {got:?}")),
    }
}

#[test]
fn journal_vectors() {
    let doc = load("journal.json");
    let plans = doc["plan"].as_array().unwrap();
    let failures: Vec<String> = plans
        .iter()
        .filter_map(|c| run_journal_plan_case(&doc, c).err().map(|e| format!("{}: {e}", c["name"])))
        .collect();
    assert!(failures.is_empty(), "journal.json plan:\n{}", failures.join("\n"));
    for case in doc["read"].as_array().unwrap() {
        let e = bcpay_core::journal::JournalRecord::read(case["text"].as_str().unwrap()).expect_err(case["name"].as_str().unwrap());
        let got = (e.field_errors[0].path.as_str(), e.field_errors[0].code.as_str());
        let want = (case["expect"]["path"].as_str().unwrap(), case["expect"]["code"].as_str().unwrap());
        assert_eq!(got, want, "{}", case["name"]);
    }
    assert!(plans.len() >= 10 && doc["read"].as_array().unwrap().len() >= 6);
}
