import json
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from odoo.tests import TransactionCase

from ..compat import IS_19, USER_GROUPS_FIELD  # noqa: F401 (the tests' name for res.users' groups field)
from ..utils import EVENT_TYPES as ADDON_EVENT_TYPES

GOLDEN_DIR = Path(__file__).parent / "data" / "events"
# Keys whose value is a map with free keys (partner code -> external id).
FREE_KEY_MAPS = {"external_ids"}


@contextmanager
def registry_test_mode(case):
    """While inside, the registry's new cursors are test cursors on the test's transaction."""
    if IS_19:
        with case.enter_registry_test_mode():
            yield
        return
    case.registry.enter_test_mode(case.cr)
    try:
        yield
    finally:
        case.registry.leave_test_mode()


def load_golden(event_type):
    with open(GOLDEN_DIR / f"{event_type}.json", encoding="utf-8") as golden:
        return json.load(golden)


def shape_differences(expected, actual, path="$"):
    """Differences in keys and JSON types between a golden value and a generated one.

    A light structural check (the TypeScript suite validates the golden files with zod): same keys,
    same JSON types, where ``null`` on either side matches anything (nullable fields), ints and floats
    are both numbers, and lists compare their first elements.
    """
    if expected is None or actual is None:
        return []
    if isinstance(expected, bool) or isinstance(actual, bool):
        return [] if isinstance(expected, bool) and isinstance(actual, bool) else [f"{path}: {actual!r} is not a boolean"]
    if isinstance(expected, (int, float)):
        return [] if isinstance(actual, (int, float)) else [f"{path}: {actual!r} is not a number"]
    if isinstance(expected, str):
        return [] if isinstance(actual, str) else [f"{path}: {actual!r} is not a string"]
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: {actual!r} is not a list"]
        if expected and actual:
            return shape_differences(expected[0], actual[0], f"{path}[0]")
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {actual!r} is not an object"]
        if path.rsplit(".", 1)[-1] in FREE_KEY_MAPS:
            sample = next(iter(expected.values()), None)
            return [d for key, value in actual.items() for d in shape_differences(sample, value, f"{path}.{key}")]
        problems = []
        optional = {"requestid"} if path == "$" else set()
        missing = set(expected) - set(actual) - optional
        extra = set(actual) - set(expected)
        if missing:
            problems.append(f"{path}: missing {sorted(missing)}")
        if extra:
            problems.append(f"{path}: unexpected {sorted(extra)}")
        for key in set(expected) & set(actual):
            problems.extend(shape_differences(expected[key], actual[key], f"{path}.{key}"))
        return problems
    return [f"{path}: unsupported golden value {expected!r}"]


