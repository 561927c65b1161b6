//! No card number, CVV, payment access token or API token is left behind in freed memory.
//!
//! This test binary's global allocator scans every block as it is freed, including the old block
//! of every reallocation, for the secrets of the scenarios below: whole payment flows, the JSON
//! API the bindings use, error responses that echo card data, and redacted renderings. The
//! scenarios' own inputs are built without growing buffers and held in `Zeroizing`, the way the
//! bindings hold theirs, so any find is the core's.

use bcpay_core::http::{Header, HttpResponse};
use bcpay_core::json_api;
use bcpay_core::model::Payment;
use bcpay_core::rng::Entropy;
use bcpay_core::secret::{ApiToken, CardNumber, PatSecret};
use bcpay_core::{Action, Api, ClientConfig, FlowOptions, PaymentFlow, RateLimitConfig, RateLimiter, RequestId};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use zeroize::Zeroizing;

const PAN: &str = "4000056655665556";
const API_TOKEN: &str = "sentinel-api-token-7f3a";
/// The signature is what makes the JWT a credential; header and payload are readable claims.
const PAT_SIGNATURE: &str = "c2VudGluZWwtcGF0LXNpZ25hdHVyZS05YjI";
const PAT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDAsIm5iZiI6MTc5NTIxOTIwMCwiaWF0IjoxNzk1MjE5MjAwLCJkYXRhIjp7Im9yZGVyX2lkIjoyMTV9fQ.c2VudGluZWwtcGF0LXNpZ25hdHVyZS05YjI";
const NOW: u64 = 1_795_219_200_000;

macro_rules! card_json {
    () => {
        r#"{"instrument":{"type":"card","number":"4000056655665556","cardholder_name":"Jane Doe","expiry_month":12,"expiry_year":2030,"verification_value":"918"},"payment_method_id":"stripe.card"}"#
    };
}
const PAYMENTS_JSON: &str = concat!("[", card_json!(), "]");
const PROCESS_INPUT_JSON: &str = concat!(
    r#"{"pat":"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDAsIm5iZiI6MTc5NTIxOTIwMCwiaWF0IjoxNzk1MjE5MjAwLCJkYXRhIjp7Im9yZGVyX2lkIjoyMTV9fQ.c2VudGluZWwtcGF0LXNpZ25hdHVyZS05YjI","now_ms":1795219200000,"payment":"#,
    card_json!(),
    "}"
);
const METHODS_BODY: &str = r#"{"data":[{"id":"stripe.card","name":"Stripe","test_mode":true,"type":"card","supported_instruments":[{"instrument_type":"VISA","verification_value_required":true}],"stored_instruments":[]}],"meta":{}}"#;
const TOKEN_BODY: &str = r#"{"data":{"id":"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDAsIm5iZiI6MTc5NTIxOTIwMCwiaWF0IjoxNzk1MjE5MjAwLCJkYXRhIjp7Im9yZGVyX2lkIjoyMTV9fQ.c2VudGluZWwtcGF0LXNpZ25hdHVyZS05YjI"},"meta":{}}"#;
const PAID_BODY: &str = r#"{"data":{"id":"693bb4cd-3f20-444a-8315-6369f582c68a","status":"success","transaction_type":"purchase"}}"#;
// No escaped strings here: serde_json copies those through a scratch buffer of its own that it
// frees unwiped, which only the bindings' wiping allocator reaches (see `secret.rs`, "Memory").
const ECHOING_ERROR_BODY: &str = r#"{"status":422,"title":"Card 4000056655665556 rejected","detail":"card 4000-0566-5566-5556","type":"x","code":30102,"errors":{"number":"4000056655665556 is invalid"}}"#;

/// The card number as a `Vec<char>` or `[char]` holds it (UTF-32, little-endian).
const fn utf32(s: &str) -> [u8; 64] {
    let bytes = s.as_bytes();
    let mut out = [0u8; 64];
    let mut i = 0;
    while i < 16 {
        out[i * 4] = bytes[i];
        i += 1;
    }
    out
}
const PAN_UTF32: [u8; 64] = utf32(PAN);

