//! The sandbox's store: orders, customers, gift certificates, the charge ledger, and the API's
//! answers. Written from the specs independently of bcpay-core, so that the two cannot share a
//! misunderstanding.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// Probabilities (0–1) of each injected fault, and their parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// 503 before doing anything (any API call).
    pub server_error: f64,
    /// Process Payment: 500 with code 10000; half the time after committing the charge.
    pub code_10000: f64,
    /// Process Payment: commit, then answer only after `slow_ms` (past a client's timeout).
    pub slow: f64,
    /// Delay for `slow`, in ms.
    pub slow_ms: u64,
    /// Process Payment: commit, then reset the connection without answering.
    pub reset_after_commit: f64,
    /// Reset the connection before doing anything (any API call).
    pub reset_before_commit: f64,
    /// 429 with rate-limit headers (any API call).
    pub burst_429: f64,
    /// Create Payment Access Token: the token stops working after `pat_early_ms`.
    pub pat_expire_early: f64,
    /// Lifetime of early-expiring tokens, in ms.
    pub pat_early_ms: u64,
    /// A slow ledger: a committed payment shows in the order's transactions, status and amount
    /// paid only this many ms later (for every reader, Process Payment's own order check
    /// included, so a payment sent again in that time is charged again).
    pub ledger_lag_ms: u64,

    // A hostile server: each of these is on (non-zero) or off; they apply to every API call
    // unless named otherwise, and what they provoke is what no client may do.
    /// Process Payment answers this redirect status (301, 302, 307, 308) towards the trap.
    pub redirect_payments: u16,
    /// Management calls answer this redirect status towards the trap.
    pub redirect_management: u16,
    /// Get Payment Methods' and Process Payment's bodies arrive one byte per this many ms
    /// (Process Payment commits first).
    pub trickle_ms: u64,
    /// Process Payment commits, then answers 201 with a body this long (streamed, never valid).
    pub huge_body_bytes: u64,
    /// Calls are refused with a 400 whose text echoes the request's secret headers and body:
    /// 1 every call, 2 Process Payment only.
    pub echo: u8,
    /// Every call answers 429 with `X-Retry-After` set to this many seconds.
    pub retry_after_s: u64,
    /// Management answers say no requests are left until this many ms after the first; a
    /// management request after that first answer is refused with a 429 until then.
    pub budget_reset_ms: u64,
    /// Payment access tokens are issued already expired (`exp` equal to `iat`).
    pub pat_expired_at_issue: u8,
    /// The issuer's clock is this many seconds ahead (negative: behind) of the sandbox's.
    pub pat_clock_skew_s: i64,
}

impl Faults {
    /// Parses `name=value,name=value` (e.g. `reset_after_commit=0.05,slow=0.02,slow_ms=3000`).
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut map = serde_json::Map::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("fault {part:?} is not name=value"))?;
            let n: f64 = v.trim().parse().map_err(|_| format!("fault {k}: {v:?} is not a number"))?;
            let value = if n.fract() == 0.0 { json!(n as i64) } else { json!(n) };
            map.insert(k.trim().to_owned(), value);
        }
        let faults: Faults = serde_json::from_value(Value::Object(map.clone())).map_err(|e| e.to_string())?;
        let known = serde_json::to_value(Faults::default()).unwrap();
        if let Some(unknown) = map.keys().find(|k| known.get(k.as_str()).is_none()) {
            return Err(format!("unknown fault {unknown:?}"));
        }
        Ok(faults)
    }
}

/// Sandbox settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxConfig {
    /// The `X-Auth-Token` the management API accepts.
    pub api_token: String,
    /// Process Payment requests allowed per window.
    pub payments_quota: u32,
    /// Process Payment rate-limit window (ms).
    pub payments_window_ms: u64,
    /// Management API requests allowed per window.
    pub management_quota: u32,
    /// Management API window (ms).
    pub management_window_ms: u64,
    /// Injected faults.
    pub faults: Faults,
    /// Seed for fault decisions.
    pub seed: u64,
    /// Each API request waits this long (ms) before it is handled: a network's round trip, for
    /// latency benchmarks (`--latency-ms`). Admin paths answer at once.
    pub latency_ms: u64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            api_token: "sandbox-token".into(),
            payments_quota: 50,
            payments_window_ms: 4_000,
            management_quota: 20_000,
            management_window_ms: 30_000,
            faults: Faults::default(),
            seed: 1,
            latency_ms: 0,
        }
    }
}

/// One API request, as the HTTP layer hands it over.
pub struct ApiRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path without query.
    pub path: String,
    /// Decoded query parameters.
    pub query: HashMap<String, String>,
    /// Headers with lower-cased names.
    pub headers: HashMap<String, String>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// What the HTTP layer does with a reply.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// Answer normally.
    Respond,
    /// Close the connection without answering.
    Reset,
    /// Answer after this many ms.
    Delay(u64),
    /// Send the headers, then the body one byte per this many ms.
    Trickle(u64),
    /// Send the headers, then this many bytes of body, as fast as the client reads.
    Huge(u64),
}

/// An answer.
pub struct ApiReply {
    /// Status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// JSON body (empty for 204).
    pub body: Vec<u8>,
    /// What to do with it.
    pub effect: Effect,
}

fn reply(status: u16, body: Value) -> ApiReply {
    ApiReply {
        status,
        headers: Vec::new(),
        body: if status == 204 { Vec::new() } else { body.to_string().into_bytes() },
        effect: Effect::Respond,
    }
}

/// The spec's `ErrorResponse` body.
fn error(status: u16, code: Option<i64>, title: &str) -> ApiReply {
    let mut body =
        json!({"status": status, "title": title, "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"});
    if let Some(c) = code {
        body["code"] = json!(c);
    }
    reply(status, body)
}

fn field_error(field: &str, problem: &str) -> ApiReply {
    let mut r = json!({"status": 422, "title": "Unable to process the payment because invalid data was supplied with the transaction.", "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes", "code": 10001, "errors": {}});
    r["errors"][field] = json!(problem);
    reply(422, r)
}

/// One committed payment: the ledger's unit.
#[derive(Clone, Debug, Serialize)]
pub struct Charge {
    /// Process Payment's `data.id`.
    pub payment_id: String,
    /// The method it went through.
    pub payment_method_id: String,
    /// Amount in cents.
    pub amount_minor: i64,
    /// `purchase`, `authorization` or `pending`.
    pub event: String,
    /// When the sandbox committed it (ms since the epoch).
    pub at_ms: u64,
    /// The instrument's `type` (`card`, `stored_card`, …).
    pub instrument_type: String,
}

#[derive(Clone, Debug)]
struct Product {
    id: u64,
    product_id: Option<u64>,
    name: String,
    quantity: i64,
    price_minor: i64,
}

#[derive(Clone, Debug)]
struct Tx {
    /// When it was recorded (ms; 0 for records that show at once).
    at_ms: u64,
    id: u64,
    event: String,
    method: String,
    amount_minor: i64,
    payment_method_id: String,
    gateway_transaction_id: String,
}

#[derive(Clone, Debug)]
struct Order {
    id: u64,
    status_id: i64,
    payment_status: String,
    customer_id: u64,
    total_minor: i64,
    /// The grand total does not match the line items (`total_inc_tax` given, and different).
    totals_mismatch: bool,
    /// `staff_notes` is `sandbox:30100`: no payment access token can be created for it.
    refuses_tokens: bool,
    paid_minor: i64,
    products: Vec<Product>,
    charges: Vec<Charge>,
    transactions: Vec<Tx>,
    refunds: Vec<Value>,
    refunded_minor: i64,
    duplicate_attempts: u32,
    /// Each committed payment: when, and the order's status, payment status and amount paid
    /// just before it (what a lagging ledger still shows).
    commits: Vec<Commit>,
}

#[derive(Clone, Debug)]
struct Commit {
    at_ms: u64,
    status_id: i64,
    payment_status: String,
    paid_minor: i64,
}

