import json
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import requests
import responses
from requests.adapters import HTTPAdapter

from odoo.tests import TransactionCase, new_test_user
from odoo.tools.misc import file_path

# Captured before Odoo's test classes patch Session.send to block external requests.
_REAL_SESSION_SEND = requests.Session.send
_REAL_ADAPTER_SEND = HTTPAdapter.send
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
TOKEN_URL = "https://api-sec-vlc.hotmart.com/security/oauth/token"
SALES_URL = "https://sandbox.hotmart.com/payments/api/v1/sales/"


def sell_in_reais(env):
    """Make the company's currency the Brazilian real, as a Brazilian producer's is."""
    brl = env.ref("base.BRL")
    brl.active = True
    env.company.currency_id = brl


def stored_document(env, formatted):
    """A CPF or CNPJ as a contact keeps it: formatted, or in digits only where OCA's
    Brazilian localization (l10n_br_base) stores it so."""
    if env["ir.module.module"]._get("l10n_br_base").state == "installed":
        return "".join(c for c in formatted if c.isdigit())
    return formatted


def district_of(partner):
    """A Brazilian contact's district: OCA's localization has a field of its own for it."""
    return partner["district"] if "district" in partner._fields else partner.street2


def load_fixture(name):
    """A Hotmart payload from tests/fixtures (copied from Hotmart's real shapes)."""
    with open(file_path(f"hotmart_connector/tests/fixtures/{name}"), encoding="utf-8") as file:
        return json.load(file)


class FakeHttpMixin:
    """Let requests reach `responses` (when it is active) or a loopback server.

    Odoo's test guard blocks every non-local request, and breaks on (connect, read) timeout
    tuples; anything else still goes through it and stays blocked.
    """

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        faked = HTTPAdapter.send is not _REAL_ADAPTER_SEND
        if faked or urlsplit(request.url).hostname in LOOPBACK_HOSTS:
            return _REAL_SESSION_SEND(session, request, **kwargs)
        return super()._request_handler(session, request, **kwargs)


class FakeHotmartMixin(FakeHttpMixin):
    """Hotmart faked with `responses` for each test: ``self.http`` takes the answers."""

    def setUp(self):
        super().setUp()
        self.http = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.http.start()
        self.addCleanup(self.http.stop)
        self.addCleanup(self.http.reset)


class HotmartCase(FakeHttpMixin, TransactionCase):
    """An account with complete credentials, ready for every test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls._prepare_company()
        cls.backend = cls.env["hotmart.backend"].create(cls._backend_values())

    @classmethod
    def _prepare_company(cls):
        """Before the account is made: a subclass may switch ``cls.env`` to another
        company (the fiscal bridge's tests, to a Brazilian producer's)."""

    @classmethod
    def _backend_values(cls, **overrides):
        values = {
            "name": "Escola Teste",
            "environment": "sandbox",
            "client_id": "client-id-123",
            "client_secret": "s3cr3t-client-secret",
            "basic_token": "Basic Y2xpZW50LWlkLTEyMzpzM2NyM3QtY2xpZW50LXNlY3JldA==",
            "hottok": "hottok-abc",
        }
        values.update(overrides)
        return values


class HotmartReceiveCase(FakeHotmartMixin, HotmartCase):
    """A connected account in a BRL company, Hotmart faked with `responses` and fixtures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sell_in_reais(cls.env)
        cls.mxn = cls.env.ref("base.MXN")
        cls.mxn.active = True
        cls.env["res.currency.rate"].create(
            {
                "currency_id": cls.mxn.id,
                "name": "2026-01-01",
                "rate": 3.4,
                "company_id": cls.env.company.id,
            }
        )
        cls.team = cls.env["crm.team"].create({"name": "Hotmart"})
        cls.salesman = new_test_user(
            cls.env, login="hotmart_seller", groups="sales_team.group_sale_salesman"
        )
        cls.fiscal_position = cls.env["account.fiscal.position"].create({"name": "Venda Digital"})
        cls.product = cls.env["product.template"].create(
            {
                "name": "Fotografia (Odoo)",
                "type": "service",
                "hotmart_product_id": "1234567",
                "taxes_id": False,
            }
        )
        cls.backend.write(
            {
                "last_connection_date": "2026-11-01 00:00:00",
                "import_since": "2026-01-01 00:00:00",
                "usd_rate": 5.0,
                "eur_rate": 6.0,
                "team_id": cls.team.id,
                "user_id": cls.salesman.id,
                "fiscal_position_id": cls.fiscal_position.id,
            }
        )
        cls.Sale = cls.env["hotmart.sale"]
        cls.window = (datetime(2026, 10, 1), datetime(2026, 11, 27))

    def setUp(self):
        super().setUp()
        self.http.add(responses.POST, TOKEN_URL, json=load_fixture("oauth_token.json"))

    def fake_hotmart(self, history=None, users=None):
        """Answer /sales/history and /sales/users by status, following page tokens."""
        if history is None:
            history = {
                "APPROVED": [
                    load_fixture("sales_history_page1.json"),
                    load_fixture("sales_history_page2.json"),
                ],
                "REFUNDED": [load_fixture("sales_history_refunded.json")],
                "PRINTED_BILLET": [load_fixture("sales_history_printed_billet.json")],
            }
        if users is None:
            users = {"APPROVED": [load_fixture("sales_users.json")]}

        def answer(pages_by_status):
            def callback(request):
                query = parse_qs(urlsplit(request.url).query)
                pages = pages_by_status.get(query.get("transaction_status", [""])[0]) or [
                    {"items": [], "page_info": {"total_results": 0}}
                ]
                page = pages[1] if "page_token" in query and len(pages) > 1 else pages[0]
                return (200, {}, json.dumps(page))

            return callback

        self.http.add_callback(responses.GET, SALES_URL + "history", callback=answer(history))
        self.http.add_callback(responses.GET, SALES_URL + "users", callback=answer(users))

    def calls_to(self, url):
        return len([c for c in self.http.calls if c.request.url.split("?")[0] == url])

    def sale(self, transaction):
        return self.Sale.search(
            [("backend_id", "=", self.backend.id), ("transaction", "=", transaction)]
        )
