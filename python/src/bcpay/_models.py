"""Typed, immutable results. Field names are the API's (snake_case). A result is a `Record`:
fields read as attributes, and it is a plain JSON object to ``json.dumps`` (a named tuple would
print as a bare array). The transport's own types stay named tuples (built positionally)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, Literal, NamedTuple, Optional, Tuple, Type, TypedDict, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


class Record(Dict[str, Any]):
    """A result record: ``receipt.payments``, equal by value, read-only, and ``json.dumps(receipt)``
    writes ``{"order_id": …, "payments": […]}``. Fields are declared as class annotations, with
    defaults for the optional ones."""

    _fields: ClassVar[Tuple[str, ...]] = ()
    _defaults: ClassVar[Dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = tuple(cls.__dict__.get("__annotations__", {}))
        cls._fields = names
        cls._defaults = {n: cls.__dict__[n] for n in names if n in cls.__dict__}
        for n in cls._defaults:
            # Defaults live in `_defaults`, so that attribute lookup reaches the record's values.
            delattr(cls, n)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        values = dict(self._defaults)
        values.update(zip(self._fields, args))
        values.update(kwargs)
        missing = [f for f in self._fields if f not in values]
        if missing:
            raise TypeError(f"{type(self).__name__} needs {', '.join(missing)}")
        dict.__init__(self, ((f, values[f]) for f in self._fields))

    if not TYPE_CHECKING:  # type checkers see the declared fields, not a catch-all

        def __getattr__(self, name: str) -> Any:
            try:
                return self[name]
            except KeyError:
                raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__} is read-only")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _read_only

    def _asdict(self) -> Dict[str, Any]:
        return dict(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.items())})"


def _is_record(tp: Any) -> bool:
    return isinstance(tp, type) and (issubclass(tp, Record) or (issubclass(tp, tuple) and hasattr(tp, "_fields")))


Converter = Callable[[Any], Any]
_CONVERTERS: Dict[Any, Converter] = {}


def _identity(value: Any) -> Any:
    return value


def _converter(tp: Any) -> Converter:
    """A function turning the core's JSON value into type `tp`, built once per type."""
    found = _CONVERTERS.get(tp)
    if found is not None:
        return found
    origin, args = get_origin(tp), get_args(tp)
    convert: Converter
    if origin is tuple and args:
        item = _converter(args[0])
        convert = lambda v: None if v is None else tuple(item(x) for x in v)  # noqa: E731
    elif origin is not None and type(None) in args:  # Optional[X]
        inner = _converter(next(a for a in args if a is not type(None)))
        convert = lambda v: None if v is None else inner(v)  # noqa: E731
    elif _is_record(tp):
        hints = get_type_hints(tp)
        fields = [(name, _converter(hints[name])) for name in tp._fields]
        if issubclass(tp, Record):
            defaults = tp._defaults

            def convert(v: Any) -> Any:
                if v is None:
                    return None
                # What `Record.__init__` makes, straight from `v` (through a dict of the fields,
                # loading a receipt took half as long again); a missing field is the
                # constructor's own error.
                try:
                    items = [(name, f(v[name]) if name in v else defaults[name]) for name, f in fields]
                except KeyError:
                    return tp(**{name: f(v[name]) for name, f in fields if name in v})
                record = tp.__new__(tp)
                dict.__init__(record, items)
                return record

        else:

            def convert(v: Any) -> Any:
                if v is None:
                    return None
                return tp(**{name: f(v[name]) for name, f in fields if name in v})

    else:
        convert = _identity
    _CONVERTERS[tp] = convert
    return convert


def load(cls: Type[T], data: Any) -> T:
    """Builds record `cls` from the core's JSON object, recursively; unknown keys are ignored
    (newer API fields), missing ones take their defaults."""
    return _converter(cls)(data)  # type: ignore[no-any-return]


class FieldError(Record):
    """One problem with one field. ``description`` never contains the value."""

    path: str
    code: str
    description: str


