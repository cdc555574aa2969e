"""Two scheduled runs at once, and a webhook racing them: one order per sale.

These tests need real transactions in parallel, so they commit in the test database through
their own cursors, and delete what they made when they end.
"""

import json
import threading
from datetime import datetime, timedelta

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

from ..hotmart.sandbox import HotmartSandbox, SandboxData, webhook_event
from .common import FakeHttpMixin


@tagged("post_install", "-at_install")
class TestConcurrentRuns(FakeHttpMixin, BaseCase):
    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        currency = self.run_in_cursor(lambda env: env.company.currency_id.name)
        data = SandboxData(
            sales=150, seed=31, statuses={"APPROVED": 3, "COMPLETE": 1}, currencies={currency: 1}
        )
        self.sandbox = HotmartSandbox(data=data).start()
        self.addCleanup(self.sandbox.stop)
        self.templates_before = self.run_in_cursor(
            lambda env: env["product.template"].with_context(active_test=False).search([]).ids
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
                "DELETE FROM res_partner "
                "WHERE id = ANY(%s) AND hotmart_buyer_ucode LIKE 'sandbox-%%'",
                [partner_ids],
            )
            cr.execute(
                "DELETE FROM product_template "
                "WHERE hotmart_product_id IS NOT NULL AND id != ALL(%s)",
                [self.templates_before or [0]],
            )
            env.invalidate_all()

        self.run_in_cursor(delete)

    def scheduled_run(self, env):
        backend = env["hotmart.backend"].browse(self.backend_id)
        backend.with_context(hotmart_commit=True)._run_isolated(
            "_receive_new_sales", origin="a concurrent run"
        )

    def webhook_delivery(self, env, sale):
        backend = env["hotmart.backend"].browse(self.backend_id)
        Event = env["hotmart.webhook.event"]
        event, _new = Event._store_delivery(backend, json.dumps(webhook_event(sale)).encode())
        env.cr.commit()
        event._process_isolated()

    def in_threads(self, *jobs):
        failures = []

        def work(job):
            try:
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
