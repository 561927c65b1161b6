"""The host vectors (tests/host/scenarios.json) through the public Client and AsyncClient, with a
scripted transport: the same error classes, kinds, codes, messages, request counts and pages as
every other host. The sync client runs every scenario but those that need a request to be cut
short (a hang, a cancellation): a blocking custom transport cannot be interrupted."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import bcpay
from bcpay import AsyncClient, BcpayError, Client, HttpResponse, NoResponse, PaymentAccessToken
from bcpay._errors import _BY_CLASS_NAME

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "tests" / "host" / "scenarios.json").read_text())
SCENARIOS = VECTORS["scenarios"]


def _response(step: Dict[str, Any]) -> HttpResponse:
    body = step["body_text"].encode() if "body_text" in step else json.dumps(step.get("body")).encode()
    return HttpResponse(step["status"], tuple((k, v) for k, v in step.get("headers", {}).items()), body)


def _raise(step: Dict[str, Any]) -> None:
    if step["throw"] == "foreign":
        raise ValueError("a bug in a custom transport")
    raise NoResponse(step["throw"], step.get("cause", ""))


class Scripted:
    """Answers each request with its script step (the first unused one meant for its endpoint,
    else the next unused); records which steps were used, by what, and the most requests it held at
    once. Thread-safe: the sync client sends a payment's methods and token from two threads."""

    def __init__(self, script: List[Dict[str, Any]], meant_for: Optional[List[str]] = None) -> None:
        self.steps = list(script)
        self.meant_for = meant_for or []
        self.used_by: List[Optional[str]] = [None] * len(script)
        self.past_script: List[str] = []
        self.held = self.most_held = 0
        self.lock = threading.Lock()

    @property
    def asked(self) -> List[str]:
        return [e for e in self.used_by if e is not None] + self.past_script

    def take(self, request: Any) -> Dict[str, Any]:
        with self.lock:
            self.held += 1
            self.most_held = max(self.most_held, self.held)
            free = [i for i, e in enumerate(self.used_by) if e is None]
            meant = [i for i in free if i < len(self.meant_for) and self.meant_for[i] == request.endpoint]
            pick = (meant or free or [None])[0]
            if pick is None:
                self.past_script.append(request.endpoint)
                return {"status": 599, "body_text": "script ran out"}
            self.used_by[pick] = request.endpoint
            return self.steps[pick]

    def done(self) -> None:
        with self.lock:
            self.held -= 1

    def __call__(self, request: Any) -> HttpResponse:
        step = self.take(request)
        try:
            time.sleep(step.get("delay_ms", 0) / 1000)
            if "hang_ms" in step:
                time.sleep(step["hang_ms"] / 1000)
                raise NoResponse("timed_out")
            if "throw" in step:
                _raise(step)
            return _response(step)
        finally:
            self.done()


class AsyncScripted(Scripted):
    async def __call__(self, request: Any) -> HttpResponse:  # type: ignore[override]
        step = self.take(request)
        try:
            await asyncio.sleep(step.get("delay_ms", 0) / 1000)
            if "hang_ms" in step:
                await asyncio.sleep(step["hang_ms"] / 1000)
                raise NoResponse("timed_out")
            if "throw" in step:
                _raise(step)
            return _response(step)
        finally:
            self.done()


def _token(pat: str) -> PaymentAccessToken:
    now = int(time.time() * 1000)
    return PaymentAccessToken(pat, None, now, now + 3_600_000)


def _prepare_and_pay(client: Any, a: Dict[str, Any]) -> Any:
    if isinstance(client, AsyncClient):
        async def both() -> Any:
            await client.prepare(a["order_id"])
            return await client.pay(a["order_id"], a["payments"])
        return both()
    client.prepare(a["order_id"])
    return client.pay(a["order_id"], a["payments"])


def _calls(client: Any, c: Dict[str, Any]) -> Any:
    a = c["args"]
    return {
        "pay": lambda: client.pay(a["order_id"], a["payments"]),
        "prepare_and_pay": lambda: _prepare_and_pay(client, a),
        "get_order_payment_status": lambda: client.get_order_payment_status(a["order_id"]),
        "get_order": lambda: client.get_order(a["order_id"]),
        "create_order": lambda: client.create_order(a["order"]),
        "get_payment_methods": lambda: client.get_payment_methods(a["order_id"]),
        "create_payment_access_token": lambda: client.create_access_token(a["order_id"]),
        "process_payment": lambda: client.process_payment(_token(a["pat"]), a["payment"]),
        "get_order_transactions": lambda: client.get_transactions(a["order_id"]),
        "capture_payment": lambda: client.capture(a["order_id"]),
        "create_refund_quote": lambda: client.create_refund_quote(a["order_id"], a["request"]["items"]),
        "create_refund": lambda: client.create_refund(a["order_id"], a["request"]["items"], a["request"]["payments"]),
        "refund": lambda: client.refund(a["order_id"], a["items"]),
        "list_refunds": lambda: client.list_refunds(a["order_id"]),
        "get_stored_instruments": lambda: client.get_stored_instruments(a["customer_id"]),
    }[c["call"]]


