import json
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from odoo.tests import TransactionCase
from odoo.tools.misc import file_path

# Captured before Odoo's test classes patch Session.send to block external requests.
_REAL_SESSION_SEND = requests.Session.send
_REAL_ADAPTER_SEND = HTTPAdapter.send
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def load_fixture(name):
    """A Hotmart payload from tests/fixtures (copied from Hotmart's real shapes)."""
    with open(file_path(f"hotmart_connector/tests/fixtures/{name}"), encoding="utf-8") as file:
        return json.load(file)


class FakeHttpMixin:
    """Let requests reach `responses` (when it is active) or a loopback server.

    Odoo's test guard blocks every non-local request, and breaks on (connect, read) timeout
    tuples; anything else still goes through it and stays blocked.
    """

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        faked = HTTPAdapter.send is not _REAL_ADAPTER_SEND
        if faked or urlsplit(request.url).hostname in LOOPBACK_HOSTS:
            return _REAL_SESSION_SEND(session, request, **kwargs)
        return super()._request_handler(session, request, **kwargs)


class HotmartCase(FakeHttpMixin, TransactionCase):
    """An account with complete credentials, ready for every test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.backend = cls.env["hotmart.backend"].create(cls._backend_values())

    @classmethod
    def _backend_values(cls, **overrides):
        values = {
            "name": "Escola Teste",
            "environment": "sandbox",
            "client_id": "client-id-123",
            "client_secret": "s3cr3t-client-secret",
            "basic_token": "Basic Y2xpZW50LWlkLTEyMzpzM2NyM3QtY2xpZW50LXNlY3JldA==",
            "hottok": "hottok-abc",
        }
        values.update(overrides)
        return values
