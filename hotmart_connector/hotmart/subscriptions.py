"""Hotmart subscriptions: one neutral record, and the parsers that build it from the
``/payments/api/v1/subscriptions`` pages and from the subscription webhooks.

A subscription is what a subscriber signed up for (product, plan, status, next charge); each
charge of it is a sale of its own, with a recurrence number. Sales carry the subscriber code
in webhooks only, so REST sales are matched to their subscription by buyer and product.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from .exceptions import HotmartBadPayloadError
from .readers import _dig, _int, _items, _list, _money, _text, parse_datetime
from .records import HotmartBuyer, no_data_object

# Hotmart's subscription statuses, spelled as Hotmart spells them, with a readable label.
SUBSCRIPTION_STATUSES = [
    ("STARTED", "Started (first payment pending)"),
    ("ACTIVE", "Active (paid up)"),
    ("DELAYED", "Delayed (payment late)"),
    ("OVERDUE", "Overdue (in default)"),
    ("INACTIVE", "Inactive (first payment not approved)"),
    ("CANCELLED_BY_CUSTOMER", "Cancelled by the subscriber"),
    ("CANCELLED_BY_SELLER", "Cancelled by the producer"),
    ("CANCELLED_BY_ADMIN", "Cancelled by Hotmart"),
    ("EXPIRED", "Expired (ended)"),
]
SUBSCRIPTION_STATUS_CODES = [code for code, _label in SUBSCRIPTION_STATUSES]
CANCELLED_STATUSES = ("CANCELLED_BY_CUSTOMER", "CANCELLED_BY_SELLER", "CANCELLED_BY_ADMIN")
# Statuses of a subscription that charges no more: cancelled by someone, or run out.
ENDED_STATUSES = (*CANCELLED_STATUSES, "EXPIRED")
# Statuses that still bring recurring revenue: Hotmart keeps charging a late subscription
# ("still in the duration period") until it is cancelled, so it is revenue at risk, not lost.
RECURRING_STATUSES = ("ACTIVE", "DELAYED", "OVERDUE")

SUBSCRIPTION_EVENTS = (
    "SUBSCRIPTION_CANCELLATION",
    "SWITCH_PLAN",
    "UPDATE_SUBSCRIPTION_CHARGE_DATE",
)

ALL_NEWS = ("status", "plan", "next_charge")

# The plan switch and charge date events spell cancellations with one L and the producer
# as VENDOR; purchases, the subscriptions API and this connector spell them as above.
STATUS_SPELLINGS = {
    "CANCELED_BY_CUSTOMER": "CANCELLED_BY_CUSTOMER",
    "CANCELED_BY_VENDOR": "CANCELLED_BY_SELLER",
    "CANCELLED_BY_VENDOR": "CANCELLED_BY_SELLER",
    "CANCELED_BY_SELLER": "CANCELLED_BY_SELLER",
    "CANCELED_BY_ADMIN": "CANCELLED_BY_ADMIN",
}


def subscription_status(value):
    """A Hotmart subscription status in the connector's spelling; one it does not know yet
    is blank (the rest of the news is still worth storing)."""
    status = _text(value).upper()
    status = STATUS_SPELLINGS.get(status, status)
    return status if status in SUBSCRIPTION_STATUS_CODES else ""


# Days in a month on average: a weekly plan's price times 30.44/7 is its monthly revenue.
_DAYS_PER_MONTH = Decimal(365) / Decimal(12)


@dataclass
class HotmartSubscription:
    """One subscription, from a page of the subscriptions API or from a webhook.

    Empty fields are unknown (webhooks tell only what changed) and never overwrite what is
    known already.
    """

    subscriber_code: str
    status: str = ""
    product_id: str = ""
    product_name: str = ""
    plan_id: str = ""
    plan_name: str = ""
    period_days: int = 0  # days between charges; 0 when the source does not say
    price: Decimal | None = None  # of one charge
    currency: str = ""
    date_start: datetime | None = None
    date_next_charge: datetime | None = None
    date_cancelled: datetime | None = None
    access_until: datetime | None = None  # a cancellation's end of the paid access
    previous_plan_name: str = ""  # a plan switch's former plan
    plan_switch_date: datetime | None = None
    transaction: str = ""  # the first charge's transaction (subscriptions pages)
    subscriber: HotmartBuyer = field(default_factory=HotmartBuyer)
    source: str = "rest"
    # what this source is news of ("status", "plan", "next_charge"); the rest it tells only
    # fills in what is not known yet: a cancellation repeats the plan, it does not set it
    news: tuple = ALL_NEWS


def monthly_amount(price, period_days):
    """``price`` charged every ``period_days`` days, as a monthly amount (2 decimals).

    Plans of whole months (30, 60, 90, 180, 360 or 365 days) are divided by their number of
    months, so a monthly plan's MRR is its price and a yearly one's a twelfth of it; shorter
    plans are scaled by the average month (weekly: x 4.35).
    """
    if price is None or not period_days or period_days <= 0:
        return None
    price = Decimal(price)
    months = round(period_days / 30)
    if period_days >= 28 and months and abs(period_days - months * 30) <= 5 * months:
        monthly = price / months
    else:
        monthly = price * _DAYS_PER_MONTH / period_days
    return monthly.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _subscriber(data):
    data = data if isinstance(data, dict) else {}
    return HotmartBuyer(
        name=_text(data.get("name")),
        email=_text(data.get("email")),
        ucode=_text(data.get("ucode")),
    )


def _code(value):
    code = _text(value)
    if not code:
        raise HotmartBadPayloadError(
            "The subscription has no subscriber code: Hotmart's payload is incomplete.",
            reason="missing",
            values={"field": "subscriber code"},
        )
    return code


def parse_subscription_item(item):
    """A HotmartSubscription from an item of a ``/payments/api/v1/subscriptions`` page."""
    if not isinstance(item, dict):
        raise HotmartBadPayloadError(
            "A subscriptions item is not an object.",
            reason="item_not_an_object",
        )
    price = item.get("price") if isinstance(item.get("price"), dict) else {}
    # a status this code does not know yet is left blank: the rest is still worth storing
    status = subscription_status(item.get("status"))
    return HotmartSubscription(
        subscriber_code=_code(item.get("subscriber_code")),
        status=status,
        product_id=_text(_dig(item, "product", "id")),
        product_name=_text(_dig(item, "product", "name")),
        plan_id=_text(_dig(item, "plan", "id")),
        plan_name=_text(_dig(item, "plan", "name")),
        period_days=_int(_dig(item, "plan", "recurrency_period"), 0),
        price=_money(price["value"], ("price", "value")) if "value" in price else None,
        currency=_text(price.get("currency_code") or price.get("currency_value")).upper(),
        date_start=parse_datetime(item.get("accession_date")),
        date_next_charge=parse_datetime(item.get("date_next_charge")),
        date_cancelled=(
            parse_datetime(item.get("end_accession_date")) if status in CANCELLED_STATUSES else None
        ),
        transaction=_text(item.get("transaction")),
        subscriber=_subscriber(item.get("subscriber")),
    )


def subscriptions_from_page(items):
    """([HotmartSubscription], [reason]) of a subscriptions page: an unreadable item is
    skipped with its reason, and the others go on."""
    subscriptions, problems = [], []
    for item in _items(items, "/subscriptions"):
        try:
            subscriptions.append(parse_subscription_item(item))
        except HotmartBadPayloadError as error:
            problems.append(error.message)
    return subscriptions, problems


def subscription_from_sale(sale):
    """The subscription a purchase webhook's ``subscription`` block tells of, or None."""
    if not sale.subscriber_code:
        return None
    status = subscription_status(sale.subscription_status)
    return HotmartSubscription(
        subscriber_code=sale.subscriber_code,
        status=status,
        product_id=sale.product_id,
        product_name=sale.product_name,
        plan_id=sale.plan_id,
        plan_name=sale.plan_name,
        price=sale.amount,
        currency=sale.currency,
        date_next_charge=sale.date_next_charge,
        subscriber=HotmartBuyer(
            name=sale.buyer.name, email=sale.buyer.email, ucode=sale.buyer.ucode
        ),
        source="webhook",
        # a charge tells when the next one is due
        news=("status", "next_charge") if sale.date_next_charge else ("status",),
    )


