"""One neutral sale record, and the parsers that build it from REST items and webhooks.

All the drift between Hotmart's REST API and its webhooks (field names, status spellings,
dates in milliseconds or seconds) is absorbed here and nowhere else.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from .exceptions import HotmartBadPayloadError

# REST `transaction_status` codes, spelled as Hotmart spells them, with a readable label.
SALE_STATUSES = [
    ("APPROVED", "Approved (paid)"),
    ("COMPLETE", "Complete (guarantee over)"),
    ("WAITING_PAYMENT", "Waiting payment"),
    ("PRINTED_BILLET", "Boleto/PIX issued"),
    ("PROCESSING_TRANSACTION", "Processing payment"),
    ("UNDER_ANALISYS", "Under risk analysis"),
    ("PRE_ORDER", "Pre-order"),
    ("STARTED", "Checkout started"),
    ("OVERDUE", "Overdue"),
    ("BLOCKED", "Blocked"),
    ("NO_FUNDS", "Refused: no funds"),
    ("EXPIRED", "Expired unpaid"),
    ("CANCELLED", "Cancelled"),
    ("PROTESTED", "Refund requested (dispute)"),
    ("PARTIALLY_REFUNDED", "Partially refunded"),
    ("REFUNDED", "Refunded"),
    ("CHARGEBACK", "Chargeback"),
]
SALE_STATUS_CODES = [code for code, _label in SALE_STATUSES]

# Hotmart's webhook events, with a readable label.
WEBHOOK_EVENTS = [
    ("PURCHASE_APPROVED", "Purchase approved"),
    ("PURCHASE_COMPLETE", "Purchase complete (guarantee over)"),
    ("PURCHASE_CANCELED", "Purchase cancelled"),
    ("PURCHASE_REFUNDED", "Purchase refunded"),
    ("PURCHASE_CHARGEBACK", "Chargeback"),
    ("PURCHASE_PROTEST", "Refund requested"),
    ("PURCHASE_BILLET_PRINTED", "Boleto/PIX issued"),
    ("PURCHASE_EXPIRED", "Purchase expired unpaid"),
    ("PURCHASE_DELAYED", "Payment overdue"),
    ("PURCHASE_OUT_OF_SHOPPING_CART", "Abandoned cart"),
    ("SUBSCRIPTION_CANCELLATION", "Subscription cancelled"),
    ("SWITCH_PLAN", "Plan switched"),
    ("UPDATE_SUBSCRIPTION_CHARGE_DATE", "Charge date changed"),
    ("CLUB_FIRST_ACCESS", "Club: first access"),
    ("CLUB_MODULE_COMPLETED", "Club: module completed"),
]

# `payment.type` values, with a readable label.
PAYMENT_TYPES = [
    ("CREDIT_CARD", "Credit card"),
    ("PIX", "PIX"),
    ("BILLET", "Boleto"),
    ("PAYPAL", "PayPal"),
    ("PAYPAL_INTERNACIONAL", "PayPal (international)"),
    ("PICPAY", "PicPay"),
    ("GOOGLE_PAY", "Google Pay"),
    ("SAMSUNG_PAY", "Samsung Pay"),
    ("WALLET", "Hotmart wallet"),
    ("HOTCARD", "Hotcard"),
    ("HYBRID", "Two payment methods"),
    ("DIRECT_DEBIT", "Direct debit"),
    ("DIRECT_BANK_TRANSFER", "Bank transfer"),
    ("MANUAL_TRANSFER", "Manual transfer"),
    ("CASH_PAYMENT", "Cash"),
    ("FINANCED_BILLET", "Financed boleto"),
    ("FINANCED_INSTALLMENT", "Financed installments"),
    ("ECHECK", "eCheck"),
]

# Webhooks spell some statuses differently, and are mapped by their event name first.
WEBHOOK_EVENT_STATUSES = {
    "PURCHASE_APPROVED": "APPROVED",
    "PURCHASE_COMPLETE": "COMPLETE",
    "PURCHASE_CANCELED": "CANCELLED",
    "PURCHASE_REFUNDED": "REFUNDED",
    "PURCHASE_CHARGEBACK": "CHARGEBACK",
    "PURCHASE_PROTEST": "PROTESTED",
    "PURCHASE_BILLET_PRINTED": "PRINTED_BILLET",
    "PURCHASE_EXPIRED": "EXPIRED",
    "PURCHASE_DELAYED": "OVERDUE",
}
WEBHOOK_STATUS_ALIASES = {
    "CANCELED": "CANCELLED",
    "BILLET_PRINTED": "PRINTED_BILLET",
    "DISPUTE": "PROTESTED",
    "COMPLETED": "COMPLETE",
}
# Epoch values below this are seconds, not milliseconds (1e11 ms is March 1973).
_SECONDS_CEILING = 10**11


@dataclass
class HotmartAddress:
    street: str = ""
    number: str = ""
    complement: str = ""
    district: str = ""
    city: str = ""
    state: str = ""
    country: str = ""
    country_code: str = ""
    zip: str = ""


@dataclass
class HotmartBuyer:
    name: str = ""
    email: str = ""
    ucode: str = ""
    document_type: str = ""  # CPF or CNPJ
    document: str = ""  # digits only
    phone: str = ""
    address: HotmartAddress = field(default_factory=HotmartAddress)


@dataclass
class HotmartRecipient:
    """Somebody else who is paid a share of a sale (a co-producer, an affiliate), as far as
    Hotmart names them."""

    source: str  # COPRODUCER, AFFILIATE, ADDON...
    amount: Decimal  # in the settlement's currency
    name: str = ""
    email: str = ""
    ucode: str = ""


@dataclass
class HotmartSettlement:
    """What Hotmart does with a sale's money, in the currency it pays the producer in."""

    fee: Decimal  # Hotmart's own (source MARKETPLACE)
    commission: Decimal  # co-producers', affiliates' and add-ons' commissions
    net: Decimal  # what Hotmart credits the producer (source PRODUCER)
    currency: str  # the payout currency
    rate: Decimal | None = None  # exchange_rate_currency_payout, sale currency -> payout
    recipients: list = field(default_factory=list)  # HotmartRecipient of the commission

    @property
    def gross(self):
        return self.fee + self.commission + self.net


