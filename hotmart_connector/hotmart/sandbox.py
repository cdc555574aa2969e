#!/usr/bin/env python3
"""A local Hotmart sandbox: a DEVELOPMENT STAND-IN for Hotmart's API, not Hotmart.

It answers on loopback like Hotmart does for the calls the connector makes (OAuth token,
sales history, sales users, price details, products), with generated but realistic sales
(BRL, USD, EUR and other currencies; CPF, CNPJ and foreign buyers; repeat buyers; every
status), cursor pages, rate-limit headers and optional, seeded fault injection. The try-it
command, the end-to-end tests and the benchmarks run against it. Standard library only.

    python3 hotmart_connector/hotmart/sandbox.py --port 18070 --sales 200

Every answer carries ``X-Hotmart-Sandbox: development stand-in``.
"""

import argparse
import base64
import contextlib
import json
import random
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BANNER = "Hotmart sandbox (development stand-in, not Hotmart)"
DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"
DEFAULT_HOTTOK = "sandbox-hottok"
DEFAULT_STATUSES = ("APPROVED", "COMPLETE")  # what Hotmart returns without transaction_status
MAX_RESULTS = 500
RATE_LIMIT = 500  # calls per minute per credential

# weights of the statuses generated: mostly paid sales, every status present
STATUS_WEIGHTS = {
    "APPROVED": 40,
    "COMPLETE": 30,
    "WAITING_PAYMENT": 2,
    "PRINTED_BILLET": 4,
    "PROCESSING_TRANSACTION": 1,
    "UNDER_ANALISYS": 1,
    "PRE_ORDER": 1,
    "STARTED": 1,
    "OVERDUE": 1,
    "BLOCKED": 1,
    "NO_FUNDS": 1,
    "EXPIRED": 3,
    "CANCELLED": 3,
    "PROTESTED": 1,
    "PARTIALLY_REFUNDED": 1,
    "REFUNDED": 3,
    "CHARGEBACK": 1,
}
CURRENCY_WEIGHTS = {"BRL": 70, "USD": 10, "EUR": 8, "MXN": 4, "COP": 4, "ARS": 4}
PRODUCTS = [
    (1234567, "Curso Completo de Fotografia", 497.0, False),
    (2345678, "Mentoria Finanças Pessoais", 1997.0, False),
    (3456789, "Clube do Livro Digital (assinatura)", 29.9, True),
    (4567890, "E-book Receitas Veganas", 47.0, False),
    (5678901, "Formação em Marketing Digital", 997.0, False),
    (6789012, "Workshop de Oratória", 197.0, False),
]
PRICE_FACTOR = {"BRL": 1, "USD": 0.19, "EUR": 0.17, "MXN": 3.4, "COP": 780, "ARS": 180}
FIRST_NAMES = [
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Elisa",
    "Fábio",
    "Gabriela",
    "Hugo",
    "Íris",
    "João",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Paula",
    "Rafael",
    "Sofia",
]
LAST_NAMES = [
    "Souza",
    "Carvalho",
    "Oliveira",
    "Santos",
    "Pereira",
    "Lima",
    "Ferreira",
    "Almeida",
    "Ribeiro",
    "Gomes",
    "Martins",
    "Araújo",
    "Barbosa",
    "Rocha",
]
BR_PLACES = [
    ("São Paulo", "SP"),
    ("Rio de Janeiro", "RJ"),
    ("Belo Horizonte", "MG"),
    ("Uberlândia", "MG"),
    ("Curitiba", "PR"),
    ("Porto Alegre", "RS"),
    ("Salvador", "BA"),
    ("Recife", "PE"),
    ("Fortaleza", "CE"),
    ("Goiânia", "GO"),
]
FOREIGN_PLACES = [
    ("United States", "US", "Austin", "TX"),
    ("France", "FR", "Lyon", ""),
    ("Portugal", "PT", "Porto", ""),
    ("México", "MX", "Guadalajara", "JAL"),
    ("Colombia", "CO", "Medellín", "ANT"),
    ("Argentina", "AR", "Córdoba", ""),
]


def _check_digit(digits, weights):
    total = sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
    return 0 if total < 2 else 11 - total


