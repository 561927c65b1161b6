//! Reading JSON into the core's types: every input a host hands in (settings, payments, options)
//! and every API response body.
//!
//! Text is parsed once into a [`Json`] tree by the small parser here ([`document`]: strings
//! borrowed from the text where possible, objects as short lists of pairs) and read by the small,
//! non-generic functions here, each type stating its fields in a [`FromJson`] impl. serde-derived
//! `Deserialize` would be shorter to write, but it generates a visitor per type and per input
//! source: in the npm package's WebAssembly module that was most of the code; and serde_json's
//! generic deserializer, feeding a tree through a visitor, cost three times the instructions of
//! this parser per payment. The leniency rules the API's mixed editions need (numbers sent as
//! text, `null` for absent, amounts as decimal text) live here, once. The core's types still
//! implement `Deserialize` (through [`deserialize`]) so Rust hosts can use serde as usual, with
//! the same rules.
//!
//! Errors name the path and the kind of value found, never the value itself: an input error must
//! not echo a card number.

use crate::model::Amount;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use zeroize::Zeroize;

/// A parsed JSON value. Strings borrow from the parsed text unless they contained escapes;
/// objects keep their fields in order as pairs (the API's objects are small, so a scan beats a
/// map, and nothing is allocated per key).
#[derive(Clone, PartialEq)]
pub enum Json<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number: a whole one exactly, any other as an `f64` (see [`Number::Float`]).
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object's fields, in order.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

/// A JSON number: whole numbers that fit 64 bits exactly (as JSON's own integers), any other as
/// an `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A whole number from 0.
    PosInt(u64),
    /// A negative whole number.
    NegInt(i64),
    /// A number with a fraction or an exponent, or too large for 64 bits; always finite. Exact
    /// (the nearest `f64`) for up to 15 significant digits and exponents within ±22, which
    /// covers every amount; within a few units in the last place beyond.
    Float(f64),
}

impl Number {
    /// As `f64` (whole numbers past 2⁵³ rounded).
    pub fn as_f64(self) -> Option<f64> {
        Some(match self {
            Number::PosInt(n) => n as f64,
            Number::NegInt(n) => n as f64,
            Number::Float(f) => f,
        })
    }

    /// A whole number as `i64`.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::PosInt(n) => i64::try_from(n).ok(),
            Number::NegInt(n) => Some(n),
            Number::Float(_) => None,
        }
    }

    /// A whole number from 0 as `u64`.
    pub fn as_u64(self) -> Option<u64> {
        match self {
            Number::PosInt(n) => Some(n),
            _ => None,
        }
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Number {
        Number::PosInt(n)
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Number {
        if n < 0 { Number::NegInt(n) } else { Number::PosInt(n as u64) }
    }
}

impl fmt::Display for Number {
    /// Whole numbers exactly, others in their shortest form that reads back the same (`12.5`,
    /// `1e21`), as serde_json writes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::PosInt(n) => fmt::Display::fmt(&n, f),
            Number::NegInt(n) => fmt::Display::fmt(&n, f),
            Number::Float(x) => match serde_json::Number::from_f64(x) {
                Some(n) => fmt::Display::fmt(&n, f),
                None => f.write_str("null"),
            },
        }
    }
}

impl<'a> Json<'a> {
    /// The field `key` of an object (the last one, if repeated, as serde_json does); `None` for
    /// other values.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(fields) => fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean's value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A number as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// A whole number as `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// A whole number as `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The kind of value, for errors: `a string`, `null`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    /// Wipes every string this tree owns (borrowed ones belong to the text it was read from).
    fn wipe(&mut self) {
        match self {
            Json::String(Cow::Owned(s)) => s.zeroize(),
            Json::Array(items) => items.iter_mut().for_each(Json::wipe),
            Json::Object(fields) => {
                for (k, v) in fields.iter_mut() {
                    if let Cow::Owned(k) = k {
                        k.zeroize();
                    }
                    v.wipe();
                }
            }
            _ => {}
        }
    }
}

impl fmt::Debug for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Its strings may be card data: show the shape only.
        f.write_str(self.kind())
    }
}

