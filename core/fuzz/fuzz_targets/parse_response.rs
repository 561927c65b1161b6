//! Any status, headers and body through every parser: a typed result or a typed error, never a
//! panic. The first bytes pick the status and a header value; the rest is the body.
#![no_main]
use bcpay_core::http::{Endpoint, Header, HttpResponse};
use bcpay_core::rng::Entropy;
use bcpay_core::secret::ApiToken;
use bcpay_core::{Api, ClientConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = 100 + (u16::from_le_bytes([data[0], data[1]]) % 500);
    let header = String::from_utf8_lossy(&data[2..3.min(data.len())]).into_owned();
    let body = data[3..].to_vec();
    let api = Api::with_entropy(ClientConfig::new("abc123", ApiToken::new("t")).unwrap().with_max_response_bytes(64 * 1024), &mut Entropy::from_seed(1));
    let id = api.next_request_id();
    let r = HttpResponse::new(status, vec![Header::new("X-Retry-After", header.clone()), Header::new("X-Rate-Limit-Time-Reset-Ms", header)], body);
    let _ = api.parse_get_payment_methods(&id, &r);
    let _ = api.parse_create_access_token(&id, &r, 1_795_219_200_000);
    let _ = api.parse_process_payment(&id, &r, "stripe.card");
    let _ = api.parse_get_order(&id, &r);
    let _ = api.parse_get_transactions(&id, &r);
    let _ = api.parse_payment_action(Endpoint::CapturePayment, &id, &r);
    let _ = api.parse_create_refund_quote(&id, &r);
    let _ = api.parse_create_refund(&id, &r);
    let _ = api.parse_list_refunds(&id, &r);
    let _ = api.parse_get_stored_instruments(&id, &r);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = bcpay_core::api::decode_pat_claims(text);
        let _ = bcpay_core::error::scrub(text);
    }
});
