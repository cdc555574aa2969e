"""Subscriptions: one per subscriber code, charges linked, status followed, MRR in view."""

import copy
import json
from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import responses
from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import BaseCase, new_test_user, tagged

from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.subscriptions import (
    charges_by_transaction,
    monthly_amount,
    parse_subscription_event,
    parse_subscription_item,
)
from .common import HotmartReceiveCase, load_fixture

SUBSCRIPTIONS_URL = "https://sandbox.hotmart.com/payments/api/v1/subscriptions"
CLUB = {"id": 3456789, "name": "Clube do Livro Digital (assinatura)"}
ANA = "ana.souza@example.com"


def charge_item(transaction, number, email=ANA, status="APPROVED", order_date=1794140400000):
    """A /sales/history item of a subscription charge."""
    item = copy.deepcopy(load_fixture("sales_history_page1.json")["items"][0])
    item["product"] = dict(CLUB)
    item["buyer"]["email"] = email
    item["purchase"].update(
        transaction=transaction,
        status=status,
        is_subscription=True,
        recurrency_number=number,
        order_date=order_date,
        approved_date=order_date + 60000,
        price={"value": 29.9, "currency_code": "BRL"},
    )
    item["purchase"]["hotmart_fee"]["base"] = 29.9
    return item


def page(items):
    return {"items": items, "page_info": {"total_results": len(items), "results_per_page": 50}}


def charge_webhook(transaction="HP3003000000003", number=3, created=1794140500000):
    """A PURCHASE_APPROVED of a subscription charge, with its ``subscription`` block."""
    event = load_fixture("webhook_purchase_approved.json")
    event.update(id=f"charge-{transaction}", creation_date=created)
    event["data"]["product"].update(CLUB)
    event["data"]["purchase"].update(
        transaction=transaction,
        recurrence_number=number,
        price={"value": 29.9, "currency_value": "BRL"},
    )
    event["data"]["subscription"] = {
        "status": "ACTIVE",
        "plan": {"id": 1038897, "name": "Plano Mensal"},
        "subscriber": {"code": "9GYG4EOB"},
    }
    return event


