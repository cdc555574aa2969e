"""A buyer's phone and document as Hotmart sends them, read the way Hotmart means them.

Phones: a webhook's ``checkout_phone_code`` is the Brazilian area code (DDD), sent for
Brazilian buyers only; a buyer abroad has the country code inside ``checkout_phone``, and
``/sales/users`` gives ``cellphone`` and ``phone`` with the area code inside. Hotmart's own
test postbacks send ``999999999`` as the code. A phone whose country is known is stored in
E.164 (``+5531999999999``) when ``phonenumbers`` finds it valid, and as given otherwise: a
country is never guessed.

Documents: Hotmart's types are CPF and CNPJ (Brazil), DNI and CIF (Spain) and DOCUMENT
(other countries). CPF and CNPJ lose their punctuation (a CNPJ may hold letters since July
2026); the others are kept as given, letters included.
"""

import re

from .readers import _digits, _text

try:
    import phonenumbers
except ImportError:  # a server without it keeps phones as Hotmart gives them
    phonenumbers = None

BRAZIL = "BR"
BRAZILIAN_DOCUMENTS = ("CPF", "CNPJ")
DOCUMENT_TYPES = ("CPF", "CNPJ", "DNI", "CIF", "DOCUMENT")
# Brazil's country names as Hotmart's /sales/users addresses spell them.
BRAZIL_NAMES = ("BR", "BRA", "BRASIL", "BRAZIL")


def country_code(iso="", name=""):
    """The ISO code of a buyer's country, from its code or, for Brazil, its name."""
    code = _text(iso).upper()
    if len(code) == 2 and code.isalpha():
        return code
    return BRAZIL if _text(name).upper() in BRAZIL_NAMES else ""


def buyer_phone(number, area_code="", country=""):
    """``number`` in E.164 where its country is known and it is valid there, else as given.

    ``area_code`` is a webhook's ``checkout_phone_code``: two digits are a Brazilian DDD,
    and make the buyer Brazilian; anything else (Hotmart's test ``999999999``) is ignored.
    ``country`` is the buyer's ISO country code, when Hotmart gives one.
    """
    given = _text(number)
    digits = _digits(given)
    if not digits or phonenumbers is None:
        return given if digits else ""
    ddd = _digits(area_code).lstrip("0")  # "031": the trunk prefix before the area code
    if len(ddd) == 4 and ddd.startswith("55"):
        ddd = ddd[2:]  # "5531": the country code before it
    if len(ddd) == 2:
        return _e164(_brazilian_national(digits, ddd), BRAZIL) or given
    if country == BRAZIL:
        return _e164(_brazilian_national(digits, ""), BRAZIL) or given
    if country:
        # abroad, the country code usually leads the number; else it is a national number
        return _e164("+" + digits, None, country) or _e164(digits, country) or given
    return given


def _brazilian_national(digits, ddd):
    """The national number (DDD and number) of a Brazilian phone given with or without its
    DDD, or with the country code 55 in front."""
    if len(digits) in (12, 13) and digits.startswith("55"):
        return digits[2:]
    if ddd and len(digits) in (8, 9):
        return ddd + digits
    return digits


def _e164(text, region, expected_country=None):
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    if expected_country and phonenumbers.region_code_for_number(parsed) != expected_country:
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def buyer_document(value, document_type=""):
    """(type, document) of a buyer: CPF and CNPJ as digits (an untyped document of 11 or 14
    digits is one of them), the other types as given, letters included."""
    kind = _text(document_type).upper()
    if kind in BRAZILIAN_DOCUMENTS:
        # CNPJs issued from July 2026 may hold letters: kept, punctuation dropped
        compact = re.sub(r"[^0-9A-Z]", "", _text(value).upper())
        return (kind, compact) if compact else ("", "")
    text = _text(value)
    if not text:
        return "", ""
    if not kind:
        digits = _digits(text)
        if digits == text.replace(".", "").replace("-", "").replace("/", "").replace(" ", ""):
            inferred = {11: "CPF", 14: "CNPJ"}.get(len(digits))
            if inferred:
                return inferred, digits
        return "DOCUMENT", text
    return (kind if kind in DOCUMENT_TYPES else "DOCUMENT"), text
