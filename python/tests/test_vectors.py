"""Runs every conformance vector in tests/vectors/ through the installed package's public API.
Format: tests/vectors/README.md."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import bcpay

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"


def load(name: str) -> Dict[str, Any]:
    return json.loads((VECTORS / name).read_text())


def client(config: Dict[str, Any], **extra: Any) -> bcpay.Client:
    return bcpay.Client(config["store_hash"], config["api_token"], host=config["host"], **extra)


def subset(expected: Any, actual: Any, path: str = "") -> None:
    if isinstance(expected, dict):
        for k, v in expected.items():
            subset(v, None if actual is None else actual.get(k) if isinstance(actual, dict) else getattr(actual, k, None), f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, (list, tuple)), f"{path}: {actual!r}"
        assert len(actual) == len(expected), f"{path}: length {len(actual)} != {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            subset(e, a, f"{path}[{i}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def pairs(items: Any) -> List[Tuple[str, str]]:
    return sorted((f["path"] if isinstance(f, dict) else f.path, f["code"] if isinstance(f, dict) else f.code) for f in items)


def check_error(expected: Dict[str, Any], err: BaseException) -> None:
    assert isinstance(err, bcpay.BcpayError), repr(err)
    expected = dict(expected)
    fields = expected.pop("field_errors", None)
    if fields is not None:
        assert pairs(err.field_errors) == pairs(fields)
    retry = expected.pop("retry", None)
    if retry is not None:
        assert (err.retry.type, err.retry.ms) == (retry["type"], retry.get("ms"))
    subset(expected, err)


def response_of(r: Dict[str, Any]) -> bcpay.HttpResponse:
    body = r["body_text"].encode() if "body_text" in r else json.dumps(r["body"]).encode()
    return bcpay.HttpResponse(r["status"], tuple((k, v) for k, v in (r.get("headers") or {}).items()), body)


BUILD = load("build.json")


@pytest.mark.parametrize("case", BUILD["cases"], ids=lambda c: c["name"])
def test_build(case: Dict[str, Any]) -> None:
    c = client(BUILD["config"])
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(bcpay.BcpayError) as info:
            c.build_request(case["call"], case["input"])
        check_error(expect["error"], info.value)
        return
    r = c.build_request(case["call"], case["input"])
    assert (r.method, r.url) == (expect["method"], expect["url"])
    headers = {k.lower(): v for k, v in r.headers if k.lower() != "user-agent"}
    assert headers == expect["headers"]
    ua = dict((k.lower(), v) for k, v in r.headers)["user-agent"]
    assert ua.startswith("bcpay/") and ua.endswith(" (vectors)")
    assert (json.loads(r.body) if r.body else None) == expect["body"]


PARSE = load("parse.json")


@pytest.mark.parametrize("case", PARSE["cases"], ids=lambda c: c["name"])
def test_parse(case: Dict[str, Any]) -> None:
    extra = {"max_response_bytes": case["max_response_bytes"]} if "max_response_bytes" in case else {}
    c = client(PARSE["config"], **extra)
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(bcpay.BcpayError) as info:
            c.parse_response(case["call"], "req-vector", response_of(case["response"]), case.get("context"))
        check_error(expect["error"], info.value)
        return
    subset(expect["ok"], c.parse_response(case["call"], "req-vector", response_of(case["response"]), case.get("context")))


VALIDATE = load("validate.json")


@pytest.mark.parametrize("case", VALIDATE["cases"], ids=lambda c: c["name"])
def test_validate(case: Dict[str, Any]) -> None:
    c = bcpay.Client("abc123", "t")
    payments = [case["payment"]] if "payment" in case else case["payments"]
    assert pairs(c.validate(payments, case.get("methods"), now_ms=case["now_ms"])) == pairs(case["expect_errors"])


FLOW = load("flow.json")


@pytest.mark.parametrize("case", FLOW["cases"], ids=lambda c: c["name"])
def test_flow(case: Dict[str, Any]) -> None:
    c = client(FLOW["config"])
    now = case["now_ms"]
    flow = c.new_flow(case["order_id"], case["payments"], now_ms=now, seed=case["seed"], **case["options"])
    for i, step in enumerate(case["script"]):
        expect = step["expect"]
        kind, value = flow.poll(now)
        while "wait" not in expect and kind == "wait":
            now = value
            kind, value = flow.poll(now)
        at = f"step {i}"
        if kind == "send":
            assert value.endpoint == expect.get("send"), at
            if "not_after_ms" in expect:
                assert now <= expect["not_after_ms"], at
            if "respond" in step:
                flow.on_response(value.id, response_of(step["respond"]), now)
            elif "fail" in step:
                flow.on_transport_failure(value.id, step["fail"], now)
        elif kind == "wait":
            assert expect["wait"]["min"] <= value <= expect["wait"]["max"], at
            now = value
        elif kind == "awaiting":
            assert expect.get("awaiting"), at
            if "respond" in step:
                flow.on_response(value, response_of(step["respond"]), now)
            elif "fail" in step:
                flow.on_transport_failure(value, step["fail"], now)
        elif kind == "done":
            subset(expect["done"], value, at)
        else:
            check_error(expect["failed"], value)


def test_bad_input_is_an_exception_never_a_crash() -> None:
    c = bcpay.Client("abc123", "t")
    with pytest.raises(bcpay.ValidationError):
        c.build_request("process_payment", {"pat": 5, "payment": "nope"})
    with pytest.raises(bcpay.ValidationError):
        c.new_flow(215, [{"instrument": {"type": "spaceship"}, "payment_method_id": "x.y"}])
    with pytest.raises(bcpay.ConfigurationError):
        bcpay.Client("ABC/../x", "t")
    with pytest.raises(bcpay.ApiError) as info:
        c.parse_response("get_order", "r", bcpay.HttpResponse(200, (), b"\xff\x00"))
    assert info.value.kind == "invalid_response"


def test_no_secret_in_exceptions_or_reprs() -> None:
    c = bcpay.Client("abc123", "sentinel-api-token")
    with pytest.raises(bcpay.ValidationError) as info:
        c.build_request("process_payment", {"pat": "tok", "now_ms": 1795219200000, "payment": {"instrument": {"type": "card", "number": "4000056655665557", "cardholder_name": "", "expiry_month": 13, "expiry_year": 2030, "verification_value": "918"}, "payment_method_id": "stripe.card"}})
    rendered = " ".join([str(info.value), repr(info.value), repr(info.value.field_errors)])
    for secret in ["4000056655665557", "918", "sentinel-api-token"]:
        assert secret not in rendered
    request = c.build_request("get_order", {"order_id": 1})
    assert "sentinel-api-token" not in repr(request)
    token = bcpay.PaymentAccessToken(secret="eyJsecret.jwt.value", claims=None)
    assert "eyJsecret" not in repr(token) and "eyJsecret" not in str(token) and "eyJsecret" not in f"{token}"
    # Not a tuple: json.dumps refuses it rather than printing the secret.
    import json

    with pytest.raises(TypeError):
        json.dumps(token)
    assert not isinstance(token, tuple)


class _OneRecord:
    """A journal holding one record (the vector's), as a host's storage hands it back."""

    def __init__(self, record: Any) -> None:
        self.record = None if record is None else json.dumps(record)
        self.puts: List[str] = []

    def get(self, order_id: int) -> Any:
        return self.record

    def put(self, order_id: int, state: str, record: str) -> None:
        self.puts.append(state)


@pytest.mark.parametrize("case", load("journal.json")["plan"], ids=lambda c: c["name"])
def test_journal_plan(case: Dict[str, Any]) -> None:
    doc = load("journal.json")
    with bcpay.Client("abc123", "test-api-token") as c:
        op = c._journaled_op(doc["order_id"], doc["stored_card"], _OneRecord(case["record"]), case["options"], now_ms=case["now_ms"])
        kind, value = op.poll(case["now_ms"])
    expect = case["expect"]
    if expect["first"] == "finished":
        assert kind == "done" and value["skipped"] == expect["skipped"]
        if "state" in expect:
            assert value["record"]["state"] == expect["state"]
        if "error_kind" in expect:
            assert value["record"]["error"]["kind"] == expect["error_kind"]
    elif expect["first"] == "wait":
        assert (kind, value) == ("wait", expect["until_ms"])
    else:
        assert kind == "send" and value.endpoint == expect["first"]


@pytest.mark.parametrize("case", load("journal.json")["read"], ids=lambda c: c["name"])
def test_journal_unreadable_records(case: Dict[str, Any]) -> None:
    doc = load("journal.json")
    with bcpay.Client("abc123", "test-api-token") as c, pytest.raises(bcpay.ValidationError) as e:
        c.pay_journaled(doc["order_id"], doc["stored_card"], _Raw(case["text"]))
    assert (e.value.field_errors[0].path, e.value.field_errors[0].code) == (case["expect"]["path"], case["expect"]["code"])


class _Raw(_OneRecord):
    def __init__(self, text: str) -> None:
        super().__init__(None)
        self.record = text