class TestSubscriptionRecords(BaseCase):
    """The parsers and the monthly normalisation, without the ORM."""

    def test_monthly_amount_normalises_monthly_yearly_and_weekly_plans(self):
        self.assertEqual(monthly_amount(Decimal("29.9"), 30), Decimal("29.90"))
        self.assertEqual(monthly_amount(Decimal("299"), 365), Decimal("24.92"))
        self.assertEqual(monthly_amount(Decimal("299"), 360), Decimal("24.92"))
        self.assertEqual(monthly_amount(Decimal("90"), 90), Decimal("30.00"))
        self.assertEqual(monthly_amount(Decimal("60"), 180), Decimal("10.00"))
        self.assertEqual(monthly_amount(Decimal("10"), 7), Decimal("43.45"))
        self.assertIsNone(monthly_amount(Decimal("10"), 0))
        self.assertIsNone(monthly_amount(None, 30))

    def test_subscriptions_page_item(self):
        ana, john = (
            parse_subscription_item(i) for i in load_fixture("subscriptions.json")["items"]
        )
        self.assertEqual(ana.subscriber_code, "9GYG4EOB")
        self.assertEqual(
            (ana.status, ana.plan_name, ana.period_days), ("ACTIVE", "Plano Mensal", 30)
        )
        self.assertEqual((ana.price, ana.currency), (Decimal("29.9"), "BRL"))
        self.assertEqual(ana.subscriber.email, ANA)
        self.assertEqual(ana.transaction, "HP3003000000001")
        self.assertIsNone(ana.date_cancelled)
        self.assertEqual(john.status, "CANCELLED_BY_SELLER")
        self.assertEqual(john.date_cancelled.date().isoformat(), "2026-10-26")
        self.assertIsNone(john.date_next_charge)

    def test_subscription_events(self):
        cancel = load_fixture("webhook_subscription_cancellation.json")
        record = parse_subscription_event(cancel["event"], cancel["data"])
        self.assertEqual(
            (record.subscriber_code, record.status), ("9GYG4EOB", "CANCELLED_BY_CUSTOMER")
        )
        self.assertEqual(record.date_cancelled.date().isoformat(), "2026-11-10")
        switch = load_fixture("webhook_switch_plan.json")
        record = parse_subscription_event(switch["event"], switch["data"])
        self.assertEqual(
            (record.plan_name, record.plan_id, record.status), ("Plano Anual", "1038898", "ACTIVE")
        )
        moved = load_fixture("webhook_update_subscription_charge_date.json")
        record = parse_subscription_event(moved["event"], moved["data"])
        self.assertEqual(record.date_next_charge.date().isoformat(), "2026-12-15")
        self.assertEqual(record.plan_name, "Plano Mensal")

    def test_unreadable_subscription_payloads_say_why(self):
        with self.assertRaisesRegex(HotmartBadPayloadError, "subscriber code"):
            parse_subscription_event("SUBSCRIPTION_CANCELLATION", {"subscriber": {}})
        with self.assertRaisesRegex(HotmartBadPayloadError, "which plan is current"):
            parse_subscription_event("SWITCH_PLAN", {"subscription": {"subscriber_code": "X"}})
        # a status not known yet: the subscription is still worth storing
        paused = parse_subscription_item({"subscriber_code": "X", "status": "PAUSED"})
        self.assertEqual((paused.subscriber_code, paused.status), ("X", ""))
        with self.assertRaisesRegex(HotmartBadPayloadError, "subscriber code"):
            parse_subscription_item({"status": "ACTIVE"})

    def test_charges_of_a_subscription(self):
        charges = charges_by_transaction(load_fixture("subscription_purchases.json"))
        self.assertEqual(charges["HP3003000000003"], 3)
        self.assertEqual(charges_by_transaction({"items": [{"transaction": "HP1"}]}), {"HP1": 0})


