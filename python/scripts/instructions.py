"""Instructions per payment of this Python process, counted by callgrind: repeatable where
timings on this machine are not. bcpay's ``Client.pay`` against the hand-written httpx flow of
``bench.py`` (the same three calls), over loopback to a sandbox in another process, which is not
counted. A benchmark, not a test: it prints figures and asserts nothing about them.

Usage: python scripts/instructions.py <sandbox-binary> [payments]   (with bcpay installed, and
valgrind). Each count is a run of this file under callgrind with ``PYTHONHASHSEED=0``: paying
``payments`` orders (``sdk`` or ``hand``) or none (``none``, the same orders and warm-up), so the
differences are the payments.
"""
from __future__ import annotations

import os
import subprocess
import sys


def payer(mode: str, payments: int, url: str) -> None:
    import httpx
    from _flows import PAYMENT, hand_written as hand_written_flow, new_order

    import bcpay

    client = bcpay.Client("abc123", "sandbox-token", api_base=url, payments_base=url, rate_limit={"payments_quota": 10**9})
    hand_written = hand_written_flow(httpx.Client(timeout=30.0), url)
    ids = [new_order(client) for _ in range(payments + 20)]
    payment = PAYMENT

    # The same warm-up in every mode.
    for order_id in ids[:10]:
        hand_written(order_id)
    for order_id in ids[10:20]:
        client.pay(order_id, payment)
    pay = {"sdk": lambda order_id: client.pay(order_id, payment), "hand": hand_written, "none": lambda order_id: None}[mode]
    for order_id in ids[20:]:
        pay(order_id)


def count(mode: str, payments: int, url: str) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__, "--payer", mode, str(payments), url],
        env={**os.environ, "PYTHONHASHSEED": "0"}, capture_output=True, text=True, check=True,
    )
    return int(next(line for line in out.stderr.splitlines() if "Collected" in line).split()[-1])


def main() -> None:
    if sys.argv[1] == "--payer":
        payer(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    sandbox, payments = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100
    proc = subprocess.Popen([sandbox, "--port", "0", "--payments-quota", "1000000000"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().split()[-1]
    try:
        none = count("none", payments, url)
        sdk, hand = ((count(mode, payments, url) - none) // payments for mode in ("sdk", "hand"))
        print(f"instructions per payment (this process; callgrind): bcpay {sdk}, hand-written httpx {hand} (ratio {hand / sdk:.3f})")
    finally:
        proc.kill()


if __name__ == "__main__":
    main()
