"""What Hotmart does with a sale's money: its fee, others' commissions and the producer's
net, from /sales/commissions pages and from a webhook's ``commissions``; and the price
details of /sales/price/details."""

from dataclasses import dataclass, field
from decimal import Decimal

from .exceptions import HotmartBadPayloadError
from .readers import _dig, _items, _list, _money, _optional_money, _text


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
    # whether Hotmart listed its fee (a MARKETPLACE share); /sales/commissions may not, and
    # the fee is then the history's hotmart_fee
    fee_listed: bool = True
    producer_ucode: str = ""  # the Hotmart user the producer's net goes to

    @property
    def gross(self):
        return self.fee + self.commission + self.net


# The commission sources of Hotmart's own fee and of the producer's net; any other source
# (co-producer, affiliate, add-on) is somebody else's commission.
FEE_SOURCE, NET_SOURCE = "MARKETPLACE", "PRODUCER"


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
        listed = ", ".join(sorted(set(currencies.values())))
        raise HotmartBadPayloadError(
            f"Hotmart's commissions of this sale are in different currencies: {listed}.",
            reason="mixed_currencies",
            values={"currencies": listed},
        )
    producer = next((who for source, _a, _c, who in shares if source == NET_SOURCE), None)
    return HotmartSettlement(
        currency=currency or "BRL",
        rate=rate,
        recipients=recipients,
        fee_listed=any(source == FEE_SOURCE for source, *_rest in shares),
        producer_ucode=_text(producer.get("ucode")) if isinstance(producer, dict) else "",
        **totals,
    )


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


@dataclass
class HotmartMoney:
    value: Decimal
    currency: str


@dataclass
class HotmartPriceDetails:
    """A sale's price as /sales/price/details breaks it down; each amount in its own
    currency (an MXN sale may carry a USD fee and a BRL VAT)."""

    transaction: str
    total: HotmartMoney | None
    base: HotmartMoney | None = None
    fee: HotmartMoney | None = None
    vat: HotmartMoney | None = None
    coupon_code: str = ""
    coupon_value: Decimal | None = None
    real_conversion_rate: Decimal | None = None


def _money_of(item, key):
    """The ``{"value", "currency_code"}`` under ``key``, or None."""
    value = _optional_money(item, key, "value")
    if value is None:
        return None
    return HotmartMoney(value, _text(_dig(item, key, "currency_code")).upper())


def price_details_by_transaction(items):
    """{transaction: HotmartPriceDetails} from a /sales/price/details page."""
    details = {}
    for item in _items(items, "/sales/price/details"):
        if not isinstance(item, dict) or not _text(item.get("transaction")):
            continue
        transaction = _text(item["transaction"])
        details[transaction] = HotmartPriceDetails(
            transaction=transaction,
            total=_money_of(item, "total"),
            base=_money_of(item, "base"),
            fee=_money_of(item, "fee"),
            vat=_money_of(item, "vat"),
            coupon_code=_text(_dig(item, "coupon", "code")),
            coupon_value=_optional_money(item, "coupon", "value"),
            real_conversion_rate=_optional_money(item, "real_conversion_rate"),
        )
    return details
