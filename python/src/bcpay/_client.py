"""Clients, transports and the payment flow. Every rule runs in bcpay-core; this module supplies
HTTP (httpx), time and sleeping, and turns JSON into typed records and errors into exceptions."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union, cast

# httpx, asyncio, json and logging are imported where first used: together they are most of
# `import bcpay`'s time, and a script that never logs or never awaits should not pay for them.
if TYPE_CHECKING:
    import logging
    from concurrent.futures import Future, ThreadPoolExecutor

    import httpx

    from ._batch import BatchResult, Journal
    from ._shared import RedisLimiter, SharedBudget


def _json_default(value: Any) -> Any:
    """What `json.dumps` cannot write: mappings and sequences as JSON objects and arrays; anything
    else as a string naming its type, which the core reports as a typed error at its path."""
    from collections.abc import Mapping as AnyMapping, Sequence as AnySequence

    if isinstance(value, AnyMapping):
        return dict(value)
    if isinstance(value, AnySequence) and not isinstance(value, (str, bytes, bytearray)):
        return list(value)
    return f"<{type(value).__name__}>"


def _dumps(value: Any) -> str:
    if type(value) is int:  # an order id: its JSON without the encoder's set-up (not a bool)
        return str(value)
    import json

    return json.dumps(value, default=_json_default)


def _loads(text: str) -> Any:
    import json

    return json.loads(text)


_logger: "Optional[logging.Logger]" = None


def _log() -> "logging.Logger":
    # Looked up once: `getLogger` takes the logging module's lock. (Imported lazily, as
    # `logging` adds to `import bcpay`.)
    global _logger
    if _logger is None:
        import logging

        _logger = logging.getLogger("bcpay")
    return _logger

from . import _core
from ._errors import BcpayError, from_details
from ._models import (
    FieldError,
    FlowEvent,
    HttpRequest,
    HttpResponse,
    Order,
    OrderPaymentStatus,
    PaymentAccessToken,
    PaymentMethod,
    PaymentReceipt,
    PreparedPayment,
    ProcessedPayment,
    Refund,
    RefundQuote,
    StoredInstrument,
    Transaction,
    load,
)

T = TypeVar("T")
Json = Any
from ._inputs import Payment


def _timeout_ms(seconds: Any) -> Any:
    """Seconds as the core's ``timeout_ms``; anything that is not a real number goes as it is,
    for the core to name (``True``, ``"30"``, NaN)."""
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds == seconds and abs(seconds) != float("inf"):
        return round(seconds * 1000)
    return seconds if isinstance(seconds, (str, bool)) or seconds is None else str(seconds)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _core_call(f: Callable[[], T]) -> T:
    try:
        return f()
    except _core.CoreError as e:
        message, details = e.args
        raise from_details(message, details) from None


class NoResponse(Exception):
    """Raised by a transport when no response arrived. ``failure`` is ``"not_sent"`` (the server
    certainly never saw the request), ``"maybe_sent"`` or ``"timed_out"``; ``message``, what
    happened in the library's or the OS's words, is kept (scrubbed) on the error and the
    ``transport_failure`` event."""

    def __init__(self, failure: str, message: str = "") -> None:
        super().__init__(message or failure)
        self.failure = failure
        self.cause: Optional[str] = message or None


EventHook = Callable[[FlowEvent], None]
"""Receives each event of an operation as a plain dict (``FlowEvent``): ``type`` (``request``,
``response``, ``transport_failure``, ``decision``) and the core's fields (README, "Watching
payments"). An exception it raises is dropped: a hook's bug cannot abandon a payment mid-flight."""

# The `bcpay` logger's level per event type: requests and responses are detail, the rest is
# what an operator wants to see (why the flow waited, retried, reconciled or gave up).
_LEVELS = {"request": 10, "response": 10, "transport_failure": 20, "decision": 20}


def _log_event(event: Dict[str, Any]) -> None:
    """``event`` as a record of the ``bcpay`` logger, its fields as ``extra`` attributes
    (``record.endpoint``, ``record.status``, …; ``record.event`` is its type)."""
    kind = event["type"]
    logger = _log()
    level = _LEVELS.get(kind, 20)
    if not logger.isEnabledFor(level):
        return
    extra = {("event" if k == "type" else k): v for k, v in event.items()}
    if kind == "request":
        logger.log(level, "bcpay %s %s %s %s (attempt %s)", event["request_id"], event["endpoint"], event["method"], event["url"], event["attempt"], extra=extra)
    elif kind == "response":
        logger.log(level, "bcpay %s %s answered %s in %s ms", event["request_id"], event["endpoint"], event["status"], event["elapsed_ms"], extra=extra)
    elif kind == "transport_failure":
        logger.log(level, "bcpay %s %s: no response (%s)%s", event["request_id"], event["endpoint"], event["failure"],
                   f": {event['cause']}" if event.get("cause") else "", extra=extra)
    else:
        wait = f" (waits {event['wait_ms']} ms)" if event.get("wait_ms") is not None else ""
        logger.log(level, "bcpay decision %s: %s%s", event["decision"], event["reason"], wait, extra=extra)


