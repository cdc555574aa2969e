"""Booking Hotmart sales as Hotmart settles them: when a sale reaches the account's policy,
its invoice, and the payment in the Hotmart balance journal with Hotmart's fee and others'
commissions written off; when Hotmart refunds it, their mirror. Each sale fails alone.

Other addons extend it by inheriting ``hotmart.settlement``: ``_settlement_payment_vals``
says what Hotmart credits, ``_reversal_payment_vals`` what a refund takes back,
``_credit_note_values`` what a credit note is given, and ``_after_invoice`` /
``_after_reverse`` run once a batch is booked (the fiscal bridge sends or cancels its notas
fiscais there).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from ..const import REVERSING_STATUSES
from ..hotmart.records import HotmartBuyer
from ..models.bulk import reason_of, together_else_each
from ..models.sale_order import QUIET

_logger = logging.getLogger(__name__)


@dataclass
class BatchLookups:
    """What the settlements of one account's batch look up once, not once per sale."""

    hotmart: models.Model  # Hotmart's own contact in the account's company (its fee lines)
    first_rate_days: dict  # {currency id: first rate day} of the payout currencies
    recipients: dict  # {(sale id, share index): contact} of the named commission shares


class HotmartSettlement(models.AbstractModel):
    _name = "hotmart.settlement"
    _description = "Hotmart Sale Booking"

    @api.model
    def _book(self, sales, invoice=True, reverse=True):
        """Invoice and settle the sales that reached their account's policy, and reverse the
        invoiced ones that Hotmart refunded. Each sale fails alone, with its reason."""
        # an invoiced sale is reversed on a refund even if the account stopped invoicing since
        sales = sales.sudo().filtered(
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
        locked = self._lock(to_reverse | to_invoice)
        to_reverse &= locked.filtered(lambda s: s.invoice_state == "invoiced")
        to_invoice &= locked.filtered(lambda s: s.invoice_state not in ("invoiced", "refunded"))
        for backend in (to_reverse | to_invoice).backend_id:
            mine = (to_reverse | to_invoice).filtered(lambda s, b=backend: s.backend_id == b)
            together_else_each(
                to_reverse & mine,
                self._reverse,
                lambda sale, error: sale._hotmart_reversal_failed(reason_of(error)),
                "Hotmart reversal",
            )
            ready = (to_invoice & mine).filtered("payout_currency_id")
            (to_invoice & mine - ready)._hotmart_wait_for_settlement()
            together_else_each(
                ready,
                self._invoice,
                lambda sale, error: sale._hotmart_invoicing_failed(reason_of(error)),
                "Hotmart invoicing",
            )

    @api.model
    def _lock(self, sales):
        """Lock these rows: two runs never invoice, settle or reverse one sale twice (a run
        that finds them changed by another one fails as a serialization error, retried)."""
        sales.flush_recordset()
        self.env.cr.execute(
            "SELECT id FROM hotmart_sale WHERE id IN %s ORDER BY id FOR UPDATE",
            [tuple(sales.ids)],
        )
        sales.invalidate_recordset(["invoice_state", "invoice_id", "credit_note_id"])
        return sales

    @api.model
    def _invoice(self, sales):
        """Invoice these sales' orders, post the invoices, and book what Hotmart credits,
        each on the day the sale reached the policy."""
        backend = sales.backend_id
        backend.ensure_one()
        sales._check_settlement_adds_up()
        lookups = self._batch_lookups(sales)
        orders = sales.sale_order_id.with_company(backend.company_id).with_context(**QUIET)
        orders.filtered(lambda o: o.journal_id != backend.invoice_journal_id).write(
            {"journal_id": backend.invoice_journal_id.id}
        )
        invoices = orders._create_invoices(grouped=True, final=True)
        invoice_of = {}
        for invoice in invoices:
            for order in invoice.invoice_line_ids.sale_line_ids.order_id:
                invoice_of[order] = invoice
        moved = {}
        for sale in sales:
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
            open_day = self._first_open_day(invoice, day)
            if open_day != day:
                moved[sale] = (day, open_day)
                invoice.date = open_day
            # what is posted, not what the order says: the invoice is checked against Hotmart
            sale._check_invoice_agrees(invoice, lookups.first_rate_days)
        invoices.with_context(**QUIET).action_post()
        payments = self._settle(
            {
                sale: (
                    invoice_of[sale.sale_order_id],
                    self._settlement_payment_vals(sale, invoice_of[sale.sale_order_id], lookups),
                )
                for sale in sales
            },
            "settlement",
        )
        for sale in sales:
            invoice, payment = invoice_of[sale.sale_order_id], payments[sale]
            sale.write(
                {
                    "invoice_state": "invoiced",
                    "invoice_error": False,
                    "invoice_id": invoice.id,
                    "payment_id": payment.id,
                }
            )
            body = self._settled_message(sale, invoice, payment)
            if sale in moved:
                body += " " + self._moved_message(*moved[sale])
            sale.sale_order_id._message_log(body=body)
        self._after_invoice(sales)

    @api.model
    def _after_invoice(self, sales):
        """Hook: these sales' invoices are posted and settled, in the batch's savepoint (a
        failure here undoes them, and the sales fail with the reason)."""

    def _batch_lookups(self, sales):
        backend = sales.backend_id
        return BatchLookups(
            hotmart=backend._hotmart_partner(),
            first_rate_days=backend._first_rate_days(sales.payout_currency_id),
            recipients=self._commission_recipients(sales),
        )

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

    @api.model
    def _reverse(self, sales):
        """Credit notes for these refunded sales' invoices, and their settlements reversed
        as they were booked, whatever the account's settings are now."""
        credit_notes = {}
        for sale in sales:
            sale._check_invoice_reversible()
            invoice = sale.invoice_id
            day = self._first_open_day(invoice, sale._local_day(self._refund_moment(sale)))
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
            credit_note.write(self._credit_note_values(sale, credit_note))
            credit_notes[sale] = credit_note
        self.env["account.move"].union(*credit_notes.values()).with_context(**QUIET).action_post()
        payments = self._settle(
            {
                sale: (credit_note, self._reversal_payment_vals(sale, credit_note))
                for sale, credit_note in credit_notes.items()
            },
            "refund_settlement",
        )
        for sale in sales:
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
        self._after_reverse(sales)

    @api.model
    def _credit_note_values(self, sale, credit_note):
        """What a refunded sale's credit note is given before it is posted. Hook: the fiscal
        bridge keeps it out of the fiscal documents (a refunded service's note is
        cancelled, not answered by another note)."""
        return {"hotmart_sale_id": sale.id, "hotmart_move_kind": "credit_note"}

    @api.model
    def _after_reverse(self, sales):
        """Hook: these sales' credit notes and reversed settlements are posted, in the
        batch's savepoint."""

    def _refund_moment(self, sale):
        """When Hotmart took the money back: the event's time when a webhook said it, else
        now (a history read carries no time)."""
        if sale.status_source == "webhook" and sale.status_date:
            return min(sale.status_date, fields.Datetime.now())
        return fields.Datetime.now()

    def _settle(self, move_and_vals, kind):
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

    def _settlement_payment_vals(self, sale, invoice, lookups):
        """What Hotmart credits for this sale, on the invoice's date: the net in the Hotmart
        journal, Hotmart's fee (with Hotmart as partner) and others' commissions written off
        to their accounts, and the difference with the invoice (the account's rate against
        Hotmart's payout rate, rounding; within the account's limit) to the company's
        exchange difference accounts."""
        backend = sale.backend_id
        company = backend.company_id
        currency = company.currency_id
        day = invoice.date
        fee, commission, net = (
            sale._payout_to_company(amount, day, lookups.first_rate_days)
            for amount in (sale.fee_amount, sale.commission_amount, sale.net_amount)
        )
        if currency.compare_amounts(net, 0) <= 0:
            raise UserError(
                self.env._(
                    "Hotmart credits nothing for this sale (net %(net)s): book it by hand.",
                    net=sale._company_money(net),
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
            (fee, backend.fee_account_id, lookups.hotmart, self.env._("Hotmart fee")),
            *(
                (share, backend.commission_account_id, recipient, self.env._("Commissions"))
                for recipient, share in self._commission_lines(sale, commission, day, lookups)
            ),
            (difference, exchange_account, buyer, None),
        ):
            if currency.is_zero(amount):
                continue
            if not account:
                raise UserError(self._missing_account_message(sale, label, amount))
            label = label or self.env._("Exchange difference")
            write_offs.append(
                {
                    "name": f"{label} - Hotmart {sale.transaction}",
                    "account_id": account.id,
                    "partner_id": partner.id if partner else False,
                    "currency_id": currency.id,
                    "amount_currency": amount,
                    "balance": amount,
                }
            )
        journal = backend.payment_journal_id
        return self._payment_vals(sale, invoice, journal, "inbound", net, day, write_offs)

    def _named_shares(self, sale):
        """The commission shares Hotmart names somebody for (a name or an e-mail)."""
        return [
            share
            for share in (sale.commission_shares or [])
            if share.get("name") or share.get("email")
        ]

    def _commission_recipients(self, sales):
        """{(sale id, share index): contact} of the co-producers and affiliates Hotmart
        names in these sales, matched or made as buyers are, in one go for the batch."""
        people = {
            (sale.id, index): HotmartBuyer(
                name=share.get("name") or "",
                email=share.get("email") or "",
                ucode=share.get("ucode") or "",
            )
            for sale in sales
            for index, share in enumerate(self._named_shares(sale))
        }
        if not people:
            return {}
        backend = sales.backend_id
        backend.ensure_one()
        partners, _errors = self.env["res.partner"]._hotmart_find_or_create(backend, people)
        return partners

    def _commission_lines(self, sale, commission, day, lookups):
        """[(partner or None, amount in company currency)] of others' commissions: one line
        per co-producer or affiliate Hotmart names, and what nobody is named for on a line
        without partner. Adds up to ``commission``."""
        named = self._named_shares(sale)
        if not named:
            return [(None, commission)]
        currency = sale.backend_id.company_id.currency_id
        lines = [
            (
                lookups.recipients.get((sale.id, index)),
                sale._payout_to_company(share.get("amount") or 0.0, day, lookups.first_rate_days),
            )
            for index, share in enumerate(named)
        ]
        rest = currency.round(commission - sum(amount for _partner, amount in lines))
        if not currency.is_zero(rest):
            lines.append((None, rest))
        return lines

    def _missing_account_message(self, sale, label, amount):
        """``label`` of the missing account, None for the exchange difference accounts."""
        if not label:
            return self.env._(
                "Set the company's exchange difference accounts (Accounting settings) to book "
                "%(amount)s of exchange difference.",
                amount=sale._company_money(amount),
            )
        return self.env._(
            "Set the account for %(what)s on the Accounting tab of Hotmart account %(name)s to "
            "book %(amount)s.",
            what=label,
            name=sale.backend_id.name,
            amount=sale._company_money(amount),
        )

    def _reversal_payment_vals(self, sale, credit_note):
        """The settlement mirrored, line by line, as it was booked in company currency, in
        its journal and on the very account its net went to: the Hotmart balance, fee,
        commissions and exchange difference go back to what they were, whatever the rates,
        the journal's accounts and the account's settings are now."""
        settlement = sale.payment_id
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
            sale,
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

    def _payment_vals(self, sale, move, journal, direction, amount, day, write_offs, method=None):
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
        company_currency = sale.backend_id.company_id.currency_id
        return {
            "payment_type": direction,
            "partner_type": "customer",
            "partner_id": move.commercial_partner_id.id,
            "amount": amount,
            "currency_id": company_currency.id,
            "journal_id": journal.id,
            "date": day,
            "memo": f"Hotmart {sale.transaction}",
            "payment_method_line_id": method.id,
            "destination_account_id": receivable.account_id[:1].id,
            "write_off_line_vals": write_offs,
        }

    def _settled_message(self, sale, invoice, payment):
        return self.env._(
            "Invoiced %(invoice)s on %(day)s and settled by Hotmart (%(payment)s): %(net)s "
            "credited to %(journal)s, Hotmart's fee %(fee)s, commissions %(commission)s.",
            invoice=invoice.name,
            day=fields.Date.to_string(invoice.invoice_date),
            payment=payment.name,
            net=sale._company_money(payment.amount),
            journal=payment.journal_id.name,
            fee=format_amount(self.env, sale.fee_amount, sale.payout_currency_id),
            commission=format_amount(self.env, sale.commission_amount, sale.payout_currency_id),
        )
