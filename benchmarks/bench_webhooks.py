#!/usr/bin/env python3
"""Benchmark: Hotmart webhooks on a multi-process Odoo, two servers on one database.

It copies a fresh database (the addon installed), makes a Hotmart account, and starts two
Odoo servers on it as a production site would run them: one with ``--workers=4
--max-cron-threads=2`` and a second one with the same options, each its own HTTP port.
Deliveries are spread over both, as a load balancer would.

The events are Hotmart's shapes, made by the sandbox: for each of ``--sales`` paid sales a
PURCHASE_APPROVED, then for every other one a later PURCHASE_COMPLETE or PURCHASE_REFUNDED
(900 events for 600 sales); each event is delivered 1 to 3 times, as Hotmart repeats
deliveries, and all deliveries are shuffled (about 1,600). Two phases, each with its own
sales:

* **open loop**: deliveries sent at a fixed rate (``--rate``, 20 per second), each on time
  whatever the answers before it; it measures how long the servers take to acknowledge a
  delivery (from the moment it was due) and how long a sale's first delivery takes to
  become an order (polled in the database every 50 ms);
* **closed loop**: ``--senders`` (32) senders, each sending its next delivery as soon as
  the last one is answered: the deliveries per second the servers take, and the events
  per second processing drains from the backlog the burst left.

Then it checks exactly-once: every sale stored once with one order in the state of its
last event, every event stored once, none failed, one customer per buyer.

    python3 benchmarks/bench_webhooks.py
    python3 benchmarks/bench_webhooks.py --sales 300 --rate 10

Needs what scripts/test.sh needs (Odoo 18 importable, PostgreSQL). Prints a Markdown table.
"""

import argparse
import json
import random
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import psycopg2
import requests
from benchlib import (
    ROOT,
    addons_path,
    build_template,
    copy_template,
    drop_template,
    free_port,
    machine,
    odoo_command,
    open_registry,
    run,
    sell_in_reais,
    wait_for,
)

DB = "hotmart_bench_webhooks"
HOTTOK = "bench-hottok"
SERVER_OPTIONS = ("--workers=4", "--max-cron-threads=2")
# what a delivered event leaves an order in, by its sale's last status
EXPECTED_STATE = {
    "APPROVED": ("sale", False),
    "COMPLETE": ("sale", True),
    "REFUNDED": ("cancel", None),
}
# A refund processed before its approval leaves no order: the refund is not imported, and
# the approval, older, is ignored.
IMPORTED = ("APPROVED", "COMPLETE")


# ---------------------------------------------------------------------- the deliveries


def make_deliveries(sales, phase, seed):
    """(deliveries, {transaction: last status}, event count) for one phase's own sales."""
    sys.path.insert(0, str(ROOT / "standin"))
    from hotmart_standin import StandInData, webhook_event

    rng = random.Random(seed)
    data = StandInData(sales=sales, seed=seed, days=20, currencies={"BRL": 1})
    events, final = [], {}
    for index, sale in enumerate(data.sales.values()):
        sale = dict(sale, status="APPROVED", transaction=f"HPW{phase}{index:06d}")
        approval = webhook_event(sale)
        approval["id"] = str(uuid.UUID(int=rng.getrandbits(128)))
        approval["creation_date"] = sale["order_date"] + 60_000
        events.append(approval)
        final[sale["transaction"]] = "APPROVED"
        if index % 2:
            status = rng.choice(["COMPLETE", "REFUNDED"])
            later = webhook_event(dict(sale, status=status))
            later["id"] = str(uuid.UUID(int=rng.getrandbits(128)))
            later["creation_date"] = approval["creation_date"] + rng.randint(60, 86_400) * 1000
            events.append(later)
            final[sale["transaction"]] = status
    deliveries = []
    for event in events:
        body = json.dumps(event).encode()
        deliveries += [(event["data"]["purchase"]["transaction"], body)] * rng.choice([1, 1, 2, 3])
    rng.shuffle(deliveries)
    return deliveries, final, len(events)


# ---------------------------------------------------------------------- the site


