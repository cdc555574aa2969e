import ipaddress
import logging
import random
import time
from datetime import datetime, timedelta
from itertools import zip_longest
from urllib.parse import urlsplit

import pytz
from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import split_every

from ..const import PAID_STATUSES
from ..hotmart.client import HotmartClient
from ..hotmart.exceptions import (
    HotmartAuthError,
    HotmartCredentialsRefusedError,
    HotmartError,
    HotmartRateLimitError,
    HotmartTransientError,
)
from ..hotmart.read_ahead import read_ahead
from ..hotmart.records import SALE_STATUS_CODES, BuyersInWaiting, parse_product
from .guard import (
    as_connector,
    check_hotmart_role,
    client_tuning,
    commits,
    committing_run,
    refuse_unless,
)

_logger = logging.getLogger(__name__)

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
    "last_error",
    "last_error_run",
)
# The receive window starts this long before the last good run: late approvals are caught.
RECEIVE_OVERLAP = timedelta(hours=2)
RECEIVE_BATCH = 500  # sales turned into orders per transaction
RECEIVE_PER_RUN = 2000  # a scheduled run stops after this many and asks to run again
# A batch lost to a concurrent run is tried again this many times; every lost race means
# another run made progress, so the retries converge.
RACE_RETRIES = 8
# What tests and benchmarks may tune through the context (never a URL or a credential).
CLIENT_OPTIONS = (
    "timeout",
    "retries",
    "backoff",
    "rate_limit_retries",
    "max_wait",
    "page_size",
    "sleep",
)


