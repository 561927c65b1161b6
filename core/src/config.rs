//! Client configuration: which store, which credentials, which hosts.

use crate::error::PaymentError;
use crate::read::deserialize_with_reader;
use crate::secret::ApiToken;
use bcpay_derive::FromJson;

/// The management API host.
pub const DEFAULT_API_BASE: &str = "https://api.bigcommerce.com";
/// The Payments API host.
pub const DEFAULT_PAYMENTS_BASE: &str = "https://payments.bigcommerce.com";
/// Largest response body the parser accepts (bytes). Larger bodies are an `InvalidResponse`.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Total time a default transport allows one request, headers and body together (ms).
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// Longest accepted `timeout_ms`: one hour.
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;
/// The SDK's version, in the user agent.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A validated store hash (the `{store_hash}` in every URL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreHash(String);

impl StoreHash {
    /// Checks that `hash` is 1–32 lowercase letters and digits, as BigCommerce issues them —
    /// which also keeps it from altering a URL path.
    pub fn parse(hash: &str) -> Result<StoreHash, PaymentError> {
        let ok = !hash.is_empty() && hash.len() <= 32 && hash.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok {
            Ok(StoreHash(hash.to_owned()))
        } else {
            Err(PaymentError::configuration(
                "store_hash",
                "invalid_store_hash",
                "The store hash must be 1-32 lowercase letters and digits (the part after /stores/ in the API path).",
            ))
        }
    }

    /// The hash as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Everything needed to address one store. Build it with [`ClientConfig::new`] or from
/// [`ClientSettings`].
#[derive(Clone, Debug)]
pub struct ClientConfig {
    store_hash: StoreHash,
    api_token: ApiToken,
    api_base: String,
    payments_base: String,
    user_agent: String,
    max_response_bytes: usize,
    timeout_ms: u64,
}

/// The environment variables a host reads a setting from when its caller does not give it
/// (the CLI, the Node and Python clients): `(setting, variable)`. A setting given explicitly
/// always wins. The core reads no environment itself (it does no IO).
pub const SETTINGS_FROM_ENV: &[(&str, &str)] = &[
    ("store_hash", "BCPAY_STORE_HASH"),
    ("api_token", "BCPAY_API_TOKEN"),
    ("api_base", "BCPAY_API_BASE"),
    ("payments_base", "BCPAY_PAYMENTS_BASE"),
];

/// The plain settings a host passes in (JSON, JS object, Python kwargs, …).
#[derive(Clone, Debug, FromJson)]
#[json(expected = "a settings object", deny_unknown)]
pub struct ClientSettings {
    /// Store hash.
    pub store_hash: String,
    /// API account access token (`X-Auth-Token`).
    pub api_token: ApiToken,
    /// Management API base URL; defaults to [`DEFAULT_API_BASE`].
    pub api_base: Option<String>,
    /// Payments API base URL; defaults to [`DEFAULT_PAYMENTS_BASE`].
    pub payments_base: Option<String>,
    /// Host name for the user agent (`node`, `python`, …); defaults to `rust`.
    pub host: Option<String>,
    /// Largest accepted response body (bytes); defaults to [`DEFAULT_MAX_RESPONSE_BYTES`].
    pub max_response_bytes: Option<usize>,
    /// Total deadline of one request for the default transports (ms, 1 to [`MAX_TIMEOUT_MS`]);
    /// defaults to [`DEFAULT_TIMEOUT_MS`].
    pub timeout_ms: Option<u64>,
}

/// Checks a base URL: `https://host[:port][/path]`, or `http://` to a loopback host (a local
/// sandbox). Plain `http://` elsewhere would send the API token and card data unencrypted.
fn validate_base(path: &str, url: &str) -> Result<String, PaymentError> {
    let trimmed = url.trim().trim_end_matches('/');
    let (rest, secure) = match (trimmed.strip_prefix("https://"), trimmed.strip_prefix("http://")) {
        (Some(rest), _) => (Some(rest), true),
        (None, rest) => (rest, false),
    };
    let authority = rest.map(|r| r.split('/').next().unwrap_or(""));
    let well_formed = match (rest, authority) {
        (Some(rest), Some(authority)) => {
            !authority.is_empty() && !authority.contains('@') && !rest.contains(['?', '#', ' ', '\\', '\n', '\r', '\t'])
        }
        _ => false,
    };
    if !well_formed {
        return Err(PaymentError::configuration(
            path,
            "invalid_base_url",
            "A base URL must be https:// followed by a host (and optional port and path), without credentials, query or fragment.",
        ));
    }
    if !secure && !authority.is_some_and(is_loopback_authority) {
        return Err(PaymentError::configuration(
            path,
            "insecure_base_url",
            "A base URL must use https://; plain http:// is accepted only for a loopback host (localhost, 127.0.0.0/8, [::1]), such as a local sandbox.",
        ));
    }
    Ok(trimmed.to_owned())
}

/// `localhost`, `127.x.y.z` or `[::1]`, with an optional port.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => {
            return v6
                .split_once(']')
                .is_some_and(|(ip, port)| ip == "::1" && (port.is_empty() || port.starts_with(':')));
        }
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4 && octets[0] == "127" && octets.iter().all(|o| !o.is_empty() && o.len() <= 3 && o.parse::<u8>().is_ok())
}

