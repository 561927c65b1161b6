"""Typed, immutable results. Field names are the API's (snake_case)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple, Type, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


def load(cls: Type[T], data: Any) -> T:
    """Builds dataclass `cls` from the core's JSON object, recursively; unknown keys are ignored
    (newer API fields), missing ones take their defaults."""
    hints = get_type_hints(cls)
    kwargs: Dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            continue
        kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is tuple and args:
        return tuple(_convert(args[0], v) for v in value)
    if origin is not None and type(None) in args:  # Optional[X]
        inner = next(a for a in args if a is not type(None))
        return _convert(inner, value)
    if dataclasses.is_dataclass(tp):
        return load(tp, value)  # type: ignore[arg-type]
    return value


def _hint(token: str) -> str:
    return f"••••{token[-4:]}" if len(token) >= 16 else "••••"


@dataclass(frozen=True)
class FieldError:
    """One problem with one field. ``description`` never contains the value."""

    path: str
    code: str
    description: str


@dataclass(frozen=True)
class SupportedInstrument:
    instrument_type: str
    verification_value_required: bool = False


@dataclass(frozen=True)
class StoredInstrument:
    """A stored card, PayPal account or bank account. The token is hidden from ``repr``."""

    type: str
    token: str = field(repr=False)
    is_default: bool = False
    brand: Optional[str] = None
    expiry_month: Optional[int] = None
    expiry_year: Optional[int] = None
    issuer_identification_number: Optional[str] = None
    last_4: Optional[str] = None
    email: Optional[str] = None
    masked_account_number: Optional[str] = None
    issuer: Optional[str] = None

    @property
    def token_hint(self) -> str:
        return _hint(self.token)


@dataclass(frozen=True)
class PaymentMethod:
    id: str
    name: str = ""
    test_mode: bool = False
    type: str = ""
    supported_instruments: Tuple[SupportedInstrument, ...] = ()
    stored_instruments: Tuple[StoredInstrument, ...] = ()


@dataclass(frozen=True)
class PatClaims:
    exp: Optional[int] = None
    nbf: Optional[int] = None
    iat: Optional[int] = None
    iss: Optional[str] = None
    sub: Optional[str] = None
    jti: Optional[str] = None
    store_id: Optional[int] = None
    order_id: Optional[int] = None
    #: Amount due, in the currency's minor units.
    amount: Optional[int] = None
    currency: Optional[str] = None


@dataclass(frozen=True)
class PaymentAccessToken:
    """A payment access token. ``secret`` (the JWT) is never shown by ``repr``."""

    secret: str = field(repr=False)
    claims: Optional[PatClaims] = None
    received_at_ms: int = 0
    expires_at_ms: int = 0

    def is_expired(self, now_ms: int) -> bool:
        return now_ms >= self.expires_at_ms


@dataclass(frozen=True)
class ProcessedPayment:
    id: Optional[str]
    status: str
    transaction_type: str
    payment_method_id: str
    #: True when the response was lost and the order's transactions showed it was taken.
    reconciled: bool = False


@dataclass(frozen=True)
class PaymentReceipt:
    order_id: int
    payments: Tuple[ProcessedPayment, ...]
    requests_sent: int = 0


@dataclass(frozen=True)
class Order:
    id: int
    status_id: Optional[int] = None
    status: str = ""
    payment_status: str = ""
    customer_id: Optional[int] = None
    total_inc_tax: Optional[str] = None
    currency_code: Optional[str] = None


@dataclass(frozen=True)
class Transaction:
    event: str
    amount: float
    id: Optional[int] = None
    order_id: Optional[str] = None
    method: str = ""
    currency: str = ""
    gateway: str = ""
    gateway_transaction_id: Optional[str] = None
    status: str = ""
    test: bool = False
    payment_method_id: Optional[str] = None
    date_created: Optional[str] = None
    reference_transaction_id: Optional[int] = None


@dataclass(frozen=True)
class RefundPaymentOption:
    provider_id: str
    amount: float
    provider_description: Optional[str] = None
    offline: bool = False
    offline_provider: bool = False
    offline_reason: Optional[str] = None


@dataclass(frozen=True)
class RefundQuote:
    total_refund_amount: float
    order_id: Optional[int] = None
    total_refund_tax_amount: float = 0.0
    rounding: float = 0.0
    adjustment: float = 0.0
    tax_inclusive: bool = False
    refund_methods: Tuple[Tuple[RefundPaymentOption, ...], ...] = ()


@dataclass(frozen=True)
class RefundPayment:
    provider_id: str
    amount: float
    id: Optional[int] = None
    offline: bool = False
    is_declined: bool = False
    declined_message: Optional[str] = None


@dataclass(frozen=True)
class Refund:
    id: Optional[int] = None
    order_id: Optional[int] = None
    created: Optional[str] = None
    reason: Optional[str] = None
    total_amount: float = 0.0
    total_tax: float = 0.0
    payments: Tuple[RefundPayment, ...] = ()


@dataclass(frozen=True)
class Header:
    name: str
    value: str


@dataclass(frozen=True)
class HttpRequest:
    """A complete request: send exactly this. ``repr`` hides the body and credentials."""

    id: str
    endpoint: str
    method: str
    url: str
    headers: Tuple[Tuple[str, str], ...] = field(repr=False)
    body: Optional[bytes] = field(repr=False)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Tuple[Tuple[str, str], ...]
    body: bytes
