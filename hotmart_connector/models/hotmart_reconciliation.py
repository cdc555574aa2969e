"""Does Odoo hold every sale Hotmart counted? One line per account, day and currency:
Hotmart's own count and value (``/sales/summary``) beside the sales stored in Odoo.

Days are Brasília days, as Hotmart counts them. Both sides count the statuses the summary
counts without a filter (approved and complete). Counts are compared always. Hotmart calls
the summary's value a total of commissions without saying whose, so a value that differs
while the counts agree reads "to check", not "missing".
"""

from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import float_compare

from ..const import HOTMART_TZ, SALE_STATUS_CODES, SUMMARY_STATUSES
from ..hotmart.actions import parse_sales_summary
from .formatting import format_money
from .guard import as_connector, check_hotmart_role

RECONCILIATION_STATES = [
    ("agreed", "Agrees"),
    ("to_check", "Value to check"),
    ("apart", "Sales apart"),
]


def hotmart_day_bounds(day):
    """[start, end] of a Brasília day, as naive UTC datetimes (end: its last millisecond)."""
    zone = pytz.timezone(HOTMART_TZ)
    start = zone.localize(datetime.combine(day, time.min)).astimezone(pytz.utc)
    end = zone.localize(datetime.combine(day + timedelta(days=1), time.min)).astimezone(pytz.utc)
    return start.replace(tzinfo=None), end.replace(tzinfo=None) - timedelta(milliseconds=1)


def hotmart_today():
    return datetime.now(pytz.timezone(HOTMART_TZ)).date()


