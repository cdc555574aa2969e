"""The books agree with Hotmart: whoever edits what, whatever the rates, whenever invoicing
is switched on. One test per way the books were seen to disagree; each asserts the
account balances an accountant reads."""

import json
from datetime import date, datetime, timedelta

import responses

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from ..hotmart.records import HotmartBuyer
from .common import SALES_URL, load_fixture, stored_document
from .test_money import HotmartMoneyCase


@tagged("post_install", "-at_install")
class TestTheBooksAgreeWithHotmart(HotmartMoneyCase):
    def receive_without_invoicing(self):
        """Receive the sales with invoicing off, as a producer who switches it on later."""
        self.backend.invoice_policy = "none"
        return self.receive()

    def invoice_from(self, since, policy="paid"):
        """Switch invoicing on; the next status sync reads Hotmart's commissions, and the
        invoicing run books what is due."""
        self.backend.write({"invoice_policy": policy, "invoice_since": since})
        self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        self.env["hotmart.backend"]._cron_invoice_sales()

    def hotmart_moves(self, sale):
        return self.env["account.move"].search([("hotmart_sale_id", "=", sale.id)])

    # ------------------------------------------------------------------ what is invoiced

    def test_an_order_people_changed_is_not_invoiced_and_says_both_totals(self):
        self.receive_without_invoicing()
        sale = self.sale("HP1001000000001")  # R$ 497.00
        order = sale.sale_order_id
        seller = new_test_user(
            self.env, login="hm_books_seller", groups="sales_team.group_sale_salesman_all_leads"
        )
        with self.assertRaisesRegex(UserError, "received from Hotmart"):
            order.order_line[0].with_user(seller).price_unit = 100000
        with self.assertRaisesRegex(UserError, "received from Hotmart"):
            order.with_user(seller).write(
                {
                    "order_line": [
                        fields.Command.create({"product_id": self.product.product_variant_id.id})
                    ]
                }
            )
        # past the screens (an import, a script): the connector still refuses to book it
        order.order_line[0].sudo().price_unit = 100000
        self.invoice_from("2000-01-01")
        self.assertEqual(sale.invoice_state, "failed")
        self.assertIn("100,000.00", sale.invoice_error)
        self.assertIn("497.00", sale.invoice_error)
        self.assertFalse(self.hotmart_moves(sale))
        self.assertEqual(self.balance(self.loss_account), self.balance_of_others("loss"))
        self.assertEqual(
            self.balance(self.hotmart_account),
            round(
                sum(s.net_amount for s in self.Sale.search([("invoice_state", "=", "invoiced")])), 2
            ),
        )

    def test_an_invoice_other_than_the_order_is_refused_before_it_is_posted(self):
        self.receive_without_invoicing()
        sale = self.sale("HP1001000000001")  # R$ 497.00
        order = sale.sale_order_id
        other = self.sale("HP1001000000005").sale_order_id
        seller = new_test_user(
            self.env, login="hm_books_linker", groups="sales_team.group_sale_salesman_all_leads"
        )
        refused = (
            {"order_line": [fields.Command.link(other.order_line[0].id)]},
            {"amount_total": 497},
            {"partner_id": other.partner_id.id},
        )
        for values in refused:
            with self.subTest(values=values), self.assertRaisesRegex(UserError, "from Hotmart"):
                order.with_user(seller).write(values)
        # past the screens and past the order's stored total: the invoice itself is checked
        other.order_line[0].sudo().order_id = order
        order.sudo().write({"amount_total": 497})
        self.invoice_from("2000-01-01")
        self.assertEqual(sale.invoice_state, "failed")
        self.assertIn("526.90", sale.invoice_error)
        self.assertFalse(self.hotmart_moves(sale))

    def test_a_missing_share_of_a_dollar_sale_is_not_an_exchange_difference(self):
        answer = self.commissions_answer

        def without_the_fee(request):
            code, headers, body = answer(request)
            data = json.loads(body)
            for item in data["items"]:
                if item["transaction"] == "HP1001000000003":
                    item["commissions"] = [
                        c for c in item["commissions"] if c["source"] != "MARKETPLACE"
                    ]
            return code, headers, json.dumps(data)

        self.http.remove(responses.GET, SALES_URL + "commissions")
        self.http.add_callback(responses.GET, SALES_URL + "commissions", callback=without_the_fee)
        self.receive()
        usd = self.sale("HP1001000000003")  # US$ 97.00 at Hotmart's 5.30: R$ 514.10
        self.assertEqual(usd.payout_rate, 5.3)
        self.assertEqual(usd.invoice_state, "failed")
        self.assertIn("a share is missing", usd.invoice_error)
        self.assertIn("514.10", usd.invoice_error)

    def test_the_booking_day_is_the_accounts_whoever_runs_it(self):
        self.receive_without_invoicing()
        self.invoice_from("2100-01-01")  # commissions read, nothing invoiced yet
        sale = self.sale("HP1001000000001")
        sale.approved_date = datetime(2026, 11, 5, 1, 30)  # 22:30 on the 4th in São Paulo
        self.backend.write({"tz": "America/Sao_Paulo", "invoice_since": "2000-01-01"})
        self.env["hotmart.backend"].with_context(tz="Asia/Tokyo")._cron_invoice_sales()
        self.assertEqual(sale.invoice_id.invoice_date, date(2026, 11, 4))

    def test_a_far_off_rate_is_refused_not_booked_as_exchange_difference(self):
        self.backend.usd_rate = 500.0  # a typo: 500 reais for a dollar
        self.receive()
        usd = self.sale("HP1001000000003")  # USD 97.00, grossed R$ 514.10 by Hotmart
        self.assertEqual(usd.sale_order_id.amount_total, 48500.0)
        self.assertEqual(usd.invoice_state, "failed")
        self.assertIn("USD", usd.invoice_error)
        self.assertIn("514.10", usd.invoice_error)
        self.assertIn("exchange difference limit of 10.0%", usd.invoice_error)
        self.assertFalse(self.hotmart_moves(usd))
        self.assertEqual(self.balance(self.loss_account), self.balance_of_others("loss"))
        # the overview counts what Hotmart grossed in reais, not the typo
        self.assertEqual(usd.paid_amount_company, 514.1)

    def balance_of_others(self, kind):
        """The exchange difference the other (well converted) sales booked."""
        eur = self.sale("HP1001000000004")
        if kind == "loss":
            return round(eur.invoice_id.amount_total - eur.gross_amount, 2)
        return 0.0

    def hotmart_pays_in(self, transaction, currency, fee, net):
        """Hotmart's commissions of ``transaction`` say it is paid out in ``currency``."""
        answer = self.commissions_answer

        def paid_in(request):
            code, headers, body = answer(request)
            data = json.loads(body)
            for item in data["items"]:
                if item["transaction"] == transaction:
                    item.pop("exchange_rate_currency_payout", None)  # only the limit applies
                    item["commissions"] = [
                        {
                            "source": "MARKETPLACE",
                            "commission": {"value": fee, "currency_value": currency},
                        },
                        {
                            "source": "PRODUCER",
                            "commission": {"value": net, "currency_value": currency},
                        },
                    ]
            return code, headers, json.dumps(data)

        self.http.remove(responses.GET, SALES_URL + "commissions")
        self.http.add_callback(responses.GET, SALES_URL + "commissions", callback=paid_in)

    def test_a_payout_currency_without_rate_fails_never_converts_one_to_one(self):
        ars = self.env.ref("base.ARS")
        ars.active = True
        ars.rate_ids.unlink()
        self.hotmart_pays_in("HP1001000000001", "ARS", 50000, 400000)
        self.receive()
        sale = self.sale("HP1001000000001")
        self.assertEqual(sale.invoice_state, "failed")
        self.assertIn("ARS, which has no exchange rate", sale.invoice_error)
        self.assertFalse(self.hotmart_moves(sale))

    def test_a_refund_reverses_what_was_booked_whatever_the_rate_is_now(self):
        self.receive_without_invoicing()
        usd = self.env.ref("base.USD")
        usd.active = True
        Rate = self.env["res.currency.rate"]
        Rate.search([("currency_id", "=", usd.id)]).unlink()
        Rate.create({"currency_id": usd.id, "name": "2026-01-01", "rate": 1 / 5.3})
        self.hotmart_pays_in("HP1001000000003", "USD", 10.6, 86.4)  # USD 97.00, paid in dollars
        self.invoice_from("2000-01-01")
        sale = self.sale("HP1001000000003")
        self.assertEqual(sale.invoice_state, "invoiced")
        self.assertEqual(sale.payment_id.amount, round(86.4 * 5.3, 2))
        self.assertEqual(self.balance_of(sale, self.hotmart_account), round(86.4 * 5.3, 2))
        # the dollar moves before Hotmart refunds the sale
        Rate.create({"currency_id": usd.id, "name": fields.Date.today(), "rate": 1 / 6.1})
        self.rest_says(sale, "REFUNDED")
        self.assertEqual(sale.invoice_state, "refunded")
        self.assertEqual(sale.refund_payment_id.amount, sale.payment_id.amount)
        # everything this sale moved comes back to zero, at the rate it was booked at
        for account in (
            self.hotmart_account,
            self.fee_account,
            self.gain_account,
            self.loss_account,
        ):
            with self.subTest(account=account.name):
                self.assertEqual(self.balance_of(sale, account), 0.0)

    def balance_of(self, sale, account):
        self.env.flush_all()
        lines = self.hotmart_moves(sale).line_ids.filtered(lambda line: line.account_id == account)
        return round(sum(lines.mapped("balance")), 2)

    # ------------------------------------------------------------------ when and on which day

    def test_switching_a_policy_on_invoices_from_then_on_and_says_how_many_before(self):
        sales = self.receive_without_invoicing()
        self.backend.invoice_policy = "paid"
        self.assertAlmostEqual(
            self.backend.invoice_since, fields.Datetime.now(), delta=timedelta(minutes=1)
        )
        self.backend._fetch_sales(*self.window, statuses=["APPROVED"])  # the status sync
        self.env["hotmart.backend"]._cron_invoice_sales()
        self.assertEqual(set(sales.mapped("invoice_state")), {"no"}, "received weeks before")
        self.assertEqual(self.backend.invoice_since_count, 0)
        self.assertIn("No received sale", self.backend.invoice_since_summary)
        with Form(self.backend) as form:
            form.invoice_since = datetime(2026, 11, 3)
            # the form says it before saving: HP...3, 4 and 5 were approved since Nov 3rd
            self.assertIn("3 received sales reached the policy", form.invoice_since_summary)
        self.env["hotmart.backend"]._cron_invoice_sales()
        invoiced = sales.filtered(lambda s: s.invoice_state == "invoiced")
        self.assertEqual(
            sorted(invoiced.mapped("transaction")),
            ["HP1001000000003", "HP1001000000004", "HP1001000000005"],
        )
        self.assertEqual(
            round(sum(invoiced.payment_id.mapped("amount")), 2), self.balance(self.hotmart_account)
        )

    def test_invoices_and_settlements_carry_the_day_the_sale_was_paid(self):
        sales = self.receive()
        for sale in sales:
            with self.subTest(sale=sale.transaction):
                day = fields.Datetime.context_timestamp(sale, sale.approved_date).date()
                self.assertEqual(sale.invoice_id.invoice_date, day)
                self.assertEqual(sale.invoice_id.date, day)
                self.assertEqual(sale.payment_id.date, day)
                self.assertNotEqual(day, fields.Date.context_today(sale))

    def test_a_day_in_a_locked_period_moves_to_the_first_open_day_and_says_so(self):
        self.receive_without_invoicing()
        self.env.company.fiscalyear_lock_date = date(2026, 11, 2)
        sale = self.sale("HP1001000000001")  # approved on 2026-11-02
        self.invoice_from("2000-01-01")
        self.assertEqual(sale.invoice_state, "invoiced")
        self.assertEqual(sale.invoice_id.invoice_date, date(2026, 11, 2), "the sale's day")
        self.assertEqual(sale.invoice_id.date, date(2026, 11, 3), "booked on the first open day")
        self.assertEqual(sale.payment_id.date, date(2026, 11, 3))
        note = sale.sale_order_id.message_ids[0].body
        self.assertIn("2026-11-02, in a locked period: booked on 2026-11-03", note)

    def test_the_guarantee_policy_dates_the_invoice_at_the_guarantee_end(self):
        self.receive_without_invoicing()
        self.invoice_from("2000-01-01", policy="guarantee")
        sale = self.sale("HP1001000000002")  # COMPLETE: its guarantee ended
        day = fields.Datetime.context_timestamp(sale, sale.warranty_expire_date).date()
        self.assertEqual(sale.invoice_id.invoice_date, day)

    # ------------------------------------------------------------------ old news

    def test_process_again_never_approves_a_sale_the_sync_read_refunded(self):
        Event = self.env["hotmart.webhook.event"]
        approval = load_fixture("webhook_purchase_approved.json")
        event, _new = Event._store_delivery(self.backend, json.dumps(approval).encode())
        event._process_now()
        sale = event.sale_id
        self.assertEqual(sale.invoice_state, "invoiced")
        item = load_fixture("sales_history_page1.json")["items"][0]
        item["purchase"] = dict(item["purchase"], transaction=sale.transaction, status="REFUNDED")
        self.env["hotmart.sale"]._store_history_page(self.backend, [item], cause="the status sync")
        self.assertEqual((sale.status, sale.invoice_state), ("REFUNDED", "refunded"))
        self.assertEqual(sale.sale_order_id.state, "cancel")
        moves = self.hotmart_moves(sale)
        balance = self.balance(self.hotmart_account)
        # a person clicks Process Again, or Hotmart delivers the old approval again
        event.write({"state": "failed"})
        event.action_process_again()
        Event._store_delivery(self.backend, json.dumps(dict(approval, id="redelivered")).encode())
        Event._cron_process_webhooks()
        self.assertEqual(sale.status, "REFUNDED")
        self.assertEqual(sale.sale_order_id.state, "cancel")
        self.assertEqual(self.hotmart_moves(sale), moves)
        self.assertEqual(self.balance(self.hotmart_account), balance)

    def test_a_webhook_after_the_history_read_is_news(self):
        self.receive()
        sale = self.sale("HP1001000000001")
        self.rest_says(sale, "COMPLETE")
        said_at = fields.Datetime.now() + timedelta(minutes=5)
        self.assertFalse(sale._is_older_news("PROTESTED", said_at))
        self.assertTrue(sale._is_older_news("APPROVED", said_at - timedelta(days=30)))
        # a sync that reads the same status again does not make a waiting dispute old news
        disputed_at = fields.Datetime.now() - timedelta(minutes=1)
        self.rest_says(sale, "COMPLETE")
        self.assertFalse(sale._is_older_news("PROTESTED", disputed_at))
        sale._update_from_hotmart({"status": "REFUNDED", "status_date": said_at})
        self.assertTrue(sale._is_older_news("APPROVED"), "the history lagging behind a webhook")

    # ------------------------------------------------------------------ who decides

    def test_only_accounting_administrators_choose_where_money_goes(self):
        manager = new_test_user(
            self.env, login="hm_books_manager", groups="hotmart_connector.group_hotmart_manager"
        )
        equity = self.env["account.account"].create(
            {"name": "Capital", "code": "HM3001", "account_type": "equity"}
        )
        for values in (
            {"fee_account_id": equity.id},
            {"invoice_policy": "none"},
            {"invoice_since": "2001-01-01"},
            {"exchange_difference_limit": 90},
            {"usd_rate": 5.8},
            {"fiscal_position_id": False},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                self.backend.with_user(manager).write(values)
        # the rest stays theirs, and a form saved with these fields unchanged passes
        self.backend.with_user(manager).write(
            {"name": "Renamed", "usd_rate": self.backend.usd_rate, "invoice_policy": "paid"}
        )
        new = (
            self.env["hotmart.backend"]
            .with_user(manager)
            .create(
                {
                    "name": "Nova",
                    "usd_rate": 0.0,
                    "invoice_policy": "none",
                    "fiscal_position_id": False,
                }
            )
        )
        self.assertEqual(new.invoice_policy, "none")
        accountant = new_test_user(
            self.env,
            login="hm_books_accountant",
            groups="account.group_account_manager,hotmart_connector.group_hotmart_manager",
        )
        with self.assertRaisesRegex(ValidationError, "must be an expense account"):
            self.backend.with_user(accountant).fee_account_id = equity
        with self.assertRaisesRegex(ValidationError, "must be a Bank journal"):
            self.backend.with_user(accountant).payment_journal_id = self.backend.invoice_journal_id

    def test_the_hotmart_journal_is_made_before_the_first_save(self):
        Backend = self.env["hotmart.backend"]
        with Form(Backend) as form:
            form.name = "Escola Nova"
            form.client_id = "client-id-nova"
            form.invoice_policy = "paid"
            form.fee_account_id = self.fee_account
            form.commission_account_id = self.commission_account
        backend = form.record
        journal = backend.payment_journal_id
        self.assertEqual(journal.type, "bank")
        self.assertTrue(journal._hotmart_balance_method_lines("inbound"))
        self.assertAlmostEqual(
            backend.invoice_since, fields.Datetime.now(), delta=timedelta(minutes=1)
        )
        backend.action_create_payment_journal()  # the Create button after it: nothing more
        self.assertEqual(backend.payment_journal_id, journal)

    def test_the_callers_context_does_not_shape_the_hotmart_journal(self):
        equity = self.env["account.account"].create(
            {"name": "Capital", "code": "HM3002", "account_type": "equity"}
        )
        backend = self.env["hotmart.backend"].create(
            {"name": "Escola Dois", "invoice_policy": "none"}
        )
        backend.with_context(
            default_default_account_id=equity.id, default_type="sale"
        ).action_create_payment_journal()
        journal = backend.payment_journal_id
        self.assertEqual(journal.type, "bank")
        self.assertNotEqual(journal.default_account_id, equity)
        manager = new_test_user(
            self.env, login="hm_books_journal", groups="hotmart_connector.group_hotmart_manager"
        )
        other = self.env["hotmart.backend"].create({"name": "Escola Tres"})
        with self.assertRaises(AccessError):
            other.with_user(manager).action_create_payment_journal()

    def test_a_refund_is_reversed_after_the_settings_are_cleared(self):
        self.receive()
        sale = self.sale("HP1001000000002")  # with an affiliate
        self.backend.write(
            {"invoice_policy": "none", "fee_account_id": False, "commission_account_id": False}
        )
        self.rest_says(sale, "REFUNDED")
        self.assertEqual(sale.invoice_state, "refunded")
        self.assertEqual(self.balance(self.fee_account), self.fee_of_others(sale))
        self.assertEqual(self.balance(self.commission_account), 0.0)

    def fee_of_others(self, refunded):
        others = self.Sale.search([("invoice_state", "=", "invoiced"), ("id", "!=", refunded.id)])
        return round(sum(others.mapped("fee_amount")), 2)

    def test_a_broken_journal_is_named_in_the_reversal_error(self):
        self.receive()
        sale = self.sale("HP1001000000001")
        journal = sale.payment_id.journal_id
        journal.outbound_payment_method_line_ids.unlink()
        self.rest_says(sale, "REFUNDED")
        self.assertEqual(sale.invoice_state, "invoiced")
        self.assertIn(journal.display_name, sale.invoice_error)
        self.assertIn("Outgoing", sale.invoice_error)

    def test_the_reversal_credits_the_account_the_net_was_booked_on(self):
        self.receive()
        sale = self.sale("HP1001000000001")
        journal = sale.payment_id.journal_id
        booked_on = self.hotmart_account
        # the journal moves to another account after the sale was settled
        other = booked_on.copy({"code": "HM1199", "name": "Hotmart (new)"})
        journal.default_account_id = other
        self.rest_says(sale, "REFUNDED")
        self.assertEqual(sale.invoice_state, "refunded")
        self.assertEqual(self.balance_of(sale, booked_on), 0.0)
        self.assertEqual(self.balance_of(sale, other), 0.0)

    def test_an_invoice_posted_again_by_hand_is_not_reversed_blindly(self):
        self.receive()
        sale = self.sale("HP1001000000001")
        sale.invoice_id.button_draft()
        sale.invoice_id.action_post()  # posted again: the settlement no longer pays it
        self.rest_says(sale, "REFUNDED")
        self.assertEqual(sale.invoice_state, "invoiced")
        self.assertIn("no longer pays it", sale.invoice_error)
        self.assertFalse(sale.credit_note_id)

    # ------------------------------------------------------------------ partners

    def test_hotmart_is_the_partner_of_its_fee_once_per_company(self):
        sales = self.receive()
        fee_lines = self.env["account.move.line"].search([("account_id", "=", self.fee_account.id)])
        hotmart = fee_lines.partner_id
        self.assertEqual(len(hotmart), 1)
        self.assertEqual(hotmart.vat, stored_document(self.env, "13.427.325/0001-05"))
        self.assertIn("Launch Pad", hotmart.comment)
        self.assertNotIn(hotmart, sales.sale_order_id.partner_id)
        commission_lines = self.env["account.move.line"].search(
            [("account_id", "=", self.commission_account.id)]
        )
        self.assertFalse(commission_lines.partner_id & sales.sale_order_id.partner_id)
        self.assertEqual(self.backend._hotmart_partner(), hotmart)
        # its xml id names a contact that is gone (a rolled back run, a deletion): the next
        # settlement makes it again, under the same xml id
        data = self.env["ir.model.data"].search(
            [("module", "=", "hotmart_connector"), ("name", "=like", "hotmart_partner_company_%")]
        )
        data.res_id = (
            max(self.env["res.partner"].with_context(active_test=False).search([]).ids) + 1000
        )
        again = self.backend._hotmart_partner()
        self.assertTrue(again.exists())
        self.assertEqual(self.backend._hotmart_partner(), again)

    def test_commission_lines_carry_the_affiliate_hotmart_names(self):
        answer = self.commissions_answer

        def naming_the_affiliate(request):
            code, headers, body = answer(request)
            data = json.loads(body)
            for item in data["items"]:
                for entry in item["commissions"]:
                    if entry["source"] == "AFFILIATE":
                        entry["user"] = {
                            "name": "Parceiro Digital",
                            "email": "parceiro@example.com",
                            "ucode": "aff-0001",
                        }
            return code, headers, json.dumps(data)

        self.http.remove(responses.GET, SALES_URL + "commissions")
        self.http.add_callback(
            responses.GET, SALES_URL + "commissions", callback=naming_the_affiliate
        )
        self.receive()
        sale = self.sale("HP1001000000002")  # the one with an affiliate
        lines = sale.payment_id.move_id.line_ids.filtered(
            lambda line: line.account_id == self.commission_account
        )
        self.assertEqual(lines.partner_id.name, "Parceiro Digital")
        self.assertEqual(lines.partner_id.email, "parceiro@example.com")
        self.assertEqual(round(sum(lines.mapped("balance")), 2), sale.commission_amount)
        self.assertNotEqual(lines.partner_id, sale.sale_order_id.partner_id)
        # refunded, the mirror carries the affiliate too, and the commission account is back
        self.rest_says(sale, "REFUNDED")
        mirrored = sale.refund_payment_id.move_id.line_ids.filtered(
            lambda line: line.account_id == self.commission_account
        )
        self.assertEqual(mirrored.partner_id, lines.partner_id)
        self.assertEqual(self.balance(self.commission_account), 0.0)

    def test_hotmart_itself_is_never_a_buyer(self):
        self.receive()
        hotmart = self.backend._hotmart_partner()
        self.assertNotIn(hotmart, self.Sale.search([]).sale_order_id.partner_id)
        matched, errors = self.env["res.partner"]._hotmart_find_or_create(
            self.backend,
            {
                "x": HotmartBuyer(
                    name="Alguém",
                    email="x@example.com",
                    document_type="CNPJ",
                    document="13427325000105",
                )
            },
        )
        # a new contact, or one refused where OCA's localization keeps each CNPJ once
        self.assertTrue(matched.get("x") or errors.get("x"))
        self.assertNotEqual(matched.get("x"), hotmart)

    def test_a_sale_refunded_before_it_was_invoiced_leaves_nothing_to_invoice(self):
        self.receive_without_invoicing()
        sale = self.sale("HP1001000000001")
        self.invoice_from("2100-01-01")  # invoicing on, but not for this sale
        sale.write({"invoice_state": "failed", "invoice_error": "a reason"})
        self.rest_says(sale, "REFUNDED")
        self.assertEqual((sale.invoice_state, sale.invoice_error), ("no", False))

    def test_activities_go_to_a_person_with_words_not_codes(self):
        self.receive()
        self.backend.user_id = False
        responsible = new_test_user(
            self.env, login="hm_books_responsible", groups="base.group_user"
        )
        self.backend.responsible_id = responsible
        sale = self.sale("HP1001000000001")
        sale.sale_order_id.user_id = False
        self.rest_says(sale, "PROTESTED")
        activity = sale.sale_order_id.activity_ids
        self.assertEqual(activity.user_id, responsible)
        self.assertEqual(activity.summary, "Disputed on Hotmart")
        self.assertNotIn("PROTESTED", activity.note)
        self.backend.responsible_id = False
        self.rest_says(sale, "PARTIALLY_REFUNDED")
        partial = sale.sale_order_id.activity_ids - activity
        self.assertTrue(partial)
        self.assertNotEqual(partial.user_id, self.env.ref("base.user_root"))


@tagged("post_install", "-at_install")
class TestNoCallerSteersTheConnector(HotmartMoneyCase):
    def test_fetch_sales_ignores_the_callers_switches_and_checks_the_company(self):
        user = new_test_user(
            self.env, login="hm_fetch_user", groups="hotmart_connector.group_hotmart_manager"
        )
        wizard = self.env["hotmart.sale.fetch"].create(
            {"backend_id": self.backend.id, "date_from": self.window[0], "date_to": self.window[1]}
        )
        brl = self.env.company.currency_id
        wizard.with_user(user).with_context(
            hotmart_commit=True, hotmart_currency_ids={"USD": brl.id, "EUR": brl.id}
        ).action_fetch()
        usd = self.sale("HP1001000000003")
        self.assertEqual(usd.currency_id, self.env.ref("base.USD"))
        other = self.env["res.company"].create({"name": "Outra Escola"})
        outsider = new_test_user(
            self.env,
            login="hm_fetch_outsider",
            groups="hotmart_connector.group_hotmart_manager",
            company_id=other.id,
            company_ids=[other.id],
        )
        with self.assertRaises(UserError):  # an AccessError is one too
            wizard.with_user(outsider).action_fetch()

    def test_portal_users_neither_read_the_money_nor_receive_a_buyers_orders(self):
        portal = new_test_user(
            self.env, login="hm_portal", email="ana.souza@example.com", groups="base.group_portal"
        )
        self.receive()
        sale = self.sale("HP1001000000001")
        order = sale.sale_order_id
        self.assertNotEqual(order.partner_id, portal.partner_id)
        order.sudo().partner_id = portal.partner_id  # even on their own order
        for name in ("hotmart_fee_amount", "hotmart_net_amount", "hotmart_backend_id"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                order.with_user(portal).read([name])


@tagged("post_install", "-at_install")
class TestSalesBeforeTheWindow(HotmartMoneyCase):
    def test_a_sale_before_receive_since_waits_apart_loses_its_payload_and_can_be_received(self):
        self.backend.write({"invoice_policy": "none", "import_since": "2026-11-03 00:00:00"})
        self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        early = self.sale("HP1001000000001")  # ordered 2026-11-02
        self.assertEqual(early.state, "before_since")
        self.assertEqual(self.sale("HP1001000000003").state, "pending")
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.to_receive_count, 3)  # HP...3, 4 and 5
        self.env["hotmart.run"]._receive_new_sales(self.backend, origin="a test")
        self.assertFalse(early.sale_order_id, "the runs never receive it")
        self.assertEqual(early.buyer_street, "Rua das Palmeiras")
        with self.env.cr.savepoint():
            self.backend.payload_retention_days = 1
            self.env["hotmart.backend"]._gc_raw_payloads()
        self.assertFalse(early.payload)
        asked = early.action_receive()
        self.assertEqual(asked["res_model"], "hotmart.sale.receive.confirm")
        self.env["hotmart.sale.receive.confirm"].browse(asked["res_id"]).action_confirm()
        customer = early.sale_order_id.partner_id
        self.assertEqual(customer.email, "ana.souza@example.com")
        self.assertEqual(customer.city, early.buyer_city)
        self.assertTrue(customer.vat)
        self.assertEqual(customer.phone, early.buyer_phone)
        # moving the window brings it back among the sales to receive
        self.backend.import_since = "2026-01-01 00:00:00"
        self.assertEqual(early.state, "done")
