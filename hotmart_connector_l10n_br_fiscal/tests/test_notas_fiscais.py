"""The nota fiscal of each Hotmart sale, on OCA's Brazilian localization: the natureza de
operação on the order and its lines, the NFS-e sent and authorized as the invoice is posted,
cancelled on refund, and no note, with the reason, where none is due."""

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.hotmart_connector.tests.test_i18n import untranslated_terms

from .common import HotmartFiscalCase

ANA = "HP1001000000001"  # R$ 497.00, CPF, São Paulo
BRUNO = "HP1001000000002"  # R$ 1,997.00, CNPJ, Belo Horizonte
JOHN = "HP1001000000003"  # US$ 97.00, abroad, no address
MARIE = "HP1001000000004"  # € 89.90, France


@tagged("post_install", "-at_install")
class TestTheNaturezaDeOperacao(HotmartFiscalCase):
    def test_orders_and_lines_carry_the_operation_and_the_total_is_what_was_paid(self):
        sales = self.receive()
        service_line = self.env.ref("l10n_br_fiscal.fo_venda_servico")
        for sale in sales.filtered("sale_order_id"):
            order = sale.sale_order_id
            self.assertEqual(order.fiscal_operation_id, self.venda, sale.transaction)
            self.assertEqual(order.order_line.fiscal_operation_id, self.venda)
            self.assertEqual(order.order_line.fiscal_operation_line_id, service_line)
            # the ISSQN is in the price: the order and its invoice are what the buyer paid
            self.assertEqual(order.amount_total, sale.amount_company, sale.transaction)
            self.assertEqual(sale.invoice_id.amount_total, sale.amount_company)
        ana = self.sale(ANA)
        self.assertEqual(ana.sale_order_id.amount_total, 497.0)
        self.assertEqual(ana.sale_order_id.order_line.issqn_percent, 2.0)
        # the books as without the localization: receivable paid, the net in Hotmart's journal
        self.assertEqual(self.balance(self.fee_account), round(sum(sales.mapped("fee_amount")), 2))
        self.assertEqual(
            self.balance(self.hotmart_account), round(sum(sales.mapped("net_amount")), 2)
        )

    def test_an_icms_contributor_gets_the_contributor_operation(self):
        contributor_operation = self.venda.copy({"name": "Venda a Contribuinte", "code": "VDC"})
        contributor_operation.action_approve()
        self.backend.contributor_fiscal_operation_id = contributor_operation
        bruno = self.env["res.partner"].create(
            {
                "name": "Bruno Carvalho ME",
                "vat": "11.444.777/0001-61",
                "is_company": True,
                "l10n_br_ie_code": "0623079040081",
            }
        )
        bruno.ind_ie_dest = "1"  # the accountant says so on the contact
        self.receive()
        self.assertEqual(
            self.sale(BRUNO).sale_order_id.fiscal_operation_id,
            contributor_operation,
            self.sale(BRUNO).error,
        )
        self.assertEqual(
            self.sale(BRUNO).sale_order_id.order_line.fiscal_operation_id, contributor_operation
        )
        self.assertEqual(self.sale(ANA).sale_order_id.fiscal_operation_id, self.venda)

    def test_an_account_without_operation_leaves_the_companys_default_out(self):
        self.env.company.sale_fiscal_operation_id = self.venda
        self.backend.write({"nf_policy": "none", "fiscal_operation_id": False})
        self.receive()
        order = self.sale(ANA).sale_order_id
        self.assertFalse(order.fiscal_operation_id)
        self.assertFalse(order.order_line.fiscal_operation_id)
        self.assertEqual(order.amount_total, 497.0)
        # an order made in Odoo keeps what OCA gives it
        other = self.env["sale.order"].create({"partner_id": order.partner_id.id})
        self.assertEqual(other.fiscal_operation_id, self.venda)

    def test_buyers_and_products_are_ready_for_a_note(self):
        self.receive()
        ana = self.sale(ANA).partner_id
        self.assertEqual(ana.legal_name, "Ana Luíza Souza")
        self.assertEqual((ana.street_name, ana.street_number), ("Rua das Palmeiras", "145"))
        self.assertEqual((ana.district, ana.zip), ("Jardim América", "01455000"))
        self.assertEqual(ana.city_id.ibge_code, "3550308")
        self.assertEqual(ana.ind_ie_dest, "9")
        bruno = self.sale(BRUNO).partner_id
        self.assertEqual(bruno.city_id.name, "Belo Horizonte")
        self.assertEqual(bruno.ind_ie_dest, "9")  # a CNPJ without a state registration
        mentoring = self.sale(BRUNO).sale_order_id.order_line.product_id
        self.assertEqual(mentoring.service_type_id, self.teaching)
        self.assertEqual((mentoring.fiscal_type, mentoring.tax_icms_or_issqn), ("09", "issqn"))
        # a Hotmart product made before the service code was set gets it too
        self.assertEqual(self.product.service_type_id, self.teaching)

    def test_only_accounting_administrators_choose_the_operation_and_the_policy(self):
        manager = new_test_user(
            self.env, login="hm_nf_manager", groups="hotmart_connector.group_hotmart_manager"
        )
        with self.assertRaisesRegex(AccessError, "nf_policy"):
            self.backend.with_user(manager).nf_policy = "none"
        with self.assertRaisesRegex(ValidationError, "fiscal operation"):
            self.backend.fiscal_operation_id = False


