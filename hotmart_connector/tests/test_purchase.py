"""What real purchases carry beyond their price, and what the connector does with it: whose
sale it is, installments, the link that sold it, order bumps, subscriptions' dates."""

import copy
import json

import responses

from odoo.tests import tagged

from .common import SALES_URL, HotmartReceiveCase, load_fixture

NO_USERS = {"items": [], "page_info": {"total_results": 0}}


def history_item(transaction, **purchase):
    """The first item of the history fixture (Ana's R$ 497 photography course), changed."""
    item = copy.deepcopy(load_fixture("sales_history_page1.json")["items"][0])
    item["purchase"].update(transaction=transaction, **purchase)
    return item


def page(*items):
    return {"items": list(items), "page_info": {"total_results": len(items)}}


@tagged("post_install", "-at_install")
class TestWhoseSale(HotmartReceiveCase):
    """An account that is also an affiliate sees the sales it promoted in its history."""

    def hotmart_sells(self, item, own_share=None):
        """Hotmart's history holds ``item``; its commissions give the account ``own_share``
        (source, amount) beside Hotmart's fee and the producer's net."""
        self.fake_hotmart(history={"APPROVED": [page(item)]}, users={"APPROVED": [NO_USERS]})
        shares = [
            {"source": "MARKETPLACE", "commission": {"value": 50.2, "currency_value": "BRL"}},
            {"source": "PRODUCER", "commission": {"value": 312.76, "currency_value": "BRL"}},
        ]
        if own_share:
            source, amount = own_share
            shares.append(
                {
                    "source": source,
                    "commission": {"value": amount, "currency_value": "BRL"},
                    "user": {"ucode": "escola-teste", "name": "Escola Teste"},
                }
            )
        commissions = {"transaction": item["purchase"]["transaction"], "commissions": shares}
        self.http.add(
            responses.GET, SALES_URL + "commissions", json={"items": [commissions], "page_info": {}}
        )

    def affiliate_sale(self):
        self.hotmart_sells(
            history_item("HP3003000000001", commission_as="AFFILIATE"), ("AFFILIATE", 134.04)
        )

    def fetch_and_receive(self):
        sale = self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        statuses = self.backend._importable_statuses()
        self.env["hotmart.run"]._receive_pending(self.backend, statuses, "a test")
        return sale

    def test_an_affiliate_sale_is_listed_with_the_commission_and_not_received(self):
        self.affiliate_sale()
        sale = self.fetch_and_receive()
        self.assertEqual((sale.commission_as, sale.state), ("AFFILIATE", "commission_only"))
        # read although the account does not invoice: the commission is what it is worth
        self.assertAlmostEqual(sale.own_commission_amount, 134.04, places=2)
        self.assertAlmostEqual(sale.amount_company, 134.04, places=2)
        self.assertFalse(sale.sale_order_id)
        self.assertFalse(
            self.env["sale.order"].search([("hotmart_transaction", "=", "HP3003000000001")])
        )

    def test_what_an_affiliate_sale_is_worth_is_the_commission_everywhere(self):
        self.affiliate_sale()
        sale = self.fetch_and_receive()
        # the producer's fee and net are not the account's: the overview and the
        # settlements report add up what Hotmart credits it
        self.assertEqual((sale.fee_amount, sale.commission_amount), (0.0, 0.0))
        self.assertAlmostEqual(sale.net_amount, 134.04, places=2)
        self.assertAlmostEqual(sale.gross_amount, 134.04, places=2)
        self.assertAlmostEqual(sale.paid_amount_company, 134.04, places=2)

    def test_with_two_co_producers_the_accounts_share_is_its_own_users(self):
        item = history_item("HP3003000000003", commission_as="COPRODUCER")
        self.fake_hotmart(history={"APPROVED": [page(item)]}, users={"APPROVED": [NO_USERS]})
        shares = [
            {"source": "MARKETPLACE", "commission": {"value": 50.2, "currency_value": "BRL"}},
            {"source": "PRODUCER", "commission": {"value": 296.8, "currency_value": "BRL"}},
            {
                "source": "COPRODUCER",
                "commission": {"value": 100.0, "currency_value": "BRL"},
                "user": {"ucode": "escola-teste", "name": "Escola Teste"},
            },
            {
                "source": "COPRODUCER",
                "commission": {"value": 50.0, "currency_value": "BRL"},
                "user": {"ucode": "outra-escola", "name": "Outra Escola"},
            },
        ]
        self.http.add(
            responses.GET,
            SALES_URL + "commissions",
            json={"items": [{"transaction": "HP3003000000003", "commissions": shares}]},
        )
        self.backend.receive_commission_sales = True
        sale = self.fetch_and_receive()
        # which of the two is the account's cannot be told yet: no order at a guess
        self.assertEqual(sale.own_commission_amount, 0.0)
        self.assertEqual(sale.state, "failed")
        self.assertIn("commission", sale.error)
        # learnt from the commissions of its own sales, the account's user tells it
        self.backend.hotmart_user_code = "escola-teste"
        self.assertEqual(sale.own_commission_amount, 100.0)
        sale.action_receive()
        self.assertEqual(sale.sale_order_id.amount_total, 100.0)

    def test_the_account_learns_its_user_from_its_own_sales(self):
        self.fake_hotmart(
            history={"APPROVED": [page(history_item("HP3003000000004"))]},
            users={"APPROVED": [NO_USERS]},
        )
        self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        shares = [
            {"source": "MARKETPLACE", "commission": {"value": 50.2, "currency_value": "BRL"}},
            {
                "source": "PRODUCER",
                "commission": {"value": 446.8, "currency_value": "BRL"},
                "user": {"ucode": "escola-teste", "name": "Escola Teste"},
            },
        ]
        self.Sale._store_settlements_page(
            self.backend, [{"transaction": "HP3003000000004", "commissions": shares}]
        )
        self.assertEqual(self.backend.hotmart_user_code, "escola-teste")

    def test_switched_on_it_is_an_order_to_hotmart_for_the_commission_alone(self):
        self.backend.receive_commission_sales = True
        self.affiliate_sale()
        sale = self.fetch_and_receive()
        order = sale.sale_order_id
        self.assertEqual(order.partner_id, self.backend._hotmart_partner())
        self.assertEqual(order.amount_total, 134.04)
        line = order.order_line
        self.assertEqual(
            line.product_id, self.env.ref("hotmart_connector.product_affiliate_commission")
        )
        self.assertIn("Curso Completo de Fotografia", line.name)
        self.assertIn("HP3003000000001", line.name)
        # the buyer is the producer's customer, not the account's
        self.assertFalse(
            self.env["res.partner"].search([("email", "=ilike", "ana.souza@example.com")])
        )
        # never invoiced by the connector: the producer invoices the buyer
        self.assertEqual(sale.invoice_state, "no")
        self.assertNotIn(sale, self.Sale.search(self.backend._due_domain("paid", False)))

    def test_the_producers_own_sales_are_received_as_before(self):
        self.hotmart_sells(history_item("HP3003000000002"))
        sale = self.fetch_and_receive()
        self.assertEqual((sale.commission_as, sale.state), ("PRODUCER", "done"))
        self.assertEqual(sale.sale_order_id.amount_total, 497.0)