/// A string that borrows from the text when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Json<'de>, E> {
                Ok(Json::Null)
            }
            fn visit_none<E>(self) -> Result<Json<'de>, E> {
                Ok(Json::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json<'de>, D::Error> {
                Json::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Json<'de>, E> {
                Ok(Json::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Json<'de>, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json<'de>, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Json<'de>, E> {
                Ok(if v.is_finite() {
                    Json::Number(Number::Float(v))
                } else {
                    Json::Null
                })
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'de>, E> {
                Ok(Json::String(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Json<'de>, E> {
                Ok(Json::String(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Json<'de>, E> {
                Ok(Json::String(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
                let mut fields = Vec::new();
                while let Some(Text(key)) = map.next_key()? {
                    fields.push((key, map.next_value()?));
                }
                Ok(Json::Object(fields))
            }
        }
        d.deserialize_any(V)
    }
}

/// Where a value sits in its document, for error messages: `payments[0].instrument.number`.
#[derive(Clone, Copy, Debug)]
pub enum Path<'a> {
    /// The document itself, named by the host's argument (`""` for a response body).
    Root(&'a str),
    /// A field of an object.
    Key(&'a Path<'a>, &'a str),
    /// An element of an array.
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn write(&self, out: &mut String) {
        match self {
            Path::Root(name) => out.push_str(name),
            Path::Key(parent, key) => {
                parent.write(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Path::Index(parent, i) => {
                parent.write(out);
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}

/// A value that does not have the expected shape. It names what was found only by kind.
///
/// Boxed: every field a reader reads returns `Result<_, ShapeError>`, and a one-word error
/// keeps each of those results (and the copies `?` makes) small — about 2 KB of the wasm module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError(Box<ShapeErrorParts>);

/// What a [`ShapeError`] says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeErrorParts {
    /// Where: `payment.instrument.expiry_month`; empty for the document itself.
    pub path: String,
    /// What was expected: `a string`, `an object`, …
    pub expected: &'static str,
    /// What was there: `a number`, `null`, … or `nothing` when a required field is missing.
    pub found: &'static str,
}

impl std::ops::Deref for ShapeError {
    type Target = ShapeErrorParts;
    fn deref(&self) -> &ShapeErrorParts {
        &self.0
    }
}

impl ShapeError {
    /// An error at `path`.
    #[inline(never)]
    pub fn at(path: String, expected: &'static str, found: &'static str) -> ShapeError {
        ShapeError(Box::new(ShapeErrorParts { path, expected, found }))
    }

    /// A required field is absent.
    pub fn is_missing(&self) -> bool {
        self.found == NOTHING
    }

    /// The field is not one the reader knows (see [`Fields::deny_unknown`]).
    pub fn is_unknown_field(&self) -> bool {
        self.found == UNKNOWN_FIELD
    }

    #[inline(never)]
    fn new(at: &Path<'_>, expected: &'static str, found: &'static str) -> ShapeError {
        ShapeError::at(at.to_string(), expected, found)
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "expected {}, found {}", self.expected, self.found)
    }
}

impl std::error::Error for ShapeError {}

const NOTHING: &str = "nothing";
const UNKNOWN_FIELD: &str = "a field it does not know";

/// A type read from a JSON value.
pub trait FromJson: Sized {
    /// What the value should look like, for errors (`a string`, `an object`, …).
    const EXPECTED: &'static str;

    /// Reads `v`, found at `at`.
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError>;

    /// The error for a value of the wrong kind.
    fn mismatch(v: &Json<'_>, at: &Path<'_>) -> ShapeError {
        ShapeError::new(at, Self::EXPECTED, v.kind())
    }
}

impl FromJson for String {
    const EXPECTED: &'static str = "a string";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        v.as_str().map(str::to_owned).ok_or_else(|| Self::mismatch(v, at))
    }
}

impl FromJson for bool {
    const EXPECTED: &'static str = "true or false";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        v.as_bool().ok_or_else(|| Self::mismatch(v, at))
    }
}

impl FromJson for f64 {
    const EXPECTED: &'static str = "a number";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        v.as_f64().ok_or_else(|| Self::mismatch(v, at))
    }
}

impl FromJson for i64 {
    const EXPECTED: &'static str = "a whole number";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        v.as_i64().ok_or_else(|| Self::mismatch(v, at))
    }
}

impl FromJson for u64 {
    const EXPECTED: &'static str = "a whole number from 0";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        v.as_u64().ok_or_else(|| Self::mismatch(v, at))
    }
}

impl FromJson for u32 {
    const EXPECTED: &'static str = "a whole number from 0 to 4294967295";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| Self::mismatch(v, at))
    }
}

impl FromJson for usize {
    const EXPECTED: &'static str = "a whole number from 0";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        v.as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| Self::mismatch(v, at))
    }
}

/// Any value at all (a body whose content does not matter, only that it is JSON).
impl FromJson for () {
    const EXPECTED: &'static str = "any JSON value";
    fn from_json(_: &Json<'_>, _: &Path<'_>) -> Result<Self, ShapeError> {
        Ok(())
    }
}

impl<T: FromJson> FromJson for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        match v {
            Json::Null => Ok(None),
            other => T::from_json(other, at).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    const EXPECTED: &'static str = "an array";
    fn from_json(v: &Json<'_>, at: &Path<'_>) -> Result<Self, ShapeError> {
        let mut out = Vec::new();
        each_element(v, at, &mut |item, path| {
            out.push(T::from_json(item, path)?);
            Ok(())
        })?;
        Ok(out)
    }
}

/// Calls `read` with each element of the array `v` and its path. Not generic, so that the loop
/// exists once in the wasm module rather than once per element type (about 0.5 KB each).
fn each_element(
    v: &Json<'_>,
    at: &Path<'_>,
    read: &mut dyn FnMut(&Json<'_>, &Path<'_>) -> Result<(), ShapeError>,
) -> Result<(), ShapeError> {
    let Json::Array(items) = v else {
        return Err(ShapeError::new(at, "an array", v.kind()));
    };
    for (i, item) in items.iter().enumerate() {
        read(item, &Path::Index(at, i))?;
    }
    Ok(())
}

/// The fields of one JSON object. Unknown fields are ignored: the API adds fields over time.
pub struct Fields<'a> {
    object: &'a Json<'a>,
    at: &'a Path<'a>,
}

