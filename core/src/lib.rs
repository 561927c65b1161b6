//! # bcpay-core
//!
//! The transport-agnostic, IO-free engine of bcpay, the client SDK for the BigCommerce
//! Payments API. It builds and validates complete HTTP requests, parses responses, classifies
//! errors and drives the payment flow as a pure state machine. The host performs HTTP and reads
//! the clock; the core never does.
//!
//! - [`api::Api`]: stateless `build_*` / `parse_*` for every call (payment methods, access
//!   tokens, process payment, orders, transactions, capture, void, refunds, stored instruments).
//! - [`flow::PaymentFlow`]: methods → token → process, with retries, rate limiting and
//!   reconciliation of unclear outcomes, so a payment is never sent twice blindly.
//! - [`session::Session`]: one store's API, shared rate limiter and entropy; every payment flow
//!   and single call ([`session::CallFlow`]: limiter, retries by one rule, transaction pages,
//!   time budget, cancellation) starts here, so hosts only move bytes and sleep.
//! - [`error::PaymentError`]: one error type, classified by API code and HTTP status.
//! - [`validate`]: every input rule, collected as field errors.
//! - [`secret`]: card data and tokens as redacting, zeroizing types.
//! - [`read`]: how every input and response body is read from JSON, with the leniency the API's
//!   mixed editions need, in one place.
//!
//! ```
//! use bcpay_core::{api::{Api, MethodsQuery}, config::ClientConfig, secret::ApiToken};
//! let api = Api::new(ClientConfig::new("abc123", ApiToken::new("token"))?);
//! let request = api.build_get_payment_methods(&MethodsQuery::OrderId(215))?;
//! assert_eq!(request.url, "https://api.bigcommerce.com/stores/abc123/v3/payments/methods?order_id=215");
//! # Ok::<(), bcpay_core::error::PaymentError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod config;
pub mod error;
pub mod flow;
pub mod http;
pub mod journal;
pub mod json_api;
pub mod model;
pub mod observe;
pub mod ratelimit;
pub mod read;
pub mod relay;
pub mod rng;
pub mod secret;
pub mod session;
pub mod validate;

pub use api::{Api, MethodsQuery};
pub use config::{ClientConfig, ClientSettings};
pub use error::{ErrorKind, FieldError, PaymentError, RetryAdvice};
pub use flow::{Action, FlowOptions, PaymentFlow};
pub use http::{Endpoint, Header, HttpRequest, HttpResponse, Method, RequestId, TransportFailure};
pub use observe::{Decision, FlowEvent};
pub use ratelimit::{Permit, RateLimitConfig, RateLimiter, SharedRateLimiter};
pub use session::{Call, CallFlow, CallOutput, Operation, Session};
