#!/usr/bin/env python3
"""Benchmark: receiving Hotmart sales over HTTP against plain Odoo ORM, in the same run.

For each size N and round it copies a fresh database (the addon installed, nothing else
done), starts the local Hotmart sandbox with N paid BRL sales in a process of its own (so
that the memory measured is Odoo's), and in one Odoo process:

* connector: the scheduled action's path (``_cron_receive_orders``: fetch pages over HTTP,
  store the sales, match or create customers and products, create and confirm the orders,
  commit per page and per batch), run again while sales wait, as Odoo's cron progress does
  (a run receives at most 2,000);
* plain ORM: the same N orders for the same new customers as the connector's (name,
  e-mail, phone, address, country, CPF/CNPJ; a buyer of several sales is one customer on
  both sides), created and confirmed in batches of 200 with ``res.partner.create``,
  ``sale.order.create`` and ``action_confirm``, committed per batch.

Both sides run warm (each first receives or makes a few orders, rolled back: the connector
from a sandbox of its own) and each starts from a checkpoint. A size runs ``--rounds``
times (default 3), each in a new process on a new database; times are added up over the
rounds, because this machine's speed drifts from one minute to the next and both sides
should share the drift.

It reports orders per second both ways and their ratio (and each round's), SQL queries per
received order, API calls per 1,000 sales, and the peak memory of the run.

With ``--money`` both sides also do the accounting: the connector's account invoices when
paid (it reads /sales/commissions too, invoices, posts and settles each sale in the Hotmart
journal with its fee and commissions written off), and plain ORM creates, confirms,
invoices, posts and registers a payment for each order (``account.payment.register``).

    python3 benchmarks/bench_receive.py                       # N = 500 and 2,000
    python3 benchmarks/bench_receive.py --large --rounds 1    # and 20,000
    python3 benchmarks/bench_receive.py --sizes 1000
    python3 benchmarks/bench_receive.py --money --rounds 1    # receive + invoice + settle
    python3 benchmarks/bench_receive.py --sizes 1000 --rounds 1 --keep --profile receive.prof

Needs what scripts/test.sh needs (Odoo 18 importable, PostgreSQL). Prints a Markdown table.
"""

import argparse
import base64
import cProfile
import json
import sys
import time
from datetime import datetime, timedelta

from benchlib import (
    ROOT,
    api_calls,
    build_template,
    copy_template,
    drop_template,
    machine,
    open_registry,
    peak_rss_mb,
    run,
    sell_in_reais,
    settle_database,
    start_sandbox,
)

BATCH = 200
WARM_UP_SALES = 20


def plain_orm_batch(env, sales, product_id, money=False, bank_journal_id=None, customers=None):
    """Plain Odoo ORM: an order for each sale, created and confirmed in one batch (and
    invoiced, posted and paid with ``money``). Each customer is created once, as the
    connector creates each buyer once: ``customers`` ({key: partner id}) carries the ones
    created by earlier batches."""
    customers = {} if customers is None else customers
    new = {}
    for sale in sales:
        if sale["customer_key"] not in customers:
            new.setdefault(sale["customer_key"], sale["customer"])
    partners = env["res.partner"].create(list(new.values()))
    customers.update(zip(new, partners.ids, strict=True))
    orders = env["sale.order"].create(
        [
            {
                "partner_id": customers[s["customer_key"]],
                "order_line": [(0, 0, {"product_id": product_id, "price_unit": s["amount"]})],
            }
            for s in sales
        ]
    )
    orders.action_confirm()
    if money:
        invoices = orders._create_invoices(grouped=True)
        invoices.action_post()
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({"group_payment": False, "journal_id": bank_journal_id})._create_payments()


CUSTOMER_FIELDS = (
    "name",
    "email",
    "phone",
    "is_company",
    "street",
    "street2",
    "city",
    "zip",
    "state_id",
    "country_id",
    "vat",
)


def customer_values(partner):
    """What the connector wrote on a customer: plain ORM creates the same customers."""
    values = partner.read(CUSTOMER_FIELDS)[0]
    values.pop("id")
    return {name: value[0] if isinstance(value, tuple) else value for name, value in values.items()}


def bank_journal_id(env):
    """The bank journal plain ORM pays into (not the connector's Hotmart balance)."""
    journals = env["account.journal"].search([("type", "=", "bank"), ("code", "!=", "HTMT")])
    return journals[:1].id


def warm_up(registry, product_id, money, backend_id):
    """Run both sides once on a few sales, rolled back, so that each is timed warm whichever
    runs first: plain ORM warms Odoo's caches; the connector, against a sandbox of its own,
    warms its own code as well (HTTP client, parsers, matching, chatter)."""
    import odoo

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        bank = bank_journal_id(env)
        sales = [
            {
                "customer_key": i,
                "customer": {"name": f"Warm-up {i}", "email": f"w{i}@example.com"},
                "amount": 10,
            }
            for i in range(WARM_UP_SALES)
        ]
        plain_orm_batch(env, sales, product_id, money, bank)
        env.flush_all()
        cr.rollback()
    sandbox, sandbox_url = start_sandbox(WARM_UP_SALES)
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            backend = env["hotmart.backend"].browse(backend_id)
            backend.write({"api_url": sandbox_url, "auth_url": sandbox_url})
            backend.env["hotmart.run"]._receive_new_sales(backend, origin="the warm-up")
            env.flush_all()
            cr.rollback()
    finally:
        sandbox.terminate()
        sandbox.wait()


