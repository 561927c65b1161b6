#!/usr/bin/env python3
"""Writes the conformance vectors (build.json, parse.json, validate.json, flow.json).

The expectations here are written from the specs in shared/spec and the guide, not produced by
running bcpay: this script is a second, independent statement of the rules. Run it after editing
and commit its output: `python3 tests/vectors/generate.py`.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relay_cases import RELAY  # noqa: E402
from journal_cases import JOURNAL  # noqa: E402
from fixtures import METHODS, PAYPAL, STORED, TX, b64, card, jwt, luhn_complete, payment  # noqa: E402

HERE = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
API = "https://api.bigcommerce.com/stores/abc123"
PAY = "https://payments.bigcommerce.com/stores/abc123/payments"
TOKEN = "test-api-token"
NOW = 1795219200000  # 2026-11-21T00:00:00Z
CONFIG = {"store_hash": "abc123", "api_token": TOKEN, "host": "vectors"}

MGMT_GET = {"accept": "application/json", "x-auth-token": TOKEN}
MGMT_POST = {"accept": "application/json", "content-type": "application/json", "x-auth-token": TOKEN}


PAT = jwt(NOW // 1000 + 3600)
PAT_HEADERS = {"accept": "application/vnd.bc.v1+json", "content-type": "application/json", "authorization": "PAT " + PAT}




# ----------------------------------------------------------------------------------------------
# build
# ----------------------------------------------------------------------------------------------
build = []


def b(name, call, inp, method=None, url=None, headers=None, body=None, error=None):
    case = {"name": name, "call": call, "input": inp}
    if error is not None:
        case["expect"] = {"error": error}
    else:
        case["expect"] = {"method": method, "url": url, "headers": headers, "body": body}
    build.append(case)


def verr(*pairs):
    return {"kind": "validation", "field_errors": [{"path": p, "code": c} for p, c in pairs]}


b("methods by order id", "get_payment_methods", {"order_id": 215}, "GET", f"{API}/v3/payments/methods?order_id=215", MGMT_GET)
b("methods by checkout id", "get_payment_methods", {"checkout_id": "306d57d7-124e-4112-82cd-35e060c0d4d9"}, "GET",
  f"{API}/v3/payments/methods?checkout_id=306d57d7-124e-4112-82cd-35e060c0d4d9", MGMT_GET)
b("methods checkout id is percent-encoded", "get_payment_methods", {"checkout_id": "a b&c=d"}, "GET",
  f"{API}/v3/payments/methods?checkout_id=a%20b%26c%3Dd", MGMT_GET)
b("methods order id 0 rejected", "get_payment_methods", {"order_id": 0}, error=verr(("order_id", "invalid_order_id")))
b("methods order id above int32 rejected", "get_payment_methods", {"order_id": 2147483648}, error=verr(("order_id", "invalid_order_id")))
b("methods empty checkout id rejected", "get_payment_methods", {"checkout_id": " "}, error=verr(("checkout_id", "invalid_checkout_id")))
b("token", "create_payment_access_token", {"order_id": 215, "is_recurring": False}, "POST", f"{API}/v3/payments/access_tokens", MGMT_POST,
  {"order": {"id": 215, "is_recurring": False}})
b("token recurring", "create_payment_access_token", {"order_id": 44796008, "is_recurring": True}, "POST", f"{API}/v3/payments/access_tokens", MGMT_POST,
  {"order": {"id": 44796008, "is_recurring": True}})
b("token order id 0 rejected", "create_payment_access_token", {"order_id": 0, "is_recurring": False}, error=verr(("order.id", "invalid_order_id")))

def pp(name, pay, body_instrument=None, save=False, error=None, methods=None, pat=PAT):
    inp = {"pat": pat, "now_ms": NOW, "payment": pay}
    if methods is not None:
        inp["methods"] = methods
    if error is not None:
        b(name, "process_payment", inp, error=error)
        return
    body = {"payment": {"instrument": body_instrument if body_instrument is not None else pay["instrument"], "payment_method_id": pay["payment_method_id"]}}
    if save:
        body["payment"]["save_instrument"] = True
    headers = dict(PAT_HEADERS)
    headers["authorization"] = "PAT " + pat
    b(name, "process_payment", inp, "POST", PAY, headers, body)


pp("pay card", payment(card()))
pp("pay card spaces in number are removed", payment(card(number="4242 4242 4242 4242")), card())
pp("pay card dashes in number are removed", payment(card(number="5555-5555-5555-4444")), card(number="5555555555554444"))
pp("pay card without cvv", payment(card(cvv=None)))
pp("pay card amex 4-digit cvv", payment(card(number="378282246310005", cvv="1234")))
pp("pay card with issue fields", payment(card(number="6759649826438453", issue_month=1, issue_year=2020, issue_number=2), "stripe.card"))
pp("pay card and save", payment(card(), "authorizenet.card", save=True), save=True)
pp("pay card save false is omitted", payment(card(), save=False))
pp("pay card name is trimmed", payment(card(name="  Jane Doe ")), card())
pp("pay card month as string", payment(card(month="12")), card())
pp("pay stored card", payment({"type": "stored_card", "token": STORED, "verification_value": "900"}))
pp("pay stored card no cvv", payment({"type": "stored_card", "token": STORED}))
pp("pay stored paypal", payment({"type": "stored_paypal_account", "token": PAYPAL}, "braintree.paypal"))
pp("pay stored bank account", payment({"type": "stored_bank_account", "token": PAYPAL}, "braintree.ach"))
pp("pay gift certificate", payment({"type": "gift_certificate", "gift_certificate_code": "ABC-DEF-GXX"}, "bigcommerce.gift_certificate"))
pp("pay store credit", payment({"type": "store_credit"}, "bigcommerce.store_credit"))
pp("pay tokenized card", payment({"type": "tokenized_card", "token": "K7KW-M9GX-6PQ3", "iin": "4111111", "last_four_digits": "1111",
                                  "expiration_month": "12", "expiration_year": "2030"}, "bolt.card"))
pp("pay tokenized card numbers become strings", payment({"type": "tokenized_card", "token": "K7KW-M9GX-6PQ3", "iin": 4111111, "last_four_digits": 1111,
                                                       "expiration_month": 12, "expiration_year": 2030}, "bolt.card"),
   {"type": "tokenized_card", "token": "K7KW-M9GX-6PQ3", "iin": "4111111", "last_four_digits": "1111", "expiration_month": "12", "expiration_year": "2030"})
pp("pay against methods ok", payment(card()), methods=METHODS)
pp("pay invalid card rejected before building", payment(card(number="4242424242424241")), error=verr(("payment.instrument.number", "luhn_check_failed")))
pp("pay empty pat rejected", payment(card()), pat="", error=verr(("pat", "invalid_payment_access_token")))
pp("pay pat with a control character rejected", payment(card()), pat=PAT + "\u0000", error=verr(("pat", "invalid_payment_access_token")))
pp("pay amex not accepted by method", payment(card(number="378282246310005", cvv="1234")), methods=METHODS,
   error=verr(("payment.instrument.number", "card_brand_not_accepted")))

ORDER = {"customer_id": 0, "billing_address": {"first_name": "Jane", "last_name": "Doe", "street_1": "123 Main Street", "city": "Austin",
                                               "state": "Texas", "zip": "78751", "country": "United States", "country_iso2": "US",
                                               "email": "janedoe@example.com"},
         "products": [{"name": "BigCommerce Poster", "quantity": 1, "price_inc_tax": 10.98, "price_ex_tax": 10},
                      {"product_id": 118, "variant_id": 93, "quantity": 2}]}
order_body = json.loads(json.dumps(ORDER))
order_body["status_id"] = 0
b("create order is always incomplete", "create_order", {"order": ORDER}, "POST", f"{API}/v2/orders", MGMT_POST, order_body)
bad_order = json.loads(json.dumps(ORDER))
bad_order["billing_address"]["email"] = "nope"
bad_order["billing_address"]["country_iso2"] = "usa"
bad_order["products"] = [{"quantity": 0, "name": "x"}]
b("create order collects every problem", "create_order", {"order": bad_order}, error=verr(
    ("order.billing_address.country_iso2", "invalid_country_code"), ("order.billing_address.email", "invalid_email"),
    ("order.products[0].quantity", "invalid_quantity"), ("order.products[0].price_inc_tax", "invalid_price"),
    ("order.products[0].price_ex_tax", "invalid_price")))
b("create order needs products", "create_order", {"order": {**ORDER, "products": []}}, error=verr(("order.products", "missing")))
b("get order", "get_order", {"order_id": 215}, "GET", f"{API}/v2/orders/215", MGMT_GET)
b("get order 0 rejected", "get_order", {"order_id": 0}, error=verr(("order_id", "invalid_order_id")))
b("transactions page 1", "get_order_transactions", {"order_id": 215, "page": 1}, "GET", f"{API}/v3/orders/215/transactions?page=1&limit=250", MGMT_GET)
b("transactions page 3", "get_order_transactions", {"order_id": 215, "page": 3}, "GET", f"{API}/v3/orders/215/transactions?page=3&limit=250", MGMT_GET)
b("transactions page 0 means 1", "get_order_transactions", {"order_id": 215, "page": 0}, "GET", f"{API}/v3/orders/215/transactions?page=1&limit=250", MGMT_GET)
b("capture_payment", "capture_payment", {"order_id": 215}, "POST", f"{API}/v3/orders/215/payment_actions/capture", MGMT_POST, {})
b("void_payment", "void_payment", {"order_id": 215}, "POST", f"{API}/v3/orders/215/payment_actions/void", MGMT_POST, {})
quote = {"items": [{"item_id": 75, "item_type": "PRODUCT", "quantity": 1}, {"item_id": 79, "item_type": "SHIPPING", "amount": 10}]}
b("refund quote", "create_refund_quote", {"order_id": 215, "request": quote}, "POST", f"{API}/v3/orders/215/payment_actions/refund_quotes", MGMT_POST, quote)
b("refund quote bad item type", "create_refund_quote", {"order_id": 215, "request": {"items": [{"item_id": 1, "item_type": "HAT", "quantity": 1}]}},
  error=verr(("items[0].item_type", "invalid_item_type")))
b("refund quote item needs quantity or amount", "create_refund_quote", {"order_id": 215, "request": {"items": [{"item_id": 1, "item_type": "ORDER"}]}},
  error=verr(("items[0]", "missing_quantity_or_amount")))
refund = {"items": [{"item_type": "ORDER", "item_id": 215, "amount": 10, "reason": "overcharged"}],
          "payments": [{"provider_id": "authorizenet", "amount": 10, "offline": False}]}
b("refund", "create_refund", {"order_id": 215, "request": refund}, "POST", f"{API}/v3/orders/215/payment_actions/refunds", MGMT_POST, refund)
b("refund needs payments", "create_refund", {"order_id": 215, "request": {"items": refund["items"], "payments": []}}, error=verr(("payments", "missing")))
b("refund amount must be positive", "create_refund", {"order_id": 215, "request": {"items": refund["items"], "payments": [{"provider_id": "x", "amount": 0, "offline": False}]}},
  error=verr(("payments[0].amount", "invalid_amount")))
b("list refunds", "list_refunds", {"order_id": 215}, "GET", f"{API}/v3/orders/215/payment_actions/refunds", MGMT_GET)
b("stored instruments", "get_stored_instruments", {"customer_id": 11}, "GET", f"{API}/v3/customers/11/stored-instruments", MGMT_GET)
b("stored instruments guest rejected", "get_stored_instruments", {"customer_id": 0}, error=verr(("customer_id", "invalid_customer_id")))

# ----------------------------------------------------------------------------------------------
# parse
# ----------------------------------------------------------------------------------------------
parse = []


def p(name, call, status, body=None, body_text=None, headers=None, ok=None, error=None, context=None, max_response_bytes=None):
    resp = {"status": status, "headers": headers or {}}
    if body_text is not None:
        resp["body_text"] = body_text
    else:
        resp["body"] = body
    case = {"name": name, "call": call, "response": resp, "expect": {"ok": ok} if error is None else {"error": error}}
    if context:
        case["context"] = context
    if max_response_bytes:
        case["max_response_bytes"] = max_response_bytes
    parse.append(case)


PP = {"payment_method_id": "stripe.card"}
# Success shapes
p("methods", "get_payment_methods", 200, {"data": METHODS, "meta": {}}, ok=[
    {"id": "stripe.card", "type": "card", "supported_instruments": [{"instrument_type": "VISA", "verification_value_required": True}] + [{}] * 3,
     "stored_instruments": [{"type": "stored_card", "token": STORED, "last_4": "4242", "is_default": True}]},
    {"id": "braintree.paypal", "supported_instruments": [{"instrument_type": "STORED_PAYPAL_ACCOUNT", "verification_value_required": False}],
     "stored_instruments": [{"type": "stored_paypal_account", "email": "bc@example.com"}]},
    {"id": "bigcommerce.gift_certificate", "supported_instruments": [], "stored_instruments": []}])
p("methods keep unknown instrument types and kinds", "get_payment_methods", 200, {"data": [{"id": "new.method", "name": "N", "test_mode": False, "type": "wallet",
  "supported_instruments": [{"instrument_type": "UNIONPAY", "verification_value_required": False}],
  "stored_instruments": [{"type": "stored_wallet", "token": STORED, "is_default": False}]}]},
  ok=[{"type": "wallet", "supported_instruments": [{"instrument_type": "UNIONPAY"}], "stored_instruments": [{"type": "stored_wallet"}]}])
p("methods bare array tolerated", "get_payment_methods", 200, [METHODS[2]], ok=[{"id": "bigcommerce.gift_certificate"}])
p("methods null lists tolerated", "get_payment_methods", 200, {"data": [{"id": "x.y", "name": "X", "test_mode": False, "type": "card", "supported_instruments": None, "stored_instruments": None}]},
  ok=[{"id": "x.y", "supported_instruments": [], "stored_instruments": []}])
p("methods stored bank account", "get_payment_methods", 200, {"data": [{"id": "braintree.ach", "name": "ACH", "test_mode": False, "type": "bank",
  "supported_instruments": [{"instrument_type": "STORED_BANK_ACCOUNT"}], "stored_instruments": [{"type": "stored_bank_account", "token": PAYPAL, "is_default": True, "masked_account_number": "12XXX56", "issuer": "DE001"}]}]},
  ok=[{"supported_instruments": [{"instrument_type": "STORED_BANK_ACCOUNT"}], "stored_instruments": [{"type": "stored_bank_account", "masked_account_number": "12XXX56"}]}])
p("token with claims", "create_payment_access_token", 201, {"data": {"id": PAT}, "meta": {}}, context={"now_ms": NOW},
  ok={"expires_at_ms": NOW + 3600000, "claims": {"exp": NOW // 1000 + 3600, "iss": "payments.bigcommerce.com", "sub": "abc123", "order_id": 215, "amount": 6098, "currency": "USD", "store_id": 1025646}})
# A token lives exp - iat (the issuer's clock on both sides) from when it arrives (ours).
p("token life is exp - iat counted from receipt", "create_payment_access_token", 201, {"data": {"id": jwt(NOW // 1000 + 600, lifetime=600)}}, context={"now_ms": NOW},
  ok={"expires_at_ms": NOW + 600000})
p("token lifetime capped at one hour", "create_payment_access_token", 201, {"data": {"id": jwt(NOW // 1000 + 7200, lifetime=7200)}}, context={"now_ms": NOW},
  ok={"expires_at_ms": NOW + 3600000})
p("token from an issuer 2 h behind our clock still lives its hour", "create_payment_access_token", 201, {"data": {"id": jwt(NOW // 1000 - 7200 + 3600)}}, context={"now_ms": NOW},
  ok={"expires_at_ms": NOW + 3600000})
p("token from an issuer 2 h ahead of our clock lives its hour, not three", "create_payment_access_token", 201, {"data": {"id": jwt(NOW // 1000 + 7200 + 3600)}}, context={"now_ms": NOW},
  ok={"expires_at_ms": NOW + 3600000})
p("token without iat lives one hour", "create_payment_access_token", 201, {"data": {"id": jwt(NOW // 1000 - 100, iat=False)}}, context={"now_ms": NOW},
  ok={"expires_at_ms": NOW + 3600000})
p("token expired at issue has no life", "create_payment_access_token", 201, {"data": {"id": jwt(NOW // 1000 + 3600, lifetime=0)}}, context={"now_ms": NOW},
  ok={"expires_at_ms": NOW})
p("token that is not a JWT lives one hour", "create_payment_access_token", 201, {"data": {"id": "opaque-token"}}, context={"now_ms": NOW},
  ok={"expires_at_ms": NOW + 3600000, "claims": None})
p("token empty id is invalid", "create_payment_access_token", 201, {"data": {"id": ""}}, context={"now_ms": NOW},
  error={"kind": "invalid_response", "status": 201})
p("token with a line break is invalid (it would smuggle in a header)", "create_payment_access_token", 201, {"data": {"id": PAT + "\r\nX-Injected: 1"}}, context={"now_ms": NOW},
  error={"kind": "invalid_response", "status": 201})
p("token missing data is invalid", "create_payment_access_token", 201, {"meta": {}}, context={"now_ms": NOW}, error={"kind": "invalid_response"})
p("payment 201 success purchase", "process_payment", 201, {"data": {"id": "693bb4cd-3f20-444a-8315-6369f582c68a", "status": "success", "transaction_type": "purchase"}},
  context=PP, ok={"id": "693bb4cd-3f20-444a-8315-6369f582c68a", "status": "success", "transaction_type": "purchase", "payment_method_id": "stripe.card", "reconciled": False})
p("payment 201 pending authorization", "process_payment", 201, {"data": {"id": "227d9e1e", "transaction_type": "authorization", "status": "pending"}},
  context=PP, ok={"status": "pending", "transaction_type": "authorization"})
p("payment legacy 202 flat body", "process_payment", 202, {"id": "227d9e1e-94f8-408c-95a5-f97b30592eb7", "transaction_type": "authorization", "status": "pending"},
  context=PP, ok={"id": "227d9e1e-94f8-408c-95a5-f97b30592eb7", "status": "pending", "transaction_type": "authorization"})
p("payment unknown status preserved", "process_payment", 201, {"data": {"id": "1", "status": "review", "transaction_type": "purchase"}},
  context=PP, ok={"status": "review"})
p("payment numeric id", "process_payment", 201, {"data": {"id": 123, "status": "success", "transaction_type": "purchase"}}, context=PP, ok={"id": "123"})
p("order", "get_order", 200, {"id": 215, "status_id": 11, "status": "Awaiting Fulfillment", "payment_status": "captured", "customer_id": 0,
  "total_inc_tax": "60.9800", "currency_code": "USD"}, ok={"id": 215, "status_id": 11, "status": "Awaiting Fulfillment", "payment_status": "captured", "total_inc_tax": "60.98"})
p("created order", "create_order", 201, {"id": 216, "status_id": 0, "status": "Incomplete", "payment_status": "", "customer_id": 0, "total_inc_tax": 60.98},
  ok={"id": 216, "status_id": 0, "total_inc_tax": "60.98"})
p("transactions one page", "get_order_transactions", 200, {"data": [TX], "meta": {"pagination": {"total": 1, "count": 1, "per_page": 250, "current_page": 1, "total_pages": 1}}},
  ok={"transactions": [{"event": "purchase", "amount": "60.98", "payment_method_id": "stripe.card"}], "current_page": 1, "total_pages": 1})
p("transactions page 1 of 3", "get_order_transactions", 200, {"data": [TX], "meta": {"pagination": {"current_page": 1, "total_pages": 3}}},
  ok={"current_page": 1, "total_pages": 3})
p("transactions 204 is empty", "get_order_transactions", 204, body_text="", ok={"transactions": [], "current_page": 1, "total_pages": 1})
p("transactions without meta", "get_order_transactions", 200, {"data": [TX]}, ok={"current_page": 1, "total_pages": 1})
p("transactions amount as string", "get_order_transactions", 200, {"data": [dict(TX, amount="12.50")]}, ok={"transactions": [{"amount": "12.50"}]})
p("capture accepted", "capture_payment", 201, {}, ok=None)
p("void accepted with empty body", "void_payment", 201, body_text="", ok=None)
p("refund quote", "create_refund_quote", 201, {"data": {"order_id": 215, "total_refund_amount": 10.98, "total_refund_tax_amount": 0.98, "rounding": 0,
  "adjustment": 0, "tax_inclusive": True, "refund_methods": [[{"provider_id": "storecredit", "provider_description": "Store Credit", "amount": 10.98,
  "offline": False, "offline_provider": False, "offline_reason": ""}]]}, "meta": {}},
  ok={"order_id": 215, "total_refund_amount": "10.98", "refund_methods": [[{"provider_id": "storecredit", "amount": "10.98"}]]})
p("refund", "create_refund", 201, {"data": {"id": 1, "order_id": 215, "user_id": 0, "created": "2026-11-21T00:00:00Z", "reason": "x", "total_amount": 10,
  "total_tax": 0, "uses_merchant_override_values": False, "items": [], "payments": [{"id": 1, "provider_id": "authorizenet", "amount": 10, "offline": False,
  "is_declined": False, "declined_message": ""}]}, "meta": {}}, ok={"id": 1, "total_amount": "10.00", "payments": [{"provider_id": "authorizenet", "amount": "10.00", "is_declined": False}]})
p("refunds list", "list_refunds", 200, {"data": [{"id": 1, "order_id": 215, "total_amount": 10, "payments": []}, {"id": 2, "order_id": 215, "total_amount": 5, "payments": []}], "meta": {}},
  ok=[{"id": 1}, {"id": 2}])
p("stored instruments bare array", "get_stored_instruments", 200, [
    {"type": "stored_card", "token": STORED, "is_default": True, "brand": "VISA", "expiry_month": 1, "expiry_year": 2030, "issuer_identification_number": "411111", "last_4": "1111"},
    {"type": "stored_paypal_account", "token": PAYPAL, "is_default": False, "email": "bc@example.com"},
    {"type": "stored_bank_account", "token": PAYPAL, "is_default": False, "masked_account_number": "12XXX56", "issuer": "DE001"}],
  ok=[{"type": "stored_card", "brand": "VISA", "token_hint": "••••" + STORED[-4:]}, {"type": "stored_paypal_account", "email": "bc@example.com"},
      {"type": "stored_bank_account", "issuer": "DE001"}])

# Every documented code, on Process Payment.
CODES = {
    10000: ("server", 500, {"type": "reconcile"}), 10001: ("invalid_request", 400, {"type": "never"}),
    30000: ("merchant_setup", 422, {"type": "never"}), 30001: ("merchant_setup", 422, {"type": "never"}),
    3001: ("merchant_setup", 422, {"type": "never"}), 30002: ("merchant_setup", 422, {"type": "never"}),
    30003: ("order_state", 422, {"type": "never"}), 30004: ("order_state", 422, {"type": "with_new_token"}),
    30050: ("invalid_request", 422, {"type": "never"}), 30051: ("invalid_request", 422, {"type": "never"}),
    30100: ("server", 422, {"type": "reconcile"}), 30101: ("order_state", 422, {"type": "never"}),
    30102: ("declined", 422, {"type": "never"}), 30103: ("declined", 422, {"type": "never"}),
    30104: ("declined", 422, {"type": "never"}), 30105: ("duplicate_payment", 422, {"type": "never"}),
    30106: ("declined", 422, {"type": "never"}), 30107: ("declined", 422, {"type": "never"}),
}
for code, (kind, status, retry) in CODES.items():
    p(f"payment error code {code}", "process_payment", status, {"status": status, "title": f"Error {code}", "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes", "code": code},
      context=PP, error={"kind": kind, "status": status, "code": code, "retry": retry, "endpoint": "process_payment"})
p("unknown code preserved", "process_payment", 422, {"status": 422, "title": "New", "type": "x", "code": 30999}, context=PP,
  error={"kind": "invalid_request", "code": 30999, "retry": {"type": "never"}})
p("code as string", "process_payment", 422, {"status": 422, "title": "x", "type": "x", "code": "30103"}, context=PP, error={"kind": "declined", "code": 30103})
p("decline shopper message from the table", "process_payment", 422, {"status": 422, "title": "x", "type": "x", "code": 30106}, context=PP,
  error={"kind": "declined", "shopper_message": "The payment was declined due to insufficient funds."})
p("duplicate shopper message", "process_payment", 422, {"status": 422, "title": "x", "type": "x", "code": 30105}, context=PP,
  error={"kind": "duplicate_payment", "shopper_message": "This is a duplicate transaction. Please contact us to confirm your order. Do not try to pay again."})
p("merchant error is not shown to the shopper", "process_payment", 422, {"status": 422, "title": "Merchant payment configuration could not be found.", "type": "x", "code": 30000},
  context=PP, error={"kind": "merchant_setup", "shopper_message": "We couldn't process your payment. Please try again later or use a different payment method."})
p("code 30100 on token creation retries", "create_payment_access_token", 422, {"status": 422, "title": "x", "type": "x", "code": 30100}, context={"now_ms": NOW},
  error={"kind": "server", "retry": {"type": "after", "ms": 1000}})

# Every status class without a code.
STATUS = [
    ("process_payment", 400, "invalid_request", {"type": "never"}), ("process_payment", 401, "authentication", {"type": "with_new_token"}),
    ("get_payment_methods", 401, "authentication", {"type": "never"}), ("get_payment_methods", 403, "authentication", {"type": "never"}),
    ("get_order", 404, "not_found", {"type": "never"}), ("create_payment_access_token", 409, "conflict", {"type": "never"}),
    ("create_payment_access_token", 422, "invalid_request", {"type": "never"}), ("process_payment", 500, "server", {"type": "reconcile"}),
    ("process_payment", 502, "server", {"type": "reconcile"}), ("process_payment", 503, "server", {"type": "reconcile"}),
    ("process_payment", 504, "server", {"type": "reconcile"}), ("get_payment_methods", 500, "server", {"type": "after", "ms": 1000}),
    ("get_order_transactions", 503, "server", {"type": "after", "ms": 1000}), ("capture_payment", 502, "server", {"type": "reconcile"}),
    ("create_refund", 504, "server", {"type": "reconcile"}),
]
for call, status, kind, retry in STATUS:
    p(f"{call} status {status}", call, status, {"status": status, "title": "Something", "type": "x"}, context=PP if call == "process_payment" else {"now_ms": NOW},
      error={"kind": kind, "status": status, "retry": retry})
p("429 waits the longer of retry-after and reset", "get_payment_methods", 429, {"status": 429, "title": "Too many", "type": "x"},
  headers={"X-Retry-After": "2", "X-Rate-Limit-Time-Reset-Ms": "3500"}, error={"kind": "rate_limited", "retry": {"type": "after", "ms": 3500}})
p("429 retry-after seconds", "process_payment", 429, {"status": 429, "title": "Too many", "type": "x"}, headers={"x-retry-after": "5"}, context=PP,
  error={"kind": "rate_limited", "retry": {"type": "after", "ms": 5000}})
p("429 without headers uses the default", "process_payment", 429, body_text="", context=PP, error={"kind": "rate_limited", "retry": {"type": "after", "ms": 4000}})

# Error body shapes.
p("shape errors object", "process_payment", 422, {"status": 422, "title": "Invalid", "type": "x", "code": 10001, "detail": "Missing fields",
  "errors": {"payment.instrument.number": "is required"}}, context=PP,
  error={"kind": "invalid_request", "title": "Invalid", "detail": "Missing fields", "field_errors": [{"path": "payment.instrument.number", "code": "server_rejected"}]})
p("shape errors array of code/message", "process_payment", 422, {"errors": [{"code": 30102, "message": "Card could not be verified"}]}, context=PP,
  error={"kind": "declined", "code": 30102, "title": "Card could not be verified"})
p("shape data array", "create_refund", 422, {"data": [{"status": 422, "title": "Unable to provide store credit for a guest customer.", "type": "x"}]},
  context={"now_ms": NOW}, error={"kind": "invalid_request", "title": "Unable to provide store credit for a guest customer."})
p("shape v2 array", "create_order", 400, [{"status": 400, "message": "The field 'billing_address' is invalid."}],
  error={"kind": "invalid_request", "title": "The field 'billing_address' is invalid."})
p("shape code/message", "process_payment", 422, {"code": 30104, "message": "There was a problem processing your card."}, context=PP,
  error={"kind": "declined", "code": 30104, "title": "There was a problem processing your card."})
p("shape 503 data with error", "create_refund", 503, {"data": [{"order_id": 1, "status": 503, "error": "Tax service gone away"}], "meta": {}},
  error={"kind": "server", "detail": "Tax service gone away", "retry": {"type": "reconcile"}})
p("non-numeric code kept as text", "get_order", 400, {"code": "invalid_order", "title": "Bad"}, error={"kind": "invalid_request", "code": None, "code_text": "invalid_order"})
p("echoed card number is scrubbed", "process_payment", 422, {"status": 422, "title": "Card 4242424242424242 declined", "type": "x", "code": 30102}, context=PP,
  error={"kind": "declined", "title": "Card [redacted] declined"})

# Bodies that are not what they claim.
p("html error page", "process_payment", 502, body_text="<html><body><h1>502 Bad Gateway</h1></body></html>", context=PP, error={"kind": "server", "status": 502, "retry": {"type": "reconcile"}})
p("html on success status", "get_payment_methods", 200, body_text="<!DOCTYPE html><html></html>", error={"kind": "invalid_response", "status": 200})
p("empty body on success", "get_order", 200, body_text="", error={"kind": "invalid_response"})
p("truncated json", "get_payment_methods", 200, body_text='{"data":[{"id":"stripe.card","name":"Str', error={"kind": "invalid_response"})
p("wrong types", "get_order", 200, {"id": "not-a-number", "status_id": 11}, error={"kind": "invalid_response"})
p("array where object expected", "create_payment_access_token", 201, [1, 2, 3], context={"now_ms": NOW}, error={"kind": "invalid_response"})
p("body over the size cap", "get_payment_methods", 200, {"data": [METHODS[0]] * 5}, max_response_bytes=256, error={"kind": "invalid_response"})
p("payment error body over the size cap is reconciled", "process_payment", 500, {"status": 500, "title": "x" * 400, "type": "x"}, context=PP, max_response_bytes=256,
  error={"kind": "invalid_response", "status": 500, "retry": {"type": "reconcile"}})

# Hostile servers: redirects are never followed, so the core sees the 3xx itself.
p("redirect on a management call is an unexpected redirect", "get_order", 302, body_text="", headers={"Location": "https://elsewhere.example/"},
  error={"kind": "invalid_response", "status": 302, "title": "Unexpected redirect (HTTP 302)", "retry": {"type": "never"}})
p("redirect on process payment is unclear, to reconcile", "process_payment", 308, {"title": "moved", "errors": {"x": "y"}}, headers={"Location": "https://elsewhere.example/"},
  context=PP, error={"kind": "invalid_response", "status": 308, "title": "Unexpected redirect (HTTP 308)", "field_errors": [], "retry": {"type": "reconcile"}})
# Echoed secrets are scrubbed by value (the API token is known exactly, whatever its shape).
p("an echoed API token is scrubbed by value", "get_order", 401, {"status": 401, "title": "Token test-api-token rejected", "type": "x", "detail": "X-Auth-Token: test-api-token"},
  error={"kind": "authentication", "title": "Token [redacted] rejected", "detail": "X-Auth-Token: [redacted]"})
# 2xx bodies that do not prove success.
p("capture answered with null is not a success", "capture_payment", 201, None, error={"kind": "invalid_response", "retry": {"type": "reconcile"}})
p("capture answered with garbage is not a success", "capture_payment", 201, body_text="ok!", error={"kind": "invalid_response", "retry": {"type": "reconcile"}})
p("refund answered with data null is not a refund", "create_refund", 201, {"data": None}, error={"kind": "invalid_response", "retry": {"type": "reconcile"}})
p("refund answered with null is not a refund", "create_refund", 201, None, error={"kind": "invalid_response", "retry": {"type": "reconcile"}})
p("transactions with data null are not an empty list", "get_order_transactions", 200, {"data": None, "meta": {}}, error={"kind": "invalid_response"})
p("transactions without data are not an empty list", "get_order_transactions", 200, {"meta": {}}, error={"kind": "invalid_response"})
p("unreadable payment success needs reconciliation", "process_payment", 201, body_text="<html>ok</html>", context=PP, error={"kind": "invalid_response", "status": 201})
p("empty error body classified by status", "get_order", 404, body_text="", error={"kind": "not_found", "status": 404, "title": "HTTP 404"})
p("garbage error body classified by status", "process_payment", 500, body_text="\u0000\u00ff\u0001", context=PP, error={"kind": "server", "retry": {"type": "reconcile"}})

# ----------------------------------------------------------------------------------------------
# validate
# ----------------------------------------------------------------------------------------------
validate = []


def v(name, pay, errors, methods=None, now_ms=NOW):
    case = {"name": name, "now_ms": now_ms, "expect_errors": [{"path": pth, "code": c} for pth, c in errors]}
    if isinstance(pay, list):
        case["payments"] = pay
    else:
        case["payment"] = pay
    if methods is not None:
        case["methods"] = methods
    validate.append(case)


N = "payment.instrument.number"
for num in ["4242424242424242", "4000056655665556", "4222222222222", "4111111111111111110", "5555555555554444", "2223003122003222", "2720990000000007",
            "378282246310005", "371449635398431", "6011111111111117", "6445644564456445", "6500000000000002", luhn_complete("622126000000000"), luhn_complete("622925000000000"),
            "3530111333300000", "3566002020360505", "30569309025904", "36227206271667", "38520000023237", "5019717010103742", "6759649826438453"]:
    cvv = "1234" if num.startswith(("34", "37")) else "123"
    v(f"valid card {num[:6]}", payment(card(number=num, cvv=cvv)), [])
v("luhn failure", payment(card(number="4242424242424241")), [(N, "luhn_check_failed")])
v("unknown brand", payment(card(number="9999999999999995")), [(N, "unsupported_card_brand")])
v("mastercard 2721 is not mastercard", payment(card(number="2721000000000004")), [(N, "unsupported_card_brand")])
v("visa wrong length", payment(card(number=luhn_complete("42424242424242"))), [(N, "invalid_card_length")])
v("amex wrong length", payment(card(number=luhn_complete("378282246310000"), cvv="1234")), [(N, "invalid_card_length")])
v("mastercard 19 digits", payment(card(number=luhn_complete("555555555555444400"))), [(N, "invalid_card_length")])
v("wrong length and check digit", payment(card(number="5555555555554444001")), [(N, "invalid_card_length"), (N, "luhn_check_failed")])
v("letters in number", payment(card(number="4242abcd42424242")), [(N, "invalid_card_number")])
v("amex needs 4-digit cvv", payment(card(number="378282246310005", cvv="123")), [("payment.instrument.verification_value", "invalid_verification_value")])
v("visa needs 3-digit cvv", payment(card(cvv="1234")), [("payment.instrument.verification_value", "invalid_verification_value")])
v("cvv letters", payment(card(cvv="12a")), [("payment.instrument.verification_value", "invalid_verification_value")])
v("month 0", payment(card(month=0)), [("payment.instrument.expiry_month", "invalid_month")])
v("month 13", payment(card(month=13)), [("payment.instrument.expiry_month", "invalid_month")])
v("two-digit year", payment(card(year=30)), [("payment.instrument.expiry_year", "invalid_year")])
v("missing expiry", payment({"type": "card", "number": "4242424242424242", "cardholder_name": "J", "verification_value": "123"}),
  [("payment.instrument.expiry_month", "missing"), ("payment.instrument.expiry_year", "missing")])
v("expired last month", payment(card(month=10, year=2026)), [("payment.instrument.expiry_year", "card_expired")])
v("expiring this month is valid", payment(card(month=11, year=2026)), [])
v("expiry judged by the host's date", payment(card(month=10, year=2026)), [], now_ms=1790000000000)
v("empty cardholder name", payment(card(name="  ")), [("payment.instrument.cardholder_name", "missing")])
v("cardholder name too long", payment(card(name="x" * 256)), [("payment.instrument.cardholder_name", "invalid_cardholder_name")])
v("cardholder name control char", payment(card(name="Jane\nDoe")), [("payment.instrument.cardholder_name", "invalid_cardholder_name")])
v("cardholder name with a bidi override", payment(card(name="Jane \u202eeoD")), [("payment.instrument.cardholder_name", "invalid_cardholder_name")])
v("cardholder name with a bidi isolate", payment(card(name="Jane \u2067Doe\u2069")), [("payment.instrument.cardholder_name", "invalid_cardholder_name")])
v("cardholder name with a zero-width space", payment(card(name="Ja\u200bne Doe")), [("payment.instrument.cardholder_name", "invalid_cardholder_name")])
v("cardholder name with accents is fine", payment(card(name="Zoë Ñúñez-Łódź")), [])
v("issue month invalid", payment(card(issue_month=13)), [("payment.instrument.issue_month", "invalid_month")])
v("issue number negative", payment(card(issue_number=-1)), [("payment.instrument.issue_number", "invalid_issue_number")])
v("payment method id needs a dot", payment(card(), "stripe"), [("payment.payment_method_id", "invalid_payment_method_id")])
v("payment method id with space", payment(card(), "stripe.ca rd"), [("payment.payment_method_id", "invalid_payment_method_id")])
v("everything wrong at once", payment(card(number="4242424242424241", name="", month=13, year=1, cvv="1"), ""),
  [("payment.payment_method_id", "invalid_payment_method_id"), (N, "luhn_check_failed"), ("payment.instrument.cardholder_name", "missing"),
   ("payment.instrument.expiry_month", "invalid_month"), ("payment.instrument.expiry_year", "invalid_year"),
   ("payment.instrument.verification_value", "invalid_verification_value")])
v("stored card token too short", payment({"type": "stored_card", "token": "abc"}), [("payment.instrument.token", "invalid_token")])
v("stored card token 65 chars", payment({"type": "stored_card", "token": STORED + "a"}), [("payment.instrument.token", "invalid_token")])
v("stored paypal token", payment({"type": "stored_paypal_account", "token": "x" * 63}, "braintree.paypal"), [("payment.instrument.token", "invalid_token")])
v("stored bank token", payment({"type": "stored_bank_account", "token": "-" * 64}, "braintree.ach"), [("payment.instrument.token", "invalid_token")])
v("gift certificate code required", payment({"type": "gift_certificate", "gift_certificate_code": ""}, "bigcommerce.gift_certificate"),
  [("payment.instrument.gift_certificate_code", "invalid_gift_certificate_code")])
v("store credit needs nothing", payment({"type": "store_credit"}, "bigcommerce.store_credit"), [])
v("tokenized card bad fields", payment({"type": "tokenized_card", "token": "t", "iin": "41", "last_four_digits": "11111", "expiration_month": "13", "expiration_year": "30"}, "bolt.card"),
  [("payment.instrument.iin", "invalid_iin"), ("payment.instrument.last_four_digits", "invalid_last_four_digits"),
   ("payment.instrument.expiration_month", "invalid_month"), ("payment.instrument.expiration_year", "invalid_year")])
v("save only cards", payment({"type": "store_credit"}, "bigcommerce.store_credit", save=True), [("payment.save_instrument", "save_not_supported")])
v("methods: brand not accepted", payment(card(number="378282246310005", cvv="1234")), [(N, "card_brand_not_accepted")], methods=METHODS)
v("methods: cvv required", payment(card(cvv=None)), [("payment.instrument.verification_value", "missing")], methods=METHODS)
v("methods: method not offered", payment(card(), "adyen.card"), [("payment.payment_method_id", "payment_method_not_accepted")], methods=METHODS)
v("methods: stored card unknown", payment({"type": "stored_card", "token": "b" * 64, "verification_value": "123"}), [("payment.instrument.token", "stored_instrument_not_found")], methods=METHODS)
v("methods: stored card cvv required", payment({"type": "stored_card", "token": STORED}), [("payment.instrument.verification_value", "missing")], methods=METHODS)
v("methods: stored paypal known", payment({"type": "stored_paypal_account", "token": PAYPAL}, "braintree.paypal"), [], methods=METHODS)
v("split: gift certificate then card", [payment({"type": "gift_certificate", "gift_certificate_code": "GC"}, "bigcommerce.gift_certificate"), payment(card())], [])
v("split: card must be last", [payment(card()), payment({"type": "store_credit"}, "bigcommerce.store_credit")], [("payments[0].instrument", "split_order")])
v("split: paths are indexed", [payment({"type": "store_credit"}, "bigcommerce.store_credit"), payment(card(month=13))], [("payments[1].instrument.expiry_month", "invalid_month")])
v("split: empty list", [], [("payments", "missing")])

# ----------------------------------------------------------------------------------------------
# flow
# ----------------------------------------------------------------------------------------------
flow = []
OK_METHODS = {"status": 200, "body": {"data": METHODS, "meta": {}}}
OK_TOKEN = {"status": 201, "body": {"data": {"id": PAT}, "meta": {}}}
OK_PAY = {"status": 201, "body": {"data": {"id": "tx-1", "status": "success", "transaction_type": "purchase"}}}
NO_TX = {"status": 204, "body_text": ""}
TX_PAID = {"status": 200, "body": {"data": [TX], "meta": {"pagination": {"current_page": 1, "total_pages": 1}}}}
ORDER_INCOMPLETE = {"status": 200, "body": {"id": 215, "status_id": 0, "status": "Incomplete", "payment_status": ""}}
ORDER_PAID = {"status": 200, "body": {"id": 215, "status_id": 11, "status": "Awaiting Fulfillment", "payment_status": "captured"}}
DETERMINISTIC = {"backoff_base_ms": 0, "reconcile_delay_ms": 0}


def send(endpoint, then):
    return {"expect": {"send": endpoint}, **then}


def resp(r):
    return {"respond": r}


def fail(kind):
    return {"fail": kind}


def f(name, steps, payments=None, options=None):
    flow.append({"name": name, "now_ms": NOW, "order_id": 215, "payments": payments or [payment(card())],
                 "options": {**DETERMINISTIC, **(options or {})}, "seed": 7, "script": steps})


f("happy path: methods, token, pay", [send("get_payment_methods", resp(OK_METHODS)), send("create_payment_access_token", resp(OK_TOKEN)),
                                      send("process_payment", resp(OK_PAY)), {"expect": {"done": {"payments": [{"id": "tx-1", "reconciled": False}], "requests_sent": 3}}}])
f("without methods: token, pay", [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", resp(OK_PAY)),
                                  {"expect": {"done": {"requests_sent": 2}}}], options={"fetch_methods": False})
f("split payment: a token per payment", [send("get_payment_methods", resp(OK_METHODS)), send("create_payment_access_token", resp(OK_TOKEN)),
                                         send("process_payment", resp(OK_PAY)), send("create_payment_access_token", resp(OK_TOKEN)),
                                         send("process_payment", resp(OK_PAY)), {"expect": {"done": {"payments": [{"payment_method_id": "bigcommerce.gift_certificate"}, {"payment_method_id": "stripe.card"}]}}}],
  payments=[payment({"type": "gift_certificate", "gift_certificate_code": "GC"}, "bigcommerce.gift_certificate"), payment(card())])
f("methods 503 retried", [send("get_payment_methods", resp({"status": 503, "body": {"status": 503, "title": "x", "type": "x"}})), send("get_payment_methods", resp(OK_METHODS)),
                          send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", resp(OK_PAY)), {"expect": {"done": {"requests_sent": 4}}}])
f("token transport failures retried then give up", [send("create_payment_access_token", fail("timed_out")), send("create_payment_access_token", fail("maybe_sent")),
                                                    send("create_payment_access_token", fail("not_sent")), {"expect": {"failed": {"kind": "transport", "endpoint": "create_payment_access_token"}}}],
  options={"fetch_methods": False, "max_attempts": 3})
f("timeout after pay is reconciled as paid", [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", fail("timed_out")),
                                              send("get_order_transactions", resp(TX_PAID)), send("get_order", resp(ORDER_PAID)),
                                              {"expect": {"done": {"payments": [{"reconciled": True, "payment_method_id": "stripe.card"}]}}}], options={"fetch_methods": False})
f("reset with nothing recorded is ambiguous, never resent by default", [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", fail("maybe_sent")),
                                                             send("get_order_transactions", resp(NO_TX)), send("get_order", resp(ORDER_INCOMPLETE)),
                                                             {"expect": {"failed": {"kind": "ambiguous_outcome", "retry": {"type": "reconcile"}, "endpoint": "process_payment"}}}],
  options={"fetch_methods": False, "settle_window_ms": 0})
f("reset with nothing recorded is resent with a new token when opted in", [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", fail("maybe_sent")),
                                                             send("get_order_transactions", resp(NO_TX)), send("get_order", resp(ORDER_INCOMPLETE)),
                                                             send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", resp(OK_PAY)),
                                                             {"expect": {"done": {"payments": [{"reconciled": False}]}}}],
  options={"fetch_methods": False, "settle_window_ms": 0, "resend_when_unrecorded": True})
f("500 code 10000 is reconciled", [send("create_payment_access_token", resp(OK_TOKEN)),
                                   send("process_payment", resp({"status": 500, "body": {"status": 500, "title": "x", "type": "x", "code": 10000}})),
                                   send("get_order_transactions", resp(TX_PAID)), send("get_order", resp(ORDER_PAID)), {"expect": {"done": {"payments": [{"reconciled": True}]}}}],
  options={"fetch_methods": False})
f("status changed without transaction is ambiguous", [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", fail("timed_out")),
                                                      send("get_order_transactions", resp(NO_TX)), send("get_order", resp(ORDER_PAID)),
                                                      {"expect": {"failed": {"kind": "ambiguous_outcome", "retry": {"type": "reconcile"}, "endpoint": "process_payment"}}}],
  options={"fetch_methods": False, "settle_window_ms": 0, "resend_when_unrecorded": True})
f("reconcile off is ambiguous at once", [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", fail("maybe_sent")),
                                         {"expect": {"failed": {"kind": "ambiguous_outcome"}}}], options={"fetch_methods": False, "reconcile": False})
f("not sent is resent with the same token", [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", fail("not_sent")),
                                             send("process_payment", resp(OK_PAY)), {"expect": {"done": {"requests_sent": 3}}}], options={"fetch_methods": False})
f("429 on pay waits then resends", [send("create_payment_access_token", resp(OK_TOKEN)),
                                    send("process_payment", resp({"status": 429, "headers": {"X-Retry-After": "1"}, "body_text": ""})),
                                    {"expect": {"wait": {"min": NOW + 1000, "max": NOW + 1000}}}, send("process_payment", resp(OK_PAY)),
                                    {"expect": {"done": {"requests_sent": 3}}}], options={"fetch_methods": False})
f("401 on pay gets a new token", [send("create_payment_access_token", resp(OK_TOKEN)),
                                  send("process_payment", resp({"status": 401, "body": {"status": 401, "title": "Unauthorized", "type": "x"}})),
                                  send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", resp(OK_PAY)), {"expect": {"done": {"requests_sent": 4}}}],
  options={"fetch_methods": False})
f("decline stops", [send("create_payment_access_token", resp(OK_TOKEN)),
                    send("process_payment", resp({"status": 422, "body": {"status": 422, "title": "x", "type": "x", "code": 30103}})),
                    {"expect": {"failed": {"kind": "declined", "code": 30103, "retry": {"type": "never"}}}}], options={"fetch_methods": False})
f("duplicate is never retried", [send("create_payment_access_token", resp(OK_TOKEN)),
                                 send("process_payment", resp({"status": 422, "body": {"status": 422, "title": "x", "type": "x", "code": 30105}})),
                                 {"expect": {"failed": {"kind": "duplicate_payment", "retry": {"type": "never"}}}}], options={"fetch_methods": False})
f("methods rule out the card", [send("get_payment_methods", resp(OK_METHODS)), {"expect": {"failed": {"kind": "validation"}}}],
  payments=[payment(card(number="378282246310005", cvv="1234"))])
STORED_NO_CVV = [payment({"type": "stored_card", "token": STORED})]
f("a recurring charge of a stored card needs no CVV (merchant-initiated, is_recurring)",
  [send("get_payment_methods", resp(OK_METHODS)), send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", resp(OK_PAY)),
   {"expect": {"done": {"requests_sent": 3}}}], payments=STORED_NO_CVV, options={"is_recurring": True})
f("a shopper-present stored card needs its CVV where the method asks",
  [send("get_payment_methods", resp(OK_METHODS)),
   {"expect": {"failed": {"kind": "validation", "field_errors": [{"path": "payment.instrument.verification_value", "code": "missing"}]}}}],
  payments=STORED_NO_CVV)
f("backoff is jittered within the cap", [send("get_payment_methods", resp({"status": 500, "body_text": ""})),
                                         {"expect": {"send": "get_payment_methods", "not_after_ms": NOW + 400}, "respond": OK_METHODS}], options={"backoff_base_ms": 200})
f("polling while in flight", [{"expect": {"send": "get_payment_methods"}}, {"expect": {"send": "create_payment_access_token"}},
                              {"expect": {"awaiting": True}}, {"expect": {"awaiting": True}}])
# Methods and token go out together (two round trips before Process Payment, not three); an
# `awaiting` step's answer goes to the request the flow awaits. Process Payment goes out alone.
f("methods and token at once, then process payment alone",
  [{"expect": {"send": "get_payment_methods"}}, {"expect": {"send": "create_payment_access_token"}},
   {"expect": {"awaiting": True}, **resp(OK_METHODS)}, {"expect": {"awaiting": True}, **resp(OK_TOKEN)},
   {"expect": {"send": "process_payment"}}, {"expect": {"awaiting": True}, **resp(OK_PAY)},
   {"expect": {"done": {"requests_sent": 3, "order_state": "paid"}}}])
f("reconcile waits before reading", [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", fail("timed_out")),
                                     {"expect": {"wait": {"min": NOW + 2000, "max": NOW + 2000}}}, send("get_order_transactions", resp(TX_PAID))],
  options={"fetch_methods": False, "reconcile_delay_ms": 2000})

# A slow ledger: the charge shows in the order's transactions and status `lag` after the unclear
# outcome. Default schedule: reads at 2, 6, 14, 30 and 60 s. Zero double charges in every case.
SETTLE = [2000, 6000, 14000, 30000, 60000]


def settle_reads(lag_ms, opts=None):
    """The script of settle reads for a charge recorded `lag_ms` after a timeout at NOW."""
    steps = []
    for at in SETTLE:
        wait = {"expect": {"wait": {"min": NOW + at, "max": NOW + at}}}
        if lag_ms <= at:
            return steps + [wait, send("get_order_transactions", resp(TX_PAID)), send("get_order", resp(ORDER_PAID)),
                            {"expect": {"done": {"payments": [{"reconciled": True}], "requests_sent": 2 + 2 * (len(steps) // 3 + 1)}}}]
        steps += [wait, send("get_order_transactions", resp(NO_TX)), send("get_order", resp(ORDER_INCOMPLETE))]
    return steps


SLOW = {"fetch_methods": False, "reconcile_delay_ms": 2000}
for lag in [0, 5000, 40000]:
    f(f"slow ledger: a charge recorded {lag // 1000} s late is found, not paid again",
      [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", fail("timed_out"))] + settle_reads(lag), options=SLOW)
f("slow ledger: nothing recorded within the 60 s window is ambiguous, not paid again",
  [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", fail("timed_out"))] + settle_reads(90000)
  + [{"expect": {"failed": {"kind": "ambiguous_outcome", "retry": {"type": "reconcile"}, "endpoint": "process_payment"}}}], options=SLOW)
f("slow ledger: opted in to re-sending, a charge recorded 5 s late is still found",
  [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", resp({"status": 500, "body": {"status": 500, "title": "x", "type": "x", "code": 10000}}))]
  + settle_reads(5000), options={**SLOW, "resend_when_unrecorded": True})
f("slow ledger: the order's status moving keeps the flow reading until the transaction shows",
  [send("create_payment_access_token", resp(OK_TOKEN)), send("process_payment", fail("maybe_sent")),
   {"expect": {"wait": {"min": NOW + 2000, "max": NOW + 2000}}}, send("get_order_transactions", resp(NO_TX)), send("get_order", resp(ORDER_PAID)),
   {"expect": {"wait": {"min": NOW + 6000, "max": NOW + 6000}}}, send("get_order_transactions", resp(TX_PAID)), send("get_order", resp(ORDER_PAID)),
   {"expect": {"done": {"payments": [{"reconciled": True}]}}}], options={**SLOW, "resend_when_unrecorded": True})

# Tokens judged by their own lifetime: a skewed clock or an iat-less token costs one token request;
# a token expired at issue is asked for once more, then the flow fails with a clear error.
for name, token in [("our clock 2 h ahead of the issuer", jwt(NOW // 1000 - 7200 + 3600)),
                    ("our clock 2 h behind the issuer", jwt(NOW // 1000 + 7200 + 3600)),
                    ("a token without iat", jwt(NOW // 1000 - 7200, iat=False))]:
    f(f"token storm: {name} costs one token request", [send("create_payment_access_token", resp({"status": 201, "body": {"data": {"id": token}}})),
                                                      send("process_payment", resp(OK_PAY)), {"expect": {"done": {"requests_sent": 2}}}],
      options={"fetch_methods": False})
EXPIRED_AT_ISSUE = {"status": 201, "body": {"data": {"id": jwt(NOW // 1000, lifetime=0)}}}
f("token storm: tokens expired at issue end after two requests with a clear error",
  [send("create_payment_access_token", resp(EXPIRED_AT_ISSUE)), send("create_payment_access_token", resp(EXPIRED_AT_ISSUE)),
   {"expect": {"failed": {"kind": "configuration", "endpoint": "create_payment_access_token", "retry": {"type": "never"}}}}],
  options={"fetch_methods": False})
f("token storm: one token expired at issue, then a good one pays",
  [send("create_payment_access_token", resp(EXPIRED_AT_ISSUE)), send("create_payment_access_token", resp(OK_TOKEN)),
   send("process_payment", resp(OK_PAY)), {"expect": {"done": {"requests_sent": 3}}}], options={"fetch_methods": False})

# Server-directed waits are capped at 60 s; a longer one fails as rate_limited with the server's figure.
f("server wait: a huge X-Retry-After fails typed instead of sleeping",
  [send("create_payment_access_token", resp(OK_TOKEN)),
   send("process_payment", resp({"status": 429, "headers": {"X-Retry-After": "999999999"}, "body_text": ""})),
   {"expect": {"failed": {"kind": "rate_limited", "retry": {"type": "after", "ms": 999999999000}}}}], options={"fetch_methods": False})
f("server wait: a huge X-Rate-Limit-Time-Reset-Ms on a 429 fails typed",
  [send("get_payment_methods", resp({"status": 429, "headers": {"X-Rate-Limit-Time-Reset-Ms": "86400000"}, "body_text": ""})),
   {"expect": {"failed": {"kind": "rate_limited", "retry": {"type": "after", "ms": 86400000}, "endpoint": "get_payment_methods"}}}])
f("server wait: a 200 with no requests left and a huge reset fails typed",
  [send("get_payment_methods", resp({**OK_METHODS, "headers": {"X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Reset-Ms": "3600000"}})),
   {"expect": {"failed": {"kind": "rate_limited", "retry": {"type": "after", "ms": 3600000}, "endpoint": "create_payment_access_token"}}}])
f("server wait: a reset within the cap is waited out",
  [send("get_payment_methods", resp({**OK_METHODS, "headers": {"X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Reset-Ms": "30000"}})),
   {"expect": {"wait": {"min": NOW + 30000, "max": NOW + 30000}}}, send("create_payment_access_token", resp(OK_TOKEN))])

# A server that echoes the request: the PAT (opaque here, so not caught by shape) and the CVV are
# scrubbed by value from the error the flow returns.
OPAQUE_PAT = {"status": 201, "body": {"data": {"id": "opaque-pat-0f1e2d"}}}
f("echoed PAT and CVV are scrubbed by value", [send("create_payment_access_token", resp(OPAQUE_PAT)),
  send("process_payment", resp({"status": 400, "body": {"status": 400, "title": "Bad PAT opaque-pat-0f1e2d", "type": "x", "code": 10001,
                                                        "detail": "verification_value=987 was rejected"}})),
  {"expect": {"failed": {"kind": "invalid_request", "title": "Bad PAT [redacted]", "detail": "verification_value=[redacted] was rejected"}}}],
  payments=[payment(card(cvv="987"))], options={"fetch_methods": False})

# A redirect is never followed by a transport; the core reads it as an unclear answer to a payment.
f("redirect on pay is reconciled, not reported as not found",
  [send("create_payment_access_token", resp(OK_TOKEN)),
   send("process_payment", resp({"status": 307, "headers": {"Location": "https://elsewhere.example/pay"}, "body_text": ""})),
   send("get_order_transactions", resp(NO_TX)), send("get_order", resp(ORDER_INCOMPLETE)),
   {"expect": {"failed": {"kind": "ambiguous_outcome", "status": 307}}}], options={"fetch_methods": False, "settle_window_ms": 0})

with open(os.path.join(HERE, "build.json"), "w") as fh:
    json.dump({"config": CONFIG, "cases": build}, fh, indent=1)
with open(os.path.join(HERE, "parse.json"), "w") as fh:
    json.dump({"config": CONFIG, "cases": parse}, fh, indent=1)
with open(os.path.join(HERE, "validate.json"), "w") as fh:
    json.dump({"cases": validate}, fh, indent=1)
with open(os.path.join(HERE, "flow.json"), "w") as fh:
    json.dump({"config": CONFIG, "cases": flow}, fh, indent=1)
print(f"build {len(build)}, parse {len(parse)}, validate {len(validate)}, flow {len(flow)}, total {len(build) + len(parse) + len(validate) + len(flow)}")
with open(os.path.join(HERE, "relay.json"), "w") as fh:
    json.dump(RELAY, fh, indent=1)
with open(os.path.join(HERE, "journal.json"), "w") as fh:
    json.dump(JOURNAL, fh, indent=1)
