#!/usr/bin/env python3
"""Benchmark: receiving Hotmart sales over HTTP against plain Odoo ORM, in the same run.

For each size N it copies a fresh database (the addon installed, nothing else done), starts
the local Hotmart sandbox with N paid BRL sales in a process of its own (so that the memory
measured is Odoo's), and in one Odoo process:

* connector: the scheduled action's path (``_cron_receive_orders``: fetch pages over HTTP,
  store the sales, match or create customers and products, create and confirm the orders,
  commit per page and per batch), run again while sales wait, as Odoo's cron progress does
  (a run receives at most 2,000);
* plain ORM: the same N orders for N new customers, created and confirmed in batches of
  200 with ``sale.order.create`` and ``action_confirm``, committed per batch.

It reports orders per second both ways and their ratio, SQL queries per received order, API
calls per 1,000 sales, and the peak memory of the run (each size runs in its own process).

With ``--money`` both sides also do the accounting: the connector's account invoices when
paid (it reads /sales/commissions too, invoices, posts and settles each sale in the Hotmart
journal with its fee and commissions written off), and plain ORM creates, confirms,
invoices, posts and registers a payment for each order (``account.payment.register``).

    python3 benchmarks/bench_receive.py                 # N = 500 and 2,000
    python3 benchmarks/bench_receive.py --large         # and 20,000
    python3 benchmarks/bench_receive.py --sizes 1000
    python3 benchmarks/bench_receive.py --money         # receive + invoice + settle

Needs what scripts/test.sh needs (Odoo 18 importable, PostgreSQL). Prints a Markdown table.
"""

import argparse
import base64
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DB = "hotmart_bench_template"
BATCH = 200


def addons_path():
    from odoo.tools import config

    config.parse_config([])
    return ",".join([str(ROOT), config["addons_path"]])


def run(*command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


def build_template():
    run("dropdb", "--if-exists", TEMPLATE_DB)
    run(
        sys.executable,
        "-m",
        "odoo",
        f"--addons-path={addons_path()}",
        "-d",
        TEMPLATE_DB,
        "-i",
        "hotmart_connector",
        "--without-demo=all",
        "--stop-after-init",
        "--log-level=warn",
    )


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(size):
    """The local sandbox, in its own process, with ``size`` paid BRL sales."""
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "hotmart_connector" / "hotmart" / "sandbox.py"),
            "--port",
            str(port),
            "--sales",
            str(size),
            "--seed",
            "1",
            "--days",
            "30",
            "--status-weights",
            "APPROVED=1",
            "--currency-weights",
            "BRL=1",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/sandbox/stats", timeout=1)  # noqa: S310 (loopback)
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the sandbox did not start")


