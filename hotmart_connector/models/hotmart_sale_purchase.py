"""What a Hotmart purchase says beyond its amount and buyer: whose sale it is, how it is paid
(installments, interest), which link sold it, whether it was added to another purchase, and
who issues the buyer's invoice. Stored once, when the sale is read, like the buyer."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import (
    COMMISSION_PRODUCTS,
    COMMISSION_ROLES,
    INVOICE_ISSUERS,
    OWN_SALE_ROLE,
    PAYMENT_MODES,
)
from ..hotmart.records import TRACKING_LENGTH
from .sale_columns import purchase_values


class HotmartSale(models.Model):
    # each aspect of a sale (money, subscriptions, the purchase) has a file of its own
    _inherit = "hotmart.sale"  # pylint: disable=consider-merging-classes-inherited

    commission_as = fields.Selection(
        COMMISSION_ROLES,
        string="Sold As",
        default="PRODUCER",
        required=True,
        readonly=True,
        index=True,
        help="The account's part in this sale. Only its own sales (as producer) become "
        "orders at their price; as co-producer or affiliate it earns a commission.",
    )
    payment_mode = fields.Char(
        string="Payment Mode Code",
        readonly=True,
        help="Hotmart's payment mode of the offer, e.g. SMART_INSTALLMENT.",
    )
    payment_mode_label = fields.Selection(
        PAYMENT_MODES, string="Payment Mode", compute="_compute_payment_mode_label"
    )
    full_price = fields.Monetary(
        string="Total Paid by the Buyer",
        readonly=True,
        aggregator=None,  # in each sale's own currency: never added up
        help="What the buyer pays in all, the interest of card installments included; the "
        "order is made at the price, on which Hotmart's commissions are reckoned.",
    )
    invoice_by = fields.Selection(
        INVOICE_ISSUERS,
        string="Buyer's Invoice Issued By",
        readonly=True,
        help="Who issues the buyer's invoice (nota fiscal): Hotmart, or the producer.",
    )
    business_model = fields.Char(readonly=True, help="Hotmart's business model code.")
    tracking_src = fields.Char(string="Link src", readonly=True)
    tracking_sck = fields.Char(string="Link sck", readonly=True)
    tracking_xcod = fields.Char(string="Link xcod", readonly=True)
    offer_code = fields.Char(readonly=True, index="btree_not_null")
    coupon_code = fields.Char(readonly=True)
    affiliate_code = fields.Char(readonly=True, index="btree_not_null")
    affiliate_name = fields.Char(readonly=True)
    own_commission_amount = fields.Monetary(
        string="Account's Commission",
        currency_field="payout_currency_id",
        compute="_compute_own_commission_amount",
        store=True,
        help="What Hotmart credits this account for a sale it made as co-producer or "
        "affiliate (its share of Hotmart's commissions).",
    )
    is_order_bump = fields.Boolean(
        readonly=True, help="Added to another purchase at checkout (an order bump)."
    )
    parent_transaction = fields.Char(
        string="Added To Transaction", readonly=True, index="btree_not_null"
    )
    parent_sale_id = fields.Many2one(
        "hotmart.sale",
        string="Added To",
        compute="_compute_parent_sale_id",
        store=True,
        index="btree_not_null",
        help="The purchase this order bump was added to.",
    )

    first_installment_id = fields.Many2one(
        "hotmart.sale",
        compute="_compute_first_installment_id",
        store=True,
        index="btree_not_null",
        help="A smart-installment charge's first purchase: the same buyer, product and "
        "offer, paid in installments that Hotmart charges one by one.",
    )

    @api.depends("commission_as", "commission_shares", "backend_id.hotmart_user_code")
    def _compute_own_commission_amount(self):
        for sale in self:
            sale.own_commission_amount = (
                sale._own_commission_in(sale.commission_shares or [])
                if sale._is_commission_sale()
                else 0.0
            )

    @api.depends(
        "amount",
        "currency_id",
        "order_date",
        "backend_id.usd_rate",
        "backend_id.eur_rate",
        "commission_as",
        "own_commission_amount",
        "payout_currency_id",
    )
    def _compute_amount_company(self):
        """A co-production or affiliate sale is worth the account's commission to it, not
        the producer's price: that is what its order is made of and what is added up."""
        result = super()._compute_amount_company()
        commission_sales = self.filtered(lambda s: s._is_commission_sale())
        for backend in commission_sales.backend_id:
            sales = commission_sales.filtered(lambda s, b=backend: s.backend_id == b)
            first_rate_days = backend._first_rate_days(sales.payout_currency_id)
            for sale in sales:
                sale.amount_company = sale._own_commission_company(first_rate_days)
        return result

    def _own_commission_company(self, first_rate_days=None):
        """The account's commission in company currency, or False while Hotmart has not
        told it (its commissions are read with the sales of a paid status).
        ``first_rate_days`` (``_first_rate_days``) spares a query per sale in a batch."""
        self.ensure_one()
        payout = self.payout_currency_id
        if not payout or not self.own_commission_amount:
            return False
        try:
            return self.backend_id._convert_to_company_currency(
                self.own_commission_amount, payout, payout.name, self.order_date, first_rate_days
            )
        except UserError:
            return False

    @api.depends("payment_mode")
    def _compute_payment_mode_label(self):
        known = {code for code, _label in PAYMENT_MODES}
        for sale in self:
            sale.payment_mode_label = sale.payment_mode if sale.payment_mode in known else False

    def _is_commission_sale(self):
        """Whether the account made this sale as co-producer or affiliate."""
        self.ensure_one()
        return self.commission_as != OWN_SALE_ROLE

    def _commission_product(self):
        """The service a commission order is for: co-production or affiliate commission."""
        self.ensure_one()
        product = self.env.ref(COMMISSION_PRODUCTS[self.commission_as], raise_if_not_found=False)
        if not product:
            raise UserError(
                self.env._(
                    "The product of %(role)s commissions was deleted: update the Hotmart "
                    "Connector app to make it again, then receive the sale again.",
                    role=self._field_value_label("commission_as"),
                )
            )
        return product

    def _field_value_label(self, name):
        self.ensure_one()
        return dict(self._fields[name]._description_selection(self.env)).get(self[name], "")

    def _commission_to_order(self):
        """What a commission order is made for: the account's commission, in company
        currency; a UserError while Hotmart has not told it."""
        self.ensure_one()
        amount = self._own_commission_company()
        if not amount:
            raise UserError(
                self.env._(
                    "Hotmart has not told this account's commission of sale %(transaction)s "
                    "yet: it comes with the sales of its period, and the next run reads them. "
                    "Then receive the sale again.",
                    transaction=self.transaction,
                )
            )
        return amount

    def _is_installment_charge(self):
        """A later charge of a purchase paid in installments, not of a subscription."""
        self.ensure_one()
        return not self.is_subscription and (self.recurrence_number or 1) > 1

    @api.depends(
        "recurrence_number",
        "is_subscription",
        "buyer_email",
        "hotmart_product_id",
        "offer_code",
        "order_date",
    )
    def _compute_first_installment_id(self):
        charges = self.filtered(lambda s: s._is_installment_charge() and s.buyer_email)
        firsts_by_key = {}
        if charges:
            firsts = self.search(
                [
                    ("backend_id", "in", charges.backend_id.ids),
                    ("is_subscription", "=", False),
                    ("recurrence_number", "<=", 1),
                    ("hotmart_product_id", "in", list(set(charges.mapped("hotmart_product_id")))),
                    ("buyer_email", "in", list(set(charges.mapped("buyer_email")))),
                ],
                order="order_date desc, id desc",
            )
            for first in firsts:
                firsts_by_key.setdefault(first._installment_key(), []).append(first)
        for sale in self:
            candidates = firsts_by_key.get(sale._installment_key(), []) if sale in charges else []
            sale.first_installment_id = next(
                (first for first in candidates if sale._is_later_installment_of(first)), False
            )

    def _installment_key(self):
        """What a charge and its first purchase share: account, product, buyer."""
        return (self.backend_id.id, self.hotmart_product_id, (self.buyer_email or "").lower())

    def _is_later_installment_of(self, first):
        self.ensure_one()
        # the same offer, ordered before; the latest such purchase Hotmart approved (a
        # refused retry of the offer is not where the installments started)
        return (
            first._installment_key() == self._installment_key()
            and (not self.offer_code or not first.offer_code or first.offer_code == self.offer_code)
            and (not first.order_date or not self.order_date or first.order_date <= self.order_date)
            and bool(first.approved_date)
        )

    def _installment_label(self):
        """'installment 4 of 9' of a smart-installment charge; '' for any other sale."""
        self.ensure_one()
        if not self._is_installment_charge():
            return ""
        if (self.installments or 1) >= self.recurrence_number:
            return self.env._(
                "installment %(number)s of %(count)s",
                number=self.recurrence_number,
                count=self.installments,
            )
        return self.env._("installment %(number)s", number=self.recurrence_number)

    @api.depends("parent_transaction", "backend_id")
    def _compute_parent_sale_id(self):
        bumps = self.filtered("parent_transaction")
        parents = {
            (parent.backend_id.id, parent.transaction): parent
            for parent in self.search(
                [
                    ("backend_id", "in", bumps.backend_id.ids),
                    ("transaction", "in", list(set(bumps.mapped("parent_transaction")))),
                ]
            )
        }
        for sale in self:
            sale.parent_sale_id = parents.get((sale.backend_id.id, sale.parent_transaction))

    @api.model_create_multi
    def create(self, vals_list):
        sales = super().create(vals_list)
        # order bumps stored before the purchase they were added to find it now
        waiting = self.search(
            [
                ("backend_id", "in", sales.backend_id.ids),
                ("parent_transaction", "in", sales.mapped("transaction")),
                ("parent_sale_id", "=", False),
            ]
        )
        if waiting:
            self.env.add_to_compute(self._fields["parent_sale_id"], waiting)
        # later installments stored before their first purchase find it now
        firsts = sales.filtered(lambda s: not s.is_subscription and s.recurrence_number <= 1)
        if firsts:
            charges = self.search(
                [
                    ("backend_id", "in", firsts.backend_id.ids),
                    ("first_installment_id", "=", False),
                    ("is_subscription", "=", False),
                    ("recurrence_number", ">", 1),
                    ("hotmart_product_id", "in", list(set(firsts.mapped("hotmart_product_id")))),
                    ("buyer_email", "in", list(set(firsts.mapped("buyer_email")))),
                ]
            )
            if charges:
                self.env.add_to_compute(self._fields["first_installment_id"], charges)
        return sales

    def _note_order_bumps(self):
        """Order bumps and the purchases they were added to say so in each other's chatter,
        once both have their order. ``self``: sales that just got their order."""
        bumps = self.filtered(lambda s: s.parent_sale_id.sale_order_id) | self.search(
            [
                ("parent_sale_id", "in", self.ids),
                ("sale_order_id", "!=", False),
            ]
        )
        for bump in bumps.filtered("sale_order_id"):
            order, parent = bump.sale_order_id, bump.parent_sale_id.sale_order_id
            order._message_log(
                body=self.env._(
                    "Added at checkout to Hotmart purchase %(transaction)s, order %(order)s "
                    "(an order bump).",
                    transaction=bump.parent_transaction,
                    order=parent.name,
                )
            )
            parent._message_log(
                body=self.env._(
                    "Order bump added at checkout: order %(order)s (Hotmart %(transaction)s, "
                    "%(product)s).",
                    order=order.name,
                    transaction=bump.transaction,
                    product=bump.product_name,
                )
            )

    def _link_source(self):
        """The name of the link that sold this sale: its src, else its sck ("" if none),
        without the " [2]" Odoo gives a source to tell it from one of the same name."""
        self.ensure_one()
        name = (self.tracking_src or self.tracking_sck or "").strip()[:TRACKING_LENGTH]
        return self.env["utm.mixin"]._split_name_and_count(name)[0].strip()

    @api.model
    def _values_from_record(self, record, currencies):
        values = super()._values_from_record(record, currencies)
        values.update(purchase_values(record))
        return values
