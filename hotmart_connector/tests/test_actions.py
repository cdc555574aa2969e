"""Acting on Hotmart from Odoo, over real HTTP against the local stand-in: refunds and
subscription requests are sent once, and Odoo follows only what Hotmart reports."""

from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from ..models.guard import tuned_client
from .common import HotmartCase, sell_in_reais
from .standin import Faults, HotmartStandIn, StandInData

REFUND_PATH = "/payments/api/v1/sales/{}/refund"


class StandInAccountCase(HotmartCase):
    """An account connected to a stand-in of 90 sales over 20 days, received as orders
    (and invoiced, with ``invoicing``)."""

    invoicing = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # requests are written down in a transaction of their own: inside the test's here
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.sandbox = HotmartStandIn(data=StandInData(sales=90, seed=21, days=20)).start()
        cls.addClassCleanup(cls.sandbox.stop)
        sell_in_reais(cls.env)
        for code, rate in (("MXN", 3.4), ("COP", 780.0), ("ARS", 200.0)):
            currency = cls.env.ref(f"base.{code}")
            currency.active = True
            cls.env["res.currency.rate"].create(
                {"currency_id": currency.id, "name": "2020-01-01", "rate": rate}
            )
        cls.backend.write(
            {
                **cls.sandbox.account_values(),
                "usd_rate": 5.0,
                "eur_rate": 6.0,
                "import_since": datetime.now() - timedelta(days=21),
                "sync_lookback_days": 21,
            }
        )
        cls.backend.action_test_connection()
        if cls.invoicing:
            cls._start_invoicing()
        cls.env["hotmart.backend"]._cron_receive_orders()
        cls.manager = new_test_user(
            cls.env,
            login="hm_actions_manager",
            groups="hotmart_connector.group_hotmart_manager,sales_team.group_sale_salesman",
        )
        cls.user = new_test_user(
            cls.env, login="hm_actions_user", groups="hotmart_connector.group_hotmart_user"
        )

    @classmethod
    def _start_invoicing(cls):
        expense = cls.env["account.account"].create(
            {"name": "Hotmart costs", "code": "HM6198", "account_type": "expense"}
        )
        cls.backend.action_create_payment_journal()
        cls.backend.write(
            {
                "invoice_policy": "paid",
                "invoice_since": "2000-01-01 00:00:00",
                "fee_account_id": expense.id,
                "commission_account_id": expense.id,
            }
        )

    def writes_to(self, path):
        return [write for write in self.sandbox.writes if write[1] == path]

    def stored_sale(self, status, currency=None):
        """A received sale in ``status`` on Hotmart and in Odoo that no other test uses (in
        ``currency``, when given)."""
        domain = [
            ("backend_id", "=", self.backend.id),
            ("status", "=", status),
            ("sale_order_id", "!=", False),
        ]
        if currency:
            domain.append(("currency_code", "=", currency))
        sales = self.env["hotmart.sale"].search(domain)
        for sale in sales:
            if self.sandbox.data.sales[sale.transaction]["status"] == status and not self.writes_to(
                REFUND_PATH.format(sale.transaction)
            ):
                return sale
        raise AssertionError(f"no {status} sale left in the stand-in")