class HotmartReconciliation(models.Model):
    _name = "hotmart.reconciliation"
    _description = "Hotmart Reconciliation"
    _order = "date desc, backend_id, currency_code"

    backend_id = fields.Many2one(
        "hotmart.backend", string="Account", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    date = fields.Date(
        required=True, readonly=True, index=True, help="A day as Hotmart counts it (Brasília)."
    )
    currency_code = fields.Char(required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    hotmart_count = fields.Integer(
        string="Hotmart Sales",
        readonly=True,
        help="Approved and complete sales of the day, as Hotmart's sales summary counts them.",
    )
    hotmart_amount = fields.Monetary(
        string="Hotmart Value",
        readonly=True,
        currency_field="currency_id",
        aggregator=None,
        help="The summary's value as Hotmart totals it (Hotmart calls it a total of "
        "commissions): compared with the buyers' prices, a difference is only to check.",
    )
    odoo_count = fields.Integer(
        string="Sales in Odoo",
        readonly=True,
        help="The account's sales stored in Odoo, ordered that day, approved or complete.",
    )
    odoo_amount = fields.Monetary(
        string="Value in Odoo",
        readonly=True,
        currency_field="currency_id",
        aggregator=None,
        help="What the buyers of those sales paid, in this currency.",
    )
    hotmart_amount_display = fields.Char(
        string="Hotmart Value (with currency)", compute="_compute_amount_displays"
    )
    odoo_amount_display = fields.Char(
        string="Value in Odoo (with currency)", compute="_compute_amount_displays"
    )
    difference_count = fields.Integer(
        string="Sales Apart",
        compute="_compute_difference",
        store=True,
        help="Hotmart's count minus Odoo's: above zero, sales Odoo does not hold (or holds "
        "in another status); below zero, sales Odoo counts that Hotmart no longer does.",
    )
    day_difference_count = fields.Integer(
        string="Sales Apart That Day",
        readonly=True,
        help="The same difference over all currencies of the day. Hotmart does not say in "
        "which currency it totals a sale: a difference in one currency that another one "
        "cancels out is to check, not sales apart.",
    )
    difference_amount = fields.Monetary(
        string="Value Apart", compute="_compute_difference", store=True, aggregator=None
    )
    state = fields.Selection(
        RECONCILIATION_STATES, compute="_compute_difference", store=True, index=True
    )
    read_date = fields.Datetime(
        string="Hotmart Read On", readonly=True, help="When Hotmart's summary of the day was read."
    )

    _sql_constraints = [
        (
            "day_currency_uniq",
            "unique(backend_id, date, currency_code)",
            "An account's day is reconciled once per currency.",
        ),
    ]

    @api.depends(
        "hotmart_count", "odoo_count", "hotmart_amount", "odoo_amount", "day_difference_count"
    )
    def _compute_difference(self):
        for line in self:
            line.difference_count = line.hotmart_count - line.odoo_count
            line.difference_amount = line.hotmart_amount - line.odoo_amount
            if line.difference_count and line.day_difference_count:
                line.state = "apart"
            elif line.difference_count or float_compare(
                line.hotmart_amount, line.odoo_amount, precision_digits=2
            ):
                line.state = "to_check"
            else:
                line.state = "agreed"

    @api.depends("hotmart_amount", "odoo_amount", "currency_id", "currency_code")
    def _compute_amount_displays(self):
        """Each value with its own currency: COP 153.660,00, not $ 153.660,00."""
        for line in self:
            args = (line.currency_id, line.currency_code, line.company_id)
            line.hotmart_amount_display = format_money(self.env, line.hotmart_amount, *args)
            line.odoo_amount_display = format_money(self.env, line.odoo_amount, *args)

    @api.depends("backend_id", "date", "currency_code")
    def _compute_display_name(self):
        for line in self:
            line.display_name = f"{line.backend_id.name} {line.date} {line.currency_code}"

    # ------------------------------------------------------------------ reconciling

    @api.model
    def _reconcile(self, backend, first_day, last_day):
        """Reconcile ``backend``'s days from ``first_day`` to ``last_day``: one summary call
        a day, one query for Odoo's side. Returns the lines of those days."""
        client = backend._get_client()
        hotmart = {}
        day = first_day
        while day <= last_day:
            hotmart[day] = parse_sales_summary(client.sales_summary(*hotmart_day_bounds(day)))
            day += timedelta(days=1)
        odoo = self._odoo_totals(backend, first_day, last_day)
        existing = {
            (line.date, line.currency_code): line
            for line in self.search(
                [
                    ("backend_id", "=", backend.id),
                    ("date", ">=", first_day),
                    ("date", "<=", last_day),
                ]
            )
        }
        keys = set(existing) | set(odoo)
        keys |= {(day, code) for day, lines in hotmart.items() for code in lines}
        currencies = self.env["hotmart.sale"]._currency_ids_by_code({code for _d, code in keys})
        now = fields.Datetime.now()
        day_differences = {}
        for day, lines_of_day in hotmart.items():
            counted = sum(line.count for line in lines_of_day.values())
            held = sum(count for (d, _code), (count, _t) in odoo.items() if d == day)
            day_differences[day] = counted - held
        lines, vals_list = self.browse(), []
        for day, code in sorted(keys):
            summary = hotmart[day].get(code)
            count, amount = odoo.get((day, code), (0, 0.0))
            values = {
                "hotmart_count": summary.count if summary else 0,
                "hotmart_amount": float(summary.value) if summary else 0.0,
                "odoo_count": count,
                "odoo_amount": amount,
                "day_difference_count": day_differences[day],
                "read_date": now,
            }
            if not (values["hotmart_count"] or values["odoo_count"]):
                # nothing on either side any more (refunded meanwhile): no line to read
                existing.get((day, code), self.browse()).unlink()
                continue
            if (day, code) in existing:
                existing[(day, code)].write(values)
                lines |= existing[(day, code)]
            else:
                vals_list.append(
                    dict(
                        values,
                        backend_id=backend.id,
                        date=day,
                        currency_code=code,
                        currency_id=currencies.get(code, False),
                    )
                )
        return lines | self.create(vals_list)

    @api.model
    def _odoo_totals(self, backend, first_day, last_day):
        """{(day, currency code): (count, total)} of the sales Odoo stores for these days."""
        self.env["hotmart.sale"].flush_model(["backend_id", "status", "order_date", "amount"])
        start, _end = hotmart_day_bounds(first_day)
        _start, end = hotmart_day_bounds(last_day)
        self.env.cr.execute(
            """
            SELECT (order_date AT TIME ZONE 'UTC' AT TIME ZONE %s)::date, currency_code,
                   count(*), coalesce(sum(amount), 0)
              FROM hotmart_sale
             WHERE backend_id = %s AND status = ANY(%s)
               AND order_date >= %s AND order_date <= %s
             GROUP BY 1, 2
            """,
            [HOTMART_TZ, backend.id, list(SUMMARY_STATUSES), start, end],
        )
        return {
            (day, code or ""): (count, float(total))
            for day, code, count, total in self.env.cr.fetchall()
        }

    # ------------------------------------------------------------------ reading again

    def action_read_again(self):
        """Read these days from Hotmart again (every status), receive what is new, then
        reconcile them again; returns a notification of how they stand now."""
        check_hotmart_role(self, "group_hotmart_manager")
        lines = as_connector(self)
        origin = self.env._("Read Again on the reconciliation")
        result = self.browse()
        for backend in lines.backend_id:
            backend._check_connected()
            days = sorted(
                set(lines.filtered(lambda line, b=backend: line.backend_id == b).mapped("date"))
            )
            # one read from the first day to the last, every status (pages, not a call per day)
            start, end = hotmart_day_bounds(days[0])[0], hotmart_day_bounds(days[-1])[1]
            sales = backend._fetch_sales(start, end, SALE_STATUS_CODES, cause=origin)
            # the sales now importable become orders; the others wait as usual
            sales.filtered(lambda sale: sale.state == "pending")._receive(origin)
            for day in days:
                result |= lines._reconcile(backend, day, day)
        return lines[:1].backend_id._notification(
            "success" if not any(line.difference_count for line in result) else "warning",
            self.env._("Reconciliation"),
            result._outcome_sentence(),
        )

    def _outcome_sentence(self):
        apart = self.filtered("difference_count")
        if not apart:
            return self.env._("Read again: Odoo holds every sale Hotmart counts on these days.")
        return self.env._(
            "Read again: %(count)s sales are still apart. Hotmart counts sales its sales list "
            "does not give yet, or Odoo keeps a status Hotmart changed: read again later, or "
            "compare the day's sales on Hotmart.",
            count=sum(abs(line.difference_count) for line in apart),
        )

    @api.model
    def _recent_days(self, backend):
        """The days the daily reconciliation covers: the status sync's window, up to
        yesterday (today's sales still come in)."""
        today = hotmart_today()
        return today - timedelta(days=backend.sync_lookback_days), today - timedelta(days=1)
