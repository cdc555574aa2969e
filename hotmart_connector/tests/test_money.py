"""The money loop: invoices by policy, settled by what Hotmart credits, refunds reversed.

Every test reads account balances, not only the records' existence."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import responses
from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SALES_URL, HotmartReceiveCase, load_fixture

# Hotmart's payout rate for the USD and EUR sales, against the account's fixed 5.0 and 6.0.
PAYOUT_RATE = {"BRL": 1.0, "USD": 5.3, "EUR": 5.9}


def settlement_of(item):
    """What the fake Hotmart says of a sale's money, in reais: 9.9% + R$ 1 to Hotmart, 30%
    of the rest to an affiliate on HP1001000000002, the rest to the producer."""
    purchase = item["purchase"]
    rate = PAYOUT_RATE[purchase["price"]["currency_code"]]
    gross = round(purchase["price"]["value"] * rate, 2)
    fee = round(gross * 0.099 + 1, 2)
    affiliate = round((gross - fee) * 0.3, 2) if purchase["transaction"].endswith("2") else 0.0
    return {"fee": fee, "affiliate": affiliate, "net": round(gross - fee - affiliate, 2)}


def commissions_item(item):
    shares = settlement_of(item)
    commissions = [
        {"source": "MARKETPLACE", "commission": {"value": shares["fee"], "currency_value": "BRL"}},
        {"source": "PRODUCER", "commission": {"value": shares["net"], "currency_code": "BRL"}},
    ]
    if shares["affiliate"]:
        commissions.append(
            {
                "source": "AFFILIATE",
                "commission": {"value": shares["affiliate"], "currency_value": "BRL"},
            }
        )
    return {
        "transaction": item["purchase"]["transaction"],
        "exchange_rate_currency_payout": PAYOUT_RATE[item["purchase"]["price"]["currency_code"]],
        "commissions": commissions,
    }


class HotmartMoneyCase(HotmartReceiveCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        Account = cls.env["account.account"]
        cls.fee_account = Account.create(
            {"name": "Hotmart fee", "code": "HM6101", "account_type": "expense"}
        )
        cls.commission_account = Account.create(
            {"name": "Hotmart commissions", "code": "HM6102", "account_type": "expense"}
        )
        cls.gain_account = company.income_currency_exchange_account_id
        cls.loss_account = company.expense_currency_exchange_account_id
        cls.backend.action_create_payment_journal()
        cls.backend.write(
            {
                "invoice_policy": "paid",
                "invoice_since": "2000-01-01 00:00:00",  # the past sales too
                "fee_account_id": cls.fee_account.id,
                "commission_account_id": cls.commission_account.id,
            }
        )
        cls.hotmart_account = cls.backend.payment_journal_id.default_account_id

    def setUp(self):
        super().setUp()
        self.pages = {
            "APPROVED": [
                load_fixture("sales_history_page1.json"),
                load_fixture("sales_history_page2.json"),
            ]
        }
        self.fake_hotmart(history=self.pages)
        self.http.add_callback(
            responses.GET, SALES_URL + "commissions", callback=self.commissions_answer
        )

    def commissions_answer(self, request):
        status = parse_qs(urlsplit(request.url).query).get("transaction_status", [""])[0]
        items = [commissions_item(i) for page in self.pages.get(status, []) for i in page["items"]]
        return (200, {}, json.dumps({"items": items, "page_info": {}}))

    def receive(self):
        sales = self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        sales.action_receive()
        return sales

    def balance(self, account):
        self.env.flush_all()
        lines = self.env["account.move.line"].search(
            [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        )
        return round(sum(lines.mapped("balance")), 2)

    def rest_says(self, sale, status):
        item = dict(sale.payload["history"])
        item["purchase"] = dict(item["purchase"], status=status)
        self.env["hotmart.sale"]._store_history_page(self.backend, [item], cause="the status sync")


@tagged("post_install", "-at_install")
class TestInvoicePolicies(HotmartMoneyCase):
    def test_paid_sales_are_invoiced_and_settled_by_what_hotmart_credits(self):
        sales = self.receive()
        items = {
            i["purchase"]["transaction"]: i for p in self.pages["APPROVED"] for i in p["items"]
        }
        expected = {t: settlement_of(i) for t, i in items.items()}
        self.assertEqual(set(sales.mapped("invoice_state")), {"invoiced"})
        for sale in sales:
            with self.subTest(sale=sale.transaction):
                order, invoice = sale.sale_order_id, sale.invoice_id
                self.assertEqual(invoice.state, "posted")
                self.assertEqual(invoice.amount_total, order.amount_total)
                self.assertEqual(invoice.fiscal_position_id, order.fiscal_position_id)
                self.assertEqual(invoice.journal_id, self.backend.invoice_journal_id)
                self.assertEqual(invoice.payment_state, "paid")
                self.assertEqual(sale.net_amount, expected[sale.transaction]["net"])
                self.assertEqual(sale.payment_id.amount, expected[sale.transaction]["net"])
                self.assertEqual(order.invoice_ids, invoice)
        # the Hotmart balance holds exactly the net amounts; the fee and commission accounts
        # exactly what Hotmart reports
        self.assertEqual(
            self.balance(self.hotmart_account), round(sum(s["net"] for s in expected.values()), 2)
        )
        self.assertEqual(
            self.balance(self.fee_account), round(sum(s["fee"] for s in expected.values()), 2)
        )
        self.assertEqual(
            self.balance(self.commission_account),
            round(sum(s["affiliate"] for s in expected.values()), 2),
        )
        self.assertGreater(self.balance(self.commission_account), 0)
        # receivables are all settled
        receivable = sales.invoice_id.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        self.assertTrue(all(receivable.mapped("reconciled")))

    def test_commissions_without_hotmarts_fee_take_it_from_the_sales_history(self):
        """Hotmart's documented /sales/commissions lists no MARKETPLACE share: the fee is the
        history's hotmart_fee (in the sale's currency, at Hotmart's payout rate), and the
        books still add up to what the buyer paid."""
        fees = {}

        def without_fee(request):
            status = parse_qs(urlsplit(request.url).query).get("transaction_status", [""])[0]
            items = []
            for page in self.pages.get(status, []):
                for item in page["items"]:
                    purchase = item["purchase"]
                    rate = PAYOUT_RATE[purchase["price"]["currency_code"]]
                    gross = round(purchase["price"]["value"] * rate, 2)
                    fee = round(purchase["hotmart_fee"]["total"] * rate, 2)
                    fees[purchase["transaction"]] = fee
                    net = {"value": round(gross - fee, 2), "currency_code": "BRL"}
                    items.append(
                        {
                            "transaction": purchase["transaction"],
                            "exchange_rate_currency_payout": rate,
                            "commissions": [{"source": "PRODUCER", "commission": net}],
                        }
                    )
            return (200, {}, json.dumps({"items": items, "page_info": {}}))

        self.http.remove(responses.GET, SALES_URL + "commissions")
        self.http.add_callback(responses.GET, SALES_URL + "commissions", callback=without_fee)
        sales = self.receive()
        self.assertEqual(set(sales.mapped("invoice_state")), {"invoiced"})
        for sale in sales:
            with self.subTest(sale=sale.transaction):
                self.assertAlmostEqual(sale.fee_amount, fees[sale.transaction], places=2)
        # the USD sale's fee of US$ 10.60, at Hotmart's 5.3
        usd = sales.filtered(lambda s: s.currency_code == "USD")
        self.assertAlmostEqual(usd.fee_amount, 56.18, places=2)
        self.assertEqual(self.balance(self.fee_account), round(sum(fees.values()), 2))

    def test_usd_and_eur_sales_book_their_exchange_difference(self):
        sales = self.receive()
        usd = sales.filtered(lambda s: s.currency_code == "USD")
        eur = sales.filtered(lambda s: s.currency_code == "EUR")
        # invoiced at the account's rates (5.0 and 6.0), paid out by Hotmart at 5.3 and 5.9
        self.assertEqual(usd.invoice_id.amount_total, 485.0)
        self.assertEqual(round(usd.gross_amount, 2), 514.1)
        self.assertEqual(eur.invoice_id.amount_total, 539.4)
        self.assertEqual(round(eur.gross_amount, 2), 530.41)
        gain = usd.gross_amount - usd.invoice_id.amount_total  # Hotmart paid more: a gain
        loss = eur.invoice_id.amount_total - eur.gross_amount  # and less: a loss
        self.assertEqual(self.balance(self.gain_account), -round(gain, 2))
        self.assertEqual(self.balance(self.loss_account), round(loss, 2))
        self.assertEqual(usd.invoice_id.payment_state, "paid")
        self.assertEqual(eur.invoice_id.payment_state, "paid")

    def test_policy_none_keeps_todays_behaviour(self):
        self.backend.invoice_policy = "none"
        self.http.calls.reset()
        sales = self.receive()
        self.assertFalse(sales.invoice_id)
        self.assertEqual(set(sales.mapped("invoice_state")), {"no"})
        self.assertEqual(self.calls_to(SALES_URL + "commissions"), 0)

    def test_sales_invoiced_as_they_arrive_are_received_in_smaller_batches(self):
        # Odoo's reconciliation of one transaction's payments grows faster than linearly
        self.assertEqual(self.env["hotmart.run"]._receive_batch_size(self.backend), 200)
        self.backend.invoice_policy = "guarantee"  # invoiced later, by its own action
        self.assertEqual(self.env["hotmart.run"]._receive_batch_size(self.backend), 500)
        self.backend.invoice_policy = "none"
        self.assertEqual(self.env["hotmart.run"]._receive_batch_size(self.backend), 500)

    def test_guarantee_waits_for_complete_or_its_end(self):
        self.backend.invoice_policy = "guarantee"
        with freeze_time("2026-11-06 12:00:00"):  # within every approved sale's guarantee
            sales = self.receive()
        complete = self.sale("HP1001000000002")
        approved = self.sale("HP1001000000001")
        self.assertEqual(complete.invoice_state, "invoiced", "COMPLETE: the guarantee is over")
        self.assertEqual(approved.invoice_state, "no")
        self.assertFalse(approved.sale_order_id.invoice_ids)
        self.assertTrue(approved.warranty_expire_date)
        # the guarantee ends: the scheduled action invoices it, and only then
        before_end = approved.warranty_expire_date - timedelta(hours=1)
        with freeze_time(before_end):
            self.env["hotmart.backend"]._cron_invoice_sales()
        self.assertEqual(approved.invoice_state, "no", "before its guarantee date")
        with freeze_time(approved.warranty_expire_date + timedelta(minutes=1)):
            self.env["hotmart.backend"]._cron_invoice_sales()
        self.assertEqual(approved.invoice_state, "invoiced")
        # and Hotmart saying COMPLETE invoices at once
        other = self.sale("HP1001000000005")
        self.assertEqual(other.invoice_state, "no")
        self.rest_says(other, "COMPLETE")
        self.assertEqual(other.invoice_state, "invoiced")
        self.assertEqual(len(sales.filtered(lambda s: s.invoice_state == "invoiced")), 3)

    def test_settings_are_required_only_with_a_policy(self):
        with self.assertRaisesRegex(ValidationError, "Hotmart Fee Account"):
            self.backend.fee_account_id = False
        self.backend.invoice_policy = "none"
        self.backend.fee_account_id = False  # fine without a policy

    def test_create_payment_journal(self):
        journal = self.backend.payment_journal_id
        self.assertEqual(journal.type, "bank")
        self.assertIn("Hotmart", journal.name)
        self.assertEqual(
            journal.inbound_payment_method_line_ids.payment_account_id, journal.default_account_id
        )


@tagged("post_install", "-at_install")
class TestRefundsAndRepeats(HotmartMoneyCase):
    def test_refund_after_invoicing_reverses_invoice_and_settlement(self):
        sales = self.receive()
        sale = self.sale("HP1001000000002")  # with an affiliate
        before = self.balance(self.hotmart_account)
        fee_before, commission_before = (
            self.balance(self.fee_account),
            self.balance(self.commission_account),
        )
        self.rest_says(sale, "REFUNDED")
        self.assertEqual(sale.invoice_state, "refunded")
        credit_note = sale.credit_note_id
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.reversed_entry_id, sale.invoice_id)
        self.assertEqual(credit_note.amount_total, sale.invoice_id.amount_total)
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertEqual(self.balance(self.hotmart_account), round(before - sale.net_amount, 2))
        self.assertEqual(self.balance(self.fee_account), round(fee_before - sale.fee_amount, 2))
        self.assertEqual(
            self.balance(self.commission_account),
            round(commission_before - sale.commission_amount, 2),
        )
        self.assertEqual(sale.sale_order_id.state, "cancel")
        notes = sale.sale_order_id.message_ids.mapped("body")
        self.assertTrue(any("reversed by credit note" in note for note in notes))
        self.assertIn("Order Locked → Cancelled", notes[0])
        # repeating the sync adds nothing
        self.rest_says(sale, "REFUNDED")
        self.env["hotmart.backend"]._cron_invoice_sales()
        self.assertEqual(
            self.env["account.move"].search_count([("hotmart_sale_id", "=", sale.id)]), 4
        )
        self.assertEqual(len(sales), 5)

    def test_chargeback_too(self):
        self.receive()
        sale = self.sale("HP1001000000001")
        self.rest_says(sale, "CHARGEBACK")
        self.assertEqual(sale.invoice_state, "refunded")
        self.assertEqual(sale.sale_order_id.state, "cancel")

    def test_refund_before_invoicing_cancels_the_order_as_before(self):
        self.backend.invoice_policy = "guarantee"
        with freeze_time("2026-11-06 12:00:00"):  # a refund within the guarantee
            self.receive()
            sale = self.sale("HP1001000000001")
            self.rest_says(sale, "REFUNDED")
        self.assertEqual(sale.sale_order_id.state, "cancel")
        self.assertFalse(sale.credit_note_id or sale.invoice_id)
        self.assertEqual(sale.invoice_state, "no")

    def test_partial_refund_leaves_an_activity_with_the_amounts(self):
        self.receive()
        sale = self.sale("HP1001000000002")
        self.rest_says(sale, "PARTIALLY_REFUNDED")
        activities = sale.sale_order_id.activity_ids.filtered(
            lambda a: a.summary == "Partially refunded on Hotmart"
        )
        self.assertEqual(len(activities), 1)
        self.assertIn(sale.invoice_id.name, activities.note)
        self.assertIn("1,997.00", activities.note)
        self.assertEqual(sale.invoice_state, "invoiced")
        self.rest_says(sale, "PARTIALLY_REFUNDED")
        self.env["hotmart.backend"]._cron_invoice_sales()
        self.assertEqual(
            len(
                sale.sale_order_id.activity_ids.filtered(lambda a: a.summary == activities.summary)
            ),
            1,
        )

    def test_repeated_runs_make_one_invoice_and_one_payment(self):
        sales = self.receive()
        for _run in range(3):
            self.env["hotmart.settlement"]._book(sales)
            self.env["hotmart.backend"]._cron_invoice_sales()
            self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        for sale in sales:
            self.assertEqual(len(sale.sale_order_id.invoice_ids), 1)
            self.assertEqual(
                self.env["account.payment"].search_count(
                    [("memo", "=", f"Hotmart {sale.transaction}")]
                ),
                1,
            )

    def test_the_database_refuses_a_second_invoice_for_a_sale(self):
        sale = self.receive()[0]
        other = sale.invoice_id.copy()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            other.write({"hotmart_sale_id": sale.id, "hotmart_move_kind": "invoice"})
            other.flush_recordset()

    def test_one_failing_sale_does_not_stop_the_others(self):
        # an income account that Odoo refuses to post to, on one product only
        broken = self.env["account.account"].create(
            {"name": "Old income", "code": "HM7999", "account_type": "income"}
        )
        self.product.property_account_income_id = broken
        broken.deprecated = True
        sales = self.receive()
        failed = sales.filtered(lambda s: s.invoice_state == "failed")
        self.assertEqual(set(failed.mapped("hotmart_product_id")), {"1234567"})
        self.assertTrue(all("deprecated" in (s.invoice_error or "").lower() for s in failed))
        self.assertEqual(set((sales - failed).mapped("invoice_state")), {"invoiced"})
        self.assertFalse(failed.sale_order_id.invoice_ids.filtered(lambda m: m.state == "posted"))
        # fixed, the next run invoices them
        broken.deprecated = False
        self.env["hotmart.backend"]._cron_invoice_sales()
        self.assertEqual(set(failed.mapped("invoice_state")), {"invoiced"})

    def test_waiting_for_commissions(self):
        self.http.reset()
        self.http.add(
            responses.POST,
            "https://api-sec-vlc.hotmart.com/security/oauth/token",
            json=load_fixture("oauth_token.json"),
        )
        self.fake_hotmart(history=self.pages)
        self.http.add(responses.GET, SALES_URL + "commissions", json={"items": [], "page_info": {}})
        sales = self.receive()
        self.assertEqual(set(sales.mapped("invoice_state")), {"to_invoice"})
        self.assertIn("Waiting for Hotmart's commissions", sales[0].invoice_error)
        # the webhook carries them
        event, _new = self.env["hotmart.webhook.event"]._store_delivery(
            self.backend, json.dumps(load_fixture("webhook_purchase_approved.json")).encode()
        )
        event._process_now()
        webhook_sale = event.sale_id
        self.assertEqual((webhook_sale.fee_amount, webhook_sale.net_amount), (50.2, 446.8))
        self.assertEqual(webhook_sale.invoice_state, "invoiced")
        self.assertEqual(webhook_sale.payment_id.amount, 446.8)


@tagged("post_install", "-at_install")
class TestMoneyWhenThingsGoWrong(HotmartMoneyCase):
    def test_a_failed_reversal_stays_invoiced_and_is_retried(self):
        self.receive()
        sale = self.sale("HP1001000000002")
        self.fee_account.deprecated = True  # Odoo refuses to post to it
        self.rest_says(sale, "REFUNDED")
        self.assertEqual(sale.invoice_state, "invoiced")
        self.assertIn("deprecated", sale.invoice_error.lower())
        self.assertFalse(sale.credit_note_id)
        self.fee_account.deprecated = False
        self.env["hotmart.backend"]._cron_invoice_sales()
        self.assertEqual(sale.invoice_state, "refunded")
        self.assertEqual(sale.sale_order_id.state, "cancel")

    def test_refunds_are_reversed_after_invoicing_is_switched_off(self):
        self.receive()
        sale = self.sale("HP1001000000001")
        self.backend.invoice_policy = "none"
        self.rest_says(sale, "CHARGEBACK")
        self.assertEqual(sale.invoice_state, "refunded")
        self.assertEqual(sale.credit_note_id.state, "posted")

    def test_an_invoice_changed_by_hand_is_not_reversed_blindly(self):
        self.receive()
        sale = self.sale("HP1001000000001")
        sale.payment_id.action_draft()
        sale.invoice_id.button_draft()
        self.rest_says(sale, "REFUNDED")
        self.assertFalse(sale.credit_note_id)
        self.assertIn("changed by hand", sale.invoice_error)

    def test_the_balance_journal_must_post_to_its_own_account(self):
        plain_bank = self.env["account.journal"].search(
            [("type", "=", "bank"), ("id", "!=", self.backend.payment_journal_id.id)], limit=1
        )
        with self.assertRaisesRegex(ValidationError, "does not post payments to its own account"):
            self.backend.payment_journal_id = plain_bank

    def test_a_missing_share_is_not_booked_as_exchange_difference(self):
        def answer_without_affiliate(request):
            status, headers, body = self.commissions_answer(request)
            page = json.loads(body)
            for item in page["items"]:
                item["commissions"] = [c for c in item["commissions"] if c["source"] != "AFFILIATE"]
            return status, headers, json.dumps(page)

        self.http.remove(responses.GET, SALES_URL + "commissions")
        self.http.add_callback(
            responses.GET, SALES_URL + "commissions", callback=answer_without_affiliate
        )
        self.receive()
        sale = self.sale("HP1001000000002")  # the sale with an affiliate
        self.assertEqual(sale.invoice_state, "failed")
        self.assertIn("a share is missing", sale.invoice_error)
        self.assertEqual(self.balance(self.gain_account), 0.0 - self.usd_gain())
        self.assertEqual(self.sale("HP1001000000001").invoice_state, "invoiced")

    def usd_gain(self):
        usd = self.Sale.search([("currency_code", "=", "USD")])
        return round(usd.gross_amount - usd.invoice_id.amount_total, 2)

    def test_a_done_partial_refund_activity_is_not_asked_again(self):
        self.receive()
        sale = self.sale("HP1001000000002")
        self.rest_says(sale, "PARTIALLY_REFUNDED")
        activity = sale.sale_order_id.activity_ids
        self.assertEqual(len(activity), 1)
        activity.action_done()
        self.env["hotmart.backend"]._cron_invoice_sales()
        self.assertFalse(sale.sale_order_id.activity_ids)

    def test_unreadable_webhook_commissions_do_not_cost_the_status(self):
        approved = load_fixture("webhook_purchase_approved.json")
        approved["data"]["commissions"] = [{"source": "PRODUCER", "value": "lots"}]
        event, _new = self.env["hotmart.webhook.event"]._store_delivery(
            self.backend, json.dumps(approved).encode()
        )
        event._process_now()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.sale_id.sale_order_id.state, "sale")
        self.assertEqual(event.sale_id.invoice_state, "to_invoice")
