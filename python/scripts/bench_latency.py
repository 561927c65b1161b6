"""Payment latency when each request costs a round trip (a bench script, not a test): the sandbox
waits 50 ms (`--latency-ms`) before each answer. One payment at a time; the variants interleaved in
rounds in one run, so machine noise hits them alike. Prints each variant's median latency and its
ratio to the hand-written three-call httpx flow (#17's goals: <= 0.70 unprepared, <= 0.40
prepared). "Prepared" times `pay` alone on an order `prepare`d beforehand (when the checkout
opened): what the shopper waits for after pressing "pay".

Usage (the wheel installed, target/debug/bcpay-sandbox built):  python python/scripts/bench_latency.py
"""
from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

import httpx

import bcpay
from _flows import PAYMENT, hand_written as hand_written_flow, new_order as new_order_of

LATENCY_MS, ROUNDS, PER_ROUND = 50, 7, 10
root = Path(__file__).resolve().parents[2]
sandbox_bin = os.environ.get("BCPAY_SANDBOX_BIN", str(root / "target" / "debug" / "bcpay-sandbox"))

proc = subprocess.Popen([sandbox_bin, "--port", "0", "--latency-ms", str(LATENCY_MS), "--payments-quota", "100000"],
                        stdout=subprocess.PIPE, text=True)
assert proc.stdout is not None
url = proc.stdout.readline().split()[-1]
try:
    full = bcpay.Client("abc123", "sandbox-token", api_base=url, payments_base=url)
    known_method = bcpay.Client("abc123", "sandbox-token", api_base=url, payments_base=url, flow_options={"fetch_methods": False})
    raw = httpx.Client(timeout=30.0)

    def new_order() -> int:
        return new_order_of(full)

    hand_written = hand_written_flow(raw, url)

    variants = [
        ("hand-written httpx (3 calls)", hand_written, None),
        ("bcpay", lambda i: full.pay(i, PAYMENT), None),
        ("bcpay, fetch_methods: False", lambda i: known_method.pay(i, PAYMENT), None),
        ("bcpay prepared (pay only)", lambda i: full.pay(i, PAYMENT), full.prepare),
    ]
    ms: list = [[] for _ in variants]
    for _ in range(3):
        full.pay(new_order(), PAYMENT)  # warm-up
    for rnd in range(ROUNDS):
        for k in range(len(variants)):
            v = (k + rnd) % len(variants)  # rotate which goes first
            _, pay, before = variants[v]
            for _ in range(PER_ROUND):
                order_id = new_order()
                if before:
                    before(order_id)
                t = time.perf_counter()
                pay(order_id)
                ms[v].append((time.perf_counter() - t) * 1000)
    hand = statistics.median(ms[0])
    print(f"payment latency at {LATENCY_MS} ms per request (median of {ROUNDS * PER_ROUND} payments each, {ROUNDS} interleaved rounds):")
    for (name, _, _), v in zip(variants, ms):
        m = statistics.median(v)
        print(f"  {name:<30} {m:7.1f} ms   {m / hand:.2f} of hand-written")
finally:
    proc.kill()
