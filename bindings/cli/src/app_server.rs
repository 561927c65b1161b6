//! `bcpay app-server`: a stand-in for a merchant's own server, for building a shopper-facing app
//! against. An app must never hold the store's API token, so it talks to its server, which pays
//! with bcpay (see `bcpay_core::relay`). This one holds an embedded sandbox and offers the two
//! endpoints such a server has:
//! - `POST /checkout` → `{"order_id", "methods"}`: a new sandbox order and its accepted methods
//!   (what the app's card form checks brands against);
//! - `POST /pay` with a `bcpay.payment_request` envelope → the `bcpay.payment_outcome` envelope.
//!
//! A real server would authenticate the shopper and pass the order it is checking out as
//! `expect_order_id`; this one is for local development only and listens on 127.0.0.1.

use anstream::println;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::post;
use bcpay::api::MethodsQuery;
use bcpay::secret::ApiToken;
use bcpay::{Client, ClientConfig, FlowOptions, PaymentError, ReqwestTransport};
use bcpay_sandbox::{Sandbox, SandboxConfig};
use std::sync::Arc;

type Shared = Arc<Client<ReqwestTransport>>;

const JSON: [(axum::http::HeaderName, &str); 1] = [(CONTENT_TYPE, "application/json")];

async fn checkout(State(client): State<Shared>) -> impl IntoResponse {
    let answer = async {
        let order_id = crate::demo::new_order(&client, 30.0).await?;
        let methods = client.get_payment_methods(&MethodsQuery::OrderId(order_id)).await?;
        // `methods` last, so that an app without a JSON library can cut it out.
        Ok::<_, PaymentError>(format!(
            r#"{{"order_id":{order_id},"methods":{}}}"#,
            bcpay::json_api::to_json(&methods)
        ))
    };
    match answer.await {
        Ok(body) => (axum::http::StatusCode::OK, JSON, body),
        Err(e) => (axum::http::StatusCode::BAD_GATEWAY, JSON, bcpay::json_api::error_json(&e)),
    }
}

async fn pay(State(client): State<Shared>, body: Bytes) -> impl IntoResponse {
    (JSON, client.pay_from_app(&body, None).await)
}

/// Serves until interrupted. `settle_window_ms` shortens how long an unclear payment is settled
/// (60 s by default), so an app's tests of the ambiguous outcome do not wait a minute.
pub async fn run(port: u16, settle_window_ms: u64) -> Result<(), PaymentError> {
    let unavailable = |e: std::io::Error| PaymentError::configuration("port", "unavailable", &e.to_string());
    let sandbox = Sandbox::start(SandboxConfig::default(), 0).await.map_err(unavailable)?;
    let config = ClientConfig::new("demo123", ApiToken::new(sandbox.api_token()))?
        .with_api_base(&sandbox.base_url())?
        .with_payments_base(&sandbox.base_url())?
        .with_host("app-server");
    let options = FlowOptions {
        settle_window_ms,
        reconcile_delay_ms: (settle_window_ms / 10).clamp(100, 2_000),
        ..FlowOptions::default()
    };
    let client: Shared = Arc::new(Client::new(config).with_options(options));
    let app = Router::new()
        .route("/checkout", post(checkout))
        .route("/pay", post(pay))
        .with_state(client);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.map_err(unavailable)?;
    let addr = listener.local_addr().map_err(unavailable)?;
    println!("bcpay app-server listening on http://{addr}  (POST /checkout, POST /pay; Ctrl-C stops)");
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum::serve(listener, app).with_graceful_shutdown(stop).await.map_err(unavailable)
}