@tagged("post_install", "-at_install")
class TestRefundOnHotmart(StandInAccountCase):
    invoicing = True

    def test_refund_is_sent_once_and_the_books_follow_only_on_refunded(self):
        sale = self.stored_sale("APPROVED", currency="BRL")
        self.assertEqual(sale.invoice_state, "invoiced", sale.invoice_error)
        balance_account = self.backend.payment_journal_id.default_account_id
        order = sale.sale_order_id
        path = REFUND_PATH.format(sale.transaction)

        action = sale.with_user(self.manager).action_request_refund()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({})
        )
        self.assertEqual(wizard.amount_display, sale.amount_display)
        # the confirmation, as its form shows it: which sale, and how much goes back
        shown = Form(
            self.env["hotmart.sale.refund"]
            .with_user(self.manager)
            .with_context(**action["context"])
        )
        self.assertEqual(shown.transaction, sale.transaction)
        self.assertEqual(shown.amount_display, sale.amount_display)
        self.assertEqual(shown.buyer_name, sale.buyer_name)
        notification = wizard.action_confirm()
        self.assertEqual(notification["params"]["type"], "success")
        self.assertIn("accepted", notification["params"]["message"])
        self.assertEqual(len(self.writes_to(path)), 1)
        self.assertEqual(sale.request_state, "accepted")
        self.assertEqual(sale.request_user_id, self.manager)
        self.assertTrue(sale.request_date)
        self.assertIn("asked Hotmart to refund", order.message_ids[0].body)
        # the request alone changes neither the order nor the books
        self.assertEqual(sale.status, "APPROVED")
        self.assertEqual(order.state, "sale")
        self.assertEqual(sale.invoice_state, "invoiced")

        with self.assertRaisesRegex(UserError, "asked already"):
            sale.with_user(self.manager).request_refund()
        with self.assertRaisesRegex(UserError, "asked already"):
            sale.with_user(self.manager).action_request_refund()
        self.assertEqual(len(self.writes_to(path)), 1, "a second click sends nothing")

        self.env["hotmart.backend"]._cron_sync_statuses()
        self.assertEqual(sale.status, "REFUNDED")
        self.assertEqual(order.state, "cancel")
        self.assertEqual(sale.invoice_state, "refunded")
        credit_note = sale.invoice_id.reversal_move_ids
        self.assertEqual(credit_note.state, "posted")
        self.assertAlmostEqual(credit_note.amount_total, sale.invoice_id.amount_total, places=2)
        self.assertEqual(sale.request_state, "reported")
        # the Hotmart balance gave back exactly what the sale had brought
        self.env.flush_all()
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", balance_account.id),
                ("parent_state", "=", "posted"),
                ("move_id.hotmart_sale_id", "=", sale.id),
            ]
        )
        self.assertTrue(lines)
        self.assertAlmostEqual(sum(lines.mapped("balance")), 0.0, places=2)

    def test_a_refund_of_a_sale_older_than_the_sync_window_is_followed(self):
        """The status sync reads the sales whose refund was asked, whatever their date: a
        lost webhook never leaves the books behind."""
        sale = self.stored_sale("COMPLETE")
        old = datetime.now() - timedelta(days=40)
        self.sandbox.data.sales[sale.transaction]["order_date"] = int(old.timestamp() * 1000)
        sale.sudo().order_date = old
        sale.with_user(self.manager).request_refund()
        self.assertEqual(sale.status, "COMPLETE")
        self.env["hotmart.backend"]._cron_sync_statuses()
        self.assertEqual(sale.status, "REFUNDED")
        self.assertEqual(sale.sale_order_id.state, "cancel")
        self.assertEqual(sale.request_state, "reported")

    def test_a_sale_made_as_affiliate_is_refused_without_a_call(self):
        sale = self.stored_sale("APPROVED")
        sale.sudo().commission_as = "AFFILIATE"
        self.assertFalse(sale.refund_available)
        with self.assertRaisesRegex(UserError, "only its producer can refund it"):
            sale.with_user(self.manager).request_refund()
        self.assertFalse(self.writes_to(REFUND_PATH.format(sale.transaction)))

    def test_settlements_report_the_three_parts_of_each_paid_sale(self):
        """The Settlements report stacks Hotmart's fee, the commissions and the net: they add
        up to what the buyer paid, and a sale not paid is not in it."""
        self.env.flush_all()
        Part = self.env["hotmart.settlement.part"].with_user(self.user)
        sale = self.stored_sale("COMPLETE")
        parts = Part.search([("sale_id", "=", sale.id)])
        self.assertEqual(sorted(parts.mapped("part")), ["commission", "fee", "net"])
        self.assertAlmostEqual(sum(parts.mapped("amount")), sale.gross_amount, places=2)
        self.assertGreater(parts.filtered(lambda p: p.part == "fee").amount, 0)
        unpaid = self.env["hotmart.sale"].search(
            [("backend_id", "=", self.backend.id), ("status", "not in", ("APPROVED", "COMPLETE"))]
        )
        self.assertFalse(Part.search_count([("sale_id", "in", unpaid.ids)]))
        groups = Part.read_group([], ["amount:sum"], ["part"])
        self.assertEqual({group["part"] for group in groups}, {"fee", "commission", "net"})

    def test_an_unpaid_sale_is_refused_without_a_call(self):
        sale = self.env["hotmart.sale"].search(
            [("backend_id", "=", self.backend.id), ("status", "not in", ("APPROVED", "COMPLETE"))],
            limit=1,
        )
        writes = len(self.sandbox.writes)
        with self.assertRaisesRegex(UserError, "approved or complete sales only"):
            sale.with_user(self.manager).request_refund()
        self.assertEqual(len(self.sandbox.writes), writes)
        self.assertFalse(sale.request_state)

    def test_a_hotmart_user_may_not_ask(self):
        sale = self.stored_sale("COMPLETE")
        with self.assertRaises(AccessError):
            sale.with_user(self.user).request_refund()
        with self.assertRaises(AccessError):
            sale.with_user(self.user).action_request_refund()
        self.assertFalse(self.writes_to(REFUND_PATH.format(sale.transaction)))

    def test_hotmart_refusal_changes_nothing(self):
        sale = self.stored_sale("APPROVED")
        # refunded on Hotmart's panel meanwhile: Hotmart refuses a second refund
        self.sandbox.data.sales[sale.transaction]["status"] = "REFUNDED"
        self.addCleanup(self.sandbox.data.sales[sale.transaction].update, status="APPROVED")
        with self.assertRaisesRegex(UserError, "Hotmart did not refund .*Nothing changed"):
            sale.with_user(self.manager).request_refund()
        self.assertFalse(sale.request_state)
        self.assertEqual(sale.sale_order_id.state, "sale")

    def test_no_answer_keeps_the_request_pending(self):
        sale = self.stored_sale("APPROVED")
        self.sandbox.faults = Faults({"timeout": 1.0}, slow_seconds=1.0)
        self.addCleanup(setattr, self.sandbox, "faults", Faults())
        with tuned_client(timeout=(2, 0.3)):
            notification = sale.with_user(self.manager).request_refund()
        self.assertEqual(notification["params"]["type"], "warning")
        self.assertIn("may have been made", notification["params"]["message"])
        self.assertEqual(sale.request_state, "unanswered")
        self.sandbox.faults = Faults()
        with self.assertRaisesRegex(UserError, "asked already"):
            sale.with_user(self.manager).request_refund()
        self.assertEqual(len(self.writes_to(REFUND_PATH.format(sale.transaction))), 1)