def make_cpf(rng):
    digits = [rng.randint(0, 9) for _ in range(9)]
    digits.append(_check_digit(digits, range(10, 1, -1)))
    digits.append(_check_digit(digits, range(11, 1, -1)))
    return "".join(map(str, digits))


def make_cnpj(rng):
    digits = [rng.randint(0, 9) for _ in range(8)] + [0, 0, 0, 1]
    digits.append(_check_digit(digits, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    digits.append(_check_digit(digits, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    return "".join(map(str, digits))


def epoch_ms(moment):
    return int(moment.timestamp() * 1000)


class SandboxData:
    """The sales the sandbox serves, generated once from a seed."""

    def __init__(self, sales=200, seed=7, days=60, now=None, statuses=None, currencies=None):
        self.rng = random.Random(seed)
        self.now = now or datetime.now(timezone.utc)
        self.start = self.now - timedelta(days=days)
        self.status_weights = statuses or STATUS_WEIGHTS
        self.currency_weights = currencies or CURRENCY_WEIGHTS
        self.buyers = []
        self.sales = {}
        self._lock = threading.Lock()
        for index in range(sales):
            self.add_sale(index)

    def _buyer(self):
        rng = self.rng
        # roughly one sale in four comes from somebody who bought before
        if self.buyers and rng.random() < 0.25:
            return rng.choice(self.buyers)
        number = len(self.buyers) + 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        kind = rng.choices(["CPF", "CNPJ", "FOREIGN"], [65, 10, 25])[0]
        buyer = {
            "ucode": f"sandbox-buyer-{number:06d}",
            "locale": "PT_BR" if kind != "FOREIGN" else "EN",
            "name": f"{first} {last}" if kind != "CNPJ" else f"{last} {first} Cursos Ltda",
            "trade_name": "",
            "email": f"{first}.{last}.{number}@example.com".lower()
            .encode("ascii", "ignore")
            .decode(),
            "cellphone": f"119{rng.randint(10000000, 99999999)}",
            "phone": "",
            "documents": [],
        }
        if kind == "FOREIGN":
            country, _iso, city, state = rng.choice(FOREIGN_PLACES)
            buyer["cellphone"] = f"+1 512{rng.randint(1000000, 9999999)}"
            buyer["address"] = {
                "address": "Main Street",
                "number": str(rng.randint(1, 999)),
                "complement": "",
                "neighborhood": "",
                "city": city,
                "state": state,
                "country": country,
                "zip_code": "78701",
            }
        else:
            city, state = rng.choice(BR_PLACES)
            document = make_cpf(rng) if kind == "CPF" else make_cnpj(rng)
            buyer["documents"] = [{"type": kind, "value": document}]
            buyer["address"] = {
                "address": "Rua das Flores",
                "number": str(rng.randint(1, 2000)),
                "complement": rng.choice(["", "apto 12", "sala 3"]),
                "neighborhood": "Centro",
                "city": city,
                "state": state,
                "country": "Brasil",
                "zip_code": f"{rng.randint(10000, 99999)}000",
            }
        self.buyers.append(buyer)
        return buyer

    def add_sale(self, index=None, **overrides):
        rng = self.rng
        with self._lock:
            index = len(self.sales) if index is None else index
            product_id, product_name, base_price, is_subscription = rng.choice(PRODUCTS)
            currency = rng.choices(*zip(*self.currency_weights.items(), strict=True))[0]
            status = rng.choices(*zip(*self.status_weights.items(), strict=True))[0]
            order_date = self.start + (self.now - self.start) * rng.random()
            price = round(base_price * PRICE_FACTOR[currency], 2)
            sale = {
                "transaction": f"HP{9000000000000 + index:013d}",
                "status": status,
                "order_date": epoch_ms(order_date),
                "approved_date": epoch_ms(order_date + timedelta(minutes=1)),
                "product": {"id": product_id, "name": product_name},
                "price": price,
                "currency": currency,
                "is_subscription": is_subscription,
                "recurrency_number": rng.randint(1, 6) if is_subscription else 1,
                "payment_type": rng.choice(["CREDIT_CARD", "PIX", "BILLET", "PAYPAL"]),
                "installments": rng.choice([1, 1, 1, 3, 6, 12]),
                "buyer": self._buyer(),
            }
            sale.update(overrides)
            self.sales[sale["transaction"]] = sale
            return sale

    def set_status(self, transaction, status):
        with self._lock:
            self.sales[transaction]["status"] = status
            return self.sales[transaction]

    def select(self, params):
        """The sales matching Hotmart's filters, in a stable order."""
        transaction = params.get("transaction")
        status = params.get("transaction_status")
        statuses = {status} if status else (None if transaction else set(DEFAULT_STATUSES))
        start = int(params.get("start_date") or 0)
        end = int(params.get("end_date") or 2**62)
        product_id = params.get("product_id")
        email = params.get("buyer_email")
        with self._lock:
            sales = list(self.sales.values())
        return [
            sale
            for sale in sales
            if (not transaction or sale["transaction"] == transaction)
            and (statuses is None or sale["status"] in statuses)
            and start <= sale["order_date"] <= end
            and (not product_id or str(sale["product"]["id"]) == str(product_id))
            and (not email or sale["buyer"]["email"] == email)
        ]


def history_item(sale):
    fee = round(sale["price"] * 0.099 + 1, 2)
    return {
        "product": sale["product"],
        "buyer": {k: sale["buyer"][k] for k in ("name", "email", "ucode")},
        "producer": {"name": "Escola Sandbox Ltda", "ucode": "sandbox-producer-1"},
        "purchase": {
            "transaction": sale["transaction"],
            "order_date": sale["order_date"],
            "approved_date": sale["approved_date"],
            "status": sale["status"],
            "is_subscription": sale["is_subscription"],
            "recurrency_number": sale["recurrency_number"],
            "commission_as": "PRODUCER",
            "price": {"value": sale["price"], "currency_code": sale["currency"]},
            "payment": {
                "type": sale["payment_type"],
                "method": sale["payment_type"],
                "installments_number": sale["installments"],
            },
            "offer": {"code": "sandbox1", "payment_mode": "UNIQUE_PAYMENT"},
            "hotmart_fee": {
                "total": fee,
                "fixed": 1,
                "percentage": 9.9,
                "base": sale["price"],
                "currency_code": sale["currency"],
            },
            "warranty_expire_date": sale["order_date"] + 7 * 86400000,
            "tracking": {"source_sck": "", "source": "", "external_code": ""},
        },
    }


def users_item(sale):
    return {
        "transaction": sale["transaction"],
        "product": sale["product"],
        "users": [
            {"role": "BUYER", "user": sale["buyer"]},
            {
                "role": "PRODUCER",
                "user": {
                    "ucode": "sandbox-producer-1",
                    "name": "Escola Sandbox Ltda",
                    "email": "contato@sandbox.example.com",
                },
            },
        ],
    }


def price_details_item(sale):
    money = {"value": sale["price"], "currency_code": sale["currency"]}
    return {
        "transaction": sale["transaction"],
        "product": sale["product"],
        "base": money,
        "total": money,
        "vat": {"value": 0.0, "currency_code": sale["currency"]},
        "fee": {"value": 0.0, "currency_code": sale["currency"]},
        "coupon": {"code": "", "value": 0.0},
        "real_conversion_rate": round(1 / PRICE_FACTOR[sale["currency"]], 4),
    }


def settlement(sale):
    """Who gets what of a sale, in reais as Hotmart pays Brazilian producers: Hotmart's fee
    (9.9% + R$ 1), an affiliate's 30% of the rest on one sale in four, the producer's net."""
    rate = 1.0 if sale["currency"] == "BRL" else round(1 / PRICE_FACTOR[sale["currency"]], 4)
    gross = round(sale["price"] * rate, 2)
    fee = round(gross * 0.099 + 1, 2)
    has_affiliate = int(sale["transaction"][-4:]) % 4 == 0
    affiliate = round((gross - fee) * 0.3, 2) if has_affiliate else 0.0
    return {
        "rate": rate,
        "MARKETPLACE": fee,
        "AFFILIATE": affiliate,
        "PRODUCER": round(gross - fee - affiliate, 2),
    }


def commissions_item(sale):
    shares = settlement(sale)
    commissions = [
        {"source": source, "commission": {"value": shares[source], "currency_value": "BRL"}}
        for source in ("MARKETPLACE", "PRODUCER", "AFFILIATE")
        if shares[source]
    ]
    for entry in commissions:
        if entry["source"] == "AFFILIATE":
            entry["user"] = {"ucode": "sandbox-affiliate-1", "name": "Parceiro Sandbox"}
    return {
        "transaction": sale["transaction"],
        "product": sale["product"],
        "exchange_rate_currency_payout": shares["rate"],
        "commissions": commissions,
    }


def webhook_commissions(sale):
    """The webhook's ``commissions``: in the sale's currency, converted to reais."""
    shares = settlement(sale)
    result = []
    for source in ("MARKETPLACE", "PRODUCER", "AFFILIATE"):
        if not shares[source]:
            continue
        entry = {"source": source, "value": shares[source], "currency_value": "BRL"}
        if sale["currency"] != "BRL":
            entry.update(
                value=round(shares[source] / shares["rate"], 2),
                currency_value=sale["currency"],
                currency_conversion={
                    "converted_value": shares[source],
                    "converted_to_currency": "BRL",
                    "conversion_rate": shares["rate"],
                },
            )
        result.append(entry)
    return result


# The webhook event Hotmart sends when a sale reaches a status (postback v2.0.0).
STATUS_EVENTS = {
    "APPROVED": "PURCHASE_APPROVED",
    "COMPLETE": "PURCHASE_COMPLETE",
    "CANCELLED": "PURCHASE_CANCELED",
    "REFUNDED": "PURCHASE_REFUNDED",
    "CHARGEBACK": "PURCHASE_CHARGEBACK",
    "PROTESTED": "PURCHASE_PROTEST",
    "PRINTED_BILLET": "PURCHASE_BILLET_PRINTED",
    "EXPIRED": "PURCHASE_EXPIRED",
    "OVERDUE": "PURCHASE_DELAYED",
}
# ...and how webhooks spell some statuses
WEBHOOK_SPELLING = {
    "CANCELLED": "CANCELED",
    "PRINTED_BILLET": "BILLET_PRINTED",
    "PROTESTED": "DISPUTE",
}


def webhook_event(sale):
    """A postback for the sale's current status, shaped as Hotmart's (webhook field names)."""
    buyer = sale["buyer"]
    address = buyer.get("address") or {}
    document = (buyer.get("documents") or [{}])[0]
    money = {"value": sale["price"], "currency_value": sale["currency"]}
    return {
        "id": str(uuid.uuid4()),
        "creation_date": int(time.time() * 1000),
        "event": STATUS_EVENTS[sale["status"]],
        "version": "2.0.0",
        "data": {
            "product": {
                "id": sale["product"]["id"],
                "ucode": f"sandbox-product-{sale['product']['id']}",
                "name": sale["product"]["name"],
            },
            "buyer": {
                "name": buyer["name"],
                "email": buyer["email"],
                "checkout_phone": buyer.get("cellphone", ""),
                "document": document.get("value", ""),
                "document_type": document.get("type", ""),
                "address": {
                    "country": address.get("country", ""),
                    "state": address.get("state", ""),
                    "city": address.get("city", ""),
                    "neighborhood": address.get("neighborhood", ""),
                    "zipcode": address.get("zip_code", ""),
                    "address": address.get("address", ""),
                    "number": address.get("number", ""),
                    "complement": address.get("complement", ""),
                },
            },
            "purchase": {
                "transaction": sale["transaction"],
                "status": WEBHOOK_SPELLING.get(sale["status"], sale["status"]),
                "order_date": sale["order_date"],
                "approved_date": sale["approved_date"],
                "price": money,
                "full_price": money,
                "payment": {
                    "type": sale["payment_type"],
                    "installments_number": sale["installments"],
                },
                "offer": {"code": "sandbox1"},
                "recurrence_number": sale["recurrency_number"],
            },
            "commissions": webhook_commissions(sale),
        },
    }


SALES_ENDPOINTS = {
    "/payments/api/v1/sales/history": history_item,
    "/payments/api/v1/sales/users": users_item,
    "/payments/api/v1/sales/price/details": price_details_item,
    "/payments/api/v1/sales/commissions": commissions_item,
}


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


class HotmartSandbox:
    """The sandbox server; ``start()`` serves in a thread, ``url`` is its base URL."""

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
        self.data = data or SandboxData()
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.faults = faults or Faults()
        self.rate_limit = rate_limit
        self.quiet = quiet
        self.webhook_url = webhook_url
        self.hottok = hottok
        self.tokens = set()
        self.calls = {}
        self._window = (0, 0)  # (minute, calls in it)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), self._handler_class())
        self.server.daemon_threads = True
        self.thread = None

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def basic(self):
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return base64.b64encode(raw).decode()

    def account_values(self):
        """The settings of a Hotmart account connected to this sandbox."""
        return {
            "api_url": self.url,
            "auth_url": self.url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "basic_token": self.basic,
        }

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def send_webhook(self, sale):
        """POST the sale's status event to the configured webhook URL; returns the HTTP status."""
        if not self.webhook_url or sale["status"] not in STATUS_EVENTS:
            return None
        request = urllib.request.Request(
            self.webhook_url,
            data=json.dumps(webhook_event(sale)).encode(),
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

        class Handler(BaseHTTPRequestHandler):
            server_version = "HotmartSandbox/1.0"

            def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's name)
                if not sandbox.quiet:
                    # the token request's query string carries the secret: log the path only
                    sys.stderr.write(f"sandbox: {self.command} {urlsplit(self.path).path}\n")

            def do_POST(self):
                url = urlsplit(self.path)
                sandbox.count(url.path)
                if url.path == "/security/oauth/token":
                    return self.token(parse_qs(url.query))
                if url.path.startswith("/sandbox/sales/"):
                    return self.change_sale(url.path.rsplit("/", 1)[-1])
                if url.path == "/sandbox/webhook":
                    return self.configure_webhook()
                return self.reply(404, {"error": "not_found"})

            def do_GET(self):
                url = urlsplit(self.path)
                sandbox.count(url.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/sandbox/stats":
                    return self.reply(
                        200, {"calls": dict(sandbox.calls), "sales": len(sandbox.data.sales)}
                    )
                if url.path not in SALES_ENDPOINTS and url.path != "/products/api/v1/products":
                    return self.reply(404, {"error": "not_found"})
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in sandbox.tokens:
                    return self.reply(
                        401, {"error": "invalid_token", "error_description": "Invalid access token"}
                    )
                budget, reset = sandbox.spend_budget()
                headers = {
                    "RateLimit-Limit": str(sandbox.rate_limit),
                    "RateLimit-Reset": str(reset),
                    "RateLimit-Remaining": str(max(budget or 0, 0)),
                    "X-RateLimit-Remaining-Minute": str(max(budget or 0, 0)),
                }
                if budget is None:
                    return self.reply(
                        429,
                        {"error": "too_many_requests", "error_description": "Rate limit exceeded"},
                        headers,
                    )
                if self.inject_fault(headers):
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
                sales = sandbox.data.select(params)
                return self.page([SALES_ENDPOINTS[url.path](s) for s in sales], params, headers)

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

            def page(self, items, params, headers):
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
                return self.reply(
                    200, {"items": items[offset : offset + size], "page_info": page_info}, headers
                )

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

            def configure_webhook(self):
                try:
                    body = self.read_json()
                except ValueError:
                    return self.reply(400, {"error": "give a JSON body"})
                sandbox.webhook_url = body.get("url") or None
                sandbox.hottok = body.get("hottok") or sandbox.hottok
                return self.reply(200, {"url": sandbox.webhook_url})

            def reply(self, status, payload, headers=None):
                self.reply_raw(status, json.dumps(payload).encode(), headers)

            def reply_raw(self, status, body, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Hotmart-Sandbox", "development stand-in")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

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

    sandbox = HotmartSandbox(
        args.host,
        args.port,
        SandboxData(
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
    sys.stdout.write(f"{BANNER} on {sandbox.url} with {len(sandbox.data.sales)} sales\n")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        sandbox.server.serve_forever()
    sandbox.server.server_close()


if __name__ == "__main__":
    main()
