#!/usr/bin/env bash
# Regenerates the Swift bindings (Sources/BcpayFFI/BcpayFFI.swift, Sources/BcpayFFIC/BcpayFFIC.h)
# from the Rust library with the workspace's own uniffi-bindgen. With an argument, writes into
# that directory instead (CI compares the two).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-swift/Sources}
cargo build --quiet --locked -p bcpay-uniffi -p uniffi-bindgen
tmp=$(mktemp -d)
target/debug/uniffi-bindgen generate --no-format --library target/debug/libbcpay_uniffi.so --language swift --out-dir "$tmp" >/dev/null
mkdir -p "$out/BcpayFFI" "$out/BcpayFFIC"
cp "$tmp/BcpayFFI.swift" "$out/BcpayFFI/BcpayFFI.swift"
cp "$tmp/BcpayFFIC.h" "$out/BcpayFFIC/BcpayFFIC.h"
rm -rf "$tmp"
