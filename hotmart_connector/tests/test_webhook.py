import json
import logging
from unittest.mock import patch

from psycopg2 import errors

from odoo.tests import HttpCase, tagged

from .common import FakeHttpMixin, load_fixture, sell_in_reais, stored_document
from .standin import HotmartStandIn, StandInData, webhook_event

HOTTOK = "hottok-0123456789"


@tagged("post_install", "-at_install")
class TestWebhook(FakeHttpMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sell_in_reais(cls.env)
        cls.backend = cls.env["hotmart.backend"].create(
            {
                "name": "Escola Webhook",
                "environment": "sandbox",
                "client_id": "id",
                "client_secret": "secret",
                "basic_token": "basic",
                "hottok": HOTTOK,
                "usd_rate": 5.0,
                "import_since": "2026-01-01 00:00:00",
                "last_connection_date": "2026-11-01 00:00:00",
            }
        )
        cls.Event = cls.env["hotmart.webhook.event"]
        cls.cron = cls.env.ref("hotmart_connector.ir_cron_process_webhooks")

    def post(self, body, hottok=HOTTOK, backend=None):
        if isinstance(body, dict):
            body = json.dumps(body)
        headers = {"Content-Type": "application/json"}
        if hottok is not None:
            headers["X-HOTMART-HOTTOK"] = hottok
        return self.url_open(
            f"/hotmart/webhook/{(backend or self.backend).id}", data=body, headers=headers
        )

    def events(self):
        return self.Event.search([("backend_id", "=", self.backend.id)])

    def process(self):
        self.Event._cron_process_webhooks()

    def order_of(self, transaction):
        sale = self.env["hotmart.sale"].search(
            [("backend_id", "=", self.backend.id), ("transaction", "=", transaction)]
        )
        return sale.sale_order_id

    def store(self, payload):
        """Store a delivery as the endpoint does, without the HTTP round trip."""
        return self.Event._store_delivery(self.backend, json.dumps(payload).encode())[0]

    def sandbox_events(self, count, seed=11):
        """An approval for each of ``count`` sandbox sales, then a later refund or completion
        for every other one: (payloads, {transaction: final status})."""
        data = StandInData(sales=count, seed=seed, days=20, currencies={"BRL": 1})
        payloads, final = [], {}
        for index, sale in enumerate(data.sales.values()):
            sale = dict(sale, status="APPROVED", transaction=f"HPB{seed}{index:05d}")
            approval = webhook_event(sale)
            approval["creation_date"] = sale["order_date"] + 60_000
            payloads.append(approval)
            final[sale["transaction"]] = "APPROVED"
            if index % 2:
                status = "REFUNDED" if index % 4 == 1 else "COMPLETE"
                later = webhook_event(dict(sale, status=status))
                later["creation_date"] = approval["creation_date"] + 3_600_000
                payloads.append(later)
                final[sale["transaction"]] = status
        return payloads, final

    # the door ----------------------------------------------------------------

    def test_right_hottok_stores_answers_and_triggers_processing(self):
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        response = self.post(load_fixture("webhook_purchase_approved.json"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "received"})
        event = self.events()
        self.assertEqual(len(event), 1)
        self.assertEqual(
            (event.event_uid, event.event, event.transaction, event.state),
            (
                "0e7c0001-1d2e-4f3a-8b9c-0123456789ab",
                "PURCHASE_APPROVED",
                "HP2002000000001",
                "pending",
            ),
        )
        self.assertTrue(event.received_date)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]),
            triggers_before + 1,
        )
        # the triggered run receives the sale as an order
        self.process()
        self.assertEqual(event.state, "done")
        order = self.order_of("HP2002000000001")
        self.assertEqual((order.state, order.amount_total), ("sale", 497.0))
        self.assertEqual(order.partner_id.vat, stored_document(self.env, "529.982.247-25"))
        self.assertIn("webhook Purchase approved", order.message_ids.sorted("id")[0].body)
        self.assertIn(order.name, event.result)

    def test_wrong_or_missing_hottok_is_401_and_stores_nothing(self):
        for hottok in ("not-the-hottok", "", None):
            with self.subTest(hottok=hottok):
                response = self.post(load_fixture("webhook_purchase_approved.json"), hottok=hottok)
                self.assertEqual(response.status_code, 401)
        self.assertFalse(self.events())

    def test_unknown_account_and_wrong_hottok_answer_alike(self):
        """Nobody can tell from outside whether an account id exists."""
        approved = load_fixture("webhook_purchase_approved.json")
        wrong_hottok = self.post(approved, hottok="not-the-hottok")
        missing = self.env["hotmart.backend"].browse(999999)
        unknown = self.post(approved, backend=missing)
        self.backend.action_archive()
        archived = self.post(approved)
        for response in (unknown, archived):
            self.assertEqual(
                (response.status_code, response.content),
                (wrong_hottok.status_code, wrong_hottok.content),
            )
        self.assertEqual(wrong_hottok.status_code, 401)
        self.assertFalse(self.Event.search([("backend_id", "=", self.backend.id)]))

    def test_body_over_one_mebibyte_is_refused_and_not_stored(self):
        big = load_fixture("webhook_purchase_approved.json")
        big["data"]["padding"] = "x" * (2 * 1024 * 1024)
        response = self.post(big)
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.events())
        # without Content-Length (chunked), werkzeug stops reading at the limit
        chunks = iter([json.dumps(big).encode()[i : i + 65536] for i in range(0, 2200000, 65536)])
        response = self.opener.post(
            f"{self.base_url()}/hotmart/webhook/{self.backend.id}",
            data=chunks,
            headers={"X-HOTMART-HOTTOK": HOTTOK, "Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.events())
        # just under the limit is a delivery like any other
        fits = load_fixture("webhook_purchase_approved.json")
        fits["data"]["padding"] = "x" * (1024 * 1024 - len(json.dumps(fits)) - 40)
        self.assertEqual(self.post(fits).status_code, 200)
        self.assertEqual(len(self.events()), 1)

    def test_the_hottok_in_the_body_is_not_stored(self):
        approved = load_fixture("webhook_purchase_approved.json")
        approved["hottok"] = HOTTOK
        self.post(approved)
        self.post(b"not json but the hottok " + HOTTOK.encode())
        self.assertEqual(len(self.events()), 2)
        for event in self.events():
            self.assertNotIn(HOTTOK, event.payload)
        self.process()
        self.assertEqual(self.order_of("HP2002000000001").state, "sale")

    def test_form_bodies_are_refused(self):
        response = self.url_open(
            f"/hotmart/webhook/{self.backend.id}",
            data={"a": "b"},
            headers={"X-HOTMART-HOTTOK": HOTTOK},
        )
        self.assertEqual(response.status_code, 415)
        self.assertFalse(self.events())

    def test_same_event_id_on_two_accounts_is_two_events(self):
        other = self.backend.copy({"hottok": "other-hottok"})
        approved = load_fixture("webhook_purchase_approved.json")
        self.assertEqual(self.post(approved).json()["status"], "received")
        self.assertEqual(
            self.post(approved, hottok="other-hottok", backend=other).json()["status"], "received"
        )
        self.assertEqual(self.post(approved).json()["status"], "duplicate")
        for backend in (self.backend, other):
            events = self.Event.search([("backend_id", "=", backend.id)])
            self.assertEqual(events.mapped("event_uid"), [approved["id"]])

    def test_rest_read_never_makes_a_webhook_stale(self):
        """Staleness has one clock, Hotmart's: a REST read stamped with Odoo's time must not
        make a refund created before that read (but after the approval) look old."""
        self.post(load_fixture("webhook_purchase_approved.json"))
        self.process()
        order = self.order_of("HP2002000000001")
        sale = order.hotmart_sale_id
        # the status sync reads the sale from REST, long after both events were created
        history = load_fixture("sales_history_page1.json")["items"][0]
        history["purchase"]["transaction"] = "HP2002000000001"
        history["purchase"]["status"] = "APPROVED"
        self.env["hotmart.sale"]._store_history_page(self.backend, [history])
        self.assertEqual(sale.status, "APPROVED")
        self.post(load_fixture("webhook_purchase_refunded.json"))
        self.process()
        refund = self.Event.search([("event", "=", "PURCHASE_REFUNDED")])
        self.assertEqual(refund.state, "done", refund.result)
        self.assertEqual(order.state, "cancel")

    def test_repeated_delivery_stores_nothing_new(self):
        body = load_fixture("webhook_purchase_approved.json")
        self.assertEqual(self.post(body).json(), {"status": "received"})
        again = self.post(body)
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json(), {"status": "duplicate"})
        self.assertEqual(len(self.events()), 1)
        self.process()
        self.post(body)
        self.process()
        self.assertEqual(
            self.env["sale.order"].search_count([("hotmart_transaction", "=", "HP2002000000001")]),
            1,
        )

    def test_two_deliveries_racing_store_one_event(self):
        body = json.dumps(load_fixture("webhook_purchase_approved.json")).encode()
        self.Event._store_delivery(self.backend, body)
        # the second delivery looked before the first one committed: the constraint decides
        real_search = type(self.Event).search
        seen = []

        def search_blind_once(records, domain, *args, **kwargs):
            if not seen and ("event_uid", "=", "0e7c0001-1d2e-4f3a-8b9c-0123456789ab") in domain:
                seen.append(True)
                return records.browse()
            return real_search(records, domain, *args, **kwargs)

        # normal traffic: the unique index's refusal is not logged as a database error
        with (
            patch.object(type(self.Event), "search", search_blind_once),
            self.assertNoLogs("odoo.sql_db", logging.ERROR),
        ):
            event, is_new = self.Event._store_delivery(self.backend, body)
        self.assertFalse(is_new)
        self.assertEqual(len(self.events()), 1)
        self.assertEqual(event, self.events())

    def test_malformed_bodies_are_stored_failed_never_500(self):
        for body, reason in (
            ("{not json", "not JSON"),
            (json.dumps([1, 2, 3]), "not a JSON object"),
            (json.dumps({"event": "PURCHASE_APPROVED", "data": {}}), "no id"),
            (
                json.dumps({"id": "evt-x", "event": "PURCHASE_APPROVED", "data": {"purchase": {}}}),
                "purchase.transaction",
            ),
        ):
            with self.subTest(body=body):
                response = self.post(body)
                self.assertEqual(response.status_code, 200)
                event = self.Event.search(
                    [("backend_id", "=", self.backend.id)], order="id desc", limit=1
                )
                self.assertEqual(event.state, "failed")
                self.assertIn(reason, event.error)
                self.assertEqual(event.payload, body)
        self.assertEqual(len(self.events()), 4)
        self.assertEqual(self.post("{not json").json(), {"status": "duplicate"})

    def test_subscription_cancellation_cancels_the_subscription(self):
        ana = self.env["res.partner"].create({"name": "Ana", "email": "ana.souza@example.com"})
        self.post(load_fixture("webhook_subscription_cancellation.json"))
        self.process()
        event = self.events()
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(event.subscription_id.subscriber_code, "9GYG4EOB")
        self.assertEqual(event.subscription_id.status, "CANCELLED_BY_CUSTOMER")
        self.assertEqual(event.subscription_id.partner_id, ana)

    def test_events_the_connector_does_not_act_on_are_kept_for_reference(self):
        body = load_fixture("webhook_subscription_cancellation.json")
        body.update(id="club-first-access-1", event="CLUB_FIRST_ACCESS")
        self.post(body)
        self.process()
        event = self.events()
        self.assertEqual(event.state, "ignored")
        self.assertIn("Club: first access", event.result)

    # processing ------------------------------------------------------------

    def test_a_batch_of_events_makes_each_order_once_in_the_state_of_its_last_event(self):
        payloads, final = self.sandbox_events(24)
        # delivered in reverse, some twice, with a subscription change and an unknown event
        deliveries = list(reversed(payloads)) + payloads[:5]
        deliveries.append(load_fixture("webhook_subscription_cancellation.json"))
        deliveries.append(dict(load_fixture("webhook_purchase_approved.json"), event="CLUB_X"))
        for payload in deliveries:
            self.store(payload)
        with self.assertQueryCount(__system__=2600):  # about 50 per sale, not per event
            self.process()
        sales = self.env["hotmart.sale"].search([("transaction", "in", list(final))])
        self.assertEqual(len(sales), 24)
        self.assertEqual(len(sales.sale_order_id), 24)
        expected = {"APPROVED": "sale", "COMPLETE": "done", "REFUNDED": "cancel"}
        for sale in sales:
            self.assertEqual(sale.status, final[sale.transaction])
            self.assertEqual(sale.sale_order_id._hotmart_state(), expected[final[sale.transaction]])
        events = self.events()
        self.assertEqual(len(events), len(payloads) + 2)
        self.assertFalse(events.filtered(lambda e: e.state in ("pending", "failed")))
        # delivered after the refunds and completions, the approvals are still applied first:
        # processing follows the order in which Hotmart created the events
        purchases = events.filtered("sale_id")
        self.assertEqual(len(purchases), len(payloads))
        self.assertEqual(set(purchases.mapped("state")), {"done"})
        created = purchases.filtered(lambda e: e.event == "PURCHASE_APPROVED")
        self.assertEqual(
            sorted(created.mapped("result")),
            sorted(f"Order {e.sale_id.sale_order_id.name} created." for e in created),
        )
        self.assertEqual(
            events.filtered(lambda e: e.event == "SUBSCRIPTION_CANCELLATION").state, "done"
        )
        self.assertEqual(events.filtered(lambda e: e.event == "CLUB_X").state, "ignored")
        # one customer per buyer, whatever the number of their events
        partners = sales.sale_order_id.partner_id
        self.assertEqual(len(partners), len(set(sales.mapped("buyer_email"))))

    def test_one_path_for_one_event_and_for_two_hundred(self):
        """A purchase event processed alone (Process Again) and a scheduled batch of 200 go
        through the same code: _process_purchases, with 1 and with 200 events."""
        data = StandInData(sales=201, seed=31, statuses={"APPROVED": 1}, currencies={"BRL": 1})
        payloads = [webhook_event(sale) for sale in data.sales.values()]
        sizes = []
        Processor = type(self.env["hotmart.webhook.processor"])
        real = Processor._process_purchases

        def counting(processor, backend, purchases):
            sizes.append(len(purchases))
            return real(processor, backend, purchases)

        alone = self.store(payloads[0])
        alone.state = "failed"  # Process Again takes failed events
        with patch.object(Processor, "_process_purchases", counting):
            alone.action_process_again()
            for payload in payloads[1:]:
                self.store(payload)
            self.process()
        self.assertEqual(sizes, [1, 200])
        events = self.events()
        self.assertEqual(len(events), 201)
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(len(events.sale_id.sale_order_id), 201)

    def test_a_bad_sale_in_a_batch_fails_alone(self):
        payloads, final = self.sandbox_events(6, seed=12)
        broken = payloads[0]
        broken["data"]["purchase"]["price"]["currency_value"] = "XYZ"  # unknown to Odoo
        for payload in payloads:
            self.store(payload)
        self.process()
        sales = self.env["hotmart.sale"].search([("transaction", "in", list(final))])
        bad = sales.filtered(lambda s: s.transaction == broken["data"]["purchase"]["transaction"])
        self.assertEqual(bad.state, "failed")
        self.assertIn("XYZ", bad.error)
        self.assertEqual(len((sales - bad).sale_order_id), 5)
        event = self.events().filtered(lambda e: e.event_uid == broken["id"])
        self.assertIn("Order not created", event.result)

    def test_a_lost_race_in_a_batch_leaves_that_event_waiting_and_the_others_go_on(self):
        payloads, final = self.sandbox_events(4, seed=14)
        for payload in payloads:
            self.store(payload)
        clash = payloads[0]["data"]["purchase"]["transaction"]
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        race = errors.SerializationFailure("could not serialize access")
        with self.storing_fails_for(clash, race):
            self.process()
        waiting = self.events().filtered(lambda e: e.transaction == clash)
        self.assertEqual(set(waiting.mapped("state")), {"pending"})
        self.assertIn("retried shortly", waiting[0].error)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]), triggers
        )
        others = self.env["hotmart.sale"].search(
            [("transaction", "in", list(set(final) - {clash}))]
        )
        self.assertEqual(len(others.sale_order_id), 3)
        # the retry, with the race over, receives it
        self.process()
        self.assertTrue(self.order_of(clash))

    def test_a_batchs_new_sales_are_created_at_once_or_else_one_by_one(self):
        for seed, refuse_bulk in ((15, False), (16, True)):
            payloads, final = self.sandbox_events(6, seed=seed)
            for payload in payloads:
                self.store(payload)
            calls, found = self.process_counting_sale_creations(refuse_bulk)
            # one creation for the batch's six new sales; refused, one per sale instead
            self.assertEqual(calls, [6, 1, 1, 1, 1, 1, 1] if refuse_bulk else [6])
            # each event is stored with the sale the batch looked up, never searched again;
            # when the bulk creation was refused, each searches and creates its own
            self.assertEqual(found, [not refuse_bulk] * len(payloads))
            sales = self.env["hotmart.sale"].search([("transaction", "in", list(final))])
            self.assertEqual(len(sales), 6)
            self.assertEqual(len(sales.sale_order_id), 6)
            self.assertFalse(self.events().filtered(lambda e: e.state in ("pending", "failed")))

    def test_an_event_failing_after_its_sale_was_made_keeps_the_link(self):
        payloads, final = self.sandbox_events(3, seed=17)
        for payload in payloads:
            self.store(payload)
        broken = payloads[0]["data"]["purchase"]["transaction"]
        with self.storing_fails_for(broken, ValueError("its subscription could not be stored")):
            self.process()
        failed = self.events().filtered(lambda e: e.transaction == broken)
        self.assertEqual(set(failed.mapped("state")), {"failed"})
        self.assertEqual(failed.sale_id.transaction, broken)
        self.assertIn("could not be stored", failed[0].error)
        # the others went on; processed again, the failed one completes its sale's order
        self.assertEqual(
            len(
                self.env["hotmart.sale"].search([("transaction", "in", list(final))]).sale_order_id
            ),
            2,
        )
        failed.action_process_again()
        self.process()
        self.assertTrue(self.order_of(broken))

    def process_counting_sale_creations(self, refuse_bulk):
        """Process the waiting events: (the number of sales of each creation call, whether
        each event was stored with its sale looked up already)."""
        Sale = type(self.env["hotmart.sale"])
        create, store = Sale._create_webhook_sales, Sale._store_webhook_sale
        calls, found = [], []

        def creating(sale_model, backend, events, currencies=None):
            calls.append(len(events))
            if refuse_bulk and len(events) > 1:
                raise ValueError("Odoo refused one of them")
            return create(sale_model, backend, events, currencies)

        def storing(sale_model, backend, event, data, sale=None, currencies=None):
            found.append(bool(sale))
            return store(sale_model, backend, event, data, sale=sale, currencies=currencies)

        with (
            patch.object(Sale, "_create_webhook_sales", creating),
            patch.object(Sale, "_store_webhook_sale", storing),
        ):
            self.process()
        return calls, found

    def storing_fails_for(self, transaction, error):
        """A patch under which storing an event of ``transaction`` raises ``error``."""
        Sale = type(self.env["hotmart.sale"])
        store = Sale._store_webhook_sale

        def storing(sale_model, backend, event, data, **kwargs):
            if event.sale.transaction == transaction:
                raise error
            return store(sale_model, backend, event, data, **kwargs)

        return patch.object(Sale, "_store_webhook_sale", storing)

    def test_a_batch_that_fails_whole_is_processed_event_by_event(self):
        payloads, final = self.sandbox_events(4, seed=13)
        for payload in payloads:
            self.store(payload)
        Processor = type(self.env["hotmart.webhook.processor"])
        real = Processor._process_purchases

        def breaking_in_bulk(processor, backend, purchases):
            if len(purchases) > 1:  # something only a batch meets: each event goes alone
                raise RuntimeError("bulk path broke")
            return real(processor, backend, purchases)

        with patch.object(Processor, "_process_purchases", breaking_in_bulk):
            self.process()
        sales = self.env["hotmart.sale"].search([("transaction", "in", list(final))])
        self.assertEqual(len(sales.sale_order_id), 4)
        self.assertFalse(self.events().filtered(lambda e: e.state in ("pending", "failed")))

    def test_refund_cancels_the_order_within_one_processing(self):
        self.post(load_fixture("webhook_purchase_approved.json"))
        self.process()
        order = self.order_of("HP2002000000001")
        self.assertEqual(order.state, "sale")
        self.post(load_fixture("webhook_purchase_refunded.json"))
        self.process()
        self.assertEqual(order.state, "cancel")
        body = order.message_ids.sorted("id")[-1].body
        self.assertIn("Approved (paid) → Refunded (webhook Purchase refunded)", body)

    def test_real_buyers_become_contacts_with_their_phone_country_and_document(self):
        self.backend.eur_rate = 6.0
        for fixture in (
            "webhook_purchase_approved_ddd.json",
            "webhook_purchase_approved_abroad.json",
            "webhook_purchase_approved_dni.json",
        ):
            self.post(load_fixture(fixture))
        self.process()
        # Hotmart's docs: DDD 31 and the number, a buyer in Belo Horizonte, not +31
        belo_horizonte = self.order_of("HP2002000000101").partner_id
        self.assertEqual(
            (belo_horizonte.phone, belo_horizonte.city), ("+5531999999999", "Belo Horizonte")
        )
        # no address, only the checkout's country; the country code inside the number
        chile = self.order_of("HP2002000000102").partner_id
        self.assertEqual((chile.country_id.code, chile.phone), ("CL", "+56221234567"))
        spain = self.env["hotmart.sale"].search([("transaction", "=", "HP2002000000103")])
        self.assertEqual((spain.buyer_document_type, spain.buyer_document), ("DNI", "12345678Z"))
        buyer = spain.sale_order_id.partner_id
        self.assertEqual((buyer.country_id.code, buyer.phone), ("ES", "+34612345678"))
        self.assertFalse(buyer.vat)  # a DNI is kept on the sale, never taken for a CPF

    def test_events_are_applied_in_hotmart_order(self):
        # delivered refund first, approval second: both wait, processing follows creation_date
        self.post(load_fixture("webhook_purchase_refunded.json"))
        self.post(load_fixture("webhook_purchase_approved.json"))
        self.process()
        order = self.order_of("HP2002000000001")
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.hotmart_status, "REFUNDED")

    def test_late_old_event_never_reopens_a_refund(self):
        self.post(load_fixture("webhook_purchase_approved.json"))
        self.process()
        self.post(load_fixture("webhook_purchase_refunded.json"))
        self.process()
        complete = load_fixture("webhook_purchase_complete.json")
        complete["creation_date"] = 1794100000000  # said before the refund, arrives after it
        self.post(complete)
        self.process()
        order = self.order_of("HP2002000000001")
        self.assertEqual(order.state, "cancel")
        stale = self.Event.search([("event", "=", "PURCHASE_COMPLETE")])
        self.assertEqual(stale.state, "ignored")
        self.assertIn("Older than the sale's current status", stale.result)

    def test_complete_locks_and_protest_asks_a_person(self):
        self.post(load_fixture("webhook_purchase_approved.json"))
        self.post(load_fixture("webhook_purchase_protest.json"))
        self.process()
        order = self.order_of("HP2002000000001")
        self.assertEqual(order.hotmart_status, "PROTESTED")
        self.assertTrue(order.activity_ids)
        self.post(load_fixture("webhook_purchase_complete.json"))
        self.process()
        self.assertTrue(order.locked)

    def test_failed_event_can_be_processed_again(self):
        self.post(load_fixture("webhook_purchase_canceled.json"))  # a USD sale
        self.backend.usd_rate = 0.0  # and Odoo has no USD rate either: it cannot be converted
        self.env["res.currency.rate"].search([("currency_id.name", "=", "USD")]).unlink()
        self.backend.status_mapping_ids.filtered(
            lambda m: m.hotmart_status == "CANCELLED"
        ).import_order = True
        self.process()
        event = self.events()
        self.assertIn("No exchange rate for USD", event.result)
        self.backend.usd_rate = 5.0
        event.action_process_again()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.order_of("HP2002000000003").state, "cancel")

    def test_event_list_action_exists_for_managers(self):
        action = self.env.ref("hotmart_connector.hotmart_webhook_event_action")
        self.assertEqual(action.res_model, "hotmart.webhook.event")
        server_action = self.env.ref("hotmart_connector.hotmart_webhook_event_action_process")
        self.assertEqual(server_action.binding_model_id.model, "hotmart.webhook.event")


