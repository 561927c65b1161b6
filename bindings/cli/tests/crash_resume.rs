//! `bcpay charge --journal` killed with SIGKILL at a random point and run again, 20 times over
//! 200 recurring stored-card payments with the sandbox's faults on: the ledger shows every order
//! charged at most once — exactly once, after reruns, where the run may resend unrecorded
//! payments — and the final summary accounts for every row.

use bcpay::model::{BillingAddress, NewOrder, OrderProduct};
use bcpay_sandbox::{Faults, Sandbox, SandboxConfig};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROWS: usize = 200;
/// Rows paid with an unknown gift certificate: failed, never charged.
const BAD_ROWS: usize = 10;
const RUNS: u64 = 20;

/// A small deterministic generator, so that a failing run can be repeated from its number.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn client(base: &str) -> bcpay::Client {
    let config = bcpay::ClientConfig::new("abc123", bcpay::secret::ApiToken::new("sandbox-token"))
        .unwrap()
        .with_api_base(base)
        .unwrap()
        .with_payments_base(base)
        .unwrap();
    bcpay::Client::new(config)
}

fn new_order() -> NewOrder {
    NewOrder {
        customer_id: 11,
        billing_address: BillingAddress {
            first_name: "J".into(),
            last_name: "D".into(),
            street_1: "1".into(),
            city: "A".into(),
            state: "T".into(),
            zip: "1".into(),
            country: "US".into(),
            country_iso2: "US".into(),
            email: "j@d.com".into(),
            ..Default::default()
        },
        products: vec![OrderProduct {
            name: Some("Monthly plan".into()),
            quantity: 1,
            price_inc_tax: Some(20.0),
            price_ex_tax: Some(20.0),
            ..Default::default()
        }],
        default_currency_code: None,
    }
}

/// The CSV of one billing run: `ROWS` new orders, the last `BAD_ROWS` with a gift certificate
/// that does not exist. Returns it and the stored card's token.
async fn billing_csv(base: &str) -> (String, Vec<u64>) {
    let c = client(base);
    let mut orders = Vec::new();
    for _ in 0..ROWS {
        orders.push(c.create_order(&new_order()).await.unwrap().id as u64);
    }
    let methods = c.get_payment_methods(&bcpay::MethodsQuery::OrderId(orders[0])).await.unwrap();
    let token = methods
        .iter()
        .flat_map(|m| m.stored_instruments.iter())
        .find(|i| i.instrument_type == "stored_card")
        .map(|i| i.token.expose().to_owned())
        .expect("the seeded customer has a stored card");
    let mut csv = String::from("order_id,payment_method_id,instrument_type,token,verification_value,gift_certificate_code\n");
    for (i, order) in orders.iter().enumerate() {
        if i >= ROWS - BAD_ROWS {
            csv.push_str(&format!("{order},bigcommerce.gift_certificate,gift_certificate,,,NOPE-{i}\n"));
        } else {
            csv.push_str(&format!("{order},stripe.card,stored_card,{token},,\n"));
        }
    }
    (csv, orders)
}

