"""The relay's server side: a WSGI endpoint (wsgiref over real HTTP) and an ASGI endpoint, each a
few lines around ``pay_from_app``, paying on the sandbox for an app that holds no token. The app
side here writes the documented envelope by hand, as any app could."""
from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from typing import Any, Callable, Dict, Iterable, Iterator, List, Tuple
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

import bcpay
from test_e2e import card, charges, order

OPTIONS = {"settle_window_ms": 600, "reconcile_delay_ms": 100}


def envelope(order_id: int, *payments: Dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"type": "bcpay.payment_request", "version": 1, "order_id": order_id, "payments": list(payments), **extra}).encode()


def pay_with(number: str) -> Dict[str, Any]:
    return {"payment_method_id": "stripe.card", "instrument": card(number)}


def wsgi_app(client: bcpay.Client) -> Callable[..., Iterable[bytes]]:
    # The merchant's endpoint, in full (the README shows the same).
    def app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        outcome = client.pay_from_app(body)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [outcome]
    return app


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def relay(sandbox_url: str) -> Iterator[Tuple[str, bcpay.Client]]:
    client = bcpay.Client("abc123", "sandbox-token", api_base=sandbox_url, payments_base=sandbox_url, flow_options=OPTIONS)
    server = make_server("127.0.0.1", 0, wsgi_app(client), handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/pay", client
    server.shutdown()
    client.close()


def post(url: str, body: bytes) -> Dict[str, Any]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req) as r:
        assert r.status == 200
        return json.loads(r.read())  # type: ignore[no-any-return]


def test_card_stored_card_decline_and_ambiguous(relay: Tuple[str, bcpay.Client], sandbox_url: str) -> None:
    url, client = relay
    o = order(client)
    outcome = post(url, envelope(o, pay_with("4242424242424242"), options={"time_budget_ms": 30000}))
    assert outcome["type"] == "bcpay.payment_outcome" and outcome["status"] == "paid", outcome
    assert outcome["receipt"]["order_id"] == o
    assert charges(sandbox_url, o) == 1

    o = order(client, customer_id=11)
    token = client.get_payment_methods(o)[0].stored_instruments[0].token
    outcome = post(url, envelope(o, {"payment_method_id": "stripe.card", "instrument": {"type": "stored_card", "token": token, "verification_value": "123"}}))
    assert outcome["status"] == "paid", outcome
    assert token not in json.dumps(outcome)

    o = order(client)
    outcome = post(url, envelope(o, pay_with("4000000000009995")))
    assert outcome["status"] == "failed" and outcome["payment_may_have_been_taken"] is False
    assert outcome["error"]["kind"] == "declined" and outcome["error"]["code"] == 30106
    assert "insufficient funds" in outcome["error"]["shopper_message"]

    o = order(client)
    outcome = post(url, envelope(o, pay_with("4000000000003063")))
    assert outcome["payment_may_have_been_taken"] is True
    assert outcome["error"]["kind"] == "ambiguous_outcome" and outcome["error"]["retry"] == {"type": "reconcile"}
    assert charges(sandbox_url, o) == 0


def test_the_server_refuses_what_an_app_may_not_ask(relay: Tuple[str, bcpay.Client]) -> None:
    url, client = relay
    o = order(client)
    sneaky = post(url, envelope(o, pay_with("4242424242424242"), options={"reconcile": False}))
    assert [(f["path"], f["code"]) for f in sneaky["error"]["field_errors"]] == [("options.reconcile", "unknown_field")]
    bad = post(url, envelope(o, pay_with("4242424242424241")))
    assert [(f["path"], f["code"]) for f in bad["error"]["field_errors"]] == [("payment.instrument.number", "luhn_check_failed")]
    other = json.loads(client.pay_from_app(envelope(o + 1000, pay_with("4242424242424242")), expect_order_id=o))
    assert other["error"]["field_errors"][0]["code"] == "order_mismatch"
    with pytest.raises(bcpay.ValidationError) as e:
        client.pay_from_app(42)  # type: ignore[arg-type]
    assert e.value.field_errors[0].path == "body"


