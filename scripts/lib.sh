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
