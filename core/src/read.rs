//! Reading JSON into the core's types: every input a host hands in (settings, payments, options)
//! and every API response body.
//!
//! Text is parsed once by serde_json into a [`Json`] tree (strings borrowed from the text where
//! possible, objects as short lists of pairs) and read by the small, non-generic functions
//! here, each type stating its fields in a [`FromJson`] impl. serde-derived
//! `Deserialize` would be shorter to write, but it generates a visitor per type and per input
//! source: in the npm package's WebAssembly module that was most of the code. The leniency rules
//! the API's mixed editions need (numbers sent as text, `null` for absent, amounts as decimal
//! text) live here, once. The core's types still implement `Deserialize` (through
//! [`deserialize`]) so Rust hosts can use serde as usual, with the same rules.
//!
//! Errors name the path and the kind of value found, never the value itself: an input error must
//! not echo a card number.

use crate::model::Amount;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
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
    /// A number, kept exactly as serde_json read it.
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object's fields, in order.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
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
                Ok(Number::from_f64(v).map_or(Json::Null, Json::Number))
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
pub struct Document<'a>(pub Json<'a>);

impl fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Its strings may be card data.
        f.write_str("Document(..)")
    }
}

impl Drop for Document<'_> {
    fn drop(&mut self) {
        self.0.wipe();
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

/// Parses JSON bytes into a [`Document`] that borrows from them.
pub fn document(bytes: &[u8]) -> Result<Document<'_>, SyntaxError> {
    serde_json::from_slice(bytes).map(Document).map_err(|e| SyntaxError {
        at: format!("line {} column {}", e.line(), e.column()),
    })
}

/// `Deserialize` for a [`FromJson`] type, so serde users read the core's types by the same rules.
pub fn deserialize<'de, D: Deserializer<'de>, T: FromJson>(d: D) -> Result<T, D::Error> {
    let doc = Document(Json::deserialize(d)?);
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

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

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
