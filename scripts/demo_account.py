"""Run by scripts/try.sh inside `odoo shell`: the demo account on the local Hotmart sandbox.

Idempotent: it finds the account by name, points it at the sandbox, tests the connection and
receives the sandbox's paid sales, so that the demo opens with orders in it.
"""
# ruff: noqa: F821 (env and the environment variables come from odoo shell and try.sh)

import json
import os
import urllib.request
from datetime import timedelta

from odoo import fields

sandbox_url = os.environ["HOTMART_SANDBOX_URL"]
# the sandbox sells in these currencies; Odoo's demo data has a rate for each
env["res.currency"].with_context(active_test=False).search(
    [("name", "in", ["BRL", "USD", "EUR", "MXN", "COP", "ARS"])]
).active = True
brazilian = env.company.currency_id.name == "BRL"
Backend = env["hotmart.backend"].with_context(active_test=False)
backend = Backend.search([("name", "=", "Hotmart Sandbox (demo)")], limit=1) or Backend.create(
    {"name": "Hotmart Sandbox (demo)", "import_since": fields.Datetime.now() - timedelta(days=60)}
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
        # fixed rates only make sense for a company in reais; otherwise Odoo's rates apply
        "usd_rate": 5.40 if brazilian else 0.0,
        "eur_rate": 5.90 if brazilian else 0.0,
    }
)
backend.action_test_connection()
env.cr.commit()
result = backend._receive_new_sales(origin="the demo setup")
env.cr.commit()
subscriptions = backend._sync_subscriptions(origin="the demo setup")
env.cr.commit()
# the sandbox posts a Hotmart webhook to Odoo whenever a sale's status is changed on it
webhook = json.dumps(
    {"url": f"http://127.0.0.1:{os.environ['HOTMART_ODOO_PORT']}/hotmart/webhook/{backend.id}"}
).encode()
urllib.request.urlopen(  # noqa: S310 (the local sandbox)
    urllib.request.Request(f"{sandbox_url}/sandbox/webhook", data=webhook, method="POST"),
    timeout=10,
)
paid = env["hotmart.sale"].search(
    [("backend_id", "=", backend.id), ("status", "=", "APPROVED")], limit=1
)
print(
    f"Demo account '{backend.name}' is {backend.state} on {sandbox_url}: "
    f"{backend.sale_count} sales, {result['received']} orders received, "
    f"{subscriptions['processed']} subscriptions.\n"
    f"To refund {paid.transaction} on 'Hotmart' and watch its order {paid.sale_order_id.name} "
    f"cancel by webhook:\n  curl -X POST {sandbox_url}/sandbox/sales/{paid.transaction} "
    """-d '{"status": "REFUNDED"}'"""
)
