"""Money and documents as people read them, whatever the currency and the country."""

from stdnum.br import cnpj, cpf

from odoo.tools.misc import formatLang

# Symbols several currencies share: the code is clearer ("COP 777.660,00", not "$ 777.660,00").
SHARED_SYMBOLS = ("$", "kr", "¥")


def format_money(env, amount, currency, code="", company=None):
    """``amount`` in ``currency`` (or spelled ``code`` when Odoo does not know it), formatted
    in the language of ``env``; a shared symbol stands for ``company``'s currency only."""
    if not currency:
        return f"{formatLang(env, amount or 0.0)} {code}".strip()
    home = (company or env.company).currency_id
    if currency.symbol in SHARED_SYMBOLS and currency != home:
        number = formatLang(env, amount or 0.0, digits=currency.decimal_places)
        return f"{currency.name} {number}"
    return formatLang(env, amount or 0.0, currency_obj=currency)


def format_document(number, kind):
    """A CPF or CNPJ as Brazilians write it (123.456.789-09, 11.222.333/0001-81); a number
    that is not one, or another document, as it was given."""
    if not number:
        return False
    module = {"CPF": cpf, "CNPJ": cnpj}.get((kind or "").upper())
    if module and module.is_valid(number):
        return module.format(number)
    return number
