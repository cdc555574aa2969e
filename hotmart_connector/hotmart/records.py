"""One neutral sale record, and the parsers that build it from REST items and webhooks.

All the drift between Hotmart's REST API and its webhooks (field names, status spellings,
dates in milliseconds or seconds) is absorbed here and nowhere else.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ..const import COMMISSION_ROLES, INVOICE_ISSUERS, SALE_STATUS_CODES
from .contacts import BRAZILIAN_DOCUMENTS, buyer_document, buyer_phone, country_code
from .exceptions import HotmartBadPayloadError
from .readers import (
    _dig,
    _int,
    _items,
    _list,
    _money,
    _optional_money,
    _required,
    _text,
    parse_datetime,
)
from .settlements import HotmartSettlement, _settlement_or_none

COMMISSION_ROLE_CODES = [code for code, _label in COMMISSION_ROLES]
INVOICE_ISSUER_CODES = [code for code, _label in INVOICE_ISSUERS]
# The links' tracking strings are the buyer's to write (a checkout URL): kept to this length.
TRACKING_LENGTH = 200

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
    document_type: str = ""  # CPF, CNPJ, DNI, CIF or DOCUMENT (contacts.DOCUMENT_TYPES)
    document: str = ""  # CPF and CNPJ as digits, the others as given
    phone: str = ""  # E.164 where the country is known (contacts.buyer_phone)
    address: HotmartAddress = field(default_factory=HotmartAddress)


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
    # whose sale it is: PRODUCER, COPRODUCER or AFFILIATE (the history only; webhooks go
    # to the producer)
    commission_as: str = ""
    payment_mode: str = ""  # the offer's: UNIQUE_PAYMENT, SMART_INSTALLMENT, SUBSCRIPTION...
    full_price: Decimal | None = None  # what the buyer pays in all, installments' interest too
    invoice_by: str = ""  # who issues the buyer's invoice: HOTMART or SELLER
    business_model: str = ""
    tracking_src: str = ""  # the link's src (origin.src; the history's tracking.source)
    tracking_sck: str = ""  # the link's sck (origin.sck; tracking.source_sck)
    tracking_xcod: str = ""  # the link's xcod (origin.xcod; tracking.external_code)
    coupon_code: str = ""
    affiliate_code: str = ""
    affiliate_name: str = ""
    is_order_bump: bool = False
    parent_transaction: str = ""  # the purchase an order bump was added to
    plan_id: str = ""
    date_next_charge: datetime | None = None


@dataclass
class HotmartProduct:
    id: str
    name: str
    ucode: str = ""
    status: str = ""
    format: str = ""
    is_subscription: bool = False


@dataclass
class HotmartWebhookEvent:
    uid: str
    event: str
    creation_date: datetime | None
    sale: HotmartSale | None  # None for events that are not about a purchase


def _status(value, path):
    status = _text(value).upper()
    status = WEBHOOK_STATUS_ALIASES.get(status, status)
    if status not in SALE_STATUS_CODES:
        field = ".".join(path)
        raise HotmartBadPayloadError(
            f"{field} {value!r} is not a Hotmart status.",
            reason="not_a_status",
            values={"field": field, "value": repr(value)[:80]},
        )
    return status


def _purchase_not_an_object():
    return HotmartBadPayloadError("purchase is not an object.", reason="purchase_not_an_object")


def no_data_object():
    return HotmartBadPayloadError("The webhook has no data object.", reason="no_data")


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
    documents = [
        buyer_document(entry.get("value"), entry.get("type"))
        for entry in _list(user.get("documents"))
        if isinstance(entry, dict)
    ]
    # a Brazilian document first: it is the one the customer is matched by
    documents.sort(key=lambda document: document[0] not in BRAZILIAN_DOCUMENTS)
    document_type, document = next((d for d in documents if d[1]), ("", ""))
    address = _address(user.get("address"))
    country = country_code(address.country_code, address.country)
    return HotmartBuyer(
        name=_text(user.get("name")),
        email=_text(user.get("email")),
        ucode=_text(user.get("ucode")),
        document_type=document_type,
        document=document,
        phone=buyer_phone(user.get("cellphone") or user.get("phone"), country=country),
        address=address,
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
        raise HotmartBadPayloadError(
            "A sales history item is not an object.",
            reason="item_not_an_object",
        )
    purchase = _required(item, ("purchase",))
    if not isinstance(purchase, dict):
        raise _purchase_not_an_object()
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
        commission_as=_known(purchase.get("commission_as"), COMMISSION_ROLE_CODES) or "PRODUCER",
        payment_mode=_text(_dig(purchase, "offer", "payment_mode")).upper(),
        full_price=_informative_money(purchase, "full_price", "value"),
        # tracking.source is Hotmart's own ("HOTMART"), not the link's src
        tracking_sck=_text(_dig(purchase, "tracking", "source_sck"))[:TRACKING_LENGTH],
        tracking_xcod=_text(_dig(purchase, "tracking", "external_code"))[:TRACKING_LENGTH],
    )


def _webhook_buyer(data):
    buyer = data.get("buyer") if isinstance(data.get("buyer"), dict) else {}
    document_type, document = buyer_document(buyer.get("document"), buyer.get("document_type"))
    address = _address(buyer.get("address"))
    if not address.country_code:
        # a buyer abroad may have no address, only the country of the checkout
        address.country_code = _text(_dig(data, "purchase", "checkout_country", "iso")).upper()
        address.country = address.country or _text(
            _dig(data, "purchase", "checkout_country", "name")
        )
    return HotmartBuyer(
        name=_text(buyer.get("name"))
        or " ".join(filter(None, (_text(buyer.get("first_name")), _text(buyer.get("last_name"))))),
        email=_text(buyer.get("email")),
        ucode=_text(buyer.get("ucode")),
        document_type=document_type,
        document=document,
        phone=buyer_phone(
            buyer.get("checkout_phone"),
            buyer.get("checkout_phone_code"),
            country_code(address.country_code, address.country),
        ),
        address=address,
    )


def parse_webhook_sale(event_name, data):
    """A HotmartSale from a purchase webhook's ``data``; the event name gives the status."""
    if not isinstance(data, dict):
        raise no_data_object()
    purchase = _required(data, ("purchase",))
    if not isinstance(purchase, dict):
        raise _purchase_not_an_object()
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
        full_price=_full_price(purchase, price),
        invoice_by=_known(purchase.get("invoice_by"), INVOICE_ISSUER_CODES),
        business_model=_text(purchase.get("business_model")).upper()[:16],
        tracking_src=_text(_dig(purchase, "origin", "src"))[:TRACKING_LENGTH],
        tracking_sck=_text(_dig(purchase, "origin", "sck"))[:TRACKING_LENGTH],
        tracking_xcod=_text(_dig(purchase, "origin", "xcod"))[:TRACKING_LENGTH],
        coupon_code=_text(_dig(purchase, "offer", "coupon_code"))[:TRACKING_LENGTH],
        **_affiliate(data.get("affiliates")),
        **_order_bump(purchase.get("order_bump"), _text(_dig(purchase, "transaction"))),
        plan_id=_text(_dig(subscription, "plan", "id")),
        date_next_charge=parse_datetime(purchase.get("date_next_charge")),
    )


