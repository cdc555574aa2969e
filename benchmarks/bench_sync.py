#!/usr/bin/env python3
"""Benchmark: a big producer's hourly status sync.

A producer with 3,000 sales a day has about 90,000 sales in the status sync's 30-day
window. The local sandbox serves that many (``--sales``), in Hotmart's mix of statuses and
currencies, and a fresh database (the addon installed) has an active account whose
automatic receiving starts one day ago, so that the last day's paid sales are orders and
the older ones are stored sales, as after a first import by hand of recent sales only.

Each step runs the scheduled action (``_cron_sync_statuses``) in a process of its own:

1. the first sync: every sale of the window stored;
2. the hourly sync when nothing changed on Hotmart: the API calls, time, rows written
   (PostgreSQL's own counters, every table) and peak memory;
3. the same after 1% of the sales changed status on Hotmart (refunds, chargebacks,
   completions): the sales and orders that follow, and nothing else.

    python3 benchmarks/bench_sync.py                  # 90,000 sales
    python3 benchmarks/bench_sync.py --sales 20000

Needs what scripts/test.sh needs (Odoo 18 importable, PostgreSQL). Prints a Markdown table.
"""

import argparse
import json
import random
import sys
import time
import urllib.request
from datetime import datetime, timedelta

import psycopg2
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
    start_sandbox,
)

sys.path.insert(0, str(ROOT / "standin"))
DB = "hotmart_bench_sync"
CHANGES = {"APPROVED": ["REFUNDED", "CHARGEBACK", "COMPLETE"], "COMPLETE": ["CHARGEBACK"]}


def sandbox_call(url, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url + path, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (loopback)
        return json.load(answer)


def rows_written():
    """{table: rows inserted, updated and deleted} from PostgreSQL's statistics."""
    connection = psycopg2.connect(dbname=DB)
    with connection.cursor() as cr:
        cr.execute("SELECT pg_stat_clear_snapshot()")
        cr.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables")
        rows = dict(cr.fetchall())
    connection.close()
    return rows


def prepare_database(sandbox_url):
    copy_template(DB)
    import base64

    from hotmart_standin import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    import odoo
    from odoo import sql_db

    registry = open_registry(DB)
    basic = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        sell_in_reais(env)
        for code in ("USD", "EUR", "MXN", "COP", "ARS"):
            env.ref(f"base.{code}").active = True
        # rates for the other currencies, from before the window
        day = datetime.now() - timedelta(days=40)
        env["res.currency.rate"].create(
            [
                {"currency_id": env.ref(f"base.{code}").id, "name": day, "rate": rate}
                for code, rate in (("MXN", 3.4), ("COP", 780.0), ("ARS", 180.0))
            ]
        )
        env["hotmart.backend"].create(
            {
                "name": "Big producer",
                "api_url": sandbox_url,
                "auth_url": sandbox_url,
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "basic_token": basic,
                "usd_rate": 5.3,
                "eur_rate": 5.8,
                "import_since": datetime.now() - timedelta(days=1),
                "last_connection_date": datetime.now(),
            }
        )
        cr.commit()
    registry.delete(DB)
    sql_db.close_all()


def sync_once(link=False):
    """One scheduled status sync, in this process (and the subscription charges link it
    triggers, with ``link``); prints its time and memory."""
    import odoo

    registry = open_registry(DB)
    loaded = peak_rss_mb()
    started = time.perf_counter()
    runs = 0
    while True:
        # run again while sales wait to be received, as Odoo's cron progress does
        runs += 1
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            env["hotmart.backend"]._cron_sync_statuses()
            cr.commit()
            if link:
                # triggered by the sync for the subscription charges it could not place
                env["hotmart.backend"]._cron_link_subscription_charges()
                cr.commit()
            backend = env["hotmart.backend"].search([])
            waiting = env["hotmart.sale"].search_count(
                [
                    ("state", "=", "pending"),
                    ("order_date", ">=", backend.import_since),
                    ("status", "in", backend._importable_statuses()),
                ]
            )
        if not waiting:
            break
    seconds = time.perf_counter() - started
    with registry.cursor() as cr:
        cr.execute(
            "SELECT count(*) FILTER (WHERE sale_order_id IS NOT NULL), count(*) FROM hotmart_sale"
        )
        orders, sales = cr.fetchone()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "runs": runs,
                "rss_mb": peak_rss_mb(),
                "rss_loaded_mb": loaded,
                "sales": sales,
                "orders": orders,
            }
        )
    )


