from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from ..const import PAID_STATUSES
from ..hotmart.exceptions import HotmartError
from ..models.guard import as_connector, check_hotmart_role


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

    state = fields.Selection([("choose", "Choose"), ("done", "Fetched")], default="choose")
    sale_ids = fields.Many2many("hotmart.sale", string="Fetched Sales", readonly=True)
    new_count = fields.Integer(readonly=True)
    summary = fields.Char(readonly=True)
    paid_to_receive_count = fields.Integer(compute="_compute_paid_to_receive_count")

    @api.depends("sale_ids.state", "sale_ids.status")
    def _compute_paid_to_receive_count(self):
        for wizard in self:
            wizard.paid_to_receive_count = len(wizard._paid_to_receive())

    def _paid_to_receive(self):
        return self.sale_ids.filtered(
            lambda s: s.status in PAID_STATUSES and s.state in ("pending", "failed")
        )

    @api.model
    def _default_backend(self):
        backends = self.env["hotmart.backend"].search([("state", "=", "active")], limit=2)
        return backends if len(backends) == 1 else False

    @api.onchange("backend_id")
    def _onchange_backend_id(self):
        self.status_mapping_ids = False

    def action_fetch(self):
        """Read the period, then say what came: how many, how many new, and what to do next."""
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(self.env._("The period ends before it starts."))
        backend = self._checked_backend()
        statuses = self.status_mapping_ids.mapped("hotmart_status") or None
        Sale = self.env["hotmart.sale"].sudo()
        last_id_before = Sale.search([], order="id desc", limit=1).id or 0
        try:
            # as the connector, in a clean context: nothing the caller sends steers the run
            sales = as_connector(backend)._fetch_sales(
                self.date_from,
                self.date_to,
                statuses,
                cause=self.env._("the Fetch Sales wizard"),
            )
        except HotmartError as error:
            raise UserError(self.backend_id._explain_connection_error(error)) from None
        new = sales.filtered(lambda sale: sale.id > last_id_before)
        # written in this transaction: Hotmart said something new of it
        updated = (sales - new).filtered(lambda sale: sale.write_date >= self.env.cr.now())
        new_count = len(new)
        self.write(
            {
                "state": "done",
                "sale_ids": [fields.Command.set(sales.ids)],
                "new_count": new_count,
                "summary": self.env._(
                    "%(count)s fetched (%(new)s new, %(updated)s updated).",
                    count=len(sales),
                    new=new_count,
                    updated=len(updated),
                ),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Fetch Hotmart Sales"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _checked_backend(self):
        """The wizard's account, once the caller is shown to be a Hotmart user who may see
        it, in one of the companies they work in."""
        backend = self.backend_id
        check_hotmart_role(backend, "group_hotmart_user")
        if backend.company_id not in self.env.companies:
            raise UserError(
                self.env._(
                    "Account %(name)s belongs to %(company)s: switch to that company to fetch "
                    "its sales.",
                    name=backend.name,
                    company=backend.company_id.name,
                )
            )
        backend._check_connected()
        if not set(self.status_mapping_ids.backend_id.ids) <= {backend.id}:
            raise UserError(self.env._("Choose statuses of the account's own mapping."))
        return backend

    def action_receive_paid(self):
        """Receive the paid sales just fetched that wait, and show them."""
        self.ensure_one()
        self._paid_to_receive().action_receive()
        return self.action_open_sales()

    def action_open_sales(self):
        """The sales list on the fetched period, its filters visible and removable."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hotmart_connector.hotmart_sale_action"
        )
        # the breadcrumb reads the display name of an action dict made from a record
        action["name"] = action["display_name"] = self.env._(
            "%(name)s: %(date_from)s to %(date_to)s",
            name=self.backend_id.name,
            date_from=format_datetime(self.env, self.date_from),
            date_to=format_datetime(self.env, self.date_to),
        )
        action["context"] = {
            "search_default_backend_id": self.backend_id.id,
            "search_default_fetched_period": 1,
            "hotmart_fetch_from": fields.Datetime.to_string(self.date_from),
            "hotmart_fetch_to": fields.Datetime.to_string(self.date_to),
        }
        return action
