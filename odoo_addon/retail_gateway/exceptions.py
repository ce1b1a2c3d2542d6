"""Exceptions of the intake API.

An :class:`IntakeRejected` carries machine-readable reasons (the ``RejectionReason`` codes of
``contracts/src/order.ts``); the batch runner turns it into a ``rejected`` item result after
rolling back the item's savepoint.
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