@tagged("post_install", "-at_install")
class TestSubscriptions(HotmartReceiveCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Subscription = cls.env["hotmart.subscription"]
        cls.Event = cls.env["hotmart.webhook.event"]

    def fake_subscriptions(self, *pages_in_turn, purchases=None):
        """Answer the subscriptions pages (each call the next answer) and the charges."""
        answers = list(pages_in_turn) or [load_fixture("subscriptions.json")]

        def subscriptions(request):
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            return (200, {}, json.dumps(answer))

        self.http.add_callback(responses.GET, SUBSCRIPTIONS_URL, callback=subscriptions)
        for code, charges in (purchases or {}).items():
            self.http.add(responses.GET, f"{SUBSCRIPTIONS_URL}/{code}/purchases", json=charges)

    def subscription(self, code="9GYG4EOB"):
        return self.Subscription.search(
            [("backend_id", "=", self.backend.id), ("subscriber_code", "=", code)]
        )

    def deliver(self, payload):
        body = json.dumps(payload).encode()
        event, _new = self.Event._store_delivery(self.backend, body)
        event._process_now()
        return event

    def sync(self):
        return self.backend._sync_subscriptions("test")

    def link_triggers(self):
        cron = self.env.ref("hotmart_connector.ir_cron_link_subscription_charges")
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    def fetch_and_link(self):
        """Fetch the window's charges; those Odoo cannot place are left to the triggered
        action that asks Hotmart, which runs next."""
        triggers, calls = self.link_triggers(), len(self.subscription_calls())
        sales = self.backend._fetch_sales(*self.window, ["APPROVED"])
        self.assertFalse(sales.subscription_id, "linked without asking Hotmart")
        self.assertEqual(len(self.subscription_calls()), calls, "receiving waited for Hotmart")
        self.assertEqual(self.link_triggers(), triggers + 1)
        self.env["hotmart.backend"]._cron_link_subscription_charges()
        return sales

    def subscription_calls(self):
        return [
            parse_qs(urlsplit(c.request.url).query)
            for c in self.http.calls
            if c.request.url.split("?")[0] == SUBSCRIPTIONS_URL
        ]

    # the subscriptions sync -----------------------------------------------------

    def test_sync_stores_one_subscription_per_code_with_its_subscriber(self):
        self.fake_subscriptions()
        self.assertEqual(self.sync()["processed"], 2)
        self.sync()
        self.assertEqual(len(self.subscription_calls()), 2)  # one page per sync
        ana, john = self.subscription(), self.subscription("K7PL2QXA")
        self.assertEqual(len(ana | john), 2)
        self.assertEqual(self.Subscription.search_count([("backend_id", "=", self.backend.id)]), 2)
        # pages hold a name and an e-mail only: no contact is made of them
        self.assertFalse(ana.partner_id | john.partner_id)
        self.assertEqual(john.subscriber_email, "john.miller@example.com")
        self.assertEqual(ana.product_id.product_tmpl_id.hotmart_product_id, "3456789")
        self.assertEqual(
            (ana.status, ana.plan_name, ana.period_days), ("ACTIVE", "Plano Mensal", 30)
        )
        self.assertEqual(ana.date_next_charge, datetime(2026, 12, 5, 12, 0))
        self.assertEqual(john.status, "CANCELLED_BY_SELLER")
        self.assertEqual(john.date_cancelled.date().isoformat(), "2026-10-26")
        self.assertTrue(self.backend.last_subscription_sync_date)
        self.assertEqual(self.backend.subscription_count, 2)

    def test_recurring_revenue_is_normalised_to_a_month_in_company_currency(self):
        self.fake_subscriptions()
        self.sync()
        ana, john = self.subscription(), self.subscription("K7PL2QXA")
        self.assertEqual((ana.recurring_amount, ana.mrr), (29.9, 29.9))
        # yearly plan of USD 59: 4.92 a month, at the account's USD rate of 5.00
        self.assertEqual(john.recurring_amount, 4.92)
        self.assertEqual(john.recurring_amount_company, 24.6)
        self.assertEqual(john.mrr, 0.0)  # cancelled: no recurring revenue any more

    def test_months_report_counts_revenue_new_subscribers_and_churn(self):
        self.fake_subscriptions()
        self.sync()
        self.env.flush_all()
        months = self.env["hotmart.subscription.month"].search(
            [("backend_id", "=", self.backend.id)]
        )
        ana = months.filtered(lambda m: m.subscription_id == self.subscription())
        self.assertEqual(ana.sorted("month")[0].month.isoformat(), "2026-09-01")
        self.assertEqual(sum(ana.mapped("new_count")), 1)
        self.assertEqual(set(ana.mapped("mrr")), {29.9})
        john = months.filtered(lambda m: m.subscription_id == self.subscription("K7PL2QXA"))
        self.assertEqual(len(john), 10)  # January to October
        churned = john.filtered("churned_count")
        self.assertEqual(churned.month.isoformat(), "2026-10-01")
        self.assertEqual(churned.churned_mrr, 24.6)

    def test_a_late_subscription_that_never_paid_is_no_paying_subscriber(self):
        self.fake_subscriptions()
        self.sync()
        ana = self.subscription()
        ana.status = "DELAYED"
        self.assertEqual(ana.charge_count, 0)  # no paid charge known
        self.assertEqual(ana.mrr, 0)  # the list's MRR counts as the report does
        self.env.flush_all()
        months = self.env["hotmart.subscription.month"].search([("subscription_id", "=", ana.id)])
        self.assertFalse(months)

    def test_status_plan_and_charge_date_follow_the_sync(self):
        later = copy.deepcopy(load_fixture("subscriptions.json"))
        later["items"][0].update(
            status="CANCELLED_BY_CUSTOMER",
            end_accession_date=1795000000000,
            date_next_charge=None,
            plan={"name": "Plano Anual", "id": 1038898, "recurrency_period": 365},
            price={"value": 299.0, "currency_code": "BRL"},
        )
        self.fake_subscriptions(load_fixture("subscriptions.json"), later)
        tracked = self.backend.with_context(tracking_disable=False)
        tracked._sync_subscriptions("test")
        tracked._sync_subscriptions("the subscriptions sync")
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking is written when the transaction commits
        ana = self.subscription()
        self.assertEqual((ana.status, ana.plan_name), ("CANCELLED_BY_CUSTOMER", "Plano Anual"))
        self.assertEqual(ana.recurring_amount, 24.92)
        self.assertEqual(ana.mrr, 0.0)
        self.assertTrue(ana.date_cancelled)
        changes = ana.message_ids.filtered("tracking_value_ids")
        self.assertTrue(changes)
        self.assertIn("the subscriptions sync", changes[0].body)

    # charges -------------------------------------------------------------------

    def test_rest_charges_are_linked_by_buyer_and_product_with_their_recurrence(self):
        self.fake_subscriptions()
        self.sync()
        self.fake_hotmart(
            history={"APPROVED": [page([charge_item("HP3003000000003", 3)])]}, users={}
        )
        triggers = self.link_triggers()
        sales = self.backend._fetch_sales(*self.window, ["APPROVED"])
        self.assertEqual(sales.subscription_id, self.subscription())
        self.assertEqual(len(self.subscription_calls()), 1)  # known: nothing more read
        self.assertEqual(self.link_triggers(), triggers)
        sales._receive("test")
        order = sales.sale_order_id
        self.assertEqual(order.hotmart_subscription_id, self.subscription())
        self.assertEqual(order.hotmart_recurrence_number, 3)
        self.assertEqual(order.partner_id, self.subscription().partner_id)
        self.assertEqual(self.env["res.partner"].search_count([("email", "=ilike", ANA)]), 1)
        self.assertEqual(self.subscription().charge_count, 3)
        self.assertEqual(self.subscription().order_count, 1)

    def test_charges_of_unknown_subscriptions_read_their_products_pages(self):
        self.fake_subscriptions()
        self.fake_hotmart(
            history={
                "APPROVED": [
                    page(
                        [
                            charge_item("HP3003000000003", 3),
                            charge_item(
                                "HP3003000000051",
                                2,
                                email="john.miller@example.com",
                                order_date=1791548400000,
                            ),
                        ]
                    )
                ]
            },
            users={},
        )
        sales = self.fetch_and_link()
        self.assertEqual(sales.subscription_id.mapped("subscriber_code"), ["9GYG4EOB", "K7PL2QXA"])
        calls = self.subscription_calls()
        self.assertEqual(len(calls), 1)  # one product, one page: never a call per sale
        self.assertEqual(calls[0]["product_id"], ["3456789"])
        self.assertNotIn("accession_date", calls[0])  # a renewal: older subscriptions too

    def test_new_subscribers_are_read_from_the_oldest_charge_on(self):
        self.fake_subscriptions()
        self.fake_hotmart(
            history={"APPROVED": [page([charge_item("HP3003000000001", 1)])]}, users={}
        )
        self.fetch_and_link()
        (call,) = self.subscription_calls()
        self.assertEqual(call["accession_date"], [str(1794140400000 - 86400000)])

    def test_a_new_subscription_of_a_returning_subscriber_is_not_mistaken_for_the_old(self):
        # John's yearly subscription ended in October; his first charge of November is of a
        # new subscription, which the product's pages tell
        new = copy.deepcopy(load_fixture("subscriptions.json")["items"][1])
        new.update(
            subscriber_code="JOHN2NEW",
            status="ACTIVE",
            accession_date=1794140400000,
            end_accession_date=None,
            transaction="HP3003000000077",
        )
        self.fake_subscriptions(load_fixture("subscriptions.json"), page([new]))
        self.sync()
        self.fake_hotmart(
            history={
                "APPROVED": [
                    page([charge_item("HP3003000000077", 1, email="john.miller@example.com")])
                ]
            },
            users={},
        )
        sales = self.fetch_and_link()
        self.assertEqual(sales.subscription_id.subscriber_code, "JOHN2NEW")
        self.assertFalse(self.subscription("K7PL2QXA").sale_ids)

    def test_hotmart_is_asked_once_a_day_for_a_charge_it_cannot_place(self):
        self.fake_subscriptions(page([]))
        self.fake_hotmart(
            history={"APPROVED": [page([charge_item("HP3003000000003", 3)])]}, users={}
        )
        sales = self.fetch_and_link()
        self.backend._fetch_sales(*self.window, ["APPROVED"])
        self.env["hotmart.backend"]._cron_link_subscription_charges()
        self.assertFalse(sales.subscription_id)
        self.assertEqual(len(self.subscription_calls()), 1)
        self.assertTrue(sales.subscription_lookup_date)

    def test_a_buyer_with_two_subscriptions_of_one_product_is_told_apart_by_charges(self):
        twice = load_fixture("subscriptions.json")
        second = copy.deepcopy(twice["items"][0])
        second.update(subscriber_code="SECOND01", transaction="HP3003000000099")
        twice["items"].append(second)
        other_charges = [{"transaction": "HP3003000000099", "recurrency_number": 1}]
        self.fake_subscriptions(
            twice,
            purchases={
                "9GYG4EOB": load_fixture("subscription_purchases.json"),
                "SECOND01": other_charges,
            },
        )
        self.sync()
        self.fake_hotmart(
            history={"APPROVED": [page([charge_item("HP3003000000003", 3)])]}, users={}
        )
        sales = self.fetch_and_link()
        self.assertEqual(sales.subscription_id, self.subscription())
        purchases_calls = [c for c in self.http.calls if c.request.url.endswith("/purchases")]
        self.assertEqual(len(purchases_calls), 2)  # one per candidate subscription

    # webhooks ------------------------------------------------------------------

    def test_one_subscription_per_code_across_webhook_and_rest(self):
        event = self.deliver(charge_webhook())
        self.assertEqual(event.state, "done", event.error)
        subscription = self.subscription()
        self.assertEqual(len(subscription), 1)
        self.assertEqual(subscription.plan_name, "Plano Mensal")
        self.assertEqual(subscription.period_days, 0)  # webhooks do not say: the sync will
        order = event.sale_id.sale_order_id
        self.assertEqual(order.hotmart_subscription_id, subscription)
        self.assertEqual(order.hotmart_recurrence_number, 3)
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.env.ref("hotmart_connector.ir_cron_sync_subscriptions").id)]
        )
        self.assertTrue(trigger)
        self.fake_subscriptions()
        self.sync()
        self.assertEqual(self.subscription(), subscription)
        self.assertEqual(subscription.period_days, 30)
        self.assertEqual(subscription.mrr, 29.9)
        self.assertEqual(subscription.partner_id, order.partner_id)
        self.assertEqual(self.env["res.partner"].search_count([("email", "=ilike", ANA)]), 1)

    def test_cancellation_plan_switch_and_charge_date_by_webhook(self):
        with freeze_time("2026-11-01"):
            self.fake_subscriptions()
            self.sync()
        # delivered out of order: the newest news of each wins
        events = [
            self.deliver(load_fixture(name))
            for name in (
                "webhook_subscription_cancellation.json",
                "webhook_update_subscription_charge_date.json",
                "webhook_switch_plan.json",
            )
        ]
        self.assertEqual(events[0].state, "done", events[0].error)
        self.assertEqual([e.state for e in events], ["done"] * 3, [e.result for e in events])
        ana = self.subscription()
        self.assertEqual({e.subscription_id for e in events}, {ana})
        self.assertEqual(ana.status, "CANCELLED_BY_CUSTOMER")
        self.assertEqual(ana.date_cancelled, datetime(2026, 11, 10, 9, 0))
        self.assertEqual(ana.plan_name, "Plano Anual")
        self.assertEqual(ana.period_days, 0)  # the new plan's period: the sync will tell
        self.assertEqual(ana.date_next_charge, datetime(2026, 12, 15, 12, 0))
        self.assertIn("9GYG4EOB", events[1].result)

    def test_late_and_duplicate_events_do_not_undo_newer_ones(self):
        # cancelled on the 10th: an approval said on the 8th does not reactivate it
        self.deliver(load_fixture("webhook_subscription_cancellation.json"))
        self.deliver(charge_webhook(created=1794140500000))
        self.assertEqual(self.subscription().status, "CANCELLED_BY_CUSTOMER")
        # a new charge date said on the 8th is still news: nothing newer was said of it
        moved = load_fixture("webhook_update_subscription_charge_date.json")
        self.assertEqual(self.deliver(moved).state, "done")
        older = copy.deepcopy(moved)
        older.update(id="older-charge-date", creation_date=moved["creation_date"] - 3600000)
        older["data"]["subscription"]["date_next_charge"] = 1796000000000
        late = self.deliver(older)
        self.assertEqual(late.state, "ignored")
        self.assertIn("nothing changed", late.result)
        _again, is_new = self.Event._store_delivery(self.backend, json.dumps(moved).encode())
        self.assertFalse(is_new)
        ana = self.subscription()
        self.assertEqual(len(ana), 1)
        self.assertEqual(ana.date_next_charge, datetime(2026, 12, 15, 12, 0))
        self.assertEqual(ana.status, "CANCELLED_BY_CUSTOMER")

    def test_a_cancellation_older_than_the_last_sync_changes_nothing(self):
        with freeze_time("2026-11-20"):
            self.fake_subscriptions()
            self.sync()
        event = self.deliver(load_fixture("webhook_subscription_cancellation.json"))
        self.assertEqual(event.state, "ignored")
        self.assertIn("nothing changed", event.result)
        self.assertEqual(self.subscription().status, "ACTIVE")

    # access --------------------------------------------------------------------

    def test_subscribers_match_existing_contacts_by_the_buyers_rules(self):
        ana = self.env["res.partner"].create(
            {"name": "Ana Souza", "email": "Ana.Souza@Example.com"}
        )
        self.fake_subscriptions()
        self.sync()
        self.assertEqual(self.subscription().partner_id, ana)
        self.fake_hotmart(
            history={"APPROVED": [page([charge_item("HP3003000000003", 3)])]}, users={}
        )
        self.backend._fetch_sales(*self.window, ["APPROVED"])._receive("test")
        self.assertEqual(self.subscription().sale_order_ids.partner_id, ana)
        self.assertEqual(self.env["res.partner"].search_count([("email", "=ilike", ANA)]), 1)

    def test_users_read_subscriptions_and_only_the_connector_writes_them(self):
        self.env["res.partner"].create({"name": "Ana Souza", "email": ANA})
        self.fake_subscriptions()
        self.sync()
        user = new_test_user(
            self.env,
            login="hotmart_subscriptions_user",
            groups="hotmart_connector.group_hotmart_user",
        )
        ana = self.subscription().with_user(user)
        self.assertEqual(ana.status, "ACTIVE")
        with self.assertRaises(AccessError):
            ana.write({"status": "CANCELLED_BY_ADMIN"})
        partner = ana.partner_id.with_user(user)
        self.assertEqual(partner.hotmart_subscription_count, 1)
        self.assertEqual(partner.action_view_hotmart_subscriptions()["domain"][0][2], partner.id)
        order = self.env["sale.order"].with_user(self.env.ref("base.user_admin"))
        with self.assertRaises(AccessError):
            order.create({"partner_id": partner.id, "hotmart_subscription_id": ana.id})
        with self.assertRaises(AccessError):  # reading is the Hotmart role's; syncing a manager's
            self.backend.with_user(user).action_sync_subscriptions()
        employee = new_test_user(self.env, login="no_hotmart_role", groups="base.group_user")
        self.assertNotIn("hotmart_subscription_ids", partner.with_user(employee).fields_get())
