"""The main path in a real browser (Chromium, headless), against the local sandbox."""

from datetime import datetime, timedelta

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


@tagged("post_install", "-at_install")
class TestScreensTour(FakeHttpMixin, HttpCase):
    """The everyday screens in a real browser, in English and in Portuguese: figures in each
    sale's own currency and named for what they count, labels instead of codes, words that
    say what happened (issue: screens a producer trusts at a glance)."""

    def prepare(self, lang):
        """The account and its sales, received by runs that write in ``lang``: the
        company's contact speaks it, as the admin who walks the screens does."""
        if lang != "en_US":
            self.env["res.lang"]._activate_lang(lang)
            self.env.ref("base.module_hotmart_connector")._update_translations([lang])
        self.env.ref("base.user_admin").lang = lang
        self.env.company.partner_id.lang = lang
        sell_in_reais(self.env)
        self.env.company.name = "Escola Screens"
        cop = self.env.ref("base.COP")
        cop.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": cop.id, "name": "2020-01-01", "rate": 780.0}
        )
        data = StandInData(sales=20, seed=5, days=5, currencies={"BRL": 1})
        camila = self.buyer(data, "Camila Restrepo", "camila")
        bruna = self.buyer(data, "Bruna Boleto", "bruna", cpf="88526114956")
        rita = self.buyer(data, "Rita Arredonda", "rita", cpf="52998224725")
        data.add_sale(status="APPROVED", currency="COP", price=153660.0, buyer=camila)
        boleto = data.add_sale(status="PRINTED_BILLET", currency="EUR", price=84.49, buyer=bruna)
        # a 15% tax on top of a price of 6.40 cannot reach it to the cent: a rounding line
        tax = self.env["account.tax"].create(
            {"name": "ICMS 15%", "amount": 15, "amount_type": "percent"}
        )
        self.env["product.template"].create(
            {"name": "E-book Arredondado", "hotmart_product_id": "990001", "taxes_id": tax.ids}
        )
        data.add_sale(
            status="APPROVED",
            currency="BRL",
            price=6.40,
            buyer=rita,
            product={"id": 990001, "name": "E-book Arredondado"},
            is_subscription=False,
        )
        sandbox = HotmartStandIn(data=data).start()
        self.addCleanup(sandbox.stop)
        self.backend = self.env["hotmart.backend"].create(
            {
                "name": "Screens School",
                **sandbox.account_values(),
                "hottok": "sandbox-hottok",
                "import_since": "2020-01-01 00:00:00",
                "usd_rate": 0.0,  # unset: Odoo's rates (no sale here is in dollars)
                "eur_rate": 6.0,
            }
        )
        self.backend.action_test_connection()
        Backend = self.env["hotmart.backend"]
        Backend._cron_receive_orders()
        Backend._cron_sync_subscriptions()
        self.backend._fetch_sales(
            datetime.now() - timedelta(days=6), datetime.now(), ["PRINTED_BILLET"]
        )
        unpaid = self.env["hotmart.sale"].search([("transaction", "=", boleto["transaction"])])
        unpaid.with_context(lang=lang)._receive_confirmed()  # by hand: a quotation
        self.assertTrue(unpaid.sale_order_id)

    @staticmethod
    def buyer(data, name, code, cpf=None):
        """A buyer of the stand-in of her own (a CPF, or none), named for the tour to find."""
        buyer = dict(data._buyer(), name=name, ucode=f"screens-{code}")
        buyer["email"] = f"{code}@example.com"
        buyer["documents"] = [{"type": "CPF", "value": cpf}] if cpf else []
        return buyer

    def walk(self, tour):
        self.start_tour(
            "/odoo/action-hotmart_connector.hotmart_overview_action",
            tour,
            login="admin",
            timeout=240,
        )

    def test_screens_in_english(self):
        self.prepare("en_US")
        self.walk("hotmart_screens_en")

    def test_screens_in_portuguese(self):
        self.prepare("pt_BR")
        self.walk("hotmart_screens_pt")
