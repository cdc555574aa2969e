"""The main path in a real browser (Chromium, headless), against the local sandbox."""

from odoo.tests import HttpCase, tagged

from .common import FakeHttpMixin, sell_in_reais
from .standin import HotmartStandIn, StandInData


@tagged("post_install", "-at_install")
class TestMainPathTour(FakeHttpMixin, HttpCase):
    def test_account_fetch_receive_and_order(self):
        sell_in_reais(self.env)
        data = StandInData(sales=24, seed=5, days=5, currencies={"BRL": 1})
        sandbox = HotmartStandIn(data=data).start()
        self.addCleanup(sandbox.stop)
        backend = self.env["hotmart.backend"].create(
            {
                "name": "Tour School",
                **sandbox.account_values(),
                "hottok": "sandbox-hottok",
                "import_since": "2020-01-01 00:00:00",
            }
        )
        self.start_tour(
            "/odoo/action-hotmart_connector.hotmart_overview_action",
            "hotmart_main_path",
            login="admin",
            timeout=180,
        )
        self.assertEqual(backend.state, "active")
        paid = {t for t, sale in data.sales.items() if sale["status"] in ("APPROVED", "COMPLETE")}
        sales = self.env["hotmart.sale"].search([("backend_id", "=", backend.id)])
        received = sales.filtered("sale_order_id")
        self.assertTrue(paid)
        self.assertEqual(set(received.mapped("transaction")), paid)  # the paid ones, all of them
        self.assertEqual(len(received.sale_order_id), len(paid))
