# Shared helpers for the scripts in this folder. Installs are idempotent: a warm machine skips them.
step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

ensure_rust() {
  command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup" >&2; exit 1; }
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy
  rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown
}

# wasm-bindgen-cli must match the pinned wasm-bindgen exactly. Installed without --locked: its
# lockfile wants a crate version the registry here lacks (see shared/TOOLCHAIN.md).
ensure_wasm_bindgen() {
  if ! wasm-bindgen --version 2>/dev/null | grep -q ' 0.2.130'; then
    cargo install wasm-bindgen-cli --version 0.2.130
  fi
}