# Commission sources that are neither Hotmart's fee nor the producer's net.
FEE_SOURCE, NET_SOURCE = "MARKETPLACE", "PRODUCER"


@dataclass
class HotmartSale:
    """One Hotmart sale, whatever brought it (REST history or webhook)."""

    transaction: str
    status: str
    amount: Decimal
    currency: str
    order_date: datetime | None = None
    approved_date: datetime | None = None
    product_id: str = ""
    product_name: str = ""
    product_ucode: str = ""
    offer_code: str = ""
    payment_type: str = ""
    installments: int = 1
    hotmart_fee: Decimal | None = None
    hotmart_fee_currency: str = ""
    is_subscription: bool = False
    recurrence_number: int = 1
    subscriber_code: str = ""
    subscription_status: str = ""
    plan_name: str = ""
    warranty_expire_date: datetime | None = None
    buyer: HotmartBuyer = field(default_factory=HotmartBuyer)
    source: str = "rest"
    settlement: HotmartSettlement | None = None


@dataclass
class HotmartProduct:
    id: str
    name: str
    ucode: str = ""
    status: str = ""
    format: str = ""
    is_subscription: bool = False


@dataclass
class HotmartPriceDetails:
    transaction: str
    total: Decimal | None
    currency: str
    base: Decimal | None = None
    fee: Decimal | None = None
    real_conversion_rate: Decimal | None = None


@dataclass
class HotmartWebhookEvent:
    uid: str
    event: str
    creation_date: datetime | None
    version: str
    sale: HotmartSale | None  # None for events that are not about a purchase