def measure(size, money=False, profile=None):
    """One size, in this process, on a copy of the template database."""
    db = f"hotmart_bench_{size}"
    copy_template(db)

    import odoo
    from odoo import sql_db

    registry = open_registry(db)
    sys.path.insert(0, str(ROOT / "standin"))
    from hotmart_standin import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, PRODUCTS

    rss_loaded = peak_rss_mb()
    sandbox, sandbox_url = start_sandbox(size)
    basic = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        sell_in_reais(env)
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
                    "invoice_since": "2000-01-01 00:00:00",  # the past sales too
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

    warm_up(registry, product.id, money, backend.id)
    settle_database(db)

    # connector over HTTP: the scheduled action, run again while sales wait, as Odoo's cron
    # progress makes it (a run receives at most 2,000)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
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
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
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
        bank = bank_journal_id(env)
    calls = api_calls(sandbox_url)
    rss_connector = peak_rss_mb()
    sandbox.terminate()
    sandbox.wait()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        customers = {}
        sales = []
        for sale in env["hotmart.sale"].search([("sale_order_id", "!=", False)]):
            partner = sale.sale_order_id.partner_id
            if partner.id not in customers:
                customers[partner.id] = customer_values(partner)
            sales.append(
                {
                    "customer_key": partner.id,
                    "customer": customers[partner.id],
                    "amount": sale.amount,
                }
            )

    settle_database(db)
    # plain ORM: the same orders for the same new customers, in batches, confirmed
    if profiler:
        profiler = cProfile.Profile()
        profiler.enable()
    queries_before = sql_db.sql_counter
    started = time.perf_counter()
    created = {}
    for offset in range(0, size, BATCH):
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
            plain_orm_batch(env, sales[offset : offset + BATCH], product.id, money, bank, created)
            cr.commit()
    orm_seconds = time.perf_counter() - started
    orm_queries = sql_db.sql_counter - queries_before
    if profiler:
        profiler.disable()
        profiler.dump_stats(f"{profile}.orm")

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
        "connector_queries": connector_queries,
        "orm_queries": orm_queries,
        "queries_per_order": connector_queries / max(received, 1),
        "orm_queries_per_order": orm_queries / size,
        "cron_runs": cron_runs,
        "api_calls": calls,
        "api_calls_per_1000": calls * 1000 / size,
        "rss_loaded_mb": rss_loaded,
        "rss_peak_mb": rss_connector,
    }


SUMMED = (
    "received",
    "failed",
    "connector_seconds",
    "orm_seconds",
    "connector_queries",
    "orm_queries",
)


def combine(rounds):
    """One size's rounds as one result: times and counts added up, memory at its peak."""
    first = rounds[0]
    total = {key: sum(r[key] for r in rounds) for key in SUMMED}
    sales = first["size"] * len(rounds)
    return dict(
        first,
        **total,
        rounds=len(rounds),
        connector_per_second=total["received"] / total["connector_seconds"],
        orm_per_second=sales / total["orm_seconds"],
        queries_per_order=total["connector_queries"] / max(total["received"], 1),
        orm_queries_per_order=total["orm_queries"] / sales,
        ratios=[r["orm_seconds"] / r["connector_seconds"] for r in rounds],
        rss_peak_mb=max(r["rss_peak_mb"] for r in rounds),
        rss_loaded_mb=max(r["rss_loaded_mb"] for r in rounds),
    )


def table(results):
    lines = [
        "| sales | rounds | connector orders/s | plain ORM orders/s | ratio (each round) "
        "| SQL queries per order (ORM) | API calls (per 1,000 sales) | cron runs "
        "| peak memory (after Odoo loaded) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['rounds']} | {r['connector_per_second']:.1f} "
            f"| {r['orm_per_second']:.1f} "
            f"| **{r['connector_per_second'] / r['orm_per_second']:.2f}** "
            f"({', '.join(f'{ratio:.2f}' for ratio in r['ratios'])}) "
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
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds per size, each on a fresh database; their times are added up",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the template database, and reuse a kept one"
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="write a cProfile of the connector's run (one size)"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process's size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, money=args.money, profile=args.profile)))
        return
    sizes = [int(size) for size in args.sizes.split(",")] + ([20000] if args.large else [])
    build_template(keep=args.keep)
    results = []
    for size in sizes:
        options = ["--money"] if args.money else []
        if args.profile:
            options += ["--profile", f"{args.profile}.{size}"]
        rounds = []
        for _round in range(args.rounds):
            output = run(
                sys.executable,
                __file__,
                "--one",
                str(size),
                *options,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(output.strip().splitlines()[-1])
            print(f"N={size}: {json.dumps(result)}", file=sys.stderr)
            if result["received"] != size or result["failed"]:
                sys.exit(f"N={size}: {result['received']} orders for {size} sales")
            rounds.append(result)
        results.append(combine(rounds))
    print(machine() + "\n")
    print(table(results))
    drop_template(keep=args.keep)


if __name__ == "__main__":
    main()
