from odoo import api, fields, models

from ..const import SUBSCRIPTION_REQUESTS


class HotmartSubscriptionRequest(models.TransientModel):
    """Ask Hotmart to cancel, reactivate or move the charge day of the selected
    subscriptions, with the choices each request takes."""

    _name = "hotmart.subscription.request"
    _description = "Ask Hotmart About Subscriptions"

    kind = fields.Selection(SUBSCRIPTION_REQUESTS, string="Request", required=True, readonly=True)
    subscription_ids = fields.Many2many(
        "hotmart.subscription", string="Subscriptions", required=True, readonly=True
    )
    subscription_count = fields.Integer(compute="_compute_subscription_count")
    send_mail = fields.Boolean(
        string="E-mail the Subscriber",
        default=True,
        help="Hotmart tells the subscriber by e-mail that the subscription was cancelled.",
    )
    charge = fields.Boolean(
        string="Charge Now",
        help="Charge as soon as the subscriber accepts, instead of on the billing date.",
    )
    day = fields.Integer(
        string="New Charge Day", help="From 1 to 31; 31 is the 30th in 30-day months."
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if (
            "subscription_ids" in fields_list
            and not values.get("subscription_ids")
            and self.env.context.get("active_model") == "hotmart.subscription"
        ):
            ids = self.env.context.get("active_ids") or []
            values["subscription_ids"] = [fields.Command.set(ids)]
        return values

    @api.depends("subscription_ids")
    def _compute_subscription_count(self):
        for wizard in self:
            wizard.subscription_count = len(wizard.subscription_ids)

    def action_confirm(self):
        self.ensure_one()
        subscriptions = self.subscription_ids
        if self.kind == "cancel":
            return subscriptions.cancel_on_hotmart(send_mail=self.send_mail)
        if self.kind == "reactivate":
            return subscriptions.reactivate_on_hotmart(charge=self.charge)
        return subscriptions.change_charge_day(self.day)
