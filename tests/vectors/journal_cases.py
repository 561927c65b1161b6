"""The billing journal's vectors (journal.json): what a run does first with each stored record,
and which records are refused. Written from the table in core/src/journal.rs's documentation,
not from bcpay's output.

plan: {name, now_ms, options, record (an object, or null for none), expect}
  expect.first: "finished" (skipped when expect.skipped), or the endpoint of the first request,
  or "wait" with expect.until_ms (a settle read not due yet). The payment is always
  STORED_CARD for order 215; options are flow options.
read: {name, text, expect: {path, code}}: a record a host hands back that the core refuses.
"""
NOW = 1795219200000  # 2026-11-21T00:00:00Z
ORDER = 215
FP = "0123456789abcdef"
INSTRUMENT = {"type": "stored_card", "payment_method_id": "stripe.card", "fingerprint": FP}
FAST = {"fetch_methods": False, "reconcile_delay_ms": 1000, "settle_window_ms": 10000}


def record(state, **extra):
    r = {"version": 1, "order_id": ORDER, "state": state, "instrument": INSTRUMENT, "attempts": 1, "updated_at_ms": NOW - 1000}
    r.update(extra)
    return r


plan = []


def p(name, rec, first, options=None, **expect):
    plan.append({"name": name, "now_ms": NOW, "options": options or FAST, "record": rec, "expect": dict(expect, first=first)})


p("no record: pay (the token first when methods are not fetched)", None, "create_payment_access_token")
p("no record: pay, methods first by default", None, "get_payment_methods", options={"fetch_methods": True})
p("failed (nothing taken): pay again", record("failed", error={"kind": "rate_limited", "text": "x"}), "create_payment_access_token")
p("paid: skipped, nothing sent", record("paid", attempt_id="a", sent_at_ms=NOW - 5000, receipt={"order_id": ORDER, "payments": []}), "finished", skipped=True)
p("declined: skipped and reported", record("declined", attempt_id="a", sent_at_ms=NOW - 5000, error={"kind": "declined", "code": 30102, "text": "x"}), "finished", skipped=True)
p("sending long ago: settled now, from the transactions", record("sending", attempt_id="a", sent_at_ms=NOW - 60000), "get_order_transactions")
p("sending just now: the first settle read waits for its time", record("sending", attempt_id="a", sent_at_ms=NOW - 200), "wait", until_ms=NOW - 200 + 1000)
p("sending midway through the window: the read due last is made now", record("sending", attempt_id="a", sent_at_ms=NOW - 4000), "get_order_transactions")
p("ambiguous: settled again (the ledger may have caught up)", record("ambiguous", attempt_id="a", sent_at_ms=NOW - 600000, error={"kind": "ambiguous_outcome", "text": "x"}), "get_order_transactions")
p("sending with reconciliation off: ambiguous at once, nothing sent", record("sending", attempt_id="a", sent_at_ms=NOW - 60000), "finished",
  options=dict(FAST, reconcile=False), skipped=False, state="ambiguous")
p("a record for another order: refused, nothing sent", dict(record("sending", attempt_id="a", sent_at_ms=NOW - 60000), order_id=216), "finished",
  skipped=False, state="failed", error_kind="validation")

read = []


def r(name, text, path, code):
    read.append({"name": name, "text": text, "expect": {"path": path, "code": code}})


import json  # noqa: E402

r("not JSON", "{", "journal_record", "unreadable_record")
r("another version", json.dumps(dict(record("paid"), version=2)), "journal_record.version", "unsupported_version")
r("an unknown key (a CVV has no place in a record)", json.dumps(dict(record("paid"), cvv="123")), "journal_record", "unreadable_record")
r("an unknown state", json.dumps(dict(record("paid"), state="refunded")), "journal_record", "unreadable_record")
r("no order id", json.dumps({k: v for k, v in record("paid").items() if k != "order_id"}), "journal_record", "unreadable_record")
r("a negative attempt count", json.dumps(dict(record("paid"), attempts=-1)), "journal_record", "unreadable_record")

JOURNAL = {"stored_card": {"instrument": {"type": "stored_card", "token": "a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e8d9c0b1a2f3"},
                           "payment_method_id": "stripe.card"},
           "order_id": ORDER, "plan": plan, "read": read}
