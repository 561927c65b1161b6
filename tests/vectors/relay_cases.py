"""The relay's vectors (relay.json): card forms checked as typed on the device, request
envelopes read by a server, outcome envelopes read by an app. Written from the rules in
core/src/relay.rs's documentation and the card rules of the guide, not from bcpay's output."""
from fixtures import METHODS, STORED, card, luhn_complete, payment

NOW = 1795219200000  # 2026-11-21T00:00:00Z

VISA = "4242424242424242"
AMEX = "378282246310005"
VISA19 = luhn_complete("424242424242424242")
BAD19 = VISA19[:-1] + str((int(VISA19[-1]) + 1) % 10)

# ------------------------------------------------------------------------------------------------
# card_form: {name, now_ms, form, methods?, expect: {brand, complete, fields: {field: state}, ...}}
# A state is "empty", "incomplete", "valid" or "invalid:<code>".
# ------------------------------------------------------------------------------------------------
FULL = {"number": VISA, "cardholder_name": "Jane Doe", "expiry_month": "12", "expiry_year": "30", "verification_value": "123"}
card_form = []


def cf(name, form, fields, methods=None, **expect):
    merged = dict(FULL)
    merged.update(form)
    merged = {k: v for k, v in merged.items() if v is not None}
    case = {"name": name, "now_ms": NOW, "form": merged, "expect": dict(expect, fields=fields)}
    if methods is not None:
        case["methods"] = methods
    card_form.append(case)


EMPTY = {k: "" for k in FULL}
cf("nothing typed", EMPTY, {"number": "empty", "cardholder_name": "empty", "expiry_month": "empty",
                            "expiry_year": "empty", "verification_value": "empty"}, brand=None, complete=False)
cf("complete visa form", {}, {"number": "valid", "cardholder_name": "valid", "expiry_month": "valid", "expiry_year": "valid",
                               "verification_value": "valid"}, brand="VISA", complete=True, expiry_month=12, expiry_year=2030,
   verification_value_required=True, payment_method_id=None)
cf("one digit gives the brand", {"number": "4"}, {"number": "incomplete"}, brand="VISA", complete=False)
cf("spaces as typed", {"number": "4242 42"}, {"number": "incomplete"}, brand="VISA")
cf("dashes as typed, complete", {"number": "4242-4242-4242-4242"}, {"number": "valid"}, brand="VISA", complete=True)
cf("check digit wrong at 16 but visa may have 19", {"number": VISA[:-1] + "1"}, {"number": "incomplete"}, brand="VISA", complete=False)
cf("check digit wrong at visa's longest length", {"number": BAD19}, {"number": "invalid:luhn_check_failed"}, brand="VISA")
cf("nineteen-digit visa", {"number": VISA19}, {"number": "valid"}, brand="VISA")
cf("longer than any visa", {"number": VISA + "4242"}, {"number": "invalid:invalid_card_length"}, brand="VISA")
cf("amex partial", {"number": AMEX[:14], "verification_value": "1234"}, {"number": "incomplete"}, brand="AMEX")
cf("amex complete with 4-digit cvv", {"number": AMEX, "verification_value": "1234"}, {"number": "valid", "verification_value": "valid"},
   brand="AMEX", complete=True)
cf("amex cvv of 3 is still incomplete", {"number": AMEX, "verification_value": "123"}, {"verification_value": "incomplete"}, complete=False)
cf("visa cvv of 4 is invalid", {"verification_value": "1234"}, {"verification_value": "invalid:invalid_verification_value"})
cf("cvv with a letter", {"verification_value": "12a"}, {"verification_value": "invalid:invalid_verification_value"})
cf("3 may still become a brand", {"number": "3"}, {"number": "incomplete"}, brand=None)
cf("31 can become no brand", {"number": "31"}, {"number": "invalid:unsupported_card_brand"}, brand=None)
cf("9 can become no brand", {"number": "9"}, {"number": "invalid:unsupported_card_brand"}, brand=None)
cf("a letter in the number", {"number": "42a"}, {"number": "invalid:invalid_card_number"}, brand=None)
cf("50 is maestro", {"number": "50"}, {"number": "incomplete"}, brand="MAESTRO")
cf("5019 is dankort", {"number": "5019"}, {"number": "incomplete"}, brand="DANKORT")
cf("month 0 may become 01-09", {"expiry_month": "0"}, {"expiry_month": "incomplete"}, expiry_month=None)
cf("month 1 is january", {"expiry_month": "1"}, {"expiry_month": "valid"}, expiry_month=1)
cf("month 13", {"expiry_month": "13"}, {"expiry_month": "invalid:invalid_month"})
cf("month in letters", {"expiry_month": "ab"}, {"expiry_month": "invalid:invalid_month"})
cf("year of one digit", {"expiry_year": "2"}, {"expiry_year": "incomplete"}, expiry_year=None)
cf("year of three digits", {"expiry_year": "203"}, {"expiry_year": "incomplete"})
cf("four-digit year", {"expiry_year": "2031"}, {"expiry_year": "valid"}, expiry_year=2031)
cf("this month has not expired", {"expiry_month": "11", "expiry_year": "26"}, {"expiry_month": "valid", "expiry_year": "valid"},
   complete=True, expiry_year=2026)
