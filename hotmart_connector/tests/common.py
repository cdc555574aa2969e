from odoo.tests import TransactionCase


class HotmartCase(TransactionCase):
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
