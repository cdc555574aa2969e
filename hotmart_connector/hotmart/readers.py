"""Reading Hotmart's JSON tolerantly: nested values, text, digits, money, dates in
milliseconds or seconds, lists. Shared by the sale, settlement and subscription parsers."""

import json
import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from .exceptions import HotmartBadPayloadError

# Epoch values below this are seconds, not milliseconds (1e11 ms is March 1973).
_SECONDS_CEILING = 10**11


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
        raise _not_a_date(value)
    if isinstance(value, int | float):
        seconds = value if abs(value) < _SECONDS_CEILING else value / 1000
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise _not_a_date(value) from None
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return parse_datetime(float(text))
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _not_a_date(value) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    raise _not_a_date(value)


def _not_a_date(value):
    return HotmartBadPayloadError(
        f"{value!r} is not a date.", reason="not_a_date", values={"value": repr(value)[:80]}
    )


def _required(data, path, label=None):
    value = _dig(data, *path)
    if value is None or (isinstance(value, str) and not value.strip()):
        field = label or ".".join(path)
        raise HotmartBadPayloadError(
            f"The sale has no {field}: Hotmart's payload is incomplete.",
            reason="missing",
            values={"field": field},
        )
    return value


def _money(value, path):
    if isinstance(value, bool):
        raise _not_an_amount(path, value)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _not_an_amount(path, value) from None
    if not amount.is_finite():
        raise _not_an_amount(path, value)
    return amount


def _not_an_amount(path, value):
    field = ".".join(path)
    return HotmartBadPayloadError(
        f"{field} is not an amount: {value!r}.",
        reason="not_an_amount",
        values={"field": field, "value": repr(value)[:80]},
    )


def _list(value):
    """An optional list inside a payload: anything else counts as absent."""
    return value if isinstance(value, list) else []


def _items(value, what):
    """The items of a page: a list (None is an empty page); anything else is refused."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise HotmartBadPayloadError(
            f"The {what} items are not a list.", reason="items_not_a_list", values={"what": what}
        )
    return value


def _optional_money(data, *path):
    value = _dig(data, *path)
    return None if value is None else _money(value, path)