@tagged("post_install", "-at_install")
class TestTheNfse(HotmartFiscalCase):
    def test_the_invoice_becomes_an_nfse_that_is_sent_and_authorized(self):
        self.receive()
        ana = self.sale(ANA)
        document = ana.invoice_id.fiscal_document_id
        self.assertEqual(document.document_type_id.code, "SE")
        self.assertEqual(document.state_edoc, "a_enviar")
        self.assertEqual(ana.nf_document_id, document)
        self.assertEqual(ana.nf_state, "to_send")
        self.send_notes()
        self.assertEqual(ana.nf_state, "authorized", ana.nf_reason)
        self.assertTrue(ana.nf_number)
        sent = self.sent_note(ana).sent_body
        self.assertEqual(sent["tomador"]["cpf"], "52998224725")
        self.assertEqual(str(sent["tomador"]["endereco"]["codigo_municipio"]), "3550308")
        self.assertEqual(float(sent["servico"]["valor_servicos"]), 497.0)
        # Ana's two sales and Bruno's: the others are abroad
        self.assertEqual(len(self.focus.notes), 3)
        self.send_notes()  # nothing is sent twice
        self.assertEqual(len(self.focus.notes), 3)

    def test_a_refund_cancels_the_authorized_note(self):
        self.receive()
        self.send_notes()
        ana = self.sale(ANA)
        hotmart_before = self.balance(self.hotmart_account)
        self.rest_says(ana, "REFUNDED")
        self.assertEqual(ana.invoice_state, "refunded")
        # the credit note books the refund; it is no fiscal document of its own
        credit_note = ana.credit_note_id
        self.assertFalse(credit_note.document_type_id)
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertEqual(credit_note.amount_total, ana.invoice_id.amount_total)
        self.assertEqual(credit_note.amount_tax, ana.invoice_id.amount_tax)
        self.send_notes()
        self.assertEqual(ana.nf_state, "cancelled", ana.nf_reason)
        self.assertFalse(ana.nf_reason, "the error of the first try is history")
        self.assertEqual(
            self.sent_note(ana).justificativa, f"Venda reembolsada na Hotmart, transação {ANA}"
        )
        # the invoice stays posted and settled: the credit note alone reverses the sale
        self.assertEqual(ana.invoice_id.state, "posted")
        self.assertEqual(ana.invoice_id.payment_state, "paid")
        self.assertEqual(ana.invoice_state, "refunded")
        self.assertEqual(
            self.balance(self.hotmart_account), round(hotmart_before - ana.net_amount, 2)
        )

    def test_a_note_past_the_municipalitys_window_leaves_an_activity(self):
        self.receive()
        self.send_notes()
        ana = self.sale(ANA)
        self.focus.refuse_cancel("rps" + ana.nf_document_id.rps_number)
        self.rest_says(ana, "CHARGEBACK")
        self.send_notes()
        self.assertEqual(ana.nf_state, "authorized")
        self.assertTrue(ana.nf_cancel_refused)
        self.assertTrue(ana.credit_note_id, "the credit note stands")
        activity = ana.sale_order_id.activity_ids
        self.assertEqual(activity.summary, "Cancel the nota fiscal by hand")
        self.assertIn(ana.credit_note_id.name, activity.note)
        self.send_notes()  # asked once, not at every run
        self.assertEqual(len(ana.sale_order_id.activity_ids), 1)

    def test_a_buyer_abroad_or_without_an_address_gets_an_invoice_and_no_note(self):
        self.env["res.partner"].create(
            {
                "name": "Ana Luíza Souza",
                "vat": "529.982.247-25",
                "country_id": self.env.ref("base.br").id,
            }
        )
        self.receive()
        self.send_notes()
        john, ana = self.sale(JOHN), self.sale(ANA)
        self.assertEqual(john.invoice_id.state, "posted")
        self.assertEqual(john.nf_state, "no")
        self.assertIn("abroad", john.nf_reason)
        self.assertEqual(ana.nf_state, "no")
        self.assertIn("street, ZIP code, municipality", ana.nf_reason)
        self.assertIn("Send Again", ana.nf_reason)
        # the producer completes the contact, then sends it again
        ana.partner_id.write(
            {
                "legal_name": "Ana Luíza Souza",
                "street_name": "Rua das Palmeiras",
                "street_number": "145",
                "zip": "01455-000",
                "state_id": self.env.ref("base.state_br_sp").id,
                "city_id": self.env["res.city"].search([("ibge_code", "=", "3550308")]).id,
            }
        )
        ana.action_nf_send_again()
        self.send_notes()
        self.assertEqual(ana.nf_state, "authorized", ana.nf_reason)

    def test_no_note_where_hotmart_issues_it_or_the_account_does_not(self):
        # Hotmart says who invoices the buyer in its webhooks only
        self.backend.invoice_policy = "none"
        sales = self.receive()
        self.sale(ANA).sudo().invoice_by = "HOTMART"
        self.backend.write({"invoice_policy": "paid", "invoice_since": "2000-01-01"})
        self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        self.env["hotmart.backend"]._cron_invoice_sales()
        self.send_notes()
        ana = self.sale(ANA)
        self.assertEqual(ana.invoice_state, "invoiced")
        self.assertEqual(ana.nf_state, "no")
        self.assertIn("Hotmart issues", self.sale(ANA).nf_reason)
        self.assertEqual(self.sale(BRUNO).nf_state, "authorized")
        self.assertEqual(len(self.focus.notes), 2)
        self.assertTrue(sales)

    def test_nf_policy_none_sends_nothing(self):
        self.backend.nf_policy = "none"
        sales = self.receive()
        self.send_notes()
        self.assertFalse(self.focus.notes)
        self.assertEqual(set(sales.filtered("invoice_id").mapped("nf_state")), {"no"})
        self.assertIn("does not issue", self.sale(ANA).nf_reason)
        # the order still carries the operation, and the totals are unchanged
        self.assertEqual(self.sale(ANA).sale_order_id.fiscal_operation_id, self.venda)
        self.assertEqual(self.sale(ANA).invoice_id.amount_total, 497.0)

    def test_a_refused_note_fails_alone_and_is_counted_on_the_overview(self):
        self.env.company.focusnfe_homologation_token = "wrong-token"
        self.receive()
        self.send_notes()
        ana, bruno = self.sale(ANA), self.sale(BRUNO)
        self.assertEqual((ana.nf_state, bruno.nf_state), ("failed", "failed"))
        self.assertIn("informe um token válido", ana.nf_reason)
        self.assertEqual(self.backend.nf_failed_count, 3)
        self.assertEqual(ana.invoice_state, "invoiced")  # the books are not touched
        self.env.company.focusnfe_homologation_token = "focus-homologacao-token"
        ana.action_nf_send_again()
        self.send_notes()
        self.assertEqual(ana.nf_state, "authorized", ana.nf_reason)
        self.backend.invalidate_recordset(["nf_failed_count"])
        self.assertEqual(self.backend.nf_failed_count, 2)

    def test_a_provider_out_of_reach_is_asked_again_not_taken_for_a_refusal(self):
        self.receive()
        self.send_notes()
        ana = self.sale(ANA)
        self.env.company.focusnfe_homologation_token = "expired-token"
        self.rest_says(ana, "REFUNDED")
        self.send_notes()
        self.assertEqual(ana.nf_state, "authorized")
        self.assertFalse(ana.nf_cancel_refused)
        self.assertIn("token", ana.nf_reason)
        self.assertFalse(ana.sale_order_id.activity_ids)
        self.env.company.focusnfe_homologation_token = "focus-homologacao-token"
        ana.nf_attempt_date = False  # the next run, a little later
        self.send_notes()
        self.assertEqual(ana.nf_state, "cancelled", ana.nf_reason)
        self.assertFalse(ana.nf_reason, "the error of the first try is history")

    def test_a_note_the_provider_took_unheard_is_asked_for_not_sent_twice(self):
        self.receive()
        self.send_notes()
        ana = self.sale(ANA)
        number = ana.nf_number
        # Odoo lost the answer (a rollback after the provider took the note)
        ana.nf_document_id.write({"state_edoc": "a_enviar", "document_number": False})
        self.assertEqual(ana.nf_state, "to_send")
        self.send_notes()
        self.assertEqual(ana.nf_state, "authorized", ana.nf_reason)
        self.assertEqual(ana.nf_number, number)

    def test_no_note_without_a_provider(self):
        self.env.company.processador_edoc = "nenhum"
        self.receive()
        self.send_notes()
        ana = self.sale(ANA)
        self.assertEqual(ana.nf_state, "no")
        self.assertIn("has no NFS-e provider", ana.nf_reason)
        self.assertFalse(self.focus.notes)

    def test_an_operation_without_a_return_operation_is_refused(self):
        lone = self.venda.copy({"name": "Venda sem devolução", "code": "VSD"})
        lone.return_fiscal_operation_id = False
        with self.assertRaisesRegex(ValidationError, "no return operation"):
            self.backend.fiscal_operation_id = lone

    def test_a_hotmart_user_may_not_send_again(self):
        user = new_test_user(
            self.env, login="hm_nf_user", groups="hotmart_connector.group_hotmart_user"
        )
        self.receive()
        with self.assertRaises(AccessError):
            self.sale(ANA).with_user(user).action_nf_send_again()


@tagged("post_install", "-at_install")
class TestInPortuguese(TransactionCase):
    def test_every_term_is_translated(self):
        missing = untranslated_terms(self.env, "hotmart_connector_l10n_br_fiscal", "Send Again")
        self.assertFalse(missing, "i18n/pt_BR.po lacks:\n" + "\n".join(missing))

    def test_a_missing_address_reads_in_portuguese(self):
        sale = self.env["hotmart.sale"].with_context(lang="pt_BR")
        self.env["res.lang"]._activate_lang("pt_BR")
        customer = self.env["res.partner"].create(
            {"name": "Ana", "country_id": self.env.ref("base.br").id}
        )
        reason = sale._nf_customer_reason(customer)
        self.assertIn("Faltam ao contato Ana estes dados para a nota fiscal: CPF ou CNPJ", reason)
