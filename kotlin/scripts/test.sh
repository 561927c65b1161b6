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
cargo build --quiet --locked -p bcpay-sandbox
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
