"""What a sale is worth in the account's company currency, and the fiscal position of its
order: the account's settings in use."""

from odoo import fields, models
from odoo.exceptions import UserError


class HotmartBackend(models.Model):
    _inherit = "hotmart.backend"

    def _first_rate_days(self, currencies):
        """{currency id: day of its first rate for this company}, in one query."""
        self.ensure_one()
        groups = self.env["res.currency.rate"]._read_group(
            [
                ("currency_id", "in", currencies.ids),
                ("company_id", "in", [False, self.company_id.id]),
            ],
            ["currency_id"],
            ["name:min"],
        )
        return {currency.id: first_day for currency, first_day in groups}

    def _convert_to_company_currency(self, amount, currency, code, moment, first_rate_days=None):
        """What Hotmart says the buyer paid, in company currency (docs/architecture.md).

        ``first_rate_days`` (from ``_first_rate_days``) spares a query per sale in a batch.
        """
        self.ensure_one()
        company = self.company_id
        target = company.currency_id
        if not currency:
            raise UserError(
                self.env._(
                    "The sale is in %(code)s, a currency Odoo does not know. Add it in the "
                    "currencies of the Invoicing settings, then receive the sale again.",
                    code=code,
                )
            )
        amount = float(amount)
        if currency == target:
            return target.round(amount)
        fixed_rate = {"USD": self.usd_rate, "EUR": self.eur_rate}.get(currency.name)
        if fixed_rate:
            return target.round(amount * fixed_rate)
        day = (moment or fields.Datetime.now()).date()
        if first_rate_days is None:
            first_rate_days = self._first_rate_days(currency)
        return self._convert_at_odoo_rate(
            amount,
            currency,
            day,
            first_rate_days,
            lambda: self.env._(
                "No exchange rate for %(currency)s on or before %(date)s. Add one in the "
                "currency's rates (Invoicing settings, Currencies), then receive the sale "
                "again.",
                currency=currency.name,
                date=day,
            ),
        )

    def _convert_at_odoo_rate(self, amount, currency, day, first_rate_days, no_rate_message):
        """``amount`` of ``currency`` in company currency at Odoo's rate of ``day``.
        ``first_rate_days`` is ``_first_rate_days`` of the currencies at hand. Odoo converts
        at rate 1 when a currency has no rate on or before the day: a UserError saying
        ``no_rate_message()`` instead."""
        self.ensure_one()
        company = self.company_id
        if currency == company.currency_id:
            return currency.round(amount)
        first_day = first_rate_days.get(currency.id)
        if not first_day or first_day > day:
            raise UserError(no_rate_message())
        return currency._convert(amount, company.currency_id, company, day)

    def _fiscal_position_for(self, partner):
        """The account's fiscal position, or the contributors' one for an ICMS contributor."""
        self.ensure_one()
        if (
            self.use_contributor_fiscal_position
            and self.contributor_fiscal_position_id
            and partner._hotmart_is_icms_contributor()
        ):
            return self.contributor_fiscal_position_id
        if self.fiscal_position_id:
            return self.fiscal_position_id
        return (
            self.env["account.fiscal.position"]
            .with_company(self.company_id)
            ._get_fiscal_position(partner)
        )