def prepare_database():
    """A fresh database with a BRL company and an active Hotmart account; its id."""
    copy_template(DB)
    import odoo
    from odoo import sql_db

    registry = open_registry(DB)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        sell_in_reais(env)
        backend = env["hotmart.backend"].create(
            {
                "name": "Benchmark",
                "environment": "sandbox",
                "client_id": "bench",
                "client_secret": "bench",
                "basic_token": "bench",
                "hottok": HOTTOK,
                "import_since": datetime.now() - timedelta(days=60),
                "last_connection_date": datetime.now(),
            }
        )
        # only the webhooks' processing runs: the account's other scheduled actions wait
        later = datetime.now() + timedelta(days=1)
        for xmlid in (
            "ir_cron_receive_orders",
            "ir_cron_sync_statuses",
            "ir_cron_sync_subscriptions",
            "ir_cron_invoice_sales",
        ):
            env.ref(f"hotmart_connector.{xmlid}").nextcall = later
        backend_id = backend.id
        cr.commit()
    registry.delete(DB)
    sql_db.close_all()
    return backend_id


def start_servers(count=2):
    servers = []
    for _ in range(count):
        port = free_port()
        process = subprocess.Popen(
            [
                *odoo_command(),
                f"--addons-path={addons_path()}",
                "-d",
                DB,
                f"--db-filter=^{DB}$",
                f"--http-port={port}",
                f"--gevent-port={free_port()}",
                *SERVER_OPTIONS,
                "--log-level=warn",
            ],
            stdout=subprocess.DEVNULL,
        )
        servers.append((process, f"http://127.0.0.1:{port}"))
    for _process, url in servers:
        wait_for(url + "/web/health", seconds=120)
    return servers


def warm_up(urls, rounds=10):
    """A few deliveries of an event the connector only keeps, to every worker: a worker's
    first request loads Odoo's caches (over a second), which a running site paid long ago."""
    event = {"event": "BENCHMARK_WARM_UP", "version": "2.0.0", "data": {}}
    bodies = [
        json.dumps(dict(event, id=f"warm-up-{i}", creation_date=0)).encode()
        for i in range(rounds * 8)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda item: send(urls[item[0] % len(urls)], item[1]), enumerate(bodies)))


def stop_servers(servers):
    for process, _url in servers:
        process.terminate()
    for process, _url in servers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# ---------------------------------------------------------------------- watching the database


class Watcher(threading.Thread):
    """Polls the database every 50 ms: when each order appeared, how many events wait."""

    def __init__(self, prefix):
        super().__init__(daemon=True)
        self.prefix = prefix
        self.order_seen = {}
        self.processed = []  # (time, events processed)
        self.stop = threading.Event()

    def run(self):
        connection = psycopg2.connect(dbname=DB)
        connection.autocommit = True
        with connection.cursor() as cr:
            while not self.stop.is_set():
                cr.execute(
                    "SELECT transaction FROM hotmart_sale "
                    "WHERE sale_order_id IS NOT NULL AND transaction LIKE %s",
                    [self.prefix + "%"],
                )
                now = time.perf_counter()
                for (transaction,) in cr.fetchall():
                    self.order_seen.setdefault(transaction, now)
                cr.execute(
                    "SELECT count(*) FROM hotmart_webhook_event "
                    "WHERE state != 'pending' AND transaction LIKE %s",
                    [self.prefix + "%"],
                )
                self.processed.append((now, cr.fetchone()[0]))
                time.sleep(0.05)
        connection.close()

    def wait_until(self, final, events, seconds=300):
        """Wait until every paid sale has its order and every event is processed."""
        paid = {t for t, status in final.items() if status in IMPORTED}
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            processed = self.processed[-1][1] if self.processed else 0
            if paid <= self.order_seen.keys() and processed >= events:
                return True
            time.sleep(0.1)
        return False


# ---------------------------------------------------------------------- sending


def send(url, body):
    """POST one delivery; (status code, seconds)."""
    started = time.perf_counter()
    try:
        answer = requests.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", "X-HOTMART-HOTTOK": HOTTOK},
            timeout=30,
        )
        status = answer.status_code
    except requests.RequestException:
        status = 0
    return status, time.perf_counter() - started