impl ClientConfig {
    /// A configuration for `store_hash` with the default hosts.
    pub fn new(store_hash: &str, api_token: ApiToken) -> Result<ClientConfig, PaymentError> {
        let store_hash = StoreHash::parse(store_hash)?;
        if api_token.expose().trim().is_empty() {
            return Err(PaymentError::configuration(
                "api_token",
                "missing_api_token",
                "An API account access token is required.",
            ));
        }
        if !crate::http::is_header_value(api_token.expose()) {
            return Err(PaymentError::configuration(
                "api_token",
                "invalid_api_token",
                "The API account access token contains a line break or another control character; copy it again from the store's API account.",
            ));
        }
        Ok(ClientConfig {
            store_hash,
            api_token,
            api_base: DEFAULT_API_BASE.to_owned(),
            payments_base: DEFAULT_PAYMENTS_BASE.to_owned(),
            user_agent: format!("bcpay/{VERSION} (rust)"),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            timeout_ms: DEFAULT_TIMEOUT_MS,
        })
    }

    /// A configuration from host-supplied settings; the first bad setting is the error (store
    /// hash, then the bases, then the timeout).
    pub fn from_settings(settings: ClientSettings) -> Result<ClientConfig, PaymentError> {
        let mut config = ClientConfig::new(&settings.store_hash, settings.api_token)?;
        if let Some(api) = settings.api_base {
            config = config.with_api_base(&api)?;
        }
        if let Some(payments) = settings.payments_base {
            config = config.with_payments_base(&payments)?;
        }
        if let Some(host) = settings.host {
            config = config.with_host(&host);
        }
        if let Some(bytes) = settings.max_response_bytes {
            config = config.with_max_response_bytes(bytes);
        }
        if let Some(ms) = settings.timeout_ms {
            config = config.with_timeout_ms(ms)?;
        }
        Ok(config)
    }

    /// Sets the total deadline of one request (headers and body) for the default transports.
    pub fn with_timeout_ms(mut self, ms: u64) -> Result<ClientConfig, PaymentError> {
        if ms == 0 || ms > MAX_TIMEOUT_MS {
            return Err(PaymentError::configuration(
                "timeout_ms",
                "invalid_timeout",
                "The timeout must be a whole number of milliseconds from 1 to 3600000.",
            ));
        }
        self.timeout_ms = ms;
        Ok(self)
    }

    /// Total deadline of one request (ms).
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// Overrides the management API base (e.g. a local sandbox).
    pub fn with_api_base(mut self, url: &str) -> Result<ClientConfig, PaymentError> {
        self.api_base = validate_base("api_base", url)?;
        Ok(self)
    }

