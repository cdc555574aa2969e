#!/usr/bin/env python3
"""The local Hotmart stand-in: a DEVELOPMENT TOOL that answers like Hotmart's API, not Hotmart.

It answers on loopback like Hotmart does for the calls the connector makes (OAuth token,
sales history, sales users, price details, commissions, products, subscriptions and
their charges), with generated but realistic sales
(BRL, USD, EUR and other currencies; CPF, CNPJ and foreign buyers; repeat buyers; every
status), cursor pages, rate-limit headers and optional, seeded fault injection. The try-it
command, the end-to-end tests and the benchmarks run against it. Standard library only.

    python3 standin/hotmart_standin.py --port 18070 --sales 200

Every answer carries ``X-Hotmart-Stand-In: development stand-in``.
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
import unicodedata
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BANNER = "Hotmart stand-in (development tool, not Hotmart)"
DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"
DEFAULT_HOTTOK = "sandbox-hottok"
DEFAULT_STATUSES = ("APPROVED", "COMPLETE")  # what Hotmart returns without transaction_status
MAX_RESULTS = 500
RATE_LIMIT = 500  # calls per minute per credential
DAY_MS = 86400000
HOUR_MS = 3600000

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


class StandInData:
    """The sales the stand-in serves, generated once from a seed."""

    def __init__(self, sales=200, seed=7, days=60, now=None, statuses=None, currencies=None):
        self.rng = random.Random(seed)
        self.now = now or datetime.now(timezone.utc)
        self.start = self.now - timedelta(days=days)
        self.status_weights = statuses or STATUS_WEIGHTS
        self.currency_weights = currencies or CURRENCY_WEIGHTS
        self.buyers = []
        self.sales = {}
        self.subscriptions = {}
        self._lock = threading.Lock()
        for index in range(sales):
            self.add_sale(index)
        self.derive_subscriptions(random.Random(seed + 1))

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
            # Fábio writes fabio in his e-mail address, not fbio
            "email": unicodedata.normalize("NFKD", f"{first}.{last}.{number}@example.com".lower())
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

    def derive_subscriptions(self, rng):
        """One subscription per buyer and subscription product, its charges the sales of
        that pair a month apart, numbered on from the first charge's recurrence number. A
        pair with more charges than months in the period subscribed more than once."""
        groups = {}
        for sale in sorted(self.sales.values(), key=lambda s: (s["order_date"], s["transaction"])):
            if sale["is_subscription"]:
                groups.setdefault((sale["buyer"]["ucode"], sale["product"]["id"]), []).append(sale)
        period_ms = epoch_ms(self.now) - epoch_ms(self.start)
        per_subscription = max(1, (period_ms - 2 * HOUR_MS) // (MONTHLY_PLAN["days"] * DAY_MS) + 1)
        chunks = [
            sales[i : i + per_subscription]
            for sales in groups.values()
            for i in range(0, len(sales), per_subscription)
        ]
        for number, charges in enumerate(chunks, start=1):
            yearly = len(charges) == 1 and rng.random() < 0.2
            plan = YEARLY_PLAN if yearly else MONTHLY_PLAN
            first_number = charges[0]["recurrency_number"]
            code = f"SBX{number:05d}"
            span = (len(charges) - 1) * plan["days"] * DAY_MS
            # one charge a period, all of them inside the sandbox's period, the last one
            # within the last period: the next charge is still to come
            earliest = epoch_ms(self.start) + span + HOUR_MS
            last_date = min(
                max(
                    charges[-1]["order_date"],
                    earliest,
                    epoch_ms(self.now) - plan["days"] * DAY_MS + HOUR_MS,
                ),
                epoch_ms(self.now) - HOUR_MS,
            )
            for offset, sale in enumerate(charges):
                sale["recurrency_number"] = first_number + offset
                sale["subscriber_code"] = code
                sale["plan"] = {"id": plan["id"], "name": plan["name"]}
                sale["order_date"] = last_date - (len(charges) - 1 - offset) * plan["days"] * DAY_MS
                sale["approved_date"] = sale["order_date"] + 60000
                # a subscription charges the same price in the same currency every time
                sale["currency"] = charges[0]["currency"]
                sale["price"] = round(
                    CLUB_PRICE * PRICE_FACTOR[sale["currency"]] * plan["price_factor"], 2
                )
            last = charges[-1]
            start = charges[0]["order_date"] - (first_number - 1) * plan["days"] * DAY_MS
            self.subscriptions[code] = {
                "subscriber_code": code,
                "subscription_id": 4100000 + number,
                "plan": plan,
                "product": charges[0]["product"],
                "buyer": charges[0]["buyer"],
                "price": last["price"],
                "currency": last["currency"],
                "accession_date": start,
                "status": subscription_status(last),
                "date_next_charge": last["order_date"] + plan["days"] * DAY_MS,
                # cancelled with its last charge's refund or chargeback, a week later
                "end_accession_date": min(last["order_date"] + 7 * DAY_MS, epoch_ms(self.now))
                if subscription_status(last).startswith("CANCELLED")
                else None,
                "transaction": charges[0]["transaction"]
                if first_number == 1
                else f"HP8{number:012d}",
                "charges": [sale["transaction"] for sale in charges],
            }

    def change_subscription(self, code, change):
        """Cancel a subscription, switch its plan or move its next charge; returns the
        subscription and the webhook event Hotmart sends for the change."""
        with self._lock:
            subscription = self.subscriptions[code]
            now = epoch_ms(datetime.now(timezone.utc))
            if change.get("action") == "cancel":
                subscription["status"] = change.get("status") or "CANCELLED_BY_CUSTOMER"
                subscription["end_accession_date"] = now
                return subscription, subscription_cancellation_event(subscription, now)
            if change.get("action") == "switch_plan":
                plan = YEARLY_PLAN if change.get("plan") == "yearly" else MONTHLY_PLAN
                subscription["plan"] = plan
                factor = plan["price_factor"]
                base = next(p[2] for p in PRODUCTS if p[0] == subscription["product"]["id"])
                subscription["price"] = round(
                    base * PRICE_FACTOR[subscription["currency"]] * factor, 2
                )
                return subscription, switch_plan_event(subscription, now)
            if change.get("action") == "charge_date":
                subscription["date_next_charge"] = int(change["date_next_charge"])
                return subscription, charge_date_event(subscription, now)
        raise KeyError("action")

    def select_subscriptions(self, params):
        start = int(params.get("accession_date") or 0)
        end = int(params.get("end_accession_date") or 2**62)
        with self._lock:
            subscriptions = list(self.subscriptions.values())
        return [
            s
            for s in subscriptions
            if (not params.get("product_id") or str(s["product"]["id"]) == params["product_id"])
            and (not params.get("status") or s["status"] == params["status"])
            and (
                not params.get("subscriber_code")
                or s["subscriber_code"] == params["subscriber_code"]
            )
            and (not params.get("transaction") or s["transaction"] == params["transaction"])
            and start <= s["accession_date"] <= end
        ]

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
            **subscription_block(sale),
        },
    }


def subscription_block(sale):
    """A purchase webhook's ``subscription``, for a charge of a subscription."""
    if not sale.get("subscriber_code"):
        return {}
    return {
        "subscription": {
            "status": "ACTIVE" if sale["status"] in ("APPROVED", "COMPLETE") else "DELAYED",
            "plan": sale["plan"],
            "subscriber": {"code": sale["subscriber_code"]},
        }
    }