def open_loop(urls, deliveries, rate):
    """Send each delivery when it is due, whatever the answers before; returns the
    acknowledgement times (from when each was due), the first delivery time of each sale,
    and the statuses."""
    first_sent, statuses, latencies = {}, [], []
    lock = threading.Lock()

    def deliver(index, due, transaction, body):
        with lock:
            first_sent.setdefault(transaction, due)
        status, _seconds = send(urls[index % len(urls)], body)
        done = time.perf_counter()
        with lock:
            statuses.append(status)
            latencies.append(done - due)

    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.perf_counter() + 0.5
        for index, (transaction, body) in enumerate(deliveries):
            due = start + index / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(deliver, index, due, transaction, body)
    return latencies, first_sent, statuses


def closed_loop(urls, deliveries, senders):
    """``senders`` senders, each sending its next delivery when the last is answered;
    returns (seconds for all, first delivery time of each sale, statuses)."""
    queue = list(enumerate(deliveries))
    first_sent, statuses = {}, []
    lock = threading.Lock()

    def sender():
        while True:
            with lock:
                if not queue:
                    return
                index, (transaction, body) = queue.pop()
                first_sent.setdefault(transaction, time.perf_counter())
            status, _seconds = send(urls[index % len(urls)], body)
            with lock:
                statuses.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, first_sent, statuses


# ---------------------------------------------------------------------- figures


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def to_order_seconds(first_sent, watcher, final):
    """From each paid sale's first delivery to its order, in seconds."""
    return [
        max(0.0, watcher.order_seen[t] - sent)
        for t, sent in first_sent.items()
        if final[t] in IMPORTED and t in watcher.order_seen
    ]


def backlog_rate(watcher, sent_at):
    """Events processed per second on the backlog the burst left, from when the senders
    stopped to the last event processed. (While 32 sender threads run, this process's
    watcher thread is starved of the GIL and cannot sample reliably.)"""
    points = [p for p in watcher.processed if p[0] >= sent_at]
    if len(points) < 2:
        return 0.0
    end = next(p for p in points if p[1] == points[-1][1])
    return (end[1] - points[0][1]) / (end[0] - points[0][0]) if end[0] > points[0][0] else 0.0


