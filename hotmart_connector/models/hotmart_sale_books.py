"""The books agree with Hotmart: what the connector is about to book for a sale is checked
against what Hotmart reported, and refused with both figures when it differs."""

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount


class HotmartSale(models.Model):
    _inherit = "hotmart.sale"

    def _check_invoice_agrees(self, invoice, first_rate_days):
        """The invoice about to be posted is what the buyer paid (the total the order was
        made with), to the buyer, and within the account's exchange difference limit of what
        Hotmart grossed, or the sale fails (the batch's savepoint undoes the invoice). The
        invoice, not the order: whatever changed the order, what would be booked is checked."""
        self.ensure_one()
        order = self.sale_order_id
        company_currency = self.backend_id.company_id.currency_id
        total = abs(invoice.amount_total_signed)
        made_for = order.hotmart_expected_total or self.amount_company
        if company_currency.compare_amounts(total, made_for):
            raise UserError(
                self.env._(
                    "%(document)s totals %(total)s, but order %(order)s was made for %(paid)s, "
                    "what the buyer paid on Hotmart. The connector invoices only what Hotmart "
                    "reported: put the order back as it was received, or invoice it by hand.",
                    document=invoice.name or invoice.ref or "-",
                    order=order.name,
                    total=self._company_money(total),
                    paid=self._company_money(made_for),
                )
            )
        if invoice.commercial_partner_id != order.partner_id.commercial_partner_id:
            raise UserError(
                self.env._(
                    "The invoice of order %(order)s would go to %(partner)s, not to the buyer "
                    "the order was made for: put the order back as it was received.",
                    order=order.name,
                    partner=invoice.commercial_partner_id.display_name,
                )
            )
        self._check_exchange_difference(total, invoice.date, first_rate_days)

    def _check_exchange_difference(self, invoice_total, day, first_rate_days):
        """The invoice and what Hotmart grossed, both in company currency on the invoice's
        day, differ by no more than the account's limit: beyond it, a rate is wrong, not
        drifting."""
        self.ensure_one()
        backend = self.backend_id
        gross = self._payout_to_company(self.gross_amount, day, first_rate_days)
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
                gross_payout=format_amount(self.env, self.gross_amount, self.payout_currency_id),
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

    def _payout_to_company(self, amount, day, first_rate_days):
        """``amount`` of the payout currency in company currency on ``day``; a currency
        without a rate then fails the sale (Odoo would convert it 1:1). ``first_rate_days``
        is the account's ``_first_rate_days`` of the batch's payout currencies."""
        self.ensure_one()
        payout = self.payout_currency_id
        return self.backend_id._convert_at_odoo_rate(
            amount,
            payout,
            day,
            first_rate_days,
            lambda: self.env._(
                "Hotmart pays this sale in %(currency)s, which has no exchange rate on or "
                "before %(day)s. Add one (Invoicing settings > Currencies); the next run "
                "tries again.",
                currency=payout.name,
                day=fields.Date.to_string(day),
            ),
        )

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
            gap = paid - sale.gross_amount
            if payout.compare_amounts(abs(gap), 0.05) > 0:
                raise UserError(
                    self.env._(
                        "Hotmart's fee, commissions and net of %(transaction)s add up to "
                        "%(settled)s, but the buyer paid %(paid)s: a share is missing. The next "
                        "run reads Hotmart's commissions again.",
                        transaction=sale.transaction,
                        settled=format_amount(self.env, sale.gross_amount, payout),
                        paid=format_amount(self.env, paid, payout),
                    )
                )

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
