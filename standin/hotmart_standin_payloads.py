"""The stand-in's answers in Hotmart's shapes: history, users, commissions and price
details items, webhook events, subscriptions and their charges."""

import time
import uuid

PRODUCTS = [
    (1234567, "Curso Completo de Fotografia", 497.0, False),
    (2345678, "Mentoria Finanças Pessoais", 1997.0, False),
    (3456789, "Clube do Livro Digital (assinatura)", 29.9, True),
    (4567890, "E-book Receitas Veganas", 47.0, False),
    (5678901, "Formação em Marketing Digital", 997.0, False),
    (6789012, "Workshop de Oratória", 197.0, False),
]
PRICE_FACTOR = {"BRL": 1, "USD": 0.19, "EUR": 0.17, "MXN": 3.4, "COP": 780, "ARS": 180}


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


def _checkout_phone(cellphone):
    """The phone as the checkout sends it: a Brazilian number's area code (DDD) apart, a
    number from abroad with its country code inside."""
    if cellphone.startswith("+") or len(cellphone) != 11:
        return {"checkout_phone": cellphone.lstrip("+").replace(" ", "")}
    return {"checkout_phone_code": cellphone[:2], "checkout_phone": cellphone[2:]}


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
                **_checkout_phone(buyer.get("cellphone", "")),
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
SALES_PATH = "/payments/api/v1/sales/"
SUMMARY_PATH = "/payments/api/v1/sales/summary"


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
        "trial": subscription.get("trial", False),
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


def subscription_answer(subscription, status):
    """A cancel or reactivate call's answer for one subscription, shaped as Hotmart's."""
    return {
        "status": status,
        "subscriber_code": subscription["subscriber_code"],
        "creation_date": subscription["accession_date"],
        "date_next_charge": subscription["date_next_charge"],
        "due_day": subscription["due_day"],
        "interval_type_between_charges": "MONTH",
        "interval_between_charges": max(1, subscription["plan"]["days"] // 30),
        "shopper": {"email": subscription["buyer"]["email"], "phone": ""},
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
