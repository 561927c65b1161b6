"""Billing runs under the journal (`bcpay.Batch`, `bcpay.AsyncBatch`, `SqliteJournal`) against
the sandbox: recurring stored-card charges without a CVV, a run killed with SIGKILL in the
middle and run again, and one payment per order at a time."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import bcpay
from conftest import start_sandbox
from test_e2e import admin, charges, client, order

SETTLE_FAST = {"settle_window_ms": 1000, "reconcile_delay_ms": 100}


def stored_card_rows(c: bcpay.Client, n: int) -> List[Tuple[int, Dict[str, Any]]]:
    orders = [order(c, customer_id=11) for _ in range(n)]
    methods = c.get_payment_methods(order_id=orders[0])
    token = next(i.token for m in methods for i in m.stored_instruments if i.type == "stored_card")
    # A merchant-initiated charge: no CVV (is_recurring on the batch).
    return [(o, {"instrument": {"type": "stored_card", "token": token}, "payment_method_id": "stripe.card"}) for o in orders]


def test_a_batch_charges_stored_cards_and_a_rerun_skips_them(sandbox_url: str, tmp_path: Path) -> None:
    journal = tmp_path / "billing.db"
    seen: List[bcpay.BatchResult] = []
    with client(sandbox_url) as c:
        rows = stored_card_rows(c, 12)
        summary = bcpay.Batch(c, journal, concurrency=4, on_progress=seen.append, is_recurring=True).run(rows)
        assert (summary.paid, summary.failed, summary.ambiguous, summary.skipped) == (12, 0, 0, 0)
        assert len(seen) == 12 and all(r.receipt is not None and r.attempts == 1 for r in seen)
        assert all(charges(sandbox_url, o) == 1 for o, _ in rows)
        # The summary is plain JSON and carries no token.
        text = json.dumps(summary)
        assert rows[0][1]["instrument"]["token"] not in text and '"paid": 12' in text
        before = admin(sandbox_url, "ledger")["requests"].get("process_payment", 0)
        again = bcpay.Batch(c, journal, is_recurring=True).run(rows)
        assert (again.paid, again.skipped) == (12, 12)
        assert admin(sandbox_url, "ledger")["requests"].get("process_payment", 0) == before


def test_async_batch_and_bad_rows(sandbox_url: str, tmp_path: Path) -> None:
    with client(sandbox_url) as c:
        rows: List[Any] = stored_card_rows(c, 4)
    rows.append(("215", rows[0][1]))  # an order id that is not an integer: that row fails
    async def go() -> bcpay.BatchSummary:
        async with bcpay.AsyncClient("abc123", "sandbox-token", api_base=sandbox_url, payments_base=sandbox_url) as ac:
            return await bcpay.AsyncBatch(ac, bcpay.SqliteJournal(tmp_path / "j.db"), is_recurring=True).run(rows)
    summary = asyncio.run(go())
    assert (summary.paid, summary.failed) == (4, 1)
    bad = next(r for r in summary.results if r.state == "failed")
    assert bad.error is not None and bad.error.kind == "validation" and "order_id" in bad.error.text
    # Not a pair at all: a typed error naming the item, before anything is paid.
    with client(sandbox_url) as c, pytest.raises(bcpay.ValidationError) as e:
        bcpay.Batch(c, tmp_path / "k.db").run([42])  # type: ignore[list-item]
    assert e.value.field_errors[0].path == "payments[0]"


def test_one_run_at_a_time_per_sqlite_journal(tmp_path: Path) -> None:
    first = bcpay.SqliteJournal(tmp_path / "billing.db")
    with pytest.raises(bcpay.ConfigurationError) as e:
        bcpay.SqliteJournal(tmp_path / "billing.db")
    assert e.value.code_text == "journal_in_use"
    first.close()
    bcpay.SqliteJournal(tmp_path / "billing.db").close()


def test_a_journal_that_cannot_be_opened_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(bcpay.ConfigurationError) as e:
        bcpay.SqliteJournal(tmp_path / "no-such-dir" / "billing.db")
    assert e.value.code_text == "journal_unavailable" and "opening" in str(e.value)


CHILD = r"""
import json, os, signal, sys
import bcpay
url, journal, rows = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
done = []
def progress(result):
    done.append(result)
    if len(done) == int(sys.argv[4]):
        os.kill(os.getpid(), signal.SIGKILL)  # others are in flight
c = bcpay.Client("abc123", "sandbox-token", api_base=url, payments_base=url, timeout=2)
bcpay.Batch(c, journal, concurrency=6, on_progress=progress, is_recurring=True, **json.loads(sys.argv[5])).run([tuple(r) for r in rows])
"""


@pytest.mark.parametrize("resend", [False, True])
def test_a_batch_killed_in_the_middle_resumes_without_double_charges(tmp_path: Path, extra_sandboxes: List[Any], resend: bool) -> None:
    proc, url = start_sandbox()
    extra_sandboxes.append(proc)
    with client(url) as c:
        rows = stored_card_rows(c, 40)
    admin(url, "faults", {"reset_after_commit": 0.1, "code_10000": 0.05, "reset_before_commit": 0.05})
    journal = str(tmp_path / "billing.db")
    options = dict(SETTLE_FAST, resend_when_unrecorded=resend)
    child = subprocess.run([sys.executable, "-c", CHILD, url, journal, json.dumps(rows), "15", json.dumps(options)], capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    with bcpay.SqliteJournal(journal) as j:
        states = j.states()
    assert 15 <= len(states) < 40, states  # killed in the middle
    admin(url, "faults", {})

    # The rerun, with asyncio this time: settles what the killed run left, pays the rest.
    async def rerun() -> bcpay.BatchSummary:
        async with bcpay.AsyncClient("abc123", "sandbox-token", api_base=url, payments_base=url) as ac:
            return await bcpay.AsyncBatch(ac, journal, is_recurring=True, **options).run(rows)
    summary = asyncio.run(rerun())
    ledger = admin(url, "ledger")
    assert ledger["double_charges"] == 0
    charged = [o for o, _ in rows if charges(url, o) == 1]
    assert all(charges(url, o) <= 1 for o, _ in rows)
    assert summary.paid == len(charged), summary
    assert summary.paid + summary.ambiguous + summary.failed + summary.declined == 40
    assert summary.skipped >= 14  # finished before the kill (the 15th may have been mid-write)
    if resend:
        assert summary.paid == 40, summary
    else:
        # Never resent: an order left unclear by the kill or a fault is ambiguous, not charged.
        assert summary.ambiguous == 40 - len(charged)


def test_one_payment_per_order_at_a_time(sandbox_url: str) -> None:
    """Two threads paying one order: one pays, the other is refused before sending anything."""
    with client(sandbox_url) as c:
        ((order_id, payment),) = stored_card_rows(c, 1)
        admin(sandbox_url, "faults", {"slow": 1, "slow_ms": 500})
        outcomes: List[Any] = []
        def pay() -> None:
            try:
                outcomes.append(c.pay(order_id, payment, is_recurring=True))
            except bcpay.BcpayError as e:
                outcomes.append(e)
        try:
            threads = [threading.Thread(target=pay) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            admin(sandbox_url, "faults", {})
    refused = [o for o in outcomes if isinstance(o, bcpay.ConflictError)]
    assert len(refused) == 1 and refused[0].code_text == "payment_in_progress", outcomes
    assert charges(sandbox_url, order_id) == 1
    assert admin(sandbox_url, "ledger")["double_charges"] == 0
