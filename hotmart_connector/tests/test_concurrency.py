"""Two scheduled runs at once, and a webhook racing them: one order per sale.

These tests need real transactions in parallel, so they commit in the test database through
their own cursors, and delete what they made when they end.
"""

import json
import threading
from datetime import datetime, timedelta

from psycopg2 import errors

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import split_every

from ..models.guard import committing_run
from .common import FakeHttpMixin
from .standin import HotmartStandIn, StandInData, webhook_event


@tagged("post_install", "-at_install")
class TestConcurrentRuns(FakeHttpMixin, BaseCase):
    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        currency = self.run_in_cursor(lambda env: env.company.currency_id.name)
        data = StandInData(
            sales=150, seed=31, statuses={"APPROVED": 3, "COMPLETE": 1}, currencies={currency: 1}
        )
        self.sandbox = HotmartStandIn(data=data).start()
        self.addCleanup(self.sandbox.stop)
        self.templates_before = self.run_in_cursor(
            lambda env: env["product.template"].with_context(active_test=False).search([]).ids
        )
        self.last_partner_id = self.run_in_cursor(
            lambda env: (
                env["res.partner"]
                .with_context(active_test=False)
                .search([], order="id desc", limit=1)
                .id
            )
        )
        self.backend_id = self.run_in_cursor(self.create_backend)
        self.addCleanup(self.delete_everything)

    def run_in_cursor(self, function):
        with self.registry.cursor() as cr:
            result = function(api.Environment(cr, SUPERUSER_ID, {}))
            # a cursor of its own: parallel transactions are what these tests are about
            cr.commit()  # pylint: disable=invalid-commit
            return result

    def create_backend(self, env):
        backend = env["hotmart.backend"].create(
            {
                "name": "Concurrency",
                **self.sandbox.account_values(),
                "hottok": "race-hottok",
                "import_since": datetime.now() - timedelta(days=61),
                "last_connection_date": datetime.now(),
            }
        )
        return backend.id

    def delete_everything(self):
        def delete(env):
            cr = env.cr
            self.delete_accounting(cr)
            cr.execute(
                "SELECT id, partner_id FROM sale_order WHERE hotmart_backend_id = %s",
                [self.backend_id],
            )
            rows = cr.fetchall()
            order_ids = [row[0] for row in rows] or [0]
            partner_ids = list({row[1] for row in rows}) or [0]
            cr.execute(
                "DELETE FROM mail_message WHERE model = 'sale.order' AND res_id = ANY(%s)",
                [order_ids],
            )
            cr.execute(
                "DELETE FROM mail_followers WHERE res_model = 'sale.order' AND res_id = ANY(%s)",
                [order_ids],
            )
            cr.execute("DELETE FROM sale_order_line WHERE order_id = ANY(%s)", [order_ids])
            cr.execute("DELETE FROM sale_order WHERE id = ANY(%s)", [order_ids])
            cr.execute("DELETE FROM hotmart_webhook_event WHERE backend_id = %s", [self.backend_id])
            cr.execute("DELETE FROM hotmart_sale WHERE backend_id = %s", [self.backend_id])
            cr.execute("DELETE FROM hotmart_backend WHERE id = %s", [self.backend_id])
            cr.execute(
                "DELETE FROM mail_followers WHERE res_model = 'res.partner' AND res_id = ANY(%s)",
                [partner_ids],
            )
            cr.execute(
                "DELETE FROM res_partner WHERE id = ANY(%s) OR (id > %s AND ("
                "hotmart_buyer_ucode LIKE 'sandbox-%%' OR hotmart_buyer_email IS NOT NULL))",
                [partner_ids, self.last_partner_id],
            )
            cr.execute(
                "DELETE FROM product_template "
                "WHERE hotmart_product_id IS NOT NULL AND id != ALL(%s)",
                [self.templates_before or [0]],
            )
            env.invalidate_all()

        self.run_in_cursor(delete)

    def delete_accounting(self, cr):
        """The invoices, settlements and their reconciliations this test committed."""
        cr.execute(
            "SELECT id FROM account_move WHERE hotmart_sale_id IN "
            "(SELECT id FROM hotmart_sale WHERE backend_id = %s)",
            [self.backend_id],
        )
        move_ids = [row[0] for row in cr.fetchall()] or [0]
        cr.execute("SELECT id FROM account_move_line WHERE move_id = ANY(%s)", [move_ids])
        line_ids = [row[0] for row in cr.fetchall()] or [0]
        cr.execute(
            "DELETE FROM account_partial_reconcile "
            "WHERE debit_move_id = ANY(%s) OR credit_move_id = ANY(%s)",
            [line_ids, line_ids],
        )
        cr.execute(
            "UPDATE hotmart_sale SET invoice_id = NULL, payment_id = NULL, credit_note_id = NULL, "
            "refund_payment_id = NULL WHERE backend_id = %s",
            [self.backend_id],
        )
        cr.execute(
            "UPDATE account_move SET origin_payment_id = NULL WHERE id = ANY(%s)", [move_ids]
        )
        cr.execute("DELETE FROM account_payment WHERE move_id = ANY(%s)", [move_ids])
        cr.execute("DELETE FROM account_move_line WHERE move_id = ANY(%s)", [move_ids])
        cr.execute(
            "DELETE FROM mail_message WHERE model = 'account.move' AND res_id = ANY(%s)",
            [move_ids],
        )
        cr.execute("DELETE FROM account_move WHERE id = ANY(%s)", [move_ids])

    def scheduled_run(self, env):
        backend = env["hotmart.backend"].browse(self.backend_id)
        with committing_run(force=True):
            env["hotmart.run"]._isolated(backend, "_receive_new_sales", origin="a concurrent run")

    def webhook_delivery(self, env, sale):
        backend = env["hotmart.backend"].browse(self.backend_id)
        Event = env["hotmart.webhook.event"]
        event, _new = Event._store_delivery(backend, json.dumps(webhook_event(sale)).encode())
        env.cr.commit()
        event._process_now()

    def in_threads(self, *jobs):
        failures = []
        start = threading.Barrier(len(jobs))

        def work(job):
            try:
                start.wait(timeout=60)
                self.run_in_cursor(job)
            except Exception as error:  # noqa: BLE001 (reported below)
                failures.append(error)

        threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        return failures

    def orders_per_sale(self):
        def count(env):
            env.cr.execute(
                "SELECT hotmart_transaction, count(*) FROM sale_order "
                "WHERE hotmart_backend_id = %s GROUP BY hotmart_transaction",
                [self.backend_id],
            )
            return dict(env.cr.fetchall())

        return self.run_in_cursor(count)

    def test_two_runs_and_a_webhook_make_one_order_per_sale(self):
        paid = [
            s for s in self.sandbox.data.sales.values() if s["status"] in ("APPROVED", "COMPLETE")
        ]
        racing_sale = paid[0]
        failures = self.in_threads(
            self.scheduled_run,
            self.scheduled_run,
            lambda env: self.webhook_delivery(env, racing_sale),
        )
        self.assertFalse(failures, "a run raised out of itself")
        # a run that lost a race stopped cleanly; the next scheduled run finishes the work
        self.run_in_cursor(self.scheduled_run)
        self.run_in_cursor(lambda env: env["hotmart.webhook.event"]._cron_process_webhooks())
        counts = self.orders_per_sale()
        self.assertEqual(set(counts), {sale["transaction"] for sale in paid})
        self.assertEqual(set(counts.values()), {1}, "a sale has two orders")

    def test_a_delivery_stored_meanwhile_is_retried_quietly_and_found(self):
        """Hotmart delivers an event twice at once: the second transaction began before the
        first one committed. PostgreSQL refuses its insert (repeatable read), Odoo runs the
        request again, and that finds the event: nothing logged as an error, one event."""
        sale = next(iter(self.sandbox.data.sales.values()))
        body = json.dumps(webhook_event(sale)).encode()
        with self.registry.cursor() as late:
            env = api.Environment(late, SUPERUSER_ID, {})
            backend = env["hotmart.backend"].browse(self.backend_id)
            # this transaction's snapshot is taken before the other delivery commits
            late.execute("SELECT 1 FROM hotmart_backend WHERE id = %s", [backend.id])
            self.run_in_cursor(
                lambda other: other["hotmart.webhook.event"]._store_delivery(
                    other["hotmart.backend"].browse(self.backend_id), body
                )
            )
            with (
                self.assertNoLogs("odoo.sql_db", "ERROR"),
                self.assertRaises(errors.SerializationFailure),
            ):
                env["hotmart.webhook.event"]._store_delivery(backend, body)
            late.rollback()
        event, is_new = self.run_in_cursor(
            lambda env: env["hotmart.webhook.event"]._store_delivery(
                env["hotmart.backend"].browse(self.backend_id), body
            )
        )
        self.assertFalse(is_new)
        self.assertEqual(
            self.run_in_cursor(
                lambda env: env["hotmart.webhook.event"].search_count(
                    [("backend_id", "=", self.backend_id)]
                )
            ),
            1,
        )

    def test_parallel_workers_never_duplicate_customers_or_products(self):
        """Four workers and webhooks receive different sales of the same new buyers and
        products at the same moment: one contact per buyer, one product per Hotmart product,
        one order per sale, and no sale left failed."""

        def store_all(env):
            backend = env["hotmart.backend"].browse(self.backend_id)
            now = datetime.now()
            backend._fetch_sales(now - timedelta(days=61), now, ["APPROVED", "COMPLETE"])

        self.run_in_cursor(store_all)
        sale_ids = self.run_in_cursor(
            lambda env: (
                env["hotmart.sale"].search([("backend_id", "=", self.backend_id)], order="id").ids
            )
        )
        data = self.sandbox.data.sales
        paid = [s for s in data.values() if s["status"] in ("APPROVED", "COMPLETE")]
        self.assertEqual(len(sale_ids), len(paid))
        # the same buyers and products are spread over every worker
        shares = [sale_ids[worker::4] for worker in range(4)]
        webhook_sales = paid[:6]

        def worker(ids):
            def job(env):
                backend = env["hotmart.backend"].browse(self.backend_id)
                for batch in split_every(10, ids):
                    with committing_run(force=True):
                        env["hotmart.run"]._receive_batch(backend, list(batch), "a parallel worker")
                    env.cr.commit()

            return job

        failures = self.in_threads(
            *(worker(ids) for ids in shares),
            *(lambda env, sale=sale: self.webhook_delivery(env, sale) for sale in webhook_sales),
        )
        self.assertFalse(failures, f"a worker raised out of itself: {failures}")
        # webhooks that lost a race wait to be processed again
        self.run_in_cursor(lambda env: env["hotmart.webhook.event"]._cron_process_webhooks())

        def outcome(env):
            cr = env.cr
            cr.execute(
                "SELECT state, count(*) FROM hotmart_sale WHERE backend_id = %s GROUP BY state",
                [self.backend_id],
            )
            states = dict(cr.fetchall())
            cr.execute(
                "SELECT count(*), count(DISTINCT lower(email)) FROM res_partner WHERE id > %s",
                [self.last_partner_id],
            )
            partners = cr.fetchone()
            cr.execute(
                "SELECT count(*), count(DISTINCT hotmart_product_id) FROM product_template "
                "WHERE hotmart_product_id IS NOT NULL AND id != ALL(%s)",
                [self.templates_before or [0]],
            )
            return states, partners, cr.fetchone()

        states, (partner_count, buyer_emails), (product_count, hotmart_products) = (
            self.run_in_cursor(outcome)
        )
        self.assertEqual(states, {"done": len(paid)}, "a sale was left failed or waiting")
        buyers = {s["buyer"]["email"] for s in paid}
        products = {s["product"]["id"] for s in paid}
        self.assertEqual((partner_count, buyer_emails), (len(buyers), len(buyers)))
        self.assertEqual((product_count, hotmart_products), (len(products), len(products)))
        self.assertEqual(set(self.orders_per_sale().values()), {1}, "a sale has two orders")
        events = self.run_in_cursor(
            lambda env: (
                env["hotmart.webhook.event"]
                .search([("backend_id", "=", self.backend_id)])
                .mapped("state")
            )
        )
        self.assertEqual(set(events), {"done"}, "a webhook that lost a race was left failed")

    def test_parallel_invoicing_books_each_sale_once(self):
        """Three scheduled runs invoice and settle the same sales at the same moment: one
        invoice and one settlement per sale, and the Hotmart balance is the sum of nets."""
        self.run_in_cursor(self.scheduled_run)

        def turn_invoicing_on(env):
            backend = env["hotmart.backend"].browse(self.backend_id)
            # what /sales/commissions would say, in reais: 10% to Hotmart, the rest to the
            # producer
            env.cr.execute(
                "UPDATE hotmart_sale SET fee_amount = round(COALESCE(amount_company, amount) "
                "* 0.1, 2), commission_amount = 0, net_amount = COALESCE(amount_company, "
                "amount) - round(COALESCE(amount_company, amount) * 0.1, 2), "
                "payout_currency_id = %s WHERE backend_id = %s",
                [env.company.currency_id.id, self.backend_id],
            )
            # what storing the shares through the ORM would have computed
            env.cr.execute(
                "UPDATE hotmart_sale SET gross_amount = fee_amount + commission_amount "
                "+ net_amount WHERE backend_id = %s",
                [self.backend_id],
            )
            expense = env["account.account"].create(
                {"name": "Race costs", "code": "HMR610", "account_type": "expense"}
            )
            backend.action_create_payment_journal()
            backend.write(
                {
                    "invoice_policy": "paid",
                    "invoice_since": "2000-01-01 00:00:00",  # the past sales too
                    "fee_account_id": expense.id,
                    "commission_account_id": expense.id,
                }
            )
            self.cleanup_money = (backend.payment_journal_id.id, expense.id)

        self.run_in_cursor(turn_invoicing_on)
        self.addCleanup(self.delete_money_settings)

        def invoicing_run(env):
            env["hotmart.backend"]._cron_invoice_sales()

        failures = self.in_threads(invoicing_run, invoicing_run, invoicing_run)
        self.assertFalse(failures, f"a run raised out of itself: {failures}")
        self.run_in_cursor(invoicing_run)  # what a clash left goes in the next run

        def outcome(env):
            sales = env["hotmart.sale"].search(
                [("backend_id", "=", self.backend_id), ("sale_order_id", "!=", False)]
            )
            env.cr.execute(
                "SELECT hotmart_move_kind, count(*), count(DISTINCT hotmart_sale_id) "
                "FROM account_move WHERE hotmart_sale_id = ANY(%s) GROUP BY 1",
                [sales.ids],
            )
            kinds = {kind: (total, distinct) for kind, total, distinct in env.cr.fetchall()}
            journal = env["account.journal"].browse(self.cleanup_money[0])
            lines = env["account.move.line"].search(
                [
                    ("account_id", "=", journal.default_account_id.id),
                    ("parent_state", "=", "posted"),
                ]
            )
            return (
                len(sales),
                set(sales.mapped("invoice_state")),
                kinds,
                round(sum(lines.mapped("balance")), 2),
                round(sum(sales.mapped("net_amount")), 2),
                set(sales.invoice_id.mapped("payment_state")),
            )

        count, states, kinds, balance, nets, payment_states = self.run_in_cursor(outcome)
        errors = self.run_in_cursor(
            lambda env: (
                env["hotmart.sale"]
                .search([("backend_id", "=", self.backend_id), ("invoice_state", "=", "failed")])
                .mapped("invoice_error")[:3]
            )
        )
        self.assertEqual(states, {"invoiced"}, errors)
        self.assertEqual(kinds, {"invoice": (count, count), "settlement": (count, count)})
        self.assertEqual(balance, nets)
        self.assertEqual(payment_states, {"paid"})

    def delete_money_settings(self):
        journal_id, account_id = self.cleanup_money

        def delete(env):
            cr = env.cr
            self.delete_accounting(cr)
            cr.execute(
                "UPDATE hotmart_backend SET payment_journal_id = NULL, fee_account_id = NULL, "
                "commission_account_id = NULL, invoice_policy = 'none' WHERE id = %s",
                [self.backend_id],
            )
            cr.execute("SELECT default_account_id FROM account_journal WHERE id = %s", [journal_id])
            default_account = cr.fetchone()[0]
            cr.execute(
                "DELETE FROM account_payment_method_line WHERE journal_id = %s", [journal_id]
            )
            cr.execute("DELETE FROM account_journal WHERE id = %s", [journal_id])
            cr.execute(
                "DELETE FROM account_account WHERE id = ANY(%s)", [[account_id, default_account]]
            )

        self.run_in_cursor(delete)
