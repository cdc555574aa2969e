import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import PAID_STATUSES, SALE_STATUSES
from ..hotmart.subscriptions import (
    ENDED_STATUSES,
    RECURRING_STATUSES,
    SUBSCRIPTION_STATUSES,
    monthly_amount,
)
from .bulk import changed_values, create_isolated
from .formatting import format_money

_logger = logging.getLogger(__name__)


CODE_INDEX = "hotmart_subscription_subscriber_code_uniq"
# A subscription first seen in a webhook does not say how often it charges: the
# subscriptions sync, triggered this long after, fills in its plan's period.
PLAN_LOOKUP_DELAY = timedelta(minutes=5)


def _naive_utc(moment):
    return moment.replace(tzinfo=None) if moment else False


class HotmartSubscription(models.Model):
    """One Hotmart subscription of one account: what the subscriber signed up for, and the
    orders of its charges. Written by the connector only, from the subscriptions pages and
    from webhooks, newest news first: a late event never undoes a newer one."""

    _name = "hotmart.subscription"
    _inherit = ["mail.thread"]
    _description = "Hotmart Subscription"
    _order = "date_start desc, id desc"
    _rec_name = "subscriber_code"

    backend_id = fields.Many2one(
        "hotmart.backend", string="Account", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    subscriber_code = fields.Char(required=True, readonly=True, index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Subscriber", readonly=True, index="btree_not_null"
    )
    subscriber_name = fields.Char(readonly=True)
    subscriber_email = fields.Char(
        readonly=True, help="As Hotmart gave it, lower case: how REST sales find it."
    )
    product_id = fields.Many2one("product.product", readonly=True)
    hotmart_product_id = fields.Char(string="Hotmart Product ID", readonly=True, index=True)
    product_name = fields.Char(readonly=True)
    plan_name = fields.Char(string="Plan", readonly=True, tracking=True)
    plan_code = fields.Char(string="Hotmart Plan ID", readonly=True)
    period_days = fields.Integer(
        string="Charged Every (days)", readonly=True, help="0 until Hotmart says it."
    )
    status = fields.Selection(
        SUBSCRIPTION_STATUSES, readonly=True, index=True, tracking=True, group_expand=True
    )
    price = fields.Monetary(
        string="Price per Charge", readonly=True, currency_field="currency_id", aggregator=None
    )
    currency_id = fields.Many2one("res.currency", readonly=True)
    price_display = fields.Char(
        string="Price",
        compute="_compute_price_display",
        help="The price per charge with its own currency: COP 153.660,00, not $ 153.660,00.",
    )
    recurring_amount = fields.Monetary(
        string="Monthly Amount",
        compute="_compute_recurring_amount",
        store=True,
        currency_field="currency_id",
        aggregator=None,  # in each subscription's currency: MRR is the sum
        help="The price per charge as a monthly amount: a yearly plan's price divided by 12.",
    )
    recurring_amount_company = fields.Monetary(
        string="Monthly Amount (company currency)",
        compute="_compute_recurring_amount",
        store=True,
        currency_field="company_currency_id",
        help="At the account's USD and EUR rates, otherwise Odoo's rate of the last update.",
    )
    mrr = fields.Monetary(
        string="MRR",
        compute="_compute_recurring_amount",
        store=True,
        currency_field="company_currency_id",
        help="Monthly recurring revenue in company currency: the monthly amount while the "
        "subscription is paid up, or late or overdue after a paid charge; zero otherwise.",
    )
    date_start = fields.Datetime(string="Started On", readonly=True, index=True)
    date_next_charge = fields.Datetime(string="Next Charge", readonly=True, tracking=True)
    date_cancelled = fields.Datetime(string="Cancelled On", readonly=True, index=True)
    date_access_end = fields.Datetime(
        string="Paid Access Until",
        readonly=True,
        help="A cancelled subscription's paid period: the subscriber keeps access until then.",
    )
    previous_plan_name = fields.Char(string="Previous Plan", readonly=True)
    plan_switch_date = fields.Datetime(string="Plan Switched On", readonly=True)
    first_transaction = fields.Char(readonly=True, help="The transaction of the first charge.")
    status_date = fields.Datetime(readonly=True, help="When Hotmart said the current status.")
    plan_date = fields.Datetime(readonly=True, help="When Hotmart said the current plan.")
    next_charge_said_date = fields.Datetime(
        readonly=True, help="When Hotmart said the next charge date."
    )
    sale_ids = fields.One2many("hotmart.sale", "subscription_id", string="Charges", readonly=True)
    sale_order_ids = fields.One2many(
        "sale.order", "hotmart_subscription_id", string="Orders", readonly=True
    )
    charge_count = fields.Integer(
        string="Charges Paid on Hotmart",
        compute="_compute_charge_count",
        store=True,
        help="Hotmart's recurrence number of the last paid charge known: charges paid before "
        "the connector was installed, which Odoo does not hold, count too.",
    )
    odoo_charge_count = fields.Integer(
        string="Charges in Odoo",
        compute="_compute_charge_count",
        store=True,
        help="The charges of this subscription Odoo holds, paid or not: the list below.",
    )
    last_charge_status = fields.Selection(
        SALE_STATUSES, compute="_compute_charge_count", store=True
    )
    order_count = fields.Integer(compute="_compute_order_count")

    _sql_constraints = [
        (
            "subscriber_code_uniq",
            "unique(backend_id, subscriber_code)",
            "A Hotmart subscription is stored once per account.",
        ),
    ]

    @api.depends(
        "price",
        "period_days",
        "currency_id",
        "status",
        "charge_count",
        "backend_id.usd_rate",
        "backend_id.eur_rate",
    )
    def _compute_recurring_amount(self):
        first_rate_days = {
            backend: backend._first_rate_days(self.currency_id) for backend in self.backend_id
        }
        for subscription in self:
            monthly = monthly_amount(subscription.price, subscription.period_days)
            subscription.recurring_amount = float(monthly or 0.0)
            subscription.recurring_amount_company = subscription._in_company_currency(
                monthly, first_rate_days.get(subscription.backend_id)
            )
            subscription.mrr = (
                subscription.recurring_amount_company
                if subscription._brings_recurring_revenue()
                else 0.0
            )

    def _brings_recurring_revenue(self):
        """Paid up, or late after a paid charge: a late subscription that never paid brings
        nothing (Recurring Revenue counts the same ones)."""
        self.ensure_one()
        if self.status not in RECURRING_STATUSES:
            return False
        return self.status == "ACTIVE" or self.charge_count > 0

    def _hotmart_refresh_rates(self):
        """Count the monthly amounts again at today's rates (each sync does)."""
        for name in ("recurring_amount", "recurring_amount_company", "mrr"):
            self.env.add_to_compute(self._fields[name], self)
        self.flush_recordset()

    def _in_company_currency(self, amount, first_rate_days=None):
        if not amount or not self.currency_id or not self.backend_id:
            return 0.0
        try:
            return self.backend_id._convert_to_company_currency(
                amount,
                self.currency_id,
                self.currency_id.name,
                fields.Datetime.now(),
                first_rate_days,
            )
        except UserError:
            # no rate for the currency: left out of the totals rather than counted at 1
            return 0.0

    @api.depends("price", "currency_id")
    def _compute_price_display(self):
        for subscription in self:
            subscription.price_display = format_money(
                self.env,
                subscription.price,
                subscription.currency_id,
                company=subscription.company_id,
            )

    @api.depends("sale_ids.status", "sale_ids.recurrence_number")
    def _compute_charge_count(self):
        for subscription in self:
            charges = subscription.sale_ids.sorted(lambda s: (s.recurrence_number, s.id))
            paid = charges.filtered(lambda s: s.status in PAID_STATUSES)
            subscription.charge_count = max(
                [len(paid)] + [charge.recurrence_number for charge in paid]
            )
            subscription.last_charge_status = charges[-1:].status or False
            subscription.odoo_charge_count = len(charges)

    def _compute_order_count(self):
        counts = dict(
            self.env["sale.order"]._read_group(
                [("hotmart_subscription_id", "in", self.ids)],
                ["hotmart_subscription_id"],
                ["__count"],
            )
        )
        for subscription in self:
            subscription.order_count = counts.get(subscription, 0)

    @api.depends("subscriber_code", "partner_id", "subscriber_name", "plan_name")
    def _compute_display_name(self):
        for subscription in self:
            subscriber = (
                subscription.partner_id.name
                or subscription.subscriber_name
                or subscription.subscriber_email
            )
            subscription.display_name = " - ".join(
                filter(None, [subscription.subscriber_code, subscriber, subscription.plan_name])
            )

    # ------------------------------------------------------------------ storing

    @api.model
    def _hotmart_store(self, backend, records, said_at, cause):
        """Create or update the subscriptions these records tell of; {code: subscription}.

        ``said_at`` is when Hotmart said it (an event's creation time, the moment a page was
        read): each of status, plan and next charge changes only if nothing newer was said
        of it. The subscriber is matched to a contact by the rules buyers follow.
        """
        records = {record.subscriber_code: record for record in records}
        if not records:
            return {}
        sources = {code: record.source for code, record in records.items()}
        said_at = _naive_utc(said_at) or fields.Datetime.now()
        existing = self._hotmart_lock(backend, list(records))
        partners = self._hotmart_partners(backend, records, existing)
        products, _errors = self.env["product.template"]._hotmart_find_or_create(
            backend, [r for r in records.values() if r.product_id]
        )
        currencies = self.env["hotmart.sale"]._currency_ids_by_code(
            {r.currency for r in records.values() if r.currency}
        )
        result = {}
        for code, subscription in existing.items():
            record = records.pop(code)
            values = subscription._hotmart_values(record, said_at, currencies)
            values.update(subscription._hotmart_links(record, partners, products))
            subscription._hotmart_write(values, cause)
            result[code] = subscription
        codes = list(records)
        vals_list = []
        for code in codes:
            record = records[code]
            values = self.browse()._hotmart_values(record, said_at, currencies)
            values.update(self.browse()._hotmart_links(record, partners, products))
            vals_list.append(dict(values, backend_id=backend.id, subscriber_code=code))
        created, refused = create_isolated(
            self.with_context(mail_create_nolog=True, tracking_disable=True),
            codes,
            vals_list,
            lambda values, reason: reason,
            race_indexes=(CODE_INDEX,),
        )
        for code, reason in refused.items():
            _logger.warning("Hotmart subscription %s not stored: %s", code, reason)
        result.update(created)
        if any(
            not result[code].period_days
            for code in result
            if code in sources and sources[code] == "webhook"
        ):
            # a webhook does not tell the plan's period: the sync reads it shortly
            self.env.ref("hotmart_connector.ir_cron_sync_subscriptions")._trigger(
                fields.Datetime.now() + PLAN_LOOKUP_DELAY
            )
        return result

    @api.model
    def _hotmart_lock(self, backend, codes):
        """{code: subscription} of the ones stored, locked: a webhook and the sync change
        one subscription one after the other."""
        self.flush_model()
        self.env.cr.execute(
            "SELECT id FROM hotmart_subscription WHERE backend_id = %s AND subscriber_code IN %s "
            "ORDER BY id FOR UPDATE",
            [backend.id, tuple(codes)],
        )
        subscriptions = self.browse([row[0] for row in self.env.cr.fetchall()])
        subscriptions.invalidate_recordset()
        return {subscription.subscriber_code: subscription for subscription in subscriptions}

    @api.model
    def _hotmart_partners(self, backend, records, existing):
        """The contacts the subscribers match, by the rules buyers follow. None is created
        here: pages hold only a name and an e-mail, and the first charge's order makes the
        contact with the document and address the checkout collected."""
        buyers = {
            code: record.subscriber
            for code, record in records.items()
            if (record.subscriber.email or record.subscriber.ucode)
            and not (code in existing and existing[code].partner_id)
        }
        return self.env["res.partner"]._hotmart_match(backend, buyers) if buyers else {}

    def _hotmart_adopt_partner(self, partner):
        """A subscriber without contact takes this one (matched by the connector)."""
        if partner:
            self.filtered(lambda s: not s.partner_id).write({"partner_id": partner.id})

    def _hotmart_links(self, record, partners, products):
        """Subscriber, product and e-mail, filled in once known."""
        values = {}
        if record.subscriber_code in partners and not self.partner_id:
            values["partner_id"] = partners[record.subscriber_code].id
        if record.subscriber.name and not self.subscriber_name:
            values["subscriber_name"] = record.subscriber.name
        email = (record.subscriber.email or "").strip().lower()
        if email and (record.source == "rest" or not self.subscriber_email):
            values["subscriber_email"] = email  # a subscriber may change it on Hotmart
        if record.product_id and not self.product_id and record.product_id in products:
            values["product_id"] = products[record.product_id].id
        return values

    def _hotmart_values(self, record, said_at, currencies):
        """What ``record`` changes, aspect by aspect, unless something newer was said."""
        values = {}
        for name, value in (
            ("hotmart_product_id", record.product_id),
            ("product_name", record.product_name),
            ("first_transaction", record.transaction),
            ("date_start", _naive_utc(record.date_start)),
        ):
            if value and (record.source == "rest" or not self[name]):
                values[name] = value
        if record.currency in currencies and (record.source == "rest" or not self.currency_id):
            values["currency_id"] = currencies[record.currency]
        status = {}
        if record.status:
            status["status"] = record.status
            if record.status in ENDED_STATUSES:
                status["date_cancelled"] = _naive_utc(record.date_cancelled) or (
                    self.date_cancelled or said_at
                )
                status["date_next_charge"] = False  # nothing more will be charged
                if record.access_until:
                    status["date_access_end"] = _naive_utc(record.access_until)
            else:
                status["date_cancelled"] = False  # reactivated
                status["date_access_end"] = False
        plan = {
            "plan_name": record.plan_name,
            "plan_code": record.plan_id,
            "period_days": record.period_days,
            "price": float(record.price) if record.price is not None else None,
            "previous_plan_name": record.previous_plan_name,
            "plan_switch_date": _naive_utc(record.plan_switch_date),
        }
        plan = {name: value for name, value in plan.items() if value}
        if "plan" in record.news and record.plan_id and record.plan_id != self.plan_code:
            # another plan whose period and price are untold: unknown until the sync says
            plan.setdefault("period_days", 0)
            plan.setdefault("price", 0.0)
        next_charge = {}
        if record.date_next_charge:
            next_charge["date_next_charge"] = _naive_utc(record.date_next_charge)
        for news, said_field, news_values in (
            ("status", "status_date", status),
            ("plan", "plan_date", plan),
            ("next_charge", "next_charge_said_date", next_charge),
        ):
            if not news_values:
                continue
            if news not in record.news:
                # told in passing: fills in what is not known, never overrides
                values.update({k: v for k, v in news_values.items() if not self[k]})
            elif not self._said_before(said_at, said_field):
                values.update(news_values, **{said_field: said_at})
        return values

    def _said_before(self, said_at, date_field):
        """Whether news said at ``said_at`` is older than what ``date_field`` records."""
        return bool(self and self[date_field] and said_at < self[date_field])

    def _hotmart_write(self, values, cause):
        """Write what differs; status, plan and next charge changes are logged with why."""
        self.ensure_one()
        changed = changed_values(self, values)
        if not changed:
            return
        if set(changed) & {"status", "plan_name", "date_next_charge"}:
            self._track_set_log_message(self.env._("Hotmart said so (%(cause)s).", cause=cause))
        self.write(changed)

    # ------------------------------------------------------------------ screens

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        title = self.env._("Orders of %(subscription)s", subscription=self.display_name)
        action.update(
            domain=[("hotmart_subscription_id", "=", self.id)],
            context={"create": False},
            name=title,
            display_name=title,  # what the breadcrumb reads
        )
        return action