def classify_httpx_error(error: Exception) -> str:
    """What an httpx error says about whether the server saw the request. Only failures before
    the request is written — connecting, DNS, TLS, waiting for a pooled connection — are
    ``not_sent``; a read/write timeout is ``timed_out``; everything else is ``maybe_sent``."""
    import httpx

    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)):
        return "not_sent"
    if isinstance(error, httpx.TimeoutException):
        return "timed_out"
    return "maybe_sent"


SyncTransport = Callable[[HttpRequest], HttpResponse]
AsyncTransport = Callable[[HttpRequest], Awaitable[HttpResponse]]


DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

# The response headers the core reads (lower case, as httpx gives names): the default transports
# hand over only these, since every other one would be converted for nothing.
_READ_HEADERS = frozenset(_core.RESPONSE_HEADERS_READ)
_READ_HEADER_BYTES = frozenset(name.encode("ascii") for name in _READ_HEADERS)


def _read_headers(headers: "httpx.Headers") -> Tuple[Tuple[str, str], ...]:
    # From the raw bytes, decoding only the headers kept: `multi_items` decodes every one.
    encoding = headers.encoding
    return tuple((name.decode("ascii"), value.decode(encoding)) for name, value in ((k.lower(), v) for k, v in headers.raw) if name in _READ_HEADER_BYTES)


class _Deadline(Exception):
    """The request's total deadline passed while its body was arriving."""


def _capped(chunks: Any, limit: int, deadline: float) -> bytes:
    """At most ``limit`` bytes of ``chunks``, failing once ``deadline`` (monotonic) passes."""
    parts: List[bytes] = []
    size = 0
    for chunk in chunks:
        if time.monotonic() > deadline:
            raise _Deadline()
        parts.append(chunk[: limit - size])
        size += len(parts[-1])
        if size >= limit:
            break
    if time.monotonic() > deadline:
        raise _Deadline()
    return b"".join(parts)


