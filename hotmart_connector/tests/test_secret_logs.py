"""No log line, ours or a library's, at any level, carries a Hotmart secret.

urllib3 logs the URL of each request (DEBUG) and of each retry (WARNING), and Hotmart wants
the client secret in the token request's query string: these tests make real HTTP calls on
loopback, with retries, and read every record the root logger receives at DEBUG.
"""

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import BaseCase, tagged

from ..hotmart.client import HotmartClient, redact_secrets
from ..hotmart.exceptions import HotmartError
from .common import FakeHttpMixin

SECRET = "top-secret-client-secret-9f3k"
BASIC = "Y2xpZW50OnRvcC1zZWNyZXQtY2xpZW50LXNlY3JldC05ZjNr"
TOKEN = "opaque-access-token-7Hq2"


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        line = record.getMessage()
        if record.exc_info:
            line += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {line}")


class _Failing(BaseHTTPRequestHandler):
    """The token service answers 503; the API answers 503 as well."""

    def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's name)
        pass

    def do_POST(self):
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST


@tagged("post_install", "-at_install")
class TestNoSecretInLogs(FakeHttpMixin, BaseCase):
    def setUp(self):
        super().setUp()
        self.capture = _Capture()
        root = logging.getLogger()
        previous = root.level
        root.addHandler(self.capture)
        root.setLevel(logging.DEBUG)
        self.addCleanup(root.removeHandler, self.capture)
        self.addCleanup(root.setLevel, previous)
        # Odoo's log configuration may raise these loggers' levels: open them all to DEBUG
        for name in ("urllib3", "urllib3.connectionpool", "urllib3.util.retry", "requests"):
            logger = logging.getLogger(name)
            self.addCleanup(logger.setLevel, logger.level)
            logger.setLevel(logging.DEBUG)

    def client(self, url):
        return HotmartClient(
            "client-id",
            SECRET,
            "Basic " + BASIC,
            api_url=url,
            auth_url=url,
            timeout=(2, 2),
            retries=3,
            backoff=0,
            sleep=lambda _seconds: None,
        )

    def assert_no_secret_logged(self):
        self.assertTrue(self.capture.lines, "nothing was logged: the test saw nothing")
        for line in self.capture.lines:
            for secret in (SECRET, BASIC, TOKEN):
                self.assertNotIn(secret, line)

    def test_unreachable_token_service_retried(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # nothing listens on that port any more: every attempt is refused and retried
        with self.assertRaises(HotmartError):
            self.client(f"http://127.0.0.1:{port}").get_token()
        self.assertTrue(
            any("Retrying" in line for line in self.capture.lines),
            "urllib3 did not log its retries: the test proves nothing",
        )
        self.assert_no_secret_logged()

    def test_failing_token_service_retried(self):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with self.assertRaises(HotmartError):
            self.client(url).get_token()
        self.assertTrue(any("/security/oauth/token" in line for line in self.capture.lines))
        self.assert_no_secret_logged()

    def test_redaction_of_known_secrets_and_query_values(self):
        client = self.client("http://127.0.0.1:9")
        client._token = TOKEN
        text = f"GET /x?client_secret={SECRET}&a=1 Bearer {TOKEN} Basic {BASIC}"
        redacted = redact_secrets(text)
        for secret in (SECRET, BASIC, TOKEN):
            self.assertNotIn(secret, redacted)
        self.assertIn("a=1", redacted)
        self.assertEqual(redact_secrets("client_secret%3Dabc%2Bdef&x"), "client_secret%3D***&x")
