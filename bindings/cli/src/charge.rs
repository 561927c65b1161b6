//! `bcpay charge --file payments.csv`: many payments under one shared rate limiter and a
//! durable journal (SQLite), with a progress bar and a summary of paid / declined / ambiguous /
//! failed. Run again after a crash, it skips finished rows, settles the ones in flight and prints
//! the same summary: the journal's rules are the core's (`bcpay_core::journal`).

use anstream::{eprintln, println};
use bcpay::journal::{Journal, JournalRecord, JournalState, SqliteJournal};
use bcpay::model::Payment;
use bcpay::{Client, FlowOptions, PaymentError, ReqwestTransport};
use indicatif::{ProgressBar, ProgressStyle};
use owo_colors::OwoColorize;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// One CSV row. Empty cells are absent.
#[derive(Debug, Deserialize)]
struct Row {
    order_id: u64,
    payment_method_id: String,
    instrument_type: String,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    verification_value: Option<String>,
    #[serde(default)]
    gift_certificate_code: Option<String>,
}

impl Row {
    fn payment(&self) -> Result<Payment, String> {
        let mut instrument = Map::new();
        instrument.insert("type".into(), json!(self.instrument_type));
        for (key, value) in [
            ("token", &self.token),
            ("verification_value", &self.verification_value),
            ("gift_certificate_code", &self.gift_certificate_code),
        ] {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                instrument.insert(key.into(), json!(v));
            }
        }
        serde_json::from_value(json!({"instrument": Value::Object(instrument), "payment_method_id": self.payment_method_id})).map_err(
            |_| {
                format!(
                    "order {}: instrument_type {:?} needs other columns",
                    self.order_id, self.instrument_type
                )
            },
        )
    }
}

/// What `bcpay charge` was asked to do.
pub struct ChargeArgs {
    /// The CSV.
    pub file: std::path::PathBuf,
    /// Payments in flight at once.
    pub concurrency: usize,
    /// The journal's path; `None`: next to the CSV.
    pub journal: Option<std::path::PathBuf>,
    /// The flow's options.
    pub options: FlowOptions,
}

/// The journal used when `--journal` is not given: beside the CSV, named after it.
pub fn default_journal(file: &std::path::Path) -> std::path::PathBuf {
    let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".journal.db");
    file.with_file_name(name)
}

pub async fn run(client: Client<ReqwestTransport>, args: ChargeArgs) -> Result<(), PaymentError> {
    let file = &args.file;
    let bad_file = |why: String| PaymentError::configuration("file", "invalid_csv", &why);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .map_err(|e| bad_file(format!("cannot read {}: {e}", file.display())))?;
    let mut jobs = Vec::new();
    let mut first_row = std::collections::HashMap::new();
    for (line, row) in reader.deserialize::<Row>().enumerate() {
        let row = row.map_err(|e| bad_file(format!("row {}: {e}", line + 2)))?;
        // One row per order: the journal keeps one record per order.
        if let Some(first) = first_row.insert(row.order_id, line + 2) {
            return Err(bad_file(format!("order {} is on rows {first} and {}", row.order_id, line + 2)));
        }
        let payment = row.payment().map_err(bad_file)?;
        jobs.push((row.order_id, payment));
    }
    let journal_path = args.journal.clone().unwrap_or_else(|| default_journal(file));
    let journal = Arc::new(SqliteJournal::open(&journal_path)?);
    let note = if args.journal.is_some() {
        ""
    } else {
        " (the default, next to the CSV; --journal to choose)"
    };
    eprintln!("journal: {}{note}", journal_path.display());
    let bar = ProgressBar::new(jobs.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {pos}/{len} {msg} ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let client = Arc::new(client);
    let semaphore = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
    let mut tasks = Vec::new();
    for (order_id, payment) in jobs {
        let (client, journal, bar) = (client.clone(), journal.clone(), bar.clone());
        let options = args.options.clone();
        let permit = semaphore.clone().acquire_owned().await.expect("semaphore is never closed");
        tasks.push(tokio::spawn(async move {
            let result = client
                .pay_journaled(order_id, payment, journal.as_ref() as &dyn Journal, Some(options))
                .await;
            drop(permit);
            bar.inc(1);
            (order_id, result)
        }));
    }
    let mut records: Vec<JournalRecord> = Vec::new();
    let mut skipped = 0;
    let mut journal_failure = None;
    for task in tasks {
        let (order_id, result) = task.await.expect("payment task panicked");
        match result {
            Ok((record, was_skipped)) => {
                skipped += usize::from(was_skipped);
                records.push(record);
            }
            Err(e) => {
                eprintln!("order {order_id}: {e}");
                journal_failure.get_or_insert(e);
            }
        }
    }
    bar.finish_with_message("done");
    let count = |state| records.iter().filter(|r| r.state == state).count();
    println!();
    println!("  {:<12} {:>6}", "outcome".bold(), "orders".bold());
    println!("  {:<12} {:>6}", "paid".green(), count(JournalState::Paid));
    println!("  {:<12} {:>6}", "declined".yellow(), count(JournalState::Declined));
    println!("  {:<12} {:>6}", "ambiguous".magenta(), count(JournalState::Ambiguous));
    println!(
        "  {:<12} {:>6}",
        "failed".red(),
        count(JournalState::Failed) + usize::from(journal_failure.is_some())
    );
    println!("  ({skipped} finished by an earlier run, taken from the journal)");
    for r in records.iter().filter(|r| r.state != JournalState::Paid).take(20) {
        let why = r.error.as_ref().map_or("", |e| e.text.as_str());
        println!("  order {}: {} — {why}", r.order_id, r.state.as_str());
    }
    if count(JournalState::Ambiguous) > 0 {
        println!(
            "{}",
            "Ambiguous orders may have been charged and were not sent again. Run the same command later to settle them from the orders' transactions, or check them (bcpay transactions --order-id N)."
                .magenta()
        );
    }
    journal_failure.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_journal_sits_next_to_the_csv() {
        let p = default_journal(std::path::Path::new("/data/march/payments.csv"));
        assert_eq!(p, std::path::Path::new("/data/march/payments.csv.journal.db"));
    }
}
