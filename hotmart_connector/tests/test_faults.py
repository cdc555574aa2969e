"""Under injected API faults the scheduled runs converge: every paid sale received once."""

from datetime import datetime, timedelta

from odoo.tests import tagged

from ..models.guard import tuned_client
from .common import HotmartCase, sell_in_reais
from .standin import Faults, HotmartStandIn, StandInData

FAULTS = {"429": 0.08, "500": 0.08, "503": 0.05, "timeout": 0.05, "broken_json": 0.06, "drop": 0.05}
IMPORTED = {"APPROVED", "COMPLETE", "PROTESTED", "PARTIALLY_REFUNDED"}


@tagged("post_install", "-at_install")
class TestFaultsConverge(HotmartCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        data = StandInData(sales=260, seed=21, currencies={"BRL": 1})
        cls.sandbox = HotmartStandIn(data=data, faults=Faults(FAULTS, seed=8, slow_seconds=0.6))
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)
        # pages of 50 make many calls, so that every kind of fault is met
        cls.enterClassContext(
            tuned_client(sleep=lambda _seconds: None, backoff=0, timeout=(2, 0.3), page_size=50)
        )
        sell_in_reais(cls.env)
        cls.backend = cls.backend.with_env(cls.env)
        cls.backend.write(
            {
                **cls.sandbox.account_values(),
                "import_since": datetime.now() - timedelta(days=61),
                "last_connection_date": datetime.now(),
            }
        )

    def test_repeated_runs_converge_to_one_order_per_paid_sale(self):
        expected = {t for t, sale in self.sandbox.data.sales.items() if sale["status"] in IMPORTED}
        Backend = self.env["hotmart.backend"]
        runs, errors_seen = 0, set()
        while runs < 25:
            runs += 1
            Backend._cron_receive_orders()  # must never raise
            errors_seen.add(bool(self.backend.last_error))
            orders = self.env["sale.order"].search([("hotmart_backend_id", "=", self.backend.id)])
            if (
                self.backend.last_receive_date
                and set(orders.mapped("hotmart_transaction")) == expected
            ):
                break
        self.assertIn(True, errors_seen, "no run was interrupted: the test proves nothing")
        self.assertTrue(self.backend.last_receive_date, "the window was never read whole")
        orders = self.env["sale.order"].search([("hotmart_backend_id", "=", self.backend.id)])
        self.assertEqual(sorted(orders.mapped("hotmart_transaction")), sorted(expected))
        self.assertEqual(len(orders), len(expected), "a sale was received twice")
        sales = self.env["hotmart.sale"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(sales), len(set(sales.mapped("transaction"))))
        self.assertEqual(set(self.sandbox.faults.injected), set(FAULTS), "every kind of fault met")
