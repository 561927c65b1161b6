//! The host vectors (tests/host/scenarios.json) through the Rust client's public API, with a
//! scripted transport. Typed input a Rust caller cannot write (`dynamic_only`) is skipped.

use bcpay::json_api::input;
use bcpay::model::{NewOrder, Payment, RefundItem, RefundQuoteRequest, RefundRequest};
use bcpay::secret::ApiToken;
use bcpay::{
    Client, ClientConfig, FlowEvent, FlowOptions, HttpRequest, HttpResponse, MethodsQuery, PaymentError, Transport, TransportError,
    TransportFailure,
};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/host/scenarios.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Answers each request with its script step (the first unused one meant for its endpoint, else
/// the next unused) and records which steps were used, by what, and how many requests it held at
/// once.
struct Scripted {
    steps: Vec<Value>,
    meant_for: Vec<String>,
    used_by: Mutex<Vec<Option<String>>>,
    past_script: Mutex<Vec<String>>,
    held: std::sync::atomic::AtomicUsize,
    most_held: std::sync::atomic::AtomicUsize,
}

impl Scripted {
    fn new(case: &Value) -> Scripted {
        let steps = case["script"].as_array().unwrap().clone();
        let meant_for = case["expect"]["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_owned())
            .collect();
        Scripted {
            used_by: Mutex::new(vec![None; steps.len()]),
            steps,
            meant_for,
            past_script: Mutex::new(Vec::new()),
            held: 0.into(),
            most_held: 0.into(),
        }
    }

    fn take(&self, endpoint: &str) -> Value {
        let mut used = self.used_by.lock().unwrap();
        let free = |i: &usize| used[*i].is_none();
        let pick = (0..self.steps.len())
            .filter(free)
            .find(|i| self.meant_for.get(*i).is_some_and(|m| m == endpoint))
            .or_else(|| (0..self.steps.len()).find(free));
        match pick {
            Some(i) => {
                used[i] = Some(endpoint.to_owned());
                self.steps[i].clone()
            }
            None => {
                self.past_script.lock().unwrap().push(endpoint.to_owned());
                json!({"status": 599, "body_text": "script ran out"})
            }
        }
    }

    /// The endpoints of the steps used, in script order, then any request past the script.
    fn asked(&self) -> Vec<String> {
        let used = self.used_by.lock().unwrap().iter().flatten().cloned().collect::<Vec<_>>();
        used.into_iter().chain(self.past_script.lock().unwrap().iter().cloned()).collect()
    }
}

/// Counts a request as held by the transport until dropped (answered, or abandoned by the host).
struct Held<'a>(&'a Scripted);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Transport for Scripted {
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        use std::sync::atomic::Ordering::SeqCst;
        let now_held = self.held.fetch_add(1, SeqCst) + 1;
        self.most_held.fetch_max(now_held, SeqCst);
        let _held = Held(self);
        let step = self.take(request.endpoint.as_str());
        if let Some(ms) = step["delay_ms"].as_u64() {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if let Some(ms) = step["hang_ms"].as_u64() {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            return Err(TransportFailure::TimedOut.into());
        }
        if let Some(failure) = step["throw"].as_str() {
            // Rust transports return a typed failure; a "foreign" error has no Rust form but
            // `MaybeSent`, the rule for anything a transport cannot vouch for.
            let failure = match failure {
                "not_sent" => TransportFailure::NotSent,
                "timed_out" => TransportFailure::TimedOut,
                _ => TransportFailure::MaybeSent,
            };
            return Err(TransportError {
                failure,
                cause: step["cause"].as_str().map(str::to_owned),
            });
        }
        let headers = step["headers"]
            .as_object()
            .map(|h| h.iter().map(|(k, v)| bcpay::Header::new(k, v.as_str().unwrap())).collect())
            .unwrap_or_default();
        let body = match step.get("body_text") {
            Some(t) => t.as_str().unwrap().as_bytes().to_vec(),
            None => serde_json::to_vec(&step["body"]).unwrap(),
        };
        Ok(HttpResponse::new(step["status"].as_u64().unwrap() as u16, headers, body))
    }
}

fn arg<T: bcpay::read::FromJson>(args: &Value, key: &str) -> Result<T, PaymentError> {
    input(&args[key].to_string(), key)
}

async fn run(client: &Client<Scripted>, case: &Value) -> Result<Value, PaymentError> {
    let args = &case["args"];
    let order_id = || arg::<u64>(args, "order_id");
    let v = |x: &dyn erased::Ser| x.value();
    Ok(match case["call"].as_str().unwrap() {
        "pay" => {
            let payments: Vec<Payment> = arg(args, "payments")?;
            let receipt = match case["cancel_after_ms"].as_u64() {
                Some(ms) => {
                    client
                        .pay_until(order_id()?, payments, tokio::time::sleep(Duration::from_millis(ms)))
                        .await?
                }
                None => client.pay(order_id()?, payments).await?,
            };
            summary(&receipt)
        }
        "prepare_and_pay" => {
            client.prepare(order_id()?).await?;
            summary(&client.pay(order_id()?, arg(args, "payments")?).await?)
        }
        "get_order_payment_status" => v(&client.get_order_payment_status(order_id()?).await?),
        "get_order" => v(&client.get_order(order_id()?).await?),
        "create_order" => v(&client.create_order(&arg::<NewOrder>(args, "order")?).await?),
        "get_payment_methods" => v(&client.get_payment_methods(&MethodsQuery::OrderId(order_id()?)).await?),
        "create_payment_access_token" => {
            client.create_access_token(order_id()?, false).await?;
            json!({})
        }
        "process_payment" => {
            let token = bcpay::api::payment_access_token(bcpay::secret::PatSecret::new(args["pat"].as_str().unwrap()), bcpay::now_ms());
            v(&client.process_payment(&token, &arg::<Payment>(args, "payment")?).await?)
        }
        "get_order_transactions" => v(&client.get_transactions(order_id()?).await?),
        "capture_payment" => v(&client.capture(order_id()?).await?),
        "create_refund_quote" => v(&client
            .create_refund_quote(order_id()?, &arg::<RefundQuoteRequest>(args, "request")?)
            .await?),
        "create_refund" => v(&client.create_refund(order_id()?, &arg::<RefundRequest>(args, "request")?).await?),
        "refund" => v(&client.refund(order_id()?, arg::<Vec<RefundItem>>(args, "items")?).await?),
        "list_refunds" => v(&client.list_refunds(order_id()?).await?),
        "get_stored_instruments" => v(&client.get_stored_instruments(arg(args, "customer_id")?).await?),
        other => panic!("no call {other}"),
    })
}

/// A receipt as the vectors check it.
fn summary(receipt: &bcpay::model::PaymentReceipt) -> Value {
    json!({"payments": receipt.payments.len(), "requests_sent": receipt.requests_sent, "order_state": receipt.order_state,
           "amount_paid": receipt.amount_paid, "amount_remaining": receipt.amount_remaining})
}

mod erased {
    /// Any serializable output as JSON, to compare with the expectation.
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap()
        }
    }
}

