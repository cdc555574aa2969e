"""Upgrading a database of 18.0.1.0.0, where parallel runs could make two contacts for one
buyer e-mail or two products for one Hotmart id, merges them before the unique indexes."""

import logging

from odoo.modules.migration import load_script
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL
from odoo.tools.sql import index_exists

from ..models.product_template import HOTMART_PRODUCT_INDEX
from ..models.res_partner import BUYER_EMAIL_INDEX
from .common import HotmartCase, load_fixture

PRE_MIGRATION = "hotmart_connector/migrations/18.0.1.1.0/pre-migrate.py"
PURCHASE_MIGRATION = "hotmart_connector/migrations/18.0.1.4.0/post-migrate.py"
MERGE_LOGGER = "odoo.addons.hotmart_connector.upgrade_merge"

# The rows an upgrade could touch, as (table, columns) read back in SQL.
WATCHED = (
    ("res_partner", "active, hotmart_buyer_email, parent_id, commercial_partner_id"),
    ("product_template", "active, hotmart_product_id"),
    ("product_product", "active, product_tmpl_id"),
    ("sale_order", "partner_id, partner_invoice_id, partner_shipping_id"),
    ("sale_order_line", "order_id, product_id, order_partner_id"),
)


@tagged("post_install", "-at_install")
class TestUpgradeMerge(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.migration = load_script(PRE_MIGRATION, "hotmart_connector_pre_migrate_1_1")

    # helpers -------------------------------------------------------------

    def migrate(self):
        self.migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()

    def snapshot(self):
        """{table: {id: row}} of every watched row, read in SQL."""
        self.env.flush_all()
        tables = {}
        for table, columns in WATCHED:
            self.env.cr.execute(SQL("SELECT id, %s FROM %s", SQL(columns), SQL.identifier(table)))
            tables[table] = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        return tables

    def drop_unique_indexes(self):
        """The schema of 18.0.1.0.0: neither index yet."""
        for index in (BUYER_EMAIL_INDEX, HOTMART_PRODUCT_INDEX):
            self.env.cr.execute(SQL("DROP INDEX %s", SQL.identifier(index)))

    def buyer(self, name, email):
        return self.env["res.partner"].create({"name": name, "hotmart_buyer_email": email})

    def course(self, name, hotmart_id):
        template = self.env["product.template"].create(
            {"name": name, "type": "service", "hotmart_product_id": f"{hotmart_id}-{name}"}
        )
        # the product's constraint refuses a second one; 1.0's parallel runs did not ask it
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE product_template SET hotmart_product_id = %s WHERE id = %s",
            [hotmart_id, template.id],
        )
        template.invalidate_recordset(["hotmart_product_id"])
        return template

    def order(self, partner, template):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [(0, 0, {"product_id": template.product_variant_id.id})],
            }
        )

    # tests ---------------------------------------------------------------

    def test_duplicates_merged_into_the_oldest_then_indexes_created(self):
        self.drop_unique_indexes()
        ana = self.buyer("Ana", "ana@example.com")
        ana_again = self.buyer("Ana Souza", "Ana@Example.COM")
        carla = self.buyer("Carla", "carla@example.com")
        course = self.course("Curso", "4242")
        course_again = self.course("Curso (2)", "4242")
        other_course = self.course("Outro Curso", "777")
        order = self.order(ana, course)
        order_again = self.order(ana_again, course_again)
        carla_order = self.order(carla, other_course)
        line_again = order_again.order_line
        variant_again = course_again.product_variant_id
        before = self.snapshot()

        with self.assertLogs(MERGE_LOGGER, logging.INFO) as logs:
            self.migrate()

        Partner = self.env["res.partner"].with_context(active_test=False)
        claims = Partner.search([("hotmart_buyer_email", "=ilike", "ana@example.com")])
        self.assertEqual(claims, ana)
        self.assertTrue(ana.active)
        self.assertEqual(ana.hotmart_buyer_email, "ana@example.com")
        self.assertFalse(ana_again.active, "the duplicate is archived, not deleted")
        self.assertFalse(ana_again.hotmart_buyer_email)
        self.assertEqual(order_again.partner_id, ana)
        self.assertEqual(order_again.partner_invoice_id, ana)
        self.assertEqual(order_again.partner_shipping_id, ana)

        Template = self.env["product.template"].with_context(active_test=False)
        self.assertEqual(Template.search([("hotmart_product_id", "=", "4242")]), course)
        self.assertTrue(course.active)
        self.assertFalse(course_again.active)
        self.assertFalse(course_again.hotmart_product_id)
        self.assertFalse(variant_again.active)
        self.assertEqual(variant_again.product_tmpl_id, course_again, "its variant stays its own")
        self.assertEqual(line_again.product_id, course.product_variant_id)

        expected = self.expected_after(
            before,
            partners={ana_again.id: ana.id},
            variants={variant_again.id: course.product_variant_id.id},
        )
        self.assertEqual(self.snapshot(), expected, "nothing else is touched")
        self.assertEqual(order.partner_id, ana)
        self.assertEqual(carla_order.partner_id, carla)

        output = "\n".join(logs.output)
        self.assertIn(f"{{{ana.id}: [{ana_again.id}]}}", output)
        self.assertIn(f"{{{course.id}: [{course_again.id}]}}", output)
        self.assertNotIn("@", output, "no e-mail in the log")

        self.env["res.partner"].init()
        self.env["product.template"].init()
        self.assertTrue(index_exists(self.env.cr, BUYER_EMAIL_INDEX))
        self.assertTrue(index_exists(self.env.cr, HOTMART_PRODUCT_INDEX))

    def expected_after(self, before, partners, variants):
        """The snapshot once the merged contacts and products are archived, unclaimed and
        their orders moved to the survivors; every other row as it was."""
        after = {table: dict(rows) for table, rows in before.items()}
        for partner_id, survivor_id in partners.items():
            _active, _email, *rest = after["res_partner"][partner_id]
            after["res_partner"][partner_id] = (False, None, *rest)
            for order_id, row in after["sale_order"].items():
                after["sale_order"][order_id] = tuple(
                    survivor_id if value == partner_id else value for value in row
                )
            for line_id, (order_id, product_id, customer) in after["sale_order_line"].items():
                customer = survivor_id if customer == partner_id else customer
                after["sale_order_line"][line_id] = (order_id, product_id, customer)
        for variant_id, survivor_id in variants.items():
            _active, template_id = after["product_product"][variant_id]
            after["product_product"][variant_id] = (False, template_id)
            after["product_template"][template_id] = (False, None)
            for line_id, (order_id, product_id, customer) in after["sale_order_line"].items():
                product_id = survivor_id if product_id == variant_id else product_id
                after["sale_order_line"][line_id] = (order_id, product_id, customer)
        return after

    def test_merge_keeps_unique_rows_single(self):
        """Rows the survivor already has are not repeated, nor point at itself; a product
        keeps its own configuration."""
        self.drop_unique_indexes()
        tag = self.env["res.partner.category"].create({"name": "Aluno"})
        follower = self.env["res.partner"].create({"name": "Gerente"})
        ana = self.buyer("Ana", "ana@example.com")
        ana_again = self.buyer("Ana Souza", "ana@example.com ")
        (ana | ana_again).category_id = tag
        (ana | ana_again).message_subscribe(partner_ids=follower.ids)
        message = ana_again.message_post(body="Primeira compra")
        address = self.env["res.partner"].create({"name": "Entrega", "parent_id": ana_again.id})
        ana.parent_id = ana_again
        course = self.course("Curso", "4242")
        course_again = self.course("Curso (2)", "4242")
        course.optional_product_ids = course_again
        product_tag = self.env["product.tag"].create({"name": "Hotmart"})
        course_again.product_tag_ids = product_tag

        self.migrate()

        self.assertEqual(ana.category_id, tag)
        self.assertEqual(ana.message_partner_ids, follower)
        self.assertEqual(message.res_id, ana.id)
        self.assertEqual(address.parent_id, ana)
        self.assertEqual(ana.parent_id, ana_again, "never its own parent")
        self.assertFalse(course.optional_product_ids, "not optional to itself")
        self.assertFalse(course.product_tag_ids)
        self.assertEqual(course_again.product_tag_ids, product_tag)

    def test_no_duplicates_nothing_changes(self):
        ana = self.buyer("Ana", "ana@example.com")
        course = self.course("Curso", "4242")
        self.order(ana, course)
        before = self.snapshot()

        with self.assertNoLogs(MERGE_LOGGER, logging.INFO):
            self.migrate()

        self.assertEqual(self.snapshot(), before)
        self.assertTrue(index_exists(self.env.cr, BUYER_EMAIL_INDEX))
        self.assertTrue(index_exists(self.env.cr, HOTMART_PRODUCT_INDEX))

    def test_columns_not_there_yet(self):
        """A database older than the columns: the migration has nothing to merge."""
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE res_partner DROP COLUMN hotmart_buyer_email")
        self.env.cr.execute("ALTER TABLE product_template DROP COLUMN hotmart_product_id")

        with self.assertNoLogs(MERGE_LOGGER, logging.INFO):
            self.migration.migrate(self.env.cr, "18.0.1.0.0")


