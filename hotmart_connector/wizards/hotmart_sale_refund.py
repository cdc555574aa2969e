from odoo import api, fields, models


class HotmartSaleRefund(models.TransientModel):
    """Ask before refunding a sale on Hotmart: the amount the buyer gets back, and the
    conditions Hotmart sets. Hotmart's refunds cannot be undone."""

    _name = "hotmart.sale.refund"
    _description = "Refund a Hotmart Sale"

    sale_id = fields.Many2one("hotmart.sale", required=True, readonly=True)
    transaction = fields.Char(related="sale_id.transaction")
    buyer_name = fields.Char(related="sale_id.buyer_name")
    amount_display = fields.Char(string="Amount Refunded", related="sale_id.amount_display")
    status = fields.Selection(related="sale_id.status")
    warranty_expire_date = fields.Datetime(
        string="Guarantee Ends", related="sale_id.warranty_expire_date"
    )
    warranty_over = fields.Boolean(compute="_compute_warranty_over")

    @api.depends("warranty_expire_date")
    def _compute_warranty_over(self):
        now = fields.Datetime.now()
        for wizard in self:
            wizard.warranty_over = bool(
                wizard.warranty_expire_date and wizard.warranty_expire_date < now
            )

    def action_confirm(self):
        self.ensure_one()
        return self.sale_id.request_refund()