def check_exactly_once(finals, events):
    """What went wrong, as sentences; empty when every sale, order and event is there once."""
    problems = []
    connection = psycopg2.connect(dbname=DB)
    with connection.cursor() as cr:
        for prefix, final in finals.items():
            cr.execute(
                "SELECT s.transaction, s.status, count(o.id), min(o.state), bool_or(o.locked) "
                "FROM hotmart_sale s LEFT JOIN sale_order o ON o.hotmart_sale_id = s.id "
                "WHERE s.transaction LIKE %s GROUP BY s.id",
                [prefix + "%"],
            )
            rows = {row[0]: row[1:] for row in cr.fetchall()}
            if len(rows) != len(final):
                problems.append(f"{prefix}: {len(rows)} sales stored for {len(final)}")
            for transaction, status in final.items():
                stored, orders, state, locked = rows.get(transaction, (None, 0, None, None))
                want_state, want_locked = EXPECTED_STATE[status]
                if status not in IMPORTED and not orders:
                    continue
                if (
                    stored != status
                    or orders != 1
                    or state != want_state
                    or (want_locked is not None and bool(locked) != want_locked)
                ):
                    problems.append(f"{transaction}: {stored}, {orders} orders, {state}")
            cr.execute(
                "SELECT count(*), count(DISTINCT event_uid), "
                "count(*) FILTER (WHERE state NOT IN ('done', 'ignored')) "
                "FROM hotmart_webhook_event WHERE transaction LIKE %s",
                [prefix + "%"],
            )
            stored, distinct, unfinished = cr.fetchone()
            if (stored, distinct, unfinished) != (events[prefix], events[prefix], 0):
                problems.append(
                    f"{prefix}: {stored} events stored ({distinct} distinct, {unfinished} not "
                    f"processed) for {events[prefix]}"
                )
        cr.execute(
            "SELECT lower(email), count(*) FROM res_partner WHERE email IS NOT NULL "
            "AND id IN (SELECT partner_id FROM sale_order WHERE hotmart_sale_id IS NOT NULL) "
            "GROUP BY lower(email) HAVING count(*) > 1"
        )
        problems += [f"{email}: {count} customers" for email, count in cr.fetchall()]
    connection.close()
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sales", type=int, default=600, help="sales per phase")
    parser.add_argument("--rate", type=float, default=20.0, help="open loop: deliveries/s")
    parser.add_argument("--senders", type=int, default=32, help="closed loop: senders")
    parser.add_argument("--keep", action="store_true", help="keep and reuse the template")
    args = parser.parse_args()

    build_template(keep=args.keep)
    backend_id = prepare_database()
    servers = start_servers()
    urls = [f"{url}/hotmart/webhook/{backend_id}" for _process, url in servers]
    finals, events = {}, {}
    try:
        warm_up(urls)
        # open loop: latency at a steady offered rate
        deliveries, finals["HPW1"], events["HPW1"] = make_deliveries(args.sales, 1, seed=21)
        watcher = Watcher("HPW1")
        watcher.start()
        latencies, first_sent, statuses = open_loop(urls, deliveries, args.rate)
        drained = watcher.wait_until(finals["HPW1"], events["HPW1"])
        watcher.stop.set()
        to_order = to_order_seconds(first_sent, watcher, finals["HPW1"])
        open_figures = {
            "deliveries": len(deliveries),
            "events": events["HPW1"],
            "refused": sum(1 for s in statuses if s != 200),
            "ack_p50": percentile(latencies, 0.50),
            "ack_p99": percentile(latencies, 0.99),
            "ack_max": max(latencies),
            "order_p50": percentile(to_order, 0.50),
            "order_p95": percentile(to_order, 0.95),
            "order_max": max(to_order),
            "drained": drained,
        }
        print(f"open loop: {json.dumps(open_figures)}", file=sys.stderr)

        # closed loop: what the servers take, and how fast processing drains
        deliveries, finals["HPW2"], events["HPW2"] = make_deliveries(args.sales, 2, seed=22)
        watcher = Watcher("HPW2")
        watcher.start()
        seconds, first_sent, statuses = closed_loop(urls, deliveries, args.senders)
        sent_at = time.perf_counter()
        drained = watcher.wait_until(finals["HPW2"], events["HPW2"]) and drained
        watcher.stop.set()
        to_order = to_order_seconds(first_sent, watcher, finals["HPW2"])
        closed_figures = {
            "deliveries": len(deliveries),
            "events": events["HPW2"],
            "refused": sum(1 for s in statuses if s != 200),
            "per_second": len(deliveries) / seconds,
            "backlog_per_second": backlog_rate(watcher, sent_at),
            "order_p95": percentile(to_order, 0.95),
            "drained": drained,
        }
        print(f"closed loop: {json.dumps(closed_figures)}", file=sys.stderr)
    finally:
        stop_servers(servers)
    problems = check_exactly_once(finals, events)
    run("dropdb", "--if-exists", DB)
    drop_template(keep=args.keep)

    print(machine() + f"; two Odoo servers, each {' '.join(SERVER_OPTIONS)}\n")
    print(table(args, open_figures, closed_figures, problems))
    if problems or not drained or open_figures["refused"] or closed_figures["refused"]:
        sys.exit("Webhooks lost or doubled something:\n" + "\n".join(problems[:20]))


def table(args, o, c, problems):
    ms = 1000
    rows = [
        ("figure", "measured", "goal", "before (one event at a time)"),
        ("---", "---:", "---:", "---:"),
        (
            f"acknowledged, at {args.rate:g} deliveries/s: p50 / p99 / max",
            f"{o['ack_p50'] * ms:.0f} / {o['ack_p99'] * ms:.0f} / {o['ack_max'] * ms:.0f} ms",
            "p99 < 100 ms",
            "30 / 1,400 / 1,900 ms",
        ),
        (
            "first delivery → order: p50 / p95 / max",
            f"{o['order_p50']:.1f} / {o['order_p95']:.1f} / {o['order_max']:.1f} s",
            "p95 < 5 s",
            "3.9 / 13 / – s",
        ),
        (
            f"deliveries taken, {args.senders} senders",
            f"{c['per_second']:.0f} /s",
            "reported",
            "71 /s",
        ),
        (
            "events processed, on the backlog the burst left",
            f"{c['backlog_per_second']:.0f} /s",
            "≥ 50 /s",
            "9 /s",
        ),
        (
            f"exactly once ({o['events'] + c['events']:,} events, "
            f"{o['deliveries'] + c['deliveries']:,} deliveries)",
            "yes" if not problems else f"no: {len(problems)} problems",
            "yes",
            "yes",
        ),
    ]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


if __name__ == "__main__":
    main()