    /// Overrides the Payments API base (e.g. a local sandbox).
    pub fn with_payments_base(mut self, url: &str) -> Result<ClientConfig, PaymentError> {
        self.payments_base = validate_base("payments_base", url)?;
        Ok(self)
    }

    /// Names the host runtime in the user agent: `bcpay/<version> (<host>)`.
    pub fn with_host(mut self, host: &str) -> ClientConfig {
        let host: String = host.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').take(64).collect();
        self.user_agent = format!("bcpay/{VERSION} ({})", if host.is_empty() { "rust" } else { &host });
        self
    }

    /// Caps accepted response bodies at `bytes`.
    pub fn with_max_response_bytes(mut self, bytes: usize) -> ClientConfig {
        self.max_response_bytes = bytes;
        self
    }

    /// The store hash.
    pub fn store_hash(&self) -> &StoreHash {
        &self.store_hash
    }
    /// The API token.
    pub fn api_token(&self) -> &ApiToken {
        &self.api_token
    }
    /// Management API base URL, no trailing slash.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }
    /// Payments API base URL, no trailing slash.
    pub fn payments_base(&self) -> &str {
        &self.payments_base
    }
    /// The user agent sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }
    /// Largest accepted response body.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_hash_rules() {
        assert!(StoreHash::parse("abc123").is_ok());
        for bad in ["", "ABC", "a/b", "a b", "../x", &"a".repeat(33)] {
            let e = StoreHash::parse(bad).unwrap_err();
            assert_eq!(e.field_errors[0].code, "invalid_store_hash", "{bad:?}");
        }
    }

    #[test]
    fn base_urls_are_validated_and_trimmed() {
        let c = ClientConfig::new("abc", ApiToken::new("t")).unwrap();
        let c = c.with_api_base("http://127.0.0.1:8080/").unwrap();
        assert_eq!(c.api_base(), "http://127.0.0.1:8080");
        let c2 = ClientConfig::new("abc", ApiToken::new("t")).unwrap();
        assert!(c2.clone().with_payments_base("ftp://x").is_err());
        assert!(c2.clone().with_payments_base("https://x?y=1").is_err());
        assert!(c2.with_payments_base("https://user:pw@x").is_err());
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let c = ClientConfig::new("abc", ApiToken::new("t")).unwrap();
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.8.7",
            "http://localhost:1/x",
            "http://[::1]:99",
            "https://api.example.com",
        ] {
            assert!(c.clone().with_api_base(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.bigcommerce.com",
            "http://10.0.0.1",
            "http://127.0.0.1.evil.com",
            "http://[::2]",
            "http://localhost.evil.com",
            "http://128.0.0.1",
        ] {
            let e = c.clone().with_api_base(bad).unwrap_err();
            assert_eq!(e.field_errors[0].path, "api_base", "{bad}");
            assert_eq!(e.field_errors[0].code, "insecure_base_url", "{bad}");
        }
    }

    #[test]
    fn user_agent_names_the_host() {
        let c = ClientConfig::new("abc", ApiToken::new("t")).unwrap().with_host("node");
        assert_eq!(c.user_agent(), format!("bcpay/{VERSION} (node)"));
    }

    #[test]
    fn api_token_must_be_a_header_value() {
        let e = ClientConfig::new("abc", ApiToken::new("sekrit\r\nX-Injected: 1")).unwrap_err();
        assert_eq!(e.field_errors[0].code, "invalid_api_token");
        assert!(!format!("{e} {e:?}").contains("sekrit"), "{e}");
    }

    #[test]
    fn debug_hides_api_token() {
        let c = ClientConfig::new("abc", ApiToken::new("supersecret")).unwrap();
        assert!(!format!("{c:?}").contains("supersecret"));
    }
}

deserialize_with_reader!(ClientSettings);
