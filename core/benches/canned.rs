//! Canned responses of one payment (methods, token, process) and its card, shared by the
//! criterion bench and the callgrind example: they measure the same work.

use bcpay_core::http::{Header, HttpResponse};
use bcpay_core::model::Payment;

/// The bench's clock.
pub const NOW: u64 = 1_795_219_200_000;
/// A payment access token living an hour.
pub const PAT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3OTUyMjI4MDAsIm5iZiI6MTc5NTIxOTIwMCwiaWF0IjoxNzk1MjE5MjAwLCJpc3MiOiJwYXltZW50cy5iaWdjb21tZXJjZS5jb20iLCJzdWIiOiJhYmMxMjMiLCJqdGkiOiJqIiwiZGF0YSI6eyJzdG9yZV9pZCI6MSwib3JkZXJfaWQiOjIxNSwiYW1vdW50Ijo2MDk4LCJjdXJyZW5jeSI6IlVTRCJ9fQ.c2ln";

/// Get Payment Methods, Create Payment Access Token and Process Payment answers.
pub fn responses() -> [HttpResponse; 3] {
    let h = || vec![Header::new("Content-Type", "application/json")];
    [
        HttpResponse::new(200, h(), br#"{"data":[{"id":"stripe.card","name":"Stripe","test_mode":true,"type":"card","supported_instruments":[{"instrument_type":"VISA","verification_value_required":true},{"instrument_type":"MASTERCARD","verification_value_required":true},{"instrument_type":"AMEX","verification_value_required":true},{"instrument_type":"STORED_CARD","verification_value_required":true}],"stored_instruments":[{"type":"stored_card","brand":"VISA","expiry_month":9,"expiry_year":2030,"issuer_identification_number":"424242","last_4":"4242","token":"050a1e5c982e5905288ec5ec33f292772762033a0704f46fccb16bf1940b51ef","is_default":true}]},{"id":"bigcommerce.gift_certificate","name":"Gift Certificate","test_mode":false,"type":"gift_certificate","supported_instruments":[],"stored_instruments":[]}],"meta":{}}"#.to_vec()),
        HttpResponse::new(201, h(), format!(r#"{{"data":{{"id":"{PAT}"}},"meta":{{}}}}"#).into_bytes()),
        HttpResponse::new(201, h(), br#"{"data":{"id":"693bb4cd-3f20-444a-8315-6369f582c68a","status":"success","transaction_type":"purchase"}}"#.to_vec()),
    ]
}

/// A valid card payment.
pub fn payment() -> Payment {
    serde_json::from_str(r#"{"instrument":{"type":"card","number":"4242424242424242","cardholder_name":"Jane Doe","expiry_month":12,"expiry_year":2030,"verification_value":"123"},"payment_method_id":"stripe.card"}"#).unwrap()
}
