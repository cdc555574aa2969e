"""Parsers against every payload shape of Hotmart's fixtures: no database."""

import copy
import json
from datetime import datetime, timezone
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.readers import parse_datetime, without_nul
from ..hotmart.records import (
    buyers_by_transaction,
    parse_history_item,
    parse_product,
    parse_webhook,
    parse_webhook_sale,
)
from ..hotmart.settlements import (
    parse_webhook_settlement,
    price_details_by_transaction,
    settlements_by_transaction,
)
from ..models.formatting import format_document
from .common import load_fixture

WEBHOOK_STATUSES = {
    "webhook_purchase_approved.json": ("PURCHASE_APPROVED", "APPROVED"),
    "webhook_purchase_billet_printed.json": ("PURCHASE_BILLET_PRINTED", "PRINTED_BILLET"),
    "webhook_purchase_canceled.json": ("PURCHASE_CANCELED", "CANCELLED"),
    "webhook_purchase_chargeback.json": ("PURCHASE_CHARGEBACK", "CHARGEBACK"),
    "webhook_purchase_complete.json": ("PURCHASE_COMPLETE", "COMPLETE"),
    "webhook_purchase_protest.json": ("PURCHASE_PROTEST", "PROTESTED"),
    "webhook_purchase_refunded.json": ("PURCHASE_REFUNDED", "REFUNDED"),
}


