from odoo import models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    def _get_total_for_tax_totals(self):
        """OCA gives its tax summary the order's stored total, right for an order with a
        fiscal operation (its fiscal lines make it) and not yet computed for one without:
        a Hotmart order without an operation totals its lines, as Odoo does."""
        order = self.order_id
        if order.hotmart_sale_id and not order.fiscal_operation_id:
            return sum(order.order_line.mapped("price_total"))
        return super()._get_total_for_tax_totals()
