from datetime import datetime
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import responses
from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import HotmartReceiveCase, district_of, load_fixture, stored_document

API = "https://sandbox.hotmart.com"
HISTORY_URL = API + "/payments/api/v1/sales/history"
USERS_URL = API + "/payments/api/v1/sales/users"
PRODUCTS_URL = API + "/products/api/v1/products"


def status_of(request):
    return parse_qs(urlsplit(request.url).query).get("transaction_status", [None])[0]


@tagged("post_install", "-at_install")
class TestFetchSales(HotmartReceiveCase):
    def test_fetch_stores_each_transaction_once_with_its_buyer(self):
        self.fake_hotmart()
        sales = self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        self.assertEqual(len(sales), 5)
        self.assertEqual(
            self.Sale.search_count([("backend_id", "=", self.backend.id)]), 5, "no duplicate"
        )
        ana = self.sale("HP1001000000001")
        self.assertEqual(ana.status, "APPROVED")
        self.assertEqual(ana.amount, 497.0)
        self.assertEqual(ana.currency_id, self.env.ref("base.BRL"))
        self.assertEqual(ana.buyer_document, "52998224725")
        self.assertEqual(ana.state, "pending")
        self.assertEqual(ana.order_date, datetime(2026, 11, 2, 13, 5))
        # pages only: two history pages and one users page, whatever the number of sales
        self.assertEqual(self.calls_to(HISTORY_URL), 2)
        self.assertEqual(self.calls_to(USERS_URL), 1)

    def test_fetching_again_updates_and_duplicates_nothing(self):
        self.fake_hotmart()
        self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        self.assertEqual(self.Sale.search_count([("backend_id", "=", self.backend.id)]), 5)

    def test_reading_unchanged_sales_again_writes_nothing(self):
        self.fake_hotmart()
        self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        real_write = type(self.Sale).write
        writes = []

        def counting_write(records, values):
            writes.append((records.mapped("transaction"), sorted(values)))
            return real_write(records, values)

        with patch.object(type(self.Sale), "write", counting_write):
            self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        self.assertEqual(writes, [])

    def test_each_status_of_the_mapping_is_asked(self):
        self.fake_hotmart(history={}, users={})
        self.backend._fetch_sales(*self.window)
        asked = [
            status_of(c.request) for c in self.http.calls if c.request.url.startswith(HISTORY_URL)
        ]
        self.assertEqual(
            sorted(asked), sorted(self.backend.status_mapping_ids.mapped("hotmart_status"))
        )

    def test_unreadable_sale_is_stored_failed_and_the_page_goes_on(self):
        page = load_fixture("sales_history_page1.json")
        page["items"][1]["purchase"]["price"] = {"value": "lots", "currency_code": "BRL"}
        page["page_info"].pop("next_page_token")
        self.fake_hotmart(history={"APPROVED": [page]})
        self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        broken = self.sale("HP1001000000002")
        self.assertEqual(broken.state, "failed")
        self.assertIn("not an amount", broken.error)
        self.assertEqual(broken.payload["history"]["purchase"]["transaction"], "HP1001000000002")
        self.assertEqual(self.sale("HP1001000000001").state, "pending")

    def test_fetch_wizard_opens_the_fetched_sales(self):
        self.fake_hotmart()
        approved = self.backend.status_mapping_ids.filtered(
            lambda m: m.hotmart_status == "APPROVED"
        )
        wizard = self.env["hotmart.sale.fetch"].create(
            {
                "backend_id": self.backend.id,
                "date_from": self.window[0],
                "date_to": self.window[1],
                "status_mapping_ids": [(6, 0, approved.ids)],
            }
        )
        step = wizard.action_fetch()
        self.assertEqual((step["res_model"], step["res_id"]), ("hotmart.sale.fetch", wizard.id))
        self.assertEqual(wizard.summary, "5 fetched (5 new, 0 updated).")
        self.assertEqual(wizard.paid_to_receive_count, 5)
        action = wizard.action_open_sales()
        self.assertEqual(action["res_model"], "hotmart.sale")
        # the breadcrumb reads the display name: it names the account and the period
        self.assertEqual(action["display_name"], action["name"])
        self.assertIn(f"{self.backend.name}: ", action["display_name"])
        context = action["context"]
        self.assertEqual(context["search_default_backend_id"], self.backend.id)
        self.assertTrue(context["search_default_fetched_period"])  # a facet the person sees
        period = [
            ("order_date", ">=", context["hotmart_fetch_from"]),
            ("order_date", "<=", context["hotmart_fetch_to"]),
            ("backend_id", "=", self.backend.id),
        ]
        self.assertEqual(len(self.Sale.search(period)), 5)
        again = wizard.create(
            {"backend_id": self.backend.id, "date_from": self.window[0], "date_to": self.window[1]}
        )
        again.action_fetch()  # every status now: the approved ones are known already
        self.assertEqual(again.new_count, len(again.sale_ids - wizard.sale_ids))
        self.assertGreater(len(again.sale_ids), again.new_count)
        wizard.action_receive_paid()
        self.assertEqual(wizard.paid_to_receive_count, 0)
        self.assertEqual(len(wizard.sale_ids.sale_order_id), 5)