class SupportedInstrument(Record):
    instrument_type: str
    verification_value_required: bool = False


class StoredInstrument(Record):
    """A stored card, PayPal account or bank account. The token is hidden from ``repr``."""

    type: str
    token: str
    is_default: bool = False
    brand: Optional[str] = None
    expiry_month: Optional[int] = None
    expiry_year: Optional[int] = None
    issuer_identification_number: Optional[str] = None
    last_4: Optional[str] = None
    email: Optional[str] = None
    masked_account_number: Optional[str] = None
    issuer: Optional[str] = None
    #: The token as the core shows it (``••••`` and its last four characters).
    token_hint: str = "••••"

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._fields if k not in ("token", "token_hint") and getattr(self, k) is not None)
        return f"StoredInstrument({shown}, token={self.token_hint!r})"


class PaymentMethod(Record):
    id: str
    name: str = ""
    test_mode: bool = False
    type: str = ""
    supported_instruments: Tuple[SupportedInstrument, ...] = ()
    stored_instruments: Tuple[StoredInstrument, ...] = ()


class PatClaims(Record):
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


class PaymentAccessToken:
    """A payment access token. ``secret`` (the JWT) is never shown by ``repr`` or ``str``, and the
    token is not a tuple or a dict: ``json.dumps``, ``_asdict`` and unpacking cannot carry the
    secret into a log. When it is stale is the core's call (a payment flow replaces it)."""

    __slots__ = ("secret", "claims", "received_at_ms", "expires_at_ms")

    def __init__(self, secret: str, claims: Optional[PatClaims] = None, received_at_ms: int = 0, expires_at_ms: int = 0) -> None:
        self.secret = secret
        self.claims = claims
        self.received_at_ms = received_at_ms
        self.expires_at_ms = expires_at_ms

    @classmethod
    def _from_core(cls, data: Dict[str, Any]) -> "PaymentAccessToken":
        claims = data.get("claims")
        return cls(data["secret"], load(PatClaims, claims) if claims else None, data.get("received_at_ms", 0), data.get("expires_at_ms", 0))

    def __repr__(self) -> str:
        return f"PaymentAccessToken(secret='[redacted]', claims={self.claims!r}, expires_at_ms={self.expires_at_ms!r})"

    __str__ = __repr__


class ProcessedPayment(Record):
    id: Optional[str]
    status: str
    transaction_type: str
    payment_method_id: str
    #: True when the response was lost and the order's transactions showed it was taken.
    reconciled: bool = False


Amount = str
"""Money in results: a decimal string in major units with at least two decimals (``"19.99"``,
``"12.00"``), whatever form the API gave it in."""

OrderPaymentState = Literal["unpaid", "partially_paid", "paid", "already_paid", "ambiguous"]
"""Whether an order is paid, judged from its totals and transactions (the core's rule)."""

Decision = Literal["wait", "retry", "reconcile", "settled", "give_up", "done"]
"""What an operation chose to do next (a ``decision`` event)."""


class RequestEvent(TypedDict):
    """A request goes out. ``attempt`` is 1 for the first send, 2 for the first retry, …; the URL
    holds no secret (tokens travel in headers, which events leave out)."""

    type: Literal["request"]
    endpoint: str
    request_id: str
    method: Literal["GET", "POST"]
    url: str
    attempt: int


class ResponseEvent(TypedDict):
    """A response came in ``elapsed_ms`` after its send; ``server_request_id`` is the server's id
    of the exchange (``x-request-id``, ``x-correlation-id``, ``cf-ray``), to quote to BigCommerce."""

    type: Literal["response"]
    endpoint: str
    request_id: str
    status: int
    elapsed_ms: int
    attempt: int
    server_request_id: Optional[str]


class TransportFailureEvent(TypedDict):
    """The request got no response; ``cause`` is the transport's words for it, scrubbed."""

    type: Literal["transport_failure"]
    endpoint: str
    request_id: str
    failure: Literal["not_sent", "maybe_sent", "timed_out"]
    cause: Optional[str]
    elapsed_ms: int
    attempt: int


