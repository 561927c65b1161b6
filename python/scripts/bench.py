"""Budgets of the Python package, measured in one run (a bench script, not a test):
wheel size, `import bcpay` time in fresh processes, SDK CPU per full flow with canned responses,
and loopback throughput of Client.pay against a hand-written httpx flow making the same three
calls against the sandbox, rounds interleaved.

Usage: python scripts/bench.py <wheel> <sandbox-binary>   (with the wheel installed)
"""
from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

import bcpay
from _flows import PAYMENT, hand_written as hand_written_flow, new_order

wheel, sandbox_bin = Path(sys.argv[1]), sys.argv[2]
print(f"wheel: {wheel.stat().st_size} bytes (budget 2 MB)")

imports = []
for _ in range(7):
    out = subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); import bcpay; print((time.perf_counter() - t) * 1000)"], capture_output=True, text=True, check=True)
    imports.append(float(out.stdout))
print(f"import bcpay: {statistics.median(imports):.1f} ms (median of 7 processes; budget 25 ms)")

# SDK CPU per flow
def b64(o: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")

exp = int(time.time()) + 3600
pat = f"{b64({'alg': 'HS256'})}.{b64({'exp': exp, 'data': {'order_id': 215, 'amount': 6098}})}.c2ln"
h = (("content-type", "application/json"),)
canned = [
    bcpay.HttpResponse(200, h, json.dumps({"data": [{"id": "stripe.card", "name": "Stripe", "test_mode": True, "type": "card", "supported_instruments": [{"instrument_type": t, "verification_value_required": True} for t in ["VISA", "MASTERCARD", "AMEX"]], "stored_instruments": []}], "meta": {}}).encode()),
    bcpay.HttpResponse(201, h, json.dumps({"data": {"id": pat}, "meta": {}}).encode()),
    bcpay.HttpResponse(201, h, json.dumps({"data": {"id": "tx-1", "status": "success", "transaction_type": "purchase"}}).encode()),
]
cpu_client = bcpay.Client("abc123", "t", rate_limit={"payments_quota": 10**9})


def one_flow() -> None:
    flow = cpu_client.new_flow(215, PAYMENT)
    i = 0
    while True:
        kind, value = flow.poll()
        if kind == "send":
            flow.on_response(value.id, canned[i])
            i += 1
        elif kind == "done":
            return
        else:
            raise RuntimeError(kind)


for _ in range(1000):
    one_flow()
per_flow = []
for _ in range(5):
    t = time.process_time()
    for _ in range(3000):
        one_flow()
    per_flow.append((time.process_time() - t) / 3000 * 1e6)
print(f"SDK CPU per full flow (methods, token, process; build + parse + flow): {statistics.median(per_flow):.1f} µs")

# Loopback throughput (sequential: a billing script pays one order at a time)
# As npm's bench does (Linux): the sandbox on CPU 1 and this process on CPU 0, so the two sides
# of a round do not trade CPU differently from round to round.
pinned = sys.platform == "linux" and subprocess.run(["taskset", "-c", "1", "true"], capture_output=True).returncode == 0
if pinned:
    os.sched_setaffinity(0, {0})
print(f"sandbox: {sandbox_bin}{' (pinned to CPU 1, this process to CPU 0)' if pinned else ''}")
command = [sandbox_bin, "--port", "0", "--payments-quota", "1000000000"]
proc = subprocess.Popen(["taskset", "-c", "1", *command] if pinned else command, stdout=subprocess.PIPE, text=True)
assert proc.stdout is not None
url = proc.stdout.readline().split()[-1]
try:
    client = bcpay.Client("abc123", "sandbox-token", api_base=url, payments_base=url, rate_limit={"payments_quota": 10**9})
    raw = httpx.Client(timeout=30.0)

    def orders(n: int) -> list:
        return [new_order(client) for _ in range(n)]

    hand_written = hand_written_flow(raw, url)

    def sdk(order_id: int) -> None:
        client.pay(order_id, PAYMENT)

    def run(pay, ids) -> float:  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        for i in ids:
            pay(i)
        return len(ids) / (time.perf_counter() - t)

    run(sdk, orders(50)), run(hand_written, orders(50))
    ratios = []
    for r in range(15):
        a, b = orders(200), orders(200)
        if r % 2 == 0:
            s, hw = run(sdk, a), run(hand_written, b)
        else:
            hw, s = run(hand_written, b), run(sdk, a)
        ratios.append(s / hw)
        print(f"round {r}: bcpay {s:.0f} payments/s, hand-written httpx {hw:.0f} payments/s, ratio {s / hw:.3f}")
    print(f"throughput ratio (median of 15 interleaved rounds): {statistics.median(ratios):.3f} (goal >= 0.95)")
finally:
    proc.kill()
