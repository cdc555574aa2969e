"""Hotmart buyers in Odoo's Brazilian localization: identification type, street number and
complement, and the state registration (IE) that makes an ICMS contributor."""

from odoo.tests import tagged

from odoo.addons.hotmart_connector.tests.common import HotmartReceiveCase


@tagged("post_install", "-at_install")
class TestBrazilianCustomers(HotmartReceiveCase):
    def setUp(self):
        super().setUp()
        self.fake_hotmart()
        self.sales = self.backend._fetch_sales(*self.window, statuses=["APPROVED"])

    def test_cpf_and_cnpj_get_their_type_and_the_address_its_fields(self):
        self.sales.action_receive()
        ana = self.sale("HP1001000000001").partner_id
        self.assertEqual(ana.l10n_latam_identification_type_id, self.env.ref("l10n_br.cpf"))
        self.assertEqual(ana.vat, "529.982.247-25")
        self.assertEqual((ana.street_name, ana.street_number), ("Rua das Palmeiras", "145"))
        self.assertEqual(ana.street_number2, "apto 32")
        self.assertEqual(ana.street2, "Jardim América")
        company = self.sale("HP1001000000002").partner_id
        self.assertTrue(company.is_company)
        self.assertEqual(company.l10n_latam_identification_type_id, self.env.ref("l10n_br.cnpj"))
        # a buyer abroad keeps the street on one line
        french = self.sale("HP1001000000004").partner_id
        self.assertEqual(french.country_id, self.env.ref("base.fr"))
        self.assertEqual(french.street, "12 rue Mercière")
        self.assertFalse(
            french.l10n_latam_identification_type_id.country_id == self.env.ref("base.br")
        )

    def test_a_customer_with_a_state_registration_gets_the_contributor_position(self):
        contributor_fp = self.env["account.fiscal.position"].create({"name": "Contribuinte ICMS"})
        self.backend.write(
            {
                "use_contributor_fiscal_position": True,
                "contributor_fiscal_position_id": contributor_fp.id,
            }
        )
        company = self.env["res.partner"].create(
            {
                "name": "Bruno Carvalho ME",
                "vat": "11.444.777/0001-61",
                "is_company": True,
                "l10n_br_ie_code": "0623079040081",
            }
        )
        self.sales.action_receive()
        self.assertEqual(self.sale("HP1001000000002").partner_id, company)
        self.assertEqual(
            self.sale("HP1001000000002").sale_order_id.fiscal_position_id, contributor_fp
        )
        self.assertEqual(
            self.sale("HP1001000000001").sale_order_id.fiscal_position_id, self.fiscal_position
        )