CLUB_PRICE = next(price for _id, _name, price, subscription in PRODUCTS if subscription)
MONTHLY_PLAN = {"id": 1038897, "name": "Plano Mensal", "days": 30, "price_factor": 1}
YEARLY_PLAN = {"id": 1038898, "name": "Plano Anual", "days": 365, "price_factor": 10}
SUBSCRIPTIONS_PATH = "/payments/api/v1/subscriptions"


def subscription_status(last_charge):
    """The subscription status Hotmart shows after its last charge."""
    status, first = last_charge["status"], last_charge["recurrency_number"] == 1
    if status in ("APPROVED", "COMPLETE", "PROTESTED", "PARTIALLY_REFUNDED"):
        return "ACTIVE"
    if status in ("CANCELLED", "REFUNDED", "CHARGEBACK"):
        return "CANCELLED_BY_CUSTOMER"
    if status == "OVERDUE":
        return "OVERDUE"
    if status in ("BLOCKED", "NO_FUNDS", "EXPIRED"):
        return "INACTIVE" if first else "OVERDUE"
    return "STARTED" if first else "DELAYED"


def subscription_item(subscription):
    """An item of the subscriptions pages, shaped as Hotmart's."""
    plan = subscription["plan"]
    cancelled = subscription["status"].startswith("CANCELLED")
    return {
        "subscriber_code": subscription["subscriber_code"],
        "subscription_id": subscription["subscription_id"],
        "status": subscription["status"],
        "accession_date": subscription["accession_date"],
        "end_accession_date": subscription["end_accession_date"] if cancelled else None,
        "request_date": subscription["accession_date"],
        "date_next_charge": None if cancelled else subscription["date_next_charge"],
        "trial": False,
        "transaction": subscription["transaction"],
        "plan": {
            "name": plan["name"],
            "id": plan["id"],
            "recurrency_period": plan["days"],
            "max_charge_cycles": 0,
        },
        "product": subscription["product"],
        "price": {"value": subscription["price"], "currency_code": subscription["currency"]},
        "subscriber": {k: subscription["buyer"][k] for k in ("name", "email", "ucode")},
    }


