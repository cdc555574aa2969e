import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round

from .bulk import REFUSALS, create_isolated, reason_of, together_else_each

_logger = logging.getLogger(__name__)

# The order in which a Hotmart status may move an order forward (docs/architecture.md).
STATE_RANK = {"draft": 0, "sale": 1, "done": 2, "cancel": 3}
# Set to 0 when another addon names orders or subscribes followers its own way: the
# connector then lets Odoo number and subscribe each order alone, as plain ORM does.
BATCH_SHORTCUTS = "hotmart_connector.batch_shortcuts"
# Quiet ORM work: the connector writes its own chatter lines, one per order and change.
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
# Written by the connector only: they decide which Hotmart sale an order follows, and how.
CONNECTOR_FIELDS = (
    "hotmart_sale_id",
    "hotmart_transaction",
    "hotmart_status",
    "hotmart_backend_id",
    "hotmart_amount",
    "hotmart_currency_id",
    "hotmart_applied_status",
    "hotmart_refused_status",
    "hotmart_subscription_id",
    "hotmart_recurrence_number",
    "hotmart_expected_total",
)
# What the producer's money on an order is: internal sales and accounting users only, never
# a portal customer reading their own order.
MONEY_GROUPS = "sales_team.group_sale_salesman,account.group_account_invoice"
# What makes an order's total: a person may not change these on an order received from
# Hotmart, whose total is what the buyer paid and is what the connector invoices.
AMOUNT_FIELDS = (
    "pricelist_id",
    "currency_id",
    "fiscal_position_id",
    "company_id",
    "partner_id",
    "partner_invoice_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
)


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "hotmart.guarded.mixin"]
    _hotmart_guarded_fields = CONNECTOR_FIELDS

    hotmart_sale_id = fields.Many2one(
        "hotmart.sale", readonly=True, copy=False, index="btree_not_null"
    )
    hotmart_transaction = fields.Char(
        related="hotmart_sale_id.transaction", string="Hotmart Transaction", store=True, index=True
    )
    hotmart_status = fields.Selection(
        related="hotmart_sale_id.status", string="Hotmart Status", store=True
    )
    hotmart_backend_id = fields.Many2one(
        related="hotmart_sale_id.backend_id",
        string="Hotmart Account",
        store=True,
        groups=MONEY_GROUPS,
    )
    hotmart_subscription_id = fields.Many2one(
        related="hotmart_sale_id.subscription_id",
        string="Hotmart Subscription",
        store=True,
        index="btree_not_null",
    )
    hotmart_recurrence_number = fields.Integer(
        related="hotmart_sale_id.recurrence_number",
        string="Hotmart Recurrence",
        store=True,
        help="Which charge of its subscription this order is (1 for the first).",
    )
    hotmart_amount = fields.Monetary(
        string="Paid on Hotmart",
        aggregator=None,  # in the currency of each sale: never added up
        currency_field="hotmart_currency_id",
        readonly=True,
        copy=False,
        help="What the buyer paid, in the currency of the sale.",
    )
    hotmart_currency_id = fields.Many2one("res.currency", readonly=True, copy=False)
    hotmart_expected_total = fields.Monetary(
        string="Total Made From Hotmart",
        currency_field="currency_id",
        aggregator=None,
        readonly=True,
        copy=False,
        groups=MONEY_GROUPS,
        help="The total the order was made with: what the buyer paid, in company currency. "
        "The connector invoices an order only while its total is still this.",
    )
    hotmart_payout_currency_id = fields.Many2one(
        related="hotmart_sale_id.payout_currency_id",
        string="Hotmart Payout Currency",
        groups=MONEY_GROUPS,
    )
    hotmart_fee_amount = fields.Monetary(
        related="hotmart_sale_id.fee_amount",
        currency_field="hotmart_payout_currency_id",
        groups=MONEY_GROUPS,
    )
    hotmart_commission_amount = fields.Monetary(
        related="hotmart_sale_id.commission_amount",
        currency_field="hotmart_payout_currency_id",
        groups=MONEY_GROUPS,
    )
    hotmart_net_amount = fields.Monetary(
        related="hotmart_sale_id.net_amount",
        currency_field="hotmart_payout_currency_id",
        groups=MONEY_GROUPS,
    )
    hotmart_invoice_state = fields.Selection(
        related="hotmart_sale_id.invoice_state", groups=MONEY_GROUPS
    )
    hotmart_applied_status = fields.Char(
        string="Applied Hotmart Status",
        readonly=True,
        copy=False,
        help="The last Hotmart status the connector applied to this order. While the sale's "
        "status differs, the next sync, webhook or 'Apply Mapping Now' applies it.",
    )
    hotmart_refused_status = fields.Char(
        readonly=True,
        copy=False,
        help="A Hotmart status this order could not follow, already explained in the chatter.",
    )

    _sql_constraints = [
        (
            "hotmart_sale_uniq",
            "unique(hotmart_sale_id)",
            "A Hotmart sale can have only one sale order.",
        ),
    ]

    def write(self, vals):
        if not self.env.su and any(name in vals for name in AMOUNT_FIELDS):
            self._hotmart_check_amounts_editable()
        return super().write(vals)

    def _hotmart_check_amounts_editable(self):
        """People do not change what makes a Hotmart order's total: it is what the buyer
        paid, and what the connector invoices."""
        received = self.filtered("hotmart_sale_id")
        if received and not self.env.su:
            raise UserError(
                self.env._(
                    "Order %(order)s was received from Hotmart: its customer, lines, prices, "
                    "taxes and currency are what the buyer paid, and what the connector "
                    "invoices. Change the sale on Hotmart, or make a new order for anything "
                    "else.",
                    order=received[0].name,
                )
            )

    def _prepare_confirmation_values(self):
        values = super()._prepare_confirmation_values()
        if self and all(self.mapped("hotmart_sale_id")):
            # a Hotmart order keeps the date the buyer ordered on Hotmart
            values.pop("date_order", None)
        return values

    # ------------------------------------------------------------------ creation

    @api.model
    def _hotmart_price_unit(self, product, amount, fiscal_position, company, partner):
        """(unit price, rounding) that make the order total, taxes included, equal ``amount``.

        Hotmart's amount is what the buyer paid, taxes included. With taxes that are not
        included in the price, the unit price is solved for that total; when per-line tax
        rounding makes the exact total unreachable (it skips some cents), the cent left is
        returned as ``rounding``, for an untaxed line that says so.
        """
        taxes = product.taxes_id._filter_taxes_by_company(company)
        if fiscal_position:
            taxes = fiscal_position.map_tax(taxes)
        if not taxes or all(tax.price_include for tax in taxes):
            return amount, 0.0
        currency = company.currency_id
        AccountTax = self.env["account.tax"]

        def order_total(price_unit):
            # the very computation sale.order._compute_amounts makes of a one-line order
            base_line = AccountTax._prepare_base_line_for_taxes_computation(
                {},
                tax_ids=taxes,
                price_unit=price_unit,
                quantity=1.0,
                currency_id=currency,
                product_id=product,
                partner_id=partner,
                rate=1.0,
            )
            AccountTax._add_tax_details_in_base_lines([base_line], company)
            AccountTax._round_base_lines_tax_details([base_line], company)
            summary = AccountTax._get_tax_totals_summary([base_line], currency, company)
            return summary["total_amount_currency"]

        included = order_total(amount)
        if not included:
            return amount, 0.0
        exact = amount * amount / included
        nearest = [float_round(exact + cents / 100, 2) for cents in (0, 1, -1, 2, -2)]
        totals = {}
        for price_unit in (price for price in nearest if price > 0):
            # the nearest first: the exact price usually gives the total at once
            totals[price_unit] = order_total(price_unit)
            if currency.is_zero(totals[price_unit] - amount):
                return price_unit, 0.0
        price_unit = min(totals, key=lambda price: abs(totals[price] - amount))
        return price_unit, currency.round(amount - totals[price_unit])

    @api.model
    def _hotmart_create_orders(self, vals_by_sale):
        """Create the orders in bulk; returns ({sale: order}, {sale: reason})."""
        sales = list(vals_by_sale)
        vals_list = [vals_by_sale[sale] for sale in sales]
        self._hotmart_name_orders(vals_list)
        return create_isolated(
            self.with_context(**QUIET),
            sales,
            vals_list,
            lambda _values, reason: self.env._("Odoo refused the order: %(reason)s", reason=reason),
        )

    @api.model
    def _hotmart_name_orders(self, vals_list):
        """Number new orders as ``create`` does, with the sequence looked up once per company.

        ``create`` calls ``ir.sequence.next_by_code``, which searches the sequence again for
        every order: in a batch of hundreds that search costs more than the numbers. Without
        a sale.order sequence the values stay unnamed, and ``create`` names them as usual.
        """
        if not self._hotmart_batch_shortcuts():
            return
        Sequence = self.env["ir.sequence"]
        sequences = {}
        for vals in vals_list:
            if "name" in vals:
                continue
            company_id = vals.get("company_id")
            if company_id not in sequences:
                in_company = Sequence.with_company(company_id)
                sequences[company_id] = in_company.search(
                    [
                        ("code", "=", "sale.order"),
                        ("company_id", "in", [in_company.env.company.id, False]),
                    ],
                    order="company_id",
                    limit=1,
                )
            sequence = sequences[company_id]
            if sequence:
                moment = fields.Datetime.to_datetime(vals.get("date_order"))
                day = fields.Datetime.context_timestamp(self, moment) if moment else None
                try:
                    vals["name"] = sequence._next(sequence_date=day)
                except REFUSALS:
                    # left unnamed: create draws it again and refuses this sale alone, saying why
                    continue

    @api.model
    def _hotmart_batch_shortcuts(self):
        """Whether a batch's orders are numbered and their customers subscribed at once."""
        value = self.env["ir.config_parameter"].sudo().get_param(BATCH_SHORTCUTS, "1")
        return value.strip().lower() not in ("0", "false", "no", "off")

    # ------------------------------------------------------------------ states

    def _hotmart_state(self):
        """The order's place in draft < sale < done (confirmed and locked) < cancel."""
        self.ensure_one()
        if self.state == "cancel":
            return "cancel"
        if self.state == "sale":
            return "done" if self.locked else "sale"
        return "draft"

    @api.model
    def _hotmart_count_of(self, state, count):
        """``count`` orders in ``state``, as a phrase ("2 quotations"): a message for one and
        one for many, as Portuguese needs (Odoo's translations have no plural forms)."""
        if count == 1:
            return {
                "draft": self.env._("1 quotation"),
                "sale": self.env._("1 sales order"),
                "done": self.env._("1 locked sales order"),
                "cancel": self.env._("1 cancelled order"),
            }[state]
        return {
            "draft": self.env._("%(count)s quotations", count=count),
            "sale": self.env._("%(count)s sales orders", count=count),
            "done": self.env._("%(count)s locked sales orders", count=count),
            "cancel": self.env._("%(count)s cancelled orders", count=count),
        }[state]

    @api.model
    def _hotmart_state_label(self, state):
        field = self.env["hotmart.status.mapping"]._fields["order_state"]
        return dict(field._description_selection(self.env))[state]

    def _hotmart_move_batch(self, target):
        """Move new quotations forward to ``target`` in bulk (one by one if the bulk fails);
        an order that cannot be moved says so in its chatter."""
        if target == "draft" or not self:
            return

        def refused(order, error):
            # not applied: the next sync tries again
            order.with_context(**QUIET).write(
                {
                    "hotmart_applied_status": False,
                    "hotmart_refused_status": order.hotmart_sale_id.status,
                }
            )
            order._message_log(
                body=self.env._(
                    "Could not set this order to %(state)s as Hotmart's status asks: %(reason)s",
                    state=self._hotmart_state_label(target),
                    reason=reason_of(error),
                )
            )

        together_else_each(
            self,
            lambda orders: orders.with_context(**QUIET)._hotmart_move("draft", target),
            refused,
            f"Moving orders to {target}",
        )

    def _hotmart_ask_a_person(self, summary, note):
        """A to-do on this order for the person its account names: what the connector
        cannot do itself."""
        self.ensure_one()
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=self.hotmart_backend_id._activity_user(self).id,
            summary=summary,
            note=note,
        )

    def _hotmart_schedule_review(self, status):
        """Leave a to-do for a person: Hotmart's status needs one (a dispute...)."""
        label = self._hotmart_status_label(status)
        summary = {
            "PROTESTED": self.env._("Disputed on Hotmart"),
            "PARTIALLY_REFUNDED": self.env._("Partially refunded on Hotmart"),
        }.get(status) or self.env._("Hotmart: %(status)s", status=label)
        for order in self:
            order._hotmart_ask_a_person(
                summary=summary,
                note=self.env._(
                    "Hotmart says %(status)s for transaction %(transaction)s. Check the sale "
                    "on Hotmart and decide what to do with this order.",
                    status=label,
                    transaction=order.hotmart_transaction,
                ),
            )

    @api.model
    def _hotmart_status_label(self, status):
        """A Hotmart status as people read it ("Refunded"), not its code."""
        field = self.env["hotmart.sale"]._fields["status"]
        return dict(field._description_selection(self.env)).get(status, status)

    def _hotmart_subscribe_customers(self):
        """Make each order's customer a follower, as ``action_confirm`` does, for all these
        orders at once.

        ``action_confirm`` subscribes the customer of each order not followed by them yet,
        one order at a time: five queries an order, a third of confirming a batch. The
        followers made here are the ones it would make (active contacts only, with the
        default subtypes of a customer, or of an internal contact; the current user's own
        contact as an internal one), so it then finds each customer following and moves on.
        """
        partner_ids = self.partner_id.ids
        if not partner_ids or not self._hotmart_batch_shortcuts():
            return
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search_fetch([("id", "in", partner_ids)], ["active", "partner_share"])
        )
        active = set(partners.filtered("active").ids)
        customers = set(partners.filtered("partner_share").ids)
        # the user's own contact is subscribed as an internal one, even archived, as Odoo does
        me = self.env.user.partner_id.id
        if me in partner_ids:
            active.add(me)
            customers.discard(me)
        default, _internal, external = self.env["mail.message.subtype"].default_subtypes(self._name)
        Followers = self.env["mail.followers"].sudo().with_context(default_partner_id=False)
        following = {
            (res_id, partner_id)
            for _id, res_id, partner_id, _subtypes in Followers._get_subscription_data(
                [(self._name, self.ids)], partner_ids
            )
        }
        Followers.create(
            [
                {
                    "res_model": self._name,
                    "res_id": order.id,
                    "partner_id": order.partner_id.id,
                    "subtype_ids": [
                        fields.Command.set(
                            (external if order.partner_id.id in customers else default).ids
                        )
                    ],
                }
                for order in self
                if order.partner_id.id in active
                and (order.id, order.partner_id.id) not in following
            ]
        )
        self.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    # ------------------------------------------------------------------ following Hotmart

    @api.model
    def _hotmart_out_of_step(self, sales=None, backend=None):
        """Orders whose sale's Hotmart status is not the one last applied to them.

        One query, whatever the number of orders: a sync that reads unchanged sales finds
        nothing here, and writes nothing.
        """
        self.env["hotmart.sale"].flush_model(["status", "sale_order_id", "backend_id"])
        self.flush_model(["hotmart_applied_status"])
        where, params = [], []
        if sales is not None:
            if not sales:
                return self.browse()
            where.append("s.id = ANY(%s)")
            params.append(list(sales.ids))
        if backend is not None:
            where.append("s.backend_id = %s")
            params.append(backend.id)
        self.env.cr.execute(
            "SELECT o.id FROM hotmart_sale s JOIN sale_order o ON o.id = s.sale_order_id "
            "WHERE o.hotmart_sale_id = s.id AND s.status IS NOT NULL "
            "AND o.hotmart_applied_status IS DISTINCT FROM s.status"
            + "".join(f" AND {clause}" for clause in where)
            + " ORDER BY o.id",
            params,
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _hotmart_apply_status(self, cause):
        """Apply each order's current Hotmart status; returns {'applied', 'refused'} orders."""
        result = {"applied": self.browse(), "refused": self.browse()}
        for order in self:
            key = "applied" if order._hotmart_follow_status(cause) else "refused"
            result[key] |= order
        return result

    def _hotmart_follow_status(self, cause):
        """Apply the mapping of the sale's Hotmart status to this order, and say so.

        Forward always (draft < sale < done < cancel); backward only when the account
        allows going back. A status with no mapping line changes nothing but the Hotmart
        status shown. Returns whether the status is now applied; when it is not, it stays
        out of step and every later sync tries again (a refusal is told once).
        """
        self.ensure_one()
        sale = self.hotmart_sale_id
        status = sale.status
        backend = sale.backend_id
        line = backend._status_mapping().get(status)
        current = self._hotmart_state()
        labels = dict(sale._fields["status"]._description_selection(self.env))
        header = self.env._(
            "Hotmart status %(old)s → %(new)s (%(cause)s).",
            old=labels.get(self.hotmart_applied_status, self.hotmart_applied_status or "-"),
            new=labels.get(status, status),
            cause=cause,
        )
        if not line:
            return self._hotmart_not_applied(
                status, header + " " + self.env._("No mapping for this status: order unchanged.")
            )
        target = line.order_state
        if target == current:
            return self._hotmart_applied(
                line,
                header
                + " "
                + self.env._(
                    "The order is already %(state)s.", state=self._hotmart_state_label(current)
                ),
            )
        going_back = STATE_RANK[target] < STATE_RANK[current]
        if going_back and not backend.allow_status_regression:
            return self._hotmart_not_applied(
                status,
                header
                + " "
                + self.env._(
                    "It maps to %(target)s, but orders only move forward on this account "
                    "(Allow Going Back is off): the order stays %(state)s.",
                    target=self._hotmart_state_label(target),
                    state=self._hotmart_state_label(current),
                ),
            )
        refusal = self._hotmart_why_not(target)
        if not refusal:
            try:
                with self.env.cr.savepoint():
                    self.with_context(**QUIET)._hotmart_move(current, target)
                    self.flush_recordset()
            except REFUSALS as error:
                refusal = reason_of(error)
        if refusal:
            return self._hotmart_not_applied(
                status,
                header
                + " "
                + self.env._(
                    "Could not set this order to %(target)s as Hotmart's status asks: %(reason)s",
                    target=self._hotmart_state_label(target),
                    reason=refusal,
                ),
                review=True,
            )
        return self._hotmart_applied(
            line,
            header
            + " "
            + self.env._(
                "Order %(old)s → %(new)s.",
                old=self._hotmart_state_label(current),
                new=self._hotmart_state_label(target),
            ),
        )

    def _hotmart_applied(self, line, body):
        self.ensure_one()
        self.with_context(**QUIET).write(
            {"hotmart_applied_status": line.hotmart_status, "hotmart_refused_status": False}
        )
        self._message_log(body=body)
        if line.create_activity:
            self._hotmart_schedule_review(line.hotmart_status)
        return True

    def _hotmart_not_applied(self, status, body, review=False):
        """The order cannot follow ``status`` now; say it once, not at every sync."""
        self.ensure_one()
        if self.hotmart_refused_status != status:
            self.with_context(**QUIET).write({"hotmart_refused_status": status})
            self._message_log(body=body)
            if review:
                self._hotmart_schedule_review(status)
        return False

    def _hotmart_why_not(self, target):
        """Why Odoo would not let this order reach ``target``, in words, or None."""
        posted = self.invoice_ids.filtered(
            lambda move: (
                move.state == "posted"
                and move.move_type == "out_invoice"
                and not move.reversal_move_ids.filtered(lambda r: r.state == "posted")
            )
        )
        if target in ("cancel", "draft") and posted:
            return self.env._(
                "it has posted invoices (%(invoices)s). Issue a credit note for them, then "
                "cancel the order.",
                invoices=", ".join(posted.mapped("name")),
            )
        return None

    def _hotmart_move(self, current, target):
        """These orders, all in ``current`` state, to ``target``, forward or back, in bulk."""
        if target != "done":
            self.filtered("locked").action_unlock()
        if target == "cancel":
            self._action_cancel()
            return
        if current == "cancel" or (target == "draft" and current in ("sale", "done")):
            if current != "cancel":
                self._action_cancel()
            self.action_draft()
        if target in ("sale", "done"):
            to_confirm = self.filtered(lambda order: order.state in ("draft", "sent"))
            to_confirm._hotmart_subscribe_customers()
            to_confirm.action_confirm()
        if target == "done":
            self.filtered(lambda order: not order.locked).action_lock()