@tagged("post_install", "-at_install")
class TestRestParsers(BaseCase):
    def setUp(self):
        super().setUp()
        self.buyers = buyers_by_transaction(load_fixture("sales_users.json")["items"])

    def _history(self, fixture):
        return {item["purchase"]["transaction"]: item for item in load_fixture(fixture)["items"]}

    def test_history_item_with_its_buyer(self):
        item = self._history("sales_history_page1.json")["HP1001000000001"]
        sale = parse_history_item(item, self.buyers["HP1001000000001"])
        self.assertEqual(sale.transaction, "HP1001000000001")
        self.assertEqual(sale.status, "APPROVED")
        self.assertEqual(sale.amount, Decimal("497.0"))
        self.assertEqual(sale.currency, "BRL")
        self.assertEqual(sale.order_date, datetime(2026, 11, 2, 13, 5, tzinfo=timezone.utc))
        self.assertEqual(sale.approved_date.tzinfo, timezone.utc)
        self.assertEqual(
            (sale.product_id, sale.product_name), ("1234567", "Curso Completo de Fotografia")
        )
        self.assertEqual((sale.payment_type, sale.installments), ("CREDIT_CARD", 6))
        self.assertEqual(sale.hotmart_fee, Decimal("50.2"))
        self.assertEqual(sale.offer_code, "k9x2ab7c")
        buyer = sale.buyer
        self.assertEqual((buyer.name, buyer.email), ("Ana Luíza Souza", "ana.souza@example.com"))
        self.assertEqual((buyer.document_type, buyer.document), ("CPF", "52998224725"))
        self.assertEqual(buyer.phone, "+5511987654321")
        self.assertEqual(buyer.address.street, "Rua das Palmeiras")
        self.assertEqual(buyer.address.number, "145")
        self.assertEqual(buyer.address.district, "Jardim América")
        self.assertEqual((buyer.address.city, buyer.address.state), ("São Paulo", "SP"))
        self.assertEqual(buyer.address.zip, "01455000")

    def test_history_item_without_users_keeps_the_history_buyer(self):
        item = self._history("sales_history_page1.json")["HP1001000000003"]
        sale = parse_history_item(item)
        self.assertEqual((sale.amount, sale.currency), (Decimal("97.0"), "USD"))
        self.assertTrue(sale.buyer.email)
        self.assertTrue(sale.buyer.ucode)
        self.assertEqual(sale.buyer.document, "")

    def test_every_history_fixture_parses(self):
        expected = {
            "HP1001000000001": ("APPROVED", "BRL"),
            "HP1001000000002": ("COMPLETE", "BRL"),
            "HP1001000000003": ("APPROVED", "USD"),
            "HP1001000000004": ("APPROVED", "EUR"),
            "HP1001000000005": ("APPROVED", "BRL"),
            "HP1001000000006": ("REFUNDED", "MXN"),
            "HP1001000000007": ("PRINTED_BILLET", "BRL"),
        }
        seen = {}
        for fixture in (
            "sales_history_page1.json",
            "sales_history_page2.json",
            "sales_history_refunded.json",
            "sales_history_printed_billet.json",
        ):
            for transaction, item in self._history(fixture).items():
                sale = parse_history_item(item, self.buyers.get(transaction))
                seen[transaction] = (sale.status, sale.currency)
        self.assertEqual(seen, expected)

    def test_recurrence_and_subscription(self):
        sale = parse_history_item(self._history("sales_history_page2.json")["HP1001000000005"])
        self.assertEqual(sale.recurrence_number, 3)
        self.assertTrue(sale.is_subscription)

    def test_sales_users_give_documents_normalised(self):
        self.assertEqual(self.buyers["HP1001000000002"].document_type, "CNPJ")
        self.assertEqual(self.buyers["HP1001000000002"].document, "11444777000161")
        # the repeat buyer's CPF comes formatted once: digits only
        self.assertEqual(self.buyers["HP1001000000005"].document, "52998224725")
        self.assertEqual(self.buyers["HP1001000000003"].document, "")
        self.assertEqual(self.buyers["HP1001000000004"].address.country, "France")

    def test_products(self):
        products = [parse_product(item) for item in load_fixture("products.json")["items"]]
        self.assertEqual([p.id for p in products], ["1234567", "2345678", "3456789"])
        self.assertTrue(products[2].is_subscription)
        with self.assertRaisesRegex(HotmartBadPayloadError, "no id"):
            parse_product({"name": "nameless"})

    def test_price_details(self):
        details = price_details_by_transaction(load_fixture("sales_price_details.json")["items"])
        usd = details["HP1001000000003"]
        self.assertEqual((usd.total.value, usd.total.currency), (Decimal("97.0"), "USD"))
        self.assertEqual(usd.real_conversion_rate, Decimal("5.42"))

    def test_commissions_accept_both_currency_spellings(self):
        # currency_value on MARKETPLACE and AFFILIATE, currency_code on PRODUCER
        item = load_fixture("sales_commissions.json")["items"][0]
        settlement = settlements_by_transaction([item])["HP1001000000002"]
        self.assertEqual(
            (settlement.fee, settlement.net, settlement.commission, settlement.currency),
            (Decimal("198.7"), Decimal("1398.3"), Decimal("400.0"), "BRL"),
        )

    def test_settlements_add_up_who_gets_what(self):
        settlements = settlements_by_transaction(load_fixture("sales_commissions.json")["items"])
        settlement = settlements["HP1001000000002"]
        self.assertEqual(
            (settlement.fee, settlement.commission, settlement.net, settlement.currency),
            (Decimal("198.7"), Decimal("400.0"), Decimal("1398.3"), "BRL"),
        )
        self.assertEqual(settlement.gross, Decimal("1997.0"))
        self.assertEqual(settlement.rate, Decimal("1.0"))
        # two affiliates and a co-producer are all "others"
        item = load_fixture("sales_commissions.json")["items"][0]
        item["commissions"] += [
            {"source": "COPRODUCER", "commission": {"value": 10, "currency_value": "BRL"}},
            {"source": "AFFILIATE", "commission": {"value": 5.5, "currency_value": "BRL"}},
        ]
        self.assertEqual(
            settlements_by_transaction([item])["HP1001000000002"].commission, Decimal("415.5")
        )
        item["commissions"][0]["commission"]["currency_value"] = "USD"
        with self.assertRaisesRegex(HotmartBadPayloadError, "different currencies"):
            settlements_by_transaction([item])

    def test_webhook_settlement_prefers_the_converted_payout(self):
        data = load_fixture("webhook_purchase_approved.json")["data"]
        settlement = parse_webhook_sale("PURCHASE_APPROVED", data).settlement
        self.assertEqual((settlement.fee, settlement.net), (Decimal("50.2"), Decimal("446.8")))
        commissions = [
            {
                "value": 10.0,
                "source": "MARKETPLACE",
                "currency_value": "USD",
                "currency_conversion": {
                    "converted_value": 53.0,
                    "converted_to_currency": "BRL",
                    "conversion_rate": 5.3,
                },
            },
            {
                "value": 87.0,
                "source": "PRODUCER",
                "currency_value": "USD",
                "currency_conversion": {"converted_value": 461.1, "converted_to_currency": "BRL"},
            },
        ]
        settlement = parse_webhook_settlement(commissions)
        self.assertEqual(
            (settlement.fee, settlement.net, settlement.currency),
            (Decimal("53.0"), Decimal("461.1"), "BRL"),
        )
        self.assertIsNone(parse_webhook_settlement([]))
        self.assertIsNone(parse_webhook_settlement("not a list"))

    def test_commissions_name_who_else_is_paid(self):
        item = load_fixture("sales_commissions.json")["items"][0]
        settlement = settlements_by_transaction([item])[item["transaction"]]
        (affiliate,) = settlement.recipients
        self.assertEqual(
            (affiliate.source, affiliate.amount, affiliate.name, affiliate.email),
            ("AFFILIATE", Decimal("400.0"), "Parceiro Digital", "parceiro@example.com"),
        )
        # a webhook names its affiliates apart from its commissions: paired when one each
        commissions = [
            {"value": 50.0, "source": "MARKETPLACE", "currency_value": "BRL"},
            {"value": 100.0, "source": "AFFILIATE", "currency_value": "BRL"},
            {"value": 347.0, "source": "PRODUCER", "currency_value": "BRL"},
        ]
        named = [{"affiliate_code": "Q58388177J", "name": "Carla Afiliada"}]
        (paired,) = parse_webhook_settlement(commissions, named).recipients
        self.assertEqual(
            (paired.name, paired.ucode, paired.amount),
            ("Carla Afiliada", "Q58388177J", Decimal("100.0")),
        )
        # Hotmart's test postbacks send an affiliate without a name: nobody is named
        (nobody,) = parse_webhook_settlement(
            commissions, [{"affiliate_code": "", "name": ""}]
        ).recipients
        self.assertEqual(nobody.name, "")

    def test_what_a_sale_cannot_exist_without(self):
        item = self._history("sales_history_page1.json")["HP1001000000001"]
        for path, label in (
            (("purchase", "transaction"), "purchase.transaction"),
            (("purchase", "status"), "purchase.status"),
            (("purchase", "price"), "purchase.price.value"),
        ):
            broken = copy.deepcopy(item)
            del broken[path[0]][path[1]]
            with self.subTest(missing=label), self.assertRaisesRegex(HotmartBadPayloadError, label):
                parse_history_item(broken)
        with self.assertRaisesRegex(HotmartBadPayloadError, "not a Hotmart status"):
            parse_history_item(dict(item, purchase=dict(item["purchase"], status="PAID???")))
        with self.assertRaisesRegex(HotmartBadPayloadError, "not an amount"):
            bad_price = dict(item["purchase"], price={"value": "abc", "currency_code": "BRL"})
            parse_history_item(dict(item, purchase=bad_price))

    def test_dates(self):
        ms = parse_datetime(1793624700000)
        self.assertEqual(ms, datetime(2026, 11, 2, 13, 5, tzinfo=timezone.utc))
        self.assertEqual(parse_datetime(1793624700), ms)  # seconds are detected
        self.assertEqual(
            parse_datetime("2026-11-14T00:00:00Z"), datetime(2026, 11, 14, tzinfo=timezone.utc)
        )
        self.assertEqual(parse_datetime("2026-11-14T00:00:00-03:00").hour, 3)
        self.assertIsNone(parse_datetime(None))
        with self.assertRaises(HotmartBadPayloadError):
            parse_datetime("yesterday")
        with self.assertRaises(HotmartBadPayloadError):
            parse_datetime(10**20)

    def test_nul_characters_are_removed_before_storing(self):
        # PostgreSQL refuses NUL in text and jsonb: a buyer's name with one must not lose the sale
        item = load_fixture("sales_history_page1.json")["items"][0]
        item["buyer"]["name"] = "Ana\x00 Souza"
        item["extra\x00"] = ["a\x00", {"b": "\x00c"}]
        clean = without_nul(item)
        self.assertEqual(clean["buyer"]["name"], "Ana Souza")
        self.assertEqual(clean["extra"], ["a", {"b": "c"}])
        self.assertNotIn("\x00", json.dumps(clean, ensure_ascii=False))
        # the usual payload, without any, is kept as it is; text that spells \u0000 stays
        del item["extra\x00"]
        item["buyer"]["name"] = "Ana Souza"
        self.assertIs(without_nul(item), item)
        self.assertEqual(without_nul({"note": "\\u0000"}), {"note": "\\u0000"})