@tagged("post_install", "-at_install")
class TestSubscriptionsOnHotmart(StandInAccountCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["hotmart.backend"]._cron_sync_subscriptions()
        cls.Subscription = cls.env["hotmart.subscription"]

    def subscriptions(self, status, count=1):
        found = self.Subscription.search(
            [("backend_id", "=", self.backend.id), ("status", "=", status)]
        ).filtered(
            lambda s: (
                self.sandbox.data.subscriptions[s.subscriber_code]["status"] == status
                and not any(s.subscriber_code in str(write) for write in self.sandbox.writes)
            )
        )
        self.assertGreaterEqual(len(found), count, f"{count} {status} subscriptions")
        return found[:count]

    def test_cancel_one(self):
        subscription = self.subscriptions("ACTIVE")
        code = subscription.subscriber_code
        notification = subscription.with_user(self.manager).cancel_on_hotmart(send_mail=False)
        self.assertEqual(notification["params"]["type"], "success")
        self.assertEqual(
            self.sandbox.writes[-1],
            ("POST", f"/payments/api/v1/subscriptions/{code}/cancel", {"send_mail": False}),
        )
        self.assertEqual(subscription.status, "CANCELLED_BY_SELLER")
        self.assertEqual(subscription.mrr, 0)
        self.assertEqual(subscription.request_kind, "cancel")
        self.assertEqual(subscription.request_user_id, self.manager)
        body = subscription.message_ids.mapped("body")
        self.assertTrue(
            any("hm_actions_manager" in b and "Hotmart cancelled it" in b for b in body)
        )

    def test_batch_cancel_reports_each_failure_with_its_reason(self):
        subscriptions = self.subscriptions("ACTIVE", 3)
        # cancelled on Hotmart meanwhile: Odoo does not know yet
        gone = subscriptions[0]
        self.sandbox.data.subscriptions[gone.subscriber_code]["status"] = "CANCELLED_BY_CUSTOMER"
        writes = len(self.sandbox.writes)
        wizard = (
            self.env["hotmart.subscription.request"]
            .with_user(self.manager)
            .with_context(
                active_model="hotmart.subscription",
                active_ids=subscriptions.ids,
                default_kind="cancel",
            )
            .create({})
        )
        self.assertEqual(wizard.subscription_ids, subscriptions)
        notification = wizard.action_confirm()
        self.assertEqual(len(self.sandbox.writes), writes + 1, "one call for the batch")
        method, path, body = self.sandbox.writes[-1]
        self.assertEqual((method, path), ("POST", "/payments/api/v1/subscriptions/cancel"))
        self.assertEqual(body["subscriber_code"], subscriptions.mapped("subscriber_code"))
        self.assertIs(body["send_mail"], True)
        message = notification["params"]["message"]
        self.assertEqual(notification["params"]["type"], "warning")
        self.assertIn(f"{gone.subscriber_code}: not done", message)
        self.assertIn("already cancelled or overdue", message)
        for done in subscriptions[1:]:
            self.assertIn(done.subscriber_code, message)
            self.assertEqual(done.status, "CANCELLED_BY_SELLER")
        self.assertEqual(gone.status, "ACTIVE", "the next sync tells who cancelled it")
        self.assertIn("Not done", gone.message_ids[0].body)

    def test_reactivate_waits_for_the_subscriber(self):
        subscription = self.subscriptions("CANCELLED_BY_CUSTOMER")
        code = subscription.subscriber_code
        subscription.with_user(self.manager).reactivate_on_hotmart(charge=True)
        self.assertEqual(
            self.sandbox.writes[-1],
            ("POST", f"/payments/api/v1/subscriptions/{code}/reactivate", {"charge": True}),
        )
        self.assertEqual(subscription.status, "CANCELLED_BY_CUSTOMER")
        self.assertTrue(subscription.request_pending)
        self.assertIn("valid 3 days", subscription.message_ids[0].body)
        writes = len(self.sandbox.writes)
        notification = subscription.with_user(self.manager).reactivate_on_hotmart()
        self.assertEqual(len(self.sandbox.writes), writes, "pending: nothing sent again")
        self.assertIn("has not reported the result", notification["params"]["message"])

        self.sandbox.data.accept_reactivation(code)
        self.env["hotmart.backend"]._cron_sync_subscriptions()
        self.assertEqual(subscription.status, "ACTIVE")
        self.assertEqual(subscription.request_state, "reported")
        self.assertFalse(subscription.request_pending)

    def test_change_charge_day(self):
        subscription = self.subscriptions("ACTIVE")
        code = subscription.subscriber_code
        writes = len(self.sandbox.writes)
        for day in (0, 32, "15", 2.5):
            with self.assertRaisesRegex(UserError, "from 1 to 31"):
                subscription.with_user(self.manager).change_charge_day(day)
        self.assertEqual(len(self.sandbox.writes), writes, "a day outside 1-31 makes no call")
        notification = subscription.with_user(self.manager).change_charge_day(15)
        self.assertEqual(notification["params"]["type"], "success")
        self.assertEqual(
            self.sandbox.writes[-1],
            ("PATCH", f"/payments/api/v1/subscriptions/{code}", {"due_day": 15}),
        )
        self.assertEqual(self.sandbox.data.subscriptions[code]["due_day"], 15)
        self.assertEqual(subscription.charge_day, 15)

    def test_charge_day_in_a_trial_is_refused_in_words(self):
        subscription = self.subscriptions("ACTIVE")
        self.sandbox.data.subscriptions[subscription.subscriber_code]["trial"] = True
        notification = subscription.with_user(self.manager).change_charge_day(10)
        self.assertEqual(notification["params"]["type"], "danger")
        self.assertIn("trial period", notification["params"]["message"])
        self.assertFalse(subscription.charge_day)
        self.assertFalse(subscription.request_pending)

    def test_a_cancelled_subscription_keeps_its_charge_day_unasked(self):
        subscription = self.subscriptions("CANCELLED_BY_CUSTOMER")
        writes = len(self.sandbox.writes)
        notification = subscription.with_user(self.manager).change_charge_day(5)
        self.assertIn("active or delayed subscriptions only", notification["params"]["message"])
        self.assertEqual(len(self.sandbox.writes), writes)

    def test_a_hotmart_user_may_not_ask(self):
        subscription = self.subscriptions("ACTIVE")
        for call in (
            lambda s: s.cancel_on_hotmart(),
            lambda s: s.reactivate_on_hotmart(),
            lambda s: s.change_charge_day(3),
        ):
            with self.assertRaises(AccessError):
                call(subscription.with_user(self.user))
        self.assertFalse([w for w in self.sandbox.writes if subscription.subscriber_code in str(w)])
