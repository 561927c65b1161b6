#!/usr/bin/env bash
# On macOS with Xcode: builds libbcpay_uniffi.a for iOS, the iOS simulator and macOS, and packs
# them with the generated header into swift/BcpayFFIC.xcframework, which Package.swift then uses.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash swift/scripts/generate.sh
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
for t in "${targets[@]}"; do
  rustup target add "$t"
  cargo build --locked --release -p bcpay-uniffi --target "$t"
done
work=target/xcframework
rm -rf "$work" swift/BcpayFFIC.xcframework
mkdir -p "$work/headers" "$work/ios-sim" "$work/macos"
cp swift/Sources/BcpayFFIC/BcpayFFIC.h "$work/headers/"
sed 's/link "bcpay_uniffi"//' swift/Sources/BcpayFFIC/module.modulemap > "$work/headers/module.modulemap"
lipo -create target/aarch64-apple-ios-sim/release/libbcpay_uniffi.a target/x86_64-apple-ios/release/libbcpay_uniffi.a \
  -output "$work/ios-sim/libbcpay_uniffi.a"
lipo -create target/aarch64-apple-darwin/release/libbcpay_uniffi.a target/x86_64-apple-darwin/release/libbcpay_uniffi.a \
  -output "$work/macos/libbcpay_uniffi.a"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libbcpay_uniffi.a -headers "$work/headers" \
  -library "$work/ios-sim/libbcpay_uniffi.a" -headers "$work/headers" \
  -library "$work/macos/libbcpay_uniffi.a" -headers "$work/headers" \
  -output swift/BcpayFFIC.xcframework
echo "swift/BcpayFFIC.xcframework is ready"