@tagged("post_install", "-at_install")
class TestWebhookParser(BaseCase):
    def test_every_purchase_event_maps_by_its_name(self):
        for fixture, (event_name, status) in WEBHOOK_STATUSES.items():
            with self.subTest(fixture=fixture):
                event = parse_webhook(load_fixture(fixture))
                self.assertEqual(event.event, event_name)
                self.assertEqual(event.sale.status, status)
                self.assertEqual(event.sale.source, "webhook")
                self.assertTrue(event.uid)
                self.assertEqual(event.creation_date.tzinfo, timezone.utc)

    def test_approved_webhook_absorbs_the_drift(self):
        event = parse_webhook(load_fixture("webhook_purchase_approved.json"))
        sale = event.sale
        self.assertEqual(event.uid, "0e7c0001-1d2e-4f3a-8b9c-0123456789ab")
        self.assertEqual(sale.transaction, "HP2002000000001")
        self.assertEqual((sale.amount, sale.currency), (Decimal("497.0"), "BRL"))
        self.assertEqual(sale.recurrence_number, 1)
        self.assertEqual(sale.product_ucode, "c0ffee00-0000-4000-8000-000000000001")
        self.assertEqual(sale.warranty_expire_date, datetime(2026, 11, 14, tzinfo=timezone.utc))
        buyer = sale.buyer
        self.assertEqual((buyer.document_type, buyer.document), ("CPF", "52998224725"))
        self.assertEqual(buyer.phone, "+5511987654321")
        self.assertEqual(buyer.address.zip, "01455000")
        self.assertEqual(buyer.address.country_code, "BR")
        self.assertEqual(buyer.address.state, "São Paulo")

    def test_webhook_with_only_a_country(self):
        sale = parse_webhook(load_fixture("webhook_purchase_canceled.json")).sale
        self.assertEqual((sale.amount, sale.currency), (Decimal("97.0"), "USD"))
        self.assertEqual(sale.buyer.document, "")
        self.assertEqual(sale.buyer.document_type, "")

    def test_cnpj_buyer(self):
        sale = parse_webhook(load_fixture("webhook_purchase_chargeback.json")).sale
        self.assertEqual(sale.buyer.document_type, "CNPJ")
        self.assertEqual(len(sale.buyer.document), 14)

    def test_subscription_event_has_no_sale(self):
        event = parse_webhook(load_fixture("webhook_subscription_cancellation.json"))
        self.assertEqual(event.event, "SUBSCRIPTION_CANCELLATION")
        self.assertIsNone(event.sale)

    def test_not_a_hotmart_event(self):
        for body, reason in (
            ([1, 2], "not a JSON object"),
            ({"event": "PURCHASE_APPROVED"}, "no id"),
            ({"id": "x"}, "no event name"),
            ({"id": "x", "event": "PURCHASE_APPROVED"}, "no data object"),
            (
                {"id": "x", "event": "PURCHASE_APPROVED", "data": {"purchase": {}}},
                "purchase.transaction",
            ),
        ):
            with self.subTest(body=body), self.assertRaisesRegex(HotmartBadPayloadError, reason):
                parse_webhook(body)


@tagged("post_install", "-at_install")
class TestDocumentFormat(BaseCase):
    def test_cpf_and_cnpj_are_written_as_brazilians_write_them(self):
        self.assertEqual(format_document("88526114956", "CPF"), "885.261.149-56")
        self.assertEqual(format_document("11222333000181", "cnpj"), "11.222.333/0001-81")
        self.assertEqual(format_document("12345678900", "CPF"), "12345678900")  # not a CPF
        self.assertEqual(format_document("X1234567", "DNI"), "X1234567")
        self.assertFalse(format_document("", "CPF"))
