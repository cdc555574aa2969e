"""Hotmart's answers to the connector's write calls and to the sales summary, read once.

A batch call (cancel, reactivate) answers 200 even when some subscriptions fail: each
subscriber code asked for ends up succeeded, with the status Hotmart gave, or failed, with
Hotmart's reason. A code the answer does not mention, or mentions both ways, is neither: it
may have been done, and only a later read tells.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from .exceptions import HotmartBadPayloadError
from .readers import _dig, _int, _items, _money, _text


@dataclass
class BatchOutcome:
    """What a cancel or reactivate call did: {code: status} and {code: Hotmart's reason};
    the codes in neither are unknown."""

    succeeded: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)


def parse_batch_answer(payload, codes):
    """The outcome of ``POST /subscriptions/cancel`` (or ``/reactivate``) for ``codes``."""
    if not isinstance(payload, dict):
        raise HotmartBadPayloadError(
            "Hotmart's answer to the batch call is not an object.", reason="body_not_an_object"
        )
    outcome = BatchOutcome()
    asked = set(codes)
    for key, target in (("success_subscriptions", "succeeded"), ("fail_subscriptions", "failed")):
        for item in _items(payload.get(key), key):
            code = _text(_dig(item, "subscriber_code"))
            if code not in asked:
                continue  # not one of ours: nothing to say of it
            if target == "succeeded":
                outcome.succeeded[code] = _text(_dig(item, "status")).upper()
            else:
                outcome.failed[code] = _text(_dig(item, "error")) or "unknown"
    # a code reported both ways is unknown: it may have been done
    for code in set(outcome.succeeded) & set(outcome.failed):
        del outcome.succeeded[code]
        del outcome.failed[code]
    return outcome


@dataclass
class SummaryLine:
    """Hotmart's count and value of one currency in a ``/sales/summary`` window."""

    currency: str
    count: int = 0
    value: Decimal = Decimal(0)


def parse_sales_summary(items):
    """{currency code: SummaryLine} of the summary's items; one currency given twice (a
    second page) adds up."""
    lines = {}
    for item in _items(items, "sales summary"):
        if not isinstance(item, dict):
            raise HotmartBadPayloadError(
                "An item of Hotmart's sales summary is not an object.",
                reason="item_not_an_object",
            )
        currency = _text(_dig(item, "total_value", "currency_code")).upper()
        if not currency:
            raise HotmartBadPayloadError(
                "An item of Hotmart's sales summary has no currency.",
                reason="missing",
                values={"field": "total_value.currency_code"},
            )
        count = _int(item.get("total_items"), None)
        if count is None or count < 0:
            raise HotmartBadPayloadError(
                "An item of Hotmart's sales summary has no count of sales.",
                reason="missing",
                values={"field": "total_items"},
            )
        raw_value = _dig(item, "total_value", "value")
        value = Decimal(0) if raw_value is None else _money(raw_value, ("total_value", "value"))
        line = lines.setdefault(currency, SummaryLine(currency))
        line.count += count
        line.value += value
    return lines