@tagged("post_install", "-at_install")
class TestUpgradeReadsPayloadsAgain(HotmartCase):
    """1.4 reads the payloads still kept again: what 1.3 got wrong is put right."""

    def stored_as_1_3_kept_it(self, payload, **values):
        """A sale 1.3 stored, with ``payload``; then the 1.4 migration."""
        sale = self.env["hotmart.sale"].create(
            {
                "backend_id": self.backend.id,
                "transaction": "HP2002000000101",
                "status": "APPROVED",
                "amount": 497.0,
                "currency_code": "BRL",
                "payload": payload,
                **values,
            }
        )
        load_script(PURCHASE_MIGRATION, "hotmart_connector_post_migrate_1_4").migrate(
            self.env.cr, "18.0.1.3.0"
        )
        return sale

    def test_stored_sales_get_their_phone_document_and_purchase_facts(self):
        body = load_fixture("webhook_purchase_approved_ddd.json")
        body["data"]["purchase"]["order_bump"] = {
            "is_order_bump": True,
            "parent_purchase_transaction": "HP2002000000001",
        }
        body["data"]["purchase"]["origin"] = {"src": "instagram", "sck": "bio-link"}
        sale = self.stored_as_1_3_kept_it(
            {"source": "webhook", "event": body["event"], "data": body["data"]},
            # as 1.3 stored it: the DDD taken for a country code
            buyer_phone="+31 999999999",
        )
        self.assertEqual(sale.buyer_phone, "+5531999999999")
        self.assertEqual((sale.buyer_document_type, sale.buyer_document), ("CPF", "52998224725"))
        self.assertEqual((sale.invoice_by, sale.tracking_src), ("HOTMART", "instagram"))
        self.assertTrue(sale.is_order_bump)
        self.assertEqual(sale.parent_transaction, "HP2002000000001")

    def test_a_sale_the_history_stored_first_gets_what_its_webhook_said(self):
        body = load_fixture("webhook_purchase_approved_ddd.json")
        body["data"]["purchase"]["origin"] = {"src": "youtube"}
        history = load_fixture("sales_history_page1.json")["items"][0]
        history["purchase"].update(transaction="HP2002000000101", commission_as="PRODUCER")
        # the history first, the webhook after it, as 1.3 kept them
        webhook = {"source": "webhook", "event": body["event"], "data": body["data"]}
        sale = self.stored_as_1_3_kept_it(
            {"source": "rest", "history": history, "webhook": webhook}
        )
        self.assertEqual((sale.invoice_by, sale.tracking_src), ("HOTMART", "youtube"))
        self.assertEqual(sale.payment_mode, "UNIQUE_PAYMENT")
        self.assertEqual(sale.buyer_phone, "+5531999999999")
