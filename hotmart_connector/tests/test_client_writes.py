"""Hotmart's write calls and sales summary through the client, against HTTP faked with
`responses`: each write is sent once, whatever fails after it left; answers are read once."""

from decimal import Decimal

import requests
import responses

from odoo.tests import BaseCase, tagged

from ..hotmart.actions import parse_batch_answer, parse_sales_summary
from ..hotmart.client import HotmartClient
from ..hotmart.exceptions import (
    HotmartBadPayloadError,
    HotmartBadRequestError,
    HotmartTransientError,
)
from .common import FakeHotmartMixin, load_fixture
from .test_client import API, AUTH, BASIC, SECRET, TOKEN_URL, FakeClock

SUBSCRIPTIONS = API + "/payments/api/v1/subscriptions"
REFUND_URL = API + "/payments/api/v1/sales/HP17715690036014/refund"
SUMMARY_URL = API + "/payments/api/v1/sales/summary"


@tagged("post_install", "-at_install")
class TestHotmartWrites(FakeHotmartMixin, BaseCase):
    def setUp(self):
        super().setUp()
        self.clock = FakeClock()
        self.client = HotmartClient(
            "client-id",
            SECRET,
            f"Basic {BASIC}",
            api_url=API,
            auth_url=AUTH,
            sleep=self.clock.sleep,
            clock=self.clock,
            backoff=0,
        )
        self.http.add(responses.POST, TOKEN_URL, json=load_fixture("oauth_token.json"))

    def calls(self, url):
        return [c for c in self.http.calls if c.request.url.split("?")[0] == url]

    def test_refund_is_a_put_without_body_and_an_empty_answer_is_done(self):
        self.http.add(responses.PUT, REFUND_URL, body=b"")
        self.assertEqual(self.client.refund_sale("HP17715690036014"), {})
        (call,) = self.calls(REFUND_URL)
        self.assertFalse(call.request.body)
        self.assertTrue(call.request.headers["Authorization"].startswith("Bearer "))

    def test_a_write_answered_2xx_with_an_unreadable_body_is_done(self):
        self.http.add(responses.PUT, REFUND_URL, body=b"<html>ok</html>")
        self.assertEqual(self.client.refund_sale("HP17715690036014"), {})

    def test_a_server_failure_after_sending_is_not_sent_again(self):
        self.http.add(responses.PUT, REFUND_URL, status=503)
        with self.assertRaises(HotmartTransientError):
            self.client.refund_sale("HP17715690036014")
        self.assertEqual(len(self.calls(REFUND_URL)), 1)

    def test_a_post_write_is_not_sent_again_after_a_server_failure(self):
        url = SUBSCRIPTIONS + "/cancel"
        self.http.add(responses.POST, url, status=500)
        with self.assertRaises(HotmartTransientError):
            self.client.cancel_subscriptions(["A1", "B2"])
        self.assertEqual(len(self.calls(url)), 1)

    def test_a_timeout_after_sending_is_not_sent_again(self):
        self.http.add(responses.PUT, REFUND_URL, body=requests.ReadTimeout("slow"))
        with self.assertRaisesRegex(HotmartTransientError, "did not answer"):
            self.client.refund_sale("HP17715690036014")
        self.assertEqual(len(self.calls(REFUND_URL)), 1)

    def test_a_refused_token_is_renewed_and_the_write_sent_once_more(self):
        self.http.add(responses.PUT, REFUND_URL, status=401, json={"error": "invalid_token"})
        self.http.add(responses.PUT, REFUND_URL, json={})
        self.assertEqual(self.client.refund_sale("HP17715690036014"), {})
        self.assertEqual(len(self.calls(REFUND_URL)), 2)
        self.assertEqual(len(self.calls(TOKEN_URL)), 2)

    def test_a_refusal_keeps_hotmart_code_and_description(self):
        self.http.add(
            responses.PATCH,
            SUBSCRIPTIONS + "/A1",
            status=400,
            json={"error": "subscription_in_trial_period", "error_description": "In trial"},
        )
        with self.assertRaises(HotmartBadRequestError) as caught:
            self.client.change_charge_day("A1", 15)
        self.assertEqual(caught.exception.code, "subscription_in_trial_period")
        self.assertEqual(caught.exception.values["description"], "In trial")

    def test_one_subscription_uses_its_own_call_several_the_batch_call(self):
        self.http.add(
            responses.POST, SUBSCRIPTIONS + "/A%2F1/reactivate", json={"status": "INACTIVE"}
        )
        self.http.add(responses.POST, SUBSCRIPTIONS + "/reactivate", json={})
        self.client.reactivate_subscriptions(["A/1"], charge=True)
        self.client.reactivate_subscriptions(["A1", "B2"])
        single, batch = self.http.calls[-2:]
        self.assertEqual(single.request.body, b'{"charge": true}')
        self.assertEqual(batch.request.body, b'{"charge": false, "subscriber_code": ["A1", "B2"]}')

    def test_summary_reads_every_page(self):
        self.http.add(
            responses.GET,
            SUMMARY_URL,
            json={
                "items": [
                    {"total_items": 2, "total_value": {"value": 3.7, "currency_code": "USD"}}
                ],
                "page_info": {"next_page_token": "p2"},
            },
        )
        self.http.add(
            responses.GET,
            SUMMARY_URL,
            json={
                "items": [{"total_items": 1, "total_value": {"value": 0.3, "currency_code": "USD"}}]
            },
        )
        lines = parse_sales_summary(self.client.sales_summary(1000, 2000))
        self.assertEqual(lines["USD"].count, 3)
        self.assertEqual(lines["USD"].value, Decimal("4.0"))
        first = self.calls(SUMMARY_URL)[0]
        self.assertIn("start_date=1000", first.request.url)
        self.assertNotIn("transaction_status", first.request.url)


