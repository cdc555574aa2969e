"""The nota fiscal of a Hotmart sale: which one, in which state, and why there is none."""

import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.hotmart_connector.const import REVERSING_STATUSES
from odoo.addons.hotmart_connector.models.explain import explain
from odoo.addons.hotmart_connector.models.guard import (
    as_connector,
    check_hotmart_role,
    commits,
    committing_run,
)

from ..const import (
    CANCEL_JUSTIFICATION,
    NF_BATCH,
    NF_PROCESSOR,
    NF_STATE_OF_EDOC,
    NF_STATES,
    SITUACAO_EDOC_AUTORIZADA,
    SITUACAO_EDOC_ENVIADA,
    SITUACAO_EDOC_REJEITADA,
)

_logger = logging.getLogger(__name__)

CRON = "hotmart_connector_l10n_br_fiscal.ir_cron_send_notas_fiscais"


def _reason_of(env, error):
    """What a person reads of an error: Odoo's message as it is, else the connector's."""
    return error.args[0] if isinstance(error, UserError) and error.args else explain(env, error)


class HotmartSale(models.Model):
    _inherit = "hotmart.sale"

    nf_document_id = fields.Many2one(
        "l10n_br_fiscal.document",
        string="Nota Fiscal",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The fiscal document of the sale's invoice that the connector sends.",
    )
    nf_state = fields.Selection(
        NF_STATES,
        string="Nota Fiscal State",
        compute="_compute_nf_state",
        store=True,
        index=True,
    )
    nf_reason = fields.Text(
        string="Nota Fiscal Reason",
        readonly=True,
        copy=False,
        help="Why the sale has no note, or what the provider answered.",
    )
    nf_number = fields.Char(related="nf_document_id.document_number", string="Note Number")
    nf_provider_message = fields.Text(
        related="nf_document_id.edoc_error_message", string="Provider's Message"
    )
    nf_attempt_date = fields.Datetime(
        string="Last Note Attempt",
        readonly=True,
        copy=False,
        help="When the connector last sent, asked or cancelled this sale's note.",
    )
    nf_resend = fields.Boolean(
        string="Note to Send Again",
        readonly=True,
        copy=False,
        help="Send Again was clicked: the scheduled action sends the note in a moment.",
    )
    nf_cancel_refused = fields.Boolean(
        string="Note Cancellation Refused",
        readonly=True,
        copy=False,
        help="The provider refused to cancel the note of this refunded sale: a person was "
        "asked to do it.",
    )

    @api.depends("nf_document_id.state_edoc", "nf_reason")
    def _compute_nf_state(self):
        for sale in self:
            document = sale.nf_document_id
            if not document:
                sale.nf_state = "no"
                continue
            state = NF_STATE_OF_EDOC.get(document.state_edoc, "to_send")
            # a note that could not be sent waits in 'a enviar' with the reason
            sale.nf_state = "failed" if state == "to_send" and sale.nf_reason else state

    # ------------------------------------------------------------------ what is due

    def _nf_prepare(self):
        """The invoices are posted: each sale gets the note to send, or the reason why it
        has none. Sending happens in the scheduled action, one committed note at a time,
        so that a batch undone and done again never sends a note twice."""
        for sale in self:
            reason = sale._nf_block_reason()
            sale.write(
                {
                    "nf_document_id": False if reason else sale.invoice_id.fiscal_document_id.id,
                    "nf_reason": reason or False,
                }
            )
        if any(sale.nf_state == "to_send" for sale in self):
            self.env.ref(CRON)._trigger()

    def _nf_block_reason(self):
        """Why this sale gets no nota fiscal, or an empty string."""
        self.ensure_one()
        _ = self.env._
        if self.backend_id.nf_policy == "none":
            return _("The account does not issue notas fiscais (Orders and Fiscal tab).")
        if self.invoice_by == "HOTMART":
            return _("Hotmart issues this buyer's invoice, so the account issues no nota fiscal.")
        if self._is_commission_sale():
            return _(
                "A commission Hotmart pays you as co-producer or affiliate: the producer's "
                "nota fiscal covers the sale."
            )
        invoice = self.invoice_id
        if not invoice or invoice.state != "posted":
            return _("The sale has no posted invoice yet.")
        if self.invoice_state == "refunded" or self.status in REVERSING_STATUSES:
            return _("Refunded before its nota fiscal was sent: none is issued.")
        document = invoice.fiscal_document_id
        if not (document.document_type_id and document.document_electronic):
            return _(
                "Invoice %(invoice)s is not an electronic nota fiscal: give the account a "
                "fiscal operation whose line for the product issues an NFS-e, and the company "
                "a series for it.",
                invoice=invoice.name,
            )
        provider_reason = self._nf_provider_reason(invoice.company_id)
        if provider_reason:
            return provider_reason
        return self._nf_customer_reason(invoice.partner_id.commercial_partner_id)

    def _nf_provider_reason(self, company):
        """Why the company cannot send an NFS-e: without OCA's processor OCA would mark the
        note authorized without sending it; without a provider it would never leave."""
        if company.processador_edoc != NF_PROCESSOR or not company["provedor_nfse"]:
            return self.env._(
                "The company %(company)s has no NFS-e provider: set its electronic documents "
                "processor to Odoo Community and its NFS-e provider (Settings > Companies), "
                "then click Send Again on the sale.",
                company=company.name,
            )
        return ""

    def _nf_customer_reason(self, customer):
        """What the customer's contact lacks for a nota fiscal, as a sentence."""
        _ = self.env._
        if customer.country_id.code != "BR":
            return _(
                "The buyer is abroad (%(country)s): no NFS-e is issued for them.",
                country=customer.country_id.name or _("no country"),
            )
        missing = [
            label
            for label, present in (
                (_("CPF or CNPJ"), customer.vat),
                (_("legal name"), customer.legal_name),
                (_("street"), customer.street_name or customer.street),
                (_("ZIP code"), customer.zip),
                (_("municipality"), customer.city_id),
            )
            if not present
        ]
        if missing:
            return _(
                "The contact %(customer)s lacks its %(missing)s for a nota fiscal. Complete "
                "it, then click Send Again on the sale.",
                customer=customer.display_name,
                missing=", ".join(missing),
            )
        return ""

    # ------------------------------------------------------------------ the scheduled action

    @api.model
    def _cron_send_notas_fiscais(self):
        """Send the notes due, ask their state, and cancel those of refunded sales; each
        note alone and committed, so that one refused note stops no other."""
        with committing_run():
            for method, domain in (
                ("_nf_send", ["|", ("nf_state", "=", "to_send"), ("nf_resend", "=", True)]),
                ("_nf_cancel", self._nf_to_cancel_domain()),
                ("_nf_ask_state", [("nf_document_id.state_edoc", "=", SITUACAO_EDOC_ENVIADA)]),
            ):
                # the longest untouched first: a note stuck at the provider never starves
                # the others
                sales = self.search(
                    domain + [("backend_id.active", "=", True)],
                    limit=NF_BATCH,
                    order="nf_attempt_date asc nulls first, id",
                )
                states = {sale: sale.nf_state for sale in sales}
                for sale in sales:
                    sale._nf_isolated(method)
                moved = any(sale.nf_state != state for sale, state in states.items())
                # more may wait; a full batch in which nothing moved waits for the next run
                if len(sales) == NF_BATCH and moved:
                    self.env.ref(CRON)._trigger()

    @api.model
    def _nf_to_cancel_domain(self):
        return [
            ("invoice_state", "=", "refunded"),
            ("nf_state", "=", "authorized"),
            ("nf_cancel_refused", "=", False),
        ]

    def _nf_isolated(self, method):
        """One note's work; an error is the sale's reason, never another note's trouble."""
        self.ensure_one()
        sale = self.with_company(self.company_id).with_context(lang=self.backend_id._company_lang())
        try:
            if commits():
                getattr(sale, method)()
                self.env.cr.commit()  # pylint: disable=invalid-commit
            else:
                with self.env.cr.savepoint():
                    getattr(sale, method)()
        except Exception as error:  # noqa: BLE001 (a provider's refusal of any kind)
            _logger.info(
                "Hotmart sale %s: nota fiscal %s failed: %s", sale.transaction, method, error
            )
            sale._nf_failed(_reason_of(sale.env, error))

    def _nf_failed(self, reason):
        """Keep the reason; a failure to keep it (the row taken meanwhile) stops nothing."""
        try:
            if commits():
                self.env.cr.rollback()
                self.write({"nf_reason": reason, "nf_attempt_date": fields.Datetime.now()})
                self.env.cr.commit()  # pylint: disable=invalid-commit
            else:
                with self.env.cr.savepoint():
                    self.write({"nf_reason": reason, "nf_attempt_date": fields.Datetime.now()})
        except Exception:  # noqa: BLE001
            _logger.exception("Hotmart sale %s: the note's reason was not kept", self.transaction)
            if commits():
                self.env.cr.rollback()

    def _nf_send(self):
        """Send this sale's note (again, after a rejection or a fix)."""
        self.ensure_one()
        document = self.invoice_id.fiscal_document_id
        if self.nf_attempt_date and self._nf_reached_the_provider(document):
            self.write({"nf_document_id": document.id, "nf_resend": False})
            return
        reason = self._nf_block_reason()
        if reason:
            self.write({"nf_document_id": False, "nf_reason": reason, "nf_resend": False})
            return
        self.write(
            {
                "nf_document_id": document.id,
                "nf_reason": False,
                "nf_resend": False,
                "nf_attempt_date": fields.Datetime.now(),
            }
        )
        if commits():
            # kept before the call: an error after the provider took the note must not
            # make the next run send it blind
            self.env.cr.commit()  # pylint: disable=invalid-commit
        # OCA sends a rejected note again as it is, from the current data; its invoice
        # stays posted and settled
        document.action_document_send()
        self._nf_note_rejection()

    def _nf_reached_the_provider(self, document):
        """A note tried before may have reached the provider though Odoo did not hear it:
        ask by its reference before sending it again."""
        try:
            with self.env.cr.savepoint():
                document._document_status()
        except UserError:
            return False  # the provider does not know it
        return document.state_edoc in (SITUACAO_EDOC_ENVIADA, SITUACAO_EDOC_AUTORIZADA)

    def _nf_ask_state(self):
        """Ask the provider whether the sent note is authorized."""
        self.ensure_one()
        self.nf_attempt_date = fields.Datetime.now()
        self.nf_document_id._document_status()
        self._nf_note_rejection()
        if self.nf_document_id.state_edoc == SITUACAO_EDOC_AUTORIZADA:
            self.nf_reason = False  # an earlier error is history once the note is authorized

    def _nf_note_rejection(self):
        document = self.nf_document_id
        if document.state_edoc == SITUACAO_EDOC_REJEITADA:
            self.nf_reason = document.edoc_error_message or self.env._(
                "The provider rejected the note without saying why: see the fiscal document."
            )

    def _nf_cancel(self):
        """Hotmart refunded the sale: cancel its authorized note, or, where the provider
        refuses (the municipality's window has closed), tell a person what to do."""
        self.ensure_one()
        document = self.nf_document_id
        self.nf_attempt_date = fields.Datetime.now()
        try:
            with self.env.cr.savepoint():
                document._document_cancel(CANCEL_JUSTIFICATION.format(transaction=self.transaction))
        except UserError as error:
            # a provider out of reach (down, a wrong token) is tried again next run; one that
            # answers and keeps the note authorized refused the cancellation
            with self.env.cr.savepoint():
                document._document_status()
            self.write({"nf_cancel_refused": True, "nf_reason": error.args[0]})
            self._nf_ask_to_cancel_by_hand(error.args[0])
            return
        self.nf_reason = False
        self.sale_order_id._message_log(
            body=self.env._(
                "Nota fiscal %(number)s cancelled: Hotmart refunded transaction %(transaction)s.",
                number=document.document_number or document.rps_number,
                transaction=self.transaction,
            )
        )

    def _nf_ask_to_cancel_by_hand(self, answer):
        self.sale_order_id._hotmart_ask_a_person(
            summary=self.env._("Cancel the nota fiscal by hand"),
            note=self.env._(
                "Hotmart refunded transaction %(transaction)s and credit note %(credit_note)s "
                "is booked, but the provider refused to cancel nota fiscal %(number)s: "
                "%(answer)s The municipality's cancellation window has probably closed: "
                "cancel the note on the municipality's portal or ask your accountant how to "
                "annul it there, then mark this activity done.",
                transaction=self.transaction,
                credit_note=self.credit_note_id.name,
                number=self.nf_document_id.document_number or self.nf_document_id.rps_number,
                answer=answer,
            ),
        )

    # ------------------------------------------------------------------ the button

    def action_nf_send_again(self):
        """Send the selected sales' notes again: those that failed, and those that had none
        because of what is fixed now (the contact, the provider). The scheduled action sends
        them in a moment, one committed note at a time, as it sends all notes."""
        check_hotmart_role(self, "group_hotmart_manager")
        if not (self.env.su or self.env.user.has_group("account.group_account_invoice")):
            raise AccessError(self.env._("Only people who may invoice send notas fiscais."))
        sales = as_connector(self).filtered(
            lambda s: s.invoice_state == "invoiced" and s.nf_state in ("no", "failed")
        )
        sales.write({"nf_resend": True})
        if sales:
            self.env.ref(CRON)._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "%(count)s note(s) will be sent in a moment: each sale shows its state.",
                    count=len(sales),
                ),
                "type": "success" if sales else "warning",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
