"""Typed usage of the public surface; CI runs `mypy --strict` on it."""
from __future__ import annotations

import asyncio
from typing import List

import bcpay


def pay(client: bcpay.Client, order_id: int, token: str) -> str:
    try:
        receipt: bcpay.PaymentReceipt = client.pay(order_id, {"instrument": {"type": "stored_card", "token": token, "verification_value": "123"}, "payment_method_id": "stripe.card"})
    except bcpay.DeclinedError as e:
        return e.shopper_message
    except bcpay.RateLimitedError as e:
        return f"retry in {e.retry_after:.1f}s"
    return ",".join(p.status for p in receipt.payments)


async def pay_async(order_id: int) -> List[bcpay.ProcessedPayment]:
    async with bcpay.AsyncClient("abc123", "token") as client:
        receipt = await client.pay(order_id, {"instrument": {"type": "store_credit"}, "payment_method_id": "bigcommerce.store_credit"})
        return list(receipt.payments)


def my_transport(request: bcpay.HttpRequest) -> bcpay.HttpResponse:
    raise bcpay.NoResponse("not_sent", "offline")


if __name__ == "__main__":
    errors: List[bcpay.FieldError] = bcpay.Client("abc123", "token", transport=my_transport).validate({"instrument": {"type": "store_credit"}, "payment_method_id": "bigcommerce.store_credit"})
    print(len(errors), asyncio.iscoroutinefunction(pay_async))
