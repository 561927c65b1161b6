//! `bcpay charge --file payments.csv`: many payments under one shared rate limiter, with a
//! progress bar and a summary of paid / declined / ambiguous / failed.

use anstream::println;
use bcpay::model::Payment;
use bcpay::{Client, PaymentError, ReqwestTransport};
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

/// How one row ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Paid.
    Paid,
    /// Declined by the issuer or gateway.
    Declined,
    /// May or may not be paid (an ambiguous outcome, a duplicate): check the order.
    Ambiguous,
    /// Any other failure (validation, order state, …).
    Failed,
}

/// Classifies a flow's result for the summary.
pub fn outcome(result: &Result<bcpay::model::PaymentReceipt, PaymentError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Paid,
        Err(e) if e.needs_confirmation() => Outcome::Ambiguous,
        Err(e) if e.is_decline() => Outcome::Declined,
        Err(_) => Outcome::Failed,
    }
}

pub async fn run(client: Client<ReqwestTransport>, file: &std::path::Path, concurrency: usize) -> Result<(), PaymentError> {
    let bad_file = |why: String| PaymentError::configuration("file", "invalid_csv", &why);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .map_err(|e| bad_file(format!("cannot read {}: {e}", file.display())))?;
    let mut jobs = Vec::new();
    for (line, row) in reader.deserialize::<Row>().enumerate() {
        let row = row.map_err(|e| bad_file(format!("row {}: {e}", line + 2)))?;
        let payment = row.payment().map_err(bad_file)?;
        jobs.push((row.order_id, payment));
    }
    let bar = ProgressBar::new(jobs.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {pos}/{len} {msg} ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let client = Arc::new(client);
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::new();
    for (order_id, payment) in jobs {
        let client = client.clone();
        let permit = semaphore.clone().acquire_owned().await.expect("semaphore is never closed");
        let bar = bar.clone();
        tasks.push(tokio::spawn(async move {
            let result = client.pay(order_id, vec![payment]).await;
            drop(permit);
            bar.inc(1);
            (order_id, result)
        }));
    }
    let mut counts = [0usize; 4];
    let mut problems = Vec::new();
    for task in tasks {
        let (order_id, result) = task.await.expect("payment task panicked");
        let o = outcome(&result);
        counts[o as usize] += 1;
        if let Err(e) = result {
            problems.push((order_id, o, e));
        }
    }
    bar.finish_with_message("done");
    println!();
    println!("  {:<12} {:>6}", "outcome".bold(), "orders".bold());
    println!("  {:<12} {:>6}", "paid".green(), counts[Outcome::Paid as usize]);
    println!("  {:<12} {:>6}", "declined".yellow(), counts[Outcome::Declined as usize]);
    println!("  {:<12} {:>6}", "ambiguous".magenta(), counts[Outcome::Ambiguous as usize]);
    println!("  {:<12} {:>6}", "failed".red(), counts[Outcome::Failed as usize]);
    for (order_id, o, e) in problems.iter().take(20) {
        println!("  order {order_id}: {o:?} — {e}");
    }
    if counts[Outcome::Ambiguous as usize] > 0 {
        println!(
            "{}",
            "Ambiguous orders may have been charged: check their transactions (bcpay transactions --order-id N) before paying again."
                .magenta()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bcpay::{ErrorKind, RetryAdvice};

    #[test]
    fn a_duplicate_is_to_confirm_not_a_decline() {
        let e = |kind| Err(PaymentError::new(kind, "x"));
        assert_eq!(outcome(&e(ErrorKind::DuplicatePayment)), Outcome::Ambiguous);
        assert_eq!(outcome(&e(ErrorKind::Declined)), Outcome::Declined);
        assert_eq!(outcome(&e(ErrorKind::AmbiguousOutcome)), Outcome::Ambiguous);
        let mut server = PaymentError::new(ErrorKind::Server, "x");
        server.retry = RetryAdvice::Reconcile;
        assert_eq!(outcome(&Err(server)), Outcome::Ambiguous);
        assert_eq!(outcome(&e(ErrorKind::Validation)), Outcome::Failed);
    }
}
