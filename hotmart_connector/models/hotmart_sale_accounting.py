"""The money of a Hotmart sale: what Hotmart keeps, credits and pays others, the invoice,
the settlement in the Hotmart balance journal, and their reversal on a refund."""

import logging
from decimal import Decimal

from odoo import api, fields, models
from odoo.tools import format_amount

from ..const import PAID_STATUSES
from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.settlements import settlements_by_transaction

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
    history_fee_amount = fields.Float(
        string="Hotmart Fee (sales history)",
        readonly=True,
        aggregator=None,  # in each sale's own currency: never added up
        help="Hotmart's fee as the sales history gives it (hotmart_fee), in its own currency: "
        "the fee of a settlement whose commissions do not list it.",
    )
    history_fee_currency_id = fields.Many2one("res.currency", readonly=True)
    payout_rate = fields.Float(
        digits=(16, 8),
        readonly=True,
        aggregator=None,  # a rate: a sum of rates means nothing
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
    paid_amount_company = fields.Monetary(
        string="Worth (company currency)",
        currency_field="company_currency_id",
        compute="_compute_paid_amount_company",
        store=True,
        help="What the sale is worth in company currency by Hotmart's own figures when it "
        "paid them out in that currency (its gross), otherwise as converted when received. "
        "The overview adds these up: a wrong rate does not inflate it once Hotmart's "
        "commissions are known.",
    )
    paid_total_company = fields.Monetary(
        string="Paid (company currency)",
        currency_field="company_currency_id",
        compute="_compute_paid_total_company",
        store=True,
        help="What the buyer paid, in company currency, while the sale is paid (approved or "
        "complete); zero otherwise: what the reports' totals add up, so a cancelled, refunded "
        "or unpaid sale adds nothing.",
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

    @api.depends("amount_company", "gross_amount", "payout_currency_id", "company_currency_id")
    def _compute_paid_amount_company(self):
        for sale in self:
            if sale.payout_currency_id and sale.payout_currency_id == sale.company_currency_id:
                sale.paid_amount_company = sale.gross_amount
            else:
                sale.paid_amount_company = sale.amount_company

    @api.depends("paid_amount_company", "status")
    def _compute_paid_total_company(self):
        for sale in self:
            sale.paid_total_company = (
                sale.paid_amount_company if sale.status in PAID_STATUSES else 0.0
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
        if record.hotmart_fee is not None:
            values["history_fee_amount"] = float(record.hotmart_fee)
            values["history_fee_currency_id"] = (
                currencies.get(record.hotmart_fee_currency or record.currency) or False
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

    @api.model
    def _learn_user_code(self, backend, settlements):
        """The account's own Hotmart user: the one the net of its own sales goes to."""
        if backend.hotmart_user_code:
            return
        for sale in self.filtered(lambda s: not s._is_commission_sale()):
            code = settlements[sale.transaction].producer_ucode
            if code:
                backend.sudo().hotmart_user_code = code
                return

    def _commission_settlement_values(self, values):
        """A co-production or affiliate sale, as it settles for this account: Hotmart credits
        it its commission, and neither Hotmart's fee nor the producer's net are its own (its
        shares stay stored, to tell which is the account's)."""
        self.ensure_one()
        own = self._own_commission_in(values.get("commission_shares") or [])
        return {"fee_amount": 0.0, "commission_amount": 0.0, "net_amount": own}

    def _own_commission_in(self, shares):
        """The account's share among ``shares`` of its role: the one of its Hotmart user, or
        the only one of its role; 0 while that cannot be told."""
        self.ensure_one()
        of_role = [share for share in shares if share.get("source") == self.commission_as]
        code = self.backend_id.hotmart_user_code
        if code:
            of_role = [share for share in of_role if share.get("ucode") == code] or (
                of_role if len(of_role) == 1 and not of_role[0].get("ucode") else []
            )
        return float(of_role[0].get("amount") or 0.0) if len(of_role) == 1 else 0.0

    def _history_fee_in_payout(self, settlement, currencies):
        """Hotmart's fee from the sales history, for a settlement whose commissions do not
        list it: as it is when it is in the payout currency, at Hotmart's payout rate when it
        is in the sale's currency, else 0 (and the books check then says a share is
        missing)."""
        self.ensure_one()
        fee, currency = self.history_fee_amount, self.history_fee_currency_id
        if not fee or not currency:
            return 0.0
        if currency.id == currencies.get(settlement.currency):
            return fee
        if currency == self.currency_id and settlement.rate:
            return float(Decimal(str(fee)) * settlement.rate)
        return 0.0

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
        sales._learn_user_code(backend, settlements)
        for sale in sales:
            settlement = settlements[sale.transaction]
            values = self._settlement_values(settlement, currencies)
            if not settlement.fee_listed:
                fee = sale._history_fee_in_payout(settlement, currencies)
                if fee or not sale.fee_amount:
                    values["fee_amount"] = fee
                else:
                    del values["fee_amount"]  # a fee a webhook gave stays
            if sale._is_commission_sale():
                values.update(sale._commission_settlement_values(values))
            sale._write_changes(values)
        self.env["hotmart.settlement"]._book(sales, reverse=False)
        return sales

    # ------------------------------------------------------------------ when

    def _is_invoice_due(self, now):
        """Whether this sale's order reached the account's invoicing policy, at or after the
        account's Invoice Sales Since."""
        self.ensure_one()
        backend = self.backend_id
        policy = backend.invoice_policy
        if (
            policy == "none"
            # a co-production or affiliate sale is the producer's to invoice; the account's
            # commission order is to Hotmart, booked by a person
            or self._is_commission_sale()
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

    def _company_money(self, amount):
        company = self.backend_id.company_id
        return format_amount(self.env, amount, company.currency_id)

    def _hotmart_ask_for_partial_credit_note(self):
        """Hotmart refunded part of an invoiced sale: a person books that part (once)."""
        for sale in self:
            sale.partial_refund_noted = True
            sale.sale_order_id._hotmart_ask_a_person(
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

    def _hotmart_invoicing_failed(self, reason):
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

    def _hotmart_reversal_failed(self, reason):
        """The sale stays invoiced, so that the next run tries the reversal again."""
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