@tagged("post_install", "-at_install")
class TestInstallments(HotmartReceiveCase):
    def test_a_smart_installment_charge_follows_its_first_purchase(self):
        first = history_item(
            "HP4004000000001",
            recurrency_number=1,
            payment={"type": "CREDIT_CARD", "installments_number": 9},
            offer={"code": "k9x2ab7c", "payment_mode": "SMART_INSTALLMENT"},
        )
        fourth = history_item(
            "HP4004000000004",
            recurrency_number=4,
            order_date=first["purchase"]["order_date"] + 90 * 86_400_000,
            payment={"type": "CREDIT_CARD", "installments_number": 9},
            offer={"code": "k9x2ab7c", "payment_mode": "SMART_INSTALLMENT"},
            price={"value": 55.22, "currency_code": "BRL"},
        )
        self.fake_hotmart(
            history={"APPROVED": [page(fourth, first)]}, users={"APPROVED": [NO_USERS]}
        )
        sales = self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        charge = sales.filtered(lambda s: s.transaction == "HP4004000000004")
        self.assertEqual(charge.first_installment_id.transaction, "HP4004000000001")
        self.assertEqual(charge.payment_mode, "SMART_INSTALLMENT")
        self.assertFalse(charge.is_subscription)
        self.assertFalse(charge.subscription_id)
        charge.action_receive()
        self.assertIn("installment 4 of 9", charge.sale_order_id.order_line.name)