def is_loopback(host):
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(env, url):
    """What is wrong with ``url`` as a place to send the credentials, in words; None when it
    is fine (https, or http to loopback; a scheme and a host only)."""
    parts = urlsplit((url or "").strip())
    try:
        host = parts.hostname if parts.port is None or 0 < parts.port < 65536 else None
    except ValueError:  # a port that is not a number
        host = None
    if parts.scheme not in ("https", "http") or not host:
        return env._("write a full URL, such as https://developers.hotmart.com.")
    extra = parts.username or parts.password or parts.query or parts.fragment
    if extra or parts.path not in ("", "/"):
        return env._(
            "give only the scheme and the host (and a port), such as "
            "https://developers.hotmart.com."
        )
    if parts.scheme == "http" and not is_loopback(host):
        return env._(
            "only https is allowed; plain http only to this machine (localhost, 127.0.0.1, "
            "::1), for a local sandbox."
        )
    return None


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
    # the overview's figures
    to_receive_count = fields.Integer(compute="_compute_overview")
    failed_count = fields.Integer(compute="_compute_overview")
    sales_today = fields.Monetary(
        compute="_compute_overview", currency_field="company_currency_id", string="Paid Today"
    )
    sales_week = fields.Monetary(
        compute="_compute_overview",
        currency_field="company_currency_id",
        string="Paid in the Last 7 Days",
    )
    sales_month = fields.Monetary(
        compute="_compute_overview", currency_field="company_currency_id", string="Paid This Month"
    )
    last_webhook_date = fields.Datetime(compute="_compute_overview", string="Last Webhook")
    sale_count = fields.Integer(compute="_compute_sale_count", string="Hotmart Sales")
    order_count = fields.Integer(compute="_compute_order_count", string="Orders")

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

    def _compute_sale_count(self):
        counts = dict(
            self.env["hotmart.sale"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.sale_count = counts.get(backend, 0)

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
                            field=backend._fields[field_name].get_description(self.env)["string"],
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
        if "import_since" in vals:
            # sales now inside (or outside) the window wait To Receive (or Before Receive Since)
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
        return True

    # ------------------------------------------------------------------ connection

    def _get_client(self, **options):
        """A Hotmart client with this account's credentials (read as superuser)."""
        self.ensure_one()
        backend = self.sudo()
        # tests and benchmarks tune timeouts and waiting (guard.tuned_client)
        tuned = client_tuning()
        options = dict({k: v for k, v in tuned.items() if k in CLIENT_OPTIONS}, **options)
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
        check_hotmart_role(self, "group_hotmart_manager")
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
            reason = self._explain_connection_error(error)
            self.sudo().message_post(
                body=self.env._("Test Connection failed: %(reason)s", reason=reason)
            )
            return self._notification("danger", self.env._("Test Connection failed"), reason)
        self.sudo().last_connection_date = fields.Datetime.now()
        message = self.env._(
            "%(name)s can talk to Hotmart (%(environment)s). Sales can now be received.",
            name=self.name,
            environment=dict(self._fields["environment"]._description_selection(self.env))[
                self.environment
            ],
        )
        self.sudo().message_post(body=message)
        return self._notification("success", self.env._("Connected to Hotmart"), message)

    def _notification(self, kind, title, message):
        """A notification that stays until read when something failed; the form reloads."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "title": title,
                "message": message,
                "sticky": kind == "danger",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _explain_connection_error(self, error):
        """What went wrong, in the user's words, with what to do next. Never a secret."""
        api_url = self.sudo().api_url or ""
        api_host = urlsplit(api_url).netloc or api_url
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

    # ------------------------------------------------------------------ settings in use

    def _status_mapping(self):
        """{hotmart status: mapping line}"""
        self.ensure_one()
        return {line.hotmart_status: line for line in self.status_mapping_ids}

    def _importable_statuses(self):
        self.ensure_one()
        return self.status_mapping_ids.filtered("import_order").mapped("hotmart_status")

    def _first_rate_days(self, currencies):
        """{currency id: day of its first rate for this company}, in one query."""
        self.ensure_one()
        groups = self.env["res.currency.rate"]._read_group(
            [
                ("currency_id", "in", currencies.ids),
                ("company_id", "in", [False, self.company_id.id]),
            ],
            ["currency_id"],
            ["name:min"],
        )
        return {currency.id: first_day for currency, first_day in groups}

    def _convert_to_company_currency(self, amount, currency, code, moment, first_rate_days=None):
        """What Hotmart says the buyer paid, in company currency (docs/architecture.md).

        ``first_rate_days`` (from ``_first_rate_days``) spares a query per sale in a batch.
        """
        self.ensure_one()
        company = self.company_id
        target = company.currency_id
        if not currency:
            raise UserError(
                self.env._(
                    "The sale is in %(code)s, a currency Odoo does not know. Add it in the "
                    "currencies of the Invoicing settings, then receive the sale again.",
                    code=code,
                )
            )
        amount = float(amount)
        if currency == target:
            return target.round(amount)
        fixed_rate = {"USD": self.usd_rate, "EUR": self.eur_rate}.get(currency.name)
        if fixed_rate:
            return target.round(amount * fixed_rate)
        day = (moment or fields.Datetime.now()).date()
        if first_rate_days is None:
            first_rate_days = self._first_rate_days(currency)
        first_day = first_rate_days.get(currency.id)
        # Odoo converts at rate 1 when a currency has no rate: refuse instead
        if not first_day or first_day > day:
            raise UserError(
                self.env._(
                    "No exchange rate for %(currency)s on or before %(date)s. Add one in the "
                    "currency's rates (Invoicing settings, Currencies), then receive the sale "
                    "again.",
                    currency=currency.name,
                    date=day,
                )
            )
        return currency._convert(amount, target, company, day)

    def _fiscal_position_for(self, partner):
        """The account's fiscal position, or the contributors' one for an ICMS contributor."""
        self.ensure_one()
        if (
            self.use_contributor_fiscal_position
            and self.contributor_fiscal_position_id
            and partner._hotmart_is_icms_contributor()
        ):
            return self.contributor_fiscal_position_id
        if self.fiscal_position_id:
            return self.fiscal_position_id
        return (
            self.env["account.fiscal.position"]
            .with_company(self.company_id)
            ._get_fiscal_position(partner)
        )

    # ------------------------------------------------------------------ fetching

    def _fetch_sales(self, date_from, date_to, statuses=None, cause=None):
        """Store the sales ordered in [date_from, date_to] and return them.

        Reads the history and the buyers (``/sales/users``) page by page, side by side, one
        status at a time (every status of the mapping when ``statuses`` is None): API calls
        are pages only, and each sale is written once, with its buyer, in bulk. The next
        pages are read while the last ones are stored. In scheduled runs
        (``guard.committing_run``) every page is committed, so memory stays bounded and a
        long run keeps what it read. ``cause`` says in the orders' chatter what brought the
        news (a run, a button).
        """
        self.ensure_one()
        if statuses is None:
            statuses = self.status_mapping_ids.mapped("hotmart_status")
        client = self._get_client()
        Sale = self.env["hotmart.sale"].sudo()
        sale_ids = []
        for status in statuses:
            pairs = zip_longest(
                client.sales_history(date_from, date_to, status),
                client.sales_users(date_from, date_to, status),
                fillvalue=(),
            )
            buyers = BuyersInWaiting()
            for history_page, users_page in read_ahead(pairs):
                buyers.add(users_page)
                sales = Sale._store_history_page(self, history_page, buyers.take, cause=cause)
                sale_ids += sales.ids
                buyers.stored(sales.mapped("transaction"))
                Sale._store_buyers_page(self, buyers.take_stored())
                self._end_of_page()
            if buyers:
                # participants of sales stored by an earlier run
                Sale._store_buyers_page(self, buyers.take_all())
                self._end_of_page()
            self._fetch_status_extras(client, date_from, date_to, status)
        return self.env["hotmart.sale"].browse(list(dict.fromkeys(sale_ids)))

    def _fetch_status_extras(self, client, date_from, date_to, status):
        """Hook: read more of the same window and status (settlements, when invoicing)."""

    def _end_of_page(self):
        if commits():
            # scheduled runs keep each page, so that a long run survives and resumes
            self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.invalidate_all()

    # ------------------------------------------------------------------ receiving

    def action_receive_orders(self):
        """'Receive Orders Now': the scheduled action's work, for this account, now."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_user")
        if self.state != "active":
            raise UserError(self.env._("Test the connection of %(name)s first.", name=self.name))
        backend = as_connector(self)
        result = backend._receive_new_sales(origin=self.env._("the Receive Orders Now button"))
        return self._receive_new_sales_notification(result)

    @api.model
    def _cron_receive_orders(self):
        """Scheduled action: receive the new sales of every active account."""
        self._run_for_active_accounts(
            "_receive_new_sales", lambda env: env._("the scheduled action")
        )

    @api.model
    def _cron_sync_statuses(self):
        """Scheduled action: bring every active account's recent sales in step with Hotmart."""
        self._run_for_active_accounts("_sync_statuses", lambda env: env._("the status sync"))

    @api.model
    def _run_for_active_accounts(self, method, origin_of):
        """Each active account's run, committed per page; Odoo runs it again if work waits."""
        done = remaining = 0
        with committing_run():
            for backend in self.search([("state", "=", "active")]):
                # what the run writes (chatter, errors) is read in the company's language
                backend = backend.with_context(lang=backend._company_lang())
                result = backend._run_isolated(method, origin=origin_of(backend.env))
                done += result.get("processed", 0)
                remaining += result.get("remaining", 0)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    def _set_last_error(self, error, run):
        """Keep a run's error on the account. The chatter tells when a run starts failing (or
        fails differently) and when that run works again, not every failed run of an outage;
        another run's success does not clear it."""
        self.ensure_one()
        backend = self.sudo()
        if not error:
            if backend.last_error and backend.last_error_run == run:
                backend.message_post(body=self.env._("Runs work again."))
                backend.write({"last_error": False, "last_error_run": False})
            return
        if (error, run) != (backend.last_error, backend.last_error_run):
            backend.message_post(body=self.env._("A run failed: %(error)s", error=error))
        backend.write({"last_error": error, "last_error_run": run})

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

    def _company_lang(self):
        """The language of the account's company: scheduled runs and webhooks write in it."""
        self.ensure_one()
        return self.company_id.partner_id.lang or self.env.lang or "en_US"

    def _run_isolated(self, method, **kwargs):
        """Run one account's scheduled work; an unexpected error never stops the others."""
        self.ensure_one()
        try:
            if commits():
                return getattr(self, method)(**kwargs)
            with self.env.cr.savepoint():
                return getattr(self, method)(**kwargs)
        except Exception as error:  # noqa: BLE001 (one account must not stop the others)
            _logger.exception("Hotmart account %s: %s failed", self.id, method)
            if commits():
                self.env.cr.rollback()
            self._set_last_error(
                self.env._("Unexpected error, the next run will try again: %(error)s", error=error),
                method,
            )
            return {}

    def _sync_statuses(self, origin):
        """Re-read the last days, every Hotmart status; orders follow, new paid sales arrive.

        The window is [now - sync_lookback_days, now], whatever ``import_since`` says: a
        boleto paid days after it was issued, a refund within the guarantee, a chargeback
        weeks later, also for orders a person received by hand from before it. Every status
        is read, mapped or not, so that the status shown never goes stale.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        date_from = now - timedelta(days=self.sync_lookback_days)
        return self._fetch_window_then_receive(
            date_from,
            now,
            list(SALE_STATUS_CODES),
            origin,
            when_complete={"last_sync_date": now},
        )

    def _receive_new_sales(self, origin):
        """Store the window's sales, then receive the pending ones (docs/architecture.md)."""
        self.ensure_one()
        started = fields.Datetime.now()
        date_from = self.import_since
        if self.last_receive_date:
            date_from = max(date_from, self.last_receive_date - RECEIVE_OVERLAP)
        return self._fetch_window_then_receive(
            date_from,
            started,
            self._importable_statuses(),
            origin,
            # remembered only when the whole window was stored: a failed run is repeated
            when_complete={"last_receive_date": started},
        )

    def _fetch_window_then_receive(self, date_from, date_to, statuses, origin, when_complete=None):
        """Store a window's sales (``statuses``; None: every mapped one), then receive the
        waiting importable sales. ``when_complete`` is written only if the window was read
        whole; a Hotmart error is kept in ``last_error`` and the run goes on receiving."""
        fetch_error = False
        try:
            if statuses is None or statuses:
                self._fetch_sales(date_from, date_to, statuses, cause=origin)
        except HotmartError as error:
            fetch_error = error.message
            _logger.warning("Hotmart account %s: reading stopped: %s", self.id, error.message)
        values = {} if fetch_error else dict(when_complete or {})
        self.sudo().write(values)
        run = (
            "_sync_statuses" if "last_sync_date" in (when_complete or {}) else "_receive_new_sales"
        )
        self._set_last_error(fetch_error, run)
        self._end_of_page()
        result = self._receive_pending(self._importable_statuses(), origin)
        result["fetch_error"] = fetch_error
        return result

    def _receive_pending(self, statuses, origin, limit=RECEIVE_PER_RUN):
        """Receive the stored sales still waiting, oldest first, a batch per transaction."""
        Sale = self.env["hotmart.sale"].sudo()
        domain = [
            ("backend_id", "=", self.id),
            ("sale_order_id", "=", False),
            ("status", "in", statuses),
            ("order_date", ">=", self.import_since),
        ]
        # failed sales are tried again once per run; they never count as work left
        to_receive = Sale.search(domain + [("state", "=", "failed")], order="order_date, id")
        pending = Sale.search(domain + [("state", "=", "pending")], order="order_date, id")
        to_receive |= pending[:limit]
        counts = {"received": 0, "failed": 0, "processed": 0}
        counts["remaining"] = max(len(pending) - limit, 0)
        for batch_ids in split_every(self._receive_batch_size(), to_receive.ids):
            result = self._receive_batch(batch_ids, origin)
            counts["received"] += len(result["received"])
            counts["failed"] += len(result["failed"])
            counts["processed"] += len(batch_ids)
            self.env["ir.cron"]._notify_progress(
                done=counts["processed"],
                remaining=len(to_receive) - counts["processed"] + counts["remaining"],
            )
            self._end_of_page()
        return counts

    def _receive_batch_size(self):
        """Sales received per transaction: larger batches spread each batch's lookups and
        flushes over more orders."""
        return RECEIVE_BATCH

    def _receive_batch(self, sale_ids, origin):
        """Receive one batch of sales in its own transaction (scheduled runs).

        A batch that lost a race to a concurrent run (the same new buyer or product created
        by another worker, the same rows updated) is rolled back and tried again in a new
        transaction, which sees what the other run made. Outside scheduled runs (a
        person's click, a test) the error goes up to whoever owns the transaction: Odoo
        retries an HTTP request that fails this way.
        """
        Sale = self.env["hotmart.sale"].sudo()
        for attempt in range(RACE_RETRIES + 1):
            try:
                return Sale.browse(sale_ids)._receive(origin)
            except errors.TransactionRollbackError as error:
                if not commits() or attempt == RACE_RETRIES:
                    raise
                _logger.info(
                    "Hotmart account %s: a batch lost a race (%s); trying it again.",
                    self.id,
                    error.pgerror or error,
                )
                self.env.cr.rollback()
                self.env.invalidate_all()
                time.sleep(random.uniform(0, 0.1 * (attempt + 1)))  # let the other run finish

    def _receive_new_sales_notification(self, result):
        message = self.env._(
            "%(received)s orders received, %(failed)s sales failed.",
            received=result["received"],
            failed=result["failed"],
        )
        if result.get("remaining"):
            message += " " + self.env._(
                "%(count)s more are waiting: the scheduled action goes on with them.",
                count=result["remaining"],
            )
        if result.get("fetch_error"):
            message += " " + self.env._(
                "Hotmart could not be read completely (%(reason)s): the next run reads the "
                "same period again.",
                reason=result["fetch_error"],
            )
        return self._notification(
            "warning" if result["failed"] or result.get("fetch_error") else "success",
            self.env._("Hotmart: %(name)s", name=self.name),
            message,
        )

    def action_apply_mapping(self):
        """'Apply Mapping Now': every order of the account whose last applied Hotmart status
        differs from its sale's status follows the mapping now (a fixed mapping line, Allow
        Going Back switched on, a move refused before)."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_manager")
        orders = as_connector(self.env["sale.order"])._hotmart_out_of_step(backend=self)
        result = orders._hotmart_apply_status(self.env._("the Apply Mapping Now button"))
        message = self.env._(
            "%(applied)s orders follow their Hotmart status now; %(refused)s could not "
            "(their chatter says why).",
            applied=len(result["applied"]),
            refused=len(result["refused"]),
        )
        return self._notification(
            "warning" if result["refused"] else "success",
            self.env._("Hotmart: %(name)s", name=self.name),
            message,
        )

    def _payload_retention_limit(self):
        self.ensure_one()
        return fields.Datetime.now() - timedelta(days=self.payload_retention_days)

    @api.autovacuum
    def _gc_raw_payloads(self):
        """Daily: blank the raw payloads past each account's retention (buyers' personal
        data, LGPD), of settled sales and processed events; parsed fields stay."""
        for backend in self.with_context(active_test=False).search([("id", "!=", 0)]):
            limit = backend._payload_retention_limit()
            sales = self.env["hotmart.sale"]._blank_old_payloads(backend, limit)
            events = self.env["hotmart.webhook.event"]._blank_old_payloads(backend, limit)
            if sales or events:
                _logger.info(
                    "Hotmart account %s: raw payloads blanked: %s sales, %s events.",
                    backend.id,
                    sales,
                    events,
                )

    def action_receive_products(self):
        """Import the Hotmart catalogue: a service product per Hotmart product not known yet."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_manager")
        Template = as_connector(self.env["product.template"])
        created = known = 0
        try:
            for page in self._get_client().products():
                names = {}
                for item in page:
                    try:
                        product = parse_product(item)
                    except HotmartError as error:
                        _logger.warning("Hotmart product skipped: %s", error.message)
                        continue
                    names[product.id] = product.name
                existing = Template._hotmart_search(self, list(names))
                known += len(existing)
                new, _refused = Template._hotmart_create(
                    {pid: name for pid, name in names.items() if pid not in existing}
                )
                created += len(new)
        except HotmartError as error:
            raise UserError(self._explain_connection_error(error)) from None
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Hotmart products"),
                "message": self.env._(
                    "%(created)s products created, %(known)s already known.",
                    created=created,
                    known=known,
                ),
            },
        }

    def _compute_overview(self):
        """Per account: sales waiting and failed, sales paid (approved) today, in the last 7
        days and this month (company currency, days of the user's time zone), and the last
        webhook received."""
        Sale = self.env["hotmart.sale"]
        states = Sale._read_group(
            [("backend_id", "in", self.ids), ("state", "in", ("pending", "failed"))],
            ["backend_id", "state"],
            ["__count"],
        )
        counts = {(backend, state): count for backend, state, count in states}
        today = fields.Date.context_today(self)
        starts = {
            "sales_today": today,
            "sales_week": today - timedelta(days=6),
            "sales_month": today.replace(day=1),
        }
        paid = {}
        for name, day in starts.items():
            start = self._utc_start_of(day)
            for backend, total in Sale._read_group(
                [
                    ("backend_id", "in", self.ids),
                    ("status", "in", PAID_STATUSES),
                    ("approved_date", ">=", start),
                ],
                ["backend_id"],
                ["amount_company:sum"],
            ):
                paid[(backend, name)] = total
        webhooks = dict(
            self.env["hotmart.webhook.event"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["received_date:max"]
            )
        )
        for backend in self:
            backend.to_receive_count = counts.get((backend, "pending"), 0)
            backend.failed_count = counts.get((backend, "failed"), 0)
            for name in starts:
                backend[name] = paid.get((backend, name), 0.0)
            backend.last_webhook_date = webhooks.get(backend, False)

    def _utc_start_of(self, day):
        """The first moment of ``day`` in the user's time zone, as naive UTC."""
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        start = tz.localize(datetime.combine(day, datetime.min.time()))
        return start.astimezone(pytz.utc).replace(tzinfo=None)

    def _compute_order_count(self):
        # a count for every Hotmart role, Sales rights or not; the button needs them
        counts = dict(
            self.env["sale.order"]
            .sudo()
            ._read_group(
                [("hotmart_backend_id", "in", self.ids)], ["hotmart_backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.order_count = counts.get(backend, 0)

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hotmart_connector.hotmart_sale_order_action"
        )
        action["domain"] = [("hotmart_backend_id", "=", self.id)]
        return action

    def action_view_sales(self):
        """The account's sales; the overview's buttons open them filtered (to receive...)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hotmart_connector.hotmart_sale_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        filters = {k: v for k, v in self.env.context.items() if k.startswith("search_default_")}
        action["context"] = dict(filters, default_backend_id=self.id)
        return action
