"""Must FAIL `mypy --strict` (scripts/test checks it does): a misspelled key, a wrong instrument
type and a misspelled option, which the core would also refuse at run time."""
import bcpay

c = bcpay.Client("abc123", "token")
c.pay(1, {"instrumnt": {"type": "crad"}, "payment_method_id": "stripe.card"})
c.pay(1, {"instrument": {"type": "crad"}, "payment_method_id": "stripe.card"})
