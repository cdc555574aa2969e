"""Run by scripts/try.sh inside `odoo shell`: the demo account on the local Hotmart stand-in.

Idempotent: it finds the account by name in the admin user's company (the Brazilian producer
of demo_company.py), points it at the stand-in, tests the connection and receives the stand-in's
paid sales, so that the demo opens with orders in it.
"""
# ruff: noqa: F821 (env and the environment variables come from odoo shell and try.sh)

import json
import os
import urllib.request
from datetime import datetime, timedelta, timezone

from odoo import fields

NAME = "Hotmart Sandbox (demo)"
standin_url = os.environ["HOTMART_STANDIN_URL"]
company = env.ref("base.user_admin").company_id
env = env(context=dict(env.context, allowed_company_ids=company.ids))
Backend = env["hotmart.backend"].with_context(active_test=False)
# a demo account of another company (the demo was once in US dollars) stays aside
Backend.search([("name", "=", NAME), ("company_id", "!=", company.id)]).active = False
backend = Backend.search(
    [("name", "=", NAME), ("company_id", "=", company.id)], limit=1
) or Backend.create({"name": NAME, "import_since": fields.Datetime.now() - timedelta(days=60)})
backend.write(
    {
        "active": True,
        "environment": "sandbox",
        "api_url": standin_url,
        "auth_url": standin_url,
        "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret",
        "basic_token": "c2FuZGJveC1jbGllbnQtaWQ6c2FuZGJveC1jbGllbnQtc2VjcmV0",
        "hottok": "sandbox-hottok",
        # no fixed rates: the company's rates of the day (demo_company.py) apply to all
        "usd_rate": 0.0,
        "eur_rate": 0.0,
    }
)
# what the setup writes (chatter) is in the company's language, as in the connector's own runs
lang = backend._company_lang()
backend = backend.with_context(lang=lang)
origin = "pela preparação da demonstração" if lang == "pt_BR" else "the demo setup"
backend.action_test_connection()
env.cr.commit()


def standin(path, payload=None):
    request = urllib.request.Request(
        f"{standin_url}{path}",
        data=json.dumps(payload).encode() if payload is not None else None,
        method="POST" if payload is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (the local stand-in)
        return json.loads(answer.read())


# Two paid sales of one past day that Odoo does not hold yet: the stand-in's history leaves
# them out while its summary counts them, so the reconciliation shows the day apart, and
# Read Again brings them in once the history serves them again (below).
Sale = env["hotmart.sale"]
week_ago = datetime.now(timezone.utc) - timedelta(days=7)
client = backend._get_client()
missing = [
    item["purchase"]["transaction"]
    for page in client.sales_history(week_ago - timedelta(days=1), week_ago, "APPROVED")
    for item in page
    if not Sale.search_count(
        [("backend_id", "=", backend.id), ("transaction", "=", item["purchase"]["transaction"])]
    )
][:2]
standin("/standin/history", {"hide": missing})
result = env["hotmart.run"].with_env(backend.env)._receive_new_sales(backend, origin=origin)
env.cr.commit()
env["hotmart.run"].with_env(backend.env)._reconcile(backend, origin=origin)
env.cr.commit()
standin("/standin/history", {"show": missing})
subscriptions = backend._sync_subscriptions(origin=origin)
env.cr.commit()
# the sandbox posts a Hotmart webhook to Odoo whenever a sale's status is changed on it
webhook = json.dumps(
    {"url": f"http://127.0.0.1:{os.environ['HOTMART_ODOO_PORT']}/hotmart/webhook/{backend.id}"}
).encode()
urllib.request.urlopen(  # noqa: S310 (the local sandbox)
    urllib.request.Request(f"{standin_url}/standin/webhook", data=webhook, method="POST"),
    timeout=10,
)
paid = env["hotmart.sale"].search(
    [("backend_id", "=", backend.id), ("status", "=", "APPROVED")], limit=1
)
print(
    f"Demo account '{backend.name}' is {backend.state} on {standin_url}: "
    f"{backend.sale_count} sales, {result['received']} orders received, "
    f"{subscriptions['processed']} subscriptions; {backend.reconciliation_apart_days} day(s) "
    "apart from Hotmart's summary (Hotmart > Reporting > Reconciliation: Read Again).\n"
    f"To refund {paid.transaction} on 'Hotmart' and watch its order {paid.sale_order_id.name} "
    f"cancel by webhook:\n  curl -X POST {standin_url}/standin/sales/{paid.transaction} "
    """-d '{"status": "REFUNDED"}'"""
)
