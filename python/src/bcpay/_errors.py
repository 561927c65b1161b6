"""Exceptions. Every failure is a `BcpayError`; catch a subclass by meaning."""
from __future__ import annotations

from typing import Any, Dict, NamedTuple, Optional, Tuple

from ._models import FieldError, ProcessedPayment, load


class RetryAdvice(NamedTuple):
    """What a caller may do: ``never``, ``after`` (``ms``), ``with_new_token`` or ``reconcile``."""

    type: str
    ms: Optional[int] = None


class BcpayError(Exception):
    """A bcpay failure. Safe to log: it never contains card data or tokens."""

    kind: str
    status: Optional[int]
    code: Optional[int]
    code_text: Optional[str]
    title: str
    detail: Optional[str]
    field_errors: Tuple[FieldError, ...]
    shopper_message: str
    remedy: str
    endpoint: Optional[str]
    request_id: Optional[str]
    server_request_id: Optional[str]
    retry: RetryAdvice
    payments_taken: Tuple[ProcessedPayment, ...]

    def __init__(self, message: str, details: Dict[str, Any]) -> None:
        super().__init__(message)
        self.kind = details["kind"]
        self.status = details.get("status")
        self.code = details.get("code")
        self.code_text = details.get("code_text")
        self.title = details.get("title", "")
        self.detail = details.get("detail")
        self.field_errors = tuple(load(FieldError, f) for f in details.get("field_errors") or [])
        self.shopper_message = details.get("shopper_message", "")
        self.remedy = details.get("remedy", "")
        self.endpoint = details.get("endpoint")
        self.request_id = details.get("request_id")
        self.server_request_id = details.get("server_request_id")
        retry = details.get("retry") or {"type": "never"}
        self.retry = RetryAdvice(retry["type"], retry.get("ms"))
        self.payments_taken = tuple(load(ProcessedPayment, p) for p in details.get("payments_taken") or [])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, code={self.code!r}, status={self.status!r}, title={self.title!r})"


class ValidationError(BcpayError):
    """Input failed validation before anything was sent; see ``field_errors``."""


class ConfigurationError(BcpayError):
    """The client is configured wrongly."""


class MerchantSetupError(ConfigurationError):
    """The store's payment setup rejects the request (30000, 30001, 30002)."""


class AuthenticationError(BcpayError):
    """The API token or payment access token is missing, invalid, expired or lacks a scope."""


class OrderStateError(BcpayError):
    """The order cannot be paid in its state (not found, totals changed, not Incomplete)."""


class DeclinedError(BcpayError):
    """The card or account was declined: show ``shopper_message`` and ask for another method."""


class DuplicatePaymentError(BcpayError):
    """The gateway saw a duplicate (30105). Never pay again: confirm the order first."""


class RateLimitedError(BcpayError):
    """Too many requests; ``retry_after`` says how long to wait (seconds)."""

    @property
    def retry_after(self) -> float:
        return (self.retry.ms or 0) / 1000.0


class AmbiguousOutcomeError(BcpayError):
    """The payment may or may not have been taken: check the order's transactions first."""


class NoResponseError(BcpayError):
    """No response arrived and retries are exhausted."""


TransportError = NoResponseError
"""The former name of `NoResponseError`."""


class CancelledError(BcpayError):
    """The caller cancelled, or the time budget ran out, with nothing unclear sent: safe to start
    again. (When a payment may have been sent, the error is `AmbiguousOutcomeError` instead.)"""


class ApiError(BcpayError):
    """The API refused or failed: the base of the classes below."""


class InvalidRequestError(ApiError):
    """The request was rejected as invalid (400, 422, 10001, 30050, 30051)."""


class NotFoundError(ApiError):
    """The resource does not exist (404)."""


class ConflictError(ApiError):
    """The request conflicts with the resource's state (409)."""


class ServerError(ApiError):
    """The server failed (5xx, 10000, 30100)."""


class InvalidResponseError(ApiError):
    """The response could not be understood (HTML, empty, truncated, wrong types, too large)."""


# By the names the core gives them (`ErrorKind::class_name`); the host vectors check every kind.
_BY_CLASS_NAME = {
    c.__name__: c
    for c in (
        ValidationError, ConfigurationError, MerchantSetupError, AuthenticationError, OrderStateError, DeclinedError, DuplicatePaymentError,
        RateLimitedError, AmbiguousOutcomeError, NoResponseError, CancelledError, InvalidRequestError, NotFoundError, ConflictError,
        ServerError, InvalidResponseError,
    )
}


def from_details(message: str, details_json: str) -> BcpayError:
    """The `BcpayError` subclass the core names for its error fields."""
    import json

    details: Dict[str, Any] = json.loads(details_json)
    return _BY_CLASS_NAME.get(details.get("class_name", ""), BcpayError)(details.get("message", message), details)
