"""The money side of an account: when to invoice, and where Hotmart's money goes."""

import logging

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.osv import expression

from odoo.addons.base.models.res_partner import _tz_get

from ..const import OWN_SALE_ROLE, PAID_STATUSES, REVERSING_STATUSES
from .guard import as_connector, refuse_unless

_logger = logging.getLogger(__name__)

# What each policy needs, by field name, in the order the form shows them (the Hotmart
# balance journal is created on save when left empty).
POLICY_SETTINGS = (
    "invoice_journal_id",
    "fee_account_id",
    "commission_account_id",
)
# What decides the amounts, taxes and accounts the connector books: Accounting
# administrators only, checked on the server.
ACCOUNTING_FIELDS = (
    "usd_rate",
    "eur_rate",
    "fiscal_position_id",
    "use_contributor_fiscal_position",
    "contributor_fiscal_position_id",
    "product_id",
    "invoice_policy",
    "invoice_since",
    "invoice_journal_id",
    "payment_journal_id",
    "fee_account_id",
    "commission_account_id",
    "exchange_difference_limit",
    "tz",
)
EXPENSE_TYPES = ("expense", "expense_direct_cost")
# Hotmart's Brazilian entity, which bills producers its fees.
HOTMART_NAME = "Hotmart"
HOTMART_LEGAL_NAME = "Launch Pad Tecnologia, Serviços e Pagamentos Ltda"
HOTMART_CNPJ = "13.427.325/0001-05"