def _event(name, data, now):
    return {
        "id": str(uuid.uuid4()),
        "creation_date": now,
        "event": name,
        "version": "2.0.0",
        "data": data,
    }


def subscription_cancellation_event(subscription, now):
    buyer = subscription["buyer"]
    return _event(
        "SUBSCRIPTION_CANCELLATION",
        {
            "date_next_charge": subscription["date_next_charge"],
            "product": subscription["product"],
            "actual_recurrence_value": subscription["price"],
            "subscriber": {
                "code": subscription["subscriber_code"],
                "name": buyer["name"],
                "email": buyer["email"],
            },
            "subscription": {
                "id": subscription["subscription_id"],
                "plan": {"id": subscription["plan"]["id"], "name": subscription["plan"]["name"]},
            },
            "cancellation_date": now,
        },
        now,
    )


def switch_plan_event(subscription, now):
    current = subscription["plan"]
    plans = [
        {
            "id": plan["id"],
            "name": plan["name"],
            "recurrency_period": plan["days"],
            "offer": {"key": f"sandbox{plan['id']}"},
            "current": plan is current,
        }
        for plan in (MONTHLY_PLAN, YEARLY_PLAN)
    ]
    for plan in plans:
        if plan["current"]:
            plan["price"] = {
                "value": subscription["price"],
                "currency_code": subscription["currency"],
            }
    return _event(
        "SWITCH_PLAN",
        {
            "switch_plan_date": now,
            "subscription": {
                "subscriber_code": subscription["subscriber_code"],
                "status": subscription["status"],
                "user": {"email": subscription["buyer"]["email"]},
                "product": subscription["product"],
            },
            "plans": plans,
        },
        now,
    )


def charge_date_event(subscription, now):
    buyer = subscription["buyer"]
    return _event(
        "UPDATE_SUBSCRIPTION_CHARGE_DATE",
        {
            "subscriber": {
                "code": subscription["subscriber_code"],
                "name": buyer["name"],
                "email": buyer["email"],
            },
            "product": subscription["product"],
            "plan": {"id": subscription["plan"]["id"], "name": subscription["plan"]["name"]},
            "subscription": {
                "status": subscription["status"],
                "date_next_charge": subscription["date_next_charge"],
            },
        },
        now,
    )


def subscription_purchases(subscription, sales):
    """``/subscriptions/{code}/purchases``: the charges of one subscription."""
    return [
        {
            "transaction": sale["transaction"],
            "approved_date": sale["approved_date"],
            "status": sale["status"],
            "recurrency_number": sale["recurrency_number"],
            "price": {"value": sale["price"], "currency_code": sale["currency"]},
            "payment_type": sale["payment_type"],
        }
        for sale in (sales[t] for t in subscription["charges"])
    ]


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


class HotmartStandIn:
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
        """The settings of a Hotmart account connected to this stand-in."""
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

        class Handler(BaseHTTPRequestHandler):
            server_version = "HotmartStandIn/1.0"

            def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's name)
                if not sandbox.quiet:
                    # the token request's query string carries the secret: log the path only
                    sys.stderr.write(f"standin: {self.command} {urlsplit(self.path).path}\n")

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
                return self.reply(404, {"error": "not_found"})

            def do_GET(self):
                url = urlsplit(self.path)
                sandbox.count(url.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/standin/stats":
                    return self.reply(
                        200, {"calls": dict(sandbox.calls), "sales": len(sandbox.data.sales)}
                    )
                if url.path not in SALES_ENDPOINTS and not url.path.startswith(
                    ("/products/api/v1/products", SUBSCRIPTIONS_PATH)
                ):
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
                """Cancel, switch plan or move the next charge ({"action": "cancel" |
                "switch_plan" | "charge_date", ...}), and send its webhook."""
                try:
                    subscription, event = sandbox.data.change_subscription(code, self.read_json())
                except (ValueError, KeyError, TypeError):
                    return self.reply(400, {"error": "give a known subscriber code and a change"})
                delivered = sandbox.send_event(event)
                answer = {"subscriber_code": code, "status": subscription["status"]}
                return self.reply(200, dict(answer, event=event, webhook_status=delivered))

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
                self.send_header("X-Hotmart-Stand-In", "development stand-in")
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
    sys.stdout.write(f"{BANNER} on {sandbox.url} with {len(sandbox.data.sales)} sales\n")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        sandbox.server.serve_forever()
    sandbox.server.server_close()


if __name__ == "__main__":
    main()
