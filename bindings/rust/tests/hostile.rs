//! The hostile world (tests/hostile/scenarios.json) against the Rust client and its default
//! transport: slow ledgers, redirects, echoed secrets, trickled and endless bodies, absurd waits,
//! bad tokens and skewed clocks. Each scenario runs on its own sandbox, all at once.

use bcpay::model::Payment;
use bcpay::secret::ApiToken;
use bcpay::{Client, ClientConfig, FlowOptions, PaymentError, ReqwestTransport, RetryAdvice};
use bcpay_sandbox::{Faults, Sandbox, SandboxConfig};
use common::order;
use serde_json::{Value, json};
use std::time::Instant;

mod common;

fn scenarios() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/hostile/scenarios.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hostile_client(sandbox: &Sandbox, scenario: &Value) -> Client<ReqwestTransport> {
    let options: FlowOptions = serde_json::from_value(scenario.get("options").cloned().unwrap_or(json!({}))).unwrap();
    let timeout = scenario.get("timeout_ms").and_then(Value::as_u64).unwrap_or(10_000);
    common::client(sandbox, timeout, options)
}

/// The server-provided text an error keeps, where an echoed secret would land.
fn server_texts(e: &PaymentError) -> String {
    let fields: Vec<String> = e.field_errors.iter().map(|f| format!("{} {}", f.path, f.description)).collect();
    format!("{} {} {}", e.title, e.detail.as_deref().unwrap_or(""), fields.join(" "))
}

async fn run(scenario: Value, payment: Payment, secrets: Vec<String>) -> Result<(), String> {
    let name = scenario["name"].as_str().unwrap().to_owned();
    let expect = &scenario["expect"];
    let sandbox = Sandbox::start(SandboxConfig::default(), 0).await.unwrap();
    let setup = common::client(&sandbox, 10_000, FlowOptions::default());
    let order_id = order(&setup, 0, 20.0).await;
    let before = sandbox.ledger()["requests"].clone();
    sandbox.set_faults(serde_json::from_value::<Faults>(scenario["faults"].clone()).unwrap());
    // Every event the client reports, as a listener receives it: scanned for secrets below.
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&events);
    let client = hostile_client(&sandbox, &scenario)
        .on_event(move |e| seen.lock().unwrap().push(format!("{e:?} {}", serde_json::to_string(e).unwrap())));
    let started = Instant::now();
    let outcome = client.pay(order_id, vec![payment]).await;
    let seconds = started.elapsed().as_secs_f64();
    sandbox.set_faults(Faults::default());
    let ledger = sandbox.ledger();
    let fail = |why: String| Err(format!("{name}: {why}"));

    match (&outcome, expect["outcome"].as_str().unwrap()) {
        (Ok(receipt), "paid") => {
            if let Some(r) = expect.get("reconciled") {
                if receipt.payments[0].reconciled != r.as_bool().unwrap() {
                    return fail(format!("reconciled {}", receipt.payments[0].reconciled));
                }
            }
        }
        (Err(e), "failed") => {
            if e.kind.as_str() != expect["kind"].as_str().unwrap() {
                return fail(format!("expected {}, got {e}", expect["kind"]));
            }
            if let Some(status) = expect.get("status") {
                if e.status != status.as_u64().map(|s| s as u16) {
                    return fail(format!("status {:?}: {e}", e.status));
                }
            }
            if let Some(ms) = expect.get("retry_after_ms").and_then(Value::as_u64) {
                match e.retry {
                    RetryAdvice::After { ms: got } if got <= ms && got + 1_000 >= ms => {}
                    other => return fail(format!("retry {other:?}, expected after about {ms} ms")),
                }
            }
            let texts = server_texts(e);
            let display = format!("{e} {e:?}");
            for s in &secrets {
                if texts.contains(s.as_str()) || (s.len() > 3 && display.contains(s.as_str())) {
                    return fail(format!("a secret leaked into the error: {texts}"));
                }
            }
        }
        (other, want) => return fail(format!("expected {want}, got {other:?}")),
    }
    let events = events.lock().unwrap().join("\n");
    if events.is_empty() {
        return fail("no events reported".into());
    }
    for s in secrets.iter().filter(|s| s.len() > 3) {
        if events.contains(s.as_str()) {
            return fail(format!("a secret leaked into an event: {s}"));
        }
    }
    let charges = ledger["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["order_id"] == json!(order_id))
        .map_or(0, |o| o["charges"].as_array().unwrap().len());
    if charges as u64 != expect["charges"].as_u64().unwrap() {
        return fail(format!("{charges} charges in the ledger"));
    }
    if ledger["double_charges"] != json!(0) {
        return fail(format!("double charges: {}", ledger["double_charges"]));
    }
    if ledger["trap_hits"] != json!(0) {
        return fail(format!("a redirect was followed: {}", ledger["trap"]));
    }
    if let Some(counts) = expect.get("requests").and_then(Value::as_object) {
        for (call, want) in counts {
            let n = ledger["requests"][call].as_u64().unwrap_or(0) - before[call].as_u64().unwrap_or(0);
            if n != want.as_u64().unwrap() {
                return fail(format!("{n} {call} requests, expected {want}"));
            }
        }
    }
    let max = expect["max_seconds"].as_f64().unwrap();
    if seconds > max {
        return fail(format!("took {seconds:.1} s, more than {max} s"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_scenario() {
    let doc = scenarios();
    let payment: Payment = serde_json::from_value(doc["payment"].clone()).unwrap();
    let secrets: Vec<String> = serde_json::from_value(doc["secrets"].clone()).unwrap();
    let tasks: Vec<_> = doc["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| tokio::spawn(run(s.clone(), payment.clone(), secrets.clone())))
        .collect();
    let mut failures = Vec::new();
    for t in tasks {
        if let Err(e) = t.await.unwrap() {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} hostile scenarios failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn insecure_base_urls_are_refused_before_any_request() {
    for config in scenarios()["configs"].as_array().unwrap() {
        let base = ClientConfig::new("abc123", ApiToken::new("t")).unwrap();
        let result = match (config.get("api_base"), config.get("payments_base")) {
            (Some(url), _) => base.with_api_base(url.as_str().unwrap()),
            (_, Some(url)) => base.with_payments_base(url.as_str().unwrap()),
            _ => unreachable!(),
        };
        let e = result.unwrap_err();
        let expect = &config["expect"];
        assert_eq!(e.kind.as_str(), expect["kind"], "{}", config["name"]);
        assert_eq!(e.field_errors[0].path, expect["field"].as_str().unwrap());
        assert_eq!(e.field_errors[0].code, expect["code"].as_str().unwrap());
    }
}