class HttpxTransport:
    """The default synchronous transport: one pooled ``httpx.Client`` with keep-alive that never
    follows a redirect, reads a body through ``max_body_bytes`` (one byte past it, for the core
    to refuse; the rest is never read) and gives a request ``timeout`` seconds in all. httpx's
    own timeouts are per read, so the total is checked between the body's chunks as well: a
    body trickled byte by byte ends within ``timeout`` plus at most one read's wait."""

    def __init__(self, timeout: float = 30.0, client: Optional[httpx.Client] = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        import httpx

        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._timeout = timeout
        # A client of our own already has `timeout`; a given one gets it on each request.
        self._full_timeout: Any = httpx.USE_CLIENT_DEFAULT if client is None else httpx.Timeout(timeout)
        self._limit = max_body_bytes + 1
        self._errors = httpx.HTTPError

    def __call__(self, request: HttpRequest, deadline_ms: Optional[int] = None) -> HttpResponse:
        """Sends ``request``; ``deadline_ms`` (wall clock, from the client's time budget) shortens
        this request's deadline."""
        if deadline_ms is None:
            timeout, per_read = self._timeout, self._full_timeout
        else:
            timeout = max(0.0, min(self._timeout, (deadline_ms - _now_ms()) / 1000))
            per_read = timeout or 0.001
        deadline = time.monotonic() + timeout
        client = self._client
        try:
            # What httpx's `stream` does, without its context manager's generator.
            r = client.send(client.build_request(request.method, request.url, headers=request.headers, content=request.body, timeout=per_read), follow_redirects=False, stream=True)
            try:
                body = _capped(r.iter_bytes(), self._limit, deadline)
                return HttpResponse(r.status_code, _read_headers(r.headers), body)
            finally:
                r.close()
        except _Deadline:
            raise NoResponse("timed_out", f"{request.endpoint} {request.id}: deadline passed") from None
        except self._errors as e:
            raise NoResponse(classify_httpx_error(e), f"{type(e).__name__}: {e}") from None

    def close(self) -> None:
        self._client.close()


class AsyncHttpxTransport:
    """The default asyncio transport: one pooled ``httpx.AsyncClient`` that never follows a
    redirect, reads a body through ``max_body_bytes`` and ends each request, headers and body
    together, after ``timeout`` seconds."""

    def __init__(self, timeout: float = 30.0, client: Optional[httpx.AsyncClient] = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        import httpx

        self._client = client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._timeout = timeout
        self._limit = max_body_bytes + 1
        self._errors = httpx.HTTPError

    async def _exchange(self, request: HttpRequest) -> HttpResponse:
        async with self._client.stream(request.method, request.url, headers=list(request.headers), content=request.body, follow_redirects=False) as r:
            parts: List[bytes] = []
            size = 0
            async for chunk in r.aiter_bytes():
                parts.append(chunk[: self._limit - size])
                size += len(parts[-1])
                if size >= self._limit:
                    break
            return HttpResponse(r.status_code, _read_headers(r.headers), b"".join(parts))

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        import asyncio

        try:
            return await asyncio.wait_for(self._exchange(request), self._timeout)
        except asyncio.TimeoutError:
            raise NoResponse("timed_out", f"{request.endpoint} {request.id}: deadline passed") from None
        except self._errors as e:
            raise NoResponse(classify_httpx_error(e), f"{type(e).__name__}: {e}") from None

    async def aclose(self) -> None:
        await self._client.aclose()


def _request(t: Tuple[str, str, str, str, List[Tuple[str, str]], Optional[bytes]]) -> HttpRequest:
    return HttpRequest(t[0], t[1], t[2], t[3], tuple(t[4]), t[5])


def _error(message_and_details: Tuple[str, str]) -> BcpayError:
    return from_details(*message_and_details)


class _Operation:
    """A core operation (a payment flow or a single call) with its actions decoded; the output of
    ``done`` is still the core's JSON data. With ``watch``, the core records its events and each
    poll hands them over."""

    __slots__ = ("_op", "_watch", "_deadline_ms")

    def __init__(self, op: _core.CoreFlow, watch: "Optional[Callable[[List[Dict[str, Any]]], None]]" = None) -> None:
        self._op = op
        self._watch = watch
        # When the time budget runs out: fixed for the operation's life, so asked once.
        self._deadline_ms: Optional[int] = op.deadline_ms()
        if watch is not None:
            op.observe()

    def _emit(self) -> None:
        if self._watch is not None:
            events = _loads(self._op.take_events())
            if events:
                self._watch(events)

    def _action(self, kind: str, payload: Any) -> Tuple[str, Any]:
        """The core's action tuple (see `_core.CoreFlow.poll`) with its value decoded."""
        self._emit()
        if kind == "send":
            return kind, _request(payload)
        if kind == "done":
            return kind, _loads(payload)
        if kind == "failed":
            return kind, _error(payload)
        return kind, payload

    def poll(self, now_ms: Optional[int] = None) -> Tuple[str, Any]:
        return self._action(*self._op.poll(_now_ms() if now_ms is None else now_ms))

    def on_response(self, request_id: str, response: HttpResponse, now_ms: Optional[int] = None) -> None:
        self._op.on_response(request_id, response.status, response.headers, response.body, _now_ms() if now_ms is None else now_ms)

    def respond(self, request_id: str, response: HttpResponse) -> Tuple[str, Any]:
        """``on_response`` then ``poll``, in one call into the core."""
        return self._action(*self._op.respond(request_id, response.status, response.headers, response.body, _now_ms()))

    def report(self, request_id: str, response: Optional[HttpResponse], error: Optional[BaseException]) -> Tuple[str, Any]:
        """Reports a request's outcome (its response, or the exception that stands for none) and
        returns the next action."""
        if error is not None:
            self.on_exception(request_id, error)
            return self.poll()
        return self.respond(request_id, cast(HttpResponse, response))

    def on_transport_failure(self, request_id: str, failure: str, now_ms: Optional[int] = None, cause: Optional[str] = None) -> None:
        _core_call(lambda: self._op.on_transport_failure(request_id, failure, _now_ms() if now_ms is None else now_ms, cause))

    def on_exception(self, request_id: str, error: BaseException) -> None:
        """Tells the operation a request got no response. Only a `NoResponse` can say
        ``not_sent``; any other exception may have come after sending, so it counts as
        ``maybe_sent`` (a payment is then reconciled, not resent). Its text is the cause."""
        if isinstance(error, NoResponse):
            self.on_transport_failure(request_id, error.failure, cause=error.cause)
        else:
            self.on_transport_failure(request_id, "maybe_sent", cause=f"{type(error).__name__}: {error}")

    def cancel(self, now_ms: Optional[int] = None) -> BcpayError:
        error = _error(self._op.cancel(_now_ms() if now_ms is None else now_ms))
        self._emit()
        return error

    def deadline_ms(self) -> Optional[int]:
        return self._deadline_ms

    def stop(self, answers_after_cancel: bool) -> Json:
        """Ends the operation for a caller that gave up: raises the core's error, unless the
        operation answers even then (a relayed payment's envelope, from one more poll)."""
        error = self.cancel()
        if answers_after_cancel:
            kind, value = self.poll()
            if kind == "done":
                return value
        raise error


class _JournaledOperation(_Operation):
    """A payment under the billing journal, as an `_Operation` the clients' loops drive: each
    record the core asks for is put in the journal (durably) inside ``poll``, before the
    Process Payment it precedes goes out; ``done`` carries ``{"record", "skipped"}``."""

    __slots__ = ("_journal", "_journaled")

    def __init__(self, op: _core.CoreJournaled, journal: "Journal", watch: "Optional[Callable[[List[Dict[str, Any]]], None]]" = None) -> None:
        super().__init__(op, watch)  # type: ignore[arg-type]  # the same interface, plus `written`
        self._journaled = op
        self._journal = journal

    def poll(self, now_ms: Optional[int] = None) -> Tuple[str, Any]:
        while True:
            kind, payload = self._op.poll(_now_ms() if now_ms is None else now_ms)
            self._emit()
            if kind == "write":
                self._write(payload)  # type: ignore[arg-type]
            elif kind == "finished":
                return "done", _loads(payload)  # type: ignore[arg-type]
            elif kind == "send":
                return kind, _request(payload)  # type: ignore[arg-type]
            else:
                return kind, payload

    def respond(self, request_id: str, response: HttpResponse) -> Tuple[str, Any]:
        self.on_response(request_id, response)
        return self.poll()

    def _write(self, record: str) -> None:
        fields = _loads(record)
        self._journal.put(fields["order_id"], fields["state"], record)
        self._journaled.written()

    def cancel(self, now_ms: Optional[int] = None) -> BcpayError:
        error = _error(self._op.cancel(_now_ms() if now_ms is None else now_ms))
        self._emit()
        kind, payload = self._op.poll(_now_ms())
        if kind == "write" and isinstance(payload, str):
            self._write(payload)
        return error


class PaymentFlow:
    """The payment state machine, for hosts that drive HTTP themselves: ``poll(now_ms)`` returns
    ``("send", HttpRequest)``, ``("wait", until_ms)``, ``("awaiting", request_id)``,
    ``("done", PaymentReceipt)`` or ``("failed", BcpayError)``; report each request's outcome with
    ``on_response`` or ``on_transport_failure``; ``cancel`` ends it for a caller that gave up."""

    def __init__(self, op: _Operation) -> None:
        self._op = op

    def poll(self, now_ms: Optional[int] = None) -> Tuple[str, Any]:
        kind, value = self._op.poll(now_ms)
        return (kind, load(PaymentReceipt, value)) if kind == "done" else (kind, value)

    def on_response(self, request_id: str, response: HttpResponse, now_ms: Optional[int] = None) -> None:
        self._op.on_response(request_id, response, now_ms)

    def on_transport_failure(self, request_id: str, failure: str, now_ms: Optional[int] = None, cause: Optional[str] = None) -> None:
        self._op.on_transport_failure(request_id, failure, now_ms, cause)

    def cancel(self, now_ms: Optional[int] = None) -> BcpayError:
        return self._op.cancel(now_ms)


def _settings_from_env() -> Dict[str, str]:
    """The settings the environment gives (``BCPAY_STORE_HASH``, ``BCPAY_API_TOKEN``,
    ``BCPAY_API_BASE``, ``BCPAY_PAYMENTS_BASE``: the core names them); explicit arguments win."""
    import os

    names: Dict[str, str] = _loads(_core.input_keys())["settings_from_env"]
    return {setting: os.environ[var] for setting, var in names.items() if os.environ.get(var)}


class _Base:
    """What the sync and async clients share: configuration, the core session, (de)serialization."""

    def __init__(
        self,
        store_hash: Optional[str] = None,
        api_token: Optional[str] = None,
        *,
        api_base: Optional[str] = None,
        payments_base: Optional[str] = None,
        flow_options: Optional[Mapping[str, Any]] = None,
        rate_limit: Optional[Mapping[str, Any]] = None,
        host: str = "python",
        max_response_bytes: Optional[int] = None,
        timeout: float = 30.0,
        shared_limiter: Optional["RedisLimiter"] = None,
        on_event: Optional[EventHook] = None,
        **unknown: Any,
    ) -> None:
        # Any other keyword goes to the core, which refuses it by name (a ConfigurationError, not
        # a TypeError; a misspelled ``flow_option`` is never dropped).
        given = {"store_hash": store_hash, "api_token": api_token, "api_base": api_base, "payments_base": payments_base}
        settings = {**unknown, **_settings_from_env(), **{k: v for k, v in given.items() if v is not None}, "host": host,
                    "max_response_bytes": max_response_bytes, "timeout_ms": _timeout_ms(timeout)}
        options = _dumps(dict(flow_options)) if flow_options else None
        self._api = _core_call(lambda: _core.CoreApi(_dumps(settings), _dumps(dict(rate_limit)) if rate_limit else None, options))
        # The core checked both; the default transports enforce them.
        timeout_ms, self._max_body_bytes = self._api.transport_limits()
        self._timeout = timeout_ms / 1000
        self._shared = None if shared_limiter is None else shared_limiter.bind(_loads(self._api.shared_payments_limit()))
        self._on_event = on_event

    def _watch(self) -> "Optional[Callable[[List[Dict[str, Any]]], None]]":
        """Where an operation's events go: the ``on_event`` hook and the ``bcpay`` logger; ``None``
        (the core records nothing) when neither listens."""
        # INFO is the least verbose level bcpay logs at (decisions, transport failures).
        hook, logging_on = self._on_event, _log().isEnabledFor(20)
        if hook is None and not logging_on:
            return None

        def watch(events: List[Dict[str, Any]]) -> None:
            for event in events:
                _log_event(event)
                if hook is not None:
                    try:
                        hook(cast(FlowEvent, event))
                    except Exception:  # noqa: BLE001 - a hook's bug must not abandon a payment mid-flight
                        pass

        return watch

    def _shared_budget(self, request: HttpRequest) -> "Optional[SharedBudget]":
        """The store budget shared through ``shared_limiter`` that ``request`` draws on, if any."""
        return self._shared if self._shared is not None and self._api.limit_class(request.endpoint) == "payments" else None

    def _lease_ms(self, options: Mapping[str, Any]) -> int:
        return self._api.lease_ms(_dumps(dict(options)) if options else None)

    def _flow(self, order_id: Any, payments: Union[Payment, Sequence[Payment]], now_ms: Optional[int], seed: Optional[int], options: Mapping[str, Any]) -> _Operation:
        items = _payment_list(payments)
        opts = _dumps(dict(options)) if options else None
        return _Operation(_core_call(lambda: self._api.new_flow(_dumps(order_id), _dumps(items), opts, _now_ms() if now_ms is None else now_ms, seed)), self._watch())

    def _relay_op(self, body: Union[bytes, bytearray, memoryview, str], expect_order_id: Optional[int]) -> _Operation:
        if isinstance(body, str):
            body = body.encode()
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise from_details("validation: The input is invalid — body: invalid_input", _dumps({
                "kind": "validation", "class_name": "ValidationError", "title": "The input is invalid", "retry": {"type": "never"},
                "field_errors": [{"path": "body", "code": "invalid_input", "description": "body: expected the request body as bytes or str"}]}))
        expect = None if expect_order_id is None else _dumps(expect_order_id)
        return _Operation(_core_call(lambda: self._api.pay_from_app(bytes(body), expect, _now_ms())), self._watch())

    def _journaled_op(self, order_id: Any, payment: Payment, journal: "Journal", options: Mapping[str, Any], now_ms: Optional[int] = None) -> _JournaledOperation:
        stored = journal.get(order_id) if isinstance(order_id, int) and not isinstance(order_id, bool) else None
        opts = _dumps(dict(options)) if options else None
        at = _now_ms() if now_ms is None else now_ms
        op = _core_call(lambda: self._api.pay_journaled(_dumps(order_id), _dumps(payment), stored, opts, at))
        return _JournaledOperation(op, journal, self._watch())

    def _call_op(self, call: str, input: Mapping[str, Any]) -> _Operation:
        return _Operation(_core_call(lambda: self._api.new_call(call, _dumps(input), _now_ms())), self._watch())

    def new_flow(self, order_id: int, payments: Union[Payment, Sequence[Payment]], now_ms: Optional[int] = None, seed: Optional[int] = None, **options: Any) -> PaymentFlow:
        """A payment flow to drive yourself; ``seed`` makes retry jitter repeatable; ``options``
        replace the client's flow options."""
        return PaymentFlow(self._flow(order_id, payments, now_ms, seed, options))

    def validate(self, payments: Union[Payment, Sequence[Payment]], methods: Optional[Sequence[Mapping[str, Any]]] = None, now_ms: Optional[int] = None) -> List[FieldError]:
        """Every field error in ``payments`` (empty when valid); nothing is sent."""
        items = _payment_list(payments)
        out = _core_call(lambda: self._api.validate(_dumps(items), _now_ms() if now_ms is None else now_ms, _dumps(methods) if methods is not None else None))
        return [load(FieldError, f) for f in _loads(out)]

    def build_request(self, call: str, input: Mapping[str, Any]) -> HttpRequest:
        """The stateless API: the request for ``call`` (named by its endpoint, as in the vectors)."""
        return _request(_core_call(lambda: self._api.build(call, _dumps(input))))

    def parse_response(self, call: str, request_id: str, response: HttpResponse, context: Optional[Mapping[str, Any]] = None) -> Json:
        """The stateless API: the parsed result of a response, as JSON data."""
        text = _core_call(lambda: self._api.parse(call, request_id, response.status, list(response.headers), response.body, _dumps(context or {})))
        return _loads(text)


def _payment_list(payments: Union[Payment, Sequence[Payment]]) -> Sequence[Payment]:
    """One payment or several, as a list (a `dict` checked first: the `Mapping` check is an ABC's)."""
    return [payments] if type(payments) is dict or isinstance(payments, Mapping) else payments


def _methods_query(order_id: Optional[int], checkout_id: Optional[str]) -> Dict[str, Any]:
    return {"order_id": order_id} if checkout_id is None else {"checkout_id": checkout_id}


def _token_pat(token: Any) -> Any:
    """The secret of a token from ``create_access_token``; anything else goes as it is, for the
    core to name."""
    return token.secret if isinstance(token, PaymentAccessToken) else token


class Client(_Base):
    """A synchronous client for one store. Use as a context manager to close its connections."""

    def __init__(self, store_hash: Optional[str] = None, api_token: Optional[str] = None, *, transport: Optional[SyncTransport] = None, timeout: float = 30.0,
                 **settings: Any) -> None:
        super().__init__(store_hash, api_token, timeout=timeout, **settings)
        self._own_transport = transport is None
        self._transport: SyncTransport = transport or HttpxTransport(self._timeout, max_body_bytes=self._max_body_bytes)
        self._senders: "Optional[ThreadPoolExecutor]" = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._senders is not None:
            self._senders.shutdown(wait=False)
        if self._own_transport and isinstance(self._transport, HttpxTransport):
            self._transport.close()

    def _exchange(self, op: _Operation, request: HttpRequest) -> Tuple[Optional[HttpResponse], Optional[Exception]]:
        """Sends one request: its response, or the exception that stands for none."""
        shared = self._shared_budget(request)
        if shared is not None:
            shared.acquire(request.id)
        try:
            deadline = op.deadline_ms()
            if deadline is not None and isinstance(self._transport, HttpxTransport):
                return self._transport(request, deadline_ms=deadline), None
            return self._transport(request), None
        except Exception as e:  # noqa: BLE001 - the core decides what a failure means
            return None, e
        finally:
            if shared is not None:
                shared.release(request.id)

    def _send_beside(self, op: _Operation, request: HttpRequest) -> "Future[Tuple[Optional[HttpResponse], Optional[Exception]]]":
        """Sends a request on a worker thread, while the loop's thread sends the one awaited."""
        if self._senders is None:
            from concurrent.futures import ThreadPoolExecutor

            self._senders = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bcpay-send")
        return self._senders.submit(self._exchange, op, request)

    def _drive(self, op: _Operation) -> Json:
        """Drives an operation to its end: the one loop behind ``pay`` and every single call. A
        blocking request cannot be interrupted: with a time budget the default transport's own
        deadline is shortened to it, and the core stops the operation at its next step.

        Requests the core hands out together (a payment's methods and token) go out together: the
        one awaited first on this thread, the others on a worker thread, so a transport may be
        called from two threads at once (httpx's client may)."""
        out: Dict[str, Any] = {}  # request id → the request, not yet sent, or its future
        kind, value = op.poll()
        while True:
            if kind == "send":
                out[value.id] = value
                kind, value = op.poll()
            elif kind == "awaiting":
                for request_id, pending in list(out.items()):
                    if request_id != value and isinstance(pending, HttpRequest):
                        out[request_id] = self._send_beside(op, pending)
                pending = out.pop(value)
                response, error = self._exchange(op, pending) if isinstance(pending, HttpRequest) else pending.result()
                kind, value = op.report(value, response, error)
            elif kind == "wait":
                time.sleep(max(0, value - _now_ms()) / 1000)
                kind, value = op.poll()
            elif kind == "done":
                return value
            elif kind == "failed":
                raise value
            else:
                raise RuntimeError(f"unexpected action {kind}")

    def pay(self, order_id: int, payments: Union[Payment, Sequence[Payment]], **options: Any) -> PaymentReceipt:
        """Pays the order: methods → token → process, with retries and reconciliation;
        ``options`` replace the client's flow options for this payment."""
        return load(PaymentReceipt, self._drive(self._flow(order_id, payments, None, None, options)))

    def pay_journaled(self, order_id: int, payment: Payment, journal: "Journal", **options: Any) -> "BatchResult":
        """Pays the order under ``journal`` (see `Batch`): skipped when its record is final,
        settled from the order's transactions when an earlier run may have sent it, else paid,
        the ``sending`` record put before Process Payment goes out. Never raises for the
        payment's outcome: it is the result's ``state``."""
        from ._batch import BatchResult

        return BatchResult._from_core(self._drive(self._journaled_op(order_id, payment, journal, options)))

    def pay_from_app(self, body: Union[bytes, bytearray, memoryview, str], *, expect_order_id: Optional[int] = None) -> bytes:
        """Pays for a shopper-facing app that relayed the payment to this server (the app holds
        no token; see the README, "Apps"): ``body`` is the app's ``bcpay.payment_request``
        envelope; returns the ``bcpay.payment_outcome`` envelope to answer with, HTTP 200 and
        ``Content-Type: application/json``, whatever happened — a refused request, a decline,
        an ambiguous outcome (it never raises for those). Pass the order this shopper is checking
        out as ``expect_order_id`` to refuse any other."""
        return str(self._drive(self._relay_op(body, expect_order_id))).encode()

    def _call(self, call: str, input: Mapping[str, Any]) -> Json:
        return self._drive(self._call_op(call, input))

    def get_payment_methods(self, order_id: Optional[int] = None, checkout_id: Optional[str] = None) -> List[PaymentMethod]:
        return [load(PaymentMethod, m) for m in self._call("get_payment_methods", _methods_query(order_id, checkout_id))]

    def create_access_token(self, order_id: int, is_recurring: bool = False) -> PaymentAccessToken:
        return PaymentAccessToken._from_core(self._call("create_payment_access_token", {"order_id": order_id, "is_recurring": is_recurring}))

    def process_payment(self, token: PaymentAccessToken, payment: Payment) -> ProcessedPayment:
        """Process Payment once: no reconciliation (``pay`` does that)."""
        return load(ProcessedPayment, self._call("process_payment", {"pat": _token_pat(token), "payment": payment}))

    def create_order(self, order: Mapping[str, Any]) -> Order:
        return load(Order, self._call("create_order", {"order": order}))

    def get_order(self, order_id: int) -> Order:
        return load(Order, self._call("get_order", {"order_id": order_id}))

    def prepare(self, order_id: int) -> PreparedPayment:
        """Prepares the order's payment ahead (when the order is created or the checkout opens):
        its methods and a payment access token, kept by this client, so that the order's next
        ``pay`` sends only Process Payment."""
        return load(PreparedPayment, self._call("prepare", {"order_id": order_id}))

    def get_order_payment_status(self, order_id: int) -> OrderPaymentStatus:
        """Whether the order is paid and how much is due: the order, then all its transactions,
        judged by the rule ``pay`` ends by."""
        return load(OrderPaymentStatus, self._call("get_order_payment_status", {"order_id": order_id}))

    def get_transactions(self, order_id: int) -> List[Transaction]:
        """Every transaction of the order (all pages, at most ``max_transaction_pages``)."""
        return [load(Transaction, t) for t in self._call("get_order_transactions", {"order_id": order_id})]

    def capture(self, order_id: int) -> None:
        self._call("capture_payment", {"order_id": order_id})

    def void(self, order_id: int) -> None:
        self._call("void_payment", {"order_id": order_id})

    def create_refund_quote(self, order_id: int, items: Sequence[Mapping[str, Any]]) -> RefundQuote:
        return load(RefundQuote, self._call("create_refund_quote", {"order_id": order_id, "request": {"items": items}}))

    def create_refund(self, order_id: int, items: Sequence[Mapping[str, Any]], payments: Sequence[Mapping[str, Any]]) -> Refund:
        return load(Refund, self._call("create_refund", {"order_id": order_id, "request": {"items": items, "payments": payments}}))

    def refund(self, order_id: int, items: Sequence[Mapping[str, Any]]) -> Refund:
        """Refund items of an order as its refund quote allows: the quote, then the refund through the quote's providers for its amounts. A quote that allows only offline refunds fails with `offline_refund_required` (invalid_request)."""
        return load(Refund, self._call("refund", {"order_id": order_id, "items": items}))

    def list_refunds(self, order_id: int) -> List[Refund]:
        return [load(Refund, r) for r in self._call("list_refunds", {"order_id": order_id})]

    def get_stored_instruments(self, customer_id: int) -> List[StoredInstrument]:
        return [load(StoredInstrument, s) for s in self._call("get_stored_instruments", {"customer_id": customer_id})]


class AsyncClient(_Base):
    """An asyncio client for one store. Use ``async with`` to close its connections. Cancelling
    a task that awaits one of its calls ends the call with a `BcpayError` that says whether a
    payment may have been sent (`CancelledError` or `AmbiguousOutcomeError`), raised from the
    task's ``asyncio.CancelledError``."""

    def __init__(self, store_hash: Optional[str] = None, api_token: Optional[str] = None, *, transport: Optional[AsyncTransport] = None, timeout: float = 30.0,
                 **settings: Any) -> None:
        super().__init__(store_hash, api_token, timeout=timeout, **settings)
        self._own_transport = transport is None
        self._transport: AsyncTransport = transport or AsyncHttpxTransport(self._timeout, max_body_bytes=self._max_body_bytes)

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_transport and isinstance(self._transport, AsyncHttpxTransport):
            await self._transport.aclose()

    async def _exchange(self, request: HttpRequest) -> Tuple[Optional[HttpResponse], Optional[Exception]]:
        """Sends one request: its response, or the exception that stands for none."""
        shared = self._shared_budget(request)
        if shared is not None:
            await shared.aacquire(request.id)
        try:
            return await self._transport(request), None
        except Exception as e:  # noqa: BLE001 - the core decides what a failure means
            return None, e
        finally:
            if shared is not None:
                await shared.arelease(request.id)

    async def _drive(self, op: _Operation, answers_after_cancel: bool = False) -> Json:
        """Drives an operation to its end: the one loop behind ``pay`` and every single call. Each
        request goes out as soon as the core hands it over (a payment's methods and token go
        together); outcomes are reported in the order the core awaits them."""
        import asyncio

        out: "Dict[str, asyncio.Task[Tuple[Optional[HttpResponse], Optional[Exception]]]]" = {}
        try:
            deadline = op.deadline_ms()  # fixed for the operation's life
            kind, value = op.poll()
            while True:
                if kind == "send":
                    out[value.id] = asyncio.ensure_future(self._exchange(value))
                    kind, value = op.poll()
                elif kind == "awaiting":
                    exchange = out.pop(value)
                    try:
                        if deadline is None:
                            response, error = await exchange
                        else:
                            response, error = await asyncio.wait_for(exchange, max(0, deadline - _now_ms()) / 1000)
                    except asyncio.TimeoutError:
                        return op.stop(answers_after_cancel)
                    kind, value = op.report(value, response, error)
                elif kind == "wait":
                    await asyncio.sleep(max(0, value - _now_ms()) / 1000)
                    kind, value = op.poll()
                elif kind == "done":
                    return value
                elif kind == "failed":
                    raise value
                else:
                    raise RuntimeError(f"unexpected action {kind}")
        except asyncio.CancelledError as cancelled:
            raise op.cancel() from cancelled
        finally:
            # A request still out when the operation ends (a token whose methods refused the
            # card) is abandoned.
            for leftover in out.values():
                leftover.cancel()

    async def pay(self, order_id: int, payments: Union[Payment, Sequence[Payment]], **options: Any) -> PaymentReceipt:
        """Pays the order: methods → token → process, with retries and reconciliation;
        ``options`` replace the client's flow options for this payment."""
        return load(PaymentReceipt, await self._drive(self._flow(order_id, payments, None, None, options)))

    async def pay_journaled(self, order_id: int, payment: Payment, journal: "Journal", **options: Any) -> "BatchResult":
        """``Client.pay_journaled`` for asyncio. The journal's writes run on the event loop's
        thread: SQLite's take a few milliseconds each."""
        from ._batch import BatchResult

        return BatchResult._from_core(await self._drive(self._journaled_op(order_id, payment, journal, options)))

    async def pay_from_app(self, body: Union[bytes, bytearray, memoryview, str], *, expect_order_id: Optional[int] = None) -> bytes:
        """``Client.pay_from_app`` for asyncio: the outcome envelope to answer the app with."""
        return str(await self._drive(self._relay_op(body, expect_order_id), answers_after_cancel=True)).encode()

    async def _call(self, call: str, input: Mapping[str, Any]) -> Json:
        return await self._drive(self._call_op(call, input))

    async def get_payment_methods(self, order_id: Optional[int] = None, checkout_id: Optional[str] = None) -> List[PaymentMethod]:
        return [load(PaymentMethod, m) for m in await self._call("get_payment_methods", _methods_query(order_id, checkout_id))]

    async def create_access_token(self, order_id: int, is_recurring: bool = False) -> PaymentAccessToken:
        return PaymentAccessToken._from_core(await self._call("create_payment_access_token", {"order_id": order_id, "is_recurring": is_recurring}))

    async def process_payment(self, token: PaymentAccessToken, payment: Payment) -> ProcessedPayment:
        """Process Payment once: no reconciliation (``pay`` does that)."""
        return load(ProcessedPayment, await self._call("process_payment", {"pat": _token_pat(token), "payment": payment}))

    async def create_order(self, order: Mapping[str, Any]) -> Order:
        return load(Order, await self._call("create_order", {"order": order}))

    async def get_order(self, order_id: int) -> Order:
        return load(Order, await self._call("get_order", {"order_id": order_id}))

    async def prepare(self, order_id: int) -> PreparedPayment:
        """Prepares the order's payment ahead (see :meth:`Client.prepare`)."""
        return load(PreparedPayment, await self._call("prepare", {"order_id": order_id}))

    async def get_order_payment_status(self, order_id: int) -> OrderPaymentStatus:
        """Whether the order is paid and how much is due: the order, then all its transactions,
        judged by the rule ``pay`` ends by."""
        return load(OrderPaymentStatus, await self._call("get_order_payment_status", {"order_id": order_id}))

    async def get_transactions(self, order_id: int) -> List[Transaction]:
        """Every transaction of the order (all pages, at most ``max_transaction_pages``)."""
        return [load(Transaction, t) for t in await self._call("get_order_transactions", {"order_id": order_id})]

    async def capture(self, order_id: int) -> None:
        await self._call("capture_payment", {"order_id": order_id})

    async def void(self, order_id: int) -> None:
        await self._call("void_payment", {"order_id": order_id})

    async def create_refund_quote(self, order_id: int, items: Sequence[Mapping[str, Any]]) -> RefundQuote:
        return load(RefundQuote, await self._call("create_refund_quote", {"order_id": order_id, "request": {"items": items}}))

    async def create_refund(self, order_id: int, items: Sequence[Mapping[str, Any]], payments: Sequence[Mapping[str, Any]]) -> Refund:
        return load(Refund, await self._call("create_refund", {"order_id": order_id, "request": {"items": items, "payments": payments}}))

    async def refund(self, order_id: int, items: Sequence[Mapping[str, Any]]) -> Refund:
        """Refund items of an order as its refund quote allows: the quote, then the refund through the quote's providers for its amounts. A quote that allows only offline refunds fails with `offline_refund_required` (invalid_request)."""
        return load(Refund, await self._call("refund", {"order_id": order_id, "items": items}))

    async def list_refunds(self, order_id: int) -> List[Refund]:
        return [load(Refund, r) for r in await self._call("list_refunds", {"order_id": order_id})]

    async def get_stored_instruments(self, customer_id: int) -> List[StoredInstrument]:
        return [load(StoredInstrument, s) for s in await self._call("get_stored_instruments", {"customer_id": customer_id})]