def api_calls(url):
    import urllib.request

    with urllib.request.urlopen(url + "/sandbox/stats", timeout=10) as answer:  # noqa: S310
        calls = json.load(answer)["calls"]
    return sum(count for path, count in calls.items() if not path.startswith("/sandbox"))


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size, money=False):
    """One size, in this process, on a copy of the template database."""
    db = f"hotmart_bench_{size}"
    run("dropdb", "--if-exists", db)
    run("createdb", "-T", TEMPLATE_DB, db)

    import threading

    import odoo
    from odoo import sql_db
    from odoo.tools import config

    config.parse_config([f"--addons-path={addons_path()}", "-d", db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    from odoo.addons.hotmart_connector.hotmart.sandbox import (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        PRODUCTS,
    )

    threading.current_thread().testing = False
    rss_loaded = peak_rss_mb()
    sandbox, sandbox_url = start_sandbox(size)
    basic = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        brl = env.ref("base.BRL")
        brl.active = True
        env.company.currency_id = brl
        product = env["product.product"].create(
            {"name": "Course", "type": "service", "taxes_id": False}
        )
        backend = env["hotmart.backend"].create(
            {
                "name": "Benchmark",
                "api_url": sandbox_url,
                "auth_url": sandbox_url,
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "basic_token": basic,
                "import_since": datetime.now() - timedelta(days=31),
                "last_connection_date": datetime.now(),
            }
        )
        if money:
            Account = env["account.account"]
            expense = Account.create(
                {"name": "Hotmart costs", "code": "HMB610", "account_type": "expense"}
            )
            backend.action_create_payment_journal()
            backend.write(
                {
                    "invoice_policy": "paid",
                    "fee_account_id": expense.id,
                    "commission_account_id": expense.id,
                }
            )
        # the benchmark's sales are all APPROVED: read that status only, as the mapping could
        backend.status_mapping_ids.filtered(
            lambda m: m.hotmart_status != "APPROVED"
        ).import_order = False
        env["product.template"].create(
            [
                {
                    "name": f"Course {pid}",
                    "type": "service",
                    "hotmart_product_id": str(pid),
                    "taxes_id": False,
                }
                for pid, _name, _price, _subscription in PRODUCTS
            ]
        )
        cr.commit()

    # connector over HTTP: the scheduled action, run again while sales wait, as Odoo's cron
    # progress makes it (a run receives at most 2,000)
    queries_before = sql_db.sql_counter
    started = time.perf_counter()
    cron_runs = 0
    while True:
        cron_runs += 1
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            env["hotmart.backend"]._cron_receive_orders()
            cr.commit()
            if not env["hotmart.sale"].search_count([("state", "=", "pending")]):
                break
    connector_seconds = time.perf_counter() - started
    connector_queries = sql_db.sql_counter - queries_before
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        received = env["sale.order"].search_count(
            [("hotmart_sale_id", "!=", False), ("state", "=", "sale")]
        )
        failed = env["hotmart.sale"].search_count([("state", "=", "failed")])
        if money:
            # an order counts once its invoice is posted and paid by the settlement
            received = env["account.move"].search_count(
                [
                    ("hotmart_move_kind", "=", "invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "=", "paid"),
                ]
            )
            failed += env["hotmart.sale"].search_count([("invoice_state", "!=", "invoiced")])
        bank = (
            env["account.journal"]
            .search([("type", "=", "bank"), ("code", "!=", "HTMT")], limit=1)
            .id
        )
    calls = api_calls(sandbox_url)
    rss_connector = peak_rss_mb()
    sandbox.terminate()
    sandbox.wait()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        sales = env["hotmart.sale"].search_read([], ["buyer_name", "buyer_email", "amount"])

    # plain ORM: the same orders for as many new customers, in batches, confirmed
    queries_before = sql_db.sql_counter
    started = time.perf_counter()
    for offset in range(0, size, BATCH):
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
            chunk = sales[offset : offset + BATCH]
            partners = env["res.partner"].create(
                [{"name": s["buyer_name"], "email": s["buyer_email"]} for s in chunk]
            )
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "order_line": [
                            (0, 0, {"product_id": product.id, "price_unit": s["amount"]})
                        ],
                    }
                    for partner, s in zip(partners, chunk, strict=True)
                ]
            )
            orders.action_confirm()
            if money:
                invoices = orders._create_invoices(grouped=True)
                invoices.action_post()
                env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=invoices.ids
                ).create({"group_payment": False, "journal_id": bank})._create_payments()
            cr.commit()
    orm_seconds = time.perf_counter() - started
    orm_queries = sql_db.sql_counter - queries_before

    registry.delete(db)
    sql_db.close_all()
    run("dropdb", "--if-exists", db)
    return {
        "size": size,
        "received": received,
        "failed": failed,
        "connector_seconds": connector_seconds,
        "orm_seconds": orm_seconds,
        "connector_per_second": received / connector_seconds,
        "orm_per_second": size / orm_seconds,
        "queries_per_order": connector_queries / max(received, 1),
        "orm_queries_per_order": orm_queries / size,
        "cron_runs": cron_runs,
        "api_calls": calls,
        "api_calls_per_1000": calls * 1000 / size,
        "rss_loaded_mb": rss_loaded,
        "rss_peak_mb": rss_connector,
    }


def table(results):
    lines = [
        "| sales | connector orders/s | plain ORM orders/s | ratio | SQL queries per order "
        "(ORM) | API calls (per 1,000 sales) | cron runs | peak memory (after Odoo loaded) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['connector_per_second']:.1f} | {r['orm_per_second']:.1f} "
            f"| {r['connector_per_second'] / r['orm_per_second']:.2f} "
            f"| {r['queries_per_order']:.1f} ({r['orm_queries_per_order']:.1f}) "
            f"| {r['api_calls']} ({r['api_calls_per_1000']:.1f}) | {r['cron_runs']} "
            f"| {r['rss_peak_mb']:.0f} MB ({r['rss_loaded_mb']:.0f} MB) |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="500,2000")
    parser.add_argument("--large", action="store_true", help="add N = 20,000")
    parser.add_argument("--money", action="store_true", help="invoice and settle too")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process's size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, money=args.money)))
        return
    sizes = [int(size) for size in args.sizes.split(",")] + ([20000] if args.large else [])
    build_template()
    results = []
    for size in sizes:
        money = ["--money"] if args.money else []
        output = run(
            sys.executable, __file__, "--one", str(size), *money, capture_output=True, text=True
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        print(f"N={size}: {json.dumps(result)}", file=sys.stderr)
        if result["received"] != size or result["failed"]:
            sys.exit(f"N={size}: {result['received']} orders for {size} sales")
        results.append(result)
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(
        f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, "
        f"{datetime.now():%Y-%m-%d}\n"
    )
    print(table(results))
    run("dropdb", "--if-exists", TEMPLATE_DB)


if __name__ == "__main__":
    main()