/// An event as the vectors' README projects it ("Events").
fn projected(event: &FlowEvent) -> Option<String> {
    Some(match event {
        FlowEvent::Request { endpoint, attempt, .. } => format!("request {endpoint} {attempt}"),
        FlowEvent::Response { endpoint, status, .. } => format!("response {endpoint} {status}"),
        FlowEvent::TransportFailure {
            endpoint, failure, cause, ..
        } => match cause {
            Some(cause) => format!("transport_failure {endpoint} {failure}: {cause}"),
            None => format!("transport_failure {endpoint} {failure}"),
        },
        FlowEvent::Decision { decision, .. } => match serde_json::to_value(decision).unwrap() {
            Value::String(d) if d == "wait" => return None,
            Value::String(d) => d,
            other => panic!("decision {other}"),
        },
    })
}

fn check_ok(want: &Value, got: &Value) -> Result<(), String> {
    for (k, w) in want.as_object().unwrap() {
        let g = if k == "len" {
            json!(got.as_array().map(Vec::len))
        } else {
            got[k].clone()
        };
        if &g != w {
            return Err(format!("{k}: {g} != {w}"));
        }
    }
    Ok(())
}

fn check_error(want: &Value, e: &PaymentError) -> Result<(), String> {
    let details = serde_json::to_value(e).unwrap();
    let checks = [
        ("class_name", json!(e.kind.class_name())),
        ("kind", details["kind"].clone()),
        ("retry", details["retry"].clone()),
        ("code", details["code"].clone()),
        ("status", details["status"].clone()),
        ("field", json!(e.field_errors.first().map(|f| f.path.clone()))),
        ("field_code", json!(e.field_errors.first().map(|f| f.code.clone()))),
        ("server_request_id", json!(e.server_request_id.clone().unwrap_or_default())),
    ];
    for (key, got) in checks {
        if let Some(w) = want.get(key) {
            if &got != w {
                return Err(format!("{key}: {got} != {w} ({e})"));
            }
        }
    }
    if let Some(prefix) = want["message"].as_str() {
        if !e.to_string().starts_with(prefix) {
            return Err(format!("message {:?} does not start with {prefix:?}", e.to_string()));
        }
    }
    Ok(())
}

