//! HTTP transports: the [`Transport`] trait and the default [`ReqwestTransport`].

use bcpay_core::http::{Header, HttpRequest, HttpResponse, Method, TransportFailure, is_read_header};
use std::future::Future;

/// Sends one complete request and returns the response, or why there is none.
///
/// Implementations must report failures honestly: [`TransportFailure::NotSent`] only when the
/// server certainly never received the request (the connection was never established), since
/// the flow resends payments only then.
pub trait Transport {
    /// Sends `request` exactly as built.
    fn send(&self, request: &HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>>;
}

/// Why a transport got no response: the [`TransportFailure`] that decides what the flow may do,
/// and the library's or the OS's words for it, which the core scrubs and keeps on the error and
/// the transport-failure event (`connect: Connection refused`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    /// Whether the server may have seen the request.
    pub failure: TransportFailure,
    /// What happened, in the transport's words.
    pub cause: Option<String>,
}

impl TransportError {
    /// `failure`, in `cause`'s words.
    pub fn new(failure: TransportFailure, cause: impl Into<String>) -> TransportError {
        TransportError {
            failure,
            cause: Some(cause.into()),
        }
    }
}

impl From<TransportFailure> for TransportError {
    fn from(failure: TransportFailure) -> TransportError {
        TransportError { failure, cause: None }
    }
}

/// A reqwest error's text with its sources (`error sending request: client error (Connect):
/// tcp connect error: Connection refused (os error 111)`): the top line alone hides the cause.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = e.source();
    }
    text
}

fn reqwest_error(error: &reqwest::Error) -> TransportError {
    TransportError::new(classify_reqwest_error(error), describe(error))
}

/// The default transport: one pooled reqwest client that never follows a redirect, a total
/// deadline per request (headers and body together), and a cap on the body it reads. It hands
/// over only the response headers the core reads ([`bcpay_core::http::RESPONSE_HEADERS_READ`]).
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    timeout_ms: u64,
    max_body_bytes: usize,
}

impl ReqwestTransport {
    /// A transport whose requests must finish, body included, within `timeout_ms`.
    pub fn new(timeout_ms: u64) -> ReqwestTransport {
        Self::with_client(no_redirects(reqwest::Client::builder()), timeout_ms)
    }

    /// A transport over an existing reqwest client (its pool, proxy and TLS settings). Build it
    /// with `redirect(reqwest::redirect::Policy::none())`: a followed redirect can carry the API
    /// token or card data to another origin.
    pub fn with_client(client: reqwest::Client, timeout_ms: u64) -> ReqwestTransport {
        ReqwestTransport {
            client,
            timeout_ms,
            max_body_bytes: bcpay_core::config::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// Stops reading a body after `bytes` (+1, so the core sees it is over its limit). The
    /// client sets this to its configuration's `max_response_bytes`.
    pub fn with_max_body_bytes(mut self, bytes: usize) -> ReqwestTransport {
        self.max_body_bytes = bytes;
        self
    }
}

fn no_redirects(builder: reqwest::ClientBuilder) -> reqwest::Client {
    #[cfg(not(target_arch = "wasm32"))]
    let builder = builder.redirect(reqwest::redirect::Policy::none());
    builder.build().unwrap_or_default()
}

/// Maps a reqwest error onto what the server may have seen. Connect errors (DNS, refused, TLS
/// handshake) happen before any byte of the request is written: `NotSent`. A timeout is
/// `TimedOut` unless it happened while connecting. Anything else happened after the request
/// was (at least partly) written: `MaybeSent`.
pub fn classify_reqwest_error(error: &reqwest::Error) -> TransportFailure {
    #[cfg(not(target_arch = "wasm32"))]
    if error.is_connect() {
        return TransportFailure::NotSent;
    }
    if error.is_builder() {
        return TransportFailure::NotSent;
    }
    if error.is_timeout() {
        return TransportFailure::TimedOut;
    }
    TransportFailure::MaybeSent
}

impl Transport for ReqwestTransport {
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut builder = self.client.request(method, &request.url);
        #[cfg(not(target_arch = "wasm32"))]
        {
            builder = builder.timeout(std::time::Duration::from_millis(self.timeout_ms));
        }
        for h in &request.headers {
            builder = builder.header(&h.name, &h.value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = builder.send().await.map_err(|e| reqwest_error(&e))?;
        let status = response.status().as_u16();
        // Only the headers the core reads: the others would be copied for nothing.
        let headers = response
            .headers()
            .iter()
            .filter(|(k, _)| is_read_header(k.as_str()))
            .map(|(k, v)| Header::new(k.as_str(), v.to_str().unwrap_or("")))
            .collect();
        // The status arrived, so the server acted; a body that breaks off is still MaybeSent.
        // Read through the cap: one byte past it is enough for the core to refuse the body.
        let mut response = response;
        // Room for the declared length up front (within the cap): one allocation, not a doubling
        // series.
        let mut body = Vec::with_capacity(
            response
                .content_length()
                .map_or(0, |n| n.min(self.max_body_bytes as u64 + 1) as usize),
        );
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = (self.max_body_bytes + 1).saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() > self.max_body_bytes {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(TransportError::new(TransportFailure::TimedOut, describe(&e))),
                Err(e) => return Err(TransportError::new(TransportFailure::MaybeSent, describe(&e))),
            }
        }
        Ok(HttpResponse { status, headers, body })
    }
}
