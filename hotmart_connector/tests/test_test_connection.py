import requests
import responses

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import FakeHotmartMixin, HotmartCase, load_fixture

TOKEN_URL = "https://api-sec-vlc.hotmart.com/security/oauth/token"
HISTORY_URL = "https://sandbox.hotmart.com/payments/api/v1/sales/history"


@tagged("post_install", "-at_install")
class TestTestConnection(FakeHotmartMixin, HotmartCase):
    def assert_no_secret(self, text):
        for secret in ("s3cr3t-client-secret", "Y2xpZW50LWlkLTEyMzpzM2NyM3QtY2xpZW50LXNlY3JldA=="):
            self.assertNotIn(secret, text)

    def test_success_makes_the_account_active(self):
        self.http.add(responses.POST, TOKEN_URL, json=load_fixture("oauth_token.json"))
        self.http.add(responses.GET, HISTORY_URL, json={"items": [], "page_info": {}})
        self.assertEqual(self.backend.state, "not_installed")
        action = self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "active")
        self.assertTrue(self.backend.last_connection_date)
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("Escola Teste can talk to Hotmart (Sandbox)", action["params"]["message"])

    def test_wrong_credentials(self):
        self.http.add(
            responses.POST,
            TOKEN_URL,
            status=401,
            json={"error": "invalid_client", "error_description": "Bad client credentials"},
        )
        with self.assertRaisesRegex(UserError, "Hotmart refused these credentials") as caught:
            self.backend.action_test_connection()
        self.assert_no_secret(str(caught.exception))
        self.assertEqual(self.backend.state, "not_installed")

    def test_credential_of_the_other_environment(self):
        self.http.add(responses.POST, TOKEN_URL, json=load_fixture("oauth_token.json"))
        self.http.add(responses.GET, HISTORY_URL, status=403, json={"error": "unauthorized_client"})
        with self.assertRaisesRegex(UserError, "check the Environment") as caught:
            self.backend.action_test_connection()
        self.assertIn("sandbox.hotmart.com", str(caught.exception))
        self.assertEqual(self.backend.state, "not_installed")

    def test_hotmart_unreachable(self):
        self.http.add(
            responses.POST,
            TOKEN_URL,
            body=requests.ConnectionError(f"{TOKEN_URL}?client_secret=s3cr3t-client-secret"),
        )
        with self.assertRaisesRegex(UserError, "could not be reached") as caught:
            self.backend.action_test_connection()
        self.assert_no_secret(str(caught.exception))
        self.assertEqual(self.backend.state, "not_installed")

    def test_rate_limited(self):
        self.http.add(responses.POST, TOKEN_URL, json=load_fixture("oauth_token.json"))
        self.http.add(
            responses.GET,
            HISTORY_URL,
            status=429,
            json=load_fixture("error_429_too_many_requests.json"),
            headers={"RateLimit-Reset": "0"},
        )
        with self.assertRaisesRegex(UserError, "Wait a minute"):
            self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "not_installed")

    def test_missing_settings_are_named(self):
        self.backend.client_secret = False
        with self.assertRaisesRegex(UserError, "Client Secret"):
            self.backend.action_test_connection()
        self.assertFalse(self.http.calls)
