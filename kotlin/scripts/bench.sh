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
rm -rf "$out" && mkdir -p "$out"
target/debug/uniffi-bindgen generate --no-format --library target/release/libbcpay_uniffi.so --language kotlin --out-dir "$out/generated"
jna=/usr/share/java/jna.jar
"$KOTLINC" -nowarn -cp "$jna" "$out"/generated/dev/bcpay/ffi/*.kt kotlin/src/main/kotlin/dev/bcpay/*.kt kotlin/bench/Bench.kt -d "$out/bench.jar"
log=$(mktemp)
target/release/bcpay-sandbox --port 0 --payments-quota 1000000000 --management-quota 1000000000 >"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
java -Djna.library.path=target/release -cp "$out/bench.jar:$jna:$KOTLIN_LIB/kotlin-stdlib.jar" BenchKt "$(awk '/listening on/ {print $NF; exit}' "$log")"
