//! `Call::Refund`: the quote, then the refund it allows, as one operation with the resend rule of
//! each request.

use bcpay_core::model::RefundItem;
use bcpay_core::rng::Entropy;
use bcpay_core::secret::ApiToken;
use bcpay_core::session::{Call, CallOutput, Session};
use bcpay_core::{Action, ClientConfig, Endpoint, ErrorKind, HttpResponse, RateLimitConfig, TransportFailure};
use serde_json::{Value, json};

const NOW: u64 = 1_795_219_200_000;

fn session() -> Session {
    Session::with_entropy(
        ClientConfig::new("abc123", ApiToken::new("api-token-secret")).unwrap(),
        RateLimitConfig::default(),
        Entropy::from_seed(5),
    )
}

fn items() -> Vec<RefundItem> {
    vec![RefundItem {
        item_type: "ORDER".into(),
        item_id: 215,
        quantity: None,
        amount: Some(10.5),
        reason: Some("damaged".into()),
    }]
}

fn quote(methods: Value) -> HttpResponse {
    let body = json!({"data": {"order_id": 215, "total_refund_amount": 9.99, "total_refund_tax_amount": 0, "rounding": 0, "adjustment": 0, "tax_inclusive": true, "refund_methods": methods}});
    HttpResponse::new(201, vec![], body.to_string().into_bytes())
}

/// Sends until the operation asks for something else; returns the requests' endpoints and bodies
/// and the final action. `answer` gives each request's outcome in turn.
fn drive(answers: Vec<Result<HttpResponse, TransportFailure>>) -> (Vec<(Endpoint, Value)>, Action<CallOutput>) {
    let s = session();
    let mut op = s
        .call(
            Call::Refund {
                order_id: 215,
                items: items(),
            },
            None,
            NOW,
            Some(1),
        )
        .unwrap();
    let mut answers = answers.into_iter();
    let mut sent = Vec::new();
    let mut now = NOW;
    loop {
        match op.poll(now) {
            Action::Send { request } => {
                let body = request.body.as_deref().map_or(Value::Null, |b| serde_json::from_slice(b).unwrap());
                sent.push((request.endpoint, body));
                match answers.next().expect("a request past the script") {
                    Ok(r) => op.on_response(&request.id, &r, now),
                    Err(f) => op.on_transport_failure(&request.id, f, None, now),
                }
            }
            Action::Wait { until_ms } => now = until_ms,
            other => return (sent, other),
        }
    }
}

#[test]
fn the_refund_goes_through_the_quote_s_providers_for_its_amounts() {
    let refunded = HttpResponse::new(
        201,
        vec![],
        br#"{"data": {"id": 7, "order_id": 215, "total_amount": 9.99, "payments": []}}"#.to_vec(),
    );
    let methods = json!([[{"provider_id": "bankdeposit", "amount": 9.99, "offline": true, "offline_provider": true}],
                         [{"provider_id": "storecredit", "amount": 4.0, "offline": false}, {"provider_id": "stripe", "amount": 5.99, "offline": false}]]);
    let (sent, end) = drive(vec![Ok(quote(methods)), Ok(refunded)]);
    assert!(
        matches!(end, Action::Done { output: CallOutput::Refund(ref r) } if r.id == Some(7)),
        "{end:?}"
    );
    assert_eq!(
        sent.iter().map(|(e, _)| *e).collect::<Vec<_>>(),
        [Endpoint::CreateRefundQuote, Endpoint::CreateRefund]
    );
    assert_eq!(sent[0].1["items"][0]["amount"], json!(10.5));
    // The quote's parts and amounts, not the items' 10.50; the items as asked.
    assert_eq!(
        sent[1].1["payments"],
        json!([{"provider_id": "storecredit", "amount": 4.0, "offline": false}, {"provider_id": "stripe", "amount": 5.99, "offline": false}])
    );
    assert_eq!(sent[1].1["items"], sent[0].1["items"]);
}

#[test]
fn an_offline_only_quote_ends_before_any_refund() {
    let methods = json!([[{"provider_id": "custom", "amount": 9.99, "offline": true, "offline_provider": true, "offline_reason": "This is an offline payment provider."}]]);
    let (sent, end) = drive(vec![Ok(quote(methods))]);
    assert_eq!(sent.len(), 1);
    let Action::Failed { error } = end else { panic!("{end:?}") };
    assert_eq!(
        (error.kind, error.code_text.as_deref()),
        (ErrorKind::InvalidRequest, Some("offline_refund_required"))
    );
    assert_eq!(error.endpoint, Some(Endpoint::CreateRefundQuote));
}

#[test]
fn a_quote_may_be_asked_again_but_a_refund_that_may_have_been_acted_on_is_not() {
    let methods = json!([[{"provider_id": "stripe", "amount": 9.99, "offline": false}]]);
    let (sent, end) = drive(vec![
        Err(TransportFailure::TimedOut),
        Ok(quote(methods)),
        Err(TransportFailure::TimedOut),
    ]);
    assert_eq!(
        sent.iter().map(|(e, _)| *e).collect::<Vec<_>>(),
        [Endpoint::CreateRefundQuote, Endpoint::CreateRefundQuote, Endpoint::CreateRefund]
    );
    let Action::Failed { error } = end else { panic!("{end:?}") };
    assert_eq!(error.endpoint, Some(Endpoint::CreateRefund));
    assert_eq!(error.retry, bcpay_core::RetryAdvice::Reconcile);
}
