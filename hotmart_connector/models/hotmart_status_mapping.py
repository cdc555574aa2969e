from odoo import api, fields, models

from ..const import DEFAULT_STATUS_MAPPING, SALE_STATUSES

# Order states, in the order a sync may move an order forward (docs/architecture.md).
ORDER_STATES = [
    ("draft", "Quotation"),
    ("sale", "Sales Order"),
    ("done", "Locked"),
    ("cancel", "Cancelled"),
]


class HotmartStatusMapping(models.Model):
    _name = "hotmart.status.mapping"
    _description = "Hotmart Status Mapping"
    _order = "backend_id, sequence, id"

    backend_id = fields.Many2one(
        "hotmart.backend", string="Account", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    hotmart_status = fields.Selection(SALE_STATUSES, required=True)
    order_state = fields.Selection(
        ORDER_STATES,
        required=True,
        default="draft",
        help="State the sale order takes when the Hotmart sale reaches this status.",
    )
    import_order = fields.Boolean(
        string="Import",
        help="Create sale orders for new sales in this status. Orders that already exist "
        "follow the mapping either way.",
    )
    create_activity = fields.Boolean(
        string="Ask a Person",
        help="Leave a to-do activity for the salesperson when an order reaches this status.",
    )

    _sql_constraints = [
        (
            "hotmart_status_uniq",
            "unique(backend_id, hotmart_status)",
            "Each Hotmart status can be mapped only once per account.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._sync_waiting_sales(lines.backend_id)
        return lines

    def write(self, vals):
        backends = self.backend_id
        result = super().write(vals)
        if {"hotmart_status", "import_order", "backend_id"} & set(vals):
            self._sync_waiting_sales(backends | self.backend_id)
        return result

    def unlink(self):
        backends = self.backend_id
        result = super().unlink()
        self._sync_waiting_sales(backends)
        return result

    def _sync_waiting_sales(self, backends):
        """Waiting sales say whether the mapping, as it is now, imports their status."""
        self.env["hotmart.sale"].sudo()._sync_import_state_of(backends)

    @api.model
    def _default_values_for(self, backend, status, sequence):
        order_state, import_order, create_activity = DEFAULT_STATUS_MAPPING[status]
        return {
            "backend_id": backend.id,
            "sequence": sequence,
            "hotmart_status": status,
            "order_state": order_state,
            "import_order": import_order,
            "create_activity": create_activity,
        }
