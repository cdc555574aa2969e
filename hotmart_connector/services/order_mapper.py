"""From a stored Hotmart sale to the values of its sale order, in small named hooks.

Other addons extend the order by inheriting ``hotmart.order.mapper`` and overriding one
hook (the customer, the lines, the fiscal values, the team, the attribution, the extra
values), the way
``account.edi.xml.ubl_20`` is extended, never the whole. The fiscal bridge, for one, adds
the fiscal operation in ``_fiscal_values`` and ``_line_values``.
"""

from dataclasses import dataclass

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression

from ..const import ROUNDING_PRODUCT
from ..hotmart.exceptions import HotmartBadPayloadError
from ..models.bulk import create_isolated
from ..models.explain import explain

# utm.source's unique name: another run making the same source first.
UTM_SOURCE_INDEX = "utm_source_unique_name"


def naive_utc(moment):
    return moment.replace(tzinfo=None) if moment else False


@dataclass
class OrderSource:
    """What one order is made of, looked up once for the batch it belongs to."""

    backend: models.Model  # hotmart.backend, in its company
    sale: models.Model  # hotmart.sale
    record: object  # the sale as hotmart.records.HotmartSale, from the stored columns
    partner: models.Model  # res.partner, matched or made for the buyer
    product: models.Model  # product.product
    amount: float  # what the buyer paid, in company currency
    mapping: dict  # the account's {hotmart status: mapping line}
    utm_source: models.Model = None  # utm.source of the link that sold it, if it says


