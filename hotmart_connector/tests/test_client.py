"""The Hotmart client against HTTP faked with `responses`: no database, no real sleeping."""

import json
import logging
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from odoo.tests import BaseCase, tagged

from ..hotmart.client import HotmartClient, normalize_basic, to_epoch_ms
from ..hotmart.exceptions import (
    HotmartAuthError,
    HotmartBadPayloadError,
    HotmartBadRequestError,
    HotmartRateLimitError,
    HotmartTransientError,
    HotmartWindowTooLargeError,
)
from .common import FakeHotmartMixin, load_fixture

API = "https://sandbox.hotmart.com"
AUTH = "https://api-sec-vlc.hotmart.com"
TOKEN_URL = AUTH + "/security/oauth/token"
HISTORY_URL = API + "/payments/api/v1/sales/history"
USERS_URL = API + "/payments/api/v1/sales/users"
PRODUCTS_URL = API + "/products/api/v1/products"
SECRET = "super-secret-value-42"
BASIC = "Y2xpZW50LWlkOnN1cGVyLXNlY3JldC12YWx1ZS00Mg=="
TOKEN = "H4sIAAAAAAAA_example_opaque_token_value"
WINDOW = (datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 27, tzinfo=timezone.utc))


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def query(call):
    return {key: values[0] for key, values in parse_qs(urlsplit(call.request.url).query).items()}


