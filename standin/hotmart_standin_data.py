"""The stand-in's credentials and limits, and its generated sales: realistic buyers (CPF,
CNPJ, foreign), products, currencies and statuses, seeded so that the same seed makes the
same sales."""

import random
import threading
import unicodedata
from datetime import datetime, timedelta, timezone

from hotmart_standin_payloads import (
    CLUB_PRICE,
    MONTHLY_PLAN,
    PRICE_FACTOR,
    PRODUCTS,
    YEARLY_PLAN,
    charge_date_event,
    subscription_cancellation_event,
    subscription_status,
    switch_plan_event,
)

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
        # sales left out of the history (and the other sales lists) yet counted in the
        # summary: what a reconciliation must catch
        self.hidden = set()
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
                "due_day": datetime.fromtimestamp(last["order_date"] / 1000, timezone.utc).day,
                "trial": False,
                "reactivation_pending": False,
            }

    def change_subscription(self, code, change):
        """Cancel a subscription, switch its plan, move its next charge or accept its
        reactivation (the subscriber's click); returns the subscription and the webhook event
        Hotmart sends for the change (None: Hotmart sends none)."""
        if change.get("action") == "accept_reactivation":
            return self.accept_reactivation(code), None
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

    def select(self, params, hidden_too=False):
        """The sales matching Hotmart's filters, in a stable order; the hidden ones only
        ``hidden_too`` (the summary counts them)."""
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
            and (hidden_too or sale["transaction"] not in self.hidden)
        ]

    def summary(self, params):
        """``/sales/summary``'s items: per currency, the count and the total of the buyers'
        prices of the sales in the window (Hotmart's own value is uncertain, see API notes),
        hidden sales included."""
        totals = {}
        for sale in self.select(params, hidden_too=True):
            count, value = totals.get(sale["currency"], (0, 0.0))
            totals[sale["currency"]] = (count + 1, value + sale["price"])
        return [
            {"total_items": count, "total_value": {"value": round(value, 2), "currency_code": code}}
            for code, (count, value) in sorted(totals.items())
        ]

    # ------------------------------------------------------------------ write calls

    def refund(self, transaction):
        """Refund a sale as Hotmart does; (HTTP status, error body or None, the sale)."""
        with self._lock:
            sale = self.sales.get(transaction)
            if sale is None:
                return 404, _error("not_found", "Transaction not found"), None
            if sale["status"] not in DEFAULT_STATUSES:
                return (
                    400,
                    _error(
                        "invalid_value_parameter",
                        f"Transaction status {sale['status']} does not allow a refund",
                    ),
                    sale,
                )
            sale["status"] = "REFUNDED"
            return 200, None, sale

    def cancel_subscription(self, code):
        """(status for the answer, or None, error code) of cancelling one subscription."""
        with self._lock:
            subscription = self.subscriptions.get(code)
            if subscription is None:
                return None, "not_found"
            if subscription["status"] not in ("ACTIVE", "DELAYED", "STARTED"):
                return None, "SUBSCRIPTION_ALREADY_CANCELED_OR_OVERDUE"
            subscription["status"] = "CANCELLED_BY_SELLER"
            subscription["end_accession_date"] = epoch_ms(datetime.now(timezone.utc))
            return "INACTIVE", None

    def reactivate_subscription(self, code, charge):
        """As ``cancel_subscription``: the subscription stays as it is until the subscriber
        accepts the e-mailed link (``accept_reactivation``)."""
        with self._lock:
            subscription = self.subscriptions.get(code)
            if subscription is None:
                return None, "not_found"
            if subscription["status"] == "ACTIVE":
                return None, "SUBSCRIPTION_ALREADY_ACTIVE"
            subscription["reactivation_pending"] = {"charge": bool(charge)}
            return "INACTIVE", None

    def accept_reactivation(self, code):
        with self._lock:
            subscription = self.subscriptions[code]
            if not subscription["reactivation_pending"]:
                raise KeyError("no reactivation pending")
            subscription.update(status="ACTIVE", reactivation_pending=False)
            subscription["end_accession_date"] = None
            return subscription

    def change_due_day(self, code, day):
        """(HTTP status, error body or None) of moving a subscription's charge day."""
        with self._lock:
            subscription = self.subscriptions.get(code)
            if subscription is None:
                return 404, _error("not_found", "Subscription not found")
            if not isinstance(day, int) or not 1 <= day <= 31:
                return 400, _error("invalid_value_parameter", "due_day must be from 1 to 31")
            if subscription["trial"]:
                return 400, _error(
                    "subscription_in_trial_period", "Subscription is in trial period"
                )
            if subscription["status"] not in ("ACTIVE", "DELAYED"):
                return 400, _error(
                    "invalid_parameter", "Only active or delayed subscriptions change due day"
                )
            subscription["due_day"] = day
            return 200, None


def _error(code, description):
    return {"error": code, "error_description": description, "error_uri": ""}
