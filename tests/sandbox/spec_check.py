"""Validates the sandbox's recorded answers against the official OpenAPI files.

Every sandbox started with BCPAY_SANDBOX_RECORD=<dir> writes its honest exchanges (no fault fired,
no hostile setting on; at most 25 per call and status) to <dir>/*.jsonl. `scripts/test` sets it
for the whole run, so the exchanges are those of every flow the end-to-end tests run in every
host. This script checks each response (status, body) with openapi-core against the spec file that
owns its path, and each request body bcpay sent; it fails on any violation that is not one of the
documented spec defects below, and on any call of the sandbox no spec describes.

    python tests/sandbox/spec_check.py <dir> [<spec dir, default tests/spec>]
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

ROOT = Path(__file__).resolve().parents[2]

# Which spec owns a path (after /stores/{store_hash}), and the host it is served from.
SPECS: List[Tuple[str, str, str]] = [
    (r"^/payments$", "process_payments.yml", "https://payments.bigcommerce.com"),
    (r"^/v3/payments/access_tokens$", "access-tokens_payments.v3.yml", "https://api.bigcommerce.com"),
    (r"^/v3/payments/methods$", "accepted-methods_payments.v3.yml", "https://api.bigcommerce.com"),
    (r"^/v2/orders(/|$)", "orders.v2.oas2.yml", "https://api.bigcommerce.com"),
    (r"^/v3/orders/", "orders.v3.yml", "https://api.bigcommerce.com"),
    (r"^/v3/customers/\d+/stored-instruments$", "customers.v3.yml", "https://api.bigcommerce.com"),
]

# Where the official files are wrong about the live API, and what the sandbox does instead. Each
# entry: (spec file or "*", method, path pattern, status, a regex the violation's whole text
# matches, why). Only responses are forgiven; a request bcpay sends must match its spec.
GUIDE = "the newest guide (payments_index.mdx, Get Payment Methods) shows them"
ANY = r"."
DEFECTS: List[Tuple[str, str, str, int, str, str]] = [
    ("accepted-methods_payments.v3.yml", "GET", ANY, 200, r"^(data/\*/supported_instruments/\*/instrument_type: 'STORED_(PAYPAL|BANK)_ACCOUNT' is not one of [^;]*(; |$))+$",
     f"the file's instrument_type enum lacks STORED_PAYPAL_ACCOUNT and STORED_BANK_ACCOUNT; {GUIDE}"),
    ("accepted-methods_payments.v3.yml", "GET", ANY, 200, r"^((data/\*/stored_instruments/\*: '(brand|expiry_month|expiry_year|issuer_identification_number|last_4)' is a required property|data/\*/supported_instruments/\*/instrument_type: 'STORED_(PAYPAL|BANK)_ACCOUNT' is not one of [^;]*)(; |$))+$",
     f"the file describes stored cards only (brand, expiry, last_4 required) and its enum lacks the stored PayPal and bank accounts; {GUIDE}"),
    ("orders.v3.yml", "GET", r"/transactions$", 204, r"^MissingData",
     "the file gives its 204 (no transactions) a JSON body; a 204 has none (RFC 9110)"),
] + [
    ("*", method, ANY, status, r"^ResponseNotFound",
     f"the file lists no {status} for this call; the status-codes and rate-limit guides document it for every call")
    for method in ("GET", "POST") for status in (401, 429, 503)
]


def defect(spec: str, method: str, path: str, status: int, text: str) -> Optional[str]:
    for d_spec, d_method, d_path, d_status, d_text, why in DEFECTS:
        if d_spec in ("*", spec) and (d_method, d_status) == (method, status) and re.search(d_path, path) and re.search(d_text, text, re.S):
            return why
    return None


def main() -> int:
    record_dir = Path(sys.argv[1])
    spec_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "tests" / "spec"
    specs: Dict[str, OpenAPI] = {}
    checked: Counter[str] = Counter()
    tolerated: Counter[str] = Counter()
    failures: List[str] = []
    exchanges = [json.loads(line) for f in sorted(record_dir.glob("*.jsonl")) for line in f.read_text().splitlines() if line.strip()]
    if not exchanges:
        print(f"no exchanges recorded in {record_dir}", file=sys.stderr)
        return 1
    for e in exchanges:
        m = re.match(r"^/stores/([^/]+)(/.*)$", e["path"])
        rest = m.group(2) if m else e["path"]
        owner = next(((f, host) for pattern, f, host in SPECS if re.search(pattern, rest)), None)
        kind = f'{e["method"]} {re.sub(r"/[0-9]+", "/{id}", rest)} {e["status"]}'
        if owner is None:
            failures.append(f"{kind}: no official spec describes this call")
            continue
        spec_file, host = owner
        if spec_file not in specs:
            specs[spec_file] = OpenAPI.from_file_path(str(spec_dir / spec_file))
        openapi = specs[spec_file]
        body = e["request_body"] or None
        request = MockRequest(host, e["method"].lower(), e["path"], args=e["query"] or None, data=body,
                              headers={"content-type": "application/json", "accept": "application/json"})
        response = MockResponse(e["response_body"].encode() if e["response_body"] else b"", status_code=e["status"],
                                headers={"content-type": "application/json"}, content_type="application/json")
        problems: List[Tuple[str, str]] = []
        try:
            openapi.validate_response(request, response)
        except Exception as x:  # openapi-core raises one error per exchange, with its causes
            problems.append(("response", describe(x)))
        if body is not None:
            try:
                openapi.validate_request(request)
            except Exception as x:
                text = describe(x)
                # Security and header parameters are the transport's business; bodies are checked.
                if not re.search(r"^Security|MissingRequiredHeader", text):
                    problems.append(("request", text))
        checked[kind] += 1
        for where, text in problems:
            why = defect(spec_file, e["method"], rest, e["status"], text) if where == "response" else None
            if why:
                tolerated[f"{kind}: {why}"] += 1
            else:
                failures.append(f"{kind} ({spec_file}): {where}: {text}")
    for kind, n in sorted(checked.items()):
        print(f"{n:4} {kind}")
    for why, n in sorted(tolerated.items()):
        print(f"tolerated ×{n}: {why}")
    for f, n in sorted(Counter(failures).items()):
        print(f"SPEC VIOLATION ×{n} {f}", file=sys.stderr)
    print(f"{len(exchanges)} exchanges, {len(checked)} kinds, {len(failures)} violations")
    return 1 if failures else 0


def describe(x: BaseException) -> str:
    """The schema errors of `x` and its causes, one per line with their paths (array indexes
    as `*`, so that the same problem reads the same in every exchange); else its type and text."""
    parts: List[str] = []
    c: Optional[BaseException] = x
    while c is not None:
        for cause in getattr(c, "schema_errors", None) or []:
            path = "/".join("*" if isinstance(p, int) else str(p) for p in cause.absolute_path)
            parts.append(f"{path}: {cause.message}")
        c = c.__cause__
    return "; ".join(sorted(set(parts))) if parts else f"{type(x).__name__}: {x}"


if __name__ == "__main__":
    sys.exit(main())