class HotmartOrderMapper(models.AbstractModel):
    _name = "hotmart.order.mapper"
    _description = "Hotmart Sale to Sale Order"

    @api.model
    def _prepare_orders(self, backend, sales):
        """({sale: order values}, {sale: reason}) for these sales of ``backend``: customers
        and products are matched (or made) for the whole batch, then each order is mapped
        alone, so that one sale Odoo refuses fails alone."""
        failed, records = {}, {}
        for sale in sales:
            try:
                records[sale] = sale._to_record()
            except HotmartBadPayloadError as error:
                failed[sale] = explain(self.env, error)
        # a co-production or affiliate sale is ordered from Hotmart, for the commission
        own = {sale: record for sale, record in records.items() if not sale._is_commission_sale()}
        partners, partner_errors = self.env["res.partner"]._hotmart_find_or_create(
            backend, {sale: record.buyer for sale, record in own.items()}
        )
        products, product_errors = self.env["product.template"]._hotmart_find_or_create(
            backend, list(own.values())
        )
        if len(own) < len(records):
            partners.update(dict.fromkeys(set(records) - set(own), backend._hotmart_partner()))
        first_rate_days = backend._first_rate_days(sales.currency_id)
        mapping = backend._status_mapping()
        utm_sources = self._utm_sources(sales)
        vals_by_sale = {}
        for sale, record in records.items():
            reason = partner_errors.get(sale) or product_errors.get(record.product_id)
            if reason:
                failed[sale] = reason
                continue
            try:
                if sale in own:
                    product = products[record.product_id]
                    amount = backend._convert_to_company_currency(
                        record.amount,
                        sale.currency_id,
                        record.currency,
                        record.order_date,
                        first_rate_days,
                    )
                else:
                    product, amount = sale._commission_product(), sale._commission_to_order()
                source = OrderSource(
                    backend,
                    sale,
                    record,
                    partners[sale],
                    product,
                    amount,
                    mapping,
                    utm_sources.get(sale._link_source()),
                )
                vals_by_sale[sale] = self._order_values(source)
            except (UserError, ValidationError) as error:
                failed[sale] = error.args[0]
        return vals_by_sale, failed

    @api.model
    def _order_values(self, source):
        """The order of one sale: the hooks below, each a small part of it."""
        values = self._customer_values(source)
        values.update(self._fiscal_values(source))
        values["order_line"] = [
            fields.Command.create(line) for line in self._line_values(source, values)
        ]
        values.update(self._team_values(source))
        values.update(self._attribution_values(source))
        values.update(self._hotmart_values(source))
        values.update(self._extra_values(source))
        return values

    # ------------------------------------------------------------------ hooks

    @api.model
    def _customer_values(self, source):
        """Who ordered, in which company, on which day."""
        record = source.record
        return {
            "partner_id": source.partner.id,
            "company_id": source.backend.company_id.id,
            "date_order": naive_utc(record.order_date) or fields.Datetime.now(),
            "client_order_ref": record.transaction,
            "origin": f"Hotmart {record.transaction}",
            "pricelist_id": False,
        }

    @api.model
    def _fiscal_values(self, source):
        """The fiscal position: the account's, or its ICMS contributors' one."""
        return {"fiscal_position_id": source.backend._fiscal_position_for(source.partner).id}

    @api.model
    def _line_values(self, source, order_values):
        """The order's lines: the product at the unit price that makes the total what the
        buyer paid, taxes included, and a rounding line for a cent taxes cannot reach."""
        backend, record, product = source.backend, source.record, source.product
        fiscal_position = self.env["account.fiscal.position"].browse(
            order_values.get("fiscal_position_id")
        )
        price_unit, rounding = self.env["sale.order"]._hotmart_price_unit(
            product, source.amount, fiscal_position, backend.company_id, source.partner
        )
        name = record.product_name or product.display_name
        if source.sale._is_commission_sale():
            name = self.env._(
                "%(service)s: %(product)s (Hotmart %(transaction)s)",
                service=product.name,
                product=name,
                transaction=record.transaction,
            )
        installment = source.sale._installment_label()
        if installment:
            name = self.env._(
                "%(product)s (%(installment)s)", product=name, installment=installment
            )
        lines = [
            {
                "product_id": product.id,
                "name": name,
                "product_uom_qty": 1,
                "price_unit": price_unit,
            }
        ]
        if rounding:
            adjustment = self.env.ref(ROUNDING_PRODUCT, raise_if_not_found=False) or product
            lines.append(
                {
                    "product_id": adjustment.id,
                    "name": self.env._("Rounding adjustment"),
                    "product_uom_qty": 1,
                    "price_unit": rounding,
                    "tax_id": [fields.Command.clear()],
                }
            )
        return lines

    @api.model
    def _team_values(self, source):
        """The account's sales team and salesperson."""
        backend = source.backend
        values = {"user_id": backend.user_id.id or False}
        if backend.team_id:
            values["team_id"] = backend.team_id.id
        return values

    @api.model
    def _attribution_values(self, source):
        """Which link sold it: Hotmart's src (else sck) as the order's UTM source, for
        Marketing's reports."""
        return {"source_id": source.utm_source.id} if source.utm_source else {}

    @api.model
    def _utm_sources(self, sales):
        """{name: utm.source} of these sales' links, found (whatever the case) or made once
        for the batch. A source another run makes at the same time aborts the batch for a
        retry, as a customer or a product would."""
        names = {sale._link_source() for sale in sales} - {""}
        if not names:
            return {}
        Source = self.env["utm.source"].sudo().with_context(active_test=False)
        found = {}
        domain = expression.OR([[("name", "=ilike", name)] for name in sorted(names)])
        for source in Source.search(domain, order="id"):
            found.setdefault(source.name.lower(), source)
        # one source per name whatever its case
        missing = list({n.lower(): n for n in sorted(names) if n.lower() not in found}.values())
        created, _refused = create_isolated(
            Source,
            missing,
            [{"name": name} for name in missing],
            lambda values, reason: reason,
            race_indexes=(UTM_SOURCE_INDEX,),
        )
        found.update((name.lower(), source) for name, source in created.items())
        return {name: found[name.lower()] for name in names if name.lower() in found}

    @api.model
    def _hotmart_values(self, source):
        """The binding to the sale, what the buyer paid, and the status applied."""
        sale, record = source.sale, source.record
        return {
            "hotmart_sale_id": sale.id,
            # level-triggered status: applied now if it maps, tried again by every sync if not
            **sale._status_bookkeeping(source.mapping),
            "hotmart_amount": float(record.amount),
            "hotmart_currency_id": sale.currency_id.id,
            "hotmart_expected_total": source.amount,
        }

    @api.model
    def _extra_values(self, source):
        """Anything else an addon adds to the order; nothing here. No quotation template:
        its e-mail would go to the buyer when the order is confirmed."""
        if "sale_order_template_id" in self.env["sale.order"]._fields:
            return {"sale_order_template_id": False}
        return {}
