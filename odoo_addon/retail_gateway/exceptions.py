"""Exceptions of the intake API.

An :class:`IntakeRejected` is a business refusal: it carries machine-readable reasons (the stable
``RejectionReason`` codes of ``contracts/src/order.ts``, with messages meant for the partner); the
batch runner turns it into a ``rejected`` item result after rolling back the item's savepoint.
Odoo's ``UserError``/``ValidationError`` are refusals too (their messages are written for users).
Any other exception is not the partner's doing: the item answers ``retry`` and its detail stays
in Odoo's log (see ``models/retail_gateway_api.py``).
"""


class RetailGatewayError(Exception):
    """Base class of the addon's own exceptions."""


class IntakeRejected(RetailGatewayError):
    """An intake item that cannot be applied, with the reasons the channel can act on."""

    def __init__(self, reasons):
        self.reasons = list(reasons)
        super().__init__("; ".join(r["message"] for r in self.reasons))

    @classmethod
    def single(cls, code, message, field=None):
        reason = {"code": code, "message": message}
        if field:
            reason["field"] = field
        return cls([reason])
