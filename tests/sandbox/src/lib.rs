//! # bcpay-sandbox
//!
//! A local stand-in for the BigCommerce Payments API (like stripe-mock for Stripe): both API
//! hosts' paths under `/stores/{store_hash}/…` on one listener, test cards for every documented
//! outcome, seeded fault injection, and a ledger of every charge (`GET /__sandbox/ledger`) that
//! is the oracle for "never double-charge".

pub mod store;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use store::{ApiRequest, Effect, Store};
pub use store::{Faults, SandboxConfig, TEST_CARDS};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};

type Shared = Arc<Mutex<Store>>;

/// Ends this process once its standard input reaches end of file. A test host that spawns a
/// sandbox passes a pipe it holds as stdin (`--stop-when-stdin-closes`): if the host crashes, the
/// kernel closes the pipe and the sandbox goes too, instead of living on as an orphan that keeps
/// the host's inherited stderr open, and with it the test runner waiting for that output's end.
pub fn stop_when_stdin_closes() {
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        std::process::exit(0);
    });
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    store: Shared,
    shutdown: Option<oneshot::Sender<()>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Closes the connection a request came in on, without answering.
#[derive(Clone, Default)]
struct ConnectionControl(Arc<Notify>);

async fn handle(
    State(store): State<Shared>,
    Extension(conn): Extension<ConnectionControl>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let request = ApiRequest {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query,
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or("").to_owned()))
            .collect::<HashMap<_, _>>(),
        body: body.to_vec(),
    };
    let latency_ms = store.lock().unwrap_or_else(|p| p.into_inner()).config().latency_ms;
    if latency_ms > 0 && !request.path.starts_with("/__sandbox/") {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let reply = {
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        store.handle(&request, now_ms())
    };
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match reply.effect {
        Effect::Reset => {
            conn.0.notify_one();
            std::future::pending::<()>().await;
            unreachable!("a reset connection never answers")
        }
        Effect::Delay(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Body::from(reply.body)
        }
        Effect::Respond => Body::from(reply.body),
        Effect::Trickle(ms) => trickle(reply.body, ms),
        Effect::Huge(bytes) => huge(bytes),
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    if reply.status != 204 {
        h.insert("content-type", HeaderValue::from_static("application/json"));
    }
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(&v)) {
            h.insert(k, v);
        }
    }
    response
}

impl Sandbox {
    /// Starts a sandbox on 127.0.0.1:`port` (0 picks a free port).
    pub async fn start(config: SandboxConfig, port: u16) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let store: Shared = Arc::new(Mutex::new(Store::new(config)));
        let router = Router::new().fallback(handle).with_state(store.clone());
        let (tx, mut rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = &mut rx => break,
                    accepted = listener.accept() => accepted,
                };
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let control = ConnectionControl::default();
                let service = TowerToHyperService::new(router.clone().layer(Extension(control.clone())));
                tokio::spawn(async move {
                    // A second handle on the socket, to reset it (linger 0: closing sends RST, as
                    // a crashed server would) only when a reply says so. Linger 0 on every
                    // connection would also cut off the tail of large bodies sent before an
                    // ordinary close (seen: a client reading a 2,000-order ledger got ECONNRESET).
                    let reset_handle = stream
                        .as_fd()
                        .try_clone_to_owned()
                        .ok()
                        .and_then(|fd| tokio::net::TcpStream::from_std(std::net::TcpStream::from(fd)).ok());
                    let conn = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = control.0.notified() => {
                            if let Some(handle) = &reset_handle {
                                let _ = socket2_linger_zero(handle);
                            }
                        }
                    }
                });
            }
        });
        Ok(Sandbox {
            addr,
            store,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:<port>`: use it as both the API base and the payments base.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The charge ledger (as `GET /__sandbox/ledger`).
    pub fn ledger(&self) -> Value {
        self.store.lock().unwrap_or_else(|p| p.into_inner()).ledger()
    }

    /// Replaces the fault settings.
    pub fn set_faults(&self, faults: Faults) {
        self.store.lock().unwrap_or_else(|p| p.into_inner()).set_faults(faults);
    }

    /// The API token the sandbox accepts.
    pub fn api_token(&self) -> String {
        self.store.lock().unwrap_or_else(|p| p.into_inner()).config().api_token.clone()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// `body`, one byte per `ms`: a server (or a proxy) that never quite finishes.
fn trickle(body: Vec<u8>, ms: u64) -> Body {
    let bytes = futures_util::stream::unfold((body, 0usize), move |(body, at)| async move {
        if at >= body.len() {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(ms)).await;
        let byte = Bytes::copy_from_slice(&body[at..at + 1]);
        Some((Ok::<_, std::io::Error>(byte), (body, at + 1)))
    });
    Body::from_stream(bytes)
}

/// `total` bytes of a JSON-looking body that never ends properly, 64 KiB at a time.
fn huge(total: u64) -> Body {
    const CHUNK: usize = 64 * 1024;
    let head = br#"{"data":{"id":"huge","status":"success"},"padding":""#;
    let bytes = futures_util::stream::unfold(0u64, move |sent| async move {
        if sent >= total {
            return None;
        }
        let n = (total - sent).min(CHUNK as u64) as usize;
        let mut chunk = vec![b'x'; n];
        if sent == 0 {
            let k = head.len().min(n);
            chunk[..k].copy_from_slice(&head[..k]);
        }
        Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), sent + n as u64))
    });
    Body::from_stream(bytes)
}

fn socket2_linger_zero(stream: &tokio::net::TcpStream) -> std::io::Result<()> {
    #[allow(deprecated)]
    stream.set_linger(Some(Duration::ZERO))
}
