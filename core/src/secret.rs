//! Secret values: card numbers, verification values, payment access tokens and API tokens.
//!
//! Each secret is its own type so that it cannot be passed where another is expected, prints
//! redacted under `Debug` and `Display`, is wiped from memory when dropped, and implements
//! `Deserialize` (hosts hand secrets in) but never `Serialize`: the only way out is
//! [`expose`](CardNumber::expose), which the request builder calls when it writes a body or header.
//!
//! # Memory
//!
//! Card data and tokens must not outlive their use in freed memory either. Two layers see to it:
//! - The core wipes what it frees: these types on drop, request bodies and header values with
//!   their request, buffers as serialized text outgrows them (`to_json_wiping`); scrubbing and
//!   redaction never copy the text. `tests/freed_memory.rs` scans every block freed during whole
//!   payments for the secrets. That protects Rust users with any allocator.
//! - Each binding library (wasm, uniffi, pyo3) installs `zeroizing_alloc::ZeroAlloc` as its
//!   global allocator, which wipes every block as it is freed. That also covers what the core
//!   cannot reach: text the binding glue copies in and out (wasm-bindgen frees argument and
//!   result buffers without wiping them), serde_json's scratch buffer for escaped strings, and
//!   responses the host hands over. The npm package's tests search the module's memory after
//!   payments.
//!
//! Host-language copies (JavaScript, Python, JVM strings) are immutable and left to their
//! garbage collectors; the packages wipe the byte buffers they own (the request body once sent).

use serde::{Deserialize, Deserializer};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident, $redact:expr) => {
        $(#[$doc])*
        #[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret itself. Call it only to put the value on the wire.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// The redacted form shown by `Debug` and `Display`.
            pub fn redacted(&self) -> String {
                #[allow(clippy::redundant_closure_call)]
                ($redact)(self.0.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.redacted())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.redacted())
            }
        }

        impl crate::read::FromJson for $name {
            const EXPECTED: &'static str = "a string";
            fn from_json(v: &crate::read::Json<'_>, at: &crate::read::Path<'_>) -> Result<Self, crate::read::ShapeError> {
                <String as crate::read::FromJson>::from_json(v, at).map(Self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }
    };
}

/// Shows at most the last four digits of a card number, as receipts do: `•••• 4242`. Counts and
/// skips instead of collecting the digits, which would leave a copy in freed memory.
fn redact_card_number(number: &str) -> String {
    let is_digit = |c: &char| c.is_ascii_digit();
    let count = number.chars().filter(is_digit).count();
    // Short or garbled input reveals nothing: four digits of a 6-digit string are most of it.
    if count < 12 {
        return "••••".to_owned();
    }
    let last4: String = number.chars().filter(is_digit).skip(count - 4).collect();
    format!("•••• {last4}")
}

fn redact_fully(_: &str) -> String {
    "[redacted]".to_owned()
}

secret_string!(
    /// A primary account number (PAN). Debug shows `•••• 4242`.
    CardNumber,
    redact_card_number
);

secret_string!(
    /// A card verification value (CVV/CVC). Never shown.
    VerificationValue,
    redact_fully
);

secret_string!(
    /// A Payment Access Token (the `data.id` JWT from Create Payment Access Token). Never shown.
    PatSecret,
    redact_fully
);

secret_string!(
    /// A store API account's access token, sent as `X-Auth-Token`. Never shown.
    ApiToken,
    redact_fully
);

secret_string!(
    /// A stored-instrument or tokenized-card token: it can charge a shopper, so it is a secret.
    InstrumentToken,
    redact_instrument_token
);

/// Stored-instrument tokens show their last four characters so people can tell them apart.
fn redact_instrument_token(token: &str) -> String {
    let count = crate::read::char_count(token);
    if count < 16 {
        return "••••".to_owned();
    }
    let tail: String = token.chars().skip(count - 4).collect();
    format!("••••{tail}")
}

impl CardNumber {
    /// The card number's digits with spaces and dashes removed (shoppers type both).
    pub(crate) fn digits(&self) -> Zeroizing<String> {
        // Sized up front: a growing String would leave partial copies in freed memory.
        let mut digits = Zeroizing::new(String::with_capacity(self.0.len()));
        digits.extend(self.0.chars().filter(|c| !matches!(c, ' ' | '-')));
        digits
    }
}

/// A buffer for serialized text that may hold secrets (request bodies with card data, results
/// with a payment access token). A plain `Vec` that grows frees its old allocation with the
/// bytes written so far still in it; this one wipes the old allocation first. The final buffer
/// is the caller's to wipe: request bodies are wiped with their request; returned text is
/// wiped by the bindings' allocator (see "Memory" above).
pub(crate) struct WipingWriter(Vec<u8>);

impl WipingWriter {
    pub(crate) fn new() -> Self {
        WipingWriter(Vec::with_capacity(256))
    }

    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

impl WipingWriter {
    fn push(&mut self, bytes: &[u8]) {
        let needed = self.0.len() + bytes.len();
        if needed > self.0.capacity() {
            let mut grown = Vec::with_capacity(needed.max(self.0.capacity() * 2));
            grown.extend_from_slice(&self.0);
            // `Vec::zeroize` also clears the spare capacity.
            std::mem::replace(&mut self.0, grown).zeroize();
        }
        self.0.extend_from_slice(bytes);
    }
}

impl std::io::Write for WipingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.push(bytes);
        Ok(bytes.len())
    }

    // Infallible, like `Vec`'s: spares serde_json the general retry loop.
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.push(bytes);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `value` as JSON bytes, written through a [`WipingWriter`]. `None` only if `value`'s
/// `Serialize` fails, which the core's own plain types never do.
pub(crate) fn to_json_wiping<T: serde::Serialize + ?Sized>(value: &T) -> Option<Vec<u8>> {
    let mut out = WipingWriter::new();
    match serde_json::to_writer(&mut out, value) {
        Ok(()) => Some(out.into_inner()),
        Err(_) => {
            out.0.zeroize();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_number_debug_shows_last_four_only() {
        let pan = CardNumber::new("4242424242424242");
        assert_eq!(format!("{pan:?}"), "CardNumber(•••• 4242)");
        assert_eq!(pan.to_string(), "•••• 4242");
        assert!(!format!("{pan:?}").contains("424242424"));
    }

    #[test]
    fn short_card_number_reveals_nothing() {
        assert_eq!(CardNumber::new("123456").to_string(), "••••");
    }

    #[test]
    fn tokens_are_fully_redacted() {
        let pat = PatSecret::new("eyJhbGciOiJIUzI1NiJ9.payload.sig");
        assert_eq!(format!("{pat:?}"), "PatSecret([redacted])");
        let api = ApiToken::new("abc123secret");
        assert!(!format!("{api:?} {api}").contains("abc123secret"));
        let cvv = VerificationValue::new("737");
        assert!(!format!("{cvv:?} {cvv}").contains("737"));
    }

    #[test]
    fn zeroize_clears_the_buffer() {
        let mut pan = CardNumber::new("4242424242424242");
        pan.zeroize();
        assert_eq!(pan.expose(), "");
    }

    #[test]
    fn deserializes_from_plain_string() {
        let pan: CardNumber = serde_json::from_str("\"4000056655665556\"").unwrap();
        assert_eq!(pan.expose(), "4000056655665556");
    }
}
