from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    x_hotmart_bridge_mark = fields.Char(
        help="Set by this test addon's order hook: proof that a bridge reaches the order."
    )
