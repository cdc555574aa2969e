"""A Brazilian producer's company on OCA's localization, and Focus NFe answered by the local
stand-in over real HTTP."""

from odoo import Command

from odoo.addons.hotmart_connector.tests.standin import load_standin
from odoo.addons.hotmart_connector.tests.test_money import HotmartMoneyCase
from odoo.addons.l10n_br_nfse_focus.models.constants import NFSE_URL

FocusNfeStandIn = load_standin("focusnfe_standin").FocusNfeStandIn

HOMOLOGATION = "2"
FOCUS_TOKEN = "focus-homologacao-token"
SAO_PAULO_IBGE = "3550308"


def producer_company(env):
    """What a producer's company needs for NFS-e: OCA's simple chart, Simples Nacional, a
    series for the NFS-e, the municipality's ISS rate, and Focus NFe in homologation."""
    brl = env.ref("base.BRL")
    brl.active = True
    sao_paulo = env["res.city"].search([("ibge_code", "=", SAO_PAULO_IBGE)], limit=1)
    company = env["res.company"].create(
        {
            "name": "Escola de Fotografia Digital Ltda",
            "legal_name": "Escola de Fotografia Digital Ltda",
            "country_id": env.ref("base.br").id,
            "currency_id": brl.id,
            "vat": "45.723.174/0001-10",
            "l10n_br_im_code": "12345678",
            "state_id": sao_paulo.state_id.id,
            "city_id": sao_paulo.id,
            "zip": "01310-100",
            "street_name": "Avenida Paulista",
            "street_number": "1000",
            "district": "Bela Vista",
            "tax_framework": "1",  # Simples Nacional
            "processador_edoc": "oca",
            "provedor_nfse": "focusnfe",
            "nfse_environment": HOMOLOGATION,
            "focusnfe_homologation_token": FOCUS_TOKEN,
        }
    )
    env.user.write({"company_ids": [Command.link(company.id)]})
    env["account.chart.template"].try_loading("br_oca_simple", company, install_demo=False)
    _exchange_difference_accounts(env, company)
    env["l10n_br_fiscal.document.serie"].create(
        {
            "code": "1",
            "name": "NFS-e",
            "document_type_id": env.ref("l10n_br_fiscal.document_SE").id,
            "company_id": company.id,
        }
    )
    company.tax_issqn_id = env.ref("l10n_br_fiscal.tax_issqn_2")
    company._onchange_tax_issqn_id()
    return company


def _exchange_difference_accounts(env, company):
    """OCA's simple chart has none: the accountant adds them for sales in dollars and euros."""
    Account = env["account.account"].with_company(company)
    company.write(
        {
            "income_currency_exchange_account_id": Account.create(
                {
                    "code": "3.1.9.01",
                    "name": "Variação cambial ativa",
                    "account_type": "income_other",
                }
            ).id,
            "expense_currency_exchange_account_id": Account.create(
                {"code": "4.1.9.01", "name": "Variação cambial passiva", "account_type": "expense"}
            ).id,
        }
    )


class HotmartFiscalCase(HotmartMoneyCase):
    """The money loop's account in a Brazilian producer's company, with the natureza de
    operação Venda, the service code 8.02 and notes issued at invoicing."""

    @classmethod
    def _prepare_company(cls):
        company = producer_company(cls.env)
        cls.env.user.company_id = company
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[company.id]))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.venda = cls.env.ref("l10n_br_fiscal.fo_venda")
        cls.teaching = cls.env["l10n_br_fiscal.service.type"].search([("code", "=", "8.02")])
        cls.backend.write(
            {
                "fiscal_operation_id": cls.venda.id,
                "nf_service_type_id": cls.teaching.id,
                "nf_policy": "auto",
            }
        )
        cls.focus = FocusNfeStandIn(token=FOCUS_TOKEN).start()
        cls.addClassCleanup(cls.focus.stop)
        # OCA's Focus module asks the homologation host: the stand-in answers instead
        focus_host = NFSE_URL[HOMOLOGATION]
        NFSE_URL[HOMOLOGATION] = cls.focus.url
        cls.addClassCleanup(NFSE_URL.__setitem__, HOMOLOGATION, focus_host)

    def setUp(self):
        super().setUp()
        self.http.add_passthru(self.focus.url)
        self.focus.notes.clear()

    def send_notes(self):
        """The scheduled action, as the connector triggers it after invoicing."""
        self.env["hotmart.sale"]._cron_send_notas_fiscais()

    def sent_note(self, sale):
        """What Focus received for this sale's note."""
        return self.focus.note("rps" + sale.nf_document_id.rps_number)
