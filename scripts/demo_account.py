"""Run by scripts/try.sh inside `odoo shell`: the demo account on the local Hotmart sandbox.

Idempotent: it finds the account by name, points it at the sandbox, tests the connection.
"""
# ruff: noqa: F821 (env and the environment variables come from odoo shell and try.sh)

import os
from datetime import timedelta

from odoo import fields

sandbox_url = os.environ["HOTMART_SANDBOX_URL"]
Backend = env["hotmart.backend"].with_context(active_test=False)
backend = Backend.search([("name", "=", "Hotmart Sandbox (demo)")], limit=1) or Backend.create(
    {"name": "Hotmart Sandbox (demo)"}
)
backend.write(
    {
        "active": True,
        "environment": "sandbox",
        "api_url": sandbox_url,
        "auth_url": sandbox_url,
        "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret",
        "basic_token": "c2FuZGJveC1jbGllbnQtaWQ6c2FuZGJveC1jbGllbnQtc2VjcmV0",
        "hottok": "sandbox-hottok",
        "usd_rate": 5.40,
        "eur_rate": 5.90,
        "import_since": fields.Datetime.now() - timedelta(days=60),
    }
)
backend.action_test_connection()
env.cr.commit()
print(f"Demo account '{backend.name}' is {backend.state} on {sandbox_url}")