fn charge(base: &str, csv: &std::path::Path, journal: &std::path::Path, resend: bool) -> Command {
    let options = format!(r#"{{"settle_window_ms":1500,"reconcile_delay_ms":100,"resend_when_unrecorded":{resend}}}"#);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bcpay"));
    cmd.args(["charge", "--file", csv.to_str().unwrap(), "--journal", journal.to_str().unwrap()])
        .args([
            "--recurring",
            "--concurrency",
            "16",
            "--payments-quota",
            "2000",
            "--timeout-ms",
            "2000",
        ])
        .args(["--options", &options])
        .env("BCPAY_STORE_HASH", "abc123")
        .env("BCPAY_API_TOKEN", "sandbox-token")
        .env("BCPAY_API_BASE", base)
        .env("BCPAY_PAYMENTS_BASE", base)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn summary_count(out: &str, label: &str) -> usize {
    out.lines()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {label} line in {out}"))
}

/// One run: kill the command at a random point, run it again to the end, check the ledger.
async fn killed_and_resumed(run: u64) {
    let mut rng = Lcg(run * 7919 + 1);
    let faults = Faults {
        reset_after_commit: 0.04,
        code_10000: 0.04,
        server_error: 0.03,
        reset_before_commit: 0.03,
        ledger_lag_ms: 200,
        ..Faults::default()
    };
    let config = SandboxConfig {
        payments_quota: 2_000,
        faults: Faults::default(),
        seed: run,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, 0).await.unwrap();
    let base = sandbox.base_url();
    let (csv, orders) = billing_csv(&base).await;
    sandbox.set_faults(faults);
    let dir = std::env::temp_dir().join(format!("bcpay-crash-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (csv_path, journal) = (dir.join("payments.csv"), dir.join("billing.db"));
    std::fs::write(&csv_path, csv).unwrap();
    // Odd runs may resend a payment the ledger never recorded (it lags 200 ms, the window is
    // 1.5 s): every order ends charged. Even runs keep the default: never resend.
    let resend = run % 2 == 1;

    let mut child = charge(&base, &csv_path, &journal, resend).spawn().unwrap();
    let kill_after = Duration::from_millis(100 + rng.below(1_400));
    let started = Instant::now();
    while started.elapsed() < kill_after && child.try_wait().unwrap().is_none() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();

    // Run it again to completion, as an operator would: faults are still on, so a payment may
    // fail with retries exhausted (nothing taken); a run that opts in to resending is run again
    // until every good row is paid (at most three times).
    let mut reruns = 0;
    let out = loop {
        reruns += 1;
        let out = tokio::task::spawn_blocking({
            let mut cmd = charge(&base, &csv_path, &journal, resend);
            move || cmd.output().unwrap()
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let done = !out.status.success() || !resend || summary_count(&text, "paid") == ROWS - BAD_ROWS || reruns == 3;
        if done {
            break out;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let context = format!(
        "run {run} (killed after {kill_after:?}, resend {resend}, {reruns} reruns):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{context}");

    let ledger = sandbox.ledger();
    assert_eq!(ledger["double_charges"], 0, "{context}\n{ledger}");
    let charges = |order: u64| {
        ledger["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["order_id"] == order)
            .map_or(0, |o| o["charges"].as_array().map_or(0, Vec::len))
    };
    let charged = orders.iter().filter(|o| charges(**o) == 1).count();
    assert!(orders.iter().all(|o| charges(*o) <= 1), "{context}");
    assert!(orders[ROWS - BAD_ROWS..].iter().all(|o| charges(*o) == 0), "{context}");
    let (paid, ambiguous, failed, declined) = (
        summary_count(&stdout, "paid"),
        summary_count(&stdout, "ambiguous"),
        summary_count(&stdout, "failed"),
        summary_count(&stdout, "declined"),
    );
    assert_eq!(paid + ambiguous + failed + declined, ROWS, "every row accounted for: {context}");
    assert_eq!(paid, charged, "a row is paid exactly when its order is charged: {context}");
    // Every row not charged is reported so: failed (the bad gift certificates, or retries
    // exhausted with nothing taken), or ambiguous (a payment the killed run may have sent, or
    // one a 503 or reset left unclear).
    assert_eq!(ambiguous + failed + declined, ROWS - charged, "{context}");
    if resend {
        assert_eq!(charged, ROWS - BAD_ROWS, "{context}");
    }
    // Run once more: finished rows come from the journal; only failed ones (nothing taken) are
    // tried again.
    sandbox.set_faults(Faults::default());
    let requests_before = ledger["requests"].clone();
    let again = charge(&base, &csv_path, &journal, resend).output().unwrap();
    let again_out = String::from_utf8_lossy(&again.stdout);
    let done_before = (paid + declined) as u64;
    assert!(
        again_out.contains(&format!("({done_before} finished by an earlier run")),
        "{again_out}"
    );
    if ambiguous == 0 {
        let after = sandbox.ledger();
        let pays = |r: &Value| r["process_payment"].as_u64().unwrap_or(0);
        assert!(pays(&after["requests"]) - pays(&requests_before) <= failed as u64, "{again_out}");
        assert_eq!(after["double_charges"], 0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn killed_runs_resume_without_double_charges() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Four runs at a time: each is mostly waiting on the sandbox and the settle window.
        for batch in (0..RUNS).collect::<Vec<_>>().chunks(4) {
            let tasks: Vec<_> = batch.iter().map(|run| tokio::spawn(killed_and_resumed(*run))).collect();
            for t in tasks {
                t.await.unwrap();
            }
        }
    });
}
