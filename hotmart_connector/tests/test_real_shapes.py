"""The shapes real Hotmart payloads take, as Hotmart's docs, its test postbacks and
production captures show them, read the way Hotmart means them: no database."""

from datetime import datetime, timezone
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..hotmart.contacts import buyer_document, buyer_phone
from ..hotmart.records import buyers_by_transaction, parse_webhook
from ..hotmart.settlements import price_details_by_transaction, settlements_by_transaction
from ..hotmart.subscriptions import parse_subscription_event
from .common import load_fixture


def webhook_buyer(fixture):
    return parse_webhook(load_fixture(fixture)).sale.buyer


@tagged("post_install", "-at_install")
class TestPhones(BaseCase):
    def test_the_area_code_of_hotmarts_docs_makes_a_brazilian_number(self):
        # "checkout_phone_code": "31" is Belo Horizonte's DDD, not the Netherlands' +31
        buyer = webhook_buyer("webhook_purchase_approved_ddd.json")
        self.assertEqual(buyer.phone, "+5531999999999")

    def test_a_buyer_abroad_keeps_the_country_code_inside_the_number(self):
        buyer = webhook_buyer("webhook_purchase_approved_abroad.json")
        self.assertEqual(buyer.phone, "+56221234567")
        # no address, only the checkout's country: the contact still gets it
        self.assertEqual((buyer.address.country_code, buyer.address.country), ("CL", "Chile"))

    def test_hotmarts_test_postback_code_is_not_taken_for_a_country_or_area(self):
        # "checkout_phone_code": "999999999": ignored; the number is read in the buyer's
        # country (Brazil, from the address), never as +999...
        buyer = webhook_buyer("webhook_send_test.json")
        self.assertEqual(buyer.phone, "+5599999999900")
        self.assertEqual(buyer_phone("99999999900", "999999999"), "99999999900")

    def test_a_number_already_with_its_area_code_is_not_given_it_twice(self):
        self.assertEqual(buyer_phone("31999999999", "31"), "+5531999999999")
        self.assertEqual(buyer_phone("5531999999999", "31"), "+5531999999999")

    def test_an_area_code_with_its_trunk_or_country_prefix(self):
        self.assertEqual(buyer_phone("999999999", "031"), "+5531999999999")
        self.assertEqual(buyer_phone("999999999", "5531"), "+5531999999999")

    def test_no_country_is_guessed(self):
        # without an area code or a country, a number could be from anywhere
        self.assertEqual(buyer_phone("31999999999"), "31999999999")
        # a country's number that is not valid there stays as it came
        self.assertEqual(buyer_phone("123", country="BR"), "123")

    def test_sales_users_numbers_carry_their_area_code(self):
        buyers = buyers_by_transaction(load_fixture("sales_users.json")["items"])
        self.assertEqual(buyers["HP1001000000001"].phone, "+5511987654321")


@tagged("post_install", "-at_install")
class TestDocuments(BaseCase):
    def test_a_dni_keeps_its_type_and_its_letter(self):
        buyer = webhook_buyer("webhook_purchase_approved_dni.json")
        self.assertEqual((buyer.document_type, buyer.document), ("DNI", "12345678Z"))
        self.assertEqual(buyer.phone, "+34612345678")

    def test_each_hotmart_document_type(self):
        self.assertEqual(buyer_document("529.982.247-25", "CPF"), ("CPF", "52998224725"))
        self.assertEqual(buyer_document("11.444.777/0001-61", "cnpj"), ("CNPJ", "11444777000161"))
        self.assertEqual(buyer_document("B12345678", "CIF"), ("CIF", "B12345678"))
        self.assertEqual(buyer_document("AB-123456", "DOCUMENT"), ("DOCUMENT", "AB-123456"))
        # untyped: 11 or 14 digits are a CPF or a CNPJ, anything else a document as given
        self.assertEqual(buyer_document("52998224725", ""), ("CPF", "52998224725"))
        self.assertEqual(buyer_document("X1234567", ""), ("DOCUMENT", "X1234567"))
        # real postbacks send both empty
        self.assertEqual(buyer_document("", ""), ("", ""))

    def test_sales_users_prefer_the_brazilian_document(self):
        item = {
            "transaction": "HP1",
            "users": [
                {
                    "role": "BUYER",
                    "user": {
                        "email": "a@example.com",
                        "documents": [
                            {"type": "DOCUMENT", "value": "564654"},
                            {"type": "CPF", "value": "52998224725"},
                        ],
                    },
                }
            ],
        }
        buyer = buyers_by_transaction([item])["HP1"]
        self.assertEqual((buyer.document_type, buyer.document), ("CPF", "52998224725"))


@tagged("post_install", "-at_install")
class TestMoneyShapes(BaseCase):
    def test_price_details_keep_each_amount_in_its_own_currency(self):
        items = load_fixture("sales_price_details_mxn.json")["items"]
        details = price_details_by_transaction(items)["HP14916251567230"]
        self.assertEqual((details.total.value, details.total.currency), (Decimal("486.25"), "MXN"))
        self.assertEqual((details.fee.value, details.fee.currency), (Decimal("55"), "USD"))
        self.assertEqual((details.vat.value, details.vat.currency), (Decimal("193.25"), "BRL"))
        self.assertEqual((details.coupon_code, details.coupon_value), ("coupon1", Decimal("22.9")))

    def test_commissions_without_hotmarts_fee_say_so(self):
        # the docs' /sales/commissions example lists PRODUCER, COPRODUCER and ADDON only
        item = {
            "transaction": "HP1",
            "commissions": [
                {"source": "PRODUCER", "commission": {"value": 400.0, "currency_code": "BRL"}},
                {"source": "COPRODUCER", "commission": {"value": 46.8, "currency_code": "BRL"}},
            ],
        }
        settlement = settlements_by_transaction([item])["HP1"]
        self.assertFalse(settlement.fee_listed)
        self.assertEqual(settlement.fee, Decimal(0))
        listed = settlements_by_transaction(load_fixture("sales_commissions.json")["items"])
        self.assertTrue(all(s.fee_listed for s in listed.values()))


@tagged("post_install", "-at_install")
class TestEventShapes(BaseCase):
    def test_a_charge_date_change_as_hotmart_documents_it(self):
        body = load_fixture("webhook_update_subscription_charge_date_documented.json")
        record = parse_subscription_event(body["event"], body["data"])
        self.assertEqual(
            (record.product_id, record.product_name),
            ("3456789", "Clube do Livro Digital (assinatura)"),
        )
        self.assertEqual(
            record.date_next_charge, datetime(2026, 12, 20, 12, 0, tzinfo=timezone.utc)
        )
        # CANCELED_BY_VENDOR, one L, is the producer's cancellation
        self.assertEqual(record.status, "CANCELLED_BY_SELLER")
        self.assertEqual((record.plan_id, record.plan_name), ("1038897", "Plano Mensal"))

    def test_a_plan_switch_spells_expired(self):
        body = load_fixture("webhook_switch_plan_expired.json")
        record = parse_subscription_event(body["event"], body["data"])
        self.assertEqual(record.status, "EXPIRED")
        self.assertEqual(record.product_id, "3456789")

    def test_club_events_are_dated_by_their_camel_case_creation_date(self):
        event = parse_webhook(load_fixture("webhook_club_first_access.json"))
        self.assertEqual(event.event, "CLUB_FIRST_ACCESS")
        self.assertEqual(
            event.creation_date, datetime(2026, 11, 7, 16, 46, 40, tzinfo=timezone.utc)
        )
        self.assertIsNone(event.sale)
