from odoo import fields, models


class SaleOrder(models.Model):
    """The order's Hotmart tab asks for the refund of its sale, and shows it asked, with the
    sale's amount in its own currency."""

    _inherit = "sale.order"

    hotmart_refund_request_state = fields.Selection(
        related="hotmart_sale_id.request_state", string="Refund Asked of Hotmart"
    )
    hotmart_refund_available = fields.Boolean(related="hotmart_sale_id.refund_available")
    hotmart_amount_display = fields.Char(
        related="hotmart_sale_id.amount_display",
        string="Amount on Hotmart",
        help="What the buyer paid, or has to pay, with the sale's own currency: COP 153.660,00, "
        "not $ 153.660,00.",
    )

    def action_hotmart_request_refund(self):
        """'Refund on Hotmart': the sale's confirmation, with the amount and the conditions."""
        self.ensure_one()
        return self.hotmart_sale_id.action_request_refund()
