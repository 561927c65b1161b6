"""The shapes of what callers pass in, for type checkers: a misspelled key or a wrong instrument
type is a `mypy --strict` error before it is the core's `ValidationError` at run time. The core's
readers (`core/src/model.rs`) are the rule; `tests/host` and the vectors check the two agree."""
from __future__ import annotations

from typing import Literal, TypedDict, Union


class _Card(TypedDict):
    type: Literal["card"]
    number: str
    cardholder_name: str
    expiry_month: int
    expiry_year: int


class CardInstrument(_Card, total=False):
    """A new card: raw card data (the CVV is kept out of reprs and wiped in the core)."""

    verification_value: str
    issue_month: int
    issue_year: int
    issue_number: int


class _StoredCard(TypedDict):
    type: Literal["stored_card"]
    token: str


class StoredCardInstrument(_StoredCard, total=False):
    """A stored card by its token; ``verification_value`` where the method requires it."""

    verification_value: str


class StoredPaypalAccountInstrument(TypedDict):
    type: Literal["stored_paypal_account"]
    token: str


class StoredBankAccountInstrument(TypedDict):
    type: Literal["stored_bank_account"]
    token: str


class GiftCertificateInstrument(TypedDict):
    type: Literal["gift_certificate"]
    gift_certificate_code: str


class StoreCreditInstrument(TypedDict):
    type: Literal["store_credit"]


class _TokenizedCard(TypedDict):
    type: Literal["tokenized_card"]
    token: str


class TokenizedCardInstrument(_TokenizedCard, total=False):
    iin: str
    last_four_digits: str
    expiration_month: str
    expiration_year: str


Instrument = Union[
    CardInstrument,
    StoredCardInstrument,
    StoredPaypalAccountInstrument,
    StoredBankAccountInstrument,
    GiftCertificateInstrument,
    StoreCreditInstrument,
    TokenizedCardInstrument,
]


class _Payment(TypedDict):
    instrument: Instrument
    payment_method_id: str


class Payment(_Payment, total=False):
    """One Process Payment: ``{"instrument": {...}, "payment_method_id": "stripe.card"}``."""

    save_instrument: bool