def measured_sync(sandbox_url, link=False):
    calls, written = api_calls(sandbox_url), rows_written()
    options = ["--link"] if link else []
    command = [sys.executable, __file__, "--sync-once", *options]
    output = run(*command, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    time.sleep(1)  # the child's statistics reach PostgreSQL's counters when it exits
    after = rows_written()
    result["api_calls"] = api_calls(sandbox_url) - calls
    result["written"] = {
        table: after[table] - written.get(table, 0)
        for table in after
        if after[table] != written.get(table, 0)
    }
    print(json.dumps(result), file=sys.stderr)
    return result


def change_statuses(sandbox_url, sales, share, seed=5):
    """Change the status of ``share`` of the sales on Hotmart (the paid ones of them);
    returns how many changed."""
    from hotmart_standin import StandInData  # the stand-in's sales again: the same seed makes them

    data = StandInData(sales=sales, seed=1, days=30)
    rng = random.Random(seed)
    transactions = sorted((t, sale["status"]) for t, sale in data.sales.items())
    chosen = rng.sample(transactions, int(sales * share))
    changed = 0
    for transaction, status in chosen:
        if status in CHANGES:
            new_status = rng.choice(CHANGES[status])
            sandbox_call(sandbox_url, f"/standin/sales/{transaction}", {"status": new_status})
            changed += 1
    return changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sales", type=int, default=90000)
    parser.add_argument("--keep", action="store_true", help="keep and reuse the template")
    parser.add_argument("--sync-once", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--link", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sync_once:
        sync_once(link=args.link)
        return
    build_template(keep=args.keep)
    sandbox, sandbox_url = start_sandbox(args.sales, statuses=(), currencies=())
    try:
        prepare_database(sandbox_url)
        first = measured_sync(sandbox_url, link=True)
        unchanged = measured_sync(sandbox_url)
        changed_count = change_statuses(sandbox_url, args.sales, 0.01)
        changed = measured_sync(sandbox_url)
    finally:
        sandbox.terminate()
        sandbox.wait()
    run("dropdb", "--if-exists", DB)
    drop_template(keep=args.keep)
    print(machine() + "\n")
    print(table(args.sales, first, unchanged, changed, changed_count))


def table(sales, first, unchanged, changed, changed_count):
    def writes(result):
        if not result["written"]:
            return "0"
        total = sum(result["written"].values())
        detail = ", ".join(f"{t} {n:,}" for t, n in sorted(result["written"].items()))
        return f"{total:,} ({detail})"

    rows = [
        ("sync of a 30-day window", "API calls", "time", "rows written", "peak memory"),
        ("---", "---:", "---:", "---", "---:"),
    ]
    for label, result in (
        (
            f"first: {first['sales']:,} sales stored, {first['orders']:,} orders "
            f"({first['runs']} runs)",
            first,
        ),
        ("hourly, nothing changed", unchanged),
        (f"hourly, {changed_count:,} statuses changed (1%)", changed),
    ):
        rows.append(
            (
                label,
                f"{result['api_calls']:,}",
                f"{result['seconds']:.0f} s",
                writes(result),
                f"{result['rss_mb']:.0f} MB ({result['rss_loaded_mb']:.0f} MB loaded)",
            )
        )
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


if __name__ == "__main__":
    main()
