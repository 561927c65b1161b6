"""Fixtures shared by the generators of the conformance vectors (generate.py) and of the host
vectors (../host/generate.py): tokens, cards, payments, the store's methods, a transaction."""
import base64
import json


def luhn_complete(prefix):
    """Appends the Luhn check digit to `prefix`."""
    for check in "0123456789":
        digits = [int(c) for c in prefix + check][::-1]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
        if total % 10 == 0:
            return prefix + check
    raise AssertionError


def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def jwt(exp, order_id=215, amount=6098, lifetime=3600, iat=True):
    """A payment access token expiring at `exp` (s) that was issued `lifetime` s before it."""
    header = b64({"typ": "JWT", "alg": "HS256"})
    claims = {"exp": exp, "nbf": exp - lifetime, "iat": exp - lifetime, "iss": "payments.bigcommerce.com",
              "sub": "abc123", "jti": "7787fe5f-59bf-47ec-a1fd-4d47e9061e5c",
              "data": {"store_id": 1025646, "order_id": order_id, "amount": amount, "currency": "USD"}}
    if not iat:
        del claims["iat"]
    payload = b64(claims)
    return f"{header}.{payload}.c2lnbmF0dXJl"


STORED = "050a1e5c982e5905288ec5ec33f292772762033a0704f46fccb16bf1940b51ef"
PAYPAL = "52fa5598d41ed987c76fef61f0adef2f2a90da024a3b50e71c2273419d24fd90"


def card(number="4242424242424242", name="Jane Doe", month=12, year=2030, cvv="123", **extra):
    c = {"type": "card", "number": number, "cardholder_name": name, "expiry_month": month, "expiry_year": year}
    if cvv is not None:
        c["verification_value"] = cvv
    c.update(extra)
    return c

def payment(instrument, method="stripe.card", save=None):
    p = {"instrument": instrument, "payment_method_id": method}
    if save is not None:
        p["save_instrument"] = save
    return p


METHODS = [
    {"id": "stripe.card", "name": "Stripe", "test_mode": True, "type": "card",
     "supported_instruments": [{"instrument_type": t, "verification_value_required": True} for t in ["VISA", "MASTERCARD", "DISCOVER"]]
     + [{"instrument_type": "STORED_CARD", "verification_value_required": True}],
     "stored_instruments": [{"type": "stored_card", "brand": "VISA", "expiry_month": 9, "expiry_year": 2030,
                             "issuer_identification_number": "424242", "last_4": "4242", "token": STORED, "is_default": True}]},
    {"id": "braintree.paypal", "name": "Braintree (PayPal)", "test_mode": True, "type": "paypal",
     "supported_instruments": [{"instrument_type": "STORED_PAYPAL_ACCOUNT"}],
     "stored_instruments": [{"email": "bc@example.com", "type": "stored_paypal_account", "token": PAYPAL, "is_default": True}]},
    {"id": "bigcommerce.gift_certificate", "name": "Gift Certificate", "test_mode": False, "type": "gift_certificate",
     "supported_instruments": [], "stored_instruments": []},
]

TX = {"id": 1, "order_id": "215", "event": "purchase", "method": "credit_card", "amount": 60.98, "currency": "USD", "gateway": "stripe",
      "gateway_transaction_id": "ch_1", "status": "ok", "test": True, "payment_method_id": "stripe.card", "date_created": "2026-11-21T00:00:00+00:00"}
