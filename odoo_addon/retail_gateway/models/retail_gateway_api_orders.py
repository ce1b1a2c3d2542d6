import re

from odoo import Command, api, fields, models
from odoo.tools import float_compare, float_is_zero

from ..exceptions import IntakeRejected
from ..utils import amount_string, parse_rfc3339
from .retail_gateway_api import _lookup, _reason

# An e-mail address without ILIKE wildcards (``%``, ``_``) or escapes: ``=ilike`` compares it
# case-insensitively and nothing else, so a batch can look many up at once (``_rg_submit_order_prefetch``).
PLAIN_EMAIL = re.compile(r"^[A-Za-z0-9.@+-]+$")

PAYMENT_STATUSES = ("pending", "authorized", "paid", "partially_paid", "partially_refunded", "refunded", "failed")


class RetailGatewayApi(models.AbstractModel):
    _inherit = "retail_gateway.api"

    # ------------------------------------------------------------------ RPC

    @api.model
    def submit_orders(self, partner, orders):
        """Creates and confirms sale orders; ``duplicate`` on the same partner + external id.
        A batch is checked item by item and created and confirmed together (see ``_rg_batch``)."""
        return self._rg_batch(partner, orders, "_rg_submit_order", "orders", finish="_rg_create_orders")

    @api.model
    def cancel_orders(self, partner, refs):
        return self._rg_batch(partner, refs, "_rg_cancel_order", "refs")

    @api.model
    def update_orders(self, partner, items):
        return self._rg_batch(partner, items, "_rg_update_order", "items")

    @api.model
    def register_payments(self, partner, items):
        return self._rg_batch(partner, items, "_rg_register_payment", "items")

    # ------------------------------------------------------------------ submit

    def _rg_submit_order_prefetch(self, partner, items, lookups):
        """Before a batched run: resolves the SKUs of every order together, and finds the customers
        that exist already (by their link with the partner, then by e-mail) and their links, so
        that each order does not look them up again (see ``Lookups``). Only what an order's own
        lookup would find first is kept; anything not found is looked up by the order as usual."""
        orders = [item for item in items if isinstance(item, dict)]
        company = partner.company_id
        skus = set()
        for item in orders:
            lines = item.get("lines")
            for line in lines if isinstance(lines, list) else []:
                sku = line.get("sku") if isinstance(line, dict) else None
                if isinstance(sku, str) and sku.strip():
                    skus.add(sku)
        if skus:
            found = self.env["product.product"]._rg_resolve_skus(sorted(skus), company)
            for sku in skus:
                lookups.skus[company.id, sku] = found.get(sku)
        customers = [item["customer"] for item in orders if isinstance(item.get("customer"), dict)]
        Link = self.env["retail_gateway.customer.link"]
        external_ids = sorted({c["external_id"] for c in customers if isinstance(c.get("external_id"), str) and c["external_id"]})
        if external_ids:
            for link in Link.search([("partner_id", "=", partner.id), ("external_id", "in", external_ids)]):
                lookups.customers_by_link[link.external_id] = link.customer_id
        emails = sorted(
            {c["email"].strip().lower() for c in customers if isinstance(c.get("email"), str) and PLAIN_EMAIL.match(c["email"].strip())}
        )
        if emails:
            # ``=ilike`` of an e-mail without wildcard characters is a case-insensitive equality.
            domain = ["|"] * (len(emails) - 1) + [("email", "=ilike", email) for email in emails]
            for customer in self.env["res.partner"].search(
                domain + [("parent_id", "=", False), ("company_id", "in", [False, company.id])], order="id"
            ):
                lookups.customers_by_email.setdefault((customer.email or "").lower(), customer)
        known = set(lookups.customers_by_link.values()) | set(lookups.customers_by_email.values())
        if known:
            for link in Link.search([("partner_id", "=", partner.id), ("customer_id", "in", [c.id for c in known])]):
                lookups.links_by_customer[link.customer_id.id] = link

    def _rg_submit_order(self, partner, intake_id, item):
        external_id = _required_str(item, "external_id")
        intake, created = self.env["retail_gateway.intake"]._rg_reserve(partner, "order", external_id, intake_id)
        if not created:
            if self.env.context.get("rg_deferred") and not intake.sale_order_id:
                # Submitted earlier in this batch: answered once that order is created.
                return _Prepared({"duplicate_of": intake})
            return self._rg_result("duplicate", record=intake.sale_order_id or intake._rg_record())
        reasons = []
        currency, pricelist = self._rg_pricelist(partner, item.get("currency"), reasons)
        warehouse = self._rg_warehouse(partner, item.get("warehouse"), "warehouse", reasons)
        lines = []
        for index, line in enumerate(_list(item, "lines")):
            field = f"lines/{index}"
            product = self._rg_product(partner, line.get("sku"), f"{field}/sku", reasons)
            quantity = line.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or quantity <= 0:
                reasons.append(_reason("invalid_quantity", "The quantity must be positive.", f"{field}/quantity"))
            elif quantity > partner.max_line_quantity:
                reasons.append(
                    _reason(
                        "quantity_limit",
                        f"The quantity {quantity:g} is more than the {partner.max_line_quantity} a line may ask for.",
                        f"{field}/quantity",
                    )
                )
            lines.append((product, line))
        if not lines:
            reasons.append(_reason("validation_error", "An order needs at least one line.", "lines"))
        carrier = None
        shipping = item.get("shipping")
        if shipping:
            carrier = _lookup(
                self.env, ("carrier", partner.id, shipping.get("method")), [],
                lambda method, _reasons: self.env["retail_gateway.carrier.map"]._rg_carrier(partner, method),
                shipping.get("method"),
            )
            if not carrier:
                reasons.append(
                    _reason("unknown_carrier", f"No carrier for shipping method {shipping.get('method')}.", "shipping/method")
                )
        billing = self._rg_address_values(item.get("billing_address"), "billing_address", reasons)
        delivery = self._rg_address_values(item.get("shipping_address"), "shipping_address", reasons)
        customer_data = item.get("customer") or {}
        if not isinstance(customer_data, dict) or not customer_data.get("email"):
            reasons.append(_reason("validation_error", "The customer needs an e-mail address.", "customer/email"))
        if reasons:
            raise IntakeRejected(reasons)

        customer = self._rg_customer(partner, customer_data)
        invoice_address = self._rg_child_address(customer, "invoice", billing)
        shipping_address = self._rg_child_address(customer, "delivery", delivery)
        payment = item.get("payment") or {}
        prepared = {
            "intake": intake,
            "values": {
                "partner_id": customer.id,
                "partner_invoice_id": invoice_address.id,
                "partner_shipping_id": shipping_address.id,
                "company_id": partner.company_id.id,
                "warehouse_id": warehouse.id,
                "pricelist_id": pricelist.id if pricelist else False,
                "client_order_ref": external_id,
                "origin": f"{partner.code}/{item.get('channel') or ''}".rstrip("/"),
                "note": item.get("note") or False,
                "rg_partner_id": partner.id,
                "rg_external_id": external_id,
                "rg_channel": item.get("channel") or False,
                "rg_intake_ref": intake_id,
                "rg_placed_at": parse_rfc3339(item.get("placed_at")),
                "rg_payment_method": payment.get("method") or False,
                "rg_payment_status": payment.get("status") if payment.get("status") in PAYMENT_STATUSES else False,
                "rg_payment_provider": payment.get("provider") or False,
                "rg_payment_transaction": payment.get("transaction_id") or False,
                "order_line": [Command.create(self._rg_line_values(product, line)) for product, line in lines],
            },
            "currency": currency,
            "carrier": carrier,
            "shipping_price": float((shipping or {}).get("price") or 0),
            "unit_prices": [float(line.get("unit_price") or 0) for _product, line in lines],
            "taxes_included": bool(item.get("taxes_included")),
            "payment": payment,
        }
        if self.env.context.get("rg_deferred"):
            return _Prepared(prepared)
        return self._rg_create_orders([_Prepared(prepared)])[0]

    def _rg_create_orders(self, batch):
        """Creates and confirms the prepared orders of ``batch`` together: one ``create``, one
        ``action_confirm`` on the recordset (stock rules, pickings and reservations in one pass).
        Answers one result per order; raises if any of them cannot be completed."""
        duplicates = {index: entry.values["duplicate_of"] for index, entry in enumerate(batch) if "duplicate_of" in entry.values}
        batch = [entry.values for entry in batch if "duplicate_of" not in entry.values]
        orders = self.env["sale.order"].create([entry["values"] for entry in batch])
        for order, entry in zip(orders, batch, strict=True):
            if order.currency_id != entry["currency"]:
                raise IntakeRejected.single("unknown_currency", f"No pricelist in {entry['currency'].name}.", "currency")
            if entry["carrier"]:
                order.set_delivery_line(entry["carrier"], entry["shipping_price"])
            if entry["taxes_included"]:
                order._rg_prices_to_tax_excluded(
                    entry["unit_prices"] + ([entry["shipping_price"]] if entry["carrier"] else [])
                )
            self._rg_check_submitted_payment(order, entry["payment"])
        if orders:
            # The batch's customers follow their orders in one insert, the reordering rules are
            # checked once for the batch and the deliveries' origin notes are logged together
            # (see each method): what Odoo does per order when it confirms several at once.
            origin_notes, scheduler_moves = [], []
            orders._rg_subscribe_customers()
            orders.with_context(rg_origin_notes=origin_notes, rg_scheduler_moves=scheduler_moves).action_confirm()
            self.env["stock.move"].with_context(rg_origin_notes=origin_notes)._rg_trigger_scheduler(scheduler_moves)
            self.env["stock.picking"]._rg_log_origin_notes(origin_notes)
        results = []
        for order, entry in zip(orders, batch, strict=True):
            entry["intake"]._rg_set_record(
                order, sale_order_id=order.id, amount=order.amount_total, currency_code=order.currency_id.name
            )
            picking = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")[:1]
            results.append(self._rg_result("created", record=order, related={"picking": picking or None}))
        for index, intake in sorted(duplicates.items()):
            results.insert(index, self._rg_result("duplicate", record=intake.sale_order_id or intake._rg_record()))
        return results

    def _rg_check_submitted_payment(self, order, payment):
        """An order submitted as ``paid`` with an amount is ``paid`` only when the amount covers the
        order total (in the order currency, to its rounding); short of it, ``partially_paid``. An
        amount above the total is accepted and flagged on the order."""
        if payment.get("status") != "paid" or payment.get("amount") in (None, ""):
            return
        amount = _amount(payment.get("amount"), "payment/amount")
        comparison = float_compare(amount, order.amount_total, precision_rounding=order.currency_id.rounding)
        if comparison < 0:
            order.rg_payment_status = "partially_paid"
        elif comparison > 0:
            order._rg_flag_overpayment(amount)

    def _rg_line_values(self, product, line):
        values = {
            "product_id": product.id,
            "product_uom_qty": float(line["quantity"]),
            "price_unit": float(line.get("unit_price") or 0),
            "discount": float(line.get("discount_percent") or 0),
        }
        if line.get("name"):
            values["name"] = line["name"]
        return values

    def _rg_pricelist(self, partner, currency_code, reasons):
        """The order's currency and the pricelist that carries it: the partner's pricelist in that
        currency, else any pricelist of the company in it; none when it is the company currency
        and no pricelist exists. Unknown or inactive currencies are rejected."""
        return _lookup(self.env, ("pricelist", partner.id, currency_code), reasons, self._rg_find_pricelist, partner, currency_code)

    def _rg_find_pricelist(self, partner, currency_code, reasons):
        Currency = self.env["res.currency"].sudo().with_context(active_test=False)
        currency = Currency.search([("name", "=", currency_code or "")], limit=1)
        if not currency or not currency.active:
            reasons.append(_reason("unknown_currency", f"Currency {currency_code} is not active in Odoo.", "currency"))
            return currency, None
        pricelist = partner.pricelist_ids.filtered(lambda p: p.currency_id == currency)[:1]
        if not pricelist:
            pricelist = self.env["product.pricelist"].sudo().search(
                [("currency_id", "=", currency.id), ("company_id", "in", [False, partner.company_id.id])], limit=1
            )
        if not pricelist and currency != partner.company_id.currency_id:
            reasons.append(_reason("unknown_currency", f"No pricelist in {currency.name}.", "currency"))
            return currency, None
        return currency, pricelist or self.env["product.pricelist"]

    def _rg_address_values(self, address, field, reasons):
        if not isinstance(address, dict):
            reasons.append(_reason("invalid_address", "The address is missing.", field))
            return {}
        missing = [key for key in ("name", "street", "city", "country_code") if not address.get(key)]
        if missing:
            reasons.append(_reason("invalid_address", f"Missing {', '.join(missing)}.", f"{field}/{missing[0]}"))
            return {}
        country_code = str(address["country_code"]).upper()
        country = _lookup(
            self.env, ("country", country_code), [],
            lambda code, _reasons: self.env["res.country"].sudo().search([("code", "=", code)], limit=1), country_code,
        )
        if not country:
            reasons.append(_reason("invalid_address", f"Unknown country {address['country_code']}.", f"{field}/country_code"))
            return {}
        state = self.env["res.country.state"]
        if address.get("state_code"):
            state = _lookup(
                self.env, ("state", country.id, address["state_code"]), [],
                lambda code, _reasons: state.sudo().search([("country_id", "=", country.id), ("code", "=ilike", code)], limit=1),
                address["state_code"],
            )
            if not state:
                reasons.append(
                    _reason("invalid_address", f"Unknown state {address['state_code']}.", f"{field}/state_code")
                )
                return {}
        return {
            "name": address["name"],
            "company_name": address.get("company") or False,
            "street": address["street"],
            "street2": address.get("street2") or False,
            "city": address["city"],
            "zip": address.get("zip") or False,
            "state_id": state.id or False,
            "country_id": country.id,
            "phone": address.get("phone") or False,
            "email": address.get("email") or False,
        }

    def _rg_customer(self, partner, data):
        """Matches the customer by the partner's external id, then by e-mail; creates it otherwise.
        Existing contact data is completed, never overwritten; consent flags are kept and only a
        newer choice replaces a stored one."""
        Customer = self.env["res.partner"]
        Link = self.env["retail_gateway.customer.link"]
        lookups = self.env.context.get("rg_lookups")
        external_id = data.get("external_id")
        if lookups is not None and isinstance(external_id, str) and external_id in lookups.customers_by_link:
            customer = lookups.customers_by_link[external_id]
        else:
            link = Link.search([("partner_id", "=", partner.id), ("external_id", "=", external_id)], limit=1) if external_id else Link
            customer = link.customer_id
        email = (data.get("email") or "").strip()
        if not customer and email and lookups is not None and PLAIN_EMAIL.match(email):
            customer = lookups.customers_by_email.get(email.lower(), Customer)
        if not customer and email:
            customer = Customer.search(
                [
                    ("email", "=ilike", email),
                    ("parent_id", "=", False),
                    ("company_id", "in", [False, partner.company_id.id]),
                ],
                order="id",
                limit=1,
            )
        address = self._rg_address_values(data["address"], "customer/address", []) if data.get("address") else {}
        if not customer:
            customer = Customer.create(
                dict(address, name=data.get("name") or email, email=email, phone=data.get("phone") or False, customer_rank=1)
            )
        else:
            missing = {
                key: value
                for key, value in dict(address, phone=data.get("phone") or False).items()
                if value and not customer[key] and key not in ("name", "email")
            }
            if missing:
                customer.write(missing)
        existing = lookups.links_by_customer.get(customer.id) if lookups is not None else None
        if not existing:
            existing = Link.search([("partner_id", "=", partner.id), ("customer_id", "=", customer.id)], limit=1)
        if not existing:
            Link.create({"partner_id": partner.id, "customer_id": customer.id, "external_id": external_id or False})
            customer._rg_register_customer_updated(["external_ids"])
        elif external_id and not existing.external_id:
            existing.external_id = external_id
            customer._rg_register_customer_updated(["external_ids"])
        self.env["retail_gateway.consent"]._rg_apply(customer, data.get("consents"))
        return customer

    def _rg_child_address(self, customer, address_type, values):
        """A delivery or invoice contact under ``customer`` with ``values``, reused when identical;
        the customer itself when the address is the customer's own."""
        if not values:
            return customer
        keys = ("name", "street", "street2", "city", "zip", "state_id", "country_id")
        if all((customer[k].id if k.endswith("_id") else customer[k]) == values.get(k) for k in keys):
            return customer
        domain = [("parent_id", "=", customer.id), ("type", "=", address_type)]
        domain += [(key, "=", values.get(key) or False) for key in keys]
        child = self.env["res.partner"].search(domain, limit=1)
        if not child:
            child = self.env["res.partner"].create(dict(values, parent_id=customer.id, type=address_type))
        return child

    # ------------------------------------------------------------------ cancel / update / payments

    def _rg_cancel_order(self, partner, intake_id, item):
        order = self._rg_order(partner, _required_str(item, "external_id"))
        if order.state == "cancel":
            return self._rg_result("duplicate", record=order)
        shipped = order.picking_ids.filtered(lambda p: p.state == "done" and p.picking_type_code == "outgoing")
        invoiced = order.invoice_ids.filtered(lambda m: m.state == "posted")
        if shipped or invoiced:
            raise IntakeRejected.single(
                "order_not_cancellable",
                f"Order {order.name} is already {'shipped' if shipped else 'invoiced'}.",
                "external_id",
            )
        order._action_cancel()
        if item.get("reason"):
            order.message_post(body=self.env._("Cancelled by %(partner)s: %(reason)s", partner=partner.name, reason=item["reason"]))
        return self._rg_result("cancelled", record=order)

    def _rg_update_order(self, partner, intake_id, item):
        order = self._rg_order(partner, _required_str(item, "external_id"))
        reasons = []
        values = {}
        customer = order.partner_id
        if item.get("shipping_address"):
            address = self._rg_address_values(item["shipping_address"], "shipping_address", reasons)
            if order.picking_ids.filtered(lambda p: p.state == "done" and p.picking_type_code == "outgoing"):
                reasons.append(_reason("not_allowed", "The order has already been shipped.", "shipping_address"))
            elif address:
                values["partner_shipping_id"] = self._rg_child_address(customer, "delivery", address).id
        if item.get("billing_address"):
            address = self._rg_address_values(item["billing_address"], "billing_address", reasons)
            if order.invoice_ids.filtered(lambda m: m.state == "posted"):
                reasons.append(_reason("not_allowed", "The order has already been invoiced.", "billing_address"))
            elif address:
                values["partner_invoice_id"] = self._rg_child_address(customer, "invoice", address).id
        if "note" in item:
            values["note"] = item.get("note") or False
        if item.get("payment_status"):
            if item["payment_status"] not in PAYMENT_STATUSES:
                reasons.append(_reason("validation_error", "Unknown payment status.", "payment_status"))
            values["rg_payment_status"] = item["payment_status"]
        if reasons:
            raise IntakeRejected(reasons)
        if values:
            order.write(values)
            if "rg_payment_status" in values and any(order._rg_payment_amounts()):
                # Registered payments decide against the order total: a channel's "paid" cannot
                # overrule a payment short of it.
                order._rg_update_payment_status()
            if "partner_shipping_id" in values:
                order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel")).write(
                    {"partner_id": values["partner_shipping_id"]}
                )
        return self._rg_result("updated", record=order)

    def _rg_register_payment(self, partner, intake_id, item):
        order = self._rg_order(partner, _required_str(item, "external_id"))
        kind = item.get("kind")
        if kind not in ("paid", "refunded"):
            raise IntakeRejected.single("validation_error", "kind must be paid or refunded.", "kind")
        transaction_id = _required_str(item, "transaction_id")
        intake, created = self.env["retail_gateway.intake"]._rg_reserve(
            partner, "payment", f"{kind}:{transaction_id}", intake_id
        )
        if not created:
            return self._rg_result("duplicate", record=order)
        if item.get("currency") != order.currency_id.name:
            raise IntakeRejected.single(
                "unknown_currency", f"The order is in {order.currency_id.name}, not {item.get('currency')}.", "currency"
            )
        amount = _amount(item.get("amount"), "amount")
        payment = self.env["account.payment"]
        if kind == "paid":
            invoices = order.invoice_ids.filtered(
                lambda m: m.state == "posted" and m.move_type == "out_invoice" and m.payment_state in ("not_paid", "partial")
            )
            if invoices and not float_is_zero(amount, precision_rounding=order.currency_id.rounding):
                payment = self._rg_pay_invoices(invoices, amount, item)
        if kind == "paid" and not order.rg_payment_transaction:
            # The order came without its payment: the first payment registered names it.
            order.write({"rg_payment_transaction": transaction_id, "rg_payment_provider": order.rg_payment_provider or item.get("provider") or False})
        intake.write({"amount": amount, "currency_code": item.get("currency"), "note": kind})
        intake._rg_set_record(payment or order, sale_order_id=order.id)
        order._rg_update_payment_status()
        if kind == "paid":
            net = order._rg_net_paid()
            if float_compare(net, order.amount_total, precision_rounding=order.currency_id.rounding) > 0:
                order._rg_flag_overpayment(net)
        order.message_post(
            body=self.env._(
                "%(kind)s %(amount)s %(currency)s reported by %(provider)s (transaction %(transaction)s).",
                kind=self.env._("Payment") if kind == "paid" else self.env._("Refund"),
                amount=item.get("amount"),
                currency=item.get("currency"),
                provider=item.get("provider"),
                transaction=transaction_id,
            )
        )
        result = self._rg_result("registered", record=order, related={"payment": payment or None})
        if order.rg_payment_status:
            result["payment_status"] = order.rg_payment_status
        return result

    def _rg_pay_invoices(self, invoices, amount, item):
        residual = sum(invoices.mapped("amount_residual"))
        at = parse_rfc3339(item.get("at"))
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(
                {
                    "amount": residual if float_compare(amount, residual, precision_digits=2) > 0 else amount,
                    "payment_date": at.date() if at else fields.Date.context_today(self),
                    "communication": item.get("transaction_id"),
                    "group_payment": True,
                }
            )
        )
        return wizard._create_payments()


class _Prepared:
    """An order checked and ready to be created with the rest of its batch (not a result)."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = values


def _required_str(item, key):
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise IntakeRejected.single("validation_error", f"{key} is required.", key)
    return value


def _amount(value, field):
    """A decimal string (or number) as a float; refuses anything else."""
    try:
        amount = float(value if value not in (None, "") else 0)
    except (TypeError, ValueError):
        raise IntakeRejected.single("validation_error", f"{field} must be a decimal amount.", field) from None
    if amount < 0 or amount != amount or amount in (float("inf"), float("-inf")):
        raise IntakeRejected.single("validation_error", f"{field} must be a non-negative amount.", field)
    return amount


def _list(item, key):
    value = item.get(key)
    if not isinstance(value, list):
        raise IntakeRejected.single("validation_error", f"{key} must be a list.", key)
    return [entry if isinstance(entry, dict) else {} for entry in value]
