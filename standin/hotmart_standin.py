#!/usr/bin/env python3
"""The local Hotmart stand-in: a DEVELOPMENT TOOL that answers like Hotmart's API, not Hotmart.

It answers on loopback like Hotmart does for the calls the connector makes (OAuth token,
sales history, sales users, price details, commissions, the sales summary, products,
subscriptions and their charges; and the write calls: refund a sale, cancel or reactivate
subscriptions, change a charge day), with generated but realistic sales
(BRL, USD, EUR and other currencies; CPF, CNPJ and foreign buyers; repeat buyers; every
status), cursor pages, rate-limit headers and optional, seeded fault injection. The try-it
command, the end-to-end tests and the benchmarks run against it. Standard library only.

    python3 standin/hotmart_standin.py --port 18070 --sales 200

Every answer carries ``X-Hotmart-Stand-In: development stand-in``.
"""

import argparse
import base64
import json
import random
import secrets
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

from hotmart_standin_data import (
    BANNER,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_HOTTOK,
    MAX_RESULTS,
    RATE_LIMIT,
    StandInData,
)
from hotmart_standin_payloads import (
    PRODUCTS,
    SALES_ENDPOINTS,
    SALES_PATH,
    STATUS_EVENTS,
    SUBSCRIPTIONS_PATH,
    SUMMARY_PATH,
    subscription_answer,
    subscription_cancellation_event,
    subscription_item,
    subscription_purchases,
    webhook_event,
)
from standin_server import StandInHandler, StandInServer

# what the tests and the benchmarks take from here
__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "PRODUCTS",
    "Faults",
    "HotmartStandIn",
    "StandInData",
    "webhook_event",
]


class Faults:
    """Seeded fault injection on API calls: each kind with its probability."""

    KINDS = ("429", "500", "502", "503", "timeout", "broken_json", "drop")

    def __init__(self, rates=None, seed=11, slow_seconds=2.0):
        self.rates = {kind: float(rate) for kind, rate in (rates or {}).items() if rate}
        self.rng = random.Random(seed)
        self.slow_seconds = slow_seconds
        self.injected = {}  # kind -> how many times
        self._lock = threading.Lock()

    def draw(self):
        with self._lock:
            roll = self.rng.random()
            for kind, rate in self.rates.items():
                if roll < rate:
                    self.injected[kind] = self.injected.get(kind, 0) + 1
                    return kind
                roll -= rate
        return None


