from odoo import fields, models, tools

from ..const import PAID_STATUSES

SETTLEMENT_PARTS = [
    ("fee", "Hotmart fee"),
    ("commission", "Commissions"),
    ("net", "Net to you"),
]


class HotmartSettlementPart(models.Model):
    """Each paid sale's settlement in its three parts (Hotmart's fee, the co-producers' and
    affiliates' commissions, the net Hotmart credits the producer), one row a part, so that
    a graph stacks them and a pivot puts them side by side (a read-only SQL view)."""

    _name = "hotmart.settlement.part"
    _description = "Hotmart Settlement Parts"
    _auto = False
    _order = "order_date desc, id desc"
    _rec_name = "part"

    sale_id = fields.Many2one("hotmart.sale", readonly=True)
    backend_id = fields.Many2one("hotmart.backend", string="Account", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    order_date = fields.Datetime(readonly=True)
    product_name = fields.Char(string="Product", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Payout Currency", readonly=True)
    part = fields.Selection(SETTLEMENT_PARTS, readonly=True)
    amount = fields.Monetary(
        readonly=True,
        currency_field="currency_id",
        help="In the currency Hotmart pays out in: totals add up one currency at a time.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS (
                SELECT s.id * 3 + k.n AS id,
                       s.id AS sale_id,
                       s.backend_id,
                       s.company_id,
                       s.order_date,
                       s.product_name,
                       s.payout_currency_id AS currency_id,
                       k.part,
                       CASE k.n WHEN 0 THEN s.fee_amount
                                WHEN 1 THEN s.commission_amount
                                ELSE s.net_amount END AS amount
                  FROM hotmart_sale s
                 CROSS JOIN (VALUES (0, 'fee'), (1, 'commission'), (2, 'net')) AS k(n, part)
                 WHERE s.payout_currency_id IS NOT NULL
                   AND s.status IN %s
            )
            """,
            [PAID_STATUSES],
        )
