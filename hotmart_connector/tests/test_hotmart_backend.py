from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.modules.neutralize import neutralize_database
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import HotmartCase


@tagged("post_install", "-at_install")
class TestHotmartBackend(HotmartCase):
    def test_state_goes_through_its_four_values(self):
        backend = self.env["hotmart.backend"].create({"name": "Empty"})
        self.assertEqual(backend.state, "not_configured")

        backend.write(self._backend_values(name="Empty"))
        self.assertEqual(backend.state, "not_installed")

        backend.last_connection_date = fields.Datetime.now()
        self.assertEqual(backend.state, "active")

        backend.action_archive()
        self.assertEqual(backend.state, "inactive")

        backend.action_unarchive()
        self.assertEqual(backend.state, "active")

    def test_new_credentials_must_connect_again(self):
        self.backend.last_connection_date = fields.Datetime.now()
        self.assertEqual(self.backend.state, "active")
        self.backend.client_secret = "another-secret"
        self.assertFalse(self.backend.last_connection_date)
        self.assertEqual(self.backend.state, "not_installed")

    def test_missing_secret_is_not_configured(self):
        self.backend.last_connection_date = fields.Datetime.now()
        self.backend.basic_token = False
        self.assertEqual(self.backend.state, "not_configured")

    def test_environment_fills_hosts_and_leaves_them_editable(self):
        self.assertEqual(self.backend.api_url, "https://sandbox.hotmart.com")
        self.assertEqual(self.backend.auth_url, "https://api-sec-vlc.hotmart.com")
        self.backend.environment = "production"
        self.assertEqual(self.backend.api_url, "https://developers.hotmart.com")
        self.backend.api_url = "http://127.0.0.1:8999"
        self.assertEqual(self.backend.api_url, "http://127.0.0.1:8999")

    def test_new_account_has_the_default_mapping(self):
        mapping = {m.hotmart_status: m for m in self.backend.status_mapping_ids}
        self.assertEqual(len(mapping), 17)
        self.assertEqual(mapping["APPROVED"].order_state, "sale")
        self.assertTrue(mapping["APPROVED"].import_order)
        self.assertEqual(mapping["COMPLETE"].order_state, "done")
        self.assertEqual(mapping["PRINTED_BILLET"].order_state, "draft")
        self.assertFalse(mapping["PRINTED_BILLET"].import_order)
        self.assertEqual(mapping["CHARGEBACK"].order_state, "cancel")
        self.assertEqual(mapping["PROTESTED"].order_state, "sale")
        self.assertTrue(mapping["PROTESTED"].create_activity)

    def test_add_default_statuses_is_idempotent(self):
        self.backend.status_mapping_ids.filtered(
            lambda m: m.hotmart_status in ("REFUNDED", "APPROVED")
        ).unlink()
        approved_custom = self.env["hotmart.status.mapping"].create(
            {"backend_id": self.backend.id, "hotmart_status": "APPROVED", "order_state": "draft"}
        )
        self.assertEqual(len(self.backend.status_mapping_ids), 16)

        added = self.backend.action_add_default_statuses()
        again = self.backend.action_add_default_statuses()

        self.assertEqual(len(self.backend.status_mapping_ids), 17)
        self.assertEqual(
            added["params"]["message"], "1 status added to the mapping, with its default."
        )
        self.assertIn("nothing to add", again["params"]["message"])
        self.assertEqual(
            sorted(self.backend.status_mapping_ids.mapped("hotmart_status")),
            sorted(dict(self.env["hotmart.status.mapping"]._fields["hotmart_status"].selection)),
        )
        # a line the user changed is kept as the user left it
        self.assertEqual(approved_custom.order_state, "draft")

    def test_one_mapping_line_per_status(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["hotmart.status.mapping"].create(
                {"backend_id": self.backend.id, "hotmart_status": "APPROVED", "order_state": "sale"}
            )

    def test_contributor_fiscal_position_required_only_with_toggle(self):
        self.backend.use_contributor_fiscal_position = False  # fine without one
        with self.assertRaisesRegex(ValidationError, "ICMS contributors"):
            self.backend.use_contributor_fiscal_position = True
        position = self.env["account.fiscal.position"].create({"name": "Contribuinte ICMS"})
        self.backend.write(
            {"use_contributor_fiscal_position": True, "contributor_fiscal_position_id": position.id}
        )
        self.assertEqual(self.backend.contributor_fiscal_position_id, position)

    def test_rates_must_be_positive(self):
        self.backend.write({"usd_rate": 5.42, "eur_rate": 5.9})
        with self.assertRaisesRegex(ValidationError, "positive"):
            self.backend.usd_rate = -5.0
        with self.assertRaisesRegex(ValidationError, "positive"):
            self.backend.eur_rate = -0.01

    def test_sync_window_is_at_least_a_day(self):
        self.assertEqual(self.backend.sync_lookback_days, 30)
        with self.assertRaisesRegex(ValidationError, "at least one day"):
            self.backend.sync_lookback_days = 0

    def test_salesman_cannot_read_secrets(self):
        salesman = new_test_user(
            self.env,
            login="hotmart_salesman",
            groups="sales_team.group_sale_salesman,hotmart_connector.group_hotmart_user",
        )
        backend = self.backend.with_user(salesman)
        self.assertEqual(backend.name, "Escola Teste")
        for secret in ("client_secret", "basic_token", "hottok"):
            with self.subTest(secret=secret), self.assertRaises(AccessError):
                backend.read([secret])
        with self.assertRaises(AccessError):
            backend.write({"name": "Renamed"})

    def test_manager_configures_but_admin_owns_the_secrets(self):
        manager = new_test_user(
            self.env, login="hotmart_manager", groups="hotmart_connector.group_hotmart_manager"
        )
        backend = self.backend.with_user(manager)
        backend.write({"sync_lookback_days": 45, "allow_status_regression": True})
        self.assertEqual(self.backend.sync_lookback_days, 45)
        # the rates decide amounts booked: an accountant's (test_books)
        with self.assertRaises(AccessError):
            backend.write({"usd_rate": 5.1})
        with self.assertRaises(AccessError):
            backend.read(["client_secret"])

    def test_user_of_another_company_cannot_see_the_account(self):
        other_company = self.env["res.company"].create({"name": "Outra Empresa"})
        outsider = new_test_user(
            self.env,
            login="hotmart_outsider",
            groups="hotmart_connector.group_hotmart_manager",
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )
        Backend = self.env["hotmart.backend"].with_user(outsider)
        self.assertFalse(Backend.search([("id", "=", self.backend.id)]))
        with self.assertRaises(AccessError):
            self.backend.with_user(outsider).read(["name"])

    def test_webhook_url_follows_base_url(self):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "https://erp.example.com")
        self.backend.invalidate_recordset(["webhook_url"])
        self.assertEqual(
            self.backend.webhook_url, f"https://erp.example.com/hotmart/webhook/{self.backend.id}"
        )
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", "https://odoo.escola.com.br"
        )
        self.backend.invalidate_recordset(["webhook_url"])
        self.assertEqual(
            self.backend.webhook_url,
            f"https://odoo.escola.com.br/hotmart/webhook/{self.backend.id}",
        )

    def test_the_form_says_when_hotmart_cannot_reach_the_webhook_url(self):
        Param = self.env["ir.config_parameter"].sudo()
        for base_url, reachable in (
            ("http://localhost:8069", False),
            ("https://127.0.0.1", False),
            ("https://192.168.0.10", False),
            ("http://odoo.escola.com.br", False),
            ("https://odoo.local", False),
            ("https://odoo.escola.com.br", True),
        ):
            Param.set_param("web.base.url", base_url)
            self.backend.invalidate_recordset(["webhook_url", "webhook_url_reachable"])
            self.assertEqual(self.backend.webhook_url_reachable, reachable, base_url)

    def test_copy_leaves_the_secrets_behind(self):
        copy = self.backend.copy()
        self.assertEqual(copy.name, "Escola Teste (copy)")
        self.assertFalse(copy.client_secret or copy.basic_token or copy.hottok)
        self.assertEqual(copy.state, "not_configured")
        self.assertEqual(len(copy.status_mapping_ids), 17)

    def test_neutralization_blanks_the_secrets(self):
        self.backend.last_connection_date = fields.Datetime.now()
        self.env.flush_all()
        neutralize_database(self.env.cr)
        self.backend.invalidate_recordset()
        self.assertFalse(self.backend.client_secret)
        self.assertFalse(self.backend.basic_token)
        self.assertFalse(self.backend.hottok)
        self.assertEqual(self.backend.state, "not_configured")
