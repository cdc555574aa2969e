"""What a Hotmart order shows of its purchase: the offer, the coupon and the affiliate that
sold it, who issues the buyer's invoice, and the purchase it was added to."""

from odoo import fields, models


class SaleOrder(models.Model):
    # the order's Hotmart purchase facts, apart from the order's rules in sale_order.py
    _inherit = "sale.order"  # pylint: disable=consider-merging-classes-inherited

    hotmart_offer_code = fields.Char(related="hotmart_sale_id.offer_code", string="Hotmart Offer")
    hotmart_coupon_code = fields.Char(
        related="hotmart_sale_id.coupon_code", string="Hotmart Coupon"
    )
    hotmart_affiliate_code = fields.Char(
        related="hotmart_sale_id.affiliate_code", string="Hotmart Affiliate Code"
    )
    hotmart_affiliate_name = fields.Char(
        related="hotmart_sale_id.affiliate_name", string="Hotmart Affiliate"
    )
    hotmart_invoice_by = fields.Selection(
        related="hotmart_sale_id.invoice_by", string="Buyer's Invoice Issued By"
    )
    hotmart_parent_order_id = fields.Many2one(
        "sale.order",
        string="Added To Order",
        compute="_compute_hotmart_parent_order_id",
        help="The order of the purchase this order bump was added to at checkout.",
    )

    def _compute_hotmart_parent_order_id(self):
        for order in self:
            order.hotmart_parent_order_id = order.hotmart_sale_id.parent_sale_id.sale_order_id