@tagged("post_install", "-at_install")
class TestReceiveOrders(HotmartReceiveCase):
    def setUp(self):
        super().setUp()
        self.fake_hotmart()
        # a person receiving sales the mapping does not import has confirmed it
        self.sales = self.backend._fetch_sales(
            *self.window, statuses=["APPROVED", "REFUNDED", "PRINTED_BILLET"]
        )

    def test_sales_not_imported_are_received_after_a_confirmation_that_says_why(self):
        unusual = self.sales.filtered(lambda s: s.state == "not_imported")
        self.assertEqual(set(unusual.mapped("status")), {"REFUNDED", "PRINTED_BILLET"})
        asked = self.sales.action_receive()
        self.assertEqual(asked["res_model"], "hotmart.sale.receive.confirm")
        self.assertFalse(self.sales.sale_order_id)  # nothing received before the answer
        wizard = self.env["hotmart.sale.receive.confirm"].browse(asked["res_id"])
        self.assertIn("Refunded: 1 cancelled order.", wizard.summary)
        self.assertIn("Boleto/PIX issued: 1 quotation.", wizard.summary)
        self.assertIn("5 other selected sales are received as usual.", wizard.summary)
        result = wizard.action_confirm()
        message = result["params"]["message"]
        self.assertIn("7 sales received: ", message)
        self.assertIn("1 cancelled order", message)
        self.assertIn("1 quotation", message)
        self.assertEqual(set(self.sales.mapped("state")), {"done"})

    def test_each_sale_becomes_one_order_with_the_right_total(self):
        result = self.sales._receive_confirmed()
        self.assertEqual(result["params"]["type"], "success")
        totals = {sale.transaction: sale.sale_order_id.amount_total for sale in self.sales}
        self.assertEqual(
            totals,
            {
                "HP1001000000001": 497.0,  # BRL
                "HP1001000000002": 1997.0,  # BRL
                "HP1001000000003": 485.0,  # 97 USD at the account's 5.00
                "HP1001000000004": 539.4,  # 89.90 EUR at the account's 6.00
                "HP1001000000005": 29.9,  # BRL
                "HP1001000000006": 544.12,  # 1850 MXN at Odoo's rate of 3.4 MXN per BRL
                "HP1001000000007": 1997.0,  # BRL
            },
        )
        self.assertEqual(set(self.sales.mapped("state")), {"done"})

    def test_no_quotation_template_mails_the_buyer(self):
        """The Sales app's default quotation template would e-mail its message to the buyer
        on confirmation: Hotmart's orders take none."""
        template = self.env["sale.order.template"].create(
            {
                "name": "Our default offer",
                "mail_template_id": self.env.ref("sale.mail_template_sale_confirmation").id,
            }
        )
        self.env.company.sale_order_template_id = template
        mails_before = self.env["mail.mail"].search_count([])
        self.sales._receive_confirmed()
        orders = self.sales.sale_order_id
        self.assertFalse(orders.sale_order_template_id)
        self.assertIn("sale", orders.mapped("state"))
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)

    def test_order_carries_hotmart_and_account_settings(self):
        self.sales._receive_confirmed()
        sale = self.sale("HP1001000000003")
        order = sale.sale_order_id
        self.assertEqual(order.hotmart_sale_id, sale)
        self.assertEqual(order.hotmart_transaction, "HP1001000000003")
        self.assertEqual(order.hotmart_status, "APPROVED")
        self.assertEqual(order.hotmart_backend_id, self.backend)
        self.assertEqual((order.hotmart_amount, order.hotmart_currency_id.name), (97.0, "USD"))
        self.assertEqual(order.team_id, self.team)
        self.assertEqual(order.user_id, self.salesman)
        self.assertEqual(order.fiscal_position_id, self.fiscal_position)
        self.assertEqual(order.client_order_ref, "HP1001000000003")
        self.assertEqual(order.currency_id, self.env.ref("base.BRL"))
        # confirmed, yet dated when the buyer ordered on Hotmart
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.date_order, sale.order_date)
        self.assertEqual(len(order.order_line), 1)
        self.assertEqual(order.order_line.product_id.hotmart_product_id, "1234567")
        self.assertIn("Received from Hotmart", order.message_ids[0].body)

    def test_orders_are_numbered_as_odoo_numbers_them(self):
        """The connector draws a batch's numbers itself, the sequence looked up once: the
        numbers are the ones Odoo's create gives, the company's sequence first, each order
        in the date range of the day it was ordered, in the user's time zone."""
        self.env["ir.sequence"].create(
            {
                "name": "Hotmart company's orders",
                "code": "sale.order",
                "prefix": "HM/%(range_year)s/",
                "padding": 4,
                "use_date_range": True,
                "company_id": self.env.company.id,
            }
        )
        Order = self.env["sale.order"].with_context(tz="Asia/Tokyo")
        customer = self.env["res.partner"].create({"name": "Buyer"})
        days = [datetime(2026, 12, 31, 23, 30), datetime(2026, 6, 1, 12, 0)]  # Tokyo: 2027, 2026
        by_odoo = Order.create([{"partner_id": customer.id, "date_order": day} for day in days])
        values = [{"partner_id": customer.id, "date_order": day} for day in days]
        Sequence = type(self.env["ir.sequence"])
        with patch.object(Sequence, "next_by_code", side_effect=AssertionError("per order")):
            Order._hotmart_name_orders(values)
            by_connector = Order.create(values)
        self.assertEqual(by_odoo.mapped("name"), ["HM/2027/0001", "HM/2026/0001"])
        self.assertEqual(by_connector.mapped("name"), ["HM/2027/0002", "HM/2026/0002"])
        # received orders too, and a later order by hand takes the next number
        with patch.object(Sequence, "next_by_code", side_effect=AssertionError("per order")):
            self.sales._receive_confirmed()
        names = self.sales.sale_order_id.mapped("name")
        self.assertEqual(len(set(names)), 7)
        self.assertTrue(all(name.startswith("HM/") for name in names), names)
        later = Order.create({"partner_id": customer.id, "date_order": datetime(2026, 6, 2)})
        self.assertEqual(later.name, "HM/2026/0010")

    def test_a_sequence_odoo_refuses_fails_the_sales_not_the_run(self):
        self.env["ir.sequence"].create(
            {
                "name": "Broken",
                "code": "sale.order",
                "prefix": "SO/%(year)d/",  # a number format for text: Odoo refuses it
                "company_id": self.env.company.id,
            }
        )
        with mute_logger("odoo.addons.hotmart_connector.models.bulk"):
            result = self.sales._receive_confirmed()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertFalse(self.sales.sale_order_id)
        self.assertEqual(set(self.sales.mapped("state")), {"failed"})
        self.assertIn("Invalid prefix or suffix", self.sales[0].error)

    def test_batch_shortcuts_can_be_switched_off(self):
        """With another addon naming orders or subscribing followers its own way, the
        connector lets Odoo do both order by order."""
        self.env["ir.config_parameter"].set_param("hotmart_connector.batch_shortcuts", "0")
        Sequence = type(self.env["ir.sequence"])
        Order = type(self.env["sale.order"])
        with (
            patch.object(Sequence, "next_by_code", autospec=True, return_value="ODOO") as naming,
            patch.object(
                Order, "message_subscribe", autospec=True, return_value=True
            ) as subscribing,
        ):
            self.sales._receive_confirmed()
        self.assertEqual(set(self.sales.sale_order_id.mapped("name")), {"ODOO"})
        self.assertEqual(naming.call_count, 7)
        self.assertEqual(subscribing.call_count, 5)  # the confirmed ones, each alone

    def test_customers_follow_their_orders_as_confirming_in_odoo_makes_them(self):
        """The connector subscribes a batch's customers at once; the followers are the ones
        Odoo's own confirmation makes, subtypes included, and Odoo subscribes nobody more."""
        Partner = self.env["res.partner"]
        customer = Partner.create({"name": "Buyer", "email": "buyer@example.com"})
        employee = new_test_user(self.env, login="hm_employee", groups="base.group_user")
        partners = [
            customer,
            customer,  # two orders of one customer in the batch
            employee.partner_id,
            Partner.create({"name": "Gone", "active": False}),
            self.env.user.partner_id,  # the user's own contact (archived OdooBot here)
        ]
        note = self.env.ref("mail.mt_note")

        def confirmed_orders(confirm):
            orders = self.env["sale.order"].create([{"partner_id": p.id} for p in partners])
            # a customer who already follows with their own choice of subtypes keeps it
            orders[1].message_subscribe([customer.id], subtype_ids=note.ids)
            confirm(orders)
            self.assertEqual(set(orders.mapped("state")), {"sale"})
            return [
                {(f.partner_id, frozenset(f.subtype_ids.ids)) for f in order.message_follower_ids}
                for order in orders
            ]

        by_odoo = confirmed_orders(lambda orders: orders.action_confirm())
        SaleOrder = type(self.env["sale.order"])
        with patch.object(
            SaleOrder, "message_subscribe", autospec=True, side_effect=SaleOrder.message_subscribe
        ) as subscribing:
            by_connector = confirmed_orders(lambda orders: orders._hotmart_move("draft", "sale"))
        self.assertEqual(by_connector, by_odoo)
        # the confirmation asks again only for archived contacts, which Odoo subscribes
        # never (a customer) or already (the user's own contact): nothing more is made
        asked = {pid for call in subscribing.call_args_list[1:] for pid in call.args[1]}
        self.assertEqual(asked, {partners[3].id, partners[4].id})
        customer_subtypes = {(customer, frozenset([self.env.ref("mail.mt_comment").id]))}
        self.assertLessEqual(customer_subtypes, by_connector[0])
        self.assertIn((customer, frozenset(note.ids)), by_connector[1])
        self.assertNotIn(partners[3], {partner for partner, _subtypes in by_connector[3]})

    def test_mapping_decides_the_state(self):
        self.sales._receive_confirmed()
        orders = {sale.transaction: sale.sale_order_id for sale in self.sales}
        self.assertEqual(orders["HP1001000000001"].state, "sale")  # APPROVED
        self.assertFalse(orders["HP1001000000001"].locked)
        self.assertEqual(orders["HP1001000000002"].state, "sale")  # COMPLETE: locked
        self.assertTrue(orders["HP1001000000002"].locked)
        self.assertEqual(orders["HP1001000000006"].state, "cancel")  # REFUNDED
        self.assertEqual(orders["HP1001000000007"].state, "draft")  # PRINTED_BILLET
        # nobody paid an unpaid boleto: the chatter says its amount, not what was paid
        boleto_note = orders["HP1001000000007"].message_ids[0].body
        self.assertIn("amount", boleto_note)
        self.assertNotIn("paid", boleto_note)
        self.assertIn(", paid ", orders["HP1001000000001"].message_ids[0].body)

    def test_status_without_mapping_gives_a_quotation(self):
        self.backend.status_mapping_ids.filtered(lambda m: m.hotmart_status == "APPROVED").unlink()
        sale = self.sale("HP1001000000001")
        self.assertEqual(sale.state, "not_imported")
        sale._receive_confirmed()
        self.assertEqual(sale.sale_order_id.state, "draft")
        self.assertIn("No mapping", sale.sale_order_id.message_ids[0].body)

    def test_receiving_twice_creates_nothing_more(self):
        self.sales._receive_confirmed()
        orders = self.sales.sale_order_id
        result = self.sales._receive_confirmed()
        self.assertEqual(self.sales.sale_order_id, orders)
        self.assertIn(
            "No sale was received. 7 sales were received before.", result["params"]["message"]
        )
        self.assertEqual(
            self.env["sale.order"].search_count([("hotmart_sale_id", "in", self.sales.ids)]), 7
        )

    def test_one_order_per_sale_even_past_the_orm(self):
        self.sales[0].action_receive()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.sales[0].sale_order_id.copy({"hotmart_sale_id": self.sales[0].id})

    def test_customers_are_not_duplicated(self):
        self.sales._receive_confirmed()
        ana_first, ana_again = self.sale("HP1001000000001"), self.sale("HP1001000000005")
        self.assertEqual(ana_first.partner_id, ana_again.partner_id)  # same buyer, two sales
        ana = ana_first.partner_id
        self.assertEqual(ana.vat, stored_document(self.env, "529.982.247-25"))
        self.assertEqual(ana.email, "ana.souza@example.com")
        self.assertEqual(ana.phone, "+5511987654321")
        self.assertEqual(ana.country_id, self.env.ref("base.br"))
        self.assertEqual(ana.state_id, self.env.ref("base.state_br_sp"))
        self.assertEqual((ana.city, ana.zip), ("São Paulo", "01455000"))
        self.assertFalse(ana.is_company)
        self.assertEqual(
            self.env["res.partner"].search_count([("email", "=ilike", "ana.souza@example.com")]), 1
        )
        company = self.sale("HP1001000000002").partner_id
        self.assertTrue(company.is_company)
        self.assertEqual(company.vat, stored_document(self.env, "11.444.777/0001-61"))
        self.assertEqual(
            self.sale("HP1001000000003").partner_id.country_id, self.env.ref("base.us")
        )
        self.assertEqual(
            self.sale("HP1001000000004").partner_id.country_id, self.env.ref("base.fr")
        )
        self.assertEqual(len(self.sales.partner_id), 5)  # seven sales, five buyers

    def test_address_of_a_new_customer(self):
        """The street as one line; hotmart_connector_l10n_br splits it (its own tests)."""
        self.sale("HP1001000000001").action_receive()
        ana = self.sale("HP1001000000001").partner_id
        if "street_name" not in ana._fields:
            self.assertEqual(ana.street, "Rua das Palmeiras, 145 - apto 32")
        self.assertIn("Rua das Palmeiras", ana.street)
        self.assertEqual(district_of(ana), "Jardim América")

    def test_fiscal_position_for_icms_contributors(self):
        contributor_fp = self.env["account.fiscal.position"].create({"name": "Contribuinte ICMS"})
        self.backend.write(
            {
                "use_contributor_fiscal_position": True,
                "contributor_fiscal_position_id": contributor_fp.id,
            }
        )
        company = self.env["res.partner"].create(
            {"name": "Bruno Carvalho ME", "vat": "11.444.777/0001-61", "is_company": True}
        )
        # the core knows no state registration (IE): make this customer a contributor
        contributor = type(self.env["res.partner"])._hotmart_is_icms_contributor
        with patch.object(
            type(self.env["res.partner"]),
            "_hotmart_is_icms_contributor",
            lambda partner: partner == company or contributor(partner),
        ):
            self.sales._receive_confirmed()
        self.assertEqual(self.sale("HP1001000000002").partner_id, company)
        self.assertEqual(
            self.sale("HP1001000000002").sale_order_id.fiscal_position_id, contributor_fp
        )
        self.assertEqual(
            self.sale("HP1001000000001").sale_order_id.fiscal_position_id, self.fiscal_position
        )

    def test_taxes_do_not_change_the_total(self):
        tax = self.env["account.tax"].create(
            {"name": "ISS 10%", "amount": 10, "amount_type": "percent"}
        )
        self.product.taxes_id = tax
        self.sale("HP1001000000001").action_receive()
        order = self.sale("HP1001000000001").sale_order_id
        self.assertEqual(order.order_line.tax_id, tax)
        self.assertEqual(order.amount_total, 497.0)
        self.assertAlmostEqual(order.amount_tax, 45.18)

    def test_a_cent_that_tax_rounding_cannot_reach_gets_its_own_line(self):
        tax = self.env["account.tax"].create(
            {"name": "ICMS 15%", "amount": 15, "amount_type": "percent"}
        )
        self.product.taxes_id = tax
        sale = self.sale("HP1001000000001")
        sale.amount = 6.40  # 5.56 -> 6.39, 5.57 -> 6.41
        sale.action_receive()
        order = sale.sale_order_id
        self.assertEqual(order.amount_total, 6.40)
        course, rounding = order.order_line
        self.assertEqual(course.tax_id, tax)
        # named for what it is, not a second unit of the course
        self.assertEqual(rounding.name, "Rounding adjustment")
        self.assertEqual(
            rounding.product_id, self.env.ref("hotmart_connector.product_rounding_adjustment")
        )
        self.assertNotIn(course.product_id.name, rounding.name)
        self.assertFalse(rounding.tax_id)
        self.assertAlmostEqual(abs(rounding.price_unit), 0.01)

    def test_products_are_matched_or_created(self):
        self.sales._receive_confirmed()
        self.assertEqual(
            self.sale("HP1001000000001").sale_order_id.order_line.product_id,
            self.product.product_variant_id,
        )
        created = self.sale("HP1001000000002").sale_order_id.order_line.product_id
        self.assertEqual(created.name, "Mentoria Finanças Pessoais")
        self.assertEqual(created.type, "service")
        self.assertEqual(created.hotmart_product_id, "2345678")
        self.assertEqual(
            self.env["product.template"].search_count([("hotmart_product_id", "=", "2345678")]), 1
        )

    def test_fallback_product(self):
        fallback = self.env["product.product"].create({"name": "Curso Hotmart", "type": "service"})
        self.backend.product_id = fallback
        self.sale("HP1001000000002").action_receive()
        self.assertEqual(self.sale("HP1001000000002").sale_order_id.order_line.product_id, fallback)
        self.assertFalse(
            self.env["product.template"].search([("hotmart_product_id", "=", "2345678")])
        )

    def test_a_failing_sale_fails_alone_and_is_retried(self):
        self.env["res.currency.rate"].search([("currency_id", "=", self.mxn.id)]).unlink()
        result = self.sales._receive_confirmed()
        mxn_sale = self.sale("HP1001000000006")
        self.assertEqual(mxn_sale.state, "failed")
        self.assertIn("No exchange rate for MXN", mxn_sale.error)
        self.assertFalse(mxn_sale.sale_order_id)
        self.assertIn("6 sales received", result["params"]["message"])
        self.assertIn("1 sale failed: its error says why.", result["params"]["message"])
        self.assertEqual(len((self.sales - mxn_sale).sale_order_id), 6)
        self.env["res.currency.rate"].create(
            {
                "currency_id": self.mxn.id,
                "name": "2026-01-01",
                "rate": 4.0,
                "company_id": self.env.company.id,
            }
        )
        mxn_sale.action_receive()
        self.assertEqual(mxn_sale.state, "done")
        self.assertFalse(mxn_sale.error)
        self.assertEqual(mxn_sale.sale_order_id.amount_total, 462.5)

    def test_currency_unknown_to_odoo(self):
        sale = self.sale("HP1001000000001")
        sale.write({"currency_code": "XYZ", "currency_id": False})
        sale.action_receive()
        self.assertEqual(sale.state, "failed")
        self.assertIn("XYZ, a currency Odoo does not know", sale.error)

    def test_refused_order_fails_only_its_sale(self):
        real_create = type(self.env["sale.order"]).create

        def create(orders, vals_list):
            if any(vals.get("client_order_ref") == "HP1001000000004" for vals in vals_list):
                raise ValueError("a constraint said no")
            return real_create(orders, vals_list)

        with patch.object(type(self.env["sale.order"]), "create", create):
            self.sales._receive_confirmed()
        failed = self.sale("HP1001000000004")
        self.assertEqual(failed.state, "failed")
        self.assertIn("Odoo refused the order: a constraint said no", failed.error)
        self.assertEqual(len(self.sales.filtered(lambda s: s.state == "done")), 6)

    def test_only_hotmart_users_receive(self):
        outsider = new_test_user(
            self.env, login="no_hotmart", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.sales.with_user(outsider).action_receive()
        user = new_test_user(
            self.env, login="hotmart_user", groups="hotmart_connector.group_hotmart_user"
        )
        self.sales.with_user(user)._receive_confirmed()
        self.assertEqual(set(self.sales.mapped("state")), {"done"})

    def test_ignore_and_reset(self):
        sale = self.sale("HP1001000000007")
        sale.action_ignore()
        self.assertEqual(sale.state, "ignored")
        sale.action_reset()
        self.assertEqual(sale.state, "not_imported")  # a printed boleto: not imported

    def test_receive_products(self):
        self.http.add(responses.GET, PRODUCTS_URL, json=load_fixture("products.json"))
        result = self.backend.action_receive_products()
        self.assertIn(
            "2 products created. 1 product was known already.", result["params"]["message"]
        )
        result = self.backend.action_receive_products()
        self.assertIn("3 products were known already.", result["params"]["message"])
        book_club = self.env["product.template"].search([("hotmart_product_id", "=", "3456789")])
        self.assertEqual(
            (book_club.name, book_club.type), ("Clube do Livro Digital (assinatura)", "service")
        )


@tagged("post_install", "-at_install")
class TestReceiveCron(HotmartReceiveCase):
    def history_windows(self):
        windows = []
        for call in self.http.calls:
            if call.request.url.startswith(HISTORY_URL):
                query = parse_qs(urlsplit(call.request.url).query)
                windows.append((int(query["start_date"][0]), int(query["end_date"][0])))
        return windows

    def test_first_run_starts_at_import_since_and_receives_paid_sales(self):
        self.fake_hotmart()
        self.backend.import_since = "2026-10-01 00:00:00"
        with freeze_time("2026-11-27 12:00:00"):
            self.env["hotmart.backend"]._cron_receive_orders()
        statuses = sorted(
            {status_of(c.request) for c in self.http.calls if c.request.url.startswith(HISTORY_URL)}
        )
        self.assertEqual(statuses, ["APPROVED", "COMPLETE", "PARTIALLY_REFUNDED", "PROTESTED"])
        self.assertEqual(self.history_windows()[0], (1790812800000, 1795780800000))
        self.assertEqual(
            self.backend.last_receive_date, fields.Datetime.to_datetime("2026-11-27 12:00:00")
        )
        sales = self.Sale.search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(sales), 5)
        self.assertEqual(set(sales.mapped("state")), {"done"})
        self.assertIn("the scheduled action", sales[0].sale_order_id.message_ids[0].body)

    def test_next_run_starts_a_little_before_the_last_good_one(self):
        self.fake_hotmart()
        self.backend.write(
            {"import_since": "2026-10-01 00:00:00", "last_receive_date": "2026-11-27 10:00:00"}
        )
        with freeze_time("2026-11-27 12:00:00"):
            self.env["hotmart.backend"]._cron_receive_orders()
        self.assertEqual(self.history_windows()[0][0], 1795766400000)  # 2026-11-27 08:00 UTC

    def test_failed_run_keeps_the_watermark_and_does_not_raise(self):
        # the first page and its buyers are read, the second page fails
        self.http.add(responses.GET, HISTORY_URL, json=load_fixture("sales_history_page1.json"))
        self.http.add(responses.GET, USERS_URL, json=load_fixture("sales_users.json"))
        self.http.add(responses.GET, HISTORY_URL, status=500)
        self.backend.write({"last_receive_date": "2026-11-27 10:00:00"})
        with freeze_time("2026-11-27 12:00:00"):
            self.env["hotmart.backend"]._cron_receive_orders()
        self.assertEqual(
            self.backend.last_receive_date, fields.Datetime.to_datetime("2026-11-27 10:00:00")
        )
        self.assertIn("HTTP 500", self.backend.last_error)
        # what was read before the failure is kept, and what was kept is received
        self.assertEqual(self.Sale.search_count([("backend_id", "=", self.backend.id)]), 3)

    def test_sales_not_imported_by_the_mapping_say_so(self):
        self.fake_hotmart()
        self.backend._fetch_sales(*self.window, statuses=["PRINTED_BILLET"])
        with freeze_time("2026-11-27 12:00:00"):
            self.env["hotmart.backend"]._cron_receive_orders()
        boleto = self.sale("HP1001000000007")
        self.assertEqual(boleto.state, "not_imported")
        self.assertFalse(boleto.sale_order_id)

    def test_only_active_accounts_run(self):
        self.backend.last_connection_date = False
        self.fake_hotmart()
        self.env["hotmart.backend"]._cron_receive_orders()
        self.assertFalse(self.http.calls)

    def test_receive_orders_now_button(self):
        self.fake_hotmart()
        result = self.backend.action_receive_orders()
        self.assertIn("5 orders received.", result["params"]["message"])

    def test_scheduled_action_is_shipped_active(self):
        cron = self.env.ref("hotmart_connector.ir_cron_receive_orders")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (15, "minutes"))