class DecisionEvent(TypedDict):
    """What the operation does next and why; ``wait_ms`` when it waits first."""

    type: Literal["decision"]
    decision: Decision
    reason: str
    wait_ms: Optional[int]


FlowEvent = Union[RequestEvent, ResponseEvent, TransportFailureEvent, DecisionEvent]
"""What ``on_event`` receives: a plain dict, one of the four shapes by its ``type``."""


class PaymentReceipt(Record):
    """What a payment took and where that leaves the order. ``order_state`` is ``paid``,
    ``partially_paid`` (the payments did not cover the order: ``amount_remaining`` is still due),
    ``already_paid`` (paid before this payment, which took nothing) or ``ambiguous`` (the last
    payment was taken but the order could not be read)."""

    order_id: int
    payments: Tuple[ProcessedPayment, ...]
    requests_sent: int = 0
    order_state: OrderPaymentState = "paid"
    amount_paid: Optional[Amount] = None
    amount_remaining: Optional[Amount] = None
    currency: Optional[str] = None
    transactions: Tuple[Transaction, ...] = ()


class Order(Record):
    id: int
    status_id: Optional[int] = None
    status: str = ""
    payment_status: str = ""
    customer_id: Optional[int] = None
    total_inc_tax: Optional[str] = None
    currency_code: Optional[str] = None


class Transaction(Record):
    event: str
    amount: Amount
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


class PreparedPayment(Record):
    """``prepare``: the order's accepted methods and when the token the client keeps for its
    payment expires (the token itself is never handed out)."""

    order_id: int
    methods: Tuple[PaymentMethod, ...]
    token_expires_at_ms: int


class OrderPaymentStatus(Record):
    """``get_order_payment_status``: the order's state and amounts, from the order and all its
    transactions. ``paid`` counts purchases, authorizations and pending payments, less voids."""

    order_id: int
    state: OrderPaymentState
    paid: Amount
    total: Optional[Amount] = None
    remaining: Optional[Amount] = None
    currency: Optional[str] = None
    order_status_id: Optional[int] = None
    transactions: Tuple[Transaction, ...] = ()


class RefundPaymentOption(Record):
    provider_id: str
    amount: Amount
    provider_description: Optional[str] = None
    offline: bool = False
    offline_provider: bool = False
    offline_reason: Optional[str] = None


class RefundQuote(Record):
    total_refund_amount: Amount
    order_id: Optional[int] = None
    total_refund_tax_amount: Amount = "0.00"
    rounding: Amount = "0.00"
    adjustment: Amount = "0.00"
    tax_inclusive: bool = False
    refund_methods: Tuple[Tuple[RefundPaymentOption, ...], ...] = ()


class RefundPayment(Record):
    provider_id: str
    amount: Amount
    id: Optional[int] = None
    offline: bool = False
    is_declined: bool = False
    declined_message: Optional[str] = None


class Refund(Record):
    id: Optional[int] = None
    order_id: Optional[int] = None
    created: Optional[str] = None
    reason: Optional[str] = None
    total_amount: Amount = "0.00"
    total_tax: Amount = "0.00"
    payments: Tuple[RefundPayment, ...] = ()


class Header(NamedTuple):
    name: str
    value: str


class HttpRequest(NamedTuple):
    """A complete request: send exactly this. ``repr`` hides the body and credentials."""

    id: str
    endpoint: str
    method: str
    url: str
    headers: Tuple[Tuple[str, str], ...]
    body: Optional[bytes]

    def __repr__(self) -> str:
        # Headers carry credentials and Process Payment bodies card data: neither is shown.
        size = len(self.body) if self.body is not None else 0
        return f"HttpRequest(id={self.id!r}, endpoint={self.endpoint!r}, method={self.method!r}, url={self.url!r}, body=<{size} bytes>)"


class HttpResponse(NamedTuple):
    status: int
    headers: Tuple[Tuple[str, str], ...]
    body: bytes