def _dig(data, *path):
    """data[path[0]][path[1]]... or None as soon as a step is missing or not a dict."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value):
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).replace("\x00", "").strip()


def without_nul(value):
    """The payload with NUL characters removed: PostgreSQL text and jsonb refuse them."""
    try:
        encoded = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON: walk it
        return _strip_nul(value)
    # almost no payload has one: JSON's C encoder finds out faster than walking it
    return _strip_nul(value) if "\\u0000" in encoded else value


def _strip_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_strip_nul(item) for item in value]
    if isinstance(value, dict):
        return {_strip_nul(key): _strip_nul(item) for key, item in value.items()}
    return value


def _digits(value):
    return re.sub(r"\D", "", _text(value))


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_datetime(value):
    """Aware UTC datetime from epoch ms (or seconds, detected) or an ISO 8601 string."""
    if value in (None, "", 0):
        return None
    if isinstance(value, bool):
        raise HotmartBadPayloadError(f"{value!r} is not a date.")
    if isinstance(value, int | float):
        seconds = value if abs(value) < _SECONDS_CEILING else value / 1000
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise HotmartBadPayloadError(f"{value!r} is not a date.") from None
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return parse_datetime(float(text))
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise HotmartBadPayloadError(f"{value!r} is not a date.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    raise HotmartBadPayloadError(f"{value!r} is not a date.")


def _required(data, path, label=None):
    value = _dig(data, *path)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise HotmartBadPayloadError(
            f"The sale has no {label or '.'.join(path)}: Hotmart's payload is incomplete."
        )
    return value


def _money(value, path):
    if isinstance(value, bool):
        raise HotmartBadPayloadError(f"{'.'.join(path)} is not an amount: {value!r}.")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise HotmartBadPayloadError(f"{'.'.join(path)} is not an amount: {value!r}.") from None
    if not amount.is_finite():
        raise HotmartBadPayloadError(f"{'.'.join(path)} is not an amount: {value!r}.")
    return amount


def _status(value, path):
    status = _text(value).upper()
    status = WEBHOOK_STATUS_ALIASES.get(status, status)
    if status not in SALE_STATUS_CODES:
        raise HotmartBadPayloadError(f"{'.'.join(path)} {value!r} is not a Hotmart status.")
    return status


def _list(value):
    """An optional list inside a payload: anything else counts as absent."""
    return value if isinstance(value, list) else []


def _items(value, what):
    """The items of a page: a list (None is an empty page); anything else is refused."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise HotmartBadPayloadError(f"The {what} items are not a list.")
    return value


def buyers_by_transaction(users_items):
    """{transaction: HotmartBuyer} from the items of a /sales/users page (BUYER role)."""
    buyers = {}
    for item in _items(users_items, "/sales/users"):
        if not isinstance(item, dict):
            continue
        transaction = _text(item.get("transaction"))
        for participant in _list(item.get("users")):
            if isinstance(participant, dict) and participant.get("role") == "BUYER":
                buyers[transaction] = _buyer_from_user(participant.get("user") or {})
                break
    return buyers


def _buyer_from_user(user):
    document_type, document = "", ""
    for entry in _list(user.get("documents")):
        if isinstance(entry, dict) and _text(entry.get("type")).upper() in ("CPF", "CNPJ"):
            document_type, document = _text(entry["type"]).upper(), _digits(entry.get("value"))
            break
    return HotmartBuyer(
        name=_text(user.get("name")),
        email=_text(user.get("email")),
        ucode=_text(user.get("ucode")),
        document_type=document_type,
        document=document,
        phone=_text(user.get("cellphone")) or _text(user.get("phone")),
        address=_address(user.get("address")),
    )


def _address(address):
    """A HotmartAddress from /sales/users (``zip_code``) or a webhook (``zipcode``)."""
    address = address if isinstance(address, dict) else {}
    return HotmartAddress(
        street=_text(address.get("address")),
        number=_text(address.get("number")),
        complement=_text(address.get("complement")),
        district=_text(address.get("neighborhood")),
        city=_text(address.get("city")),
        state=_text(address.get("state")),
        country=_text(address.get("country")),
        country_code=_text(address.get("country_iso")).upper(),
        zip=_text(address.get("zip_code") or address.get("zipcode")),
    )


class BuyersInWaiting:
    """The /sales/users items read and not yet written with their sale.

    History and users pages are read side by side: an item usually meets its sale on the
    same page, and is written with it. One whose sale came on an earlier page is written
    to it at the end of the page; one whose sale is not read yet waits for it.
    """

    def __init__(self):
        self._items = {}
        self._stored = set()

    def __bool__(self):
        return bool(self._items)

    def add(self, users_page):
        for item in users_page:
            transaction = _text(item.get("transaction")) if isinstance(item, dict) else ""
            if transaction:
                self._items[transaction] = item

    def take(self, transaction):
        """The item of ``transaction``, if read: it is written with its sale."""
        return self._items.pop(transaction, None)

    def stored(self, transactions):
        self._stored.update(transactions)

    def take_stored(self):
        """The items whose sale an earlier page stored."""
        return [self._items.pop(t) for t in list(self._items) if t in self._stored]

    def take_all(self):
        items = list(self._items.values())
        self._items.clear()
        return items