@tagged("post_install", "-at_install")
class TestActionAnswers(BaseCase):
    def test_batch_answer_says_what_succeeded_and_why_the_rest_failed(self):
        outcome = parse_batch_answer(
            {
                "success_subscriptions": [{"status": "INACTIVE", "subscriber_code": "A1"}],
                "fail_subscriptions": [
                    {"error": "SUBSCRIPTION_ALREADY_CANCELED_OR_OVERDUE", "subscriber_code": "B2"},
                    {"error": "OTHER", "subscriber_code": "not-asked"},
                ],
            },
            ["A1", "B2", "C3"],
        )
        self.assertEqual(outcome.succeeded, {"A1": "INACTIVE"})
        # C3 is in neither: it may have been done
        self.assertEqual(outcome.failed, {"B2": "SUBSCRIPTION_ALREADY_CANCELED_OR_OVERDUE"})

    def test_batch_answer_may_leave_an_empty_list_out(self):
        outcome = parse_batch_answer({"success_subscriptions": [{"subscriber_code": "A1"}]}, ["A1"])
        self.assertEqual(outcome.succeeded, {"A1": ""})
        self.assertFalse(outcome.failed)

    def test_a_code_reported_both_ways_is_unknown(self):
        outcome = parse_batch_answer(
            {
                "success_subscriptions": [{"subscriber_code": "A1"}],
                "fail_subscriptions": [{"subscriber_code": "A1", "error": "X"}],
            },
            ["A1"],
        )
        self.assertFalse(outcome.failed)
        self.assertFalse(outcome.succeeded)

    def test_a_broken_summary_is_refused(self):
        for items in (
            [{"total_items": 1}],
            [{"total_value": {"value": 1, "currency_code": "BRL"}}],
            ["x"],
            [{"total_items": 1, "total_value": {"value": "abc", "currency_code": "BRL"}}],
        ):
            with self.assertRaises(HotmartBadPayloadError):
                parse_sales_summary(items)
        self.assertEqual(parse_sales_summary(None), {})
