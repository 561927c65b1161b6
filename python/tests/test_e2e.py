"""End to end over real HTTP (httpx) against the sandbox: sync and async clients, every
instrument type, declines, the rate limit, and a timeout reconciled without a second charge."""
from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

import pytest

import bcpay
from conftest import start_sandbox

CARD = {"type": "card", "number": "4242424242424242", "cardholder_name": "Jane Doe", "expiry_month": 12, "expiry_year": 2030, "verification_value": "123"}


def card(number: str) -> Dict[str, Any]:
    return {**CARD, "number": number}


def client(url: str, **extra: Any) -> bcpay.Client:
    return bcpay.Client("abc123", "sandbox-token", api_base=url, payments_base=url, **extra)


def order(c: bcpay.Client, customer_id: int = 0, price: float = 40.0) -> int:
    o = c.create_order({
        "customer_id": customer_id,
        "billing_address": {"first_name": "Jane", "last_name": "Doe", "street_1": "1 Main St", "city": "Austin", "state": "Texas", "zip": "78751", "country": "United States", "country_iso2": "US", "email": "jane@example.com"},
        "products": [{"name": "Poster", "quantity": 1, "price_inc_tax": price, "price_ex_tax": price}],
    })
    assert o.status_id == 0
    return o.id


def admin(url: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{url}/__sandbox/{path}", data=data, headers={"content-type": "application/json"}, method="POST" if data else "GET")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def charges(url: str, order_id: int) -> int:
    for o in admin(url, "ledger")["orders"]:
        if o["order_id"] == order_id:
            return len(o["charges"])
    return 0


def test_every_instrument_type(sandbox_url: str) -> None:
    with client(sandbox_url) as c:
        oid = order(c)
        r = c.pay(oid, {"instrument": CARD, "payment_method_id": "stripe.card"})
        assert r.payments[0].transaction_type == "purchase"
        assert c.get_order(oid).status_id == 11

        oid = order(c, 11)
        methods = {m.id: m for m in c.get_payment_methods(order_id=oid)}
        stored = lambda method, kind, email=None: next(s.token for s in methods[method].stored_instruments if s.type == kind and (email is None or s.email == email))  # noqa: E731
        c.pay(oid, {"instrument": {"type": "stored_card", "token": stored("stripe.card", "stored_card"), "verification_value": "123"}, "payment_method_id": "stripe.card"})
        first = methods["stripe.card"].stored_instruments[0]
        assert first.token not in repr(first) and first.token[-4:] in repr(first)

        oid = order(c, 11)
        c.pay(oid, {"instrument": {"type": "stored_paypal_account", "token": stored("braintree.paypal", "stored_paypal_account", "jane@example.com")}, "payment_method_id": "braintree.paypal"})
        oid = order(c, 11)
        r = c.pay(oid, {"instrument": {"type": "stored_bank_account", "token": stored("braintree.ach", "stored_bank_account")}, "payment_method_id": "braintree.ach"})
        assert r.payments[0].status == "pending"

        oid = order(c, 0, 80)
        r = c.pay(oid, [{"instrument": {"type": "gift_certificate", "gift_certificate_code": "GC-25-OFF"}, "payment_method_id": "bigcommerce.gift_certificate"}, {"instrument": card("5555555555554444"), "payment_method_id": "stripe.card"}])
        assert [(t.method, t.amount) for t in c.get_transactions(oid)] == [("gift_certificate", "25.00"), ("credit_card", "55.00")]

        oid = order(c, 11)
        c.pay(oid, [{"instrument": {"type": "store_credit"}, "payment_method_id": "bigcommerce.store_credit"}, {"instrument": CARD, "payment_method_id": "stripe.card"}])
        oid = order(c)
        c.pay(oid, {"instrument": {"type": "tokenized_card", "token": "K7KW-M9GX-6PQ3", "iin": "4111111", "last_four_digits": "1111", "expiration_month": "12", "expiration_year": "2030"}, "payment_method_id": "bolt.card"})


@pytest.mark.parametrize("number,cls,code", [
    ("4000000000000002", bcpay.DeclinedError, 30102),
    ("4000000000000069", bcpay.DeclinedError, 30103),
    ("4000000000009995", bcpay.DeclinedError, 30106),
    ("4000000000000259", bcpay.DuplicatePaymentError, 30105),
])
def test_declines(sandbox_url: str, number: str, cls: type, code: int) -> None:
    with client(sandbox_url) as c:
        oid = order(c)
        with pytest.raises(cls) as info:
            c.pay(oid, {"instrument": card(number), "payment_method_id": "stripe.card"})
        e = info.value
        assert isinstance(e, bcpay.BcpayError) and e.code == code and e.shopper_message and e.remedy
        assert e.retry.type == "never"
        assert number not in f"{e} {e!r}"
        assert charges(sandbox_url, oid) == 0


def test_timeout_after_commit_is_reconciled_once(sandbox_url: str) -> None:
    with client(sandbox_url) as c:
        oid = order(c)
    admin(sandbox_url, "faults", {"slow": 1, "slow_ms": 800})
    try:
        with client(sandbox_url, timeout=0.2, flow_options={"reconcile_delay_ms": 50}) as impatient:
            r = impatient.pay(oid, {"instrument": CARD, "payment_method_id": "stripe.card"})
    finally:
        admin(sandbox_url, "faults", {})
    assert r.payments[0].reconciled
    assert charges(sandbox_url, oid) == 1


def test_connection_refused_is_not_sent() -> None:
    c = bcpay.Client("abc123", "t", api_base="http://127.0.0.1:9", payments_base="http://127.0.0.1:9", flow_options={"max_attempts": 2, "backoff_base_ms": 1})
    with pytest.raises(bcpay.TransportError) as info:
        c.get_order(1)
    # httpx's words for it are kept (`ConnectError: [Errno 111] Connection refused`).
    assert info.value.detail.startswith("transport failure: not_sent (ConnectError: "), info.value.detail


def test_rate_limit_no_429_reaches_the_caller(extra_sandboxes: List[Any]) -> None:
    proc, url = start_sandbox("--payments-quota", "5", "--payments-window-ms", "500")
    extra_sandboxes.append(proc)
    with client(url, rate_limit={"payments_quota": 5, "payments_window_ms": 500}, flow_options={"fetch_methods": False}) as c:
        ids = [order(c) for _ in range(15)]

        async def run() -> List[bcpay.PaymentReceipt]:
            async with bcpay.AsyncClient("abc123", "sandbox-token", api_base=url, payments_base=url, rate_limit={"payments_quota": 5, "payments_window_ms": 500}, flow_options={"fetch_methods": False}) as ac:
                return await asyncio.gather(*(ac.pay(i, {"instrument": CARD, "payment_method_id": "stripe.card"}) for i in ids))

        started = time.monotonic()
        receipts = asyncio.run(run())
    assert len(receipts) == 15
    assert admin(url, "ledger")["faults_injected"].get("rate_limited_429", 0) == 0
    assert time.monotonic() - started >= 1.0  # 15 payments at 5 per 500 ms: two more windows


def test_async_client_pays_and_reconciles(sandbox_url: str) -> None:
    async def run() -> None:
        async with bcpay.AsyncClient("abc123", "sandbox-token", api_base=sandbox_url, payments_base=sandbox_url) as c:
            o = await c.create_order({"billing_address": {"first_name": "J", "last_name": "D", "street_1": "1", "city": "A", "state": "T", "zip": "1", "country": "US", "country_iso2": "US", "email": "j@d.com"}, "products": [{"name": "x", "quantity": 1, "price_inc_tax": 5, "price_ex_tax": 5}]})
            r = await c.pay(o.id, {"instrument": CARD, "payment_method_id": "authorizenet.card"})
            assert r.payments[0].transaction_type == "authorization"
            await c.capture(o.id)
            assert (await c.get_order(o.id)).payment_status == "captured"
            quote = await c.create_refund_quote(o.id, [{"item_type": "ORDER", "item_id": o.id, "amount": 2}])
            await c.create_refund(o.id, [{"item_type": "ORDER", "item_id": o.id, "amount": 2}], [{"provider_id": quote.refund_methods[0][0].provider_id, "amount": 2}])
            assert len(await c.list_refunds(o.id)) == 1
            o3 = await c.create_order({"billing_address": {"first_name": "J", "last_name": "D", "street_1": "1", "city": "A", "state": "T", "zip": "1", "country": "US", "country_iso2": "US", "email": "j@d.com"}, "products": [{"name": "x", "quantity": 1, "price_inc_tax": 5, "price_ex_tax": 5}]})
            token = await c.create_access_token(o3.id)
            single = await c.process_payment(token, {"instrument": CARD, "payment_method_id": "stripe.card"})
            assert single.status == "success" and not single.reconciled
            with pytest.raises(bcpay.DeclinedError):
                o2 = await c.create_order({"billing_address": {"first_name": "J", "last_name": "D", "street_1": "1", "city": "A", "state": "T", "zip": "1", "country": "US", "country_iso2": "US", "email": "j@d.com"}, "products": [{"name": "x", "quantity": 1, "price_inc_tax": 5, "price_ex_tax": 5}]})
                await c.pay(o2.id, {"instrument": card("4000000000009995"), "payment_method_id": "stripe.card"})

    asyncio.run(run())


def test_refunds_and_stored_instruments(sandbox_url: str) -> None:
    with client(sandbox_url) as c:
        oid = order(c, 0, 100)
        c.pay(oid, {"instrument": CARD, "payment_method_id": "stripe.card"})
        quote = c.create_refund_quote(oid, [{"item_type": "ORDER", "item_id": oid, "amount": 30}])
        assert quote.total_refund_amount == "30.00"
        provider = quote.refund_methods[0][0].provider_id
        refund = c.create_refund(oid, [{"item_type": "ORDER", "item_id": oid, "amount": 30}], [{"provider_id": provider, "amount": 30}])
        assert refund.total_amount == "30.00" and len(c.list_refunds(oid)) == 1
        assert c.get_stored_instruments(11)[0].type == "stored_card"
        token = c.create_access_token(order(c))
        assert token.claims is not None and token.claims.iss == "payments.bigcommerce.com"
        assert token.secret not in repr(token)


DOCUMENTED = json.loads((Path(__file__).resolve().parents[2] / "tests" / "sandbox" / "documented_codes.json").read_text())
DOCUMENTED_CODES = DOCUMENTED["cases"]


@pytest.mark.parametrize("case", DOCUMENTED_CODES, ids=[c["name"][:5] for c in DOCUMENTED_CODES])
def test_documented_codes_from_the_sandbox_s_triggers(sandbox_url: str, case: Dict[str, Any]) -> None:
    """Codes only the sandbox's trigger cards and orders reach, shared with every host."""
    body = {**DOCUMENTED["base_order"], **case["order"]}
    req = urllib.request.Request(f"{sandbox_url}/stores/abc123/v2/orders", data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json", "x-auth-token": "sandbox-token"}, method="POST")
    with urllib.request.urlopen(req) as r:
        oid = json.loads(r.read())["id"]
    expect = case["expect"]
    with client(sandbox_url, flow_options={"backoff_base_ms": 1, "backoff_cap_ms": 5}) as c:
        with pytest.raises(bcpay.BcpayError) as e:
            c.pay(oid, case["payment"])
    assert (e.value.kind, e.value.code, e.value.retry.type) == (expect["kind"], expect["code"], expect["retry"]), str(e.value)
    assert e.value.shopper_message == expect["shopper_message"]
    assert charges(sandbox_url, oid) == expect["charged"]


def test_a_client_with_no_settings_reads_bcpay_variables_and_explicit_ones_win(sandbox_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in {"BCPAY_STORE_HASH": "abc123", "BCPAY_API_TOKEN": "sandbox-token", "BCPAY_API_BASE": sandbox_url,
                       "BCPAY_PAYMENTS_BASE": sandbox_url}.items():
        monkeypatch.setenv(var, value)
    with bcpay.Client() as c:
        assert c.pay(order(c), {"instrument": CARD, "payment_method_id": "stripe.card"}).order_state == "paid"
    # An explicit base wins over the environment's (plain http off loopback is refused).
    with pytest.raises(bcpay.ConfigurationError):
        bcpay.Client(api_base="http://example.com")
    monkeypatch.delenv("BCPAY_API_TOKEN")
    with pytest.raises(bcpay.ConfigurationError) as e:
        bcpay.AsyncClient()
    assert e.value.field_errors[0].path == "api_token"
