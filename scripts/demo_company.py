"""Run by scripts/try.sh inside `odoo shell`: the demo's company, a Brazilian producer.

Idempotent. The company is found by its name; the first time it is l10n_br's demo company
("BR Company", already in reais on the chart of accounts `br`), renamed, or a new company when
the database has no demo data, on the chart HOTMART_DEMO_CHART (`br`; OCA's `br_oca_simple`
for the notas fiscais demo). It gets a São Paulo address, a CNPJ and today's rates of the
currencies the sandbox sells in; Portuguese (Brazil) is installed and becomes the language of
the admin user, who works in this company on São Paulo time. demo_account.py then creates
the demo account in the admin user's company.
"""
# ruff: noqa: F821 (env comes from odoo shell)

import os
from datetime import timedelta

from stdnum.br import cnpj

from odoo import Command, fields

NAME = "Escola Digital Aurora Ltda"
LANG = "pt_BR"
TZ = "America/Sao_Paulo"
# reais for one unit of each currency the sandbox sells in
RATES = {"USD": 5.35, "EUR": 6.20, "MXN": 0.29, "COP": 0.00136, "ARS": 0.0037}
# the sandbox's sales go back 60 days: the rates also hold from before the first of them
RATES_SINCE_DAYS = 90
CHART = os.environ.get("HOTMART_DEMO_CHART", "br")


def company_cnpj():
    base = "398472610001"  # registration number and branch 0001 (the head office)
    return cnpj.format(base + cnpj.calc_check_digits(base))


def brazilian_company():
    # the chart below is the demo's choice: a Brazilian address must not install l10n_br's
    Company = env["res.company"].with_context(chart_template_load=True)
    company = (
        Company.search([("name", "=", NAME)], limit=1)
        or env.ref("base.demo_company_br", raise_if_not_found=False)
        or Company.create({"name": NAME, "currency_id": env.ref("base.BRL").id})
    )
    company.write(
        {
            "name": NAME,
            "country_id": env.ref("base.br").id,
            "state_id": env.ref("base.state_br_sp").id,
            "city": "São Paulo",
            "zip": "01310-100",
            "vat": company_cnpj(),
            "email": "contato@escolaaurora.example.com",
            "phone": "+55 11 3456-7890",
            "website": "https://escolaaurora.example.com",
        }
    )
    company.partner_id.write(address_details(company))
    if not company.chart_template:
        env["account.chart.template"].try_loading(CHART, company)
    return company


def address_details(company):
    """The partner's fields of the Brazilian address form (and of the connector: CNPJ)."""
    details = {"street_name": "Avenida Paulista", "street_number": "1000", "lang": LANG}
    partner_fields = company.partner_id._fields
    if "city_id" in partner_fields:
        details["city_id"] = sao_paulo().id
    cnpj_type = env.ref("l10n_br.cnpj", raise_if_not_found=False)
    if cnpj_type and "l10n_latam_identification_type_id" in partner_fields:
        details["l10n_latam_identification_type_id"] = cnpj_type.id
    return details


def sao_paulo():
    """São Paulo (SP) in either localization's municipalities."""
    return env["res.city"].search(
        [("state_id", "=", env.ref("base.state_br_sp").id), ("name", "=", "São Paulo")], limit=1
    )


def install_portuguese():
    if env["res.lang"]._lang_get(LANG):  # active already, with its translations
        return
    env["res.lang"]._activate_lang(LANG)
    env["ir.module.module"].search([("state", "=", "installed")])._update_translations([LANG])


def set_rates(company):
    """Today's rates, also dated before the sandbox's first sale, in company currency."""
    currencies = env["res.currency"].with_context(active_test=False)
    currencies.search([("name", "in", list(RATES))]).active = True
    today = fields.Date.context_today(env.user)
    days = [today - timedelta(days=RATES_SINCE_DAYS), today]
    for code, reais in RATES.items():
        currency = currencies.search([("name", "=", code)])
        for day in days:
            set_rate(company, currency, day, reais)


def set_rate(company, currency, day, reais):
    """``reais`` for one ``currency`` on ``day``; Odoo stores its inverse as ``rate``."""
    Rate = env["res.currency.rate"].with_company(company)
    key = {"company_id": company.id, "currency_id": currency.id, "name": day}
    rate = Rate.search([(field, "=", value) for field, value in key.items()])
    if rate:
        rate.inverse_company_rate = reais
    else:
        Rate.create({**key, "inverse_company_rate": reais})


def make_admin_work_there(company):
    env.ref("base.user_admin").write(
        {
            "company_ids": [Command.link(company.id)],
            "company_id": company.id,
            "lang": LANG,
            "tz": TZ,
        }
    )


def summary(company):
    brl = company.currency_id
    currencies = env["res.currency"].search([("name", "in", list(RATES))])
    rates = ", ".join(
        f"1 {currency.name} = {brl.name} {currency._convert(1, brl, company, round=False):.5g}"
        for currency in currencies
    )
    return (
        f"Demo company {company.name} (CNPJ {company.vat}), {company.city}-"
        f"{company.state_id.code}, in {brl.name} on the chart {company.chart_template}; "
        f"admin in {LANG}, {TZ}. Rates today: {rates}"
    )


company = brazilian_company()
install_portuguese()
set_rates(company)
make_admin_work_there(company)
env.cr.commit()
print(summary(company))