const NEEDLES: [(&str, &[u8]); 5] = [
    ("card number", PAN.as_bytes()),
    ("card number as chars", &PAN_UTF32),
    ("verification value", br#""verification_value":"918""#),
    ("payment access token", PAT_SIGNATURE.as_bytes()),
    ("API token", API_TOKEN.as_bytes()),
];

static ARMED: AtomicBool = AtomicBool::new(false);
/// 1 + the index of the first needle found in a freed block (0: none).
static FOUND: AtomicUsize = AtomicUsize::new(0);
static FOUND_IN_BLOCK_OF: AtomicUsize = AtomicUsize::new(0);

/// Zeroes every new block (so the scan reads only initialized bytes) and scans every freed one.
struct ScanningAllocator;

unsafe impl GlobalAlloc for ScanningAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Relaxed) && FOUND.load(Ordering::Relaxed) == 0 {
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if let Some(i) = NEEDLES
                .iter()
                .position(|(_, needle)| block.windows(needle.len()).any(|w| w == *needle))
            {
                FOUND_IN_BLOCK_OF.store(layout.size(), Ordering::Relaxed);
                FOUND.store(i + 1, Ordering::Relaxed);
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Always move, so that the old block passes through the scan.
        let new = unsafe { self.alloc(Layout::from_size_align_unchecked(new_size, layout.align())) };
        if !new.is_null() {
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: ScanningAllocator = ScanningAllocator;

fn assert_nothing_found(scenario: &str) {
    let found = FOUND.load(Ordering::Relaxed);
    assert!(
        found == 0,
        "{scenario}: a freed block of {} bytes held the {}",
        FOUND_IN_BLOCK_OF.load(Ordering::Relaxed),
        NEEDLES[found - 1].0
    );
}

fn text(s: &'static str) -> Zeroizing<String> {
    Zeroizing::new(String::from(s))
}

fn response(status: u16, body: &'static str) -> Zeroizing<HttpResponse> {
    Zeroizing::new(HttpResponse::new(
        status,
        vec![Header::new("Content-Type", "application/json")],
        body.as_bytes().to_vec(),
    ))
}

fn api() -> Arc<Api> {
    Arc::new(Api::with_entropy(
        ClientConfig::new("abc123", ApiToken::new(API_TOKEN)).unwrap(),
        &mut Entropy::from_seed(7),
    ))
}

fn payments() -> Vec<Payment> {
    json_api::input(&text(PAYMENTS_JSON), "payments").unwrap()
}

/// Methods → token → process, then everything dropped.
fn whole_payment() {
    let responses = [response(200, METHODS_BODY), response(201, TOKEN_BODY), response(201, PAID_BODY)];
    let limiter = RateLimiter::shared(RateLimitConfig::default());
    let mut flow = PaymentFlow::with_limiter(api(), limiter, Entropy::from_seed(1), 215, payments(), FlowOptions::default(), NOW).unwrap();
    let mut answered = 0;
    let receipt = loop {
        match flow.poll(NOW) {
            Action::Send { request } => {
                flow.on_response(&request.id, &responses[answered], NOW);
                answered += 1;
            }
            Action::Done { output: receipt } => break receipt,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!((answered, receipt.payments.len()), (3, 1));
}

/// A Process Payment refused with a body that echoes the card data back.
fn echoed_card_data() {
    let api = api();
    let request = api.build_process_payment(&PatSecret::new(PAT), &payments()[0], NOW, None).unwrap();
    let error = api
        .parse_process_payment(&request.id, &response(422, ECHOING_ERROR_BODY), "stripe.card")
        .unwrap_err();
    let rendered = Zeroizing::new(format!("{error} {error:?}"));
    assert!(!rendered.contains(PAN), "{}", rendered.as_str());
}

/// The JSON API as the bindings call it, their text held in `Zeroizing`.
fn json_api_calls() {
    let api = api();
    let request = json_api::build(&api, "process_payment", &text(PROCESS_INPUT_JSON)).unwrap();
    assert!(request.body.is_some());
    drop(request);
    let errors = Zeroizing::new(json_api::validate(&text(PAYMENTS_JSON), NOW, None).unwrap());
    assert_eq!(errors.as_str(), "[]");
    let token = Zeroizing::new(
        json_api::parse(
            &api,
            "create_payment_access_token",
            &RequestId("r-1".into()),
            &response(201, TOKEN_BODY),
            r#"{"now_ms":1795219200000}"#,
        )
        .unwrap(),
    );
    assert!(token.contains(PAT));
}

/// Debug and Display show redacted forms without copying the secret first.
fn renderings() {
    let pan = CardNumber::new(PAN);
    let rendered = format!("{pan:?} {pan}");
    assert!(rendered.ends_with("•••• 5556"), "{rendered}");
    let pat = PatSecret::new(PAT);
    assert!(!format!("{pat:?} {pat}").contains(PAT_SIGNATURE));
}

#[test]
fn no_secret_is_left_in_freed_memory() {
    // The scan must be able to fail: a plain String holding the card number, dropped unwiped.
    ARMED.store(true, Ordering::Relaxed);
    drop(String::from(PAN));
    ARMED.store(false, Ordering::Relaxed);
    assert_eq!(FOUND.swap(0, Ordering::Relaxed), 1, "the scan did not see a dropped card number");

    ARMED.store(true, Ordering::Relaxed);
    for (name, scenario) in [
        ("whole payment", whole_payment as fn()),
        ("card data echoed in an error", echoed_card_data),
        ("JSON API", json_api_calls),
        ("renderings", renderings),
    ] {
        scenario();
        assert_nothing_found(name);
    }
    ARMED.store(false, Ordering::Relaxed);
}
