from odoo import models


class FiscalDocument(models.Model):
    _inherit = "l10n_br_fiscal.document"

    def cancel_move_ids(self):
        """OCA cancels a cancelled note's invoice too. A Hotmart invoice the connector has
        reversed by a credit note stays posted: cancelling it as well would undo its
        settlement and reverse the sale twice."""
        reversed_by_hotmart = self.move_ids.filtered(
            lambda move: move.hotmart_sale_id.credit_note_id.reversed_entry_id == move
        )
        for document in self:
            moves = document.move_ids - reversed_by_hotmart
            if moves:
                moves.button_cancel()