/// An order as the store's readers see it at some time: behind by `ledger_lag_ms`.
struct View<'a> {
    status_id: i64,
    payment_status: &'a str,
    paid_minor: i64,
}

#[derive(Clone, Debug)]
struct Instrument {
    kind: &'static str,
    token: String,
    brand: Option<String>,
    last_4: Option<String>,
    iin: Option<String>,
    expiry: Option<(i64, i64)>,
    email: Option<String>,
    revoked: bool,
}

impl Instrument {
    fn json(&self, is_default: bool) -> Value {
        let mut v = json!({"type": self.kind, "token": self.token, "is_default": is_default});
        if let Some(b) = &self.brand {
            v["brand"] = json!(b);
            v["last_4"] = json!(self.last_4);
            v["issuer_identification_number"] = json!(self.iin);
            let (m, y) = self.expiry.unwrap_or((12, 2030));
            v["expiry_month"] = json!(m);
            v["expiry_year"] = json!(y);
        }
        if let Some(e) = &self.email {
            v["email"] = json!(e);
        }
        if self.kind == "stored_bank_account" {
            v["masked_account_number"] = json!("12XXX56");
            v["issuer"] = json!("DE001");
        }
        v
    }
}

struct Customer {
    store_credit_minor: i64,
    instruments: Vec<Instrument>,
}

/// A configured payment method.
struct Method {
    id: &'static str,
    name: &'static str,
    kind: &'static str,
    brands: &'static [&'static str],
    stored: &'static [&'static str],
    authorize_only: bool,
}

const METHODS: &[Method] = &[
    Method {
        id: "stripe.card",
        name: "Stripe",
        kind: "card",
        brands: &["VISA", "MASTERCARD", "AMEX", "DISCOVER", "JCB", "DINERS_CLUB"],
        stored: &["stored_card"],
        authorize_only: false,
    },
    Method {
        id: "authorizenet.card",
        name: "Authorize.Net (authorize only)",
        kind: "card",
        brands: &["VISA", "MASTERCARD"],
        stored: &[],
        authorize_only: true,
    },
    Method {
        id: "bolt.card",
        name: "Bolt",
        kind: "card",
        brands: &["VISA", "MASTERCARD"],
        stored: &[],
        authorize_only: false,
    },
    Method {
        id: "braintree.paypal",
        name: "Braintree (PayPal)",
        kind: "paypal",
        brands: &[],
        stored: &["stored_paypal_account"],
        authorize_only: false,
    },
    Method {
        id: "braintree.ach",
        name: "Braintree (ACH)",
        kind: "bank_account",
        brands: &[],
        stored: &["stored_bank_account"],
        authorize_only: false,
    },
    Method {
        id: "bigcommerce.gift_certificate",
        name: "Gift Certificate",
        kind: "gift_certificate",
        brands: &[],
        stored: &[],
        authorize_only: false,
    },
    Method {
        id: "bigcommerce.store_credit",
        name: "Store Credit",
        kind: "store_credit",
        brands: &[],
        stored: &[],
        authorize_only: false,
    },
];

/// Test cards and what they do (documented in the README).
pub const TEST_CARDS: &[(&str, &str)] = &[
    ("4242424242424242", "success (Visa)"),
    ("5555555555554444", "success (Mastercard)"),
    ("378282246310005", "success (American Express)"),
    ("4000000000000002", "30102 card details could not be verified"),
    ("4000000000000069", "30103 card expired"),
    ("4000000000000119", "30104 problem processing the card"),
    ("4000000000000259", "30105 duplicate transaction"),
    ("4000000000009995", "30106 insufficient funds"),
    ("4000000000003063", "10000 gateway difficulty (nothing charged)"),
    (
        "4000000000000341",
        "30050 cannot be saved (with save_instrument; charges otherwise)",
    ),
    ("4000000000003006", "30001 the gateway rejects the store's payment configuration"),
    (
        "4000000000003014",
        "30002 vaulting unavailable (with save_instrument; charges otherwise)",
    ),
];

/// Orders that provoke the documented codes no card can (documented in the README).
pub const TEST_ORDERS: &[(&str, &str)] = &[
    (
        "total_inc_tax differing from the sum of its products",
        "30004 line items and grand total do not match (Process Payment; nothing charged)",
    ),
    ("staff_notes \"sandbox:30100\"", "30100 payment access token could not be created"),
];

const JWT_SECRET: &[u8] = b"bcpay-sandbox-signing-key";
/// The customer seeded with store credit and stored instruments.
pub const SEEDED_CUSTOMER: u64 = 11;

fn sha_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

fn brand(digits: &str) -> Option<&'static str> {
    let p = |n: usize| digits.get(..n).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    match () {
        _ if digits.starts_with('4') => Some("VISA"),
        _ if (51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4)) => Some("MASTERCARD"),
        _ if p(2) == 34 || p(2) == 37 => Some("AMEX"),
        _ if p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3)) => Some("DISCOVER"),
        _ if (3528..=3589).contains(&p(4)) => Some("JCB"),
        _ if (300..=305).contains(&p(3)) || p(2) == 36 || p(2) == 38 || p(2) == 39 => Some("DINERS_CLUB"),
        _ => None,
    }
}

/// A transaction's `gateway`, from the spec's enum: BigCommerce's own methods are
/// `giftcertificate` and `storecredit`; a gateway the enum does not list is `custom`.
fn gateway_of(payment_method_id: &str) -> &'static str {
    match payment_method_id {
        "bigcommerce.gift_certificate" => "giftcertificate",
        "bigcommerce.store_credit" => "storecredit",
        id => match id.split('.').next().unwrap_or("") {
            "stripe" => "stripe",
            "braintree" => "braintree",
            "authorizenet" => "authorizenet",
            _ => "custom",
        },
    }
}

/// `http://<host>/stores/<hash>`: where this request's API lives, for links in answers.
fn api_root(req: &ApiRequest) -> String {
    let host = req.headers.get("host").map_or("127.0.0.1", String::as_str);
    let hash = req.path.split('/').nth(2).unwrap_or("");
    format!("http://{host}/stores/{hash}")
}

fn major(minor: i64) -> f64 {
    minor as f64 / 100.0
}

/// A short name for the call a request makes, for the request counters.
fn call_name(method: &str, path: &str) -> &'static str {
    let p = path.trim_end_matches('/');
    match method {
        "POST" if p.ends_with("/payments") => "process_payment",
        "POST" if p.ends_with("/payments/access_tokens") => "create_payment_access_token",
        "GET" if p.ends_with("/payments/methods") => "get_payment_methods",
        "GET" if p.ends_with("/transactions") => "get_order_transactions",
        "GET" if p.contains("/v2/orders/") => "get_order",
        "POST" if p.ends_with("/v2/orders") => "create_order",
        _ => "other",
    }
}

fn status_name(status_id: i64) -> &'static str {
    match status_id {
        0 => "Incomplete",
        1 => "Pending",
        5 => "Cancelled",
        7 => "Awaiting Payment",
        11 => "Awaiting Fulfillment",
        _ => "Other",
    }
}

/// The whole sandbox state.
pub struct Store {
    config: SandboxConfig,
    rng: u64,
    next_order: u64,
    next_id: u64,
    orders: BTreeMap<u64, Order>,
    customers: HashMap<u64, Customer>,
    gift_certificates: HashMap<String, i64>,
    used_tokens: HashSet<String>,
    /// Tokens created with `order.is_recurring`: their stored-card payments are merchant-initiated
    /// and need no CVV.
    recurring_tokens: HashSet<String>,
    early_expiry: HashMap<String, u64>,
    payment_window: VecDeque<u64>,
    management_window: (u64, u32),
    /// `budget_reset_ms`: when the budget announced as spent comes back (set by the first answer).
    budget_back_at: Option<u64>,
    /// Counts of injected faults by name.
    pub faults_injected: BTreeMap<String, u64>,
    /// Requests by call (`create_payment_access_token`, `process_payment`, …), for budgets in tests.
    requests: BTreeMap<&'static str, u64>,
    /// Requests that followed a redirect to the trap: what they carried.
    trap: Vec<Value>,
    /// Where honest exchanges are written for the spec check (`BCPAY_SANDBOX_RECORD`).
    recorder: Option<Recorder>,
}

