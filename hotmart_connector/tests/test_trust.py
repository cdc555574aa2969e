"""No role can steer the connector, credentials go only where an administrator says, raw
payloads do not outlive their retention, and orders follow Hotmart level-triggered."""

import json
from datetime import datetime
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import responses
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from ..hotmart.client import to_epoch_ms
from .common import SALES_URL, HotmartCase, HotmartReceiveCase, load_fixture

# Every field a person could use to make the connector act on something else.
SALE_VALUES = {
    "payload": {"source": "rest", "history": {"purchase": {"transaction": "FORGED"}}},
    "transaction": "FORGED",
    "status": "REFUNDED",
    "status_date": "2030-01-01 00:00:00",
    "amount": 1.0,
    "order_date": "2020-01-01 00:00:00",
    "buyer_email": "victim@example.com",
    "buyer_document": "52998224725",
    "hotmart_product_id": "999",
    "state": "pending",
    "error": "forged",
}


@tagged("post_install", "-at_install")
class TestRoles(HotmartReceiveCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env, login="hm_role_user", groups="hotmart_connector.group_hotmart_user"
        )
        cls.manager = new_test_user(
            cls.env, login="hm_role_manager", groups="hotmart_connector.group_hotmart_manager"
        )
        cls.other_order = cls.env["sale.order"].create(
            {"partner_id": cls.env["res.partner"].create({"name": "Somebody Else"}).id}
        )

    def setUp(self):
        super().setUp()
        self.fake_hotmart()
        self.sales = self.backend._fetch_sales(*self.window, statuses=["APPROVED"])

    def test_no_hotmart_role_writes_what_the_connector_acts_on(self):
        sale = self.sales[0]
        other_backend = self.env["hotmart.backend"].create({"name": "Other"})
        values = dict(
            SALE_VALUES,
            backend_id=other_backend.id,
            sale_order_id=self.other_order.id,
            currency_id=self.env.ref("base.USD").id,
        )
        for person in (self.user, self.manager):
            for name, value in values.items():
                with self.subTest(person=person.login, field=name), self.assertRaises(AccessError):
                    sale.with_user(person).write({name: value})
            with self.subTest(person=person.login, op="create"), self.assertRaises(AccessError):
                self.env["hotmart.sale"].with_user(person).create(
                    {"backend_id": self.backend.id, "transaction": "FORGED2"}
                )
            with self.subTest(person=person.login, op="unlink"), self.assertRaises(AccessError):
                sale.with_user(person).unlink()
        self.assertNotEqual(sale.transaction, "FORGED")
        self.assertFalse(sale.sale_order_id)

    def test_a_user_without_sales_rights_keeps_the_actions(self):
        self.assertFalse(self.user.has_group("sales_team.group_sale_salesman"))
        sales = self.sales.with_user(self.user)
        pending = sales.filtered(lambda s: s.state == "pending")
        pending[0].action_ignore()
        self.assertEqual(pending[0].state, "ignored")
        pending[0].action_reset()
        self.assertEqual(pending[0].state, "pending")
        sales.action_receive()
        self.assertEqual(set(self.sales.mapped("state")), {"done"})

    def test_nobody_rebinds_an_order_to_a_hotmart_sale(self):
        self.sales.action_receive()
        order = self.sales[0].sale_order_id
        salesman = new_test_user(
            self.env,
            login="hm_sales_manager",
            groups="sales_team.group_sale_manager,hotmart_connector.group_hotmart_manager",
        )
        forged = {
            "hotmart_sale_id": self.sales[0].id,
            "hotmart_amount": 1.0,
            "hotmart_currency_id": self.env.ref("base.USD").id,
            "hotmart_applied_status": "REFUNDED",
            "hotmart_refused_status": "REFUNDED",
        }
        for name, value in forged.items():
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.other_order.with_user(salesman).write({name: value})
            with self.subTest(field=name, op="create"), self.assertRaises(AccessError):
                self.env["sale.order"].with_user(salesman).create(
                    {"partner_id": order.partner_id.id, name: value}
                )
        # the order's own fields stay a salesperson's to edit
        order.with_user(salesman).write({"note": "Called the buyer"})
        self.assertFalse(self.other_order.hotmart_sale_id)

    def test_webhook_events_are_read_only_but_processed_again_by_users(self):
        event, _new = self.env["hotmart.webhook.event"]._store_delivery(
            self.backend, json.dumps(load_fixture("webhook_purchase_approved.json")).encode()
        )
        for person in (self.user, self.manager):
            for name, value in {"payload": "{}", "state": "done", "event_uid": "x"}.items():
                with self.subTest(person=person.login, field=name), self.assertRaises(AccessError):
                    event.with_user(person).write({name: value})
        event.with_user(self.user).action_process_again()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.sale_id.sale_order_id.state, "sale")

    def test_defaults_and_anchors_cannot_steer_either(self):
        self.sales.action_receive()
        salesman = new_test_user(
            self.env,
            login="hm_anchor_salesman",
            groups="sales_team.group_sale_manager,base.group_partner_manager",
        )
        partner = self.sales[0].sale_order_id.partner_id
        Order = self.env["sale.order"].with_user(salesman)
        with self.assertRaises(AccessError):
            Order.with_context(default_hotmart_sale_id=self.sales[0].id).create(
                {"partner_id": partner.id}
            )
        with self.assertRaises(AccessError):
            self.other_order.with_user(salesman).write({"hotmart_transaction": "HP1"})
        mine = self.env["res.partner"].with_user(salesman).create({"name": "Mine"})
        for name in ("hotmart_buyer_ucode", "hotmart_buyer_email"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                mine.write({name: partner[name] or "x@example.com"})
        with self.assertRaises(AccessError):
            self.env["product.template"].with_user(salesman).create(
                {"name": "Hijack", "hotmart_product_id": "2345678"}
            )

    def test_the_callers_context_does_not_reach_the_connector(self):
        sneaky = self.env["res.partner"].create({"name": "Invoice me instead"})
        self.sales.with_user(self.user).with_context(
            default_partner_invoice_id=sneaky.id, default_note="injected", hotmart_commit=True
        ).action_receive()
        orders = self.sales.sale_order_id
        self.assertEqual(len(orders), len(self.sales))
        self.assertNotIn(sneaky, orders.partner_invoice_id)
        self.assertFalse(any(orders.mapped("note")))

    def test_account_actions_check_the_role(self):
        for method in ("action_apply_mapping", "action_receive_products", "action_test_connection"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(self.backend.with_user(self.user), method)()
        outsider = new_test_user(self.env, login="hm_no_role", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.backend.with_user(outsider).action_receive_orders()

    def test_a_buyer_never_binds_to_an_employee(self):
        """A buyer typing an employee's e-mail gets a contact of their own."""
        employee = new_test_user(
            self.env, login="hm_employee", email="ana.souza@example.com", groups="base.group_user"
        )
        self.sales.action_receive()
        sale = self.sale("HP1001000000001")
        self.assertEqual(sale.buyer_email.lower(), "ana.souza@example.com")
        self.assertNotEqual(sale.sale_order_id.partner_id, employee.partner_id)
        self.assertNotEqual(sale.sale_order_id.partner_id, self.env.company.partner_id)


@tagged("post_install", "-at_install")
class TestWhereCredentialsGo(HotmartCase):
    def setUp(self):
        super().setUp()
        self.manager = new_test_user(
            self.env, login="hm_url_manager", groups="hotmart_connector.group_hotmart_manager"
        )

    def test_a_manager_neither_reads_nor_changes_the_urls(self):
        backend = self.backend.with_user(self.manager)
        for name in ("api_url", "auth_url"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                backend.write({name: "https://collector.example.net"})
            with self.subTest(field=name, op="read"), self.assertRaises(AccessError):
                backend.read([name])
        # the environment stays theirs: it only switches between Hotmart's own hosts
        backend.write({"environment": "production"})
        self.assertEqual(self.backend.api_url, "https://developers.hotmart.com")

    def test_only_https_or_loopback(self):
        refused = [
            "http://collector.example.net",
            "http://10.0.0.5:8080",
            "ftp://developers.hotmart.com",
            "https://developers.hotmart.com/collect",
            "https://user:pass@developers.hotmart.com",
            "https://developers.hotmart.com?x=1",
            "developers.hotmart.com",
            "https://host:port",
        ]
        for url in refused:
            for name in ("api_url", "auth_url"):
                with self.subTest(url=url, field=name), self.assertRaises(ValidationError):
                    self.backend.write({name: url})
        accepted = [
            "https://developers.hotmart.com",
            "https://sandbox.hotmart.com/",
            "http://127.0.0.1:8069",
            "http://127.0.0.2",
            "http://localhost:9999",
            "http://[::1]:8080",
        ]
        for url in accepted:
            with self.subTest(url=url):
                self.backend.write({"api_url": url, "auth_url": url})

    def test_no_way_around_the_field_rights(self):
        Backend = self.env["hotmart.backend"].with_user(self.manager)
        sneaky = {"api_url": "https://collector.example.net"}
        with self.assertRaises(AccessError):
            Backend.create({"name": "Mine", **sneaky})
        with self.assertRaises(AccessError):
            Backend.with_context(default_api_url=sneaky["api_url"]).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.backend.with_user(self.manager).copy(default=sneaky)
        now = fields.Datetime.now()
        for values in (
            {"last_connection_date": now},
            {"state": "active"},
            {"last_sync_date": now},
            {"last_subscription_sync_date": now},
            {"last_error": False, "last_error_run": False},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                self.backend.with_user(self.manager).write(values)
        # a plain copy is fine: it goes to Hotmart's own hosts, and must connect again
        copy = self.backend.with_user(self.manager).copy()
        self.assertEqual(copy.sudo().api_url, "https://sandbox.hotmart.com")
        self.assertEqual(copy.state, "not_configured")
        self.backend.api_url = "  http://127.0.0.1:8999/ "
        self.assertEqual(self.backend.api_url, "http://127.0.0.1:8999")

    def test_a_changed_url_needs_a_new_test_connection(self):
        self.backend.last_connection_date = fields.Datetime.now()
        self.assertEqual(self.backend.state, "active")
        self.backend.api_url = "http://127.0.0.1:8999"
        self.assertEqual(self.backend.state, "not_installed")
        self.assertFalse(self.backend.last_connection_date)


@tagged("post_install", "-at_install")
class TestPayloadRetention(HotmartReceiveCase):
    def setUp(self):
        super().setUp()
        self.fake_hotmart()
        self.sales = self.backend._fetch_sales(*self.window, statuses=["APPROVED"])

    def backdate(self, record, **values):
        record.flush_recordset()
        for name, value in values.items():
            self.env.cr.execute(
                f"UPDATE {record._table} SET {name} = %s WHERE id = %s",  # noqa: S608
                [value, record.id],
            )
        record.invalidate_recordset()

    def test_autovacuum_blanks_old_settled_payloads_and_keeps_the_rest(self):
        self.assertEqual(self.backend.payload_retention_days, 90)
        old_done = self.sale("HP1001000000001")  # ordered 2026-11-02
        old_pending = self.sale("HP1001000000003")  # ordered 2026-11-03, never received
        recent_done = self.sale("HP1001000000004")  # ordered 2026-11-04
        (old_done | recent_done).action_receive()
        old_failed = self.sale("HP1001000000002")  # ordered 2026-10-20
        old_failed.write({"state": "failed", "error": "a reason"})
        not_imported = self.backend._fetch_sales(*self.window, statuses=["REFUNDED"])
        self.assertEqual(not_imported.state, "not_imported")  # refunded: never received
        Event = self.env["hotmart.webhook.event"]
        processed, _new = Event._store_delivery(
            self.backend, json.dumps(load_fixture("webhook_purchase_approved.json")).encode()
        )
        processed._process_now()
        failed, _new = Event._store_delivery(self.backend, b"not json")
        for event in processed | failed:
            self.backdate(event, received_date=datetime(2026, 10, 1))
        self.assertEqual((processed.state, failed.state), ("done", "failed"))
        email, amount = old_done.buyer_email, old_done.amount

        with freeze_time("2027-02-02 00:00:00"):  # 91 days after 2026-11-02, 90 after 11-04
            self.env["hotmart.backend"]._gc_raw_payloads()

        self.assertFalse(old_done.payload)
        self.assertEqual((old_done.buyer_email, old_done.amount), (email, amount))
        self.assertEqual(old_done.sale_order_id.hotmart_transaction, old_done.transaction)
        self.assertTrue(recent_done.payload, "within the retention period")
        self.assertTrue(old_pending.payload, "not received yet: still needed")
        self.assertTrue(old_failed.payload, "to be received again: still needed")
        self.assertFalse(not_imported.payload, "its status is not imported: nothing needs it")
        self.assertFalse(processed.payload)
        self.assertEqual(processed.event, "PURCHASE_APPROVED")
        self.assertTrue(failed.payload, "a failed event is kept for a person to look at")
        self.assertNotIn(self.backend.hottok, processed.payload or "")
        with freeze_time("2027-02-02 00:00:00"):
            # reading the old sale again from Hotmart does not bring its personal data back
            self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
            self.assertFalse(old_done.payload)
            # and the retention is the account's to set
            self.backend.payload_retention_days = 200
            self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
            self.assertTrue(old_done.payload)
        with self.assertRaises(ValidationError):
            self.backend.payload_retention_days = 0

    def test_autovacuum_is_registered(self):
        method = self.env["hotmart.backend"]._gc_raw_payloads
        self.assertTrue(getattr(method, "_autovacuum", False))


@tagged("post_install", "-at_install")
class TestLevelTriggeredStatus(HotmartReceiveCase):
    def setUp(self):
        super().setUp()
        self.fake_hotmart()
        self.sales = self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        self.sales.action_receive()
        self.sale_1 = self.sale("HP1001000000001")
        self.order = self.sale_1.sale_order_id

    def rest_says(self, status, sale=None):
        """The status sync reads ``sale`` from /sales/history with ``status``."""
        item = self.history_item(sale or self.sale_1, status)
        self.env["hotmart.sale"]._store_history_page(self.backend, [item], cause="the status sync")

    def history_item(self, sale, status):
        item = dict(sale.payload["history"])
        item["purchase"] = dict(item["purchase"], status=status)
        return item

    def notes(self, order):
        return order.message_ids.sorted("id").mapped("body")

    def sync_with(self, pages_by_status):
        """Run the sync cron against a Hotmart that filters by order date, as Hotmart does."""

        def callback(request):
            query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
            items = [
                item
                for item in pages_by_status.get(query.get("transaction_status"), [])
                if int(query["start_date"])
                <= item["purchase"]["order_date"]
                <= int(query["end_date"])
            ]
            return (200, {}, json.dumps({"items": items, "page_info": {}}))

        self.http.reset()
        self.http.add(
            responses.POST,
            "https://api-sec-vlc.hotmart.com/security/oauth/token",
            json=load_fixture("oauth_token.json"),
        )
        self.http.add_callback(responses.GET, SALES_URL + "history", callback=callback)
        self.http.add_callback(
            responses.GET,
            SALES_URL + "users",
            callback=lambda _request: (200, {}, json.dumps({"items": [], "page_info": {}})),
        )
        with freeze_time("2026-11-27 12:00:00"):
            self.env["hotmart.backend"]._cron_sync_statuses()

    def test_orders_received_by_hand_before_import_since_follow_hotmart(self):
        self.backend.import_since = "2026-11-10 00:00:00"  # after the sale was ordered
        self.assertLess(self.sale_1.order_date, self.backend.import_since)
        refunded = self.history_item(self.sale_1, "REFUNDED")
        self.sync_with({"REFUNDED": [refunded]})
        self.assertEqual(self.sale_1.status, "REFUNDED")
        self.assertEqual(self.order.state, "cancel")

    def test_the_sync_reads_unmapped_statuses_too(self):
        self.backend.status_mapping_ids.filtered(
            lambda line: line.hotmart_status == "CHARGEBACK"
        ).unlink()
        self.sync_with({"CHARGEBACK": [self.history_item(self.sale_1, "CHARGEBACK")]})
        self.assertEqual(self.order.hotmart_status, "CHARGEBACK")
        self.assertEqual(self.order.state, "sale")
        self.assertIn("No mapping for this status", self.notes(self.order)[-1])
        # a mapping fixed later is applied by the button, and by the next sync
        self.backend.action_add_default_statuses()
        result = self.backend.action_apply_mapping()
        self.assertEqual(self.order.state, "cancel")
        self.assertEqual(self.order.hotmart_applied_status, "CHARGEBACK")
        self.assertIn("1 order follows its Hotmart status now.", result["params"]["message"])

    def test_allow_going_back_switched_on_moves_a_refused_order(self):
        self.rest_says("REFUNDED")
        self.assertEqual(self.order.state, "cancel")
        self.rest_says("APPROVED")
        self.assertEqual(self.order.state, "cancel")
        refusals = [n for n in self.notes(self.order) if "Allow Going Back is off" in n]
        self.assertEqual(len(refusals), 1)
        # the next syncs read the same status: the refusal is not told again
        self.rest_says("APPROVED")
        self.rest_says("APPROVED")
        refusals = [n for n in self.notes(self.order) if "Allow Going Back is off" in n]
        self.assertEqual(len(refusals), 1)
        self.backend.allow_status_regression = True
        self.rest_says("APPROVED")  # nothing new from Hotmart: level, not edge
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(self.order.hotmart_applied_status, "APPROVED")

    def test_apply_mapping_now_after_allowing_going_back(self):
        self.rest_says("REFUNDED")
        self.rest_says("APPROVED")
        self.assertEqual(self.order.state, "cancel")
        self.backend.allow_status_regression = True
        self.backend.action_apply_mapping()
        self.assertEqual(self.order.state, "sale")

    def test_a_persons_change_stays_until_hotmart_changes(self):
        self.order._action_cancel()
        self.rest_says("APPROVED")
        self.backend.action_apply_mapping()
        self.assertEqual(self.order.state, "cancel", "a person cancelled it: left alone")
        self.rest_says("COMPLETE")
        self.assertEqual(self.order.hotmart_status, "COMPLETE")
        self.assertIn("Allow Going Back is off", self.notes(self.order)[-1])
        self.backend.allow_status_regression = True
        self.rest_says("COMPLETE")
        self.assertEqual((self.order.state, self.order.locked), ("sale", True))

    def test_an_unchanged_sync_writes_nothing(self):
        self.rest_says("APPROVED")
        self.env.flush_all()
        queries = []
        execute = self.env.cr.execute

        def recording(query, params=None, log_exceptions=True):
            queries.append(str(query))
            return execute(query, params, log_exceptions)

        with patch.object(self.env.cr, "execute", side_effect=recording):
            self.rest_says("APPROVED")
            self.env.flush_all()
        self.assertTrue(queries)
        writes = [q for q in queries if q.lstrip().upper().startswith(("UPDATE", "INSERT"))]
        self.assertFalse(writes, "an unchanged sale was written")

    def test_sync_reads_only_its_window(self):
        """The window is the last days: sales ordered before are not asked about."""
        self.sync_with({"REFUNDED": [self.history_item(self.sale_1, "REFUNDED")]})
        self.assertEqual(self.order.state, "cancel")
        old = self.history_item(self.sale("HP1001000000002"), "REFUNDED")
        old["purchase"]["order_date"] = to_epoch_ms(datetime(2026, 9, 1))
        self.sync_with({"REFUNDED": [old]})
        self.assertEqual(self.sale("HP1001000000002").status, "COMPLETE")