cf("last month has expired", {"expiry_month": "10", "expiry_year": "2026"}, {"expiry_year": "invalid:card_expired"}, complete=False)
cf("name with a bidirectional override", {"cardholder_name": "Jane \u202eDoe"}, {"cardholder_name": "invalid:invalid_cardholder_name"})
cf("name of spaces", {"cardholder_name": "   "}, {"cardholder_name": "invalid:missing"})
cf("accepted brand names its method", {}, {"number": "valid"}, methods=METHODS, payment_method_id="stripe.card",
   verification_value_required=True, complete=True)
cf("brand the order does not accept", {"number": AMEX, "verification_value": "1234"}, {"number": "invalid:card_brand_not_accepted"},
   methods=METHODS, payment_method_id=None, complete=False)
NO_CVV = [{"id": "adyen.card", "name": "Adyen", "test_mode": True, "type": "card",
           "supported_instruments": [{"instrument_type": "VISA", "verification_value_required": False}], "stored_instruments": []}]
cf("cvv optional for the method", {"verification_value": ""}, {"verification_value": "empty"}, methods=NO_CVV,
   payment_method_id="adyen.card", verification_value_required=False, complete=True)
cf("cvv required without methods", {"verification_value": ""}, {"verification_value": "empty"}, verification_value_required=True,
   complete=False)

# ------------------------------------------------------------------------------------------------
# read_request: {name, now_ms, body | body_text, expect: {ok: {order_id, payments, time_budget_ms}} | {error}}
# ------------------------------------------------------------------------------------------------
read_request = []


def env(**over):
    e = {"type": "bcpay.payment_request", "version": 1, "order_id": 215,
         "payments": [payment(card())], "options": {}}
    e.update(over)
    return {k: v for k, v in e.items() if v is not None}


def rq(name, body=None, body_text=None, ok=None, errors=None):
    case = {"name": name, "now_ms": NOW}
    if body_text is not None:
        case["body_text"] = body_text
    else:
        case["body"] = body
    case["expect"] = {"ok": ok} if ok is not None else {"error": {"kind": "validation",
                                                                  "field_errors": [{"path": p, "code": c} for p, c in errors]}}
    read_request.append(case)


rq("a card payment", env(), ok={"order_id": 215, "payments": 1, "time_budget_ms": None})
rq("no options key", env(options=None), ok={"order_id": 215, "payments": 1, "time_budget_ms": None})
rq("the app's time budget", env(options={"time_budget_ms": 30000}), ok={"order_id": 215, "payments": 1, "time_budget_ms": 30000})
rq("a stored card", env(payments=[payment({"type": "stored_card", "token": STORED, "verification_value": "123"})]),
   ok={"order_id": 215, "payments": 1})
rq("a split payment", env(payments=[payment({"type": "gift_certificate", "gift_certificate_code": "GC-123"}, method="bigcommerce.gift_certificate"),
                                    payment(card())]), ok={"order_id": 215, "payments": 2})
rq("another type", env(type="bcpay.payment_outcome"), errors=[("type", "invalid_input")])
rq("no type", env(type=None), errors=[("type", "missing")])
rq("a later version", env(version=2), errors=[("version", "invalid_input")])
rq("an option only the server may set", env(options={"resend_when_unrecorded": True}), errors=[("options.resend_when_unrecorded", "unknown_field")])
rq("reconciliation cannot be switched off", env(options={"reconcile": False}), errors=[("options.reconcile", "unknown_field")])
rq("a token smuggled in", env(api_token="x"), errors=[("api_token", "unknown_field")])
rq("an unknown instrument key", env(payments=[payment(card(cvc="123"))]), errors=[("payments[0].instrument.cvc", "unknown_field")])
rq("the server validates the card again", env(payments=[payment(card(number=VISA[:-1] + "1"))]),
   errors=[("payment.instrument.number", "luhn_check_failed")])
