"""The account's overview card: what was paid today, in 7 days and this month, the sales
waiting or failed, the last webhook, and the lists each figure opens."""

from datetime import datetime, timedelta

import pytz

from odoo import fields, models

from ..const import PAID_STATUSES


class HotmartBackend(models.Model):
    _inherit = "hotmart.backend"

    # the overview's figures
    to_receive_count = fields.Integer(compute="_compute_overview")
    failed_count = fields.Integer(compute="_compute_overview")
    sales_today = fields.Monetary(
        compute="_compute_overview", currency_field="company_currency_id", string="Paid Today"
    )
    sales_week = fields.Monetary(
        compute="_compute_overview",
        currency_field="company_currency_id",
        string="Paid in the Last 7 Days",
    )
    sales_month = fields.Monetary(
        compute="_compute_overview", currency_field="company_currency_id", string="Paid This Month"
    )
    last_webhook_date = fields.Datetime(compute="_compute_overview", string="Last Webhook")
    sale_count = fields.Integer(compute="_compute_sale_count", string="Hotmart Sales")
    order_count = fields.Integer(compute="_compute_order_count", string="Orders")

    def _compute_sale_count(self):
        counts = dict(
            self.env["hotmart.sale"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.sale_count = counts.get(backend, 0)

    def _compute_overview(self):
        """Per account: sales waiting and failed, sales paid (approved) today, in the last 7
        days and this month (company currency, days of the user's time zone), and the last
        webhook received."""
        Sale = self.env["hotmart.sale"]
        states = Sale._read_group(
            [("backend_id", "in", self.ids), ("state", "in", ("pending", "failed"))],
            ["backend_id", "state"],
            ["__count"],
        )
        counts = {(backend, state): count for backend, state, count in states}
        periods = self._paid_period_starts()
        starts = {
            "sales_today": periods["today"],
            "sales_week": periods["week"],
            "sales_month": periods["month"],
        }
        paid = {}
        for name, day in starts.items():
            start = self._utc_start_of(day)
            for backend, total in Sale._read_group(
                [
                    ("backend_id", "in", self.ids),
                    ("status", "in", PAID_STATUSES),
                    ("approved_date", ">=", start),
                ],
                ["backend_id"],
                ["paid_amount_company:sum"],
            ):
                paid[(backend, name)] = total
        webhooks = dict(
            self.env["hotmart.webhook.event"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["received_date:max"]
            )
        )
        for backend in self:
            backend.to_receive_count = counts.get((backend, "pending"), 0)
            backend.failed_count = counts.get((backend, "failed"), 0)
            for name in starts:
                backend[name] = paid.get((backend, name), 0.0)
            backend.last_webhook_date = webhooks.get(backend, False)

    def _utc_start_of(self, day):
        """The first moment of ``day`` in the user's time zone, as naive UTC."""
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        start = tz.localize(datetime.combine(day, datetime.min.time()))
        return start.astimezone(pytz.utc).replace(tzinfo=None)

    def _compute_order_count(self):
        # a count for every Hotmart role, Sales rights or not; the button needs them
        counts = dict(
            self.env["sale.order"]
            .sudo()
            ._read_group(
                [("hotmart_backend_id", "in", self.ids)], ["hotmart_backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.order_count = counts.get(backend, 0)

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hotmart_connector.hotmart_sale_order_action"
        )
        action["domain"] = [("hotmart_backend_id", "=", self.id)]
        return action

    def _paid_period_starts(self):
        """{period: its first day} of the overview's figures, in the user's time zone."""
        today = fields.Date.context_today(self)
        return {
            "today": today,
            "week": today - timedelta(days=6),
            "month": today.replace(day=1),
        }

    def action_view_paid_sales(self):
        """The sales one of the card's figures adds up: paid (approved or complete) since the
        period's first day, in the user's time zone."""
        self.ensure_one()
        period = self.env.context.get("hotmart_paid_since")
        starts = self._paid_period_starts()
        if period not in starts:
            period = "today"
        action = self.action_view_sales()
        action["domain"] = [
            ("backend_id", "=", self.id),
            ("status", "in", PAID_STATUSES),
            ("approved_date", ">=", self._utc_start_of(starts[period])),
        ]
        titles = {
            "today": self.env._("Paid today: %(account)s", account=self.name),
            "week": self.env._("Paid in the last 7 days: %(account)s", account=self.name),
            "month": self.env._("Paid this month: %(account)s", account=self.name),
        }
        # the breadcrumb reads the display name of an action dict made from a record
        action["name"] = action["display_name"] = titles[period]
        action["context"] = {"default_backend_id": self.id}
        return action

    def action_view_sales(self):
        """The account's sales; the overview's buttons open them filtered (to receive...)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hotmart_connector.hotmart_sale_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = dict(self._search_defaults(), default_backend_id=self.id)
        return action

    def _search_defaults(self):
        """The filters a card's button asks the list it opens to show (to receive, failed,
        apart...)."""
        return {k: v for k, v in self.env.context.items() if k.startswith("search_default_")}