def parse_history_item(item, buyer=None):
    """A HotmartSale from a /sales/history item and, when known, its /sales/users BUYER."""
    if not isinstance(item, dict):
        raise HotmartBadPayloadError("A sales history item is not an object.")
    purchase = _required(item, ("purchase",))
    if not isinstance(purchase, dict):
        raise HotmartBadPayloadError("purchase is not an object.")
    price_path = ("purchase", "price", "value")
    history_buyer = item.get("buyer") if isinstance(item.get("buyer"), dict) else {}
    if buyer is None:
        buyer = HotmartBuyer()
    # the history buyer has name, email and ucode only; /sales/users fills in the rest
    buyer.name = buyer.name or _text(history_buyer.get("name"))
    buyer.email = buyer.email or _text(history_buyer.get("email"))
    buyer.ucode = buyer.ucode or _text(history_buyer.get("ucode"))
    fee = purchase.get("hotmart_fee") if isinstance(purchase.get("hotmart_fee"), dict) else {}
    return HotmartSale(
        transaction=_text(_required(item, ("purchase", "transaction"))),
        status=_status(_required(item, ("purchase", "status")), ("purchase", "status")),
        amount=_money(_required(item, price_path), price_path),
        currency=_text(_dig(purchase, "price", "currency_code")).upper() or "BRL",
        order_date=parse_datetime(purchase.get("order_date")),
        approved_date=parse_datetime(purchase.get("approved_date")),
        product_id=_text(_dig(item, "product", "id")),
        product_name=_text(_dig(item, "product", "name")),
        offer_code=_text(_dig(purchase, "offer", "code")),
        payment_type=_text(_dig(purchase, "payment", "type")),
        installments=_int(_dig(purchase, "payment", "installments_number"), 1),
        hotmart_fee=_money(fee["total"], ("hotmart_fee", "total")) if "total" in fee else None,
        hotmart_fee_currency=_text(fee.get("currency_code")).upper(),
        is_subscription=bool(purchase.get("is_subscription")),
        recurrence_number=_int(
            purchase.get("recurrency_number", purchase.get("recurrence_number")), 1
        ),
        warranty_expire_date=parse_datetime(purchase.get("warranty_expire_date")),
        buyer=buyer,
        source="rest",
    )


def _webhook_buyer(data):
    buyer = data.get("buyer") if isinstance(data.get("buyer"), dict) else {}
    document_type = _text(buyer.get("document_type")).upper()
    document = _digits(buyer.get("document"))
    if document and document_type not in ("CPF", "CNPJ"):
        document_type = {11: "CPF", 14: "CNPJ"}.get(len(document), "")
    phone = _text(buyer.get("checkout_phone"))
    code = _digits(buyer.get("checkout_phone_code"))
    if phone and code and code != "55":
        phone = f"+{code} {phone}"
    return HotmartBuyer(
        name=_text(buyer.get("name"))
        or " ".join(filter(None, (_text(buyer.get("first_name")), _text(buyer.get("last_name"))))),
        email=_text(buyer.get("email")),
        ucode=_text(buyer.get("ucode")),
        document_type=document_type if document else "",
        document=document,
        phone=phone,
        address=_address(buyer.get("address")),
    )


