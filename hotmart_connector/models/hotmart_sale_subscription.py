from datetime import timedelta

from odoo import api, fields, models

from ..hotmart.records import HotmartBuyer
from ..hotmart.subscriptions import subscription_from_sale

# Hotmart's dates of a subscription and of its charges differ by minutes to hours.
DATE_MARGIN = timedelta(days=1)
# Hotmart is asked about a charge it could not place once a day at most.
LOOKUP_INTERVAL = timedelta(days=1)


class HotmartSale(models.Model):
    """The subscription side of a Hotmart sale: which subscription a charge belongs to."""

    # each capability (money, subscriptions) extends the model in a file of its own
    _inherit = "hotmart.sale"  # pylint: disable=consider-merging-classes-inherited

    is_subscription = fields.Boolean(
        string="Subscription Charge",
        readonly=True,
        help="Hotmart says this sale is a charge of a subscription (a recurrence number above "
        "1 alone does not: smart installments have one too).",
    )
    subscriber_code = fields.Char(readonly=True, index="btree_not_null")
    subscription_id = fields.Many2one(
        "hotmart.subscription", readonly=True, index="btree_not_null", ondelete="set null"
    )
    subscription_lookup_date = fields.Datetime(
        readonly=True,
        copy=False,
        help="When Hotmart was last asked for this charge's subscription: asked again a day "
        "later at the earliest, by the daily sync otherwise.",
    )

    @api.model
    def _values_from_record(self, record, currencies):
        values = super()._values_from_record(record, currencies)
        values["is_subscription"] = record.is_subscription or bool(record.subscriber_code)
        if record.subscriber_code:
            # REST sales carry no subscriber code: never blank the one a webhook gave
            values["subscriber_code"] = record.subscriber_code
        return values

    @api.model
    def _store_webhook_sale(self, backend, event, data, sale=None, currencies=None):
        """A purchase webhook names its subscription: create it on first sight, link the sale."""
        sale, stale = super()._store_webhook_sale(
            backend, event, data, sale=sale, currencies=currencies
        )
        subscription = subscription_from_sale(event.sale)
        if subscription:
            stored = self.env["hotmart.subscription"]._hotmart_store(
                backend,
                [subscription],
                event.creation_date,
                self.env["hotmart.webhook.event"]._cause(event.event),
            )
            if subscription.subscriber_code in stored:
                self._link_subscriptions({stored[subscription.subscriber_code]: sale})
        return sale, stale

    @api.model
    def _link_subscriptions(self, sales_by_subscription):
        """Link {subscription: its charges}: one write per subscription, and one lookup of
        contacts per account for the subscribers that have none yet (matched by the buyers'
        rules, never taken from an order a person may have edited)."""
        buyers_by_backend = {}
        for subscription, sales in sales_by_subscription.items():
            sales.filtered(lambda sale, s=subscription: sale.subscription_id != s).write(
                {"subscription_id": subscription.id, "is_subscription": True}
            )
            if not subscription.partner_id and sales[:1].buyer_email:
                buyer = HotmartBuyer(email=sales[:1].buyer_email, name=sales[:1].buyer_name or "")
                buyers_by_backend.setdefault(subscription.backend_id, {})[subscription] = buyer
        for backend, buyers in buyers_by_backend.items():
            for subscription, partner in (
                self.env["res.partner"]._hotmart_match(backend, buyers).items()
            ):
                subscription._hotmart_adopt_partner(partner)

    def _receive(self, origin):
        result = super()._receive(origin)
        for sale in result["received"].filtered("subscription_id"):
            # the contact the connector just matched or made for this buyer
            sale.subscription_id._hotmart_adopt_partner(sale.sale_order_id.partner_id)
        return result

    def _due_for_lookup(self):
        """These charges that Hotmart was not asked about in the last day."""
        recently = fields.Datetime.now() - LOOKUP_INTERVAL
        return self.filtered(
            lambda s: not s.subscription_lookup_date or s.subscription_lookup_date < recently
        )

    def _could_be_charge_of(self, subscription):
        """Whether this sale can be a charge of ``subscription``: not a first charge other
        than its own, not ordered before it started nor after it was cancelled."""
        self.ensure_one()
        if (
            self.recurrence_number <= 1
            and subscription.first_transaction
            and subscription.first_transaction != self.transaction
        ):
            return False
        if not self.order_date:
            return True
        if subscription.date_start and self.order_date < subscription.date_start - DATE_MARGIN:
            return False
        return not (
            subscription.date_cancelled
            and self.order_date > subscription.date_cancelled + DATE_MARGIN
        )

    def _match_known_subscriptions(self):
        """Link these charges to the subscriptions already stored: by subscriber code, by
        first transaction, or by buyer e-mail and product when that leaves exactly one that
        can have charged it. Returns the sales whose buyer and product leave several."""
        ambiguous = self.browse()
        links = {}
        for backend in self.backend_id:
            sales = self.filtered(lambda s, b=backend: s.backend_id == b and not s.subscription_id)
            Subscription = self.env["hotmart.subscription"]
            known = Subscription.search(
                [
                    ("backend_id", "=", backend.id),
                    "|",
                    "|",
                    ("subscriber_code", "in", [c for c in sales.mapped("subscriber_code") if c]),
                    ("first_transaction", "in", sales.mapped("transaction")),
                    ("subscriber_email", "in", [e.lower() for e in sales.mapped("buyer_email")]),
                ]
            )
            by_code = {s.subscriber_code: s for s in known}
            by_transaction = {s.first_transaction: s for s in known if s.first_transaction}
            by_buyer = {}
            for subscription in known:
                key = (subscription.subscriber_email, subscription.hotmart_product_id)
                by_buyer.setdefault(key, Subscription)
                by_buyer[key] |= subscription
            for sale in sales:
                candidates = by_buyer.get(
                    ((sale.buyer_email or "").lower(), sale.hotmart_product_id), Subscription
                ).filtered(lambda s, sale=sale: sale._could_be_charge_of(s))
                subscription = (
                    by_code.get(sale.subscriber_code)
                    or by_transaction.get(sale.transaction)
                    or (candidates if len(candidates) == 1 else None)
                )
                if subscription:
                    links[subscription] = links.get(subscription, self.browse()) | sale
                elif candidates:
                    ambiguous |= sale
        self._link_subscriptions(links)
        return ambiguous

    def _subscription_candidates(self):
        """The stored subscriptions of this sale's buyer and product that can have charged it."""
        self.ensure_one()
        return (
            self.env["hotmart.subscription"]
            .search(
                [
                    ("backend_id", "=", self.backend_id.id),
                    ("subscriber_email", "=", (self.buyer_email or "").lower()),
                    ("hotmart_product_id", "=", self.hotmart_product_id),
                ]
            )
            .filtered(self._could_be_charge_of)
        )
