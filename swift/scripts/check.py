#!/usr/bin/env python3
"""Checks the Swift package where no Swift toolchain exists (CI on Linux).

1. The committed bindings are exactly what uniffi-bindgen generates from the current Rust library.
2. Every FFI method and function the package's Swift code calls exists in the generated bindings,
   with the argument labels used.
3. The Swift Client offers every operation the Kotlin Client does.
4. Every path Package.swift and the module map name exists.

Exits non-zero with one line per problem.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

SWIFT = Path(__file__).resolve().parents[1]
ROOT = SWIFT.parent
problems: list[str] = []

# 1. Fresh generation matches the committed files.
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["bash", str(SWIFT / "scripts/generate.sh"), tmp], check=True)
    for rel in ["BcpayFFI/BcpayFFI.swift", "BcpayFFIC/BcpayFFIC.h"]:
        if (Path(tmp) / rel).read_bytes() != (SWIFT / "Sources" / rel).read_bytes():
            problems.append(f"swift/Sources/{rel} is stale: run bash swift/scripts/generate.sh")

# 2. Calls into the bindings match the generated API.
generated = (SWIFT / "Sources/BcpayFFI/BcpayFFI.swift").read_text()
signatures: dict[str, set[str]] = {}
for name, params in re.findall(r"(?:open|public) func (\w+)\(([^)]*)\)", generated):
    first = params.split(":")[0].strip().split(" ")[-1] if params.strip() else ""
    signatures.setdefault(name, set()).add(first)
sources = sorted((SWIFT / "Sources/Bcpay").glob("*.swift")) + sorted((SWIFT / "Tests").rglob("*.swift"))
own = set()
for src in sources:
    own |= set(re.findall(r"func (\w+)\(", src.read_text()))
ffi_only = {n for n in signatures if n not in own and not n.startswith(("FfiConverter", "uniffi"))}
for src in sources:
    text = re.sub(r"//[^\n]*", "", src.read_text())
    for call in re.finditer(r"\b(\w+)\(", text):
        name = call.group(1)
        if name not in ffi_only:
            continue
        labelled = re.match(r"\s*(\w+)\s*:(?!:)", text[call.end():])
        label = labelled.group(1) if labelled else ""
        if label not in signatures[name]:
            problems.append(f"{src.relative_to(ROOT)}: {name}({label}:) does not match the bindings ({sorted(signatures[name])})")
for ctor in ["CoreApi(storeHash:", "CardNumber(digits:", "VerificationValue(digits:"]:
    name, label = ctor[:-1].split("(")
    if not re.search(rf"class {name}\b.*?public convenience init\({label}:", generated, re.S):
        problems.append(f"bindings lack {ctor})")

# 3. The Swift Client covers the Kotlin Client.
kotlin = (ROOT / "kotlin/src/main/kotlin/dev/bcpay/Client.kt").read_text()
swift = (SWIFT / "Sources/Bcpay/Client.swift").read_text()
kotlin_ops = set(re.findall(r"^    fun (\w+)\(", kotlin, re.M))
swift_ops = set(re.findall(r"public func (\w+)\(", swift))
# Kotlin spells some operations differently: blocking + CompletableFuture vs Swift async, and a
# named variant vs a Swift overload.
same = {"payAsync": "pay", "getPaymentMethodsForCheckout": "getPaymentMethods", "close": None}
for op in sorted(kotlin_ops):
    mapped = same.get(op, op)
    if mapped is not None and mapped not in swift_ops:
        problems.append(f"swift/Sources/Bcpay/Client.swift lacks {mapped} (Kotlin Client has {op})")

# 4. Paths named by the package exist.
package = (SWIFT / "Package.swift").read_text()
for path in re.findall(r'path: "([^"]+)"', package):
    if path.endswith(".xcframework"):
        continue
    if not (SWIFT / path).exists():
        problems.append(f"Package.swift names missing path {path}")
modulemap = (SWIFT / "Sources/BcpayFFIC/module.modulemap").read_text()
for header in re.findall(r'header "([^"]+)"', modulemap):
    if not (SWIFT / "Sources/BcpayFFIC" / header).exists():
        problems.append(f"module.modulemap names missing header {header}")
for name in ["build.json", "parse.json", "validate.json", "flow.json"]:
    if f'"{name}"' not in (SWIFT / "Tests/BcpayTests/VectorsTests.swift").read_text():
        problems.append(f"VectorsTests.swift does not run {name}")

for p in problems:
    print(p, file=sys.stderr)
print(f"swift package check: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
