"""The hostile world (tests/hostile/scenarios.json) against the sync client and its default
httpx transport, each scenario on its own sandbox, all at once; plus inputs Python would coerce."""
from __future__ import annotations

import json
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional

import pytest

import bcpay
from conftest import ROOT, start_sandbox
from test_e2e import admin

WORLD: Dict[str, Any] = json.loads((ROOT / "tests" / "hostile" / "scenarios.json").read_text())


def server_texts(e: bcpay.BcpayError) -> str:
    fields = " ".join(f"{f.path} {f.description}" for f in e.field_errors)
    return f"{e.title} {e.detail or ''} {fields}"


def run(scenario: Dict[str, Any]) -> Optional[str]:
    name, expect = scenario["name"], scenario["expect"]
    proc, url = start_sandbox()
    try:
        with bcpay.Client("abc123", "sandbox-token", api_base=url, payments_base=url) as setup:
            order_id = setup.create_order({
                "customer_id": 0,
                "billing_address": {"first_name": "Jane", "last_name": "Doe", "street_1": "1 Main St", "city": "Austin", "state": "Texas", "zip": "78751", "country": "United States", "country_iso2": "US", "email": "jane@example.com"},
                "products": [{"name": "Poster", "quantity": 1, "price_inc_tax": 20, "price_ex_tax": 20}],
            }).id
        before = admin(url, "ledger")["requests"]
        admin(url, "faults", scenario["faults"])
        timeout = scenario.get("timeout_ms", 10_000) / 1000
        heard: List[Dict[str, Any]] = []
        with bcpay.Client("abc123", "sandbox-token", api_base=url, payments_base=url, timeout=timeout, flow_options=scenario.get("options", {}),
                          on_event=heard.append) as c:
            started = time.monotonic()
            receipt, error = None, None
            try:
                receipt = c.pay(order_id, WORLD["payment"])
            except bcpay.BcpayError as e:
                error = e
            seconds = time.monotonic() - started
        admin(url, "faults", {})
        ledger = admin(url, "ledger")
    finally:
        proc.kill()
    if expect["outcome"] == "paid":
        if receipt is None:
            return f"{name}: expected paid, got {error!r}"
        if "reconciled" in expect and receipt.payments[0].reconciled != expect["reconciled"]:
            return f"{name}: reconciled {receipt.payments[0].reconciled}"
    else:
        if error is None:
            return f"{name}: expected a BcpayError, got {receipt}"
        if error.kind != expect["kind"]:
            return f"{name}: expected {expect['kind']}, got {error}"
        if "status" in expect and error.status != expect["status"]:
            return f"{name}: status {error.status}"
        if "retry_after_ms" in expect:
            retry = error.retry
            if retry.type != "after" or retry.ms is None or not (expect["retry_after_ms"] - 1000 <= retry.ms <= expect["retry_after_ms"]):
                return f"{name}: retry {retry}"
        texts, shown = server_texts(error), f"{error} {error!r}"
        for s in WORLD["secrets"]:
            if s in texts or (len(s) > 3 and s in shown):
                return f"{name}: a secret leaked into the error: {texts}"
    # Every event the hook heard, whole, holds no secret either.
    if not heard:
        return f"{name}: the hook heard no event"
    for s in (s for s in WORLD["secrets"] if len(s) > 3):
        leak = next((e for e in heard if s in json.dumps(e)), None)
        if leak is not None:
            return f"{name}: a secret leaked in an event: {leak}"
    charges = next((len(o["charges"]) for o in ledger["orders"] if o["order_id"] == order_id), 0)
    if charges != expect["charges"]:
        return f"{name}: {charges} charges"
    if ledger["double_charges"] != 0:
        return f"{name}: double charges {ledger['double_charges']}"
    if ledger["trap_hits"] != 0:
        return f"{name}: a redirect was followed: {ledger['trap']}"
    for call, want in expect.get("requests", {}).items():
        n = ledger["requests"].get(call, 0) - before.get(call, 0)
        if n != want:
            return f"{name}: {n} {call} requests, expected {want}"
    if seconds > expect["max_seconds"]:
        return f"{name}: took {seconds:.1f} s"
    return None


class Records(logging.Handler):
    """Every record of the ``bcpay`` logger, as its text and its ``extra`` fields."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(f"{record.getMessage()} {json.dumps(record.__dict__, default=str)}")


def test_every_hostile_scenario() -> None:
    logger, records = logging.getLogger("bcpay"), Records()
    logger.addHandler(records)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        with ThreadPoolExecutor(max_workers=len(WORLD["scenarios"])) as pool:
            failures = [f for f in pool.map(run, WORLD["scenarios"]) if f]
    finally:
        logger.removeHandler(records)
        logger.setLevel(level)
    assert failures == [], "\n".join(failures)
    # The log lines of every scenario, at DEBUG, hold no secret.
    assert records.texts, "the bcpay logger wrote nothing"
    for s in (s for s in WORLD["secrets"] if len(s) > 3):
        assert not [t for t in records.texts if s in t], f"a secret leaked into a log record: {s}"


@pytest.mark.parametrize("config", WORLD["configs"], ids=lambda c: c["name"])
def test_insecure_base_urls_are_refused(config: Dict[str, Any]) -> None:
    with pytest.raises(bcpay.BcpayError) as e:
        bcpay.Client("abc123", "t", api_base=config.get("api_base"), payments_base=config.get("payments_base"))
    assert e.value.kind == config["expect"]["kind"]
    assert e.value.field_errors[0].path == config["expect"]["field"]
    assert e.value.field_errors[0].code == config["expect"]["code"]


@pytest.mark.parametrize("order_id", [True, False, "215", 1.5, -1, 2**64, math.nan, None, [101]])
def test_order_ids_python_would_coerce_are_typed_errors(order_id: Any) -> None:
    c = bcpay.Client("abc123", "t")
    with pytest.raises(bcpay.BcpayError) as e:
        c.new_flow(order_id, WORLD["payment"])
    assert e.value.kind == "validation"
    assert e.value.field_errors[0].path == "order_id"


@pytest.mark.parametrize("timeout", [-1, 0, math.nan, math.inf, True, "30"])
def test_bad_timeouts_are_configuration_errors(timeout: Any) -> None:
    with pytest.raises(bcpay.BcpayError) as e:
        bcpay.Client("abc123", "t", timeout=timeout)
    assert e.value.kind == "configuration"
    assert e.value.field_errors[0].path == "timeout_ms"


def test_misspelled_flow_options_are_named() -> None:
    c = bcpay.Client("abc123", "t")
    with pytest.raises(bcpay.BcpayError) as e:
        c.new_flow(215, WORLD["payment"], reconcle=False)
    assert e.value.field_errors[0].code == "unknown_field"


@pytest.mark.parametrize("make", [bcpay.Client, bcpay.AsyncClient])
def test_a_client_setting_the_core_does_not_know_is_named_not_a_type_error(make: Any) -> None:
    # `options` is not a setting (`flow_options` is): it was a raw TypeError.
    with pytest.raises(bcpay.ConfigurationError) as e:
        make("abc123", "t", options={"fetch_methods": False})
    assert (e.value.field_errors[0].path, e.value.field_errors[0].code) == ("options", "unknown_field")
