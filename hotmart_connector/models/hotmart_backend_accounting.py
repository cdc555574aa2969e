"""The money side of an account: when to invoice, and where Hotmart's money goes."""

import logging
import threading

from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import split_every

_logger = logging.getLogger(__name__)

INVOICE_BATCH = 100  # sales invoiced and settled per transaction by the scheduled action
# Sales received per transaction when they are invoiced too: Odoo's reconciliation slows
# down faster than linearly with the payments of one transaction.
RECEIVE_AND_INVOICE_BATCH = 200
# What each policy needs, by field name, in the order the form shows them.
POLICY_SETTINGS = (
    "invoice_journal_id",
    "payment_journal_id",
    "fee_account_id",
    "commission_account_id",
)


class HotmartBackend(models.Model):
    _inherit = "hotmart.backend"

    invoice_policy = fields.Selection(
        [
            ("none", "Never"),
            ("paid", "When paid"),
            ("guarantee", "When the guarantee ends"),
        ],
        string="Invoicing Policy",
        default="none",
        required=True,
        tracking=True,
        help="Never: orders only. When paid: an order confirmed by a paid Hotmart status is "
        "invoiced and settled at once. When the guarantee ends: once Hotmart says COMPLETE or "
        "the sale's guarantee date has passed, so that refunds within the guarantee never "
        "need a credit note.",
    )
    invoice_journal_id = fields.Many2one(
        "account.journal",
        string="Sales Journal",
        check_company=True,
        domain="[('type', '=', 'sale')]",
        default=lambda self: self._default_invoice_journal(),
        help="The journal of the invoices of Hotmart sales.",
    )
    payment_journal_id = fields.Many2one(
        "account.journal",
        string="Hotmart Balance Journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="A bank journal that holds what Hotmart owes you: every settled sale adds its net "
        "amount, every refund takes it back, and Hotmart's payouts to your bank leave it.",
    )
    fee_account_id = fields.Many2one(
        "account.account",
        string="Hotmart Fee Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Expense account for Hotmart's fee on each sale.",
    )
    commission_account_id = fields.Many2one(
        "account.account",
        string="Commissions Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Expense account for the commissions of co-producers and affiliates.",
    )

    @api.model
    def _default_invoice_journal(self):
        Journal = self.env["account.journal"]
        company = self.env["res.company"].browse(self.env.context.get("default_company_id"))
        return Journal.search(
            [*Journal._check_company_domain(company or self.env.company), ("type", "=", "sale")],
            limit=1,
        )

    @api.constrains("payment_journal_id")
    def _check_payment_journal(self):
        for backend in self.filtered("payment_journal_id"):
            journal = backend.payment_journal_id
            if journal.currency_id and journal.currency_id != backend.company_id.currency_id:
                raise ValidationError(
                    self.env._(
                        "The Hotmart balance journal %(journal)s must be in the company's "
                        "currency: the settlements are booked in it.",
                        journal=journal.display_name,
                    )
                )
            if not (
                journal._hotmart_balance_method_lines("inbound")
                and journal._hotmart_balance_method_lines("outbound")
            ):
                raise ValidationError(
                    self.env._(
                        "Journal %(journal)s does not post payments to its own account, so its "
                        "balance would not be what Hotmart owes you. Use Create next to the "
                        "field, or set the account of the journal's Manual incoming and "
                        "outgoing payment methods to %(account)s.",
                        journal=journal.display_name,
                        account=journal.default_account_id.display_name,
                    )
                )

    @api.constrains("invoice_policy", *POLICY_SETTINGS)
    def _check_invoice_settings(self):
        for backend in self.filtered(lambda b: b.invoice_policy != "none"):
            missing = backend._missing_invoice_settings()
            if missing:
                raise ValidationError(
                    self.env._(
                        "Account %(name)s invoices its sales: choose %(fields)s on the Accounting "
                        "tab, or set the Invoicing Policy to Never.",
                        name=backend.name,
                        fields=", ".join(missing),
                    )
                )

    def _missing_invoice_settings(self):
        self.ensure_one()
        return [
            self._fields[name].get_description(self.env)["string"]
            for name in POLICY_SETTINGS
            if not self[name]
        ]

    def _fetch_status_extras(self, client, date_from, date_to, status):
        super()._fetch_status_extras(client, date_from, date_to, status)
        # only paid sales are invoiced; a refund reverses what was booked, as it was
        if self.invoice_policy == "none" or status not in ("APPROVED", "COMPLETE"):
            return
        Sale = self.env["hotmart.sale"].sudo()
        for page in client.sales_commissions(date_from, date_to, status):
            Sale._store_settlements_page(self, page)
            self._end_of_page()

    def _receive_batch_size(self):
        if self.invoice_policy == "paid":  # invoiced as they are received
            return min(super()._receive_batch_size(), RECEIVE_AND_INVOICE_BATCH)
        return super()._receive_batch_size()

    def action_create_payment_journal(self):
        """Create a bank journal named "Hotmart" for the Hotmart balance, and use it."""
        self.ensure_one()
        Journal = self.env["account.journal"].with_company(self.company_id)
        codes = set(Journal.search([("company_id", "=", self.company_id.id)]).mapped("code"))
        code = next(c for c in ("HTMT", *(f"HTM{i}" for i in range(1, 100))) if c not in codes)
        journal = Journal.create(
            {
                "name": self.env._("Hotmart (%(account)s)", account=self.name),
                "type": "bank",
                "code": code,
                "company_id": self.company_id.id,
                "currency_id": False,
            }
        )
        # payments go straight to the journal's own account: its balance is what Hotmart owes
        (journal.inbound_payment_method_line_ids | journal.outbound_payment_method_line_ids).write(
            {"payment_account_id": journal.default_account_id.id}
        )
        self.payment_journal_id = journal
        return True

    @api.model
    def _cron_invoice_sales(self):
        """Scheduled action: invoice and settle what reached the policy (guarantees that
        ended meanwhile, failures to retry), and settle refunds of invoiced sales."""
        commit = not getattr(threading.current_thread(), "testing", False)
        Sale = self.env["hotmart.sale"].sudo()
        for backend in self.search([("state", "=", "active")]):
            sale_ids = Sale.search(backend._invoice_work_domain(), order="order_date, id").ids
            in_lang = Sale.with_context(lang=backend._company_lang())
            for batch_ids in split_every(INVOICE_BATCH, sale_ids):
                try:
                    # invoices and reversals, and the orders' states that waited on them
                    in_lang.browse(batch_ids)._apply_status_to_orders(
                        in_lang.env._("the invoicing run")
                    )
                except errors.TransactionRollbackError as error:
                    # another run is on these sales: the next run finds them done or to do
                    if not commit:
                        raise
                    _logger.info("Hotmart account %s: invoicing clashed: %s", backend.id, error)
                    self.env.cr.rollback()
                if commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                    self.env.invalidate_all()

    def _invoice_work_domain(self):
        """Sales with work waiting: paid and due (or failed before), or invoiced and then
        refunded (whatever the policy is now)."""
        self.ensure_one()
        reversals = [
            ("invoice_state", "=", "invoiced"),
            "|",
            ("status", "in", ("REFUNDED", "CHARGEBACK")),
            "&",
            ("status", "=", "PARTIALLY_REFUNDED"),
            ("partial_refund_noted", "=", False),
        ]
        if self.invoice_policy == "none":
            return [("backend_id", "=", self.id), ("sale_order_id", "!=", False), *reversals]
        due = [("status", "in", ("APPROVED", "COMPLETE"))]
        if self.invoice_policy == "guarantee":
            due = [
                "|",
                ("status", "=", "COMPLETE"),
                "&",
                ("status", "=", "APPROVED"),
                ("warranty_expire_date", "<=", fields.Datetime.now()),
            ]
        return [
            ("backend_id", "=", self.id),
            ("sale_order_id", "!=", False),
            "|",
            "&",
            ("invoice_state", "in", ("no", "to_invoice", "failed")),
            *due,
            "&",
            *reversals,
        ]
