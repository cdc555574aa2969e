from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..hotmart.client import HotmartClient
from ..hotmart.exceptions import (
    HotmartAuthError,
    HotmartCredentialsRefusedError,
    HotmartError,
    HotmartRateLimitError,
    HotmartTransientError,
)
from ..hotmart.records import SALE_STATUS_CODES

HOTMART_HOSTS = {
    "production": {
        "api_url": "https://developers.hotmart.com",
        "auth_url": "https://api-sec-vlc.hotmart.com",
    },
    "sandbox": {
        "api_url": "https://sandbox.hotmart.com",
        "auth_url": "https://api-sec-vlc.hotmart.com",
    },
}
WEBHOOK_ROUTE = "/hotmart/webhook/%s"
SECRET_FIELDS = ("client_secret", "basic_token", "hottok")
# A change to any of these means the account has to prove it can connect again.
CONNECTION_FIELDS = (
    "environment",
    "api_url",
    "auth_url",
    "client_id",
    "client_secret",
    "basic_token",
)


class HotmartBackend(models.Model):
    _name = "hotmart.backend"
    _description = "Hotmart Account"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    state = fields.Selection(
        [
            ("not_configured", "Not configured"),
            ("not_installed", "Not installed"),
            ("active", "Active"),
            ("inactive", "Inactive"),
        ],
        string="Integration State",
        compute="_compute_state",
        store=True,
        help="Not configured: a required setting is missing. Not installed: configured but "
        "never connected successfully. Active: connected. Inactive: archived.",
    )
    last_connection_date = fields.Datetime(
        readonly=True,
        copy=False,
        help="Last time Test connection reached Hotmart with these credentials.",
    )

    # Connection
    environment = fields.Selection(
        [("production", "Production"), ("sandbox", "Sandbox")],
        required=True,
        default="production",
        tracking=True,
        help="A Hotmart credential is created either for production or for the sandbox.",
    )
    api_url = fields.Char(
        string="API URL",
        compute="_compute_urls",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    auth_url = fields.Char(
        string="Authentication URL",
        compute="_compute_urls",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    client_id = fields.Char(string="Client ID", copy=False, tracking=True)
    client_secret = fields.Char(groups="base.group_system", copy=False)
    basic_token = fields.Char(
        string="Basic",
        groups="base.group_system",
        copy=False,
        help="The 'Basic' value of the Hotmart credential, with or without the word Basic.",
    )
    hottok = fields.Char(
        groups="base.group_system",
        copy=False,
        help="Hotmart Webhook > Settings shows this token; Hotmart sends it with every "
        "webhook call so that Odoo can tell them from forgeries.",
    )
    webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_webhook_url",
        help="Paste this URL into Hotmart (Tools > Webhook) to receive sales in real time.",
    )

    # Settings
    usd_rate = fields.Float(
        string="USD Rate",
        digits=(12, 6),
        tracking=True,
        help="Company currency for 1 USD, used for sales paid in US dollars. "
        "Leave empty to use Odoo's currency rates.",
    )
    eur_rate = fields.Float(
        string="EUR Rate",
        digits=(12, 6),
        tracking=True,
        help="Company currency for 1 EUR, used for sales paid in euros. "
        "Leave empty to use Odoo's currency rates.",
    )
    import_since = fields.Datetime(
        string="Receive Sales Since",
        required=True,
        default=fields.Datetime.now,
        tracking=True,
        help="Sales ordered before this moment are never received automatically.",
    )
    sync_lookback_days = fields.Integer(
        string="Status Sync Window (days)",
        default=30,
        required=True,
        help="The status sync re-reads the sales ordered in this many last days, to catch "
        "boletos paid late, refunds and chargebacks.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        check_company=True,
        help="Sales team of the imported orders.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        domain="[('share', '=', False)]",
        help="Salesperson of the imported orders.",
    )

    # Orders and fiscal
    fiscal_position_id = fields.Many2one(
        "account.fiscal.position",
        check_company=True,
        help="Applied to every imported order.",
    )
    use_contributor_fiscal_position = fields.Boolean(
        string="Other Fiscal Position for ICMS Contributors",
        help="Customers with a state registration (IE) get the contributor fiscal position.",
    )
    contributor_fiscal_position_id = fields.Many2one(
        "account.fiscal.position",
        check_company=True,
    )

    # Statuses
    status_mapping_ids = fields.One2many("hotmart.status.mapping", "backend_id", copy=True)
    allow_status_regression = fields.Boolean(
        string="Allow Going Back",
        tracking=True,
        help="Let a Hotmart status move an order back, e.g. a cancelled order to quotation. "
        "Off: orders only move forward (quotation, sales order, locked, cancelled).",
    )

    @api.depends("environment")
    def _compute_urls(self):
        for backend in self:
            hosts = HOTMART_HOSTS[backend.environment or "production"]
            backend.api_url = hosts["api_url"]
            backend.auth_url = hosts["auth_url"]

    @api.depends("company_id")
    def _compute_webhook_url(self):
        for backend in self:
            if backend.id:
                backend.webhook_url = backend.get_base_url() + WEBHOOK_ROUTE % backend.id
            else:
                backend.webhook_url = False

    @api.depends(
        "active",
        "api_url",
        "auth_url",
        "client_id",
        "client_secret",
        "basic_token",
        "last_connection_date",
    )
    def _compute_state(self):
        for backend in self:
            backend.state = backend._get_integration_state()

    def _get_integration_state(self):
        self.ensure_one()
        if not self.active:
            return "inactive"
        if self.sudo()._get_missing_settings():
            return "not_configured"
        if not self.last_connection_date:
            return "not_installed"
        return "active"

    def _get_missing_settings(self):
        """Labels of the settings Hotmart needs that are still empty."""
        self.ensure_one()
        required = ("api_url", "auth_url", "client_id", "client_secret", "basic_token")
        return [
            self._fields[name].get_description(self.env)["string"]
            for name in required
            if not self[name]
        ]

    @api.constrains("usd_rate", "eur_rate")
    def _check_rates(self):
        for backend in self:
            if backend.usd_rate < 0 or backend.eur_rate < 0:
                raise ValidationError(
                    self.env._(
                        "Account %(name)s: exchange rates must be positive amounts of "
                        "%(currency)s for one unit of foreign currency, or empty to use "
                        "Odoo's currency rates.",
                        name=backend.name,
                        currency=backend.company_id.currency_id.name,
                    )
                )

    @api.constrains("sync_lookback_days")
    def _check_sync_lookback_days(self):
        for backend in self:
            if backend.sync_lookback_days < 1:
                raise ValidationError(
                    self.env._(
                        "Account %(name)s: the status sync window must be at least one day.",
                        name=backend.name,
                    )
                )

    @api.constrains("use_contributor_fiscal_position", "contributor_fiscal_position_id")
    def _check_contributor_fiscal_position(self):
        for backend in self:
            if (
                backend.use_contributor_fiscal_position
                and not backend.contributor_fiscal_position_id
            ):
                raise ValidationError(
                    self.env._(
                        "Account %(name)s: choose the fiscal position for ICMS contributors, "
                        "or switch off 'Other Fiscal Position for ICMS Contributors'.",
                        name=backend.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        backends = super().create(vals_list)
        backends.filtered(lambda b: not b.status_mapping_ids).action_add_default_statuses()
        return backends

    def write(self, vals):
        if any(name in vals for name in CONNECTION_FIELDS) and "last_connection_date" not in vals:
            vals = dict(vals, last_connection_date=False)
        return super().write(vals)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        return [
            dict(vals, name=self.env._("%s (copy)", backend.name))
            for backend, vals in zip(self, vals_list, strict=True)
        ]

    def action_add_default_statuses(self):
        """Add a mapping line for every Hotmart status the account does not map yet."""
        Mapping = self.env["hotmart.status.mapping"]
        vals_list = []
        for backend in self:
            mapped = set(backend.status_mapping_ids.mapped("hotmart_status"))
            vals_list += [
                Mapping._default_values_for(backend, status, sequence)
                for sequence, status in enumerate(SALE_STATUS_CODES, start=1)
                if status not in mapped
            ]
        Mapping.create(vals_list)
        return True

    # ------------------------------------------------------------------ connection

    def _get_client(self, **options):
        """A Hotmart client with this account's credentials (read as superuser)."""
        self.ensure_one()
        backend = self.sudo()
        return HotmartClient(
            backend.client_id,
            backend.client_secret,
            backend.basic_token,
            api_url=backend.api_url,
            auth_url=backend.auth_url,
            **options,
        )

    def action_test_connection(self):
        """Get a token and make one cheap call; the account becomes active on success."""
        self.ensure_one()
        missing = self.sudo()._get_missing_settings()
        if missing:
            raise UserError(
                self.env._(
                    "Fill in %(fields)s on the Connection tab before testing the connection.",
                    fields=", ".join(missing),
                )
            )
        try:
            self._get_client(retries=1, rate_limit_retries=1, max_wait=10).check_connection()
        except HotmartError as error:
            raise UserError(self._explain_connection_error(error)) from None
        self.last_connection_date = fields.Datetime.now()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Connected to Hotmart"),
                "message": self.env._(
                    "%(name)s can talk to Hotmart (%(environment)s). Sales can now be received.",
                    name=self.name,
                    environment=dict(self._fields["environment"]._description_selection(self.env))[
                        self.environment
                    ],
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _explain_connection_error(self, error):
        """What went wrong, in the user's words, with what to do next. Never a secret."""
        api_host = urlsplit(self.api_url or "").netloc or self.api_url
        if isinstance(error, HotmartCredentialsRefusedError):
            return self.env._(
                "Hotmart refused these credentials. Copy the Client ID, the Client Secret and "
                "the Basic value again from Hotmart (Tools > Hotmart Credentials), without "
                "spaces, and test again."
            )
        if isinstance(error, HotmartAuthError):
            return self.env._(
                "Hotmart accepted the credentials but refused them on %(host)s. A sandbox "
                "credential works only with the Sandbox environment and a production credential "
                "only with Production: check the Environment of this account.",
                host=api_host,
            )
        if isinstance(error, HotmartRateLimitError):
            return self.env._(
                "Hotmart's call limit for this credential is spent for the moment (500 calls "
                "per minute). Wait a minute and test again."
            )
        if isinstance(error, HotmartTransientError):
            return self.env._(
                "Hotmart could not be reached: %(reason)s Check the account's URLs and this "
                "server's internet access, then test again.",
                reason=error.message,
            )
        return self.env._("Hotmart answered in an unexpected way: %(reason)s", reason=error.message)
