"""What a Hotmart order shows of its purchase: the offer, the coupon and the affiliate that
sold it, who issues the buyer's invoice, and the purchase it was added to."""

from odoo import fields, models

from .sale_order import MONEY_GROUPS


class SaleOrder(models.Model):
    # the order's Hotmart purchase facts, apart from the order's rules in sale_order.py
    _inherit = "sale.order"  # pylint: disable=consider-merging-classes-inherited

    # related fields read the sale as superuser: a salesperson without a Hotmart role opens
    # the order; portal users (its buyer) never read who promoted or invoices it
    hotmart_offer_code = fields.Char(
        related="hotmart_sale_id.offer_code", string="Hotmart Offer", groups=MONEY_GROUPS
    )
    hotmart_coupon_code = fields.Char(
        related="hotmart_sale_id.coupon_code", string="Hotmart Coupon", groups=MONEY_GROUPS
    )
    hotmart_affiliate_code = fields.Char(
        related="hotmart_sale_id.affiliate_code",
        string="Hotmart Affiliate Code",
        groups=MONEY_GROUPS,
    )
    hotmart_affiliate_name = fields.Char(
        related="hotmart_sale_id.affiliate_name", string="Hotmart Affiliate", groups=MONEY_GROUPS
    )
    hotmart_invoice_by = fields.Selection(
        related="hotmart_sale_id.invoice_by",
        string="Buyer's Invoice Issued By",
        groups=MONEY_GROUPS,
    )
    hotmart_parent_order_id = fields.Many2one(
        related="hotmart_sale_id.parent_sale_id.sale_order_id",
        string="Added To Order",
        groups=MONEY_GROUPS,
        help="The order of the purchase this order bump was added to at checkout.",
    )