def parse_webhook_sale(event_name, data):
    """A HotmartSale from a purchase webhook's ``data``; the event name gives the status."""
    if not isinstance(data, dict):
        raise HotmartBadPayloadError("The webhook has no data object.")
    purchase = _required(data, ("purchase",))
    if not isinstance(purchase, dict):
        raise HotmartBadPayloadError("purchase is not an object.")
    status = WEBHOOK_EVENT_STATUSES.get(event_name)
    if not status:
        status = _status(_required(data, ("purchase", "status")), ("purchase", "status"))
    price = purchase.get("price") if isinstance(purchase.get("price"), dict) else {}
    price_path = ("purchase", "price", "value")
    subscription = data.get("subscription") if isinstance(data.get("subscription"), dict) else {}
    return HotmartSale(
        transaction=_text(_required(data, ("purchase", "transaction"))),
        status=status,
        amount=_money(_required(data, price_path), price_path),
        currency=(_text(price.get("currency_value")) or _text(price.get("currency_code"))).upper()
        or "BRL",
        order_date=parse_datetime(purchase.get("order_date")),
        approved_date=parse_datetime(purchase.get("approved_date")),
        product_id=_text(_dig(data, "product", "id")),
        product_name=_text(_dig(data, "product", "name")),
        product_ucode=_text(_dig(data, "product", "ucode")),
        offer_code=_text(_dig(purchase, "offer", "code")),
        payment_type=_text(_dig(purchase, "payment", "type")),
        installments=_int(_dig(purchase, "payment", "installments_number"), 1),
        is_subscription=bool(subscription.get("subscriber") or _dig(subscription, "plan")),
        recurrence_number=_int(
            purchase.get("recurrence_number", purchase.get("recurrency_number")), 1
        ),
        subscriber_code=_text(_dig(subscription, "subscriber", "code")),
        subscription_status=_text(subscription.get("status")),
        plan_name=_text(_dig(subscription, "plan", "name")),
        warranty_expire_date=parse_datetime(_dig(data, "product", "warranty_date")),
        buyer=_webhook_buyer(data),
        source="webhook",
        settlement=_settlement_or_none(data.get("commissions"), data.get("affiliates")),
    )


def _settlement_or_none(commissions, affiliates=None):
    """The webhook's settlement; commissions it cannot read never cost the status change."""
    try:
        return parse_webhook_settlement(commissions, affiliates)
    except HotmartBadPayloadError:
        return None


def _settlement(shares, rate=None):
    """A HotmartSettlement from [(source, amount, currency, who)], ``who`` the user Hotmart
    names for the share (a dict) or None; None without any share."""
    if not shares:
        return None
    totals = {"fee": Decimal(0), "commission": Decimal(0), "net": Decimal(0)}
    currencies = {}
    recipients = []
    for source, amount, currency, who in shares:
        kind = {FEE_SOURCE: "fee", NET_SOURCE: "net"}.get(source, "commission")
        totals[kind] += amount
        currencies.setdefault(kind, currency)
        if kind == "commission":
            recipients.append(_recipient(source, amount, who))
    currency = currencies.get("net") or next(iter(currencies.values()))
    if any(c and c != currency for c in currencies.values()):
        raise HotmartBadPayloadError(
            "Hotmart's commissions of this sale are in different currencies: "
            + ", ".join(sorted(set(currencies.values())))
            + "."
        )
    return HotmartSettlement(currency=currency or "BRL", rate=rate, recipients=recipients, **totals)


def _recipient(source, amount, who):
    who = who if isinstance(who, dict) else {}
    return HotmartRecipient(
        source=source,
        amount=amount,
        name=_text(who.get("name")),
        email=_text(who.get("email")).lower(),
        ucode=_text(who.get("ucode")),
    )


def _named_affiliates(affiliates):
    return [
        entry for entry in _list(affiliates) if isinstance(entry, dict) and _text(entry.get("name"))
    ]


def parse_webhook_settlement(commissions, affiliates=None):
    """The settlement in a purchase webhook's ``commissions`` (converted values preferred:
    Hotmart pays Brazilian producers in reais). Webhook commissions name nobody; the
    ``affiliates`` the event names are paired with its AFFILIATE shares when there are as
    many of each."""
    shares = []
    rate = None
    for entry in _list(commissions):
        if not isinstance(entry, dict) or entry.get("value") is None:
            continue
        conversion = entry.get("currency_conversion")
        if isinstance(conversion, dict) and conversion.get("converted_value") is not None:
            path = ("commissions", "currency_conversion", "converted_value")
            amount = _money(conversion["converted_value"], path)
            currency = _text(conversion.get("converted_to_currency"))
            rate = rate or _optional_money(conversion, "conversion_rate")
        else:
            amount = _money(entry["value"], ("commissions", "value"))
            currency = _text(entry.get("currency_value") or entry.get("currency_code"))
        shares.append((_text(entry.get("source")).upper(), amount, currency.upper(), None))
    named = _named_affiliates(affiliates)
    affiliate_shares = [i for i, share in enumerate(shares) if share[0] == "AFFILIATE"]
    if named and len(named) == len(affiliate_shares):
        for index, affiliate in zip(affiliate_shares, named, strict=True):
            source, amount, currency, _who = shares[index]
            who = {"name": affiliate.get("name"), "ucode": affiliate.get("affiliate_code")}
            shares[index] = (source, amount, currency, who)
    return _settlement(shares, rate)


