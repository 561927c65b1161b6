#!/usr/bin/env bash
# Builds the Kotlin package and runs its tests: generates the bindings from the uniffi library,
# compiles them and dev.bcpay with kotlinc, then runs every conformance vector and the
# end-to-end tests against the sandbox under JUnit 4 on the JVM.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_kotlin

# The library and the bindgen in one invocation, as swift/scripts/generate.sh does, so that both
# resolve the same features and reuse one build.
cargo build --quiet --locked -p bcpay-uniffi -p uniffi-bindgen
cargo build --quiet --locked -p bcpay-sandbox -p bcpay-cli
out=target/kotlin
build_kotlin_jar target/debug "$out"
build_kotlin_app_jar "$out"

jna=/usr/share/java/jna.jar
test_cp="$out/bcpay.jar:$jna:/usr/share/java/gson.jar:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar:$KOTLIN_LIB/kotlin-reflect.jar"
"$KOTLINC" -nowarn -cp "$test_cp" kotlin/src/test/kotlin/dev/bcpay/*.kt -d "$out/tests.jar"

java -Djna.library.path=target/debug -Dbcpay.vectors=tests/vectors -Dbcpay.sandbox=target/debug/bcpay-sandbox \
  -cp "$out/tests.jar:$test_cp:$KOTLIN_LIB/kotlin-stdlib.jar" \
  org.junit.runner.JUnitCore dev.bcpay.VectorsTest dev.bcpay.BoundaryTest dev.bcpay.TransportTest dev.bcpay.ClientTest dev.bcpay.HostileTest dev.bcpay.HostVectorsTest dev.bcpay.RelayTest

# The README's example compiles against the package and pays on a sandbox.
"$KOTLINC" -nowarn -cp "$out/bcpay.jar:$jna" kotlin/examples/Example.kt -d "$out/example.jar"
start_sandbox target/debug/bcpay-sandbox
java -Djna.library.path=target/debug -cp "$out/example.jar:$out/bcpay.jar:$jna:$KOTLIN_LIB/kotlin-stdlib.jar" ExampleKt "$SANDBOX_URL" | tee "$out/example.txt"
grep -q "^paid order" "$out/example.txt"

# The app quickstart compiles against the app side alone (the bindings and dev.bcpay.app, Java 8)
# and pays through `bcpay app-server`, holding no token.
"$KOTLINC" -nowarn -jvm-target 1.8 -Xjdk-release=1.8 -cp "$out/ffi-classes:$out/bcpay-app.jar:$jna" kotlin/examples/AppExample.kt -d "$out/app-example.jar"
log=$(mktemp)
target/debug/bcpay app-server --port 0 >"$log" &
server_pid=$!
trap 'kill $SANDBOX_PID $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
server_url=$(grep -o 'http://[0-9.:]*' "$log" | head -1)
java -Djna.library.path=target/debug -cp "$out/app-example.jar:$out/ffi-classes:$out/bcpay-app.jar:$jna:$KOTLIN_LIB/kotlin-stdlib.jar" AppExampleKt "$server_url" | tee "$out/app-example.txt"
grep -q "^paid order" "$out/app-example.txt"
