from odoo import fields, models


class SaleOrder(models.Model):
    """The order's Hotmart tab asks for the refund of its sale, and shows it asked."""

    _inherit = "sale.order"

    hotmart_refund_request_state = fields.Selection(
        related="hotmart_sale_id.request_state", string="Refund Asked of Hotmart"
    )
    hotmart_refund_available = fields.Boolean(related="hotmart_sale_id.refund_available")

    def action_hotmart_request_refund(self):
        """'Refund on Hotmart': the sale's confirmation, with the amount and the conditions."""
        self.ensure_one()
        return self.hotmart_sale_id.action_request_refund()