async fn scenario(config: &Value, case: &Value) -> Result<(), String> {
    let mut options = FlowOptions::default();
    if let Some(o) = case.get("options") {
        options = input(&o.to_string(), "options").map_err(|e| e.to_string())?;
    }
    let config = ClientConfig::new(
        config["store_hash"].as_str().unwrap(),
        ApiToken::new(config["api_token"].as_str().unwrap()),
    )
    .unwrap();
    let transport = Scripted::new(case);
    let events = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&events);
    let client = Client::with_transport(config, transport)
        .with_options(options)
        .on_event(move |e| seen.lock().unwrap().extend(projected(e)));
    let started = Instant::now();
    let outcome = run(&client, case).await;
    let elapsed = started.elapsed().as_millis() as u64;
    let expect = &case["expect"];
    match (&outcome, expect.get("ok"), expect.get("error")) {
        (Ok(got), Some(want), _) => check_ok(want, got)?,
        (Err(e), _, Some(want)) => check_error(want, e)?,
        (other, _, _) => return Err(format!("unexpected outcome {other:?}")),
    }
    let asked = client.transport().asked();
    if json!(asked) != expect["requests"] {
        return Err(format!("requests {asked:?} != {}", expect["requests"]));
    }
    if let Some(want) = expect.get("max_in_flight") {
        let most = client.transport().most_held.load(std::sync::atomic::Ordering::SeqCst);
        if json!(most) != *want {
            return Err(format!("at most {most} requests at once, expected {want}"));
        }
    }
    if let Some(want) = expect.get("events") {
        let got = events.lock().unwrap().clone();
        if &json!(got) != want {
            return Err(format!("events {got:#?} != {want:#}"));
        }
    }
    if elapsed > case["max_ms"].as_u64().unwrap() {
        return Err(format!("took {elapsed} ms"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_host_vector() {
    let v = vectors();
    let cases: Vec<Value> = v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["dynamic_only"] != json!(true))
        .cloned()
        .collect();
    assert!(cases.len() >= 40, "{} scenarios", cases.len());
    let runs = cases.iter().map(|c| scenario(&v["config"], c));
    let results = futures_util::future::join_all(runs).await;
    let failures: Vec<String> = cases
        .iter()
        .zip(results)
        .filter_map(|(c, r)| r.err().map(|e| format!("{}: {e}", c["name"].as_str().unwrap())))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} host vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_kind_has_the_class_the_vectors_name() {
    let names: Vec<&str> = bcpay::ErrorKind::ALL.iter().map(|k| k.class_name()).collect();
    assert_eq!(json!(names), vectors()["class_names"]);
}