/// Writes honest exchanges — no fault fired, no hostile setting on — as JSON lines to a file of
/// this sandbox's own in the directory `BCPAY_SANDBOX_RECORD` names, at most
/// [`Recorder::PER_KIND`] per call and status: `tests/sandbox/spec_check.py` validates them
/// against the official OpenAPI files.
struct Recorder {
    file: std::fs::File,
    seen: HashMap<(&'static str, u16), u32>,
}

impl Recorder {
    const PER_KIND: u32 = 25;

    fn from_env() -> Option<Recorder> {
        static SANDBOXES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let dir = std::path::PathBuf::from(std::env::var_os("BCPAY_SANDBOX_RECORD").filter(|d| !d.is_empty())?);
        std::fs::create_dir_all(&dir).ok()?;
        let n = SANDBOXES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.join(format!("sandbox-{}-{n}.jsonl", std::process::id()));
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path).ok()?;
        Some(Recorder {
            file,
            seen: HashMap::new(),
        })
    }

    fn write(&mut self, req: &ApiRequest, reply: &ApiReply) {
        use std::io::Write;
        let seen = self.seen.entry((call_name(&req.method, &req.path), reply.status)).or_default();
        if *seen >= Self::PER_KIND {
            return;
        }
        *seen += 1;
        let line = json!({"method": req.method, "path": req.path, "query": req.query, "request_body": String::from_utf8_lossy(&req.body),
                          "status": reply.status, "response_body": String::from_utf8_lossy(&reply.body)});
        let _ = writeln!(self.file, "{line}");
    }
}