impl<'a> Fields<'a> {
    /// `v` as an object, or an error naming `expected` (the type being read).
    pub fn of(v: &'a Json<'a>, at: &'a Path<'a>, expected: &'static str) -> Result<Fields<'a>, ShapeError> {
        match v {
            Json::Object(_) => Ok(Fields { object: v, at }),
            other => Err(ShapeError::new(at, expected, other.kind())),
        }
    }

    /// The raw value of `key`, `None` when absent (see [`Json::get`]).
    pub fn get(&self, key: &str) -> Option<&'a Json<'a>> {
        self.object.get(key)
    }

    /// An error naming the first field not in `known`. For inputs (options, settings): a
    /// misspelled key would otherwise be dropped silently and its default used. Responses stay
    /// lenient, since the API adds fields over time.
    pub fn deny_unknown(&self, known: &[&str]) -> Result<(), ShapeError> {
        let Json::Object(fields) = self.object else { return Ok(()) };
        match fields.iter().find(|(k, _)| !known.contains(&k.as_ref())) {
            Some((k, _)) => Err(ShapeError::new(&Path::Key(self.at, k), "a known field", UNKNOWN_FIELD)),
            None => Ok(()),
        }
    }

    /// An error unless `key` is present (even as `null`): for required fields read leniently.
    fn require(&self, key: &str, expected: &'static str) -> Result<(), ShapeError> {
        match self.get(key) {
            Some(_) => Ok(()),
            None => Err(ShapeError::new(&Path::Key(self.at, key), expected, NOTHING)),
        }
    }

    fn present(&self, key: &str) -> Option<&'a Json<'a>> {
        self.get(key).filter(|v| !v.is_null())
    }

    /// A required field.
    pub fn req<T: FromJson>(&self, key: &str) -> Result<T, ShapeError> {
        let at = Path::Key(self.at, key);
        match self.get(key) {
            Some(v) => T::from_json(v, &at),
            None => Err(ShapeError::new(&at, T::EXPECTED, NOTHING)),
        }
    }

    /// An optional field: absent or `null` is `None`.
    pub fn opt<T: FromJson>(&self, key: &str) -> Result<Option<T>, ShapeError> {
        match self.present(key) {
            Some(v) => T::from_json(v, &Path::Key(self.at, key)).map(Some),
            None => Ok(None),
        }
    }

    /// A field whose absence (or `null`) means its default.
    pub fn or_default<T: FromJson + Default>(&self, key: &str) -> Result<T, ShapeError> {
        self.opt(key).map(Option::unwrap_or_default)
    }

    /// A field whose absence (or `null`) means `default`.
    pub fn or<T: FromJson>(&self, key: &str, default: T) -> Result<T, ShapeError> {
        self.opt(key).map(|v| v.unwrap_or(default))
    }

    fn scalar(&self, key: &str, expected: &'static str) -> Result<Option<&'a Json<'a>>, ShapeError> {
        match self.present(key) {
            Some(v @ (Json::Number(_) | Json::String(_))) => Ok(Some(v)),
            Some(other) => Err(ShapeError::new(&Path::Key(self.at, key), expected, other.kind())),
            None => Ok(None),
        }
    }

    /// A whole number sent as a number or as text (`12`, `12.0`, `"12"`); `None` when absent,
    /// `null`, or text that is not a number.
    pub fn int(&self, key: &str) -> Result<Option<i64>, ShapeError> {
        Ok(self.scalar(key, "a whole number")?.and_then(|v| match v {
            Json::String(s) => s.trim().parse().ok(),
            n => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64)),
        }))
    }

    /// A required whole number, leniently as [`int`](Self::int): absent is an error.
    pub fn req_int(&self, key: &str) -> Result<Option<i64>, ShapeError> {
        self.require(key, "a whole number")?;
        self.int(key)
    }

    /// Text sent as text or as a number (`"4111"` or `4111`).
    pub fn text(&self, key: &str) -> Result<Option<String>, ShapeError> {
        Ok(self.scalar(key, "a string")?.map(|v| match v {
            Json::String(s) => s.to_string(),
            // Number's own formatting: integers exactly, floats shortest round-trip.
            Json::Number(n) => n.to_string(),
            _ => String::new(),
        }))
    }

    /// An amount sent as a number or as V2's decimal text (`"10.9800"`); `null` and unreadable
    /// text are 0. Absent is an error.
    pub fn money(&self, key: &str) -> Result<Amount, ShapeError> {
        self.require(key, "an amount")?;
        self.money_or_zero(key)
    }

    /// [`money`](Self::money), with absence meaning 0.
    pub fn money_or_zero(&self, key: &str) -> Result<Amount, ShapeError> {
        Ok(self.opt_money(key)?.unwrap_or_default())
    }

    /// An optional amount, leniently: absent, `null` or unreadable text is `None`.
    pub fn opt_money(&self, key: &str) -> Result<Option<Amount>, ShapeError> {
        Ok(self.scalar(key, "an amount")?.and_then(Amount::of_json))
    }
}

