"""The account's daily reconciliation with Hotmart, and the days apart on its card."""

from odoo import api, fields, models

from .guard import check_hotmart_role


class HotmartBackend(models.Model):
    _inherit = "hotmart.backend"

    last_reconcile_date = fields.Datetime(
        string="Last Reconciliation",
        readonly=True,
        copy=False,
        help="When the account's last days were last reconciled with Hotmart's summary.",
    )
    reconciliation_apart_days = fields.Integer(
        string="Days Apart",
        compute="_compute_reconciliation_apart_days",
        help="Days of the status sync's window on which Hotmart counts more or fewer sales "
        "than Odoo holds.",
    )

    def _compute_reconciliation_apart_days(self):
        Line = self.env["hotmart.reconciliation"].sudo()
        for backend in self:
            first, last = Line._recent_days(backend)
            days = Line._read_group(
                [
                    ("backend_id", "=", backend.id),
                    ("state", "=", "apart"),
                    ("date", ">=", first),
                    ("date", "<=", last),
                ],
                ["date:day"],
            )
            backend.reconciliation_apart_days = len(days)

    @api.model
    def _cron_reconcile(self):
        """Scheduled action: reconcile every active account's last days with Hotmart."""
        self.env["hotmart.run"]._for_active_accounts(
            "_reconcile", lambda env: env._("the reconciliation")
        )

    def action_view_reconciliation(self):
        """The account's reconciliation; from the card, its days apart."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_user")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hotmart_connector.hotmart_reconciliation_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = self._search_defaults()
        return action
