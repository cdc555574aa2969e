from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import SALE_STATUS_CODES
from .guard import refuse_unless
from .url_check import is_public_https, url_problem

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
# Where the secrets go, and the secrets: Settings administrators only.
ADMIN_FIELDS = ("api_url", "auth_url", *SECRET_FIELDS)
# What the connector alone records about an account.
CONNECTOR_FIELDS = (
    "state",
    "last_connection_date",
    "last_receive_date",
    "last_sync_date",
    "last_subscription_sync_date",
    "last_reconcile_date",
    "last_error",
    "last_error_run",
)
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
    _inherit = ["mail.thread", "hotmart.guarded.mixin"]
    _hotmart_guarded_fields = CONNECTOR_FIELDS
    _order = "sequence, name, id"
    _check_company_auto = True

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
    hotmart_user_code = fields.Char(
        readonly=True,
        copy=False,
        help="The account's own user on Hotmart, learnt from the commissions of its own "
        "sales: it tells the account's share of a sale with several co-producers.",
    )

    # Connection
    environment = fields.Selection(
        [("production", "Production"), ("sandbox", "Sandbox")],
        required=True,
        default="production",
        tracking=True,
        help="A Hotmart credential is created either for production or for the sandbox.",
    )
    # Where the credentials are sent: Settings administrators only (a Hotmart manager could
    # otherwise send the client secret and Basic to a host of theirs with Test Connection).
    api_url = fields.Char(
        string="API URL",
        compute="_compute_urls",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        copy=False,
        groups="base.group_system",
        help="Base URL of Hotmart's API (scheme and host). https only, except http to this "
        "machine (a local sandbox).",
    )
    auth_url = fields.Char(
        string="Authentication URL",
        compute="_compute_urls",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        copy=False,
        groups="base.group_system",
        help="Base URL of Hotmart's token service (scheme and host). https only, except http "
        "to this machine (a local sandbox).",
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
    webhook_url_reachable = fields.Boolean(
        string="Webhook URL Reachable",
        compute="_compute_webhook_url",
        help="Whether the webhook URL is a public https address Hotmart can post to.",
    )

    # Settings
    usd_rate = fields.Float(
        string="USD Rate",
        digits=(12, 6),
        tracking=True,
        help="Company currency for 1 USD, used for sales paid in US dollars. "
        "Empty: Odoo's currency rates.",
    )
    eur_rate = fields.Float(
        string="EUR Rate",
        digits=(12, 6),
        tracking=True,
        help="Company currency for 1 EUR, used for sales paid in euros. "
        "Empty: Odoo's currency rates.",
    )
    company_currency_code = fields.Char(
        related="company_id.currency_id.name",
        string="Company Currency Code",
        help="A rate of the company's own currency means nothing: the form hides it.",
    )
    run_language_note = fields.Char(
        string="Language of Runs",
        compute="_compute_run_language_note",
        help="What scheduled runs and webhooks write (chatter, errors, results) is in the "
        "language of the company's contact.",
    )
    import_since = fields.Datetime(
        string="Receive Sales Since",
        required=True,
        default=fields.Datetime.now,
        tracking=True,
        help="Sales ordered before this moment are never received automatically.",
    )
    receive_commission_sales = fields.Boolean(
        string="Receive Co-production and Affiliate Sales",
        tracking=True,
        help="Sales this account made as co-producer or affiliate are listed with its "
        "commission. Switched on, the runs also receive each of them as an order to Hotmart "
        "for the commission alone; never at the sale's price, which is the producer's.",
    )
    sync_lookback_days = fields.Integer(
        string="Status Sync Window (days)",
        default=30,
        required=True,
        help="The status sync re-reads the sales ordered in this many last days, to catch "
        "boletos paid late, refunds and chargebacks.",
    )
    payload_retention_days = fields.Integer(
        string="Keep Raw Payloads (days)",
        default=90,
        required=True,
        help="Hotmart's raw answers hold buyers' personal data (LGPD). The raw payload of a sale "
        "ordered this many days ago is blanked once nothing needs it (failed sales and sales "
        "waiting in an imported status keep it), and so is that of a webhook event processed "
        "this many days ago; the parsed fields stay.",
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
    responsible_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user if not self.env.user._is_superuser() else False,
        domain="[('share', '=', False)]",
        tracking=True,
        help="Who does what the connector cannot: a dispute, a partial refund, a sale whose "
        "books disagree with Hotmart. Activities go to the order's salesperson, otherwise "
        "to this person.",
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

    product_id = fields.Many2one(
        "product.product",
        string="Fallback Product",
        check_company=True,
        domain="[('sale_ok', '=', True)]",
        help="Use this product for every Hotmart product not known in Odoo yet. Empty: a "
        "service product is created for each new Hotmart product.",
    )

    # Receiving
    last_receive_date = fields.Datetime(
        string="Last Complete Receive",
        readonly=True,
        copy=False,
        help="End of the last window whose sales were all read from Hotmart. The next run "
        "starts a little before it.",
    )
    last_sync_date = fields.Datetime(
        string="Last Complete Status Sync",
        readonly=True,
        copy=False,
        help="When the status sync last read its whole window from Hotmart.",
    )
    last_error = fields.Text(readonly=True, copy=False)
    last_error_run = fields.Char(
        readonly=True, copy=False, help="Which run the last error is of: only it clears it."
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

    @api.depends("company_id.partner_id.lang")
    @api.depends_context("lang")
    def _compute_run_language_note(self):
        languages = dict(self.env["res.lang"].get_installed())
        for backend in self:
            company = backend.company_id
            code = backend._company_lang() if company else False
            backend.run_language_note = self.env._(
                "%(language)s, the language of the contact of %(company)s: change it there "
                "(Settings > Companies, then the company's contact).",
                language=languages.get(code, code or "?"),
                company=company.name or "?",
            )

    @api.depends("company_id")
    def _compute_webhook_url(self):
        for backend in self:
            if backend.id:
                backend.webhook_url = backend.get_base_url() + WEBHOOK_ROUTE % backend.id
            else:
                backend.webhook_url = False
            backend.webhook_url_reachable = is_public_https(backend.webhook_url)

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
        return [self._field_label(name) for name in required if not self[name]]

    def _field_label(self, name):
        """A field's label, in the reader's language, for a message."""
        return self._fields[name].get_description(self.env)["string"]

    def _check_connected(self):
        """Runs and fetches need an account that connected: say so before trying."""
        self.ensure_one()
        if self.state != "active":
            raise UserError(self.env._("Test the connection of %(name)s first.", name=self.name))

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

    @api.constrains("payload_retention_days")
    def _check_payload_retention_days(self):
        for backend in self:
            if backend.payload_retention_days < 1:
                raise ValidationError(
                    self.env._(
                        "Account %(name)s: keep raw payloads at least one day.",
                        name=backend.name,
                    )
                )

    @api.constrains("api_url", "auth_url")
    def _check_urls(self):
        for backend in self.sudo():
            for field_name in ("api_url", "auth_url"):
                problem = backend[field_name] and url_problem(self.env, backend[field_name])
                if problem:
                    raise ValidationError(
                        self.env._(
                            "Account %(name)s, %(field)s: %(problem)s",
                            name=backend.name,
                            field=backend._field_label(field_name),
                            problem=problem,
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
        vals_list = [self._normalized_urls(vals) for vals in vals_list]
        backends = super().create(vals_list)
        backends.filtered(lambda b: not b.status_mapping_ids).action_add_default_statuses()
        return backends

    def write(self, vals):
        vals = self._normalized_urls(vals)
        result = super().write(vals)
        if any(name in vals for name in CONNECTION_FIELDS) and "last_connection_date" not in vals:
            # new settings must prove they work: the connector's own record, so as superuser
            self.sudo().write({"last_connection_date": False})
        if "import_since" in vals or "receive_commission_sales" in vals:
            # sales now inside (or outside) the window wait To Receive (or Before Receive
            # Since); commission sales wait To Receive or Commission Only
            self.env["hotmart.sale"].sudo()._sync_import_state_of(self)
        return result

    def _hotmart_check_guarded(self, vals_list):
        """Only administrators say where the credentials go (field groups do not guard
        creation nor defaults); only the connector says whether they work."""
        refuse_unless(
            self.env.su or self.env.user.has_group("base.group_system"),
            self,
            vals_list,
            ADMIN_FIELDS,
            lambda names: self.env._(
                "Only administrators set %(fields)s of a Hotmart account.", fields=names
            ),
        )
        return super()._hotmart_check_guarded(vals_list)

    @staticmethod
    def _normalized_urls(vals):
        urls = {
            name: vals[name].strip().rstrip("/")
            for name in ("api_url", "auth_url")
            if isinstance(vals.get(name), str)
        }
        return dict(vals, **urls) if urls else vals

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
        if len(self) != 1:
            return True
        if not vals_list:
            message = self.env._("Every Hotmart status is mapped already: nothing to add.")
        elif len(vals_list) == 1:
            message = self.env._("1 status added to the mapping, with its default.")
        else:
            message = self.env._(
                "%(count)s statuses added to the mapping, with their defaults.",
                count=len(vals_list),
            )
        return self._notification(
            "success", self.env._("Hotmart: %(name)s", name=self.name), message
        )

    def _status_mapping(self):
        """{hotmart status: mapping line}"""
        self.ensure_one()
        return {line.hotmart_status: line for line in self.status_mapping_ids}

    def _importable_statuses(self):
        self.ensure_one()
        return self.status_mapping_ids.filtered("import_order").mapped("hotmart_status")

    def _activity_user(self, order=None):
        """Who gets an activity about ``order``: its salesperson, else the account's
        responsible, else whoever created the account, else a Hotmart manager. Never
        OdooBot, who reads nothing."""
        self.ensure_one()
        candidates = [order.user_id if order else None, self.responsible_id, self.create_uid]
        for user in candidates:
            if user and user.active and not user.share and not user._is_superuser():
                return user
        managers = self.env.ref("hotmart_connector.group_hotmart_manager").sudo().users
        managers = managers.filtered(
            lambda u: (
                u.active
                and not u.share
                and not u._is_superuser()
                and self.company_id in u.company_ids
            )
        )
        return managers[:1] or self.env.ref("base.user_admin")