class RetailGatewayCase(TransactionCase):
    """Shared fixtures: two stocked products, a carrier, a partner subscribed to every addon event."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, mail_create_nolog=True, mail_notrack=True))
        cls.Outbox = cls.env["retail_gateway.outbox.event"]
        cls.Api = cls.env["retail_gateway.api"]
        cls.Partner = cls.env["retail_gateway.partner"]
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.stock_location = cls.warehouse.lot_stock_id
        Product = cls.env["product.product"]
        common = {"type": "consu", "is_storable": True, "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
        cls.product_a = Product.create(dict(common, name="RG Test Lamp", default_code="RG-LAMP", list_price=40.0))
        cls.product_b = Product.create(
            dict(common, name="RG Test Box", default_code="RG-BOX", barcode="2300009990011", list_price=15.8)
        )
        cls.product_inactive = Product.create(dict(common, name="RG Old Chair", default_code="RG-OLD", active=False))
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.product_a, cls.stock_location, 50.0)
        Quant._update_available_quantity(cls.product_b, cls.stock_location, 30.0)
        shipping_product = Product.create(
            {"name": "RG Express Shipping", "type": "service", "default_code": "RG-SHIP", "taxes_id": [(5, 0, 0)]}
        )
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "RG Express",
                "product_id": shipping_product.id,
                "delivery_type": "fixed",
                "fixed_price": 5.0,
                "integration_level": "rate",
            }
        )
        cls.partner = cls.Partner.create(
            {
                "code": "rg-shop",
                "name": "RG Web Shop",
                "scopes": "orders:read orders:write returns:write shipments:write inventory:write",
                "warehouse_ids": [(6, 0, cls.warehouse.ids)],
                "carrier_map_ids": [(0, 0, {"method": "express", "carrier_id": cls.carrier.id})],
            }
        )
        cls.subscription = cls.env["retail_gateway.subscription"].create(
            {
                "partner_id": cls.partner.id,
                "url": "https://shop.example.com/webhooks/odoo",
                "event_types": " ".join(ADDON_EVENT_TYPES),
            }
        )
        # Publish the fixtures' own events once, so that each test starts from a clean outbox.
        cls.env.cr.flush()
        cls.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM retail_gateway_outbox_event")
        cls.baseline_event_id = cls.env.cr.fetchone()[0]
        # Earlier events (fixtures, other data) are out of the way of the relay tests.
        cls.env.cr.execute("UPDATE retail_gateway_outbox_event SET state = 'dispatched' WHERE state <> 'dispatched'")
        cls.Outbox.invalidate_model()

    # ------------------------------------------------------------------ helpers

    def publish(self):
        """Runs the pre-commit hooks, as a commit would: the outbox rows get written."""
        self.env.cr.flush()

    def events(self, event_type=None, since=None):
        self.publish()
        domain = [("id", ">", since if since is not None else self.baseline_event_id)]
        if event_type:
            domain.append(("event_type", "=", event_type))
        return self.Outbox.search(domain, order="id")

    def envelope(self, event):
        row = self.Outbox._rg_fetch_rows(self.env.cr, event.ids)[0]
        return self.Outbox._rg_envelope(row, self.Outbox._rg_source())

    def assertMatchesGolden(self, event):
        envelope = self.envelope(event)
        problems = shape_differences(load_golden(envelope["type"]), envelope)
        self.assertFalse(problems, f"{envelope['type']} differs from its golden file: {problems}")

    def order_item(self, external_id, lines=None, **overrides):
        address = {"name": "Ines Peeters", "street": "Kerkstraat 12", "city": "Gent", "zip": "9000", "country_code": "BE"}
        item = {
            "external_id": external_id,
            "channel": "webshop",
            "placed_at": "2026-11-27T09:14:03+01:00",
            "currency": self.currency.name,
            "taxes_included": False,
            "customer": {
                "external_id": "cust-8812",
                "email": "ines.peeters@example.com",
                "name": "Ines Peeters",
                "consents": [
                    {"channel": "email", "status": "opted_in", "at": "2026-11-27T08:13:40Z", "source": "checkout"}
                ],
            },
            "billing_address": dict(address),
            "shipping_address": dict(address),
            "lines": lines
            or [
                {"sku": "RG-LAMP", "quantity": 2, "unit_price": "40.00", "discount_percent": "0"},
                {"sku": "RG-BOX", "quantity": 5, "unit_price": "15.80", "discount_percent": "10"},
            ],
            "shipping": {"method": "express", "price": "4.95"},
            "payment": {"method": "card", "status": "paid", "provider": "stripe", "transaction_id": "pi_1"},
        }
        item.update(overrides)
        return item

    def submit(self, *items, partner=None):
        batch = [{"intake_id": f"int-{index}-{item['external_id']}", "item": item} for index, item in enumerate(items)]
        return self.Api.submit_orders(partner=partner or self.partner.code, orders=batch)["results"]

    @contextmanager
    def confirm_failing(self, external_id, error, after=False):
        """While inside, confirming orders that include the order ``external_id`` raises ``error``:
        before the confirmation runs, or once it has run with ``after``."""
        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder.action_confirm

        def confirm(orders):
            failing = external_id in orders.mapped("rg_external_id")
            if failing and not after:
                raise error
            result = original(orders)
            if failing:
                raise error
            return result

        with patch.object(SaleOrder, "action_confirm", confirm):
            yield

    def submit_one(self, external_id="WEB-1", **overrides):
        result = self.submit(self.order_item(external_id, **overrides))[0]
        self.assertEqual(result["status"], "created", result)
        return self.env["sale.order"].browse(result["record"]["id"])

    def outgoing_picking(self, order):
        return order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel"))

    def ship(self, order, external_id="SHIP-1", lines=None, tracking="1Z999AA10123456784", carrier="express",
             shipped_at="2026-11-27T15:01:00Z"):
        items = [
            {
                "intake_id": f"ship-{external_id}",
                "item": {
                    "external_id": external_id,
                    "order_external_id": order.rg_external_id,
                    "carrier": carrier,
                    "tracking_number": tracking,
                    "lines": lines or [{"sku": l.product_id.default_code, "quantity": l.product_uom_qty}
                                       for l in order.order_line if l.product_id.is_storable],
                    "shipped_at": shipped_at,
                },
            }
        ]
        return self.Api.confirm_shipments(partner=self.partner.code, items=items)["results"][0]
