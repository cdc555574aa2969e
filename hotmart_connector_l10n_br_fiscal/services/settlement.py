from odoo import api, models

# what makes a move a fiscal document of OCA's
FISCAL_DOCUMENT_FIELDS = ("fiscal_operation_id", "document_type_id", "document_serie_id")


class HotmartSettlement(models.AbstractModel):
    """The nota fiscal follows the books: sent once the invoice is posted, cancelled once
    the refund is booked."""

    _inherit = "hotmart.settlement"

    @api.model
    def _after_invoice(self, sales):
        super()._after_invoice(sales)
        sales._nf_prepare()

    @api.model
    def _credit_note_values(self, sale, credit_note):
        values = super()._credit_note_values(sale, credit_note)
        if credit_note.document_type_id:
            # a refunded service's NFS-e is cancelled, not answered by another document
            values.update(dict.fromkeys(FISCAL_DOCUMENT_FIELDS, False))
        return values

    @api.model
    def _after_reverse(self, sales):
        super()._after_reverse(sales)
        unsent = sales.filtered(lambda s: s.nf_state in ("to_send", "failed"))
        # one tried before may have reached the provider: the scheduled action asks it first
        unsent.filtered("nf_attempt_date").write({"nf_resend": True})
        unsent.filtered(lambda s: not s.nf_attempt_date).write(
            {
                "nf_document_id": False,
                "nf_reason": self.env._(
                    "Refunded before its nota fiscal was sent: none is issued."
                ),
            }
        )
        if sales.filtered(lambda s: s.nf_state in ("sent", "authorized") or s.nf_resend):
            self.env.ref("hotmart_connector_l10n_br_fiscal.ir_cron_send_notas_fiscais")._trigger()