/// A parsed document whose owned strings are wiped when it is dropped: inputs carry card numbers
/// and responses carry tokens. (Borrowed strings belong to the text, which its owner wipes.)
/// The second field says whether it owns any: a document read from text owns only the strings
/// that had escapes, which API responses seldom have, so most are dropped without a wiping walk.
pub struct Document<'a>(pub Json<'a>, bool);

impl fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Its strings may be card data.
        f.write_str("Document(..)")
    }
}

impl Drop for Document<'_> {
    fn drop(&mut self) {
        if self.1 {
            self.0.wipe();
        }
    }
}

/// A decimal number in text (`10.9800`, `1.5`), read with JSON's number syntax by the JSON parser
/// the core already carries (`str::parse::<f64>` would add its own tables to the wasm module).
pub fn decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    if !text.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        return None;
    }
    document(text.as_bytes()).ok().and_then(|doc| doc.0.as_f64())
}

/// Text that is not JSON at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Line and column where parsing stopped.
    pub at: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed JSON at {}", self.at)
    }
}

/// Parses JSON bytes (RFC 8259: one value, surrounded by whitespace only) into a [`Document`]
/// that borrows from them. Strings without escapes are borrowed; nesting deeper than
/// [`MAX_DEPTH`] is an error, not a stack overflow.
pub fn document(bytes: &[u8]) -> Result<Document<'_>, SyntaxError> {
    // Checked once, here, so that every slice the parser takes between ASCII delimiters is text.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => return Err(SyntaxError::at(bytes, e.valid_up_to())),
    };
    let mut parser = Parser {
        text,
        at: 0,
        depth: 0,
        owns_text: false,
    };
    let value = parser.value();
    let mut doc = match value {
        Ok(value) => Document(value, parser.owns_text),
        Err(at) => return Err(SyntaxError::at(bytes, at)),
    };
    parser.skip_whitespace();
    if parser.at < bytes.len() {
        // Trailing text: the tree is dropped, its owned strings wiped first.
        doc.0.wipe();
        return Err(SyntaxError::at(bytes, parser.at));
    }
    Ok(doc)
}

/// Deepest nesting of arrays and objects [`document`] reads (serde_json's limit too): the API's
/// documents nest four or five levels.
pub const MAX_DEPTH: u32 = 127;

impl SyntaxError {
    /// The error for text that stops being JSON at byte `at`: its line and column, counted from 1.
    #[inline(never)]
    fn at(bytes: &[u8], at: usize) -> SyntaxError {
        let before = &bytes[..at.min(bytes.len())];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
        SyntaxError {
            at: format!("line {line} column {column}"),
        }
    }
}

/// A recursive-descent JSON parser over text already known to be UTF-8. Each method returns the
/// byte offset of the first thing that is not JSON as its error.
struct Parser<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
    /// A string with escapes was read into an owned copy (see [`Document`]).
    owns_text: bool,
}

/// How many bytes from the start of `bytes` a string reader may take as they are: up to the first
/// `"`, `\\` or control character. Eight bytes a step: most of a response is string bytes.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(Ok(chunk)) = bytes.get(i..i + 8).map(<[u8; 8]>::try_from) {
        let word = u64::from_le_bytes(chunk);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // The high bit of each byte that is zero (after the xors) or below 0x20 — and possibly of
        // bytes after it (a borrow), never before: the lowest flag is the first such byte.
        let flags =
            ((quote.wrapping_sub(ONES) & !quote) | (backslash.wrapping_sub(ONES) & !backslash) | (word.wrapping_sub(ONES * 0x20) & !word))
                & HIGHS;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// `10^n` for the `f64` exact powers of ten: `n` ≤ 22.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

