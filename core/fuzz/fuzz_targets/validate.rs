//! Any JSON as a payment (or a split list) through validation and request building: field
//! errors or a request, never a panic.
#![no_main]
use bcpay_core::model::{NewOrder, Payment, RefundRequest};
use bcpay_core::rng::Entropy;
use bcpay_core::secret::{ApiToken, PatSecret};
use bcpay_core::{Api, ClientConfig, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = 1_795_219_200_000;
    let api = Api::with_entropy(ClientConfig::new("abc123", ApiToken::new("t")).unwrap(), &mut Entropy::from_seed(1));
    if let Ok(p) = serde_json::from_slice::<Payment>(data) {
        let _ = validate::validate_payments(std::slice::from_ref(&p), now, None);
        let _ = api.build_process_payment(&PatSecret::new("x.y.z"), &p, now, None);
    }
    if let Ok(ps) = serde_json::from_slice::<Vec<Payment>>(data) {
        let _ = validate::validate_payments(&ps, now, None);
    }
    if let Ok(o) = serde_json::from_slice::<NewOrder>(data) {
        let _ = api.build_create_order(&o);
    }
    if let Ok(r) = serde_json::from_slice::<RefundRequest>(data) {
        let _ = api.build_create_refund(215, &r);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        let _ = validate::detect_brand(&digits);
        let _ = validate::luhn_valid(&digits);
        let _ = validate::validate_payment_method_id("p", s);
    }
});
