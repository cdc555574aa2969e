"""The money of a Hotmart sale: what Hotmart keeps, credits and pays others, the invoice,
the settlement in the Hotmart balance journal, and their reversal on a refund."""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, formatLang

from ..const import PAID_STATUSES, REVERSING_STATUSES
from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.records import HotmartBuyer, settlements_by_transaction
from .bulk import REFUSALS, reason_of
from .sale_order import QUIET

_logger = logging.getLogger(__name__)

SETTLEMENT_FIELDS = (
    "payout_rate",
    "fee_amount",
    "commission_amount",
    "net_amount",
    "payout_currency_id",
    "commission_shares",
)


class HotmartSale(models.Model):
    _inherit = "hotmart.sale"

    warranty_expire_date = fields.Datetime(
        string="Guarantee Ends", readonly=True, help="Until then the buyer may ask for a refund."
    )
    payout_currency_id = fields.Many2one(
        "res.currency",
        readonly=True,
        help="The currency Hotmart pays the producer in (reais for Brazilian producers).",
    )
    fee_amount = fields.Monetary(
        string="Hotmart Fee", currency_field="payout_currency_id", readonly=True
    )
    commission_amount = fields.Monetary(
        string="Commissions",
        currency_field="payout_currency_id",
        readonly=True,
        help="What co-producers, affiliates and add-ons receive of this sale.",
    )
    payout_rate = fields.Float(
        digits=(16, 8),
        readonly=True,
        help="Hotmart's rate from the sale's currency to the payout currency, when it says.",
    )
    commission_shares = fields.Json(
        readonly=True,
        copy=False,
        help="Who else is paid a share of this sale, as Hotmart names them: source, amount "
        "(payout currency), name, e-mail and Hotmart code.",
    )
    net_amount = fields.Monetary(
        string="Net",
        currency_field="payout_currency_id",
        readonly=True,
        help="What Hotmart credits the producer for this sale.",
    )
    gross_amount = fields.Monetary(
        string="Gross",
        currency_field="payout_currency_id",
        compute="_compute_gross_amount",
        store=True,
        help="Fee, commissions and net together, in the payout currency.",
    )
    invoice_state = fields.Selection(
        [
            ("no", "Not to Invoice"),
            ("to_invoice", "To Invoice"),
            ("invoiced", "Invoiced"),
            ("refunded", "Refunded"),
            ("failed", "Invoicing Failed"),
        ],
        default="no",
        required=True,
        readonly=True,
        index=True,
        copy=False,
    )
    invoice_error = fields.Text(readonly=True, copy=False)
    partial_refund_noted = fields.Boolean(
        readonly=True, copy=False, help="A person was asked to book Hotmart's partial refund."
    )
    invoice_id = fields.Many2one("account.move", readonly=True, copy=False, index="btree_not_null")
    payment_id = fields.Many2one("account.payment", string="Settlement", readonly=True, copy=False)
    credit_note_id = fields.Many2one("account.move", readonly=True, copy=False)
    refund_payment_id = fields.Many2one(
        "account.payment", string="Reversed Settlement", readonly=True, copy=False
    )

    @api.depends("fee_amount", "commission_amount", "net_amount")
    def _compute_gross_amount(self):
        for sale in self:
            sale.gross_amount = sale.fee_amount + sale.commission_amount + sale.net_amount

    # ------------------------------------------------------------------ settlement data

    @api.model
    def _values_from_record(self, record, currencies):
        values = super()._values_from_record(record, currencies)
        values["warranty_expire_date"] = (
            record.warranty_expire_date.replace(tzinfo=None)
            if record.warranty_expire_date
            else False
        )
        if record.settlement:
            values.update(self._settlement_values(record.settlement))
        return values

    @api.model
    def _settlement_values(self, settlement, currencies=None):
        if currencies is None:
            currencies = self._currency_ids_by_code({settlement.currency})
        currency = currencies.get(settlement.currency)
        return {
            "fee_amount": float(settlement.fee),
            "commission_amount": float(settlement.commission),
            "net_amount": float(settlement.net),
            "payout_currency_id": currency or False,
            "payout_rate": float(settlement.rate) if settlement.rate else False,
            "commission_shares": [
                {
                    "source": share.source,
                    "amount": float(share.amount),
                    "name": share.name,
                    "email": share.email,
                    "ucode": share.ucode,
                }
                for share in settlement.recipients
            ]
            or False,
        }

    def _write_changes(self, values):
        if len(self) == 1 and self.invoice_state in ("invoiced", "refunded"):
            # what was settled stays as booked: a refund reverses exactly that
            values = {k: v for k, v in values.items() if k not in SETTLEMENT_FIELDS}
        return super()._write_changes(values)

    @api.model
    def _store_settlements_page(self, backend, items):
        """Attach one /sales/commissions page to the sales stored, then invoice the ones
        that were only waiting for it."""
        settlements = {}
        for item in items if isinstance(items, list) else []:
            try:
                settlements.update(settlements_by_transaction([item]))
            except HotmartBadPayloadError as error:
                _logger.warning("Hotmart account %s: commissions skipped: %s", backend.id, error)
        if not settlements:
            return self.browse()
        sales = self.search(
            [("backend_id", "=", backend.id), ("transaction", "in", list(settlements))]
        )
        currencies = self._currency_ids_by_code({s.currency for s in settlements.values()})
        for sale in sales:
            values = self._settlement_values(settlements[sale.transaction], currencies)
            sale._write_changes(values)
        sales._hotmart_accounting(reverse=False)
        return sales

    # ------------------------------------------------------------------ when

    def _apply_status_to_orders(self, cause=None):
        # a refund reverses the invoice first, so that the order may then be cancelled
        self._hotmart_accounting(invoice=False)
        result = super()._apply_status_to_orders(cause)
        self._hotmart_accounting(reverse=False)
        return result

    def _receive(self, origin):
        result = super()._receive(origin)
        result["received"]._hotmart_accounting(reverse=False)
        return result

    def _is_invoice_due(self, now):
        """Whether this sale's order reached the account's invoicing policy, at or after the
        account's Invoice Sales Since."""
        self.ensure_one()
        backend = self.backend_id
        policy = backend.invoice_policy
        if (
            policy == "none"
            or self.invoice_state in ("invoiced", "refunded")
            or self.status not in PAID_STATUSES
            or self.sale_order_id.state != "sale"
        ):
            return False
        if policy == "guarantee" and not (
            self.status == "COMPLETE"
            or (self.warranty_expire_date and self.warranty_expire_date <= now)
        ):
            return False
        reached = self._policy_date(policy)
        return not backend.invoice_since or bool(reached and reached >= backend.invoice_since)

    def _policy_date(self, policy):
        """When this sale reached ``policy``: approved (When paid), or its guarantee over
        (When the guarantee ends); never later than now. Matches
        ``hotmart.backend._due_domain``."""
        self.ensure_one()
        if policy == "paid":
            moment = self.approved_date or self.order_date
        else:
            moment = self.warranty_expire_date or self.approved_date
        return min(moment, fields.Datetime.now()) if moment else False

    def _local_day(self, moment):
        """The account's booking day of a naive UTC moment: the same whoever runs it."""
        return self.backend_id._booking_day(moment)

    def _hotmart_accounting(self, invoice=True, reverse=True):
        """Invoice and settle the sales that reached their account's policy, and reverse the
        invoiced ones that Hotmart refunded. Each sale fails alone, with its reason."""
        # an invoiced sale is reversed on a refund even if the account stopped invoicing since
        sales = self.sudo().filtered(
            lambda s: (
                s.sale_order_id
                and (s.backend_id.invoice_policy != "none" or s.invoice_state == "invoiced")
            )
        )
        if not sales:
            return
        # refunded before it was ever invoiced: there is nothing to invoice any more
        sales.filtered(
            lambda s: s.status in REVERSING_STATUSES and s.invoice_state in ("to_invoice", "failed")
        ).write({"invoice_state": "no", "invoice_error": False})
        if reverse:
            sales.filtered(
                lambda s: (
                    s.invoice_state == "invoiced"
                    and s.status == "PARTIALLY_REFUNDED"
                    and not s.partial_refund_noted
                )
            )._hotmart_ask_for_partial_credit_note()
        now = fields.Datetime.now()
        to_reverse = (
            sales.filtered(
                lambda s: s.invoice_state == "invoiced" and s.status in REVERSING_STATUSES
            )
            if reverse
            else sales.browse()
        )
        to_invoice = sales.filtered(lambda s: s._is_invoice_due(now)) if invoice else sales.browse()
        if not (to_reverse or to_invoice):
            return
        locked = (to_reverse | to_invoice)._lock_for_accounting()
        to_reverse &= locked.filtered(lambda s: s.invoice_state == "invoiced")
        to_invoice &= locked.filtered(lambda s: s.invoice_state not in ("invoiced", "refunded"))
        for backend in (to_reverse | to_invoice).backend_id:
            mine = (to_reverse | to_invoice).filtered(lambda s, b=backend: s.backend_id == b)
            (to_reverse & mine)._isolated("_hotmart_reverse_batch", "_hotmart_reversal_failed")
            ready = (to_invoice & mine).filtered("payout_currency_id")
            (to_invoice & mine - ready)._hotmart_wait_for_settlement()
            ready._isolated("_hotmart_invoice_batch", "_hotmart_invoicing_failed")

    def _hotmart_ask_for_partial_credit_note(self):
        """Hotmart refunded part of an invoiced sale: a person books that part (once)."""
        for sale in self:
            order = sale.sale_order_id
            sale.partial_refund_noted = True
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=sale.backend_id._activity_user(order).id,
                summary=self.env._("Partially refunded on Hotmart"),
                note=self.env._(
                    "Hotmart partially refunded transaction %(transaction)s. Invoice %(invoice)s "
                    "is %(total)s, of which Hotmart credited %(net)s (fee %(fee)s, commissions "
                    "%(commission)s). Check the refunded amount on Hotmart, then issue a credit "
                    "note for it and a payment from the Hotmart journal for the net it takes back.",
                    transaction=sale.transaction,
                    invoice=sale.invoice_id.name,
                    total=sale._company_money(sale.invoice_id.amount_total),
                    net=format_amount(self.env, sale.net_amount, sale.payout_currency_id),
                    fee=format_amount(self.env, sale.fee_amount, sale.payout_currency_id),
                    commission=format_amount(
                        self.env, sale.commission_amount, sale.payout_currency_id
                    ),
                ),
            )

    def _lock_for_accounting(self):
        """Lock these rows: two runs never invoice, settle or reverse one sale twice (a run
        that finds them changed by another one fails as a serialization error, retried)."""
        self.flush_recordset()
        self.env.cr.execute(
            "SELECT id FROM hotmart_sale WHERE id IN %s ORDER BY id FOR UPDATE",
            [tuple(self.ids)],
        )
        self.invalidate_recordset(["invoice_state", "invoice_id", "credit_note_id"])
        return self

    def _isolated(self, method, on_failure):
        """Run ``method`` on all these sales in one go; if that fails, on each alone, and
        ``on_failure(error)`` for each sale that fails alone."""
        if not self:
            return
        try:
            with self.env.cr.savepoint():
                getattr(self, method)()
                self.env.flush_all()
            return
        except REFUSALS as error:
            if len(self) == 1:
                return getattr(self, on_failure)(error)
            _logger.info("Hotmart %s in bulk failed (%s); one by one.", method, error)
        for sale in self:
            try:
                with self.env.cr.savepoint():
                    getattr(sale, method)()
                    self.env.flush_all()
            except REFUSALS as error:
                getattr(sale, on_failure)(error)

    def _hotmart_invoicing_failed(self, error):
        reason = reason_of(error)
        _logger.info("Hotmart sale %s not invoiced: %s", self.transaction, reason)
        told = self.invoice_state == "failed" and self.invoice_error == reason
        self.write({"invoice_state": "failed", "invoice_error": reason})
        if not told:  # once per reason, not at every retry
            self.sale_order_id._message_log(
                body=self.env._(
                    "Could not invoice and settle this order: %(reason)s The next run tries again.",
                    reason=reason,
                )
            )

    def _hotmart_reversal_failed(self, error):
        """The sale stays invoiced, so that the next run tries the reversal again."""
        reason = reason_of(error)
        _logger.info("Hotmart sale %s not reversed: %s", self.transaction, reason)
        if self.invoice_error != reason:
            self.invoice_error = reason
            self.sale_order_id._message_log(
                body=self.env._(
                    "Could not reverse the invoice and the settlement of this order after "
                    "Hotmart's news (%(status)s): %(reason)s The next run tries again.",
                    status=self.sale_order_id._hotmart_status_label(self.status),
                    reason=reason,
                )
            )

    def _hotmart_wait_for_settlement(self):
        self.filtered(lambda s: s.invoice_state != "to_invoice").write(
            {
                "invoice_state": "to_invoice",
                "invoice_error": self.env._(
                    "Waiting for Hotmart's commissions of this sale (its fee and net); the next "
                    "run reads them."
                ),
            }
        )

    # ------------------------------------------------------------------ invoicing

    def _hotmart_invoice_batch(self):
        """Invoice these sales' orders, post the invoices, and book what Hotmart credits,
        each on the day the sale reached the policy."""
        backend = self.backend_id
        backend.ensure_one()
        self._check_settlement_adds_up()
        self._check_books_agree()
        orders = self.sale_order_id.with_company(backend.company_id).with_context(**QUIET)
        orders.filtered(lambda o: o.journal_id != backend.invoice_journal_id).write(
            {"journal_id": backend.invoice_journal_id.id}
        )
        invoices = orders._create_invoices(grouped=True, final=True)
        invoice_of = {}
        for invoice in invoices:
            for order in invoice.invoice_line_ids.sale_line_ids.order_id:
                invoice_of[order] = invoice
        moved = {}
        for sale in self:
            if sale.sale_order_id not in invoice_of:
                raise UserError(
                    self.env._(
                        "Order %(order)s has nothing to invoice: its products must be invoiced "
                        "on ordered quantities (product form, Invoicing Policy).",
                        order=sale.sale_order_id.name,
                    )
                )
            invoice = invoice_of[sale.sale_order_id]
            day = sale._local_day(sale._policy_date(backend.invoice_policy))
            invoice.write(
                {"hotmart_sale_id": sale.id, "hotmart_move_kind": "invoice", "invoice_date": day}
            )
            # the invoice keeps the sale's day; a locked period moves its accounting date only
            open_day = sale._first_open_day(invoice, day)
            if open_day != day:
                moved[sale] = (day, open_day)
                invoice.date = open_day
            # what is posted, not what the order says: the invoice is checked against Hotmart
            sale._check_invoice_agrees(invoice)
        invoices.with_context(**QUIET).action_post()
        recipients = self._commission_recipients()
        payments = self._hotmart_settle(
            {
                sale: (
                    invoice_of[sale.sale_order_id],
                    sale._settlement_payment_vals(invoice_of[sale.sale_order_id], recipients),
                )
                for sale in self
            },
            "settlement",
        )
        for sale in self:
            invoice, payment = invoice_of[sale.sale_order_id], payments[sale]
            sale.write(
                {
                    "invoice_state": "invoiced",
                    "invoice_error": False,
                    "invoice_id": invoice.id,
                    "payment_id": payment.id,
                }
            )
            body = sale._settled_message(invoice, payment)
            if sale in moved:
                body += " " + sale._moved_message(*moved[sale])
            sale.sale_order_id._message_log(body=body)

    def _first_open_day(self, move, day):
        """``day``, or the first day after the lock dates that close it, as Odoo moves a
        date in a locked period."""
        lock_dates = move._get_violated_lock_dates(day, move._affect_tax_report())
        return lock_dates[-1][0] + timedelta(days=1) if lock_dates else day

    def _moved_message(self, day, open_day):
        return self.env._(
            "Hotmart's date is %(day)s, in a locked period: booked on %(open_day)s, the first "
            "open day.",
            day=fields.Date.to_string(day),
            open_day=fields.Date.to_string(open_day),
        )

    def _check_books_agree(self):
        """Before anything is made: the order is still the one made from Hotmart's amount
        (the invoice is checked again once made: ``_check_invoice_agrees``)."""
        for sale in self:
            order = sale.sale_order_id
            sale._check_total_is_hotmarts(order.amount_total, order.currency_id, order.name)

    def _check_invoice_agrees(self, invoice):
        """The invoice about to be posted is what the buyer paid, to the buyer, and within
        the account's exchange difference limit of what Hotmart grossed, or the sale fails
        (the batch's savepoint undoes the invoice)."""
        self.ensure_one()
        total = abs(invoice.amount_total_signed)
        self._check_total_is_hotmarts(
            total, invoice.company_id.currency_id, invoice.name or invoice.ref or "-"
        )
        order = self.sale_order_id
        if invoice.commercial_partner_id != order.partner_id.commercial_partner_id:
            raise UserError(
                self.env._(
                    "The invoice of order %(order)s would go to %(partner)s, not to the buyer "
                    "the order was made for: put the order back as it was received.",
                    order=order.name,
                    partner=invoice.commercial_partner_id.display_name,
                )
            )
        self._check_exchange_difference(total, invoice.date)

    def _check_total_is_hotmarts(self, total, currency, document):
        """``total`` (of an order or an invoice) is the total the order was made with."""
        self.ensure_one()
        company_currency = self.backend_id.company_id.currency_id
        made_for = self.sale_order_id.hotmart_expected_total or self.amount_company
        if currency != company_currency or company_currency.compare_amounts(total, made_for):
            raise UserError(
                self.env._(
                    "%(document)s totals %(total)s, but order %(order)s was made for %(paid)s, "
                    "what the buyer paid on Hotmart. The connector invoices only what Hotmart "
                    "reported: put the order back as it was received, or invoice it by hand.",
                    document=document,
                    order=self.sale_order_id.name,
                    total=formatLang(self.env, total, currency_obj=currency),
                    paid=self._company_money(made_for),
                )
            )

    def _check_exchange_difference(self, invoice_total, day):
        """The invoice and what Hotmart grossed, both in company currency on the invoice's
        day, differ by no more than the account's limit: beyond it, a rate is wrong, not
        drifting."""
        self.ensure_one()
        backend = self.backend_id
        grossed = self._grossed()
        gross = self._payout_to_company(grossed, day)
        gap = abs(invoice_total - gross)
        if not gross or gap * 100 <= backend.exchange_difference_limit * gross:
            return
        raise UserError(
            self.env._(
                "The invoice of %(transaction)s would be %(invoice)s, but Hotmart grossed "
                "%(gross)s (%(gross_payout)s): %(percent)s%% apart, more than the account's "
                "exchange difference limit of %(limit)s%%. Check the rate of %(currency)s "
                "(%(rate)s), then the next run tries again.",
                transaction=self.transaction,
                invoice=self._company_money(invoice_total),
                gross=self._company_money(gross),
                gross_payout=format_amount(self.env, grossed, self.payout_currency_id),
                percent=round(gap * 100 / gross, 1),
                limit=backend.exchange_difference_limit,
                currency=self.currency_id.name or self.currency_code,
                rate=self._rate_in_use(),
            )
        )

    def _rate_in_use(self):
        """Where the sale's rate came from, in words: the account's fixed rate, or Odoo's."""
        backend = self.backend_id
        company = backend.company_id
        fixed = {"USD": backend.usd_rate, "EUR": backend.eur_rate}.get(self.currency_id.name)
        if self.currency_id == company.currency_id:
            return self.env._("no conversion")
        if fixed:
            return self.env._(
                "the account's rate, %(rate)s",
                rate=format_amount(self.env, fixed, company.currency_id),
            )
        return self.env._("Odoo's rates, Invoicing settings > Currencies")

    def _payout_to_company(self, amount, day):
        """``amount`` of the payout currency in company currency on ``day``; a currency
        without a rate then fails the sale (Odoo would convert it 1:1)."""
        self.ensure_one()
        company = self.backend_id.company_id
        payout = self.payout_currency_id
        if payout == company.currency_id:
            return company.currency_id.round(amount)
        first_day = self.backend_id._first_rate_days(payout).get(payout.id)
        if not first_day or first_day > day:
            raise UserError(
                self.env._(
                    "Hotmart pays this sale in %(currency)s, which has no exchange rate on or "
                    "before %(day)s. Add one (Invoicing settings > Currencies); the next run "
                    "tries again.",
                    currency=payout.name,
                    day=fields.Date.to_string(day),
                )
            )
        return payout._convert(amount, company.currency_id, company, day)

    def _hotmart_reverse_batch(self):
        """Credit notes for these refunded sales' invoices, and their settlements reversed
        as they were booked, whatever the account's settings are now."""
        credit_notes = {}
        for sale in self:
            sale._check_invoice_reversible()
            invoice = sale.invoice_id
            day = sale._first_open_day(invoice, sale._local_day(sale._refund_moment()))
            label = sale.sale_order_id._hotmart_status_label(sale.status)
            credit_note = invoice.with_context(**QUIET)._reverse_moves(
                [
                    {
                        "ref": self.env._(
                            "Hotmart %(transaction)s: %(status)s",
                            status=label,
                            transaction=sale.transaction,
                        ),
                        "date": day,
                        "invoice_date": day,
                    }
                ],
                cancel=False,
            )
            credit_note.write({"hotmart_sale_id": sale.id, "hotmart_move_kind": "credit_note"})
            credit_notes[sale] = credit_note
        self.env["account.move"].union(*credit_notes.values()).with_context(**QUIET).action_post()
        payments = self._hotmart_settle(
            {
                sale: (credit_note, sale._reversal_payment_vals(credit_note))
                for sale, credit_note in credit_notes.items()
            },
            "refund_settlement",
        )
        for sale in self:
            sale.write(
                {
                    "invoice_state": "refunded",
                    "credit_note_id": credit_notes[sale].id,
                    "refund_payment_id": payments[sale].id,
                }
            )
            sale.sale_order_id._message_log(
                body=self.env._(
                    "Hotmart's news (%(status)s): invoice %(invoice)s reversed by credit note "
                    "%(credit_note)s, and the Hotmart balance lowered by %(net)s (%(payment)s), "
                    "as the settlement was booked.",
                    status=sale.sale_order_id._hotmart_status_label(sale.status),
                    invoice=sale.invoice_id.name,
                    credit_note=credit_notes[sale].name,
                    net=sale._company_money(payments[sale].amount),
                    payment=payments[sale].name,
                )
            )

    def _refund_moment(self):
        """When Hotmart took the money back: the event's time when a webhook said it, else
        now (a history read carries no time)."""
        self.ensure_one()
        if self.status_source == "webhook" and self.status_date:
            return min(self.status_date, fields.Datetime.now())
        return fields.Datetime.now()

    def _check_invoice_reversible(self):
        """The invoice and the settlement are as the connector booked them: posted, and not
        reversed by hand."""
        self.ensure_one()
        invoice = self.invoice_id
        reversals = invoice.reversal_move_ids.filtered(lambda move: move.state == "posted")
        if invoice.state != "posted" or reversals:
            raise UserError(
                self.env._(
                    "Invoice %(invoice)s was changed by hand since it was booked (%(how)s): "
                    "book Hotmart's refund by hand, with a credit note and a payment from the "
                    "Hotmart journal for the net.",
                    invoice=invoice.name or "-",
                    how=", ".join(reversals.mapped("name"))
                    or dict(invoice._fields["state"]._description_selection(self.env)).get(
                        invoice.state, invoice.state
                    ),
                )
            )
        payment = self.payment_id
        if (
            not payment
            or payment.state not in ("paid", "in_process")
            or not self._settles(invoice, payment)
        ):
            raise UserError(
                self.env._(
                    "The settlement of invoice %(invoice)s (%(payment)s) no longer pays it as "
                    "it was booked: book Hotmart's refund by hand, with a credit note and a "
                    "payment from the Hotmart journal for the net.",
                    invoice=invoice.name,
                    payment=payment.name or "-",
                )
            )

    @staticmethod
    def _settles(invoice, payment):
        """Whether ``payment`` is still reconciled with ``invoice``, as it was booked."""
        terms = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
        matched = terms.matched_credit_ids.credit_move_id | terms.matched_debit_ids.debit_move_id
        return bool(payment.move_id and matched & payment.move_id.line_ids)

    def _grossed(self):
        """What Hotmart split between itself, the others and the producer, in the payout
        currency (from the shares themselves, not a stored sum)."""
        self.ensure_one()
        return self.fee_amount + self.commission_amount + self.net_amount

    def _check_settlement_adds_up(self):
        """Hotmart's fee, commissions and net add up to what the buyer paid, converted at
        Hotmart's own payout rate when the sale is in another currency (rounding aside): a
        gap there is a missing share, never an exchange difference. Without Hotmart's rate
        only the exchange difference limit applies."""
        for sale in self:
            payout = sale.payout_currency_id
            if sale.currency_id == payout:
                paid = sale.amount
            elif sale.payout_rate:
                paid = payout.round(sale.amount * sale.payout_rate)
            else:
                continue
            gap = paid - sale._grossed()
            if payout.compare_amounts(abs(gap), 0.05) > 0:
                raise UserError(
                    self.env._(
                        "Hotmart's fee, commissions and net of %(transaction)s add up to "
                        "%(settled)s, but the buyer paid %(paid)s: a share is missing. The next "
                        "run reads Hotmart's commissions again.",
                        transaction=sale.transaction,
                        settled=format_amount(self.env, sale._grossed(), payout),
                        paid=format_amount(self.env, paid, payout),
                    )
                )

    def _hotmart_settle(self, move_and_vals, kind):
        """Post the payments {sale: (move, payment values)} and reconcile each with its
        move (the invoice, or the credit note)."""
        Payment = self.env["account.payment"].with_context(**QUIET)
        sales = list(move_and_vals)
        payments = Payment.create([move_and_vals[sale][1] for sale in sales])
        payments.action_post()
        for sale, payment in zip(sales, payments, strict=True):
            move = move_and_vals[sale][0]
            payment.move_id.write({"hotmart_sale_id": sale.id, "hotmart_move_kind": kind})
            account = payment.destination_account_id
            lines = (move.line_ids | payment.move_id.line_ids).filtered(
                lambda line, a=account: line.account_id == a and not line.reconciled
            )
            lines.reconcile()
        return dict(zip(sales, payments, strict=True))

    def _settlement_payment_vals(self, invoice, recipients=None):
        """What Hotmart credits for this sale, on the invoice's date: the net in the Hotmart
        journal, Hotmart's fee (with Hotmart as partner) and others' commissions written off
        to their accounts, and the difference with the invoice (the account's rate against
        Hotmart's payout rate, rounding; within the account's limit) to the company's
        exchange difference accounts."""
        self.ensure_one()
        backend = self.backend_id
        company = backend.company_id
        currency = company.currency_id
        day = invoice.date
        fee, commission, net = (
            self._payout_to_company(amount, day)
            for amount in (self.fee_amount, self.commission_amount, self.net_amount)
        )
        if currency.compare_amounts(net, 0) <= 0:
            raise UserError(
                self.env._(
                    "Hotmart credits nothing for this sale (net %(net)s): book it by hand.",
                    net=self._company_money(net),
                )
            )
        difference = currency.round(abs(invoice.amount_total_signed) - fee - commission - net)
        exchange_account = (
            company.expense_currency_exchange_account_id
            if difference > 0
            else company.income_currency_exchange_account_id
        )
        buyer = invoice.commercial_partner_id
        write_offs = []
        for amount, account, partner, label in (
            (fee, backend.fee_account_id, backend._hotmart_partner(), self.env._("Hotmart fee")),
            *(
                (share, backend.commission_account_id, recipient, self.env._("Commissions"))
                for recipient, share in self._commission_lines(commission, day, recipients)
            ),
            (difference, exchange_account, buyer, self.env._("Exchange difference")),
        ):
            if currency.is_zero(amount):
                continue
            if not account:
                raise UserError(self._missing_account_message(label, amount))
            write_offs.append(
                {
                    "name": f"{label} - Hotmart {self.transaction}",
                    "account_id": account.id,
                    "partner_id": partner.id if partner else False,
                    "currency_id": currency.id,
                    "amount_currency": amount,
                    "balance": amount,
                }
            )
        journal = backend.payment_journal_id
        return self._payment_vals(invoice, journal, "inbound", net, day, write_offs)

    def _named_shares(self):
        """The commission shares Hotmart names somebody for (a name or an e-mail)."""
        self.ensure_one()
        return [
            share
            for share in (self.commission_shares or [])
            if share.get("name") or share.get("email")
        ]

    def _commission_recipients(self):
        """{(sale id, share index): contact} of the co-producers and affiliates Hotmart
        names in these sales, matched or made as buyers are, in one go for the batch."""
        people = {
            (sale.id, index): HotmartBuyer(
                name=share.get("name") or "",
                email=share.get("email") or "",
                ucode=share.get("ucode") or "",
            )
            for sale in self
            for index, share in enumerate(sale._named_shares())
        }
        if not people:
            return {}
        backend = self.backend_id
        backend.ensure_one()
        partners, _errors = self.env["res.partner"]._hotmart_find_or_create(backend, people)
        return partners

    def _commission_lines(self, commission, day, recipients=None):
        """[(partner or None, amount in company currency)] of others' commissions: one line
        per co-producer or affiliate Hotmart names (``recipients``, from
        ``_commission_recipients``), and what nobody is named for on a line without
        partner. Adds up to ``commission``."""
        self.ensure_one()
        named = self._named_shares()
        if not named:
            return [(None, commission)]
        if recipients is None:
            recipients = self._commission_recipients()
        currency = self.backend_id.company_id.currency_id
        lines = [
            (
                recipients.get((self.id, index)),
                self._payout_to_company(share.get("amount") or 0.0, day),
            )
            for index, share in enumerate(named)
        ]
        rest = currency.round(commission - sum(amount for _partner, amount in lines))
        if not currency.is_zero(rest):
            lines.append((None, rest))
        return lines

    def _missing_account_message(self, label, amount):
        if label == self.env._("Exchange difference"):
            return self.env._(
                "Set the company's exchange difference accounts (Accounting settings) to book "
                "%(amount)s of exchange difference.",
                amount=self._company_money(amount),
            )
        return self.env._(
            "Set the account for %(what)s on the Accounting tab of Hotmart account %(name)s to "
            "book %(amount)s.",
            what=label,
            name=self.backend_id.name,
            amount=self._company_money(amount),
        )

    def _reversal_payment_vals(self, credit_note):
        """The settlement mirrored, line by line, as it was booked in company currency, in
        its journal and on the very account its net went to: the Hotmart balance, fee,
        commissions and exchange difference go back to what they were, whatever the rates,
        the journal's accounts and the account's settings are now."""
        self.ensure_one()
        settlement = self.payment_id
        liquidity, _counterpart, write_off_lines = settlement._seek_for_lines()
        write_offs = [
            {
                "name": line.name,
                "account_id": line.account_id.id,
                "partner_id": line.partner_id.id,
                "currency_id": line.currency_id.id,
                "amount_currency": -line.amount_currency,
                "balance": -line.balance,
            }
            for line in write_off_lines
        ]
        journal = settlement.journal_id
        method = journal.outbound_payment_method_line_ids.filtered(
            lambda line: line.payment_method_id.code == "manual"
        )[:1]
        if not method:
            raise UserError(
                self.env._(
                    "Journal %(journal)s, where settlement %(payment)s was booked, has no Manual "
                    "outgoing payment method to take it back with: add one (journal form, "
                    "Outgoing Payments tab), then the next run tries again.",
                    journal=journal.display_name,
                    payment=settlement.name,
                )
            )
        values = self._payment_vals(
            credit_note,
            journal,
            "outbound",
            settlement.amount,
            credit_note.date,
            write_offs,
            method,
        )
        values["outstanding_account_id"] = liquidity.account_id[:1].id
        return values

    def _payment_vals(self, move, journal, direction, amount, day, write_offs, method=None):
        self.ensure_one()
        method = method or journal._hotmart_balance_method_lines(direction)[:1]
        if not method:
            raise UserError(
                self.env._(
                    "Journal %(journal)s has no Manual %(direction)s payment method that posts "
                    "to its own account %(account)s: set it (journal form, Incoming and "
                    "Outgoing Payments tabs), then the next run tries again.",
                    journal=journal.display_name,
                    direction=self.env._("incoming")
                    if direction == "inbound"
                    else self.env._("outgoing"),
                    account=journal.default_account_id.display_name,
                )
            )
        receivable = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
        company_currency = self.backend_id.company_id.currency_id
        return {
            "payment_type": direction,
            "partner_type": "customer",
            "partner_id": move.commercial_partner_id.id,
            "amount": amount,
            "currency_id": company_currency.id,
            "journal_id": journal.id,
            "date": day,
            "memo": f"Hotmart {self.transaction}",
            "payment_method_line_id": method.id,
            "destination_account_id": receivable.account_id[:1].id,
            "write_off_line_vals": write_offs,
        }

    def _company_money(self, amount):
        company = self.backend_id.company_id
        return format_amount(self.env, amount, company.currency_id)

    def _settled_message(self, invoice, payment):
        self.ensure_one()
        return self.env._(
            "Invoiced %(invoice)s on %(day)s and settled by Hotmart (%(payment)s): %(net)s "
            "credited to %(journal)s, Hotmart's fee %(fee)s, commissions %(commission)s.",
            invoice=invoice.name,
            day=fields.Date.to_string(invoice.invoice_date),
            payment=payment.name,
            net=self._company_money(payment.amount),
            journal=payment.journal_id.name,
            fee=format_amount(self.env, self.fee_amount, self.payout_currency_id),
            commission=format_amount(self.env, self.commission_amount, self.payout_currency_id),
        )