def _cancellation(data):
    status = subscription_status(_dig(data, "subscription", "status"))
    cancelled_at = parse_datetime(data.get("cancellation_date"))
    return HotmartSubscription(
        subscriber_code=_code(_dig(data, "subscriber", "code")),
        # the event does not say who cancelled; the subscriptions sync tells it later
        status=status if status in CANCELLED_STATUSES else "CANCELLED_BY_CUSTOMER",
        product_id=_text(_dig(data, "product", "id")),
        product_name=_text(_dig(data, "product", "name")),
        plan_id=_text(_dig(data, "subscription", "plan", "id")),
        plan_name=_text(_dig(data, "subscription", "plan", "name")),
        price=(
            _money(data["actual_recurrence_value"], ("actual_recurrence_value",))
            if data.get("actual_recurrence_value") is not None
            else None
        ),
        date_cancelled=cancelled_at,
        # the next charge there would have been: the subscriber keeps access until then
        access_until=parse_datetime(data.get("date_next_charge")),
        subscriber=_subscriber(data.get("subscriber")),
        source="webhook",
        news=("status",),
    )


def _plan_switch(data):
    subscription = data.get("subscription") if isinstance(data.get("subscription"), dict) else {}
    plans = [plan for plan in _list(data.get("plans")) if isinstance(plan, dict)]
    current = next((plan for plan in plans if plan.get("current")), None)
    previous = next((plan for plan in plans if not plan.get("current")), {})
    if current is None:
        raise HotmartBadPayloadError(
            "The plan switch does not say which plan is current.", reason="plan_switch_without_plan"
        )
    status = subscription_status(subscription.get("status"))
    return HotmartSubscription(
        subscriber_code=_code(
            subscription.get("subscriber_code") or _dig(subscription, "subscriber", "code")
        ),
        status=status,
        product_id=_text(_dig(subscription, "product", "id")),
        product_name=_text(_dig(subscription, "product", "name")),
        plan_id=_text(current.get("id")),
        plan_name=_text(current.get("name")),
        period_days=_int(current.get("recurrency_period"), 0),
        price=(
            _money(_dig(current, "price", "value"), ("plans", "price", "value"))
            if _dig(current, "price", "value") is not None
            else None
        ),
        currency=_text(_dig(current, "price", "currency_code")).upper(),
        subscriber=_subscriber(subscription.get("user")),
        previous_plan_name=_text(previous.get("name")),
        plan_switch_date=parse_datetime(data.get("switch_plan_date")),
        source="webhook",
        news=("plan",),
    )