@tagged("post_install", "-at_install")
class TestHotmartClient(FakeHotmartMixin, BaseCase):
    def setUp(self):
        super().setUp()
        self.clock = FakeClock()
        self.client = self._client()

    def _client(self, **overrides):
        options = {
            "api_url": API,
            "auth_url": AUTH,
            "sleep": self.clock.sleep,
            "clock": self.clock,
            "backoff": 0,
        }
        options.update(overrides)
        return HotmartClient("client-id", SECRET, f"Basic {BASIC}", **options)

    def _token_ok(self, expires_in=172799):
        payload = dict(load_fixture("oauth_token.json"), expires_in=expires_in)
        return self.http.add(responses.POST, TOKEN_URL, json=payload)

    def _calls_to(self, url):
        return [c for c in self.http.calls if c.request.url.split("?")[0] == url]

    # token -----------------------------------------------------------------

    def test_token_request_follows_hotmart_oauth(self):
        self._token_ok()
        self.assertEqual(self.client.get_token(), TOKEN)
        (call,) = self.http.calls
        self.assertEqual(call.request.method, "POST")
        self.assertEqual(
            query(call),
            {"grant_type": "client_credentials", "client_id": "client-id", "client_secret": SECRET},
        )
        self.assertEqual(call.request.headers["Authorization"], f"Basic {BASIC}")
        self.assertFalse(call.request.body)

    def test_basic_is_accepted_with_or_without_its_word(self):
        for pasted in (BASIC, f"Basic {BASIC}", f"  basic   {BASIC} "):
            with self.subTest(pasted=pasted):
                self.assertEqual(normalize_basic(pasted), f"Basic {BASIC}")

    def test_token_is_reused_until_shortly_before_it_expires(self):
        self._token_ok(expires_in=3600)
        self.http.add(responses.GET, PRODUCTS_URL, json=load_fixture("products.json"))
        list(self.client.products())
        self.clock.now += 3000  # 10 minutes before expiry: still good
        list(self.client.products())
        self.assertEqual(len(self._calls_to(TOKEN_URL)), 1)
        self.clock.now += 300  # 5 minutes before expiry: renewed early
        list(self.client.products())
        self.assertEqual(len(self._calls_to(TOKEN_URL)), 2)

    def test_401_renews_the_token_and_retries_once(self):
        self._token_ok()
        self.http.add(
            responses.GET,
            PRODUCTS_URL,
            status=401,
            json=load_fixture("error_401_invalid_token.json"),
        )
        self.http.add(responses.GET, PRODUCTS_URL, json=load_fixture("products.json"))
        (page,) = list(self.client.products())
        self.assertEqual(len(page), 3)
        self.assertEqual(len(self._calls_to(TOKEN_URL)), 2)
        self.assertEqual(len(self._calls_to(PRODUCTS_URL)), 2)

    def test_second_401_is_an_authentication_error(self):
        self._token_ok()
        self.http.add(
            responses.GET,
            PRODUCTS_URL,
            status=401,
            json=load_fixture("error_401_invalid_token.json"),
        )
        with self.assertRaises(HotmartAuthError) as caught:
            list(self.client.products())
        self.assertEqual(len(self._calls_to(PRODUCTS_URL)), 2)
        self.assertNotIn("H4sI", str(caught.exception))

    def test_refused_credentials_are_an_authentication_error(self):
        self.http.add(
            responses.POST,
            TOKEN_URL,
            status=401,
            json={"error": "invalid_client", "error_description": "Bad client credentials"},
        )
        with self.assertRaisesRegex(HotmartAuthError, "refused the credentials") as caught:
            self.client.get_token()
        self.assertEqual(caught.exception.code, "invalid_client")
        self.assertEqual(len(self.http.calls), 1)

    # pages -----------------------------------------------------------------

    def test_pages_follow_the_cursor_until_it_is_absent(self):
        self._token_ok()
        self.http.add(responses.GET, HISTORY_URL, json=load_fixture("sales_history_page1.json"))
        self.http.add(responses.GET, HISTORY_URL, json=load_fixture("sales_history_page2.json"))
        pages = list(self.client.sales_history(*WINDOW))
        self.assertEqual([len(page) for page in pages], [3, 2])
        first, second = (query(c) for c in self._calls_to(HISTORY_URL))
        self.assertEqual(first["max_results"], "500")
        self.assertNotIn("page_token", first)
        self.assertEqual(second["page_token"], "eyJwYWdlIjoyfQ==")
        for params in (first, second):
            self.assertEqual(params["start_date"], str(to_epoch_ms(WINDOW[0])))
            self.assertEqual(params["end_date"], "1795737600000")
            self.assertNotIn("transaction_status", params)

    def test_page_size_is_clamped_to_500(self):
        client = self._client(page_size=5000)
        self._token_ok()
        self.http.add(responses.GET, PRODUCTS_URL, json=load_fixture("products.json"))
        list(client.products())
        self.assertEqual(query(self._calls_to(PRODUCTS_URL)[0])["max_results"], "500")

    def test_bad_page_token_is_a_bad_request_not_retried(self):
        self._token_ok()
        self.http.add(
            responses.GET,
            HISTORY_URL,
            status=400,
            json=load_fixture("error_400_invalid_page_token.json"),
        )
        with self.assertRaisesRegex(HotmartBadRequestError, "HTTP 400") as caught:
            list(self.client.sales_history(*WINDOW))
        self.assertIn("Invalid page token", str(caught.exception))
        self.assertEqual(len(self._calls_to(HISTORY_URL)), 1)

    # rate limit ------------------------------------------------------------

    def test_429_waits_for_the_reset_then_retries(self):
        self._token_ok()
        self.http.add(
            responses.GET,
            PRODUCTS_URL,
            status=429,
            json=load_fixture("error_429_too_many_requests.json"),
            headers={"RateLimit-Reset": "17", "RateLimit-Remaining": "0"},
        )
        self.http.add(responses.GET, PRODUCTS_URL, json=load_fixture("products.json"))
        (page,) = list(self.client.products())
        self.assertEqual(len(page), 3)
        self.assertIn(17.0, self.clock.sleeps)

    def test_429_without_reset_backs_off_and_gives_up(self):
        client = self._client(rate_limit_retries=3, backoff=2)
        self._token_ok()
        self.http.add(responses.GET, PRODUCTS_URL, status=429, json={"error": "too_many_requests"})
        with self.assertRaises(HotmartRateLimitError) as caught:
            list(client.products())
        self.assertIsInstance(caught.exception, HotmartTransientError)  # a later run may pass
        self.assertEqual(len(self._calls_to(PRODUCTS_URL)), 4)
        self.assertEqual(self.clock.sleeps, [2, 4, 8])

    def test_client_slows_down_before_the_budget_is_spent(self):
        self._token_ok()
        self.http.add(
            responses.GET,
            PRODUCTS_URL,
            json=load_fixture("products.json"),
            headers={"RateLimit-Remaining": "3", "RateLimit-Reset": "42", "RateLimit-Limit": "500"},
        )
        list(self.client.products())
        self.assertEqual(self.clock.sleeps, [])
        list(self.client.products())
        self.assertEqual(self.clock.sleeps, [42.0])

    # failures --------------------------------------------------------------

    def test_5xx_is_retried_then_succeeds(self):
        self._token_ok()
        self.http.add(responses.GET, PRODUCTS_URL, status=503)
        self.http.add(responses.GET, PRODUCTS_URL, status=500)
        self.http.add(responses.GET, PRODUCTS_URL, json=load_fixture("products.json"))
        (page,) = list(self.client.products())
        self.assertEqual(len(page), 3)
        self.assertEqual(len(self._calls_to(PRODUCTS_URL)), 3)

    def test_5xx_retries_have_a_limit(self):
        client = self._client(retries=2)
        self._token_ok()
        self.http.add(responses.GET, PRODUCTS_URL, status=500)
        with self.assertRaisesRegex(HotmartTransientError, "HTTP 500"):
            list(client.products())
        self.assertEqual(len(self._calls_to(PRODUCTS_URL)), 3)

    def test_502_splits_the_date_window(self):
        self._token_ok()
        start, end = (to_epoch_ms(moment) for moment in WINDOW)
        middle = start + (end - start) // 2

        def answer(request):
            params = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
            if int(params["end_date"]) - int(params["start_date"]) > (end - start) // 2:
                return (502, {}, "")
            sale = {"purchase": {"transaction": params["start_date"]}}
            return (200, {}, json.dumps({"items": [sale], "page_info": {}}))

        self.http.add_callback(responses.GET, HISTORY_URL, callback=answer)
        pages = list(self.client.sales_history(*WINDOW))
        self.assertEqual(
            [page[0]["purchase"]["transaction"] for page in pages], [str(start), str(middle + 1)]
        )
        windows = [(query(c)["start_date"], query(c)["end_date"]) for c in self.http.calls[1:]]
        self.assertEqual(
            windows,
            [(str(start), str(end)), (str(start), str(middle)), (str(middle + 1), str(end))],
        )

    def test_502_on_a_tiny_window_is_raised(self):
        self._token_ok()
        self.http.add(responses.GET, HISTORY_URL, status=502)
        moment = WINDOW[0]
        with self.assertRaises(HotmartWindowTooLargeError):
            list(self.client.sales_history(moment, moment))

    def test_broken_json_is_a_bad_payload(self):
        self._token_ok()
        self.http.add(responses.GET, PRODUCTS_URL, body='{"items": [', status=200)
        with self.assertRaisesRegex(HotmartBadPayloadError, "not JSON"):
            list(self.client.products())

    def test_answer_without_items_is_a_bad_payload(self):
        self._token_ok()
        self.http.add(responses.GET, PRODUCTS_URL, json={"unexpected": True})
        with self.assertRaisesRegex(HotmartBadPayloadError, "no items list"):
            list(self.client.products())

    def test_timeout_is_transient_and_every_call_has_one(self):
        self._token_ok()
        self.http.add(responses.GET, PRODUCTS_URL, body=requests.ReadTimeout("read timed out"))
        with self.assertRaisesRegex(HotmartTransientError, "did not answer within 45 seconds"):
            list(self.client.products())
        for call in self.http.calls:
            self.assertEqual(call.request.req_kwargs["timeout"], (10, 45))

    def test_no_secret_in_logs_or_messages(self):
        messages = []
        self.http.add(
            responses.POST,
            TOKEN_URL,
            body=requests.ConnectionError(
                f"Max retries exceeded with url: {TOKEN_URL}?client_secret={SECRET}"
            ),
        )
        with self.assertLogs("odoo.addons.hotmart_connector", logging.DEBUG) as logs:
            logging.getLogger("odoo.addons.hotmart_connector.hotmart").debug("start")
            with self.assertRaises(HotmartTransientError) as caught:
                self.client.get_token()
            messages.append(str(caught.exception))
            self.http.replace(
                responses.POST, TOKEN_URL, status=401, json={"error": f"bad {SECRET} {BASIC}"}
            )
            with self.assertRaises(HotmartAuthError) as caught:
                self.client.get_token()
            messages.append(str(caught.exception))
            self.http.replace(responses.POST, TOKEN_URL, json=load_fixture("oauth_token.json"))
            self.http.add(
                responses.GET,
                PRODUCTS_URL,
                status=404,
                json={"error": "not_found", "error_description": f"token: {TOKEN}"},
            )
            with self.assertRaises(HotmartBadRequestError) as caught:
                list(self.client.products())
            messages.append(str(caught.exception))
        self.assertIn("Could not reach Hotmart at api-sec-vlc.hotmart.com", messages[0])
        for text in messages + logs.output:
            for secret in (SECRET, BASIC, TOKEN):
                self.assertNotIn(secret, text)
        self.assertIsNone(caught.exception.__cause__)

    def test_check_connection_gets_a_new_token_and_makes_one_call(self):
        self._token_ok()
        self.client.get_token()
        self.http.add(responses.GET, HISTORY_URL, json={"items": [], "page_info": {}})
        self.assertTrue(self.client.check_connection())
        self.assertEqual(len(self._calls_to(TOKEN_URL)), 2)
        (call,) = self._calls_to(HISTORY_URL)
        self.assertEqual(query(call)["max_results"], "1")
        self.assertEqual(call.request.headers["Authorization"], f"Bearer {TOKEN}")