def _plain(value: Any) -> Any:
    as_dict = getattr(value, "_asdict", None)
    return as_dict() if as_dict else value


def _projected(event: Dict[str, Any]) -> Optional[str]:
    """An event as tests/host/README.md ("Events") projects it; ``wait`` decisions are left out."""
    kind = event["type"]
    if kind == "request":
        return f"request {event['endpoint']} {event['attempt']}"
    if kind == "response":
        return f"response {event['endpoint']} {event['status']}"
    if kind == "transport_failure":
        return f"transport_failure {event['endpoint']} {event['failure']}" + (f": {event['cause']}" if event.get("cause") else "")
    return None if event["decision"] == "wait" else event["decision"]


class Heard:
    """The ``on_event`` hook of a scenario's client: each event, projected."""

    def __init__(self) -> None:
        self.lines: List[str] = []

    def __call__(self, event: Dict[str, Any]) -> None:
        line = _projected(event)
        if line is not None:
            self.lines.append(line)


def _check(c: Dict[str, Any], got: Any, error: Optional[BaseException], transport: Scripted, elapsed_ms: float, heard: Heard) -> None:
    expect = c["expect"]
    if "events" in expect:
        assert heard.lines == expect["events"]
    if "ok" in expect:
        assert error is None, f"unexpected {error!r}"
        for k, w in expect["ok"].items():
            if k == "len":
                assert len(got) == w
            elif k == "payments":
                assert len(got.payments) == w
            else:
                assert _plain(got)[k] == w, k
    else:
        want = expect["error"]
        assert isinstance(error, BcpayError), f"not a BcpayError: {error!r}"
        assert type(error).__name__ == want["class_name"]
        assert error.kind == want["kind"]
        if "retry" in want:
            assert {"type": error.retry.type, **({"ms": error.retry.ms} if error.retry.ms is not None else {})} == want["retry"]
        if "code" in want:
            assert error.code == want["code"]
        if "status" in want:
            assert error.status == want["status"]
        if "field" in want:
            assert error.field_errors[0].path == want["field"]
        if "field_code" in want:
            assert error.field_errors[0].code == want["field_code"]
        if "server_request_id" in want:
            assert (error.server_request_id or "") == want["server_request_id"]
        if "message" in want:
            assert str(error).startswith(want["message"]), str(error)
    assert transport.asked == expect["requests"]
    if "max_in_flight" in expect:
        assert transport.most_held == expect["max_in_flight"], "the most requests out at once"
    assert elapsed_ms <= c["max_ms"], f"took {elapsed_ms:.0f} ms"


def _needs_interruption(c: Dict[str, Any]) -> bool:
    return "cancel_after_ms" in c or any("hang_ms" in step for step in c["script"])


def _client_args() -> Dict[str, Any]:
    return {"store_hash": VECTORS["config"]["store_hash"], "api_token": VECTORS["config"]["api_token"]}


@pytest.mark.parametrize("c", [c for c in SCENARIOS if not _needs_interruption(c)], ids=lambda c: c["name"])
def test_sync_client(c: Dict[str, Any]) -> None:
    transport = Scripted(c["script"], c["expect"]["requests"])
    heard = Heard()
    client = Client(**_client_args(), transport=transport, flow_options=c.get("options"), on_event=heard)
    started = time.monotonic()
    got, error = None, None
    try:
        got = _calls(client, c)()
    except BaseException as e:  # noqa: BLE001 - the scenario says what it must be
        error = e
    _check(c, got, error, transport, (time.monotonic() - started) * 1000, heard)


async def _run_async(c: Dict[str, Any]) -> None:
    transport = AsyncScripted(c["script"], c["expect"]["requests"])
    heard = Heard()
    client = AsyncClient(**_client_args(), transport=transport, flow_options=c.get("options"), on_event=heard)
    started = time.monotonic()
    got, error = None, None
    task = asyncio.ensure_future(_calls(client, c)())
    if "cancel_after_ms" in c:
        asyncio.get_running_loop().call_later(c["cancel_after_ms"] / 1000, task.cancel)
    try:
        got = await task
    except BaseException as e:  # noqa: BLE001
        error = e
    _check(c, got, error, transport, (time.monotonic() - started) * 1000, heard)


