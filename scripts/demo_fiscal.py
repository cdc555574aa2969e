"""Run by scripts/try.sh with HOTMART_FISCAL=1 inside `odoo shell`, after demo_company.py: the
producer issues NFS-e on OCA's Brazilian localization, through Focus NFe's local stand-in.

Idempotent. The company (Simples Nacional, São Paulo's ISS at 2%, a series for the NFS-e,
Focus NFe in homologation) sends its notes to the stand-in at FOCUS_STANDIN_URL; the demo
account, made here if demo_account.py has not made it yet, puts the natureza de operação
Venda and the service code 8.02 on its orders, invoices each sale when it is paid and sends
its note. demo_account.py then connects it to the Hotmart stand-in and receives the sales.
"""
# ruff: noqa: F821 (env and the environment variables come from odoo shell and try.sh)

import os
from datetime import timedelta

from odoo import fields

ACCOUNT = "Hotmart Sandbox (demo)"  # the account demo_account.py connects
FOCUS_TOKEN = "demo-focus-token"  # the token the stand-in was started with
company = env.ref("base.user_admin").company_id
env = env(context=dict(env.context, allowed_company_ids=company.ids))


def issue_nfse(company):
    company.write(
        {
            "legal_name": company.name,
            "l10n_br_im_code": "12345678",
            "district": "Bela Vista",
            "tax_framework": "1",  # Simples Nacional
            "processador_edoc": "oca",
            "provedor_nfse": "focusnfe",
            "nfse_environment": "2",  # homologation
            "focusnfe_homologation_token": FOCUS_TOKEN,
            "tax_issqn_id": env.ref("l10n_br_fiscal.tax_issqn_2").id,
        }
    )
    company._onchange_tax_issqn_id()
    se = env.ref("l10n_br_fiscal.document_SE")
    Serie = env["l10n_br_fiscal.document.serie"]
    if not Serie.search([("company_id", "=", company.id), ("document_type_id", "=", se.id)]):
        Serie.create(
            {"code": "1", "name": "NFS-e", "document_type_id": se.id, "company_id": company.id}
        )
    env["ir.config_parameter"].set_param("focusnfe_standin.url", os.environ["FOCUS_STANDIN_URL"])


def account(code, name, account_type):
    """The company's account with this code, made the first time."""
    Account = env["account.account"].with_company(company)
    return Account.search([("code", "=", code)], limit=1) or Account.create(
        {"code": code, "name": name, "account_type": account_type}
    )


def book_and_declare():
    """The demo account invoices paid sales and sends their notes."""
    if not company.income_currency_exchange_account_id:
        company.income_currency_exchange_account_id = account(
            "3.1.9.01", "Variação cambial ativa", "income_other"
        )
    if not company.expense_currency_exchange_account_id:
        company.expense_currency_exchange_account_id = account(
            "4.1.9.01", "Variação cambial passiva", "expense"
        )
    Backend = env["hotmart.backend"].with_context(active_test=False)
    backend = Backend.search(
        [("name", "=", ACCOUNT), ("company_id", "=", company.id)], limit=1
    ) or Backend.create(
        {"name": ACCOUNT, "import_since": fields.Datetime.now() - timedelta(days=60)}
    )
    backend.write(
        {
            "fee_account_id": account("4.1.9.02", "Taxas da Hotmart", "expense").id,
            "commission_account_id": account("4.1.9.03", "Comissões de afiliados", "expense").id,
            "invoice_policy": "paid",
            "invoice_since": backend.import_since,
            "fiscal_operation_id": env.ref("l10n_br_fiscal.fo_venda").id,
            "nf_service_type_id": env["l10n_br_fiscal.service.type"]
            .search([("code", "=", "8.02")], limit=1)
            .id,
            "nf_policy": "auto",
        }
    )
    return backend


issue_nfse(company)
backend = book_and_declare()
env.cr.commit()
print(
    f"{company.name} issues NFS-e through Focus NFe's stand-in "
    f"({os.environ['FOCUS_STANDIN_URL']}); account '{backend.name}': operation "
    f"{backend.fiscal_operation_id.name}, service {backend.nf_service_type_id.code}, "
    f"invoices when paid, notes sent as they are invoiced."
)