def test_an_asgi_endpoint(sandbox_url: str) -> None:
    async def main() -> Dict[str, Any]:
        async with bcpay.AsyncClient("abc123", "sandbox-token", api_base=sandbox_url, payments_base=sandbox_url, flow_options=OPTIONS) as client:

            # The merchant's endpoint, in full (the README shows the same).
            async def app(scope: Dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
                body = b""
                while True:
                    message = await receive()
                    body += message.get("body", b"")
                    if not message.get("more_body"):
                        break
                outcome = await client.pay_from_app(body)
                await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": outcome})

            o = await client.create_order({
                "customer_id": 0,
                "billing_address": {"first_name": "Jane", "last_name": "Doe", "street_1": "1 Main St", "city": "Austin", "state": "Texas", "zip": "78751", "country": "United States", "country_iso2": "US", "email": "jane@example.com"},
                "products": [{"name": "Poster", "quantity": 1, "price_inc_tax": 30.0, "price_ex_tax": 30.0}],
            })
            chunks = [envelope(o.id, pay_with("4242424242424242"))]
            sent: List[Dict[str, Any]] = []

            async def receive() -> Dict[str, Any]:
                return {"type": "http.request", "body": chunks.pop(0), "more_body": False}

            async def send(message: Dict[str, Any]) -> None:
                sent.append(message)

            await app({"type": "http", "method": "POST", "path": "/pay"}, receive, send)
            assert sent[0]["status"] == 200
            return json.loads(sent[1]["body"])  # type: ignore[no-any-return]

    outcome = asyncio.run(main())
    assert outcome["status"] == "paid", outcome


def test_an_app_time_budget_still_answers_with_an_envelope(sandbox_url: str) -> None:
    async def main() -> Dict[str, Any]:
        async with bcpay.AsyncClient("abc123", "sandbox-token", api_base=sandbox_url, payments_base=sandbox_url, flow_options=OPTIONS) as client:
            o = await client.create_order({
                "customer_id": 0,
                "billing_address": {"first_name": "Jane", "last_name": "Doe", "street_1": "1 Main St", "city": "Austin", "state": "Texas", "zip": "78751", "country": "United States", "country_iso2": "US", "email": "jane@example.com"},
                "products": [{"name": "Poster", "quantity": 1, "price_inc_tax": 30.0, "price_ex_tax": 30.0}],
            })
            # The gateway-trouble card settles for longer than the app will wait.
            return json.loads(await client.pay_from_app(envelope(o.id, pay_with("4000000000003063"), options={"time_budget_ms": 300})))

    outcome = asyncio.run(main())
    assert outcome["status"] == "failed"
    assert outcome["error"]["kind"] in ("ambiguous_outcome", "cancelled"), outcome
    assert outcome["payment_may_have_been_taken"] is (outcome["error"]["kind"] == "ambiguous_outcome")


def test_relay_vectors_request_envelopes() -> None:
    """Every request envelope of tests/vectors/relay.json through ``pay_from_app``, with no
    network: an accepted envelope starts the flow, whose first request then finds no server."""
    from pathlib import Path

    def offline(request: bcpay.HttpRequest) -> bcpay.HttpResponse:
        raise bcpay.NoResponse("not_sent", "offline")

    vectors = json.loads((Path(__file__).resolve().parents[2] / "tests" / "vectors" / "relay.json").read_text())
    cases = vectors["read_request"]
    assert len(cases) >= 15
    client = bcpay.Client("abc123", "t", transport=offline, flow_options={"max_attempts": 1})
    for c in cases:
        body = c["body_text"].encode() if "body_text" in c else json.dumps(c["body"]).encode()
        outcome = json.loads(client.pay_from_app(body))
        assert outcome["status"] == "failed", c["name"]
        if "ok" in c["expect"]:
            assert outcome["error"]["kind"] == "transport", (c["name"], outcome["error"]["message"])
        else:
            want = sorted((f["path"], f["code"]) for f in c["expect"]["error"]["field_errors"])
            assert sorted((f["path"], f["code"]) for f in outcome["error"]["field_errors"]) == want, c["name"]
