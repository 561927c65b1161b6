"""Quota use of one store by 1, 4 and 8 billing workers (a bench script, not a test): each run
queues the same number of recurring stored-card payments in a fresh PostgreSQL journal table,
starts N worker processes (`Batch.work`, concurrency 4 each, sharing the store's Process Payment
budget through `RedisLimiter`) against a fresh sandbox that enforces 50 per 4 s, and measures
the steady rate of charges from the sandbox's commit times over whole windows (see
`Store.payments_per_s`), printed side by side as a ratio to 12.5 payments/s, with the 429s the
store answered and the wall time of each run.

Usage (from the repository root, PostgreSQL and Redis running — scripts/lib.sh, ensure_services —
and the wheel installed):  python python/scripts/bench_workers.py [payments per run, default 300]
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("BCPAY_REQUIRE_SERVICES", "1")

import test_workers  # noqa: E402  (its Store and worker are the bench's)

payments = int(sys.argv[1]) if len(sys.argv) > 1 else 300
rows = []
for workers in (1, 4, 8):
    procs: list = []
    store = test_workers.Store(procs, payments, store_hash=f"bench{workers}")
    started = time.monotonic()
    running = [store.worker() for _ in range(workers)]
    for w in running:
        test_workers.finish(w)
    elapsed = time.monotonic() - started
    ledger = test_workers.admin(store.url, "ledger")
    rate = store.payments_per_s(ledger)
    rows.append((workers, rate, elapsed, ledger["faults_injected"].get("rate_limited_429", 0), ledger["double_charges"]))
    for p in procs:
        p.kill()
print(f"{payments} payments per run; quota 50 per 4 s = {test_workers.QUOTA_PER_S} payments/s")
print(f"{'workers':>8} {'payments/s':>11} {'of quota':>9} {'wall s':>7} {'429s':>5} {'double charges':>15}")
for workers, rate, elapsed, r429, double in rows:
    print(f"{workers:>8} {rate:>11.2f} {rate / test_workers.QUOTA_PER_S:>9.3f} {elapsed:>7.1f} {r429:>5} {double:>15}")