@tagged("post_install", "-at_install")
class TestWebhookPurchases(HotmartReceiveCase):
    def deliver(self, *bodies):
        Event = self.env["hotmart.webhook.event"]
        events = Event.browse()
        for body in bodies:
            events |= Event._store_delivery(self.backend, json.dumps(body).encode())[0]
        events._process_now()
        return events

    def sale(self, transaction):
        return self.Sale.search(
            [("backend_id", "=", self.backend.id), ("transaction", "=", transaction)]
        )

    def test_the_link_that_sold_it_is_the_orders_utm_source(self):
        body = load_fixture("webhook_purchase_approved.json")
        purchase = body["data"]["purchase"]
        purchase["origin"] = {"src": "instagram-bio", "sck": "HOTMART_PRODUCT_PAGE"}
        purchase["offer"]["coupon_code"] = "BLACKFRIDAY"
        body["data"]["affiliates"] = [{"affiliate_code": "N82086728N", "name": "Parceiro"}]
        self.deliver(body)
        order = self.sale("HP2002000000001").sale_order_id
        self.assertEqual(order.source_id.name, "instagram-bio")
        self.assertEqual(
            (order.hotmart_offer_code, order.hotmart_coupon_code, order.hotmart_affiliate_code),
            ("k9x2ab7c", "BLACKFRIDAY", "N82086728N"),
        )
        self.assertEqual(order.hotmart_invoice_by, "HOTMART")
        # one source per name: the next sale from the same link finds it
        second = load_fixture("webhook_purchase_approved_ddd.json")
        second["data"]["purchase"]["origin"] = {"src": "instagram-bio"}
        self.deliver(second)
        self.assertEqual(self.sale("HP2002000000101").sale_order_id.source_id, order.source_id)

    def test_an_order_bump_and_its_purchase_name_each_other(self):
        parent = load_fixture("webhook_purchase_approved.json")
        bump = copy.deepcopy(parent)
        bump["id"] = "0e7c0201-1d2e-4f3a-8b9c-0123456789ab"
        bump["data"]["product"].update(id=4567890, name="E-book Receitas Veganas")
        bump["data"]["purchase"].update(
            transaction="HP2002000000201",
            price={"value": 47.0, "currency_value": "BRL"},
            order_bump={"is_order_bump": True, "parent_purchase_transaction": "HP2002000000001"},
        )
        bump["data"]["commissions"] = [
            {"value": 5.65, "source": "MARKETPLACE", "currency_value": "BRL"},
            {"value": 41.35, "source": "PRODUCER", "currency_value": "BRL"},
        ]
        # the bump comes first: it finds its purchase once that one is stored
        self.deliver(bump)
        self.deliver(parent)
        bump_sale, parent_sale = self.sale("HP2002000000201"), self.sale("HP2002000000001")
        self.assertEqual(bump_sale.parent_sale_id, parent_sale)
        bump_order, parent_order = bump_sale.sale_order_id, parent_sale.sale_order_id
        self.assertEqual(bump_order.hotmart_parent_order_id, parent_order)
        self.assertEqual(bump_order.partner_id, parent_order.partner_id)
        self.assertIn(parent_order.name, bump_order.message_ids.mapped("body")[0])
        self.assertTrue(
            any(bump_order.name in body for body in parent_order.message_ids.mapped("body"))
        )


@tagged("post_install", "-at_install")
class TestSubscriptionDates(HotmartReceiveCase):
    def deliver(self, body):
        Event = self.env["hotmart.webhook.event"]
        Event._store_delivery(self.backend, json.dumps(body).encode())[0]._process_now()

    def subscription(self):
        return self.env["hotmart.subscription"].search(
            [("backend_id", "=", self.backend.id), ("subscriber_code", "=", "9GYG4EOB")]
        )

    def test_a_charge_tells_the_plan_and_the_next_charge_and_what_the_buyer_paid_in_all(self):
        charge = load_fixture("webhook_purchase_approved.json")
        data = charge["data"]
        data["product"].update(id=3456789, name="Clube do Livro Digital (assinatura)")
        data["subscription"] = {
            "status": "ACTIVE",
            "plan": {"id": 1038898, "name": "Plano Anual"},
            "subscriber": {"code": "9GYG4EOB"},
        }
        purchase = data["purchase"]
        purchase["date_next_charge"] = 1828872000000  # 2027-12-15 12:00 UTC
        # twelve card installments with interest: the buyer pays more than the price
        purchase["full_price"] = {"value": 626.16, "currency_value": "BRL"}
        purchase["payment"]["installments_number"] = 12
        self.deliver(charge)
        subscription = self.subscription()
        self.assertEqual(
            (subscription.plan_code, subscription.plan_name), ("1038898", "Plano Anual")
        )
        self.assertEqual(str(subscription.date_next_charge), "2027-12-15 12:00:00")
        sale = self.env["hotmart.sale"].search([("transaction", "=", "HP2002000000001")])
        self.assertEqual((sale.amount, sale.full_price), (497.0, 626.16))
        # the order is made at the price, on which Hotmart reckons its commissions
        self.assertEqual(sale.sale_order_id.amount_total, 497.0)

    def test_a_cancellation_tells_until_when_the_subscriber_has_access(self):
        cancellation = load_fixture("webhook_subscription_cancellation.json")
        cancellation["data"]["date_next_charge"] = 1797336000000  # 2026-12-15 12:00 UTC
        self.deliver(cancellation)
        subscription = self.subscription()
        self.assertEqual(str(subscription.date_access_end), "2026-12-15 12:00:00")
        self.assertFalse(subscription.date_next_charge)

    def test_a_plan_switch_keeps_the_previous_plan_and_its_date(self):
        self.deliver(load_fixture("webhook_switch_plan.json"))
        subscription = self.subscription()
        self.assertEqual(
            (subscription.plan_name, subscription.previous_plan_name),
            ("Plano Anual", "Plano Mensal"),
        )
        self.assertTrue(subscription.plan_switch_date)