def test_async_client_every_scenario() -> None:
    assert len(SCENARIOS) >= 40

    async def all_scenarios() -> List[Any]:
        return await asyncio.gather(*(_run_async(c) for c in SCENARIOS), return_exceptions=True)

    results = asyncio.run(all_scenarios())
    failures = [f"{c['name']}: {r!r}" for c, r in zip(SCENARIOS, results) if isinstance(r, BaseException)]
    assert failures == []


def test_every_kind_the_core_names_has_its_class() -> None:
    assert sorted(_BY_CLASS_NAME) == sorted(VECTORS["class_names"])
    for name in VECTORS["class_names"]:
        assert issubclass(getattr(bcpay, name), BcpayError)


def test_typed_inputs_declare_exactly_the_keys_the_core_reads() -> None:
    """The TypedDicts are checked against the core's own list of input keys, so they cannot
    drift from the readers (bcpay_core::json_api::input_keys is the rule)."""
    from typing import get_args, get_type_hints

    from bcpay import _core, _inputs

    keys = json.loads(_core.input_keys())

    def declared(t: Any) -> List[str]:
        return sorted(t.__required_keys__ | t.__optional_keys__)

    assert declared(_inputs.Payment) == sorted(keys["payment"])
    by_type = {get_args(get_type_hints(t)["type"])[0]: t for t in get_args(_inputs.Instrument)}
    assert sorted(by_type) == sorted(keys["instruments"])
    for instrument_type, core_keys in keys["instruments"].items():
        assert declared(by_type[instrument_type]) == sorted(core_keys), instrument_type


def test_results_are_plain_json_objects_and_read_only() -> None:
    """A receipt serializes as the JSON object it reads as (a named tuple printed bare arrays)."""
    from bcpay._models import PaymentReceipt, load

    receipt = load(PaymentReceipt, {"order_id": 215, "payments": [{"id": "tx-1", "status": "success", "transaction_type": "purchase",
                                                                   "payment_method_id": "stripe.card", "reconciled": False}], "requests_sent": 3})
    assert json.loads(json.dumps(receipt)) == {"order_id": 215, "requests_sent": 3, "payments": [
        {"id": "tx-1", "status": "success", "transaction_type": "purchase", "payment_method_id": "stripe.card", "reconciled": False}],
        "order_state": "paid", "amount_paid": None, "amount_remaining": None, "currency": None, "transactions": []}
    assert receipt.payments[0].status == "success" and receipt.requests_sent == 3
    with pytest.raises(AttributeError):
        receipt.order_id = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        receipt["order_id"] = 1
    assert repr(receipt).startswith("PaymentReceipt(order_id=215, payments=(ProcessedPayment(id='tx-1'")


def _scenario(name: str) -> Dict[str, Any]:
    return next(c for c in SCENARIOS if c["name"] == name)


def test_the_bcpay_logger_gets_each_event_with_its_fields_as_extra(caplog: pytest.LogCaptureFixture) -> None:
    """Without a hook, the ``bcpay`` logger alone is enough to watch: requests and responses at
    DEBUG, decisions and transport failures at INFO, each field an attribute of the record."""
    c = _scenario("a transport error keeps its cause on the error and the event, without the store's token")
    client = Client(**_client_args(), transport=Scripted(c["script"], c["expect"]["requests"]), flow_options=c.get("options"))
    with caplog.at_level("DEBUG", logger="bcpay"), pytest.raises(BcpayError):
        _calls(client, c)()
    records = [r for r in caplog.records if r.name == "bcpay"]
    assert [getattr(r, "event") for r in records] == ["request", "transport_failure", "decision", "request", "transport_failure", "decision"]
    request, failure, decision = records[:3]
    assert (request.levelname, getattr(request, "endpoint"), getattr(request, "attempt"), getattr(request, "method")) == ("DEBUG", "get_order", 1, "GET")
    assert getattr(request, "url").endswith("/v2/orders/215")
    assert (failure.levelname, getattr(failure, "failure")) == ("INFO", "not_sent")
    assert getattr(failure, "cause") == "connect ECONNREFUSED 127.0.0.1:9 (X-Auth-Token: [redacted])"
    assert (getattr(decision, "decision"), getattr(decision, "wait_ms") is not None) == ("retry", True)
    assert getattr(records[-1], "decision") == "give_up"
    # Nothing bcpay logs holds the store's token.
    assert not [r for r in records if VECTORS["config"]["api_token"] in r.getMessage() + json.dumps(r.__dict__, default=str)]


def test_a_hook_that_raises_cannot_abandon_a_payment() -> None:
    c = _scenario("a payment: methods, token, process")

    def broken(event: bcpay.FlowEvent) -> None:
        raise RuntimeError("a bug in the user's hook")

    client = Client(**_client_args(), transport=Scripted(c["script"], c["expect"]["requests"]), flow_options=c.get("options"), on_event=broken)
    assert len(_calls(client, c)().payments) == 1