def settlements_by_transaction(items):
    """{transaction: HotmartSettlement} from a /sales/commissions page; several affiliates or
    co-producers of one sale are added up."""
    result = {}
    for transaction, item in _commission_items(items):
        rate = _optional_money(item, "exchange_rate_currency_payout")
        settlement = _settlement(_commission_shares(item), rate)
        if settlement:
            result[transaction] = settlement
    return result


def _commission_items(items):
    """(transaction, item) of each readable item of a /sales/commissions page."""
    for item in _items(items, "/sales/commissions"):
        if isinstance(item, dict) and _text(item.get("transaction")):
            yield _text(item["transaction"]), item


def _commission_shares(item):
    """[(source, amount, currency, user)] of one /sales/commissions item (both currency
    spellings)."""
    shares = []
    for entry in _list(item.get("commissions")):
        commission = entry.get("commission") if isinstance(entry, dict) else None
        if not isinstance(commission, dict) or commission.get("value") is None:
            continue
        currency = _text(commission.get("currency_value") or commission.get("currency_code"))
        amount = _money(commission["value"], ("commission", "value"))
        source = _text(entry.get("source")).upper()
        shares.append((source, amount, currency.upper(), entry.get("user")))
    return shares


def parse_webhook(payload):
    """A HotmartWebhookEvent from a postback body (a dict already decoded from JSON)."""
    if not isinstance(payload, dict):
        raise HotmartBadPayloadError("The webhook body is not a JSON object.")
    uid = _text(payload.get("id"))
    event = _text(payload.get("event")).upper()
    if not uid or not event:
        raise HotmartBadPayloadError(
            "The body is not a Hotmart event: it has no " + ("id." if not uid else "event name.")
        )
    is_purchase = event.startswith("PURCHASE_") and event != "PURCHASE_OUT_OF_SHOPPING_CART"
    return HotmartWebhookEvent(
        uid=uid,
        event=event,
        creation_date=parse_datetime(payload.get("creation_date")),
        version=_text(payload.get("version")),
        sale=parse_webhook_sale(event, payload.get("data")) if is_purchase else None,
    )


def parse_product(item):
    """A HotmartProduct from a /products item (its numeric id is the one sales carry)."""
    if not isinstance(item, dict) or item.get("id") in (None, ""):
        raise HotmartBadPayloadError("A product has no id: Hotmart's payload is incomplete.")
    return HotmartProduct(
        id=_text(item.get("id")),
        name=_text(item.get("name")) or _text(item.get("id")),
        ucode=_text(item.get("ucode")),
        status=_text(item.get("status")),
        format=_text(item.get("format")),
        is_subscription=bool(item.get("is_subscription")),
    )


def _optional_money(data, *path):
    value = _dig(data, *path)
    return None if value is None else _money(value, path)


def price_details_by_transaction(items):
    """{transaction: HotmartPriceDetails} from a /sales/price/details page."""
    details = {}
    for item in _items(items, "/sales/price/details"):
        if not isinstance(item, dict) or not _text(item.get("transaction")):
            continue
        transaction = _text(item["transaction"])
        details[transaction] = HotmartPriceDetails(
            transaction=transaction,
            total=_optional_money(item, "total", "value"),
            currency=_text(_dig(item, "total", "currency_code")).upper(),
            base=_optional_money(item, "base", "value"),
            fee=_optional_money(item, "fee", "value"),
            real_conversion_rate=_optional_money(item, "real_conversion_rate"),
        )
    return details


def commissions_by_transaction(items):
    """{transaction: {source: (amount, currency)}} from a /sales/commissions page."""
    result = {}
    for transaction, item in _commission_items(items):
        shares = result.setdefault(transaction, {})
        for source, amount, currency, _who in _commission_shares(item):
            shares[source] = (amount, currency)
    return result
