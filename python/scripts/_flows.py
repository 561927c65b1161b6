"""What the Python benches share: the card payment they make, the orders they pay, and the
hand-written three-call httpx flow they compare bcpay with."""
from __future__ import annotations

from typing import Any, Callable

CARD = {"type": "card", "number": "4242424242424242", "cardholder_name": "Jane Doe", "expiry_month": 12, "expiry_year": 2030, "verification_value": "123"}
PAYMENT = {"instrument": CARD, "payment_method_id": "stripe.card"}
ADDRESS = {"first_name": "J", "last_name": "D", "street_1": "1", "city": "A", "state": "T", "zip": "1", "country": "US", "country_iso2": "US", "email": "j@d.com"}


def new_order(client: Any) -> int:
    """A new order of 5.00 at the sandbox, made with bcpay `client`."""
    return int(client.create_order({"billing_address": ADDRESS, "products": [{"name": "x", "quantity": 1, "price_inc_tax": 5, "price_ex_tax": 5}]}).id)


def hand_written(raw: Any, url: str) -> Callable[[int], None]:
    """The three calls a payment makes, written by hand with the httpx client `raw` against the
    sandbox at `url`: Get Payment Methods, Create Payment Access Token, Process Payment."""
    store = f"{url}/stores/abc123"
    auth = {"X-Auth-Token": "sandbox-token", "Accept": "application/json"}

    def pay(order_id: int) -> None:
        raw.get(f"{store}/v3/payments/methods", params={"order_id": order_id}, headers=auth).json()
        pat = raw.post(f"{store}/v3/payments/access_tokens", json={"order": {"id": order_id}}, headers=auth).json()["data"]["id"]
        r = raw.post(f"{store}/payments", json={"payment": PAYMENT}, headers={"Accept": "application/vnd.bc.v1+json", "Authorization": f"PAT {pat}"})
        assert r.status_code == 201
        r.json()

    return pay