impl<'a> Parser<'a> {
    /// The text between two offsets next to ASCII delimiters, so at character boundaries of valid
    /// UTF-8: never empty by mistake. (`get`, not indexing, which would carry a panic's message
    /// machinery into the wasm module, ~4 KB.)
    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or_default()
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Consumes `literal` (`true`, `false`, `null`) or fails where it stops matching.
    fn literal(&mut self, literal: &str, value: Json<'a>) -> Result<Json<'a>, usize> {
        let rest = &self.text.as_bytes()[self.at..];
        let same = rest.iter().zip(literal.as_bytes()).take_while(|(a, b)| a == b).count();
        self.at += same;
        if same == literal.len() { Ok(value) } else { Err(self.at) }
    }

    fn value(&mut self) -> Result<Json<'a>, usize> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.nested(Parser::object),
            Some(b'[') => self.nested(Parser::array),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            _ => Err(self.at),
        }
    }

    /// An array or object one level deeper; its partial tree is wiped if it fails.
    fn nested(&mut self, read: fn(&mut Parser<'a>, &mut Json<'a>) -> Result<(), usize>) -> Result<Json<'a>, usize> {
        if self.depth >= MAX_DEPTH {
            return Err(self.at);
        }
        self.depth += 1;
        let mut value = Json::Null;
        let read = read(self, &mut value);
        self.depth -= 1;
        match read {
            Ok(()) => Ok(value),
            Err(at) => {
                value.wipe();
                Err(at)
            }
        }
    }

    /// `[ value, … ]`, into `out` as it is read (so a failure can wipe what was read).
    fn array(&mut self, out: &mut Json<'a>) -> Result<(), usize> {
        self.at += 1;
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            *out = Json::Array(Vec::new());
            return Ok(());
        }
        // Room for a typical array or object of the API's at once, instead of growing to it.
        *out = Json::Array(Vec::with_capacity(4));
        let Json::Array(items) = out else { return Err(self.at) };
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.at),
            }
        }
    }

    /// `{ "key": value, … }`, into `out` as it is read.
    fn object(&mut self, out: &mut Json<'a>) -> Result<(), usize> {
        self.at += 1;
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            *out = Json::Object(Vec::new());
            return Ok(());
        }
        // Most of the API's objects have one to four fields (envelopes, instruments, amounts); a
        // method or a transaction grows once. Room for eight in each cost more (callgrind: 1.8k
        // instructions per payment flow) than the growing saved.
        *out = Json::Object(Vec::with_capacity(4));
        let Json::Object(fields) = out else { return Err(self.at) };
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.at);
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                let mut key = key;
                if let Cow::Owned(k) = &mut key {
                    k.zeroize();
                }
                return Err(self.at);
            }
            self.at += 1;
            // Pushed before its value is read, so that a failure inside wipes the key too.
            fields.push((key, Json::Null));
            let value = self.value()?;
            if let Some(last) = fields.last_mut() {
                last.1 = value;
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.at),
            }
        }
    }

    /// A string at the opening quote: borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, usize> {
        let bytes = self.text.as_bytes();
        let start = self.at + 1;
        let i = start + plain_run(&bytes[start..]);
        match bytes.get(i) {
            Some(b'"') => {
                self.at = i + 1;
                return Ok(Cow::Borrowed(self.slice(start, i)));
            }
            Some(b'\\') => {}
            // A control character (JSON requires them escaped), or the end of the text.
            _ => return Err(i),
        }
        self.owns_text = true;
        let mut owned = String::with_capacity(i - start + 16);
        owned.push_str(self.slice(start, i));
        self.at = i;
        match self.unescape(&mut owned) {
            Ok(()) => Ok(Cow::Owned(owned)),
            Err(at) => {
                owned.zeroize();
                Err(at)
            }
        }
    }

    /// The rest of a string with escapes, from the first backslash, into `out`.
    fn unescape(&mut self, out: &mut String) -> Result<(), usize> {
        let bytes = self.text.as_bytes();
        loop {
            let run = self.at;
            self.at += plain_run(&bytes[run..]);
            out.push_str(self.slice(run, self.at));
            match bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => {}
                _ => return Err(self.at),
            }
            let escape = bytes.get(self.at + 1).copied();
            self.at += 2;
            let c = match escape {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => {
                    let high = self.hex4()?;
                    let code = match high {
                        0xD800..=0xDBFF => {
                            // A surrogate pair: `\\uD83D\\uDE00`. A lone half is not text.
                            if bytes.get(self.at) != Some(&b'\\') || bytes.get(self.at + 1) != Some(&b'u') {
                                return Err(self.at);
                            }
                            self.at += 2;
                            let low = self.hex4()?;
                            if !(0xDC00..=0xDFFF).contains(&low) {
                                return Err(self.at);
                            }
                            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                        }
                        0xDC00..=0xDFFF => return Err(self.at),
                        other => other,
                    };
                    char::from_u32(code).ok_or(self.at)?
                }
                _ => return Err(self.at - 1),
            };
            out.push(c);
        }
    }

    /// Four hex digits of a `\\u` escape.
    fn hex4(&mut self) -> Result<u32, usize> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.at),
            };
            code = code * 16 + u32::from(digit);
            self.at += 1;
        }
        Ok(code)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: whole numbers exactly when they
    /// fit 64 bits, others as the nearest `f64`.
    fn number(&mut self) -> Result<Number, usize> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        // The leading digits while they fit a u64, and the power of ten that scales them.
        let (mut mantissa, mut scale, mut exact) = (0u64, 0i32, true);
        // Appends a digit while the value stays exact; says whether it did.
        let digit =
            |mantissa: &mut u64, exact: &mut bool, b: u8| match mantissa.checked_mul(10).and_then(|m| m.checked_add(u64::from(b - b'0'))) {
                Some(m) if *exact => {
                    *mantissa = m;
                    true
                }
                _ => {
                    *exact = false;
                    false
                }
            };
        let first = self.at;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            if !digit(&mut mantissa, &mut exact, b) {
                scale += 1;
            }
            self.at += 1;
        }
        let whole = self.at - first;
        if whole == 0 {
            return Err(self.at);
        }
        if whole > 1 && self.text.as_bytes()[first] == b'0' {
            return Err(first + 1);
        }
        let mut is_float = !exact;
        if self.peek() == Some(b'.') {
            self.at += 1;
            let from = self.at;
            while let Some(b @ b'0'..=b'9') = self.peek() {
                if digit(&mut mantissa, &mut exact, b) {
                    scale -= 1;
                }
                self.at += 1;
            }
            if self.at == from {
                return Err(self.at);
            }
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            let minus = match self.peek() {
                Some(b'-') => true,
                Some(b'+') => false,
                _ => {
                    self.at -= 1;
                    false
                }
            };
            self.at += 1;
            let (mut exponent, from) = (0i32, self.at);
            while let Some(b @ b'0'..=b'9') = self.peek() {
                exponent = exponent.saturating_mul(10).saturating_add(i32::from(b - b'0'));
                self.at += 1;
            }
            if self.at == from {
                return Err(self.at);
            }
            scale = scale.saturating_add(if minus { -exponent } else { exponent });
            is_float = true;
        }
        if !is_float {
            // serde_json's rule: -0 and negatives past i64 are floats.
            let negated = (mantissa as i64).wrapping_neg();
            return Ok(match negative {
                false => Number::PosInt(mantissa),
                true if negated < 0 => Number::NegInt(negated),
                true => Number::Float(-(mantissa as f64)),
            });
        }
        let magnitude = if mantissa == 0 {
            0.0
        } else if mantissa < (1 << 53) && scale.unsigned_abs() <= 22 {
            // Both exact in an f64, so one correctly rounded operation gives the nearest value.
            let m = mantissa as f64;
            if scale >= 0 {
                m * EXACT_POWERS_OF_TEN[scale as usize]
            } else {
                m / EXACT_POWERS_OF_TEN[scale.unsigned_abs() as usize]
            }
        } else {
            // Rare in this API (amounts have at most four decimals): scaled by powers of ten one
            // exact power at a time, within a few units in the last place. (The standard
            // library's correctly rounded conversion would cost the wasm module 14 KB.)
            let mut m = mantissa as f64;
            // The mantissa has at most 20 digits: past ±400 the value is 0 or infinite anyway, and
            // the loops below stay short whatever exponent the text claims.
            let mut left = scale.clamp(-400, 400);
            while left > 22 {
                m *= 1e22;
                left -= 22;
            }
            while left < -22 {
                m /= 1e22;
                left += 22;
            }
            if left >= 0 {
                m * EXACT_POWERS_OF_TEN[left as usize]
            } else {
                m / EXACT_POWERS_OF_TEN[left.unsigned_abs() as usize]
            }
        };
        if !magnitude.is_finite() {
            return Err(start);
        }
        Ok(Number::Float(if negative { -magnitude } else { magnitude }))
    }
}

