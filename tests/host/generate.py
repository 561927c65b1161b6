#!/usr/bin/env python3
"""Writes the host vectors (scenarios.json): scripted-transport scenarios that every host runs
through its *public client* (Rust, npm, Python sync and async, Kotlin, Swift), so that the hosts
stay identical where the core cannot see them: how a call is made, how a thrown transport error is
mapped, how errors are classed and worded, how field paths are named, how pages are followed,
how a time budget and a cancellation end.

Run it after editing and commit its output: `python3 tests/host/generate.py`. Format: README.md.
"""
import json
import os
import sys

HERE = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors"))
from fixtures import METHODS, TX, card, jwt, payment  # noqa: E402

# The token's lifetime counts from its receipt (exp - iat), so a fixed exp works at any date.
PAT = jwt(1795219200 + 3600)
# Waits in scenarios stay in milliseconds: the hosts run them on real clocks.
FAST = {"backoff_base_ms": 1, "backoff_cap_ms": 5, "reconcile_delay_ms": 10, "settle_window_ms": 40}

ORDER = {"id": 215, "status_id": 0, "status": "Incomplete", "payment_status": "", "customer_id": 0, "total_inc_tax": "60.9800"}
NEW_ORDER = {"customer_id": 0, "billing_address": {"first_name": "Jane", "last_name": "Doe", "street_1": "123 Main Street", "city": "Austin",
                                                   "state": "Texas", "zip": "78751", "country": "United States", "country_iso2": "US",
                                                   "email": "jane@example.com"},
             "products": [{"name": "Poster", "quantity": 1, "price_inc_tax": 10.98, "price_ex_tax": 10}]}
CARD = payment(card())
REFUND = {"items": [{"item_type": "ORDER", "item_id": 215, "amount": 10}], "payments": [{"provider_id": "stripe", "amount": 10, "offline": False}]}
QUOTE = {"items": [{"item_type": "ORDER", "item_id": 215, "amount": 10}]}


def ok(status, body=None, headers=None):
    r = {"status": status}
    if body is not None:
        r["body"] = body
    if headers:
        r["headers"] = headers
    return r


def text(status, body_text, headers=None):
    r = {"status": status, "body_text": body_text}
    if headers:
        r["headers"] = headers
    return r