class HotmartBackend(models.Model):
    _inherit = "hotmart.backend"
    # what only Accounting administrators set; the fiscal bridge adds its own
    _hotmart_accounting_fields = ACCOUNTING_FIELDS

    invoice_policy = fields.Selection(
        [
            ("none", "Never"),
            ("paid", "When paid"),
            ("guarantee", "When the guarantee ends"),
        ],
        string="Invoicing Policy",
        default="none",
        required=True,
        tracking=True,
        help="Never: orders only. When paid: an order confirmed by a paid Hotmart status is "
        "invoiced and settled at once. When the guarantee ends: once Hotmart says COMPLETE or "
        "the sale's guarantee date has passed, so that refunds within the guarantee never "
        "need a credit note.",
        copy=False,  # a copy starts without invoicing: an accountant sets it
    )
    invoice_since = fields.Datetime(
        string="Invoice Sales Since",
        tracking=True,
        copy=False,
        help="Automatic runs invoice only the sales that reached the policy (were approved, "
        "or ended their guarantee) at or after this moment. Left empty, it is the moment you "
        "save the policy; set it earlier to invoice past sales too.",
    )
    invoice_since_count = fields.Integer(
        string="Sales to Invoice",
        compute="_compute_invoice_since_count",
        help="Received sales that reached the policy since Invoice Sales Since and are not "
        "invoiced yet: the next invoicing run (hourly) invoices them.",
    )
    invoice_since_summary = fields.Char(
        compute="_compute_invoice_since_count",
        help="What Invoice Sales Since means for the sales received already, before saving.",
    )
    exchange_difference_limit = fields.Float(
        string="Exchange Difference Limit (%)",
        default=10.0,
        tracking=True,
        help="A sale whose invoice, in company currency, differs by more than this share from "
        "what Hotmart grossed is not invoiced: it fails and names the rate to check. Within "
        "it, the difference is booked as exchange difference.",
        copy=False,  # a copy starts without invoicing: an accountant sets it
    )
    tz = fields.Selection(
        _tz_get,
        string="Booking Time Zone",
        default=lambda self: self._default_tz(),
        copy=False,
        help="The days invoices and settlements are booked on are days of this time zone: a "
        "sale approved at 22:00 in São Paulo is booked that day, whoever's run books it.",
    )
    accounting_editable = fields.Boolean(
        compute="_compute_accounting_editable",
        # a new record's form takes defaults, not computed values, for its first screen
        default=lambda self: self._is_accounting_admin(),
    )
    invoice_journal_id = fields.Many2one(
        "account.journal",
        string="Sales Journal",
        check_company=True,
        domain="[('type', '=', 'sale')]",
        default=lambda self: self._default_invoice_journal(),
        help="The journal of the invoices of Hotmart sales.",
        copy=False,  # a copy starts without invoicing: an accountant sets it
    )
    payment_journal_id = fields.Many2one(
        "account.journal",
        string="Hotmart Balance Journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="A bank journal that holds what Hotmart owes you: every settled sale adds its net "
        "amount, every refund takes it back, and Hotmart's payouts to your bank leave it. Left "
        "empty with a policy, one named after the account (Hotmart (...)) is created when "
        "you save.",
        copy=False,  # a copy starts without invoicing: an accountant sets it
    )
    fee_account_id = fields.Many2one(
        "account.account",
        string="Hotmart Fee Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Expense account for Hotmart's fee on each sale.",
        copy=False,  # a copy starts without invoicing: an accountant sets it
    )
    commission_account_id = fields.Many2one(
        "account.account",
        string="Commissions Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Expense account for the commissions of co-producers and affiliates.",
        copy=False,  # a copy starts without invoicing: an accountant sets it
    )

    @api.model
    def _default_tz(self):
        """The company's time zone; a Brazilian company without one books in São Paulo's."""
        company = self.env.company
        if company.partner_id.tz:
            return company.partner_id.tz
        if company.country_id.code == "BR":
            return "America/Sao_Paulo"
        return self.env.user.tz or "UTC"

    def _booking_day(self, moment):
        """The day of a naive UTC moment in the account's booking time zone."""
        self.ensure_one()
        zone = pytz.timezone(self.tz or "UTC")
        return pytz.utc.localize(moment).astimezone(zone).date()

    @api.depends_context("uid")
    def _compute_accounting_editable(self):
        editable = self._is_accounting_admin()
        for backend in self:
            backend.accounting_editable = editable

    @api.model
    def _is_accounting_admin(self):
        user = self.env.user
        return bool(
            self.env.su or user._is_superuser() or user.has_group("account.group_account_manager")
        )

    @api.depends("invoice_policy", "invoice_since")
    def _compute_invoice_since_count(self):
        Sale = self.env["hotmart.sale"].sudo()
        for backend in self:
            count = 0
            if backend.invoice_policy != "none" and backend._origin.id:
                count = Sale.search_count(
                    backend._origin._due_domain(backend.invoice_policy, backend.invoice_since)
                )
            backend.invoice_since_count = count
            backend.invoice_since_summary = backend._invoice_since_summary(count)

    def _invoice_since_summary(self, count):
        if count == 1:
            return self.env._(
                "1 received sale reached the policy since then and is not invoiced yet: the "
                "next invoicing run (hourly) invoices and settles it, on the day it reached "
                "the policy."
            )
        if count:
            return self.env._(
                "%(count)s received sales reached the policy since then and are not invoiced "
                "yet: the next invoicing run (hourly) invoices and settles them, each on the "
                "day it reached the policy.",
                count=count,
            )
        return self.env._(
            "No received sale reached the policy since then and waits for an invoice."
        )

    def _hotmart_partner(self):
        """Hotmart as a contact of the account's company, the partner of its fee lines:
        Hotmart's Brazilian entity bills producers its fees in a monthly note. Made once per
        company under an xml id (an advisory lock keeps two runs from making two), and made
        again if somebody deleted it."""
        self.ensure_one()
        partner = self._hotmart_partner_data()[1]
        if partner:
            return partner
        company = self.company_id
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"hotmart-partner-{company.id}"]
        )
        data, partner = self._hotmart_partner_data()
        if partner:
            return partner
        partner = (
            self.env["res.partner"]
            .sudo()
            .create(
                {
                    "name": HOTMART_NAME,
                    "is_company": True,
                    "vat": HOTMART_CNPJ,
                    "company_id": company.id,
                    "country_id": self.env.ref("base.br").id,
                    "website": "https://hotmart.com",
                    "comment": HOTMART_LEGAL_NAME,
                }
            )
        )
        if data:  # its contact was deleted: the xml id now names the new one
            data.res_id = partner.id
        else:
            self.env["ir.model.data"].sudo().create(
                {
                    "module": "hotmart_connector",
                    "name": f"hotmart_partner_company_{company.id}",
                    "model": "res.partner",
                    "res_id": partner.id,
                    "noupdate": True,
                }
            )
        return partner

    def _hotmart_partner_data(self):
        """(xml id row, existing contact or None) of Hotmart's contact in this company, read
        from the table, not Odoo's cache of xml ids (a rolled back run may have left one)."""
        data = (
            self.env["ir.model.data"]
            .sudo()
            .search(
                [
                    ("module", "=", "hotmart_connector"),
                    ("name", "=", f"hotmart_partner_company_{self.company_id.id}"),
                ],
                limit=1,
            )
        )
        partner = self.env["res.partner"].sudo().browse(data.res_id).exists() if data else None
        return data, partner or None

    @api.model
    def _default_invoice_journal(self):
        # read as the connector: a Hotmart manager without accounting rights creates accounts
        Journal = self.env["account.journal"].sudo()
        company = self.env["res.company"].browse(self.env.context.get("default_company_id"))
        return Journal.search(
            [*Journal._check_company_domain(company or self.env.company), ("type", "=", "sale")],
            limit=1,
        )

    @api.constrains("payment_journal_id")
    def _check_payment_journal(self):
        for backend in self.sudo().filtered("payment_journal_id"):
            journal = backend.payment_journal_id
            if journal.currency_id and journal.currency_id != backend.company_id.currency_id:
                raise ValidationError(
                    self.env._(
                        "The Hotmart balance journal %(journal)s must be in the company's "
                        "currency: the settlements are booked in it.",
                        journal=journal.display_name,
                    )
                )
            if not (
                journal._hotmart_balance_method_lines("inbound")
                and journal._hotmart_balance_method_lines("outbound")
            ):
                raise ValidationError(
                    self.env._(
                        "Journal %(journal)s does not post payments to its own account, so its "
                        "balance would not be what Hotmart owes you. Use Create next to the "
                        "field, or set the account of the journal's Manual incoming and "
                        "outgoing payment methods to %(account)s.",
                        journal=journal.display_name,
                        account=journal.default_account_id.display_name,
                    )
                )

    @api.constrains("fee_account_id", "commission_account_id")
    def _check_expense_accounts(self):
        for backend in self.sudo():
            for name in ("fee_account_id", "commission_account_id"):
                account = backend[name]
                if account and (
                    account.account_type not in EXPENSE_TYPES
                    or backend.company_id not in account.company_ids
                ):
                    raise ValidationError(
                        self.env._(
                            "Account %(name)s: %(field)s must be an expense account of "
                            "%(company)s; %(account)s is not.",
                            name=backend.name,
                            field=backend._field_label(name),
                            company=backend.company_id.name,
                            account=account.display_name,
                        )
                    )

    @api.constrains("invoice_journal_id", "payment_journal_id")
    def _check_journal_types(self):
        for backend in self.sudo():
            for name, kind in (("invoice_journal_id", "sale"), ("payment_journal_id", "bank")):
                journal = backend[name]
                if journal and journal.type != kind:
                    raise ValidationError(
                        self.env._(
                            "Account %(name)s: %(field)s must be a %(kind)s journal; "
                            "%(journal)s is not.",
                            name=backend.name,
                            field=backend._field_label(name),
                            kind=dict(journal._fields["type"]._description_selection(self.env))[
                                kind
                            ],
                            journal=journal.display_name,
                        )
                    )

    @api.constrains("exchange_difference_limit")
    def _check_exchange_difference_limit(self):
        for backend in self:
            if not 0 <= backend.exchange_difference_limit <= 100:
                raise ValidationError(
                    self.env._(
                        "Account %(name)s: the exchange difference limit is a percentage "
                        "from 0 to 100.",
                        name=backend.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [self._with_invoice_since(vals) for vals in vals_list]
        backends = super().create(vals_list)
        backends._create_missing_payment_journals()
        return backends

    def write(self, vals):
        starting = self.browse()
        if vals.get("invoice_policy", "none") != "none" and "invoice_since" not in vals:
            # invoicing starts when it is switched on, unless a person chose when
            starting = self.filtered(lambda b: b.invoice_policy == "none" or not b.invoice_since)
        result = super().write(vals)
        if starting:  # the person may set the policy (checked above): the date follows it
            starting.sudo().write({"invoice_since": fields.Datetime.now()})
        if "invoice_policy" in vals or "payment_journal_id" in vals:
            self._create_missing_payment_journals()
        return result

    @api.model
    def _with_invoice_since(self, vals):
        if vals.get("invoice_policy", "none") != "none" and not vals.get("invoice_since"):
            return dict(vals, invoice_since=fields.Datetime.now())
        return vals

    def _create_missing_payment_journals(self):
        for backend in self.filtered(
            lambda b: b.invoice_policy != "none" and not b.payment_journal_id
        ):
            as_connector(backend)._create_payment_journal()

    def _hotmart_check_guarded(self, vals_list):
        """Only Accounting administrators decide what the connector books and where. A
        form saved by somebody else sends these fields unchanged (or empty on a new
        account): that changes nothing, and passes."""
        refuse_unless(
            self._is_accounting_admin(),
            self,
            [self._accounting_changes(vals) for vals in vals_list],
            self._hotmart_accounting_fields,
            lambda names: self.env._(
                "Only Accounting administrators set %(fields)s of a Hotmart account: they "
                "decide what the connector books.",
                fields=names,
            ),
        )
        return super()._hotmart_check_guarded(vals_list)

    def _accounting_changes(self, vals):
        """The accounting fields ``vals`` would change: on new accounts, those given a value
        other than the default; on existing ones, those whose value differs."""
        changes = {}
        for name in self._hotmart_accounting_fields:
            if name not in vals:
                continue
            field = self._fields[name]
            value = vals[name]
            if not self.ids:
                default = self.default_get([name]).get(name)
                if (value or False) not in (False, default or False):
                    changes[name] = value
            elif any(
                field.convert_to_record(field.convert_to_cache(value, record), record)
                != record[name]
                for record in self
            ):
                changes[name] = value
        return changes

    @api.constrains("invoice_policy", *POLICY_SETTINGS)
    def _check_invoice_settings(self):
        for backend in self.sudo().filtered(lambda b: b.invoice_policy != "none"):
            missing = backend._missing_invoice_settings()
            if missing:
                raise ValidationError(
                    self.env._(
                        "Account %(name)s invoices its sales: choose %(fields)s on the Accounting "
                        "tab, or set the Invoicing Policy to Never.",
                        name=backend.name,
                        fields=", ".join(missing),
                    )
                )

    def _missing_invoice_settings(self):
        self.ensure_one()
        return [self._field_label(name) for name in POLICY_SETTINGS if not self[name]]

    def action_create_payment_journal(self):
        """Create a bank journal named "Hotmart" for the Hotmart balance, and use it (the
        form saves first, which creates it already when a policy is chosen)."""
        self.ensure_one()
        if self.payment_journal_id:
            return True
        if not self._is_accounting_admin():
            raise AccessError(
                self.env._(
                    "Only Accounting administrators create the Hotmart balance journal of a "
                    "Hotmart account."
                )
            )
        # as the connector, in a clean context: no default_* of the caller shapes the journal
        as_connector(self)._create_payment_journal()
        return True

    def _create_payment_journal(self):
        self.ensure_one()
        Journal = self.env["account.journal"].with_company(self.company_id)
        codes = set(Journal.search([("company_id", "=", self.company_id.id)]).mapped("code"))
        code = next(c for c in ("HTMT", *(f"HTM{i}" for i in range(1, 100))) if c not in codes)
        journal = Journal.create(
            {
                "name": self.env._("Hotmart (%(account)s)", account=self.name),
                "type": "bank",
                "code": code,
                "company_id": self.company_id.id,
                "currency_id": False,
            }
        )
        # payments go straight to the journal's own account: its balance is what Hotmart owes
        (journal.inbound_payment_method_line_ids | journal.outbound_payment_method_line_ids).write(
            {"payment_account_id": journal.default_account_id.id}
        )
        self.payment_journal_id = journal
        return journal

    @api.model
    def _cron_invoice_sales(self):
        """Scheduled action: invoice and settle what reached the policy (guarantees that
        ended meanwhile, failures to retry), and settle refunds of invoiced sales."""
        self.env["hotmart.run"]._for_active_accounts(
            "_invoice_due", lambda env: env._("the invoicing run")
        )

    def _invoice_work_domain(self):
        """Sales with work waiting: due since Invoice Sales Since (or failed before), or
        invoiced and then refunded (whatever the policy is now)."""
        self.ensure_one()
        reversals = [
            ("backend_id", "=", self.id),
            ("sale_order_id", "!=", False),
            ("invoice_state", "=", "invoiced"),
            "|",
            ("status", "in", REVERSING_STATUSES),
            "&",
            ("status", "=", "PARTIALLY_REFUNDED"),
            ("partial_refund_noted", "=", False),
        ]
        if self.invoice_policy == "none":
            return reversals
        return expression.OR([self._due_domain(self.invoice_policy, self.invoice_since), reversals])

    def _due_domain(self, policy, since):
        """Received sales not invoiced yet that reached ``policy`` at or after ``since``:
        paid (approved) for *When paid*, their guarantee over for *When the guarantee
        ends*. The day a sale reached it is ``hotmart.sale._policy_date``."""
        self.ensure_one()
        now = fields.Datetime.now()
        if policy == "paid":
            due = [("status", "in", PAID_STATUSES)]
            reached = ["|", ("approved_date", ">=", since), "&", ("approved_date", "=", False)]
            reached.append(("order_date", ">=", since))
        else:
            due = [
                "|",
                ("status", "=", "COMPLETE"),
                "&",
                ("status", "=", "APPROVED"),
                ("warranty_expire_date", "<=", now),
            ]
            reached = ["|", ("warranty_expire_date", ">=", since), "&"]
            reached += [("warranty_expire_date", "=", False), ("approved_date", ">=", since)]
        return expression.AND(
            [
                [
                    ("backend_id", "=", self.id),
                    ("sale_order_id", "!=", False),
                    ("commission_as", "=", OWN_SALE_ROLE),
                    ("invoice_state", "in", ("no", "to_invoice", "failed")),
                ],
                due,
                reached if since else [],
            ]
        )
