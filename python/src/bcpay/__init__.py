"""bcpay: the BigCommerce Payments API, safely.

Validation before anything is sent, typed exceptions with shopper-safe messages, the
50-per-4-seconds rate limit, and reconciliation of unclear outcomes so a shopper is never charged
twice. The rules run in bcpay-core (Rust); this package supplies HTTP (httpx).
"""
from ._client import (
    AsyncClient,
    AsyncHttpxTransport,
    AsyncTransport,
    Client,
    EventHook,
    HttpxTransport,
    NoResponse,
    PaymentFlow,
    SyncTransport,
    classify_httpx_error,
)
from ._batch import AsyncBatch, Batch, BatchResult, BatchSummary, RecordedError, SqliteJournal
from ._shared import PostgresJournal, RedisLimiter
from ._core import version as _core_version
from ._inputs import (
    CardInstrument,
    GiftCertificateInstrument,
    Instrument,
    Payment,
    StoreCreditInstrument,
    StoredBankAccountInstrument,
    StoredCardInstrument,
    StoredPaypalAccountInstrument,
    TokenizedCardInstrument,
)
from ._errors import (
    AmbiguousOutcomeError,
    ApiError,
    AuthenticationError,
    BcpayError,
    CancelledError,
    ConfigurationError,
    ConflictError,
    DeclinedError,
    DuplicatePaymentError,
    InvalidRequestError,
    InvalidResponseError,
    MerchantSetupError,
    NoResponseError,
    NotFoundError,
    OrderStateError,
    RateLimitedError,
    RetryAdvice,
    ServerError,
    TransportError,
    ValidationError,
)
from ._models import (
    Decision,
    DecisionEvent,
    FieldError,
    FlowEvent,
    HttpRequest,
    HttpResponse,
    Order,
    OrderPaymentStatus,
    PatClaims,
    PaymentAccessToken,
    PaymentMethod,
    PaymentReceipt,
    PreparedPayment,
    ProcessedPayment,
    Refund,
    RequestEvent,
    ResponseEvent,
    TransportFailureEvent,
    RefundPayment,
    RefundPaymentOption,
    RefundQuote,
    StoredInstrument,
    SupportedInstrument,
    Transaction,
)

__version__ = _core_version()

__all__ = [
    "AsyncBatch", "Batch", "BatchResult", "BatchSummary", "PostgresJournal", "RecordedError", "RedisLimiter", "SqliteJournal",
    "CardInstrument", "GiftCertificateInstrument", "Instrument", "Payment", "StoreCreditInstrument", "StoredBankAccountInstrument",
    "StoredCardInstrument", "StoredPaypalAccountInstrument", "TokenizedCardInstrument",
    "AmbiguousOutcomeError", "ApiError", "AsyncClient", "AsyncHttpxTransport", "AsyncTransport", "AuthenticationError",
    "BcpayError", "CancelledError", "Client", "ConfigurationError", "ConflictError", "DeclinedError", "DuplicatePaymentError", "FieldError", "HttpRequest", "InvalidRequestError", "InvalidResponseError", "MerchantSetupError", "NoResponseError", "NotFoundError", "ServerError",
    "HttpResponse", "HttpxTransport", "NoResponse", "Order", "OrderPaymentStatus", "OrderStateError", "PatClaims", "PaymentAccessToken", "PreparedPayment",
    "PaymentFlow", "PaymentMethod", "PaymentReceipt", "ProcessedPayment", "RateLimitedError", "Refund", "RefundPayment", "RefundPaymentOption", "RefundQuote",
    "RetryAdvice", "StoredInstrument", "SupportedInstrument", "SyncTransport", "Transaction", "TransportError",
    "ValidationError", "classify_httpx_error",
    "Decision", "DecisionEvent", "EventHook", "FlowEvent", "RequestEvent", "ResponseEvent", "TransportFailureEvent",
]
