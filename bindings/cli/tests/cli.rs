//! The `bcpay` command against a sandbox it starts: single calls, `pay` from standard input,
//! and `charge --file` with its summary. Card data must never be printed back.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

struct Sandbox {
    child: Child,
    url: String,
    /// Kept open: the sandbox prints more lines, and a closed pipe would end it (SIGPIPE).
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn sandbox() -> Sandbox {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcpay"))
        .args(["sandbox", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line.split_whitespace().last().unwrap().to_owned();
    Sandbox {
        child,
        url,
        _stdout: stdout,
    }
}

fn bcpay(sb: &Sandbox, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bcpay"));
    cmd.args(args)
        .env("BCPAY_STORE_HASH", "abc123")
        .env("BCPAY_API_TOKEN", "sandbox-token")
        .env("BCPAY_API_BASE", &sb.url)
        .env("BCPAY_PAYMENTS_BASE", &sb.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn create_order(sb: &Sandbox, customer: i64) -> u64 {
    use bcpay::model::{BillingAddress, NewOrder, OrderProduct};
    let config = bcpay::ClientConfig::new("abc123", bcpay::secret::ApiToken::new("sandbox-token"))
        .unwrap()
        .with_api_base(&sb.url)
        .unwrap();
    let client = bcpay::Client::new(config);
    let order = NewOrder {
        customer_id: customer,
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
            name: Some("P".into()),
            quantity: 1,
            price_inc_tax: Some(20.0),
            price_ex_tax: Some(20.0),
            ..Default::default()
        }],
        default_currency_code: None,
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(client.create_order(&order)).unwrap().id as u64
}

#[test]
fn single_calls_and_pay_from_stdin() {
    let sb = sandbox();
    let order = create_order(&sb, 11).to_string();
    let (ok, out, _) = bcpay(&sb, &["methods", "--order-id", &order], None);
    assert!(ok && out.contains("stripe.card") && out.contains("stored_card"), "{out}");
    let (ok, out, _) = bcpay(&sb, &["token", "--order-id", &order], None);
    assert!(
        ok && out.contains("[redacted]") && out.contains("payments.bigcommerce.com") && !out.contains("eyJ"),
        "{out}"
    );

    let card = r#"{"type":"card","number":"4242424242424242","cardholder_name":"Jane","expiry_month":12,"expiry_year":2030,"verification_value":"123"}"#;
    let (ok, out, err) = bcpay(
        &sb,
        &["pay", "--order-id", &order, "--method", "authorizenet.card", "--instrument", "-"],
        Some(card),
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("authorization") && !out.contains("4242424242424242") && !err.contains("4242424242424242"),
        "{out}"
    );
    let (ok, out, _) = bcpay(&sb, &["order", "--order-id", &order], None);
    assert!(ok && out.contains("authorized"), "{out}");
    assert!(bcpay(&sb, &["capture", "--order-id", &order], None).0);
    let (ok, out, _) = bcpay(&sb, &["transactions", "--order-id", &order], None);
    assert!(ok && out.contains("capture"), "{out}");
    let (ok, out, _) = bcpay(&sb, &["status", "--order-id", &order], None);
    assert!(
        ok && out.contains(r#""state": "paid""#) && out.contains(r#""remaining": "0.00""#),
        "{out}"
    );
    let (ok, out, err) = bcpay(&sb, &["refund", "--order-id", &order, "--amount", "5.50"], None);
    assert!(ok && out.contains("5.5"), "{out}{err}");
    // A quote that allows only an offline refund: refused by name, nothing refunded.
    let (ok, out, err) = bcpay(
        &sb,
        &["refund", "--order-id", &order, "--amount", "1.00", "--reason", "sandbox:offline"],
        None,
    );
    assert!(!ok && err.contains("allows only offline refunds"), "{out}{err}");
    let (_, out, _) = bcpay(&sb, &["transactions", "--order-id", &order], None);
    assert_eq!(out.matches("\"refund\"").count(), 1, "{out}");

    // A decline: non-zero exit, the error with shopper message and remedy on stderr.
    let order = create_order(&sb, 0).to_string();
    let declined = r#"{"type":"card","number":"4000000000009995","cardholder_name":"Jane","expiry_month":12,"expiry_year":2030,"verification_value":"123"}"#;
    let (ok, _, err) = bcpay(
        &sb,
        &["pay", "--order-id", &order, "--method", "stripe.card", "--instrument", "-"],
        Some(declined),
    );
    assert!(
        !ok && err.contains("30106") && err.contains("shopper sees") && !err.contains("4000000000009995"),
        "{err}"
    );
}

#[test]
fn charge_a_csv_file() {
    let sb = sandbox();
    let mut csv = String::from("order_id,payment_method_id,instrument_type,token,verification_value,gift_certificate_code\n");
    for _ in 0..6 {
        csv.push_str(&format!(
            "{},bigcommerce.gift_certificate,gift_certificate,,,GC-500\n",
            create_order(&sb, 0)
        ));
    }
    csv.push_str(&format!(
        "{},bigcommerce.gift_certificate,gift_certificate,,,NOPE\n",
        create_order(&sb, 0)
    ));
    let path = std::env::temp_dir().join(format!("bcpay-charge-{}.csv", std::process::id()));
    std::fs::write(&path, csv).unwrap();
    let (ok, out, err) = bcpay(&sb, &["charge", "--file", path.to_str().unwrap(), "--concurrency", "3"], None);
    // Without --journal, the journal sits next to the CSV, and the run says so.
    let journal = path.with_file_name(format!("{}.journal.db", path.file_name().unwrap().to_str().unwrap()));
    assert!(
        err.contains(&format!("journal: {}", journal.display())) && err.contains("the default"),
        "{err}"
    );
    assert!(journal.exists());
    // Run again: the same summary, the paid rows taken from the journal.
    let (again_ok, again, _) = bcpay(&sb, &["charge", "--file", path.to_str().unwrap()], None);
    // One run at a time: while another holds the journal, a run refuses to start.
    let held = bcpay::journal::SqliteJournal::open(&journal).unwrap();
    let (busy_ok, _, busy_err) = bcpay(&sb, &["charge", "--file", path.to_str().unwrap()], None);
    drop(held);
    assert!(!busy_ok && busy_err.contains("Another run holds this journal"), "{busy_err}");
    let _ = std::fs::remove_file(&path);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", journal.display()));
    }
    assert!(ok, "{err}");
    assert!(again_ok && again.contains("(6 finished by an earlier run"), "{again}");
    let count = |label: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse::<u32>().ok())
    };
    assert_eq!(count("paid"), Some(6), "{out}");
    assert_eq!(count("failed"), Some(1), "{out}");
    assert_eq!(count("ambiguous"), Some(0), "{out}");
}