rq("an expired card", env(payments=[payment(card(month=10, year=2026))]), errors=[("payment.instrument.expiry_year", "card_expired")])
rq("order id 0", env(order_id=0), errors=[("order_id", "invalid_order_id")])
rq("no payments", env(payments=[]), errors=[("payments", "missing")])
rq("order id as text", env(order_id="215"), errors=[("order_id", "invalid_input")])
rq("not JSON", body_text="order_id=215&number=4242424242424242", errors=[("", "invalid_input")])

# ------------------------------------------------------------------------------------------------
# read_outcome: {name, body | body_text, expect: {ok: receipt subset} | {error: subset}}
# ------------------------------------------------------------------------------------------------
read_outcome = []
RECEIPT = {"order_id": 215, "payments": [{"id": "txn_1", "status": "success", "transaction_type": "purchase",
                                          "payment_method_id": "stripe.card", "reconciled": False}], "requests_sent": 3}


def err(kind, title, shopper, retry, **over):
    e = {"kind": kind, "status": None, "code": None, "code_text": None, "title": title, "detail": None, "field_errors": [],
         "shopper_message": shopper, "remedy": "", "endpoint": None, "request_id": None, "retry": retry, "payments_taken": [],
         "message": kind + ": " + title, "class_name": ""}
    e.update(over)
    return e


def out(status, **rest):
    return dict({"type": "bcpay.payment_outcome", "version": 1, "status": status}, **rest)


def ro(name, body=None, body_text=None, ok=None, error=None):
    case = {"name": name}
    if body_text is not None:
        case["body_text"] = body_text
    else:
        case["body"] = body
    case["expect"] = {"ok": ok} if ok is not None else {"error": error}
    read_outcome.append(case)


ro("paid", out("paid", receipt=RECEIPT), ok=RECEIPT)
DECLINE = err("declined", "Card declined", "Your card was declined. Please use another card.", {"type": "never"},
              status=422, code=30102, endpoint="process_payment", request_id="req-7")
ro("declined, shopper message intact", out("failed", payment_may_have_been_taken=False, error=DECLINE),
   error={"kind": "declined", "code": 30102, "status": 422, "shopper_message": DECLINE["shopper_message"], "retry": {"type": "never"},
          "endpoint": "process_payment"})
AMBIG = err("ambiguous_outcome", "The payment's outcome is unknown", "We could not confirm your payment.", {"type": "reconcile"})
ro("ambiguous on the server", out("failed", payment_may_have_been_taken=True, error=AMBIG),
   error={"kind": "ambiguous_outcome", "retry": {"type": "reconcile"}})
INVALID = err("validation", "The input is invalid", "Please check your payment details.", {"type": "never"},
              field_errors=[{"path": "payment.instrument.number", "code": "luhn_check_failed", "description": "The card number is not valid."}])
ro("validation on the server", out("failed", payment_may_have_been_taken=False, error=INVALID),
   error={"kind": "validation", "field_errors": [{"path": "payment.instrument.number", "code": "luhn_check_failed"}]})
RATE = err("rate_limited", "Too many requests", "Please try again.", {"type": "after", "ms": 4000})
ro("retry advice survives", out("failed", payment_may_have_been_taken=False, error=RATE), error={"kind": "rate_limited", "retry": {"type": "after", "ms": 4000}})
UNCLEAR = {"kind": "ambiguous_outcome", "retry": {"type": "reconcile"}}
ro("a proxy's error page", body_text="<html><body>502 Bad Gateway</body></html>", error=UNCLEAR)
ro("an empty answer", body_text="", error=UNCLEAR)
ro("a cut-off answer", body_text='{"type":"bcpay.payment_outcome","version":1,"status":"pa', error=UNCLEAR)
ro("a later version", out("paid", receipt=RECEIPT, version=2), error=UNCLEAR)
ro("another type", dict(out("paid", receipt=RECEIPT), type="bcpay.payment_request"), error=UNCLEAR)
ro("an unknown status", out("maybe"), error=UNCLEAR)
ro("an unknown error kind", out("failed", payment_may_have_been_taken=False, error=err("gremlins", "x", "y", {"type": "never"})), error=UNCLEAR)

RELAY = {"card_form": card_form, "read_request": read_request, "read_outcome": read_outcome}
