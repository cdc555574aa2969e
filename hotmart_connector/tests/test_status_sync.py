from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from ..const import SALE_STATUS_CODES
from .common import HotmartReceiveCase, load_fixture

HISTORY_URL = "https://sandbox.hotmart.com/payments/api/v1/sales/history"


@tagged("post_install", "-at_install")
class TestStatusSync(HotmartReceiveCase):
    def setUp(self):
        super().setUp()
        self.fake_hotmart()
        self.sales = self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        self.sales.action_receive()
        self.approved = self.sale("HP1001000000001")  # confirmed order
        self.complete = self.sale("HP1001000000002")  # confirmed and locked order

    def hotmart_says(self, sale, status, cause="status sync", minutes_later=1):
        said_at = fields.Datetime.now() + timedelta(minutes=minutes_later)
        sale._update_from_hotmart({"status": status, "status_date": said_at})
        sale._apply_status_to_orders(cause)

    def last_note(self, order):
        return order.message_ids.sorted("id")[-1].body

    def test_refund_cancels_the_order_and_says_why(self):
        order = self.approved.sale_order_id
        self.hotmart_says(self.approved, "REFUNDED", cause="webhook PURCHASE_REFUNDED")
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.hotmart_status, "REFUNDED")
        note = self.last_note(order)
        self.assertIn("Hotmart status Approved (paid) → Refunded (webhook PURCHASE_REFUNDED)", note)
        self.assertIn("Order Sales Order → Cancelled", note)

    def test_chargeback_cancels_a_locked_order(self):
        order = self.complete.sale_order_id
        self.assertTrue(order.locked)
        self.hotmart_says(self.complete, "CHARGEBACK")
        self.assertEqual(order.state, "cancel")

    def test_complete_locks(self):
        order = self.approved.sale_order_id
        self.hotmart_says(self.approved, "COMPLETE")
        self.assertEqual((order.state, order.locked), ("sale", True))

    def test_no_going_back_by_default(self):
        order = self.approved.sale_order_id
        self.hotmart_says(self.approved, "REFUNDED")
        self.hotmart_says(self.approved, "APPROVED", minutes_later=2)
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.hotmart_status, "APPROVED")
        self.assertIn("Allow Going Back is off", self.last_note(order))

    def test_going_back_when_allowed(self):
        self.backend.allow_status_regression = True
        order = self.approved.sale_order_id
        self.hotmart_says(self.approved, "REFUNDED")
        self.hotmart_says(self.approved, "APPROVED", minutes_later=2)
        self.assertEqual(order.state, "sale")  # back to quotation, confirmed again
        self.assertIn("Order Cancelled → Sales Order", self.last_note(order))
        locked = self.complete.sale_order_id
        self.hotmart_says(self.complete, "APPROVED")
        self.assertEqual((locked.state, locked.locked), ("sale", False))
        self.hotmart_says(self.complete, "PRINTED_BILLET", minutes_later=2)
        self.assertEqual(locked.state, "draft")

    def test_status_without_mapping_changes_nothing_but_the_status(self):
        self.backend.status_mapping_ids.filtered(lambda m: m.hotmart_status == "EXPIRED").unlink()
        order = self.approved.sale_order_id
        self.hotmart_says(self.approved, "EXPIRED")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.hotmart_status, "EXPIRED")
        self.assertIn("No mapping for this status: order unchanged", self.last_note(order))

    def test_dispute_leaves_an_activity_for_the_salesperson(self):
        order = self.approved.sale_order_id
        self.hotmart_says(self.approved, "PROTESTED")
        self.assertEqual(order.state, "sale")
        activity = order.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.summary, "Disputed on Hotmart")  # a label, not a code

    def test_invoiced_order_is_not_cancelled_and_says_what_to_do(self):
        order = self.approved.sale_order_id
        invoice = order._create_invoices()
        invoice.action_post()
        self.hotmart_says(self.approved, "REFUNDED")
        self.assertEqual(order.state, "sale")
        note = self.last_note(order)
        self.assertIn("has posted invoices", note)
        self.assertIn("credit note", note)
        self.assertTrue(order.activity_ids)

    def test_older_news_never_overrides_a_newer_status(self):
        order = self.approved.sale_order_id
        self.hotmart_says(self.approved, "REFUNDED", minutes_later=10)
        self.hotmart_says(self.approved, "APPROVED", minutes_later=5)
        self.assertEqual(self.approved.status, "REFUNDED")
        self.assertEqual(order.state, "cancel")

    def test_sync_cron_window_statuses_and_pages_only(self):
        self.http.calls.reset()
        self.backend.write({"import_since": "2026-01-01 00:00:00", "sync_lookback_days": 30})
        with freeze_time("2026-11-27 12:00:00"):
            self.env["hotmart.backend"]._cron_sync_statuses()
        history = [
            parse_qs(urlsplit(c.request.url).query)
            for c in self.http.calls
            if c.request.url.startswith(HISTORY_URL)
        ]
        asked = sorted(q["transaction_status"][0] for q in history)
        # every Hotmart status, mapped or not, so that the status shown never goes stale:
        # one call each, plus the second page of APPROVED: pages only
        self.assertEqual(asked, sorted(list(SALE_STATUS_CODES) + ["APPROVED"]))
        self.assertEqual({q["start_date"][0] for q in history}, {"1793188800000"})  # 30 days back
        self.assertEqual({q["end_date"][0] for q in history}, {"1795780800000"})

    def test_sync_window_ignores_import_since(self):
        """Receive Sales Since limits automatic receiving only: the sync reads its whole
        window, so that orders received by hand from before it keep following Hotmart."""
        self.http.calls.reset()
        self.backend.write({"import_since": "2026-11-20 00:00:00", "sync_lookback_days": 30})
        with freeze_time("2026-11-27 12:00:00"):
            self.env["hotmart.backend"]._cron_sync_statuses()
        starts = {
            parse_qs(urlsplit(c.request.url).query)["start_date"][0]
            for c in self.http.calls
            if c.request.url.startswith(HISTORY_URL)
        }
        self.assertEqual(starts, {"1793188800000"})  # 30 days back, not 2026-11-20

    def test_sync_applies_refunds_and_receives_boletos_paid_late(self):
        refunded = load_fixture("sales_history_page1.json")
        refunded["items"] = [refunded["items"][0]]
        refunded["items"][0]["purchase"]["status"] = "REFUNDED"
        refunded["page_info"] = {"total_results": 1}
        paid_boleto = load_fixture("sales_history_printed_billet.json")
        self.backend._fetch_sales(*self.window, statuses=["PRINTED_BILLET"])
        boleto = self.sale("HP1001000000007")
        # nothing receives a printed boleto: it says so until it is paid
        self.assertEqual((boleto.state, boleto.sale_order_id.id), ("not_imported", False))
        paid_boleto["items"][0]["purchase"]["status"] = "APPROVED"
        self.http.reset()
        self.http.add(
            "POST",
            "https://api-sec-vlc.hotmart.com/security/oauth/token",
            json=load_fixture("oauth_token.json"),
        )
        self.fake_hotmart(history={"REFUNDED": [refunded], "APPROVED": [paid_boleto]}, users={})
        self.backend.import_since = "2026-01-01 00:00:00"
        with freeze_time("2026-11-27 12:00:00"):
            self.env["hotmart.backend"]._cron_sync_statuses()
        self.assertEqual(self.approved.sale_order_id.state, "cancel")
        self.assertIn(
            "(the status sync)", self.approved.sale_order_id.message_ids.sorted("id")[-1].body
        )
        self.assertEqual(boleto.status, "APPROVED")
        self.assertEqual(boleto.sale_order_id.state, "sale")
        self.assertEqual(boleto.sale_order_id.amount_total, 1997.0)

    def test_scheduled_actions_are_shipped_active(self):
        sync = self.env.ref("hotmart_connector.ir_cron_sync_statuses")
        self.assertTrue(sync.active)
        self.assertEqual((sync.interval_number, sync.interval_type), (1, "hours"))
        self.assertTrue(self.env.ref("hotmart_connector.ir_cron_process_webhooks").active)