def problem(status, title, code=None, headers=None):
    body = {"status": status, "title": title, "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}
    if code is not None:
        body["code"] = code
    return ok(status, body, headers)


def throw(failure, cause=None):
    """The transport throws: `not_sent`, `maybe_sent`, `timed_out` as the host's typed transport
    error, `foreign` as any other exception (a bug in a custom transport). `cause`: the error's
    text (the library's or the OS's words), which the core keeps, scrubbed."""
    step = {"throw": failure}
    if cause is not None:
        step["cause"] = cause
    return step


def delayed(answer, ms):
    """`answer`, given `ms` after the request reached the transport."""
    return {**answer, "delay_ms": ms}


def hang(ms=3000):
    """The transport answers nothing for `ms` (it stops early when the host aborts it)."""
    return {"hang_ms": ms}


R_ORDER = ok(200, ORDER)
R_CREATED = ok(201, {**ORDER, "id": 216})
R_METHODS = ok(200, {"data": METHODS, "meta": {}})
R_TOKEN = ok(201, {"data": {"id": PAT}, "meta": {}})
R_PAID = ok(201, {"data": {"id": "tx-1", "status": "success", "transaction_type": "purchase"}})
R_429 = problem(429, "Too many requests", headers={"X-Rate-Limit-Time-Reset-Ms": "5", "X-Rate-Limit-Requests-Left": "0"})
R_503 = problem(503, "Service Unavailable")


def page(n, total, txs=1):
    return ok(200, {"data": [{**TX, "id": n * 10 + i} for i in range(txs)], "meta": {"pagination": {"current_page": n, "total_pages": total}}})


def error(class_name, kind, retry=None, code=None, status=None, field=None, field_code=None, message=None, server_request_id=None):
    """An expected error. `field` is the core's path; hosts compare it in their own names.
    `message` is the start of the error's text, which every host shows as the core words it.
    `server_request_id`: the server's id of the exchange the error keeps (`null`: none)."""
    e = {"class_name": class_name, "kind": kind}
    for k, v in [("retry", retry), ("code", code), ("status", status), ("field", field), ("field_code", field_code), ("message", message),
                 ("server_request_id", server_request_id)]:
        if v is not None:
            e[k] = v
    return e


NEVER = {"type": "never"}
RECONCILE = {"type": "reconcile"}


def after(ms):
    return {"type": "after", "ms": ms}


scenarios = []


def s(name, call, args, script, expect, options=None, cancel_after_ms=None, dynamic_only=False, max_ms=None, events=None):
    """One scenario. `call` is the endpoint name (or `pay`); `args` its arguments in the core's
    names; `script` the transport's answers in order. `dynamic_only`: input a typed host cannot
    express (its compiler refuses it), run by npm and Python only. `events`: what the host's
    public hook or logger reports, each event as README.md's "Events" projects it."""
    if events is not None:
        expect = {**expect, "events": events}
    case = {"name": name, "call": call, "args": args, "script": script, "expect": expect}
    if options:
        case["options"] = options
    if cancel_after_ms is not None:
        case["cancel_after_ms"] = cancel_after_ms
    if dynamic_only:
        case["dynamic_only"] = True
    case["max_ms"] = max_ms or 3000
    scenarios.append(case)


def requests(*endpoints):
    return list(endpoints)


# --- single calls: the limiter and the one resend rule ------------------------------------------
s("a 429 on a read is waited out and sent again", "get_order", {"order_id": 215}, [R_429, R_ORDER],
  {"ok": {"id": 215}, "requests": requests("get_order", "get_order")}, FAST,
  events=["request get_order 1", "response get_order 429", "retry", "request get_order 2", "response get_order 200", "done"])
s("a 429 on create_order is waited out: refused before processing, even for a write", "create_order", {"order": NEW_ORDER}, [R_429, R_CREATED],
  {"ok": {"id": 216}, "requests": requests("create_order", "create_order")}, FAST)
s("5xx on a read is retried with backoff", "get_order", {"order_id": 215}, [R_503, R_503, R_ORDER],
  {"ok": {"id": 215}, "requests": requests("get_order", "get_order", "get_order")}, FAST)
s("5xx on a read until attempts run out", "get_order", {"order_id": 215}, [R_503] * 4,
  {"error": error("ServerError", "server", after(1000), status=503, message="server: Service Unavailable"), "requests": requests(*["get_order"] * 4)}, FAST)
s("5xx on create_order is not resent: a second order could be made", "create_order", {"order": NEW_ORDER}, [R_503],
  {"error": error("ServerError", "server", status=503), "requests": requests("create_order")}, FAST)
s("an error keeps the server's request id, to quote to BigCommerce", "get_order", {"order_id": 215},
  [problem(404, "Not Found", headers={"X-Request-Id": "bc-7f3a-91"})],
  {"error": error("NotFoundError", "not_found", NEVER, status=404, server_request_id="bc-7f3a-91"), "requests": requests("get_order")}, FAST,
  events=["request get_order 1", "response get_order 404", "give_up"])
s("a server request id that is not one (too long, or with spaces) is left out", "get_order", {"order_id": 215},
  [problem(404, "Not Found", headers={"X-Request-Id": "no such id " + "x" * 200})],
  {"error": error("NotFoundError", "not_found", NEVER, status=404, server_request_id=""), "requests": requests("get_order")}, FAST)
s("5xx on capture is not resent and says reconcile", "capture_payment", {"order_id": 215}, [problem(502, "Bad Gateway")],
  {"error": error("ServerError", "server", RECONCILE, status=502), "requests": requests("capture_payment")}, FAST)
s("not_sent on a read is sent again", "get_order", {"order_id": 215}, [throw("not_sent"), R_ORDER],
  {"ok": {"id": 215}, "requests": requests("get_order", "get_order")}, FAST,
  events=["request get_order 1", "transport_failure get_order not_sent", "retry", "request get_order 2", "response get_order 200", "done"])
s("a transport error keeps its cause on the error and the event, without the store's token", "get_order", {"order_id": 215},
  [throw("not_sent", "connect ECONNREFUSED 127.0.0.1:9 (X-Auth-Token: host-vectors-token)")] * 2,
  {"error": error("NoResponseError", "transport",
                  message="transport: No response from the server — transport failure: not_sent (connect ECONNREFUSED 127.0.0.1:9 (X-Auth-Token: [redacted]))"),
   "requests": requests("get_order", "get_order")}, {**FAST, "max_attempts": 2},
  events=["request get_order 1", "transport_failure get_order not_sent: connect ECONNREFUSED 127.0.0.1:9 (X-Auth-Token: [redacted])", "retry",
          "request get_order 2", "transport_failure get_order not_sent: connect ECONNREFUSED 127.0.0.1:9 (X-Auth-Token: [redacted])", "give_up"])
s("timed_out on a read is sent again (reads are safe to repeat)", "get_order", {"order_id": 215}, [throw("timed_out"), R_ORDER],
  {"ok": {"id": 215}, "requests": requests("get_order", "get_order")}, FAST)
s("maybe_sent on create_order is not resent", "create_order", {"order": NEW_ORDER}, [throw("maybe_sent")],
  {"error": error("NoResponseError", "transport", after(1000), message="transport: No response from the server — transport failure: maybe_sent"),
   "requests": requests("create_order")}, FAST,
  events=["request create_order 1", "transport_failure create_order maybe_sent", "give_up"])
s("maybe_sent on capture says reconcile", "capture_payment", {"order_id": 215}, [throw("maybe_sent")],
  {"error": error("NoResponseError", "transport", RECONCILE), "requests": requests("capture_payment")}, FAST)
s("timed_out on a refund says reconcile", "create_refund", {"order_id": 215, "request": REFUND}, [throw("timed_out")],
  {"error": error("NoResponseError", "transport", RECONCILE), "requests": requests("create_refund")}, FAST)
s("not_sent on a refund is sent again: the server never saw it", "create_refund", {"order_id": 215, "request": REFUND},
  [throw("not_sent"), ok(201, {"data": {"id": 1, "order_id": 215, "total_amount": 10, "payments": []}})],
  {"ok": {"id": 1}, "requests": requests("create_refund", "create_refund")}, FAST)
s("a foreign exception from a custom transport counts as maybe_sent: a read is sent again", "get_order", {"order_id": 215},
  [throw("foreign"), R_ORDER], {"ok": {"id": 215}, "requests": requests("get_order", "get_order")}, FAST)
s("a foreign exception on create_order counts as maybe_sent: not resent, a typed error", "create_order", {"order": NEW_ORDER},
  [throw("foreign")], {"error": error("NoResponseError", "transport", after(1000)), "requests": requests("create_order")}, FAST)
s("a single Process Payment that may have been sent is never resent", "process_payment", {"pat": PAT, "payment": CARD},
  [throw("foreign")], {"error": error("NoResponseError", "transport", RECONCILE), "requests": requests("process_payment")}, FAST)
s("a single Process Payment refused with 429 is sent again", "process_payment", {"pat": PAT, "payment": CARD},
  [R_429, R_PAID], {"ok": {"id": "tx-1", "status": "success"}, "requests": requests("process_payment", "process_payment")}, FAST)
s("a single Process Payment answered 500 is not resent and says reconcile", "process_payment", {"pat": PAT, "payment": CARD},
  [problem(500, "Internal Server Error")], {"error": error("ServerError", "server", RECONCILE, status=500), "requests": requests("process_payment")}, FAST)
s("a token call answered 503 is retried (a spare token harms nothing)", "create_payment_access_token", {"order_id": 215},
  [R_503, R_TOKEN], {"ok": {}, "requests": requests("create_payment_access_token", "create_payment_access_token")}, FAST)
s("a refund quote answered 503 is retried (a quote changes nothing)", "create_refund_quote", {"order_id": 215, "request": QUOTE},
  [R_503, ok(201, {"data": {"order_id": 215, "total_refund_amount": 10, "total_refund_tax_amount": 0, "rounding": 0, "adjustment": 0,
                            "tax_inclusive": False, "refund_methods": []}})],
  {"ok": {"order_id": 215}, "requests": requests("create_refund_quote", "create_refund_quote")}, FAST)
# --- refund by the quote: one operation, two requests, each with its own resend rule ---------
def quote_of(*methods):
    return ok(201, {"data": {"order_id": 215, "total_refund_amount": 10, "total_refund_tax_amount": 0, "rounding": 0, "adjustment": 0,
                             "tax_inclusive": False, "refund_methods": [list(m) for m in methods]}})
def part(provider, amount, offline=False):
    return {"provider_id": provider, "provider_description": provider, "amount": amount, "offline": offline, "offline_provider": offline,
            "offline_reason": "This is an offline payment provider." if offline else ""}
R_REFUNDED = ok(201, {"data": {"id": 1, "order_id": 215, "total_amount": 10, "payments": [{"id": 10, "provider_id": "stripe", "amount": 6, "offline": False, "is_declined": False}, {"id": 11, "provider_id": "storecredit", "amount": 4, "offline": False, "is_declined": False}]}})
s("a refund follows its quote: the first method that is online throughout", "refund", {"order_id": 215, "items": QUOTE["items"]},
  [quote_of([part("bankdeposit", 10, True)], [part("stripe", 6), part("storecredit", 4)]), R_REFUNDED],
  {"ok": {"id": 1}, "requests": requests("create_refund_quote", "create_refund")}, FAST)
s("a quote that allows only offline refunds is refused by name, nothing refunded", "refund", {"order_id": 215, "items": QUOTE["items"]},
  [quote_of([part("custom", 10, True)])],
  {"error": error("InvalidRequestError", "invalid_request", NEVER, message="invalid_request: The refund quote allows only offline refunds"),
   "requests": requests("create_refund_quote")}, FAST)
s("a refund's quote answered 503 is asked again; the refund that timed out is not resent", "refund", {"order_id": 215, "items": QUOTE["items"]},
  [R_503, quote_of([part("stripe", 10)]), throw("timed_out")],
  {"error": error("NoResponseError", "transport", RECONCILE), "requests": requests("create_refund_quote", "create_refund_quote", "create_refund")}, FAST)
s("payment methods", "get_payment_methods", {"order_id": 215}, [R_METHODS], {"ok": {"len": 3}, "requests": requests("get_payment_methods")}, FAST)
s("refunds", "list_refunds", {"order_id": 215}, [ok(200, {"data": [{"id": 1, "order_id": 215, "total_amount": 10, "payments": []}]})],
  {"ok": {"len": 1}, "requests": requests("list_refunds")}, FAST)
s("stored instruments", "get_stored_instruments", {"customer_id": 11},
  [ok(200, [{"type": "stored_card", "token": "050a1e5c982e5905288ec5ec33f292772762033a0704f46fccb16bf1940b51ef", "is_default": True, "brand": "VISA"}])],
  {"ok": {"len": 1}, "requests": requests("get_stored_instruments")}, FAST)
s("a wait longer than bcpay accepts is a typed error carrying the server's figure", "get_order", {"order_id": 215},
  [problem(429, "Too many requests", headers={"X-Rate-Limit-Time-Reset-Ms": "999999999", "X-Rate-Limit-Requests-Left": "0"})],
  {"error": error("RateLimitedError", "rate_limited", after(999999999)), "requests": requests("get_order")}, FAST)

# --- transaction pages: the core's reader, one cap ---------------------------------------------
s("every page of transactions, in order", "get_order_transactions", {"order_id": 215}, [page(1, 3, 2), page(2, 3, 2), page(3, 3, 1)],
  {"ok": {"len": 5}, "requests": requests(*["get_order_transactions"] * 3)}, FAST)
s("transactions past max_transaction_pages are a typed error, not a silent cut", "get_order_transactions", {"order_id": 215},
  [page(1, 3), page(2, 3)], {"error": error("InvalidResponseError", "invalid_response"), "requests": requests(*["get_order_transactions"] * 2)},
  {**FAST, "max_transaction_pages": 2})
s("a page answered 503 is read again, the others are kept", "get_order_transactions", {"order_id": 215}, [page(1, 2), R_503, page(2, 2)],
  {"ok": {"len": 2}, "requests": requests(*["get_order_transactions"] * 3)}, FAST)
s("an order without transactions (204)", "get_order_transactions", {"order_id": 215}, [text(204, "")],
  {"ok": {"len": 0}, "requests": requests("get_order_transactions")}, FAST)

# --- errors: one class per kind, the core's words ----------------------------------------------
s("404 is NotFoundError", "get_order", {"order_id": 215}, [problem(404, "The requested resource was not found")],
  {"error": error("NotFoundError", "not_found", NEVER, status=404, message="not_found: The requested resource was not found [HTTP 404]"),
   "requests": requests("get_order")}, FAST)
s("401 is AuthenticationError", "get_order", {"order_id": 215}, [problem(401, "Unauthorized")],
  {"error": error("AuthenticationError", "authentication", status=401), "requests": requests("get_order")}, FAST)
s("an HTML page where JSON was expected is InvalidResponseError", "get_order", {"order_id": 215}, [text(200, "<html>maintenance</html>")],
  {"error": error("InvalidResponseError", "invalid_response", NEVER), "requests": requests("get_order")}, FAST)
s("a capture answered with garbage is InvalidResponseError that says reconcile", "capture_payment", {"order_id": 215}, [text(201, "ok!")],
  {"error": error("InvalidResponseError", "invalid_response", RECONCILE), "requests": requests("capture_payment")}, FAST)
s("a redirect is never followed", "get_order", {"order_id": 215}, [text(302, "", {"Location": "https://elsewhere.example/"})],
  {"error": error("InvalidResponseError", "invalid_response", message="invalid_response: Unexpected redirect (HTTP 302)"),
   "requests": requests("get_order")}, FAST)
s("a decline is DeclinedError with its code", "pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_TOKEN, problem(422, "Your card was declined", 30102)],
  {"error": error("DeclinedError", "declined", NEVER, code=30102, status=422),
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment")}, FAST)
s("a duplicate is DuplicatePaymentError, never a decline", "pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_TOKEN, problem(422, "Duplicate transaction", 30105)],
  {"error": error("DuplicatePaymentError", "duplicate_payment", code=30105),
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment")}, FAST)

# --- settlement: a payment ends when the order is paid, judged from its totals and transactions --
GIFT = {"instrument": {"type": "gift_certificate", "gift_certificate_code": "GC-10"}, "payment_method_id": "bigcommerce.gift_certificate"}
R_INVALID = problem(422, "Order is invalid.", 30101)
def txs(*parts):
    return ok(200, {"data": [{**TX, "id": i + 1, "method": m, "amount": a, "payment_method_id": pm} for i, (m, a, pm) in enumerate(parts)],
                    "meta": {"pagination": {"current_page": 1, "total_pages": 1}}})
def order_at(status_id):
    return ok(200, {**ORDER, "status_id": status_id, "currency_code": "USD"})
GIFT_TX = ("gift_certificate", 10.0, "bigcommerce.gift_certificate")
s("a card pays what its token says is due: the receipt says paid and how much", "pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_TOKEN, R_PAID],
  {"ok": {"payments": 1, "order_state": "paid", "amount_paid": "60.98", "amount_remaining": "0.00"},
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment")}, FAST)
s("a payment of an order already paid answers already_paid: nothing is charged", "pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_INVALID, txs(("credit_card", 60.98, "stripe.card")), order_at(11)],
  {"ok": {"payments": 0, "order_state": "already_paid", "amount_paid": "0.00", "amount_remaining": "0.00"},
   "requests": requests("get_payment_methods", "create_payment_access_token", "get_order_transactions", "get_order")}, FAST)
s("an invalid order that is not paid keeps its 30101", "pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_INVALID, text(204, ""), order_at(5)],
  {"error": error("OrderStateError", "order_state", code=30101),
   "requests": requests("get_payment_methods", "create_payment_access_token", "get_order_transactions", "get_order")}, FAST)
s("a gift certificate that covers the order ends the payment: the card is not needed", "pay", {"order_id": 215, "payments": [GIFT, CARD]},
  [R_METHODS, R_TOKEN, R_PAID, R_INVALID, txs(("gift_certificate", 60.98, "bigcommerce.gift_certificate")), order_at(11)],
  {"ok": {"payments": 1, "order_state": "paid", "amount_paid": "60.98", "amount_remaining": "0.00"},
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment", "create_payment_access_token",
                        "get_order_transactions", "get_order")}, FAST)
s("a last gift certificate that does not cover the order ends partially_paid with what is due", "pay", {"order_id": 215, "payments": [GIFT]},
  [R_METHODS, R_TOKEN, R_PAID, txs(GIFT_TX), order_at(1)],
  {"ok": {"payments": 1, "order_state": "partially_paid", "amount_paid": "10.00", "amount_remaining": "50.98"},
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment", "get_order_transactions", "get_order")}, FAST)
s("a taken gift certificate whose order cannot be read is reported, state ambiguous", "pay", {"order_id": 215, "payments": [GIFT]},
  [R_METHODS, R_TOKEN, R_PAID] + [R_503] * 4,
  {"ok": {"payments": 1, "order_state": "ambiguous", "amount_remaining": None},
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment", *["get_order_transactions"] * 4)}, FAST)
s("a prepared payment sends only Process Payment when the shopper pays", "prepare_and_pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_TOKEN, R_PAID],
  {"ok": {"payments": 1, "requests_sent": 1, "order_state": "paid", "amount_paid": "60.98"},
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment")}, FAST)
s("a prepared payment whose token the server rejects makes a new one", "prepare_and_pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_TOKEN, problem(401, "Unauthorized"), R_TOKEN, R_PAID],
  {"ok": {"payments": 1, "requests_sent": 3},
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment", "create_payment_access_token",
                        "process_payment")}, FAST)
s("the payment status reads the order and every page of its transactions", "get_order_payment_status", {"order_id": 215},
  [order_at(1), page(1, 2), R_503, ok(200, {"data": [], "meta": {"pagination": {"current_page": 2, "total_pages": 2}}})],
  {"ok": {"state": "paid", "paid": "60.98", "remaining": "0.00"},
   "requests": requests("get_order", "get_order_transactions", "get_order_transactions", "get_order_transactions")}, FAST)
s("the payment status of a partly paid order says what is still due", "get_order_payment_status", {"order_id": 215},
  [order_at(1), txs(GIFT_TX)],
  {"ok": {"state": "partially_paid", "paid": "10.00", "remaining": "50.98", "total": "60.98"},
   "requests": requests("get_order", "get_order_transactions")}, FAST)

# --- bad input: a validation error naming the path, nothing sent -------------------------------
s("an order id of 0 names order_id", "get_order", {"order_id": 0}, [],
  {"error": error("ValidationError", "validation", NEVER, field="order_id", field_code="invalid_order_id"), "requests": []})
s("a card failing Luhn names the number, nothing is sent", "process_payment", {"pat": PAT, "payment": payment(card("4242424242424241"))}, [],
  {"error": error("ValidationError", "validation", field="payment.instrument.number", field_code="luhn_check_failed"), "requests": []})
s("an expired card names its expiry, nothing is sent", "pay", {"order_id": 215, "payments": [payment(card(year=2020))]}, [],
  {"error": error("ValidationError", "validation", field="payment.instrument.expiry_year", field_code="card_expired"), "requests": []})
s("a missing cardholder name is named in the host's own field names", "pay", {"order_id": 215, "payments": [payment(card(name=""))]}, [],
  {"error": error("ValidationError", "validation", field="payment.instrument.cardholder_name", field_code="missing"),
   "requests": []})
s("an order id given as text is a typed error, not order 215", "get_order", {"order_id": "215"}, [],
  {"error": error("ValidationError", "validation", field="order_id", field_code="invalid_input"), "requests": []}, dynamic_only=True)
s("a negative order id is a typed error, not an overflow", "pay", {"order_id": -1, "payments": [CARD]}, [],
  {"error": error("ValidationError", "validation", field="order_id", field_code="invalid_input"), "requests": []}, dynamic_only=True)
s("a fractional order id is a typed error", "get_order", {"order_id": 1.5}, [],
  {"error": error("ValidationError", "validation", field="order_id", field_code="invalid_input"), "requests": []}, dynamic_only=True)
s("an unknown key in a card (a stray cvv) is named, not dropped", "pay",
  {"order_id": 215, "payments": [payment({**card(), "cvv": "123"})]}, [],
  {"error": error("ValidationError", "validation", field="payments[0].instrument.cvv", field_code="unknown_field"), "requests": []},
  dynamic_only=True)
s("an unknown key in a payment is named, not dropped", "pay",
  {"order_id": 215, "payments": [{**CARD, "is_recuring": True}]}, [],
  {"error": error("ValidationError", "validation", field="payments[0].is_recuring", field_code="unknown_field"), "requests": []},
  dynamic_only=True)

# --- payments ----------------------------------------------------------------------------------
s("a payment: methods, token, process", "pay", {"order_id": 215, "payments": [CARD]}, [R_METHODS, R_TOKEN, R_PAID],
  {"ok": {"payments": 1}, "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment")}, FAST,
  events=["request get_payment_methods 1", "request create_payment_access_token 1", "response get_payment_methods 200",
          "response create_payment_access_token 201", "request process_payment 1", "response process_payment 201", "done"])
# Both answers come 300 ms after their request: a host that sends the token only after the
# methods are in has one request out at a time, and the transport sees it.
s("a payment sends its methods and token together: two round trips before Process Payment", "pay", {"order_id": 215, "payments": [CARD]},
  [delayed(R_METHODS, 300), delayed(R_TOKEN, 300), R_PAID],
  {"ok": {"payments": 1, "requests_sent": 3}, "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment"),
   "max_in_flight": 2}, FAST,
  events=["request get_payment_methods 1", "request create_payment_access_token 1", "response get_payment_methods 200",
          "response create_payment_access_token 201", "request process_payment 1", "response process_payment 201", "done"])
s("a payment that may have been taken is reconciled from the order, never sent again", "pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_TOKEN, throw("maybe_sent"), txs(("credit_card", 60.98, "stripe.card")), order_at(11)],
  {"ok": {"payments": 1, "order_state": "paid"},
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment", "get_order_transactions", "get_order")}, FAST,
  events=["request get_payment_methods 1", "request create_payment_access_token 1", "response get_payment_methods 200",
          "response create_payment_access_token 201", "request process_payment 1", "transport_failure process_payment maybe_sent", "reconcile",
          "request get_order_transactions 1", "response get_order_transactions 200", "request get_order 1", "response get_order 200",
          "settled", "done"])
s("a token answered 503 is asked for again inside a payment", "pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_503, R_TOKEN, R_PAID],
  {"ok": {"payments": 1}, "requests": requests("get_payment_methods", "create_payment_access_token", "create_payment_access_token", "process_payment")}, FAST)

# --- time budgets and cancellation: a typed end that says whether money may have moved ----------
s("a read past its time budget ends Cancelled", "get_order", {"order_id": 215}, [hang()],
  {"error": error("CancelledError", "cancelled", after(0), message="cancelled: The operation ran out of time"), "requests": requests("get_order")},
  {**FAST, "time_budget_ms": 200}, max_ms=1500)
s("a payment whose methods call outlives the budget ends Cancelled: nothing unclear was sent", "pay", {"order_id": 215, "payments": [CARD]},
  [hang(), R_TOKEN], {"error": error("CancelledError", "cancelled", after(0)), "requests": requests("get_payment_methods", "create_payment_access_token")},
  {**FAST, "time_budget_ms": 200}, max_ms=1500)
s("a payment in flight at the end of its budget is AmbiguousOutcome", "pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_TOKEN, hang()],
  {"error": error("AmbiguousOutcomeError", "ambiguous_outcome", RECONCILE),
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment")},
  {**FAST, "time_budget_ms": 300}, max_ms=1500)
s("a 10000 with a time budget ends at the budget, not after the settle window", "pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_TOKEN, problem(500, "Internal error", 10000)],
  {"error": error("AmbiguousOutcomeError", "ambiguous_outcome", RECONCILE, code=10000),
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment")},
  {**FAST, "reconcile_delay_ms": 2000, "settle_window_ms": 60000, "time_budget_ms": 300}, max_ms=1500)
s("a payment cancelled before anything unclear was sent ends Cancelled", "pay", {"order_id": 215, "payments": [CARD]},
  [hang(), R_TOKEN], {"error": error("CancelledError", "cancelled", after(0), message="cancelled: The operation was cancelled"),
             "requests": requests("get_payment_methods", "create_payment_access_token")}, FAST, cancel_after_ms=100, max_ms=1500)
s("a payment cancelled while Process Payment is in flight is AmbiguousOutcome", "pay", {"order_id": 215, "payments": [CARD]},
  [R_METHODS, R_TOKEN, hang()],
  {"error": error("AmbiguousOutcomeError", "ambiguous_outcome", RECONCILE),
   "requests": requests("get_payment_methods", "create_payment_access_token", "process_payment")}, FAST, cancel_after_ms=150, max_ms=1500)

CLASS_NAMES = ["ValidationError", "ConfigurationError", "AuthenticationError", "MerchantSetupError", "OrderStateError", "DeclinedError",
               "DuplicatePaymentError", "InvalidRequestError", "NotFoundError", "ConflictError", "RateLimitedError", "ServerError",
               "InvalidResponseError", "NoResponseError", "AmbiguousOutcomeError", "CancelledError"]

out = {
    "description": "Host vectors: scripted-transport scenarios run through each host's public client. Format: README.md.",
    "config": {"store_hash": "abc123", "api_token": "host-vectors-token"},
    "class_names": CLASS_NAMES,
    "scenarios": scenarios,
}
with open(os.path.join(HERE, "scenarios.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(f"host scenarios {len(scenarios)}")