impl Store {
    /// A store with the seeded customer, gift certificates and catalog.
    pub fn new(config: SandboxConfig) -> Store {
        let mut customers = HashMap::new();
        customers.insert(
            SEEDED_CUSTOMER,
            Customer {
                store_credit_minor: 1_500,
                instruments: vec![
                    Instrument {
                        kind: "stored_card",
                        token: sha_hex("customer-11-visa-4242"),
                        brand: Some("VISA".into()),
                        last_4: Some("4242".into()),
                        iin: Some("424242".into()),
                        expiry: Some((9, 2030)),
                        email: None,
                        revoked: false,
                    },
                    Instrument {
                        kind: "stored_paypal_account",
                        token: sha_hex("customer-11-paypal"),
                        brand: None,
                        last_4: None,
                        iin: None,
                        expiry: None,
                        email: Some("jane@example.com".into()),
                        revoked: false,
                    },
                    Instrument {
                        kind: "stored_bank_account",
                        token: sha_hex("customer-11-ach"),
                        brand: None,
                        last_4: None,
                        iin: None,
                        expiry: None,
                        email: None,
                        revoked: false,
                    },
                    Instrument {
                        kind: "stored_paypal_account",
                        token: sha_hex("customer-11-paypal-revoked"),
                        brand: None,
                        last_4: None,
                        iin: None,
                        expiry: None,
                        email: Some("revoked@example.com".into()),
                        revoked: true,
                    },
                ],
            },
        );
        let gift_certificates = [("GC-25-OFF", 2_500), ("GC-500", 50_000), ("GC-EMPTY", 0)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let rng = config.seed ^ 0x5DEE_CE66_D1CE_4E5B;
        Store {
            config,
            rng,
            next_order: 100,
            next_id: 1,
            orders: BTreeMap::new(),
            customers,
            gift_certificates,
            used_tokens: HashSet::new(),
            recurring_tokens: HashSet::new(),
            early_expiry: HashMap::new(),
            payment_window: VecDeque::new(),
            management_window: (0, 0),
            budget_back_at: None,
            faults_injected: BTreeMap::new(),
            requests: BTreeMap::new(),
            trap: Vec::new(),
            recorder: Recorder::from_env(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Replaces the fault settings.
    pub fn set_faults(&mut self, faults: Faults) {
        self.config.faults = faults;
    }

    fn roll(&mut self, p: f64, name: &str) -> bool {
        if p <= 0.0 {
            return false;
        }
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let hit = (z >> 11) as f64 / (1u64 << 53) as f64 <= p;
        if hit {
            *self.faults_injected.entry(name.to_owned()).or_default() += 1;
        }
        hit
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The ledger: every committed charge per order, and the oracle counts.
    pub fn ledger(&self) -> Value {
        let orders: Vec<Value> = self
            .orders
            .values()
            .map(|o| json!({"order_id": o.id, "status_id": o.status_id, "total_minor": o.total_minor, "paid_minor": o.paid_minor, "charges": o.charges, "duplicate_attempts": o.duplicate_attempts, "overcharged": o.paid_minor > o.total_minor}))
            .collect();
        let overcharged = self.orders.values().filter(|o| o.paid_minor > o.total_minor).count() as u64;
        let duplicate_attempts: u64 = self.orders.values().map(|o| u64::from(o.duplicate_attempts)).sum();
        json!({"orders": orders, "double_charges": overcharged + duplicate_attempts, "overcharged_orders": overcharged, "duplicate_attempts": duplicate_attempts, "faults_injected": self.faults_injected,
               "requests": self.requests, "trap_hits": self.trap.len(), "trap": self.trap})
    }

    /// Answers one request at `now_ms` (wall clock).
    pub fn handle(&mut self, req: &ApiRequest, now_ms: u64) -> ApiReply {
        if req.path.starts_with("/__sandbox/trap") {
            return self.trapped(req);
        }
        if let Some(rest) = req.path.strip_prefix("/__sandbox/") {
            return self.admin(req, rest);
        }
        let is_payment = req.path.ends_with("/payments") && req.method == "POST";
        *self.requests.entry(call_name(&req.method, &req.path)).or_default() += 1;
        if let Some(reply) = self.hostile(req, is_payment, now_ms) {
            return reply;
        }
        let faults_before: u64 = self.faults_injected.values().sum();
        let mut reply = self.answer(req, now_ms);
        if self.recorder.is_some()
            && self.is_honest()
            && faults_before == self.faults_injected.values().sum::<u64>()
            && matches!(reply.effect, Effect::Respond)
        {
            if let Some(r) = self.recorder.as_mut() {
                r.write(req, &reply);
            }
        }
        let faults = &self.config.faults;
        let trickled = is_payment || req.path.ends_with("/payments/methods");
        if faults.trickle_ms > 0 && trickled && matches!(reply.effect, Effect::Respond) {
            reply.effect = Effect::Trickle(faults.trickle_ms);
        }
        if faults.huge_body_bytes > 0 && is_payment && reply.status == 201 {
            reply.effect = Effect::Huge(faults.huge_body_bytes);
        }
        if faults.budget_reset_ms > 0 && !is_payment {
            self.budget_back_at.get_or_insert(now_ms + faults.budget_reset_ms);
            reply.headers.retain(|(k, _)| !k.to_ascii_lowercase().starts_with("x-rate-limit"));
            reply.headers.push(("X-Rate-Limit-Requests-Left".into(), "0".into()));
            reply
                .headers
                .push(("X-Rate-Limit-Time-Reset-Ms".into(), faults.budget_reset_ms.to_string()));
        }
        reply
    }

    /// No hostile setting is on: every answer is the API's own (faults by probability are
    /// counted as they fire).
    fn is_honest(&self) -> bool {
        let f = &self.config.faults;
        f.redirect_payments == 0
            && f.redirect_management == 0
            && f.trickle_ms == 0
            && f.huge_body_bytes == 0
            && f.echo == 0
            && f.retry_after_s == 0
            && f.budget_reset_ms == 0
            && f.pat_expired_at_issue == 0
            && f.pat_clock_skew_s == 0
    }

    /// The answers of a hostile server that come before any work.
    fn hostile(&mut self, req: &ApiRequest, is_payment: bool, now_ms: u64) -> Option<ApiReply> {
        let faults = self.config.faults.clone();
        if let Some(back_at) = self.budget_back_at.filter(|at| !is_payment && now_ms < *at) {
            let mut r = error(429, None, "Too many requests");
            let reset = back_at - now_ms;
            r.headers = vec![
                ("X-Rate-Limit-Requests-Left".into(), "0".into()),
                ("X-Rate-Limit-Time-Reset-Ms".into(), reset.to_string()),
                ("X-Retry-After".into(), reset.div_ceil(1000).to_string()),
            ];
            return Some(r);
        }
        let redirect = if is_payment {
            faults.redirect_payments
        } else {
            faults.redirect_management
        };
        if redirect > 0 {
            let host = req.headers.get("host").cloned().unwrap_or_default();
            let mut r = reply(redirect, json!({"moved": true}));
            r.headers
                .push(("Location".into(), format!("http://{host}/__sandbox/trap{}", req.path)));
            return Some(r);
        }
        if faults.echo == 1 || (faults.echo == 2 && is_payment) {
            let headers: Vec<String> = ["x-auth-token", "authorization"]
                .iter()
                .filter_map(|h| req.headers.get(*h).map(|v| format!("{h}: {v}")))
                .collect();
            let body = String::from_utf8_lossy(&req.body);
            return Some(reply(
                400,
                json!({"status": 400, "code": 10001, "type": "x", "title": format!("Rejected {}", headers.join("; ")), "detail": format!("Request was: {body}"),
                       "errors": {"request": format!("{} {body}", headers.join(" "))}}),
            ));
        }
        if faults.retry_after_s > 0 {
            let mut r = error(429, None, "Too many requests");
            r.headers.push(("X-Retry-After".into(), faults.retry_after_s.to_string()));
            return Some(r);
        }
        None
    }

    /// A request that followed a redirect: recorded, and answered with a lie (a "success").
    fn trapped(&mut self, req: &ApiRequest) -> ApiReply {
        let body = String::from_utf8_lossy(&req.body);
        self.trap.push(json!({
            "method": req.method, "path": req.path,
            "x_auth_token": req.headers.contains_key("x-auth-token"),
            "authorization": req.headers.contains_key("authorization"),
            "card_data": body.contains("\"number\"") || body.contains("verification_value"),
        }));
        reply(
            201,
            json!({"data": {"id": "trap", "status": "success", "transaction_type": "purchase"}}),
        )
    }

    /// Answers one API request (the honest part).
    fn answer(&mut self, req: &ApiRequest, now_ms: u64) -> ApiReply {
        let Some(rest) = req.path.strip_prefix("/stores/") else {
            return error(404, None, "Not found: API paths start with /stores/{store_hash}/");
        };
        let (hash, rest) = rest.split_once('/').unwrap_or((rest, ""));
        if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return error(404, None, "Store not found");
        }
        let rest = format!("/{rest}");
        let faults = self.config.faults.clone();
        if self.roll(faults.reset_before_commit, "reset_before_commit") {
            return ApiReply {
                effect: Effect::Reset,
                ..reply(500, Value::Null)
            };
        }
        if self.roll(faults.server_error, "server_error") {
            return error(503, None, "Service Unavailable");
        }
        if self.roll(faults.burst_429, "burst_429") {
            let mut r = error(429, None, "Too many requests");
            // A short burst, announced by its reset time only (X-Retry-After is whole seconds).
            r.headers = vec![
                ("X-Rate-Limit-Time-Reset-Ms".into(), "100".into()),
                ("X-Rate-Limit-Requests-Left".into(), "0".into()),
            ];
            return r;
        }
        if rest == "/payments" && req.method == "POST" {
            return self.process_payment(req, hash, now_ms);
        }
        if req.headers.get("x-auth-token").map(String::as_str) != Some(self.config.api_token.as_str()) {
            return error(401, None, "The X-Auth-Token header is missing or invalid.");
        }
        // Management rate limit: a fixed window, announced on every answer.
        let (start, count) = self.management_window;
        let (start, count) = if now_ms >= start + self.config.management_window_ms {
            (now_ms, 0)
        } else {
            (start, count)
        };
        let reset = (start + self.config.management_window_ms).saturating_sub(now_ms);
        let limit_headers = |left: u32| {
            vec![
                ("X-Rate-Limit-Requests-Left".to_owned(), left.to_string()),
                ("X-Rate-Limit-Requests-Quota".to_owned(), self.config.management_quota.to_string()),
                ("X-Rate-Limit-Time-Reset-Ms".to_owned(), reset.to_string()),
                (
                    "X-Rate-Limit-Time-Window-Ms".to_owned(),
                    self.config.management_window_ms.to_string(),
                ),
            ]
        };
        if count >= self.config.management_quota {
            let mut r = error(429, None, "Too many requests");
            r.headers = limit_headers(0);
            r.headers.push(("X-Retry-After".into(), reset.div_ceil(1000).to_string()));
            return r;
        }
        self.management_window = (start, count + 1);
        let headers = limit_headers(self.config.management_quota - count - 1);
        if req.method == "POST" && !req.headers.get("content-type").is_some_and(|c| c.starts_with("application/json")) {
            let mut r = error(415, None, "Content-Type must be application/json");
            r.headers = headers;
            return r;
        }
        let mut r = self.management(req, &rest, now_ms);
        r.headers.extend(headers);
        r
    }

    fn admin(&mut self, req: &ApiRequest, rest: &str) -> ApiReply {
        match (req.method.as_str(), rest) {
            ("GET", "ledger") => reply(200, self.ledger()),
            ("GET", "faults") => reply(200, serde_json::to_value(&self.config.faults).unwrap()),
            ("POST", "faults") => match serde_json::from_slice::<Faults>(&req.body) {
                Ok(f) => {
                    self.config.faults = f;
                    reply(200, serde_json::to_value(&self.config.faults).unwrap())
                }
                Err(e) => error(400, None, &format!("invalid faults: {e}")),
            },
            ("GET", "test-cards") => reply(
                200,
                json!(
                    TEST_CARDS
                        .iter()
                        .map(|(n, d)| json!({"number": n, "outcome": d}))
                        .collect::<Vec<_>>()
                ),
            ),
            _ => error(404, None, "Unknown sandbox admin path"),
        }
    }

    /// `o` as readers see it at `now_ms`: the state before the first payment that the lagging
    /// ledger does not show yet.
    fn view<'a>(&self, o: &'a Order, now_ms: u64) -> View<'a> {
        let lag = self.config.faults.ledger_lag_ms;
        match o.commits.iter().find(|c| c.at_ms.saturating_add(lag) > now_ms) {
            Some(c) => View {
                status_id: c.status_id,
                payment_status: &c.payment_status,
                paid_minor: c.paid_minor,
            },
            None => View {
                status_id: o.status_id,
                payment_status: &o.payment_status,
                paid_minor: o.paid_minor,
            },
        }
    }

    fn order_json(&self, o: &Order, req: &ApiRequest, now_ms: u64) -> Value {
        let v = self.view(o, now_ms);
        // The spec gives the order's products as a link to them, not as line items.
        let products =
            json!({"url": format!("{}/v2/orders/{}/products", api_root(req), o.id), "resource": format!("/orders/{}/products", o.id)});
        json!({"products": products,
            "id": o.id, "status_id": v.status_id, "status": status_name(v.status_id), "payment_status": v.payment_status,
            "customer_id": o.customer_id, "total_inc_tax": format!("{:.4}", major(o.total_minor)), "total_ex_tax": format!("{:.4}", major(o.total_minor)),
            "currency_code": "USD", "order_source": "external", "items_total": o.products.iter().map(|p| p.quantity).sum::<i64>(),
        })
    }

    fn management(&mut self, req: &ApiRequest, rest: &str, now_ms: u64) -> ApiReply {
        let parts: Vec<&str> = rest.trim_matches('/').split('/').collect();
        let id = |i: usize| parts.get(i).and_then(|s| s.parse::<u64>().ok());
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", ["v3", "payments", "methods"]) => self.payment_methods(req),
            ("POST", ["v3", "payments", "access_tokens"]) => self.create_token(req, now_ms),
            ("POST", ["v2", "orders"]) => self.create_order(req),
            ("GET", ["v2", "orders", _]) => match id(2).and_then(|i| self.orders.get(&i)) {
                Some(o) => reply(200, self.order_json(o, req, now_ms)),
                None => reply(404, json!([{"status": 404, "message": "The requested resource was not found."}])),
            },
            ("GET", ["v2", "orders", _, "products"]) => match id(2).and_then(|i| self.orders.get(&i)) {
                Some(o) => reply(
                    200,
                    json!(o.products.iter().map(|p| json!({"id": p.id, "order_id": o.id, "product_id": p.product_id.unwrap_or(0), "name": p.name, "quantity": p.quantity,
                                                            "price_inc_tax": format!("{:.4}", major(p.price_minor)), "price_ex_tax": format!("{:.4}", major(p.price_minor))})).collect::<Vec<_>>()),
                ),
                None => reply(404, json!([{"status": 404, "message": "The requested resource was not found."}])),
            },
            ("GET", ["v3", "orders", _, "transactions"]) => self.transactions(req, id(2), now_ms),
            ("POST", ["v3", "orders", _, "payment_actions", action]) => {
                let action = action.to_string();
                self.payment_action(id(2), &action, req)
            }
            ("GET", ["v3", "orders", _, "payment_actions", "refunds"]) => match id(2).and_then(|i| self.orders.get(&i)) {
                Some(o) => reply(200, json!({"data": o.refunds, "meta": {}})),
                None => error(404, None, "Order not found"),
            },
            ("GET", ["v3", "customers", _, "stored-instruments"]) => {
                let list: Vec<Value> = id(2)
                    .and_then(|c| self.customers.get(&c))
                    .map(|c| c.instruments.iter().enumerate().map(|(i, s)| s.json(i == 0)).collect())
                    .unwrap_or_default();
                reply(200, json!(list))
            }
            _ => error(404, None, "Not found"),
        }
    }

    fn payment_methods(&self, req: &ApiRequest) -> ApiReply {
        let customer = if let Some(order_id) = req.query.get("order_id") {
            match order_id.parse::<u64>().ok().and_then(|i| self.orders.get(&i)) {
                Some(o) => o.customer_id,
                None => return error(404, Some(30003), "Order could not be found."),
            }
        } else if req.query.get("checkout_id").is_some_and(|c| !c.is_empty()) {
            0
        } else {
            return error(400, None, "order_id or checkout_id is required");
        };
        let instruments = self.customers.get(&customer).map(|c| c.instruments.as_slice()).unwrap_or_default();
        let data: Vec<Value> = METHODS
            .iter()
            .filter(|m| customer != 0 || m.kind != "store_credit")
            .map(|m| {
                let mut supported: Vec<Value> = m.brands.iter().map(|b| json!({"instrument_type": b, "verification_value_required": true})).collect();
                for kind in m.stored {
                    supported.push(json!({"instrument_type": kind.to_ascii_uppercase(), "verification_value_required": *kind == "stored_card"}));
                }
                let stored: Vec<Value> = instruments.iter().filter(|s| m.stored.contains(&s.kind)).enumerate().map(|(i, s)| s.json(i == 0)).collect();
                json!({"id": m.id, "name": m.name, "test_mode": true, "type": m.kind, "supported_instruments": supported, "stored_instruments": stored})
            })
            .collect();
        reply(200, json!({"data": data, "meta": {}}))
    }

    fn create_order(&mut self, req: &ApiRequest) -> ApiReply {
        let v2_error = |message: &str| reply(400, json!([{"status": 400, "message": message}]));
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return v2_error("The request body is not valid JSON.");
        };
        let Some(billing) = body.get("billing_address").and_then(Value::as_object) else {
            return v2_error("The field 'billing_address' is required.");
        };
        for field in [
            "first_name",
            "last_name",
            "street_1",
            "city",
            "zip",
            "country",
            "country_iso2",
            "email",
        ] {
            if billing.get(field).and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
                return v2_error(&format!("The field 'billing_address.{field}' is required."));
            }
        }
        let Some(items) = body.get("products").and_then(Value::as_array).filter(|p| !p.is_empty()) else {
            return v2_error("The field 'products' must list at least one product.");
        };
        let mut products = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let quantity = item.get("quantity").and_then(Value::as_i64).unwrap_or(0);
            if quantity < 1 {
                return v2_error(&format!("The field 'products[{i}].quantity' must be at least 1."));
            }
            let (product_id, name, price_minor) = match item.get("product_id").and_then(Value::as_u64) {
                Some(118) => (Some(118), "BigCommerce Poster".to_owned(), 2_500),
                Some(119) => (Some(119), "BigCommerce Mug".to_owned(), 1_200),
                Some(other) => return v2_error(&format!("Product {other} does not exist (the sandbox catalog has 118 and 119).")),
                None => {
                    let name = item.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
                    let price = item.get("price_inc_tax").and_then(Value::as_f64);
                    match price {
                        Some(p) if !name.is_empty() && p >= 0.0 => (None, name, (p * 100.0).round() as i64),
                        _ => return v2_error(&format!("The field 'products[{i}]' needs product_id, or name and price_inc_tax.")),
                    }
                }
            };
            let id = self.next_id();
            products.push(Product {
                id,
                product_id,
                name,
                quantity,
                price_minor,
            });
        }
        let items_minor: i64 = products.iter().map(|p| p.price_minor * p.quantity).sum();
        // The V2 API takes explicit totals; one that differs from the line items is kept, and
        // Process Payment answers 30004 for it.
        let total_minor = match body.get("total_inc_tax") {
            None => items_minor,
            Some(t) => match t.as_f64().or_else(|| t.as_str().and_then(|s| s.parse().ok())) {
                Some(t) if t >= 0.0 => (t * 100.0).round() as i64,
                _ => return v2_error("The field 'total_inc_tax' must be a non-negative number."),
            },
        };
        self.next_order += 1;
        let order = Order {
            id: self.next_order,
            status_id: body.get("status_id").and_then(Value::as_i64).unwrap_or(0),
            payment_status: String::new(),
            customer_id: body.get("customer_id").and_then(Value::as_u64).unwrap_or(0),
            total_minor,
            totals_mismatch: total_minor != items_minor,
            refuses_tokens: body.get("staff_notes").and_then(Value::as_str) == Some("sandbox:30100"),
            paid_minor: 0,
            products,
            charges: Vec::new(),
            transactions: Vec::new(),
            refunds: Vec::new(),
            refunded_minor: 0,
            duplicate_attempts: 0,
            commits: Vec::new(),
        };
        let json = self.order_json(&order, req, 0);
        self.orders.insert(order.id, order);
        reply(200, json)
    }

    fn sign(&self, payload: &Value) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let head = e.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
        let body = e.encode(payload.to_string());
        let mut mac = Hmac::<Sha256>::new_from_slice(JWT_SECRET).expect("any key length");
        mac.update(format!("{head}.{body}").as_bytes());
        format!("{head}.{body}.{}", e.encode(mac.finalize().into_bytes()))
    }

    fn verify(&self, token: &str) -> Option<Value> {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut parts = token.split('.');
        let (head, body, sig) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(JWT_SECRET).ok()?;
        mac.update(format!("{head}.{body}").as_bytes());
        mac.verify_slice(&e.decode(sig).ok()?).ok()?;
        serde_json::from_slice(&e.decode(body).ok()?).ok()
    }

    fn create_token(&mut self, req: &ApiRequest, now_ms: u64) -> ApiReply {
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return error(400, None, "The request body is not valid JSON.");
        };
        let Some(order_id) = body.pointer("/order/id").and_then(Value::as_u64).filter(|i| *i >= 1) else {
            let mut r = error(422, None, "JSON data is missing or invalid");
            r.body = json!({"status": 422, "title": "JSON data is missing or invalid", "type": "x", "errors": {"order.id": "must be an integer of at least 1"}}).to_string().into_bytes();
            return r;
        };
        let Some(order) = self.orders.get(&order_id) else {
            return error(404, Some(30003), "Order could not be found.");
        };
        let view = self.view(order, now_ms);
        let due = order.total_minor - view.paid_minor;
        if !(view.status_id == 0 || (view.status_id == 1 && due > 0)) {
            return error(422, Some(30101), "Order is invalid.");
        }
        if order.refuses_tokens {
            return error(422, Some(30100), "Payment access token could not be created.");
        }
        // The issuer's clock, which may be skewed from the client's (and the sandbox's).
        let iat = (now_ms / 1000).saturating_add_signed(self.config.faults.pat_clock_skew_s);
        let life = if self.config.faults.pat_expired_at_issue > 0 { 0 } else { 3600 };
        let serial = self.next_id();
        let jti = format!("{:016x}-{serial}", self.rng);
        let claims = json!({"exp": iat + life, "nbf": iat, "iat": iat, "iss": "payments.bigcommerce.com", "sub": req.path.split('/').nth(2).unwrap_or(""), "jti": jti,
                            "data": {"store_id": 1_025_646, "order_id": order_id, "amount": due, "currency": "USD"}});
        if body.pointer("/order/is_recurring").and_then(Value::as_bool) == Some(true) {
            self.recurring_tokens.insert(jti.clone());
        }
        if self.roll(self.config.faults.pat_expire_early, "pat_expire_early") {
            self.early_expiry.insert(jti, now_ms + self.config.faults.pat_early_ms);
        }
        reply(201, json!({"data": {"id": self.sign(&claims)}, "meta": {}}))
    }

    fn process_payment(&mut self, req: &ApiRequest, _hash: &str, now_ms: u64) -> ApiReply {
        // Rate limit: a sliding window, as documented (50 per 4 s).
        let window = self.config.payments_window_ms;
        while self.payment_window.front().is_some_and(|t| t + window <= now_ms) {
            self.payment_window.pop_front();
        }
        if self.payment_window.len() >= self.config.payments_quota as usize {
            let reset = (self.payment_window.front().copied().unwrap_or(now_ms) + window)
                .saturating_sub(now_ms)
                .max(1);
            let mut r = error(429, None, "Too many requests");
            r.headers = vec![
                ("X-Rate-Limit-Requests-Left".into(), "0".into()),
                ("X-Rate-Limit-Requests-Quota".into(), self.config.payments_quota.to_string()),
                ("X-Rate-Limit-Time-Reset-Ms".into(), reset.to_string()),
                ("X-Rate-Limit-Time-Window-Ms".into(), window.to_string()),
                ("X-Retry-After".into(), reset.div_ceil(1000).to_string()),
            ];
            *self.faults_injected.entry("rate_limited_429".into()).or_default() += 1;
            return r;
        }
        self.payment_window.push_back(now_ms);

        if req.headers.get("accept").map(String::as_str) != Some("application/vnd.bc.v1+json") {
            return error(406, None, "Accept must be application/vnd.bc.v1+json");
        }
        if !req.headers.get("content-type").is_some_and(|c| c.starts_with("application/json")) {
            return error(415, None, "Content-Type must be application/json");
        }
        let Some(token) = req.headers.get("authorization").and_then(|a| a.strip_prefix("PAT ")) else {
            return error(401, None, "Authorization must be `PAT <payment access token>`");
        };
        let Some(claims) = self.verify(token) else {
            return error(401, None, "The payment access token is invalid.");
        };
        let jti = claims["jti"].as_str().unwrap_or_default().to_owned();
        // Expiry is judged on the issuer's clock.
        let exp_ms = claims["exp"].as_u64().unwrap_or(0) * 1000;
        let issuer_now_ms = now_ms.saturating_add_signed(self.config.faults.pat_clock_skew_s.saturating_mul(1000));
        if issuer_now_ms >= exp_ms || self.early_expiry.get(&jti).is_some_and(|t| now_ms >= *t) {
            return error(401, None, "The payment access token has expired.");
        }
        if self.used_tokens.contains(&jti) {
            return error(401, None, "The payment access token has already been used.");
        }
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return error(400, Some(10001), "The request body is not valid JSON.");
        };
        let payment = &body["payment"];
        let Some(method_id) = payment["payment_method_id"].as_str().filter(|s| !s.is_empty()) else {
            return field_error("payment.payment_method_id", "is required");
        };
        let Some(instrument) = payment["instrument"].as_object() else {
            return field_error("payment.instrument", "is required");
        };
        let order_id = claims.pointer("/data/order_id").and_then(Value::as_u64).unwrap_or(0);
        let Some(order) = self.orders.get(&order_id) else {
            return error(422, Some(30003), "Order could not be found.");
        };
        // What the gateway knows of the order: behind, when the ledger lags.
        let view = self.view(order, now_ms);
        let fully_paid = order.total_minor > 0 && view.paid_minor >= order.total_minor;
        let payable = view.status_id == 0 || view.status_id == 1;
        let due = order.total_minor - view.paid_minor;
        let customer_id = order.customer_id;
        if fully_paid || !payable {
            if fully_paid {
                // A payment for an order that is already paid: the oracle counts it.
                self.orders.get_mut(&order_id).expect("checked above").duplicate_attempts += 1;
            }
            return error(422, Some(30101), "Order is invalid.");
        }
        let recurring = self.recurring_tokens.remove(&jti);
        self.used_tokens.insert(jti);
        if order.totals_mismatch {
            return error(422, Some(30004), "The validation on line item and grand total does not match.");
        }

        let Some(method) = METHODS.iter().find(|m| m.id == method_id) else {
            return error(422, Some(30000), "Merchant payment configuration could not be found.");
        };
        let save = payment["save_instrument"].as_bool().unwrap_or(false);
        let kind = instrument.get("type").and_then(Value::as_str).unwrap_or("");
        let outcome = self.charge(method, kind, instrument, due, customer_id, save, recurring, now_ms);
        let (amount, tx_method) = match outcome {
            Ok(x) => x,
            Err(reply) => return reply,
        };

        // Commit.
        let payment_id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            self.rng as u32,
            order_id & 0xffff,
            self.next_id() & 0xfff,
            0,
            now_ms
        );
        let event = if method.kind == "bank_account" {
            "pending"
        } else if method.authorize_only {
            "authorization"
        } else {
            "purchase"
        };
        let tx_id = self.next_id();
        let order = self.orders.get_mut(&order_id).expect("checked above");
        order.commits.push(Commit {
            at_ms: now_ms,
            status_id: order.status_id,
            payment_status: order.payment_status.clone(),
            paid_minor: order.paid_minor,
        });
        order.paid_minor += amount;
        order.charges.push(Charge {
            payment_id: payment_id.clone(),
            payment_method_id: method_id.to_owned(),
            amount_minor: amount,
            event: event.to_owned(),
            at_ms: now_ms,
            instrument_type: kind.to_owned(),
        });
        order.transactions.push(Tx {
            at_ms: now_ms,
            id: tx_id,
            event: event.to_owned(),
            method: tx_method.to_owned(),
            amount_minor: amount,
            payment_method_id: method_id.to_owned(),
            gateway_transaction_id: format!("gw_{tx_id}"),
        });
        if order.paid_minor >= order.total_minor {
            order.status_id = 11;
            order.payment_status = match event {
                "authorization" => "authorized",
                "pending" => "pending",
                _ => "captured",
            }
            .into();
        } else {
            order.status_id = 1;
            // The V2 spec's enum has no "partially paid": the order waits for the rest.
            order.payment_status = "pending".into();
        }

        let status = if event == "pending" { "pending" } else { "success" };
        let transaction_type = if event == "authorization" { "authorization" } else { "purchase" };
        let ok = reply(
            201,
            json!({"data": {"id": payment_id, "status": status, "transaction_type": transaction_type}}),
        );
        let faults = self.config.faults.clone();
        if self.roll(faults.reset_after_commit, "reset_after_commit") {
            return ApiReply {
                effect: Effect::Reset,
                ..ok
            };
        }
        if self.roll(faults.code_10000 / 2.0, "code_10000_after_commit") {
            return error(
                500,
                Some(10000),
                "We're experiencing difficulty processing your transaction. Please try again later.",
            );
        }
        if self.roll(faults.slow, "slow") {
            return ApiReply {
                effect: Effect::Delay(faults.slow_ms),
                ..ok
            };
        }
        ok
    }

    /// Decides one instrument's outcome: the amount to charge and the transaction method, or the
    /// API's error. Nothing is committed here except a gift certificate's or store credit's
    /// balance and a saved card, which the caller's commit always follows.
    #[allow(clippy::too_many_arguments)]
    fn charge(
        &mut self,
        method: &Method,
        kind: &str,
        i: &serde_json::Map<String, Value>,
        due: i64,
        customer_id: u64,
        save: bool,
        recurring: bool,
        now_ms: u64,
    ) -> Result<(i64, &'static str), ApiReply> {
        let text = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let gateway_trouble = self.config.faults.code_10000 / 2.0;
        if self.roll(gateway_trouble, "code_10000_before_commit") {
            return Err(error(
                500,
                Some(10000),
                "We're experiencing difficulty processing your transaction. Please try again later.",
            ));
        }
        match kind {
            "card" | "tokenized_card" if method.kind != "card" => {
                Err(error(422, Some(30000), "Merchant payment configuration could not be found."))
            }
            "card" => {
                let number: String = text("number").chars().filter(char::is_ascii_digit).collect();
                if text("cardholder_name").trim().is_empty() {
                    return Err(field_error("payment.instrument.cardholder_name", "is required"));
                }
                let month = i.get("expiry_month").and_then(Value::as_i64).unwrap_or(0);
                let year = i.get("expiry_year").and_then(Value::as_i64).unwrap_or(0);
                if !(1..=12).contains(&month) || !(1000..=9999).contains(&year) {
                    return Err(error(422, Some(30050), "Payment instrument could not be saved."));
                }
                let Some(brand) = brand(&number).filter(|_| luhn(&number)) else {
                    return Err(error(
                        422,
                        Some(30102),
                        "Your card details could not be verified. Please double check them and try again.",
                    ));
                };
                if !method.brands.contains(&brand) {
                    return Err(field_error("payment.instrument.number", "card brand not accepted"));
                }
                let cvv = text("verification_value");
                if cvv.is_empty() {
                    return Err(field_error("payment.instrument.verification_value", "is required"));
                }
                let days = (now_ms / 86_400_000) as i64;
                let (y, m) = civil(days);
                if (year, month) < (y, m) {
                    return Err(error(
                        422,
                        Some(30103),
                        "Your card has expired. Please try again with a valid card.",
                    ));
                }
                match number.as_str() {
                    "4000000000000002" => {
                        return Err(error(
                            422,
                            Some(30102),
                            "Your card details could not be verified. Please double check them and try again.",
                        ));
                    }
                    "4000000000000069" => {
                        return Err(error(
                            422,
                            Some(30103),
                            "Your card has expired. Please try again with a valid card.",
                        ));
                    }
                    "4000000000000119" => {
                        return Err(error(
                            422,
                            Some(30104),
                            "There was a problem processing your card. Please contact your card issuer.",
                        ));
                    }
                    "4000000000000259" => {
                        return Err(error(
                            422,
                            Some(30105),
                            "This is a duplicate transaction. Please contact us to confirm your order. Do not try to pay again.",
                        ));
                    }
                    "4000000000009995" => return Err(error(422, Some(30106), "The payment was declined due to insufficient funds.")),
                    "4000000000003063" => {
                        return Err(error(
                            500,
                            Some(10000),
                            "We're experiencing difficulty processing your transaction. Please try again later.",
                        ));
                    }
                    "4000000000000341" if save => return Err(error(422, Some(30050), "Payment instrument could not be saved.")),
                    "4000000000003006" => {
                        return Err(error(
                            422,
                            Some(30001),
                            "Merchant payment configuration is not configured correctly.",
                        ));
                    }
                    "4000000000003014" if save => return Err(error(422, Some(30002), "Vaulting service is currently not available.")),
                    _ => {}
                }
                if save {
                    if customer_id == 0 {
                        return Err(error(422, Some(30050), "Payment instrument could not be saved."));
                    }
                    let token = sha_hex(&format!("customer-{customer_id}-card-{number}-{month}-{year}"));
                    let customer = self.customers.entry(customer_id).or_insert(Customer {
                        store_credit_minor: 0,
                        instruments: Vec::new(),
                    });
                    if !customer.instruments.iter().any(|s| s.token == token) {
                        customer.instruments.push(Instrument {
                            kind: "stored_card",
                            token,
                            brand: Some(brand.into()),
                            last_4: Some(number[number.len() - 4..].into()),
                            iin: Some(number[..6].into()),
                            expiry: Some((month, year)),
                            email: None,
                            revoked: false,
                        });
                    }
                }
                Ok((due, "credit_card"))
            }
            "tokenized_card" => {
                if text("token").is_empty() {
                    return Err(field_error("payment.instrument.token", "is required"));
                }
                Ok((due, "token"))
            }
            "stored_card" | "stored_paypal_account" | "stored_bank_account" => {
                if !method.stored.contains(&kind) {
                    return Err(error(422, Some(30000), "Merchant payment configuration could not be found."));
                }
                let token = text("token");
                let found = self
                    .customers
                    .get(&customer_id)
                    .and_then(|c| c.instruments.iter().find(|s| s.kind == kind && s.token == token))
                    .cloned();
                let Some(stored) = found else {
                    return Err(error(
                        422,
                        Some(30051),
                        "That stored payment instrument could not be found. Please try a different payment option.",
                    ));
                };
                if stored.revoked {
                    return Err(error(422, Some(30107), "The authorization for this transaction has been revoked."));
                }
                // A recurring (merchant-initiated) charge has no shopper to give a CVV.
                if kind == "stored_card" && !recurring && text("verification_value").is_empty() {
                    return Err(field_error("payment.instrument.verification_value", "is required"));
                }
                Ok((due, if kind == "stored_card" { "credit_card" } else { "token" }))
            }
            "gift_certificate" => {
                let code = text("gift_certificate_code");
                match self.gift_certificates.get_mut(&code) {
                    Some(balance) if *balance > 0 => {
                        let amount = (*balance).min(due);
                        *balance -= amount;
                        Ok((amount, "gift_certificate"))
                    }
                    _ => Err(field_error(
                        "payment.instrument.gift_certificate_code",
                        "is invalid or has no balance",
                    )),
                }
            }
            "store_credit" => {
                if customer_id == 0 {
                    return Err(field_error("payment.instrument", "store credit is not available for guest orders"));
                }
                match self.customers.get_mut(&customer_id) {
                    Some(c) if c.store_credit_minor > 0 => {
                        let amount = c.store_credit_minor.min(due);
                        c.store_credit_minor -= amount;
                        Ok((amount, "store_credit"))
                    }
                    _ => Err(field_error("payment.instrument", "the customer has no store credit")),
                }
            }
            other => Err(field_error(
                "payment.instrument.type",
                &format!("unknown instrument type {other:?}"),
            )),
        }
    }

    fn transactions(&self, req: &ApiRequest, order_id: Option<u64>, now_ms: u64) -> ApiReply {
        let Some(order) = order_id.and_then(|i| self.orders.get(&i)) else {
            return reply(404, json!({"status": 404, "title": "The resource was not found.", "type": "x"}));
        };
        let lag = self.config.faults.ledger_lag_ms;
        let shown: Vec<&Tx> = order
            .transactions
            .iter()
            .filter(|t| t.at_ms.saturating_add(lag) <= now_ms)
            .collect();
        if shown.is_empty() {
            return reply(204, Value::Null);
        }
        let limit = req
            .query
            .get("limit")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(50)
            .clamp(1, 250);
        let page = req.query.get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);
        let total = shown.len();
        let pages = total.div_ceil(limit);
        let data: Vec<Value> = shown
            .iter()
            .skip((page - 1) * limit)
            .take(limit)
            .map(|t| {
                json!({"id": t.id, "order_id": order.id.to_string(), "event": t.event, "method": t.method, "amount": major(t.amount_minor), "currency": "USD",
                       "gateway": gateway_of(&t.payment_method_id), "gateway_transaction_id": t.gateway_transaction_id, "status": "ok", "test": true,
                       "fraud_review": false, "payment_method_id": t.payment_method_id, "date_created": "2026-11-21T00:00:00+00:00"})
            })
            .collect();
        reply(
            200,
            json!({"data": data, "meta": {"pagination": {"total": total, "count": data.len(), "per_page": limit, "current_page": page, "total_pages": pages}}}),
        )
    }

    fn payment_action(&mut self, order_id: Option<u64>, action: &str, req: &ApiRequest) -> ApiReply {
        let next = self.next_id();
        let Some(order) = order_id.and_then(|i| self.orders.get_mut(&i)) else {
            return error(404, None, "Order not found");
        };
        let authorized: i64 = order
            .charges
            .iter()
            .filter(|c| c.event == "authorization")
            .map(|c| c.amount_minor)
            .sum();
        match action {
            "capture" | "void" => {
                if authorized == 0 || order.payment_status != "authorized" {
                    return error(422, None, &format!("The order has no authorization to {action}."));
                }
                let event = action.to_owned();
                order.transactions.push(Tx {
                    at_ms: 0,
                    id: next,
                    event,
                    method: "credit_card".into(),
                    amount_minor: authorized,
                    payment_method_id: "authorizenet.card".into(),
                    gateway_transaction_id: format!("gw_{next}"),
                });
                if action == "capture" {
                    order.payment_status = "captured".into();
                } else {
                    order.payment_status = "void".into();
                    order.status_id = 5;
                }
                reply(201, json!({"data": {}, "meta": {}}))
            }
            "refund_quotes" | "refunds" => {
                let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
                    return error(400, None, "Input is invalid.");
                };
                let mut total = 0i64;
                for item in body["items"].as_array().cloned().unwrap_or_default() {
                    let amount = match (item["item_type"].as_str(), item.get("amount").and_then(Value::as_f64)) {
                        (Some("PRODUCT"), _) => {
                            let q = item["quantity"].as_i64().unwrap_or(0);
                            order
                                .products
                                .iter()
                                .find(|p| Some(p.id) == item["item_id"].as_u64())
                                .map(|p| p.price_minor * q)
                                .unwrap_or(0)
                        }
                        (Some(_), Some(a)) => (a * 100.0).round() as i64,
                        _ => 0,
                    };
                    total += amount;
                }
                let refundable = order.paid_minor - order.refunded_minor;
                if total <= 0 || total > refundable {
                    return reply(
                        422,
                        json!({"status": 422, "title": "The refund amount is not refundable.", "type": "x", "errors": {"items": "exceed the refundable amount"}}),
                    );
                }
                if action == "refund_quotes" {
                    // The money goes back the way it came, newest payment first: a split order's
                    // refund is a method of several parts, one per provider.
                    let mut parts: Vec<(&'static str, i64)> = Vec::new();
                    let mut left = total;
                    for c in order.charges.iter().rev() {
                        let take = left.min(c.amount_minor);
                        if take <= 0 {
                            break;
                        }
                        left -= take;
                        let provider = gateway_of(&c.payment_method_id);
                        match parts.iter_mut().find(|(p, _)| *p == provider) {
                            Some((_, a)) => *a += take,
                            None => parts.push((provider, take)),
                        }
                    }
                    let online: Vec<Value> = parts
                        .iter()
                        .map(|(p, a)| json!({"provider_id": p, "provider_description": p, "amount": major(*a), "offline": false, "offline_provider": false, "offline_reason": ""}))
                        .collect();
                    // An item with the reason `sandbox:offline` gets a quote a merchant can only
                    // refund outside BigCommerce (a custom, offline provider).
                    let offline_only = body["items"]
                        .as_array()
                        .is_some_and(|items| items.iter().any(|i| i["reason"] == "sandbox:offline"));
                    let methods = if offline_only {
                        json!([[{"provider_id": "custom", "provider_description": "Custom", "amount": major(total), "offline": true, "offline_provider": true, "offline_reason": "This is an offline payment provider."}]])
                    } else {
                        json!([online])
                    };
                    return reply(
                        201,
                        json!({"data": {"order_id": order.id, "total_refund_amount": major(total), "total_refund_tax_amount": 0, "rounding": 0, "adjustment": 0, "tax_inclusive": true,
                        "refund_methods": methods}, "meta": {}}),
                    );
                }
                let paid: i64 = body["payments"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| (p["amount"].as_f64().unwrap_or(0.0) * 100.0).round() as i64)
                            .sum()
                    })
                    .unwrap_or(0);
                if paid != total {
                    return reply(
                        422,
                        json!({"status": 422, "title": "Refund payments must add up to the refund total.", "type": "x"}),
                    );
                }
                order.refunded_minor += total;
                order.transactions.push(Tx {
                    at_ms: 0,
                    id: next,
                    event: "refund".into(),
                    method: "credit_card".into(),
                    amount_minor: total,
                    payment_method_id: order.charges.last().map(|c| c.payment_method_id.clone()).unwrap_or_default(),
                    gateway_transaction_id: format!("gw_{next}"),
                });
                let refund = json!({"id": next, "order_id": order.id, "user_id": 0, "created": "2026-11-21T00:00:00Z", "total_amount": major(total), "total_tax": 0,
                                    "uses_merchant_override_values": false, "items": body["items"], "payments": body["payments"].as_array().cloned().unwrap_or_default().into_iter().enumerate().map(|(i, mut p)| { p["id"] = json!(next * 10 + i as u64); p["is_declined"] = json!(false); p["declined_message"] = json!(""); p }).collect::<Vec<_>>()});
                let mut refund = refund;
                // The spec's `reason` is a string, never null: absent when the items give none.
                if let Some(reason) = body["items"][0]["reason"].as_str() {
                    refund["reason"] = json!(reason);
                }
                order.refunds.push(refund.clone());
                reply(201, json!({"data": refund, "meta": {}}))
            }
            _ => error(404, None, "Unknown payment action"),
        }
    }
}

/// Civil (year, month) from days since the epoch. The same algorithm as bcpay-core's: written
/// again on purpose, since the sandbox must not share code (or mistakes) with the SDK it tests.
fn civil(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards_are_luhn_valid() {
        for (n, _) in TEST_CARDS {
            assert!(luhn(n), "{n}");
        }
    }

    #[test]
    fn faults_parse() {
        let f = Faults::parse("reset_after_commit=0.05, slow=0.1,slow_ms=3000").unwrap();
        assert_eq!(f.reset_after_commit, 0.05);
        assert_eq!(f.slow_ms, 3000);
        assert!(Faults::parse("nonsense=1").is_err());
        assert!(Faults::parse("slow").is_err());
    }
}
