from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RetailGatewayCase

API_LOGGER = "odoo.addons.retail_gateway.models.retail_gateway_api"


@tagged("post_install", "-at_install")
class TestRetry(RetailGatewayCase):
    """Only a business refusal rejects an item; anything else rolls the item back and answers
    ``retry`` with no detail for the partner, and the batch's other items still succeed."""

    def submit_with_failure(self, error, method="_rg_customer"):
        """Submits three orders; the second one's item path raises ``error`` from ``method``."""
        Api = type(self.env["retail_gateway.api"])
        original = getattr(Api, method)

        def failing(api, partner, data, *args, **kwargs):
            if data.get("name") == "Failing Customer":
                raise error
            return original(api, partner, data, *args, **kwargs)

        failing_item = self.order_item("WEB-FAIL")
        failing_item["customer"] = dict(failing_item["customer"], name="Failing Customer", external_id="cust-fail")
        with patch.object(Api, method, failing), self.assertLogs(API_LOGGER, "ERROR") as logs:
            results = self.submit(self.order_item("WEB-BEFORE"), failing_item, self.order_item("WEB-AFTER"))
        return results, logs

    def assertRetried(self, results, logs, secret):
        self.assertEqual([r["status"] for r in results], ["created", "retry", "created"], results)
        retried = results[1]
        self.assertEqual(
            retried,
            {"intake_id": "int-1-WEB-FAIL", "external_id": "WEB-FAIL", "status": "retry", "record": None, "reasons": []},
        )
        self.assertNotIn(secret, repr(results), "no internal detail reaches the partner")
        self.assertIn("int-1-WEB-FAIL", logs.output[0], "the log names the intake id")
        self.assertIn(secret, "\n".join(logs.output), "the detail stays in Odoo's log")
        self.assertFalse(self.env["sale.order"].search([("rg_external_id", "=", "WEB-FAIL")]), "rolled back")
        self.assertFalse(self.env["retail_gateway.intake"].search([("external_id", "=", "WEB-FAIL")]))
        created = self.events("order.created").mapped(lambda e: e.payload["external_id"])
        self.assertEqual(sorted(created), ["WEB-AFTER", "WEB-BEFORE"], "the other items' events are kept")
        again = self.submit(self.order_item("WEB-FAIL"))[0]
        self.assertEqual(again["status"], "created", "the retried item goes through")

    def test_a_serialization_failure_answers_retry(self):
        error = pg_errors.SerializationFailure("could not serialize access due to concurrent update (tuple 7,3)")
        self.assertRetried(*self.submit_with_failure(error), secret="tuple 7,3")

    def test_a_lock_timeout_answers_retry(self):
        error = pg_errors.LockNotAvailable("canceling statement due to lock timeout on relation 4711")
        self.assertRetried(*self.submit_with_failure(error), secret="relation 4711")

    def test_an_unexpected_exception_answers_retry(self):
        error = KeyError("internal_field_x")
        self.assertRetried(*self.submit_with_failure(error), secret="internal_field_x")

    def test_an_access_error_answers_retry(self):
        error = AccessError("You are not allowed to access 'Secret Model' (secret.model) records.")
        self.assertRetried(*self.submit_with_failure(error), secret="secret.model")

    @mute_logger(API_LOGGER)
    def test_a_failure_after_a_write_rolls_the_item_back_alone(self):
        with self.confirm_failing("WEB-LATE", pg_errors.SerializationFailure("late conflict"), after=True):
            results = self.submit(self.order_item("WEB-LATE"), self.order_item("WEB-ONTIME"))
        self.assertEqual([r["status"] for r in results], ["retry", "created"])
        self.assertFalse(self.env["sale.order"].search([("rg_external_id", "=", "WEB-LATE")]), "the confirmed order is gone")
        self.assertFalse(self.events("order.created").filtered(lambda e: e.payload["external_id"] == "WEB-LATE"))

    def test_business_refusals_still_reject_with_their_message(self):
        Api = type(self.env["retail_gateway.api"])
        original = Api._rg_customer

        def refusing(api, partner, data, *args, **kwargs):
            if data.get("name") == "Refused Customer":
                raise ValidationError("The customer's VAT number is invalid.")
            return original(api, partner, data, *args, **kwargs)

        item = self.order_item("WEB-REFUSED")
        item["customer"] = dict(item["customer"], name="Refused Customer")
        with patch.object(Api, "_rg_customer", refusing):
            results = self.submit(item, self.order_item("WEB-FINE-2"))
        self.assertEqual([r["status"] for r in results], ["rejected", "created"])
        self.assertEqual(results[0]["reasons"], [{"code": "validation_error", "message": "The customer's VAT number is invalid."}])
