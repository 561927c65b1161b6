//! A complete host loop over a fake transport: what every bcpay host package does, minus HTTP.
//!
//! Run it: `cargo run -p bcpay-core --example host_loop`

use bcpay_core::http::{Header, HttpRequest, HttpResponse, TransportFailure};
use bcpay_core::model::Payment;
use bcpay_core::secret::ApiToken;
use bcpay_core::{Action, Api, ClientConfig, Endpoint, FlowOptions, PaymentFlow};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A transport that answers like a store, and times out the first Process Payment *after*
/// charging — the case reconciliation exists for.
struct FakeTransport {
    charged: u32,
    timed_out_once: bool,
}

impl FakeTransport {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportFailure> {
        let json = |status: u16, body: &str| {
            Ok(HttpResponse::new(
                status,
                vec![Header::new("Content-Type", "application/json")],
                body.as_bytes().to_vec(),
            ))
        };
        match request.endpoint {
            Endpoint::GetPaymentMethods => json(
                200,
                r#"{"data":[{"id":"stripe.card","name":"Stripe","test_mode":true,"type":"card","supported_instruments":[{"instrument_type":"VISA","verification_value_required":true}],"stored_instruments":[]}],"meta":{}}"#,
            ),
            Endpoint::CreatePaymentAccessToken => json(201, r#"{"data":{"id":"opaque-payment-access-token"},"meta":{}}"#),
            Endpoint::ProcessPayment => {
                self.charged += 1;
                if !self.timed_out_once {
                    self.timed_out_once = true;
                    return Err(TransportFailure::TimedOut);
                }
                json(201, r#"{"data":{"id":"tx-1","status":"success","transaction_type":"purchase"}}"#)
            }
            Endpoint::GetOrderTransactions => json(
                200,
                r#"{"data":[{"id":1,"event":"purchase","method":"credit_card","amount":60.98,"currency":"USD","gateway":"stripe","status":"ok","payment_method_id":"stripe.card"}],"meta":{"pagination":{"current_page":1,"total_pages":1}}}"#,
            ),
            Endpoint::GetOrder => json(
                200,
                r#"{"id":215,"status_id":11,"status":"Awaiting Fulfillment","payment_status":"captured"}"#,
            ),
            other => json(
                404,
                &format!(r#"{{"status":404,"title":"{other} not in this example","type":"x"}}"#),
            ),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = Arc::new(Api::new(
        ClientConfig::new("abc123", ApiToken::new("example-token"))?.with_host("example"),
    ));
    let payment: Payment = serde_json::from_str(
        r#"{"instrument":{"type":"card","number":"4242 4242 4242 4242","cardholder_name":"Jane Doe","expiry_month":12,"expiry_year":2030,"verification_value":"123"},"payment_method_id":"stripe.card"}"#,
    )?;
    let options = FlowOptions {
        reconcile_delay_ms: 10,
        ..FlowOptions::default()
    };
    let mut flow = PaymentFlow::new(api, 215, vec![payment], options, now_ms())?;
    let mut transport = FakeTransport {
        charged: 0,
        timed_out_once: false,
    };

    loop {
        match flow.poll(now_ms()) {
            Action::Send { request } => {
                println!("→ {} {}", request.method.as_str(), request.url);
                match transport.send(&request) {
                    Ok(response) => {
                        println!("  ← {}", response.status);
                        flow.on_response(&request.id, &response, now_ms());
                    }
                    Err(failure) => {
                        println!("  ✗ {failure}");
                        flow.on_transport_failure(&request.id, failure, None, now_ms());
                    }
                }
            }
            Action::Wait { until_ms } => std::thread::sleep(std::time::Duration::from_millis(until_ms.saturating_sub(now_ms()))),
            Action::Awaiting { .. } => unreachable!("this host reports every outcome before polling"),
            Action::Done { output: receipt } => {
                println!("paid: {receipt:?}");
                println!("charges on the fake gateway: {}", transport.charged);
                assert_eq!(transport.charged, 1, "reconciliation must prevent a second charge");
                return Ok(());
            }
            Action::Failed { error } => {
                println!("failed: {error}");
                return Err(error.into());
            }
        }
    }
}
