#!/usr/bin/env bash
# Runs kotlin/bench/Bench.kt against the release library and a release sandbox (not part of CI).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_kotlin
cargo build --quiet --locked --release -p bcpay-uniffi
cargo build --quiet --locked --release -p bcpay-sandbox
cargo build --quiet --locked -p bcpay-uniffi -p uniffi-bindgen
out=target/kotlin-bench
build_kotlin_jar target/release "$out" kotlin/bench/Bench.kt
start_sandbox target/release/bcpay-sandbox --payments-quota 1000000000 --management-quota 1000000000
java -Djna.library.path=target/release -cp "$out/bcpay.jar:/usr/share/java/jna.jar:$KOTLIN_LIB/kotlin-stdlib.jar" BenchKt "$SANDBOX_URL"
