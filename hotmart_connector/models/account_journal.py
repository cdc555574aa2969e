from odoo import models


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def _hotmart_balance_method_lines(self, direction):
        """The Manual payment method line that posts ``direction`` ('inbound', 'outbound')
        payments straight to this journal's own account (the Hotmart balance)."""
        self.ensure_one()
        lines = (
            self.inbound_payment_method_line_ids
            if direction == "inbound"
            else self.outbound_payment_method_line_ids
        )
        return lines.filtered(
            lambda line: (
                line.payment_method_id.code == "manual"
                and line.payment_account_id == self.default_account_id
            )
        )[:1]
