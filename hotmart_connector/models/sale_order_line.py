from odoo import api, models

# What makes a line's amount: refused to people on orders received from Hotmart.
LINE_AMOUNT_FIELDS = (
    "product_id",
    "product_uom_qty",
    "product_uom",
    "product_packaging_id",
    "product_packaging_qty",
    "price_unit",
    "discount",
    "tax_id",
    "order_id",
    "qty_delivered",
    "price_subtotal",
    "price_total",
    "price_tax",
)


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            order_ids = {
                vals["order_id"]
                for vals in vals_list
                if vals.get("order_id") and not vals.get("display_type")
            }
            self.env["sale.order"].browse(order_ids)._hotmart_check_amounts_editable()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and any(name in vals for name in LINE_AMOUNT_FIELDS):
            orders = self._amount_lines().order_id
            if vals.get("order_id"):  # a line moved into an order changes that order too
                orders |= self.env["sale.order"].browse(vals["order_id"])
            orders._hotmart_check_amounts_editable()
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            self._amount_lines().order_id._hotmart_check_amounts_editable()
        return super().unlink()

    def _amount_lines(self):
        """The lines that count in the total (not sections and notes)."""
        return self.filtered(lambda line: not line.display_type)