def _full_price(purchase, price):
    """What the buyer pays in all, when Hotmart gives it in the sale's currency (a purchase
    may carry its prices in three currencies)."""
    full = purchase.get("full_price") if isinstance(purchase.get("full_price"), dict) else {}
    currency = _text(full.get("currency_value") or full.get("currency_code")).upper()
    sale_currency = _text(price.get("currency_value") or price.get("currency_code")).upper()
    if currency and sale_currency and currency != sale_currency:
        return None
    return _informative_money(purchase, "full_price", "value")


def _known(value, codes):
    """``value`` among Hotmart's ``codes``, upper case, or "" for one not known yet: a new
    code never costs the sale."""
    code = _text(value).upper()
    return code if code in codes else ""


def _informative_money(data, *path):
    """An amount only shown to people: one Hotmart spells wrong is left out, and never
    costs the sale."""
    try:
        return _optional_money(data, *path)
    except HotmartBadPayloadError:
        return None


def _affiliate(affiliates):
    """The affiliate Hotmart names for the sale; every postback lists one, blank without."""
    for affiliate in _list(affiliates):
        if isinstance(affiliate, dict) and _text(affiliate.get("affiliate_code")):
            return {
                "affiliate_code": _text(affiliate.get("affiliate_code"))[:TRACKING_LENGTH],
                "affiliate_name": _text(affiliate.get("name"))[:TRACKING_LENGTH],
            }
    return {}


def _order_bump(order_bump, transaction):
    """An order bump and the purchase it was added to. Hotmart leaves the parent blank on
    the parent purchase itself."""
    if not isinstance(order_bump, dict) or not order_bump.get("is_order_bump"):
        return {}
    parent = _text(order_bump.get("parent_purchase_transaction"))
    if not parent or parent == transaction:
        return {}
    return {"is_order_bump": True, "parent_transaction": parent}


def parse_webhook(payload):
    """A HotmartWebhookEvent from a postback body (a dict already decoded from JSON)."""
    if not isinstance(payload, dict):
        raise HotmartBadPayloadError(
            "The webhook body is not a JSON object.",
            reason="body_not_an_object",
        )
    uid = _text(payload.get("id"))
    event = _text(payload.get("event")).upper()
    if not uid or not event:
        missing = "id" if not uid else "event name"
        raise HotmartBadPayloadError(
            f"The body is not a Hotmart event: it has no {missing}.",
            reason="event_without_id" if not uid else "event_without_name",
        )
    is_purchase = event.startswith("PURCHASE_") and event != "PURCHASE_OUT_OF_SHOPPING_CART"
    return HotmartWebhookEvent(
        uid=uid,
        event=event,
        # the club's events (members area) spell it creationDate
        creation_date=parse_datetime(payload.get("creation_date") or payload.get("creationDate")),
        sale=parse_webhook_sale(event, payload.get("data")) if is_purchase else None,
    )


def parse_product(item):
    """A HotmartProduct from a /products item (its numeric id is the one sales carry)."""
    if not isinstance(item, dict) or item.get("id") in (None, ""):
        raise HotmartBadPayloadError(
            "A product has no id: Hotmart's payload is incomplete.", reason="product_without_id"
        )
    return HotmartProduct(
        id=_text(item.get("id")),
        name=_text(item.get("name")) or _text(item.get("id")),
        ucode=_text(item.get("ucode")),
        status=_text(item.get("status")),
        format=_text(item.get("format")),
        is_subscription=bool(item.get("is_subscription")),
    )
