//! `#[derive(FromJson)]` for bcpay-core's records: the reader of a record is written from its
//! fields, with each field's reading rule declared on the field, so a record and its reader are
//! one declaration (a new field is read the moment it is declared).
//!
//! The generated code is what the readers were by hand — one `Fields::of`, then one call per
//! field — so the WebAssembly module stays the same size.
//!
//! ```ignore
//! #[derive(FromJson)]
//! #[json(expected = "a payment object", deny_unknown = PAYMENT_KEYS)]
//! pub struct Payment {
//!     pub instrument: PaymentInstrument,          // required: `f.req("instrument")`
//!     #[json(read = or_default)]
//!     pub save_instrument: bool,                  // `f.or_default("save_instrument")`
//!     #[json(rename = "type", or = "OrderPaymentState::Paid")]
//!     pub kind: OrderPaymentState,                // `f.or("type", OrderPaymentState::Paid)`
//!     pub brand: Option<String>,                  // an `Option` is `f.opt("brand")`
//! }
//! ```
//!
//! `#[json(deny_unknown)]` refuses keys other than the fields' (an input's misspelled key is an
//! error naming it, never dropped); `deny_unknown = "LIST"` names another list. Every derived
//! record has `KEYS`, its fields' keys in order.
//!
//! A field's `read` names the [`Fields`] method (`req`, `opt`, `or_default`, `int`, `req_int`,
//! `text`, `money`, `money_or_zero`, `opt_money`); without it an `Option` is read with `opt` and
//! anything else with `req`.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::quote;
use syn::{Data, DeriveInput, Error, Fields, Ident, LitStr, Type, parse_macro_input};

#[proc_macro_derive(FromJson, attributes(json))]
pub fn derive_from_json(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input).unwrap_or_else(Error::into_compile_error).into()
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let name = &input.ident;
    let mut expected: Option<LitStr> = None;
    let mut deny_unknown: Option<Tokens> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("json")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("expected") {
                expected = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("deny_unknown") {
                // `deny_unknown` alone: the keys are the fields' own (`Self::KEYS`).
                deny_unknown = Some(if meta.input.peek(syn::Token![=]) {
                    code(&meta.value()?.parse::<LitStr>()?)?
                } else {
                    quote!(Self::KEYS)
                });
            } else {
                return Err(meta.error("expected `expected` or `deny_unknown`"));
            }
            Ok(())
        })?;
    }
    let expected = expected.ok_or_else(|| Error::new(Span::call_site(), "#[json(expected = \"a … object\")] is required"))?;
    let Data::Struct(data) = &input.data else {
        return Err(Error::new_spanned(name, "FromJson is derived for structs with named fields"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(Error::new_spanned(name, "FromJson is derived for structs with named fields"));
    };
    let mut reads = Vec::new();
    let mut keys = Vec::new();
    for field in &fields.named {
        let ident = field.ident.as_ref().expect("a named field");
        let mut key = ident.to_string();
        let mut read: Option<Ident> = None;
        let mut default: Option<Tokens> = None;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("json")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    key = meta.value()?.parse::<LitStr>()?.value();
                } else if meta.path.is_ident("read") {
                    read = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident("or") {
                    default = Some(code(&meta.value()?.parse::<LitStr>()?)?);
                } else {
                    return Err(meta.error("expected `rename`, `read` or `or`"));
                }
                Ok(())
            })?;
        }
        let value = match (read, default) {
            (Some(_), Some(_)) => return Err(Error::new_spanned(ident, "give `read` or `or`, not both")),
            (None, Some(default)) => quote!(f.or(#key, #default)?),
            (Some(read), None) => quote!(f.#read(#key)?),
            (None, None) if is_option(&field.ty) => quote!(f.opt(#key)?),
            (None, None) => quote!(f.req(#key)?),
        };
        reads.push(quote!(#ident: #value));
        keys.push(key);
    }
    let deny = deny_unknown.map(|keys| quote!(f.deny_unknown(#keys)?;));
    let doc = format!("The keys `{name}` is read from, in order.");
    Ok(quote! {
        impl #name {
            #[doc = #doc]
            pub const KEYS: &'static [&'static str] = &[#(#keys),*];
        }

        impl crate::read::FromJson for #name {
            const EXPECTED: &'static str = #expected;
            fn from_json(v: &crate::read::Json<'_>, at: &crate::read::Path<'_>) -> Result<Self, crate::read::ShapeError> {
                let f = crate::read::Fields::of(v, at, Self::EXPECTED)?;
                #deny
                Ok(#name { #(#reads),* })
            }
        }
    })
}

/// An expression given as a string (`"OrderPaymentState::Paid"`).
fn code(text: &LitStr) -> syn::Result<Tokens> {
    text.value().parse().map_err(|_| Error::new_spanned(text, "not a Rust expression"))
}

fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}
