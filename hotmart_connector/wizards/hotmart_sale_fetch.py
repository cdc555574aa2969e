from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..hotmart.exceptions import HotmartError


class HotmartSaleFetch(models.TransientModel):
    """Bring one period's Hotmart sales into the sales list, to look at them and receive them."""

    _name = "hotmart.sale.fetch"
    _description = "Fetch Hotmart Sales"

    backend_id = fields.Many2one(
        "hotmart.backend",
        string="Account",
        required=True,
        domain="[('state', '=', 'active')]",
        default=lambda self: self._default_backend(),
    )
    date_from = fields.Datetime(
        string="From", required=True, default=lambda self: fields.Datetime.now() - timedelta(days=7)
    )
    date_to = fields.Datetime(string="To", required=True, default=fields.Datetime.now)
    status_mapping_ids = fields.Many2many(
        "hotmart.status.mapping",
        string="Statuses",
        domain="[('backend_id', '=', backend_id)]",
        help="Empty: every status of the account's mapping.",
    )

    @api.model
    def _default_backend(self):
        backends = self.env["hotmart.backend"].search([("state", "=", "active")], limit=2)
        return backends if len(backends) == 1 else False

    @api.onchange("backend_id")
    def _onchange_backend_id(self):
        self.status_mapping_ids = False

    def action_fetch(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(self.env._("The period ends before it starts."))
        statuses = self.status_mapping_ids.mapped("hotmart_status") or None
        try:
            sales = self.backend_id._fetch_sales(self.date_from, self.date_to, statuses)
        except HotmartError as error:
            raise UserError(self.backend_id._explain_connection_error(error)) from None
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hotmart_connector.hotmart_sale_action"
        )
        action["domain"] = [("id", "in", sales.ids)]
        action["name"] = self.env._(
            "%(count)s Hotmart sales of %(name)s", count=len(sales), name=self.backend_id.name
        )
        return action