/// `Deserialize` for a [`FromJson`] type, so serde users read the core's types by the same rules.
pub fn deserialize<'de, D: Deserializer<'de>, T: FromJson>(d: D) -> Result<T, D::Error> {
    // A deserializer may hand over owned strings anywhere: always wipe.
    let doc = Document(Json::deserialize(d)?, true);
    T::from_json(&doc.0, &Path::Root("")).map_err(de::Error::custom)
}

/// Implements `Deserialize` through [`FromJson`] for each type named.
macro_rules! deserialize_with_reader {
    ($($t:ty),+ $(,)?) => {
        $(
            impl<'de> serde::Deserialize<'de> for $t {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    $crate::read::deserialize(d)
                }
            }
        )+
    };
}
pub(crate) use deserialize_with_reader;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields_of<R>(v: serde_json::Value, f: impl FnOnce(&Fields<'_>) -> R) -> R {
        let text = v.to_string();
        let doc = document(text.as_bytes()).unwrap();
        let root = Path::Root("input");
        f(&Fields::of(&doc.0, &root, "an object").unwrap())
    }

    #[test]
    fn paths_name_fields_and_elements() {
        let root = Path::Root("payments");
        let first = Path::Index(&root, 0);
        let field = Path::Key(&first, "instrument");
        assert_eq!(field.to_string(), "payments[0].instrument");
        assert_eq!(Path::Key(&Path::Root(""), "data").to_string(), "data");
    }

    #[test]
    fn lenient_numbers_and_text() {
        fields_of(
            json!({"a": "12", "b": 12.0, "c": "x", "d": null, "e": 12.5, "f": 7, "g": true}),
            |f| {
                assert_eq!(f.int("a").unwrap(), Some(12));
                assert_eq!(f.int("b").unwrap(), Some(12));
                assert_eq!(f.int("c").unwrap(), None);
                assert_eq!(f.int("d").unwrap(), None);
                assert_eq!(f.int("e").unwrap(), None);
                assert_eq!(f.int("zz").unwrap(), None);
                assert!(f.req_int("zz").unwrap_err().is_missing());
                assert_eq!(f.int("g").unwrap_err().path, "input.g");
                assert_eq!(f.text("f").unwrap().as_deref(), Some("7"));
                assert_eq!(f.text("e").unwrap().as_deref(), Some("12.5"));
                assert_eq!(f.money("a").unwrap(), Amount::from_major(12.0));
                assert_eq!(decimal(" 10.9800 "), Some(10.98));
                assert_eq!(decimal("1.5e1"), Some(15.0));
                assert_eq!(decimal("NaN"), None);
                assert_eq!(decimal("\"1\""), None);
                assert_eq!(decimal("1 2"), None);
                assert_eq!(f.money("c").unwrap(), Amount::ZERO);
                assert_eq!(f.money("d").unwrap(), Amount::ZERO);
                assert!(f.money("zz").unwrap_err().is_missing());
                assert_eq!(f.money_or_zero("zz").unwrap(), Amount::ZERO);
            },
        );
    }

    #[test]
    fn errors_name_the_kind_never_the_value() {
        let e = fields_of(json!({"number": 4242424242424242u64}), |f| f.req::<String>("number").unwrap_err());
        assert_eq!(e.to_string(), "input.number: expected a string, found a number");
        let e = fields_of(json!({"items": [1, "x"]}), |f| f.req::<Vec<u64>>("items").unwrap_err());
        assert_eq!(e.path, "input.items[1]");
        let e = fields_of(json!({}), |f| f.req::<u32>("page").unwrap_err());
        assert!(e.is_missing());
        assert_eq!(
            fields_of(json!({"page": -1}), |f| f.req::<u32>("page").unwrap_err().found),
            "a number"
        );
    }

    #[test]
    fn absent_and_null_take_defaults() {
        fields_of(json!({"a": null}), |f| {
            assert_eq!(f.or_default::<String>("a").unwrap(), "");
            assert_eq!(f.or("b", 4u32).unwrap(), 4);
            assert_eq!(f.opt::<bool>("a").unwrap(), None);
        });
    }

    #[test]
    fn a_document_knows_whether_it_owns_strings_to_wipe() {
        // Its drop wipes only when it owns one: every owned string, key or value, at any depth,
        // must set the flag.
        fn owns_any(v: &Json<'_>) -> bool {
            match v {
                Json::String(s) => matches!(s, Cow::Owned(_)),
                Json::Array(items) => items.iter().any(owns_any),
                Json::Object(fields) => fields.iter().any(|(k, v)| matches!(k, Cow::Owned(_)) || owns_any(v)),
                _ => false,
            }
        }
        for (text, owns) in [
            (&br#"{"a":"b","c":[1,"d",{"e":null}]}"#[..], false),
            (br#""plain""#, false),
            (br#""esc\"aped""#, true),
            (br#"{"k\u0041":1}"#, true),
            (br#"[[[{"a":["\n"]}]]]"#, true),
        ] {
            let doc = document(text).unwrap();
            assert_eq!(doc.1, owns, "{}", String::from_utf8_lossy(text));
            assert_eq!(owns_any(&doc.0), owns, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn strings_borrow_unless_escaped_and_owned_ones_are_wiped() {
        let text = br#"{"n":"4242424242424242","e":"a\u0041","l":["x"],"n":"last"}"#;
        let mut doc = document(text).unwrap();
        assert!(matches!(doc.0.get("e"), Some(Json::String(Cow::Owned(s))) if s == "aA"));
        assert!(matches!(doc.0.get("l"), Some(Json::Array(items)) if matches!(items[0], Json::String(Cow::Borrowed("x")))));
        assert_eq!(
            doc.0.get("n").and_then(Json::as_str),
            Some("last"),
            "the last of repeated keys wins"
        );
        doc.0.wipe();
        assert_eq!(doc.0.get("e").and_then(Json::as_str), Some(""));
        assert_eq!(format!("{:?}", doc.0), "an object");
        assert!(
            document(b"{\"a\":")
                .unwrap_err()
                .to_string()
                .starts_with("malformed JSON at line 1")
        );
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use crate::flow::FlowOptions;
    use crate::model::{Payment, PaymentMethod, Refund, TransactionPage};
    use proptest::prelude::*;

    fn read_all(bytes: &[u8]) {
        if let Ok(doc) = document(bytes) {
            let root = Path::Root("x");
            let _ = Vec::<Payment>::from_json(&doc.0, &root);
            let _ = Vec::<PaymentMethod>::from_json(&doc.0, &root);
            let _ = Refund::from_json(&doc.0, &root);
            let _ = TransactionPage::from_json(&doc.0, &root);
            let _ = FlowOptions::from_json(&doc.0, &root);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert!(document(deep.as_bytes()).is_err());
        let deep_objects = "{\"a\":".repeat(100_000);
        assert!(document(deep_objects.as_bytes()).is_err());
    }

    /// The tree as a serde_json value (repeated keys: the last wins, as in serde_json).
    fn to_value(v: &Json<'_>) -> serde_json::Value {
        match v {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => (*b).into(),
            Json::Number(Number::PosInt(n)) => (*n).into(),
            Json::Number(Number::NegInt(n)) => (*n).into(),
            Json::Number(Number::Float(f)) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number),
            Json::String(s) => s.as_ref().into(),
            Json::Array(items) => items.iter().map(to_value).collect(),
            Json::Object(fields) => fields
                .iter()
                .map(|(k, v)| (k.to_string(), to_value(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    /// `bytes` read by both parsers: the same values, or both refusing (floats compared within a
    /// few units in the last place: serde_json's default float parsing is not exact either).
    fn agree_with_serde_json(bytes: &[u8]) {
        let ours = document(bytes);
        let theirs: Result<serde_json::Value, _> = serde_json::from_slice(bytes);
        match (&ours, &theirs) {
            (Ok(doc), Ok(value)) => {
                let ours = to_value(&doc.0);
                if ours != *value {
                    assert!(
                        close(&ours, value),
                        "{:?}: ours {ours}, serde_json {value}",
                        String::from_utf8_lossy(bytes)
                    );
                }
            }
            (Err(_), Err(_)) => {}
            _ => panic!(
                "{:?}: ours {:?}, serde_json {:?}",
                String::from_utf8_lossy(bytes),
                ours.as_ref().map(|d| to_value(&d.0)),
                theirs
            ),
        }
    }

    fn close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value::*;
        match (a, b) {
            (Number(x), Number(y)) => match (x.as_f64(), y.as_f64()) {
                // Within a few units in the last place (relative 1e-14; absolute near the
                // subnormals, where a last place is a large part of the value).
                (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-14 * y.abs().max(f64::MIN_POSITIVE),
                _ => false,
            },
            (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| close(a, b)),
            (Object(x), Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w))),
            _ => a == b,
        }
    }

    #[test]
    fn plain_runs_stop_at_the_first_quote_backslash_or_control_character() {
        let naive = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(bytes.len())
        };
        for filler in [b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xc3, 0xff] {
            for len in 0..20 {
                let plain = vec![filler; len];
                assert_eq!(plain_run(&plain), naive(&plain));
                for at in 0..len {
                    for special in [b'"', b'\\', 0x00, 0x01, 0x1f] {
                        let mut bytes = plain.clone();
                        bytes[at] = special;
                        // A second one after it must not hide the first.
                        if at + 1 < len {
                            bytes[len - 1] = 0x00;
                        }
                        assert_eq!(plain_run(&bytes), naive(&bytes), "{bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_parser_reads_what_serde_json_reads() {
        for text in [
            "",
            " ",
            "0",
            "-0",
            "-",
            "01",
            "-01",
            "1.",
            ".5",
            "1.5",
            "-1.5e3",
            "1e",
            "1e+",
            "1E-2",
            "1e999",
            "-1e999",
            "1e-999",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "0.1",
            "0.30000000000000004",
            "2.2250738585072014e-308",
            "9007199254740993",
            "9007199254740993.0",
            "1.7976931348623157e308",
            "1e-2147483648",
            "1e2147483647",
            "1e99999999999999999999",
            "0e999999999",
            "1.5e-400",
            "true",
            "tru",
            "false",
            "null",
            "nul",
            "[]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{}",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "{\"a\":1,\"a\":2}",
            "\"\\u00e9\\ud83d\\ude00\"",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"\\ud83d\\u0041\"",
            "\"\\x\"",
            "\"\\u12\"",
            "\"a\tb\"",
            "\"\u{7f}\"",
            "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
            "[1] x",
            " [1] ",
            "\"é\"",
            "{\"\\u0041\":[true,false,null,{}]}",
        ] {
            agree_with_serde_json(text.as_bytes());
        }
        agree_with_serde_json(b"\"\xff\"");
        agree_with_serde_json(b"[\"a\", \xc3]");
        for depth in [126, 127, 128, 129] {
            agree_with_serde_json(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).as_bytes());
            agree_with_serde_json(format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).as_bytes());
        }
    }

    /// Any JSON value, as proptest builds it.
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            (-1e6f64..1e6).prop_map(|f| serde_json::Value::from((f * 10_000.0).round() / 10_000.0)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            "\\PC{0,12}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                prop::collection::vec(("\\PC{0,6}", inner), 0..6)
                    .prop_map(|fields| serde_json::Value::Object(fields.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        #[test]
        fn the_parser_reads_any_json_as_serde_json_does(value in json_value(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&value).unwrap() } else { value.to_string() };
            agree_with_serde_json(text.as_bytes());
        }

        #[test]
        fn the_parser_refuses_what_serde_json_refuses(text in "[\\[\\]{}\",:0-9a-z_ .eE+\\-\\\\u\t\n]{0,40}") {
            agree_with_serde_json(text.as_bytes());
        }

        #[test]
        fn arbitrary_text_never_panics(text in "[\\[\\]{}\",:0-9a-z_ .\\-\\\\]{0,200}") {
            read_all(text.as_bytes());
        }

        #[test]
        fn payment_shaped_json_with_arbitrary_values_never_panics(
            number in prop_oneof![Just("\"4242424242424242\"".to_owned()), "-?[0-9]{1,25}(\\.[0-9]{1,5})?", Just("null".to_owned()), Just("[]".to_owned())],
            month in prop_oneof![Just("12".to_owned()), "\"[ 0-9a-z.]{0,6}\"", "-?[0-9]{1,22}(\\.[0-9]{1,3})?(e[0-9]{1,3})?", Just("true".to_owned())],
            kind in "(card|stored_card|gift_certificate|store_credit|tokenized_card|x)",
        ) {
            let json = format!(r#"[{{"instrument":{{"type":"{kind}","number":{number},"cardholder_name":"J","expiry_month":{month},"token":{number},"gift_certificate_code":{number},"iin":{month}}},"payment_method_id":"m"}}]"#);
            read_all(json.as_bytes());
        }
    }
}

/// How many characters (Unicode scalar values) `text` holds: its bytes that start one. Smaller in
/// the WebAssembly module than `chars().count()`, whose vectorised counter costs ~0.9 KB.
pub(crate) fn char_count(text: &str) -> usize {
    text.bytes().filter(|b| (*b as i8) >= -0x40).count()
}
