from odoo import fields, models
from odoo.tools import SQL

# One invoice, one settlement, one credit note and one reversed settlement per Hotmart sale,
# however often runs, webhooks and clicks repeat or overlap: the database says no to a second.
HOTMART_MOVE_INDEX = "account_move_hotmart_sale_kind_uniq"


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "hotmart.guarded.mixin"]
    _hotmart_guarded_fields = ("hotmart_sale_id", "hotmart_move_kind")

    hotmart_sale_id = fields.Many2one(
        "hotmart.sale",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
    )
    hotmart_move_kind = fields.Selection(
        [
            ("invoice", "Invoice"),
            ("settlement", "Hotmart Settlement"),
            ("credit_note", "Credit Note"),
            ("refund_settlement", "Reversed Hotmart Settlement"),
        ],
        string="Hotmart Entry",
        readonly=True,
        copy=False,
    )

    def init(self):
        res = super().init()
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (hotmart_sale_id, hotmart_move_kind) "
                "WHERE hotmart_sale_id IS NOT NULL",
                SQL.identifier(HOTMART_MOVE_INDEX),
                SQL.identifier(self._table),
            )
        )
        return res
