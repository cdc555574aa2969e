"""Money as people read it, whatever the currency."""

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