@tagged("post_install", "-at_install")
class TestWebhookFromSandbox(FakeHttpMixin, HttpCase):
    """A refund on 'Hotmart' (the sandbox) reaches Odoo as a real HTTP postback."""

    def test_refund_on_hotmart_cancels_the_order(self):
        sell_in_reais(self.env)
        sandbox = HotmartStandIn(data=StandInData(sales=30, seed=4, currencies={"BRL": 1})).start()
        self.addCleanup(sandbox.stop)
        backend = self.env["hotmart.backend"].create(
            {
                "name": "Sandbox",
                **sandbox.account_values(),
                "hottok": "sandbox-hottok",
                "import_since": "2020-01-01 00:00:00",
            }
        )
        backend.action_test_connection()
        backend.action_receive_orders()
        sale = self.env["hotmart.sale"].search(
            [("backend_id", "=", backend.id), ("status", "=", "APPROVED")], limit=1
        )
        order = sale.sale_order_id
        self.assertEqual(order.state, "sale")
        sandbox.webhook_url = f"{self.base_url()}/hotmart/webhook/{backend.id}"

        answer = self.opener.post(
            f"{sandbox.url}/standin/sales/{sale.transaction}",
            json={"status": "REFUNDED"},
            timeout=30,
        ).json()

        self.assertEqual(answer.get("webhook_status"), 200, answer)
        self.env["hotmart.webhook.event"]._cron_process_webhooks()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.hotmart_status, "REFUNDED")

    def test_subscription_changes_on_hotmart_reach_odoo(self):
        """A cancellation, a plan switch and a new charge date, each sent by the sandbox as a
        real postback, change the subscription the daily sync stored."""
        sell_in_reais(self.env)
        data = StandInData(sales=60, seed=4, currencies={"BRL": 1})
        sandbox = HotmartStandIn(data=data).start()
        self.addCleanup(sandbox.stop)
        backend = self.env["hotmart.backend"].create(
            {"name": "Sandbox", **sandbox.account_values(), "hottok": "sandbox-hottok"}
        )
        backend.action_test_connection()
        backend.action_sync_subscriptions()
        codes = sorted(data.subscriptions)
        self.assertEqual(sorted(backend.subscription_ids.mapped("subscriber_code")), codes)
        sandbox.webhook_url = f"{self.base_url()}/hotmart/webhook/{backend.id}"
        Subscription = self.env["hotmart.subscription"]

        def change(code, **body):
            url = f"{sandbox.url}/standin/subscriptions/{code}"
            answer = self.opener.post(url, json=body, timeout=30).json()
            self.assertEqual(answer.get("webhook_status"), 200, answer)
            self.env["hotmart.webhook.event"]._cron_process_webhooks()
            return Subscription.search(
                [("backend_id", "=", backend.id), ("subscriber_code", "=", code)]
            )

        first, second = codes[0], codes[1]
        self.assertEqual(change(first, action="cancel").status, "CANCELLED_BY_CUSTOMER")
        self.assertEqual(
            change(second, action="switch_plan", plan="yearly").plan_name, "Plano Anual"
        )
        moved = change(second, action="charge_date", date_next_charge=1798761600000)
        self.assertEqual(moved.date_next_charge.date().isoformat(), "2027-01-01")
        events = self.env["hotmart.webhook.event"].search([("backend_id", "=", backend.id)])
        self.assertEqual(set(events.mapped("state")), {"done"})
        backend.action_sync_subscriptions()  # the sync agrees, and tells the new plan's period
        self.assertEqual(moved.period_days, 365)
        self.assertEqual(
            Subscription.search([("subscriber_code", "=", first)]).status, "CANCELLED_BY_CUSTOMER"
        )
