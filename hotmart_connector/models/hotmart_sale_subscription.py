from odoo import api, fields, models

from ..hotmart.subscriptions import subscription_from_sale


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

    @api.model
    def _values_from_record(self, record, currencies):
        values = super()._values_from_record(record, currencies)
        values["is_subscription"] = record.is_subscription or bool(record.subscriber_code)
        if record.subscriber_code:
            # REST sales carry no subscriber code: never blank the one a webhook gave
            values["subscriber_code"] = record.subscriber_code
        return values

    @api.model
    def _store_webhook_sale(self, backend, event, data):
        """A purchase webhook names its subscription: create it on first sight, link the sale."""
        sale, stale = super()._store_webhook_sale(backend, event, data)
        subscription = subscription_from_sale(event.sale)
        if subscription:
            stored = self.env["hotmart.subscription"]._hotmart_store(
                backend,
                [subscription],
                event.creation_date,
                self.env._("webhook %(event)s", event=event.event),
            )
            if subscription.subscriber_code in stored:
                sale._link_subscription(stored[subscription.subscriber_code])
        return sale, stale

    def _link_subscription(self, subscription):
        self.filtered(lambda sale: sale.subscription_id != subscription).write(
            {"subscription_id": subscription.id, "is_subscription": True}
        )
        if self.sale_order_id:
            subscription._hotmart_adopt_partner(self.sale_order_id[:1].partner_id)

    def _receive(self, origin):
        result = super()._receive(origin)
        for sale in result["received"].filtered("subscription_id"):
            sale.subscription_id._hotmart_adopt_partner(sale.sale_order_id.partner_id)
        return result

    def _match_known_subscriptions(self):
        """Link these charges to the subscriptions already stored: by subscriber code, by
        first transaction, or by buyer e-mail and product when that names exactly one.
        Returns the sales whose buyer and product name several subscriptions."""
        ambiguous = self.browse()
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
                )
                subscription = (
                    by_code.get(sale.subscriber_code)
                    or by_transaction.get(sale.transaction)
                    or (candidates if len(candidates) == 1 else None)
                )
                if subscription:
                    sale._link_subscription(subscription)
                elif candidates:
                    ambiguous |= sale
        return ambiguous

    def _subscription_candidates(self):
        """The stored subscriptions of this sale's buyer and product."""
        self.ensure_one()
        return self.env["hotmart.subscription"].search(
            [
                ("backend_id", "=", self.backend_id.id),
                ("subscriber_email", "=", (self.buyer_email or "").lower()),
                ("hotmart_product_id", "=", self.hotmart_product_id),
            ]
        )
