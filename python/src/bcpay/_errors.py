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
        retry = details.get("retry") or {"type": "never"}
        self.retry = RetryAdvice(retry["type"], retry.get("ms"))
        self.payments_taken = tuple(load(ProcessedPayment, p) for p in details.get("payments_taken") or [])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, code={self.code!r}, status={self.status!r}, title={self.title!r})"


class ValidationError(BcpayError):
    """Input failed validation before anything was sent; see ``field_errors``."""


class ConfigurationError(BcpayError):
    """The client is configured wrongly, or the store's payment setup rejects the request."""


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


class TransportError(BcpayError):
    """No response arrived and retries are exhausted."""


class ApiError(BcpayError):
    """Any other API failure: invalid request, not found, conflict, server error, bad response."""


# The one place kinds map to classes.
_BY_KIND = {
    "validation": ValidationError,
    "configuration": ConfigurationError,
    "merchant_setup": ConfigurationError,
    "authentication": AuthenticationError,
    "order_state": OrderStateError,
    "declined": DeclinedError,
    "duplicate_payment": DuplicatePaymentError,
    "rate_limited": RateLimitedError,
    "ambiguous_outcome": AmbiguousOutcomeError,
    "transport": TransportError,
}


def from_details(message: str, details_json: str) -> BcpayError:
    """The `BcpayError` subclass for the core's error fields."""
    import json

    details: Dict[str, Any] = json.loads(details_json)
    return _BY_KIND.get(details.get("kind", ""), ApiError)(message, details)