class HotmartStandIn(StandInServer):
    """The stand-in server; ``start()`` serves in a thread, ``url`` is its base URL."""

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        data=None,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        token_lifetime=172799,
        faults=None,
        rate_limit=RATE_LIMIT,
        quiet=True,
        webhook_url=None,
        hottok=DEFAULT_HOTTOK,
    ):
        self.data = data or StandInData()
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.faults = faults or Faults()
        self.rate_limit = rate_limit
        self.webhook_url = webhook_url
        self.hottok = hottok
        self.tokens = set()
        self.calls = {}
        self.writes = []  # every write call received: (method, path, JSON body)
        self._window = (0, 0)  # (minute, calls in it)
        self._lock = threading.Lock()
        super().__init__(host, port, quiet)

    @property
    def basic(self):
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return base64.b64encode(raw).decode()

    def account_values(self):
        """The settings of a Hotmart account connected to this stand-in."""
        return {
            "api_url": self.url,
            "auth_url": self.url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "basic_token": self.basic,
        }

    def send_webhook(self, sale):
        """POST the sale's status event to the configured webhook URL; returns the HTTP status."""
        if sale["status"] not in STATUS_EVENTS:
            return None
        return self.send_event(webhook_event(sale))

    def send_event(self, event):
        """POST a webhook event to the configured webhook URL; returns the HTTP status."""
        if not self.webhook_url:
            return None
        request = urllib.request.Request(
            self.webhook_url,
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/json", "X-HOTMART-HOTTOK": self.hottok},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def count(self, path):
        with self._lock:
            self.calls[path] = self.calls.get(path, 0) + 1

    def spend_budget(self):
        """(remaining, reset seconds), or None when the minute's budget is spent."""
        now = time.time()
        minute = int(now // 60)
        with self._lock:
            window_minute, used = self._window
            used = used + 1 if window_minute == minute else 1
            self._window = (minute, used)
        reset = max(1, int(60 - now % 60))
        if used > self.rate_limit:
            return None, reset
        return self.rate_limit - used, reset

    def _handler_class(self):
        sandbox = self

        class Handler(StandInHandler):
            server_version = "HotmartStandIn/1.0"
            stand_in = sandbox
            stand_in_header = "X-Hotmart-Stand-In"

            def do_POST(self):
                url = urlsplit(self.path)
                sandbox.count(url.path)
                if url.path == "/security/oauth/token":
                    return self.token(parse_qs(url.query))
                if url.path.startswith("/standin/sales/"):
                    return self.change_sale(url.path.rsplit("/", 1)[-1])
                if url.path.startswith("/standin/subscriptions/"):
                    return self.change_subscription(url.path.rsplit("/", 1)[-1])
                if url.path == "/standin/webhook":
                    return self.configure_webhook()
                if url.path == "/standin/history":
                    return self.configure_history()
                if url.path.startswith(SUBSCRIPTIONS_PATH):
                    return self.write_call(url.path)
                return self.reply(404, {"error": "not_found"})

            def do_PUT(self):
                url = urlsplit(self.path)
                sandbox.count(url.path)
                return self.write_call(url.path)

            def do_PATCH(self):
                url = urlsplit(self.path)
                sandbox.count(url.path)
                return self.write_call(url.path)

            def api_refusal(self):
                """The headers of an API answer, or None once a refusal (no token, rate
                limit, injected fault) was answered."""
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in sandbox.tokens:
                    self.reply(
                        401, {"error": "invalid_token", "error_description": "Invalid access token"}
                    )
                    return None
                budget, reset = sandbox.spend_budget()
                headers = {
                    "RateLimit-Limit": str(sandbox.rate_limit),
                    "RateLimit-Reset": str(reset),
                    "RateLimit-Remaining": str(max(budget or 0, 0)),
                    "X-RateLimit-Remaining-Minute": str(max(budget or 0, 0)),
                }
                if budget is None:
                    self.reply(
                        429,
                        {"error": "too_many_requests", "error_description": "Rate limit exceeded"},
                        headers,
                    )
                    return None
                if self.inject_fault(headers):
                    return None
                return headers

            def do_GET(self):
                url = urlsplit(self.path)
                sandbox.count(url.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/standin/stats":
                    return self.reply(
                        200, {"calls": dict(sandbox.calls), "sales": len(sandbox.data.sales)}
                    )
                if url.path not in SALES_ENDPOINTS and not url.path.startswith(
                    ("/products/api/v1/products", SUBSCRIPTIONS_PATH, SUMMARY_PATH)
                ):
                    return self.reply(404, {"error": "not_found"})
                headers = self.api_refusal()
                if headers is None:
                    return None
                if url.path == "/products/api/v1/products":
                    items = [
                        {
                            "id": pid,
                            "ucode": f"sandbox-product-{pid}",
                            "name": name,
                            "status": "ACTIVE",
                            "format": "ONLINE_COURSE",
                            "is_subscription": subscription,
                            "warranty_period": 7,
                            "created_at": 1740830400000,
                        }
                        for pid, name, _price, subscription in PRODUCTS
                    ]
                    return self.page(items, params, headers)
                if url.path == SUBSCRIPTIONS_PATH:
                    items = [
                        subscription_item(s) for s in sandbox.data.select_subscriptions(params)
                    ]
                    return self.page(items, params, headers)
                if url.path.startswith(SUBSCRIPTIONS_PATH + "/"):
                    code = url.path[len(SUBSCRIPTIONS_PATH) + 1 :].split("/")[0]
                    subscription = sandbox.data.subscriptions.get(code)
                    if not subscription or not url.path.endswith("/purchases"):
                        return self.reply(404, {"error": "not_found"}, headers)
                    return self.reply(
                        200, subscription_purchases(subscription, sandbox.data.sales), headers
                    )
                if url.path == SUMMARY_PATH:
                    return self.page(sandbox.data.summary(params), params, headers)
                if url.path not in SALES_ENDPOINTS:
                    return self.reply(404, {"error": "not_found"}, headers)
                sales = sandbox.data.select(params)
                return self.page(sales, params, headers, build=SALES_ENDPOINTS[url.path])

            def inject_fault(self, headers):
                kind = sandbox.faults.draw()
                if kind is None:
                    return False
                if kind in ("429", "500", "502", "503"):
                    self.reply(int(kind), {"error": "sandbox_fault"}, headers)
                elif kind == "timeout":
                    time.sleep(sandbox.faults.slow_seconds)
                    self.reply(504, {"error": "sandbox_timeout"}, headers)
                elif kind == "broken_json":
                    self.reply_raw(200, b'{"items": [{"purchase": ', headers)
                elif kind == "drop":
                    self.close_connection = True
                    self.connection.close()
                return True

            def page(self, items, params, headers, build=None):
                """One page of ``items``; ``build`` makes the answer's item of each one on
                the page (only of those: a big producer's window holds 90,000 sales)."""
                size = max(1, min(int(params.get("max_results") or 50), MAX_RESULTS))
                offset = 0
                if params.get("page_token"):
                    try:
                        offset = json.loads(base64.b64decode(params["page_token"]))["offset"]
                    except (ValueError, KeyError, TypeError):
                        return self.reply(
                            400,
                            {"error": "invalid_token", "error_description": "Invalid page token"},
                            headers,
                        )
                page_info = {"total_results": len(items), "results_per_page": size}
                if offset + size < len(items):
                    token = base64.b64encode(json.dumps({"offset": offset + size}).encode())
                    page_info["next_page_token"] = token.decode()
                if offset:
                    token = base64.b64encode(json.dumps({"offset": max(offset - size, 0)}).encode())
                    page_info["prev_page_token"] = token.decode()
                items = items[offset : offset + size]
                if build:
                    items = [build(item) for item in items]
                return self.reply(200, {"items": items, "page_info": page_info}, headers)

            def token(self, query):
                expected = f"Basic {sandbox.basic}"
                given = {k: v[0] for k, v in query.items()}
                if (
                    self.headers.get("Authorization") != expected
                    or given.get("client_id") != sandbox.client_id
                    or given.get("client_secret") != sandbox.client_secret
                    or given.get("grant_type") != "client_credentials"
                ):
                    return self.reply(
                        401,
                        {"error": "invalid_client", "error_description": "Bad client credentials"},
                    )
                token = secrets.token_urlsafe(24)
                sandbox.tokens.add(token)
                return self.reply(
                    200,
                    {
                        "access_token": token,
                        "token_type": "bearer",
                        "expires_in": sandbox.token_lifetime,
                        "scope": "read write",
                        "jti": secrets.token_hex(8),
                    },
                )

            def read_json(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def change_sale(self, transaction):
                """Change a sale's status, and send its webhook when one is configured."""
                try:
                    sale = sandbox.data.set_status(transaction, self.read_json()["status"])
                except (ValueError, KeyError):
                    return self.reply(400, {"error": "give a known transaction and a status"})
                delivered = sandbox.send_webhook(sale)
                answer = {"transaction": sale["transaction"], "status": sale["status"]}
                return self.reply(200, dict(answer, webhook_status=delivered))

            def change_subscription(self, code):
                """Cancel, switch plan, move the next charge or accept a reactivation
                ({"action": "cancel" | "switch_plan" | "charge_date" | "accept_reactivation",
                ...}), and send its webhook."""
                try:
                    subscription, event = sandbox.data.change_subscription(code, self.read_json())
                except (ValueError, KeyError, TypeError):
                    return self.reply(400, {"error": "give a known subscriber code and a change"})
                delivered = sandbox.send_event(event) if event else None
                answer = {"subscriber_code": code, "status": subscription["status"]}
                return self.reply(200, dict(answer, event=event, webhook_status=delivered))

            def write_call(self, path):
                """Hotmart's write calls: refund, cancel, reactivate, change the charge day.
                Every one received is kept in ``writes``, refused or not."""
                try:
                    body = self.read_json()
                except ValueError:
                    body = None
                sandbox.writes.append((self.command, path, body))
                headers = self.api_refusal()
                if headers is None:
                    return None
                if body is None:
                    return self.reply(400, {"error": "invalid_parameter"}, headers)
                parts = path[len(SUBSCRIPTIONS_PATH) :].strip("/").split("/")
                if self.command == "PUT" and path.startswith(SALES_PATH):
                    return self.refund(path[len(SALES_PATH) :].split("/")[0], headers)
                if self.command == "PATCH" and len(parts) == 1:
                    status, error = sandbox.data.change_due_day(parts[0], body.get("due_day"))
                    if error:
                        return self.reply(status, error, headers)
                    return self.reply_raw(200, b"", headers)  # Hotmart's answer is empty
                if self.command == "POST" and parts[-1] in ("cancel", "reactivate"):
                    return self.subscription_change(parts, body, headers)
                return self.reply(404, {"error": "not_found"}, headers)

            def refund(self, transaction, headers):
                status, error, sale = sandbox.data.refund(transaction)
                if error:
                    return self.reply(status, error, headers)
                sandbox.send_webhook(sale)
                return self.reply(200, {}, headers)

            def subscription_change(self, parts, body, headers):
                action = parts[-1]

                def change(code):
                    if action == "cancel":
                        return sandbox.data.cancel_subscription(code)
                    return sandbox.data.reactivate_subscription(code, body.get("charge"))

                if len(parts) == 2:  # one subscription: 200 with it, or a refusal
                    status, error = change(parts[0])
                    if error == "not_found":
                        return self.reply(404, {"error": "not_found"}, headers)
                    if error:
                        return self.reply(
                            400, {"error": "invalid_parameter", "error_description": error}, headers
                        )
                    subscription = sandbox.data.subscriptions[parts[0]]
                    return self.reply(200, subscription_answer(subscription, status), headers)
                codes = body.get("subscriber_code")
                if not isinstance(codes, list) or not codes:
                    return self.reply(400, {"error": "invalid_parameter"}, headers)
                answer = {"success_subscriptions": [], "fail_subscriptions": []}
                for code in codes:
                    status, error = change(code)
                    if error:
                        answer["fail_subscriptions"].append(
                            {"status": "INACTIVE", "error": error, "subscriber_code": code}
                        )
                    else:
                        item = subscription_answer(sandbox.data.subscriptions[code], status)
                        answer["success_subscriptions"].append(item)
                if action == "cancel":
                    for item in answer["success_subscriptions"]:
                        sandbox.send_event(
                            subscription_cancellation_event(
                                sandbox.data.subscriptions[item["subscriber_code"]],
                                int(time.time() * 1000),
                            )
                        )
                return self.reply(200, answer, headers)

            def configure_history(self):
                """Leave sales out of the history while the summary counts them
                ({"hide": [transactions]}), or serve them again ({"show": [...]})."""
                try:
                    body = self.read_json()
                    hide, show = set(body.get("hide") or ()), set(body.get("show") or ())
                except (ValueError, TypeError, AttributeError):
                    return self.reply(400, {"error": "give hide or show lists"})
                unknown = (hide | show) - set(sandbox.data.sales)
                if unknown:
                    return self.reply(400, {"error": f"unknown transactions: {sorted(unknown)}"})
                sandbox.data.hidden = (sandbox.data.hidden | hide) - show
                return self.reply(200, {"hidden": sorted(sandbox.data.hidden)})

            def configure_webhook(self):
                try:
                    body = self.read_json()
                except ValueError:
                    return self.reply(400, {"error": "give a JSON body"})
                sandbox.webhook_url = body.get("url") or None
                sandbox.hottok = body.get("hottok") or sandbox.hottok
                return self.reply(200, {"url": sandbox.webhook_url})

        return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description=BANNER)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18070)
    parser.add_argument("--sales", type=int, default=200, help="how many sales to generate")
    parser.add_argument("--days", type=int, default=60, help="spread them over these last days")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=RATE",
        help=f"inject a fault on a fraction of API calls; kinds: {', '.join(Faults.KINDS)}",
    )
    parser.add_argument(
        "--status-weights",
        action="append",
        default=[],
        metavar="STATUS=WEIGHT",
        help="generate these statuses only, in these proportions",
    )
    parser.add_argument(
        "--currency-weights",
        action="append",
        default=[],
        metavar="CODE=WEIGHT",
        help="generate these currencies only, in these proportions",
    )
    parser.add_argument("--webhook-url", help="send a Hotmart webhook there when a sale changes")
    parser.add_argument("--hottok", default=DEFAULT_HOTTOK)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    rates = dict(item.split("=", 1) for item in args.fault)

    def weights(items):
        return {k: float(v) for k, v in (item.split("=", 1) for item in items)} or None

    sandbox = HotmartStandIn(
        args.host,
        args.port,
        StandInData(
            args.sales,
            args.seed,
            args.days,
            statuses=weights(args.status_weights),
            currencies=weights(args.currency_weights),
        ),
        client_id=args.client_id,
        client_secret=args.client_secret,
        faults=Faults(rates, seed=args.seed),
        quiet=not args.verbose,
        webhook_url=args.webhook_url,
        hottok=args.hottok,
    )
    sandbox.serve_until_interrupted(
        f"{BANNER} on {sandbox.url} with {len(sandbox.data.sales)} sales"
    )


if __name__ == "__main__":
    main()
