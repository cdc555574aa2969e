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

    def failure(self, action):
        """The message of a failed Test Connection: a notification that stays, titled so,
        and the same words in the account's chatter."""
        params = action["params"]
        self.assertEqual((params["type"], params["title"]), ("danger", "Test Connection failed"))
        self.assertTrue(params["sticky"])
        self.assertIn("Test Connection failed: ", self.backend.message_ids[:1].body)
        return params["message"]

    def test_success_makes_the_account_active(self):
        self.http.add(responses.POST, TOKEN_URL, json=load_fixture("oauth_token.json"))
        self.http.add(responses.GET, HISTORY_URL, json={"items": [], "page_info": {}})
        self.assertEqual(self.backend.state, "not_installed")
        action = self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "active")
        self.assertTrue(self.backend.last_connection_date)
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("Escola Teste can talk to Hotmart (Sandbox)", action["params"]["message"])
        self.assertIn("can talk to Hotmart", self.backend.message_ids[:1].body)

    def test_a_failed_test_shows_on_the_card_until_a_test_succeeds(self):
        self.http.add(responses.POST, TOKEN_URL, json=load_fixture("oauth_token.json"))
        self.http.add(responses.GET, HISTORY_URL, json={"items": [], "page_info": {}})
        self.backend.action_test_connection()
        self.http.replace(
            responses.POST,
            TOKEN_URL,
            body=requests.ConnectionError("no route"),
        )
        self.failure(self.backend.action_test_connection())
        self.assertEqual(self.backend.state, "active")  # it worked before: runs go on trying
        self.assertIn(
            "Test Connection failed: Hotmart could not be reached", self.backend.last_error
        )
        self.http.replace(responses.POST, TOKEN_URL, json=load_fixture("oauth_token.json"))
        self.backend.action_test_connection()
        self.assertFalse(self.backend.last_error)

    def test_wrong_credentials(self):
        self.http.add(
            responses.POST,
            TOKEN_URL,
            status=401,
            json={"error": "invalid_client", "error_description": "Bad client credentials"},
        )
        caught = self.failure(self.backend.action_test_connection())
        self.assertIn("Hotmart refused these credentials", caught)
        self.assert_no_secret(caught)
        self.assertEqual(self.backend.state, "not_installed")

    def test_credential_of_the_other_environment(self):
        self.http.add(responses.POST, TOKEN_URL, json=load_fixture("oauth_token.json"))
        self.http.add(responses.GET, HISTORY_URL, status=403, json={"error": "unauthorized_client"})
        caught = self.failure(self.backend.action_test_connection())
        self.assertIn("check the Environment", caught)
        self.assertIn("sandbox.hotmart.com", caught)
        self.assertEqual(self.backend.state, "not_installed")

    def test_hotmart_unreachable(self):
        self.http.add(
            responses.POST,
            TOKEN_URL,
            body=requests.ConnectionError(f"{TOKEN_URL}?client_secret=s3cr3t-client-secret"),
        )
        caught = self.failure(self.backend.action_test_connection())
        self.assertIn("could not be reached", caught)
        self.assert_no_secret(caught)
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
        self.assertIn("Wait a minute", self.failure(self.backend.action_test_connection()))
        self.assertEqual(self.backend.state, "not_installed")

    def test_missing_settings_are_named(self):
        self.backend.client_secret = False
        with self.assertRaisesRegex(UserError, "Client Secret"):
            self.backend.action_test_connection()
        self.assertFalse(self.http.calls)
