"""The result records checked against the core's own shapes (tests/types/outputs.json, written by
core/tests/output_types.rs): a field the core sends that a record lacks would be dropped silently
by ``load``; a declared field the core never sends, or a ``None`` where the record says never
None, would mislead ``mypy``. Each is a failure here."""
import json
import typing
from pathlib import Path

import pytest

import bcpay
from bcpay import _models

SHAPES = json.loads((Path(__file__).resolve().parents[2] / "tests" / "types" / "outputs.json").read_text())
# Shapes Python does not hand out: single transaction pages, the app's card-form check (an app
# concern, not a billing script's), and retry advice (an attribute of BcpayError, checked below).
NOT_RECORDS = {"TransactionPage", "FieldCheck", "CardFormCheck", "RetryAdvice", "FlowEvent"}


@pytest.mark.parametrize("name", sorted(set(SHAPES["records"]) - NOT_RECORDS))
def test_a_record_declares_exactly_the_cores_fields(name: str) -> None:
    cls = getattr(_models, name)
    assert getattr(bcpay, name) is cls, f"{name} is not exported"
    full, bare = SHAPES["records"][name]
    assert set(cls._fields) == set(full), f"{name}: declared {sorted(cls._fields)}, the core sends {sorted(full)}"
    hints = typing.get_type_hints(cls)
    for field in cls._fields:
        optional = type(None) in typing.get_args(hints[field])
        if field not in bare:
            assert field in cls._defaults, f"{name}.{field}: the core may omit it, so it needs a default"
        elif bare[field] is None:
            assert optional, f"{name}.{field}: the core sends null, but it is not Optional"
    for sample in (full, bare):
        # Loading keeps every value the core sent: nothing dropped, nothing renamed.
        assert json.loads(json.dumps(_models.load(cls, sample))) == json.loads(json.dumps({**cls._defaults, **sample}))


def test_order_payment_states_are_the_cores() -> None:
    assert list(typing.get_args(_models.OrderPaymentState)) == SHAPES["enums"]["OrderPaymentState"]


def test_retry_advice_carries_each_kind_the_core_gives() -> None:
    fields = set(bcpay.RetryAdvice._fields)
    for advice in SHAPES["records"]["RetryAdvice"]:
        assert set(advice) <= fields, f"{advice} has fields RetryAdvice lacks: {sorted(set(advice) - fields)}"


def test_each_event_shape_declares_exactly_the_cores_fields() -> None:
    """Events reach ``on_event`` as the core's plain dicts; each ``type`` has its TypedDict."""
    shapes = {"request": bcpay.RequestEvent, "response": bcpay.ResponseEvent, "transport_failure": bcpay.TransportFailureEvent,
              "decision": bcpay.DecisionEvent}
    seen = set()
    for sample in SHAPES["records"]["FlowEvent"]:
        cls = shapes[sample["type"]]
        seen.add(sample["type"])
        hints = typing.get_type_hints(cls)
        assert set(hints) == set(sample), f"{cls.__name__}: declared {sorted(hints)}, the core sends {sorted(sample)}"
        for field, value in sample.items():
            if value is None:
                assert type(None) in typing.get_args(hints[field]), f"{cls.__name__}.{field}: the core sends null, but it is not Optional"
    assert seen == set(shapes)
    assert list(typing.get_args(bcpay.Decision)) == SHAPES["enums"]["Decision"]
