//! `uniffi-bindgen`, built from the workspace so it matches `bcpay-uniffi`'s uniffi exactly.
fn main() {
    uniffi::uniffi_bindgen_main()
}