def _charge_date_change(data):
    subscription = data.get("subscription") if isinstance(data.get("subscription"), dict) else {}
    next_charge = (
        subscription.get("date_next_charge")
        or data.get("date_next_charge")
        or subscription.get("dateNextCharge")
    )
    if not next_charge:
        raise HotmartBadPayloadError(
            "The charge date change does not give the next charge.",
            reason="charge_date_without_date",
        )
    status = subscription_status(subscription.get("status"))
    return HotmartSubscription(
        subscriber_code=_code(
            _dig(data, "subscriber", "code")
            or subscription.get("subscriber_code")
            or _dig(subscription, "subscriber", "code")
        ),
        status=status,
        # Hotmart sends the product under the subscription; data.product in older shapes
        product_id=_text(_dig(subscription, "product", "id") or _dig(data, "product", "id")),
        product_name=_text(_dig(subscription, "product", "name") or _dig(data, "product", "name")),
        plan_id=_text(_dig(data, "plan", "id") or _dig(subscription, "plan", "id")),
        plan_name=_text(_dig(data, "plan", "name") or _dig(subscription, "plan", "name")),
        date_next_charge=parse_datetime(next_charge),
        subscriber=_subscriber(data.get("subscriber")),
        source="webhook",
        news=("next_charge",),
    )


_EVENT_PARSERS = {
    "SUBSCRIPTION_CANCELLATION": _cancellation,
    "SWITCH_PLAN": _plan_switch,
    "UPDATE_SUBSCRIPTION_CHARGE_DATE": _charge_date_change,
}


def parse_subscription_event(event_name, data):
    """A HotmartSubscription with what a subscription webhook changed."""
    if event_name not in _EVENT_PARSERS:
        raise HotmartBadPayloadError(
            f"{event_name} is not a subscription event.",
            reason="not_a_subscription_event",
            values={"event": event_name},
        )
    if not isinstance(data, dict):
        raise no_data_object()
    return _EVENT_PARSERS[event_name](data)


def charges_by_transaction(payload):
    """{transaction: recurrence number} from ``/subscriptions/{code}/purchases``."""
    items = payload.get("items") if isinstance(payload, dict) else payload
    charges = {}
    for item in _items(items, "/subscriptions/purchases"):
        if isinstance(item, dict) and _text(item.get("transaction")):
            number = item.get("recurrency_number", item.get("recurrence_number"))
            charges[_text(item["transaction"])] = _int(number, 0)
    return charges
