import json
import logging

from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import PAYMENT_TYPES, SALE_STATUSES, STATUS_LIFECYCLE, STATUS_STAGES
from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.readers import without_nul
from ..hotmart.records import buyers_by_transaction, parse_history_item
from .bulk import changed_values, raise_concurrent_run
from .explain import explain
from .formatting import format_document, format_money
from .sale_columns import _buyer_values, purchase_values, without_worse_phone

_logger = logging.getLogger(__name__)


def _naive_utc(moment):
    return moment.replace(tzinfo=None) if moment else False


def _said_at(event):
    """When Hotmart said what a webhook event says (naive UTC), or False."""
    return event.creation_date.replace(tzinfo=None) if event.creation_date else False


# Waiting for an order: the states a sale moves between as the mapping and the window change.
WAITING_STATES = ("pending", "not_imported", "before_since", "commission_only")


def _purchase_transaction(item):
    purchase = item.get("purchase") if isinstance(item, dict) else None
    value = purchase.get("transaction") if isinstance(purchase, dict) else None
    return str(value).strip() if value not in (None, "") else ""


class HotmartSale(models.Model):
    """One Hotmart transaction of one account: what Hotmart said, and the order made of it."""

    _name = "hotmart.sale"
    _description = "Hotmart Sale"
    _order = "order_date desc, id desc"
    _rec_name = "transaction"

    backend_id = fields.Many2one(
        "hotmart.backend", string="Account", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    transaction = fields.Char(required=True, readonly=True, index=True)
    status = fields.Selection(SALE_STATUSES, string="Hotmart Status", readonly=True, index=True)
    status_date = fields.Datetime(
        readonly=True,
        copy=False,
        help="When Hotmart said the current status: an older event never overrides it.",
    )
    status_read_date = fields.Datetime(
        readonly=True,
        copy=False,
        help="When Hotmart's sales history last said the current status.",
    )
    status_source = fields.Selection(
        [("rest", "Hotmart's sales history"), ("webhook", "A Hotmart webhook")],
        readonly=True,
        copy=False,
        help="Who last told the current status. Hotmart's history may lag behind its "
        "webhooks, and a webhook may be old news: neither moves a sale back past what the "
        "other said.",
    )
    order_date = fields.Datetime(readonly=True, index=True)
    approved_date = fields.Datetime(readonly=True)
    buyer_name = fields.Char(readonly=True)
    buyer_email = fields.Char(string="Buyer E-mail", readonly=True)
    buyer_document = fields.Char(
        readonly=True,
        help="CPF and CNPJ as digits; a DNI, CIF or other document as Hotmart gave it.",
    )
    buyer_document_display = fields.Char(
        string="Buyer Document (formatted)",
        compute="_compute_buyer_document_display",
        help="A CPF or CNPJ written as on the contact (123.456.789-09); others as given.",
    )
    buyer_ucode = fields.Char(string="Buyer Hotmart Code", readonly=True)
    buyer_document_type = fields.Char(readonly=True, help="CPF, CNPJ, DNI, CIF or DOCUMENT.")
    buyer_phone = fields.Char(
        readonly=True, help="In international format where Hotmart tells the buyer's country."
    )
    buyer_street = fields.Char(readonly=True)
    buyer_street_number = fields.Char(readonly=True)
    buyer_street_complement = fields.Char(readonly=True)
    buyer_district = fields.Char(readonly=True)
    buyer_city = fields.Char(readonly=True)
    buyer_state_code = fields.Char(string="Buyer State", readonly=True)
    buyer_country = fields.Char(readonly=True)
    buyer_country_code = fields.Char(readonly=True)
    buyer_zip = fields.Char(string="Buyer ZIP", readonly=True)
    product_name = fields.Char(readonly=True)
    hotmart_product_id = fields.Char(string="Hotmart Product ID", readonly=True)
    amount = fields.Monetary(
        string="Amount (figure)",
        readonly=True,
        currency_field="currency_id",
        aggregator=None,
        help="In the sale's currency.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount_display = fields.Char(
        string="Amount",
        compute="_compute_amount_display",
        help="The sale's amount with its own currency (COP 777.660,00, not $ 777.660,00): what "
        "the buyer paid, or has to pay while the sale is unpaid.",
    )
    amount_company = fields.Monetary(
        string="Amount (company currency)",
        compute="_compute_amount_company",
        store=True,
        currency_field="company_currency_id",
        help="The amount in company currency, as the order is made: USD and EUR at the "
        "account's rates, other currencies at Odoo's rate of the order date. Empty while "
        "Odoo has no rate for the sale's currency. The only amount that is added up.",
    )
    currency_id = fields.Many2one("res.currency", readonly=True)
    currency_code = fields.Char(readonly=True, help="The currency as Hotmart spells it.")
    payment_type = fields.Char(string="Payment Type Code", readonly=True)
    payment_type_label = fields.Selection(
        PAYMENT_TYPES, string="Payment Type", compute="_compute_payment_type_label", store=True
    )
    installments = fields.Integer(readonly=True, aggregator=None)
    recurrence_number = fields.Integer(readonly=True, aggregator=None)
    payload = fields.Json(readonly=True, copy=False, help="What Hotmart sent, as received.")
    payload_display = fields.Text(string="Hotmart Payload", compute="_compute_payload_display")
    sale_order_id = fields.Many2one(
        "sale.order",
        readonly=True,
        copy=False,
        index=True,
        ondelete="set null",
    )
    partner_id = fields.Many2one(related="sale_order_id.partner_id", string="Customer")
    state = fields.Selection(
        [
            ("pending", "To Receive"),
            ("not_imported", "Not Imported"),
            ("before_since", "Before Receive Since"),
            ("commission_only", "Commission Only"),
            ("done", "Received"),
            ("failed", "Failed"),
            ("ignored", "Ignored"),
        ],
        default="pending",
        required=True,
        readonly=True,
        index=True,
        copy=False,
    )
    error = fields.Text(readonly=True, copy=False)

    _sql_constraints = [
        (
            "transaction_uniq",
            "unique(backend_id, transaction)",
            "A Hotmart transaction is stored once per account.",
        ),
    ]

    @api.depends("amount", "currency_id", "currency_code")
    def _compute_amount_display(self):
        formatted = {}  # a batch holds few distinct prices: format each once
        for sale in self:
            key = (sale.amount, sale.currency_id, sale.currency_code, sale.company_id)
            if key not in formatted:
                formatted[key] = format_money(self.env, *key)
            sale.amount_display = formatted[key]

    @api.depends("buyer_document", "buyer_document_type")
    def _compute_buyer_document_display(self):
        for sale in self:
            sale.buyer_document_display = format_document(
                sale.buyer_document, sale.buyer_document_type
            )

    @api.depends("payment_type")
    def _compute_payment_type_label(self):
        known = {code for code, _label in PAYMENT_TYPES}
        for sale in self:
            sale.payment_type_label = sale.payment_type if sale.payment_type in known else False

    @api.depends(
        "amount", "currency_id", "order_date", "backend_id.usd_rate", "backend_id.eur_rate"
    )
    def _compute_amount_company(self):
        for backend in self.backend_id:
            sales = self.filtered(lambda s, b=backend: s.backend_id == b)
            first_rate_days = backend._first_rate_days(sales.currency_id)
            for sale in sales:
                try:
                    sale.amount_company = backend._convert_to_company_currency(
                        sale.amount,
                        sale.currency_id,
                        sale.currency_code,
                        sale.order_date,
                        first_rate_days,
                    )
                except UserError:
                    sale.amount_company = False  # no rate yet: not counted as zero
        (self - self.filtered("backend_id")).amount_company = False

    @api.depends("payload")
    def _compute_payload_display(self):
        for sale in self:
            sale.payload_display = (
                json.dumps(sale.payload, indent=2, ensure_ascii=False, sort_keys=True)
                if sale.payload
                else False
            )

    @api.model
    def _read_group(
        self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None
    ):
        """Groups by status come in a sale's lifecycle order (pivot, graph, kanban), not in
        the alphabetical order of Hotmart's codes."""
        groupby = list(groupby)
        rows = super()._read_group(domain, groupby, aggregates, having, offset, limit, order)
        first_order = (order or "status").split(",")[0].strip().lower()
        if groupby and groupby[0] == "status" and first_order in ("status", "status asc"):
            rank = {code: index for index, code in enumerate(STATUS_LIFECYCLE)}
            rows = sorted(rows, key=lambda row: rank.get(row[0], len(rank)))
        return rows

    # ------------------------------------------------------------------ storing

    @api.model
    def _values_from_record(self, record, currencies):
        return {
            "status": record.status,
            "status_source": record.source,
            "status_read_date": fields.Datetime.now() if record.source == "rest" else False,
            "order_date": _naive_utc(record.order_date),
            "approved_date": _naive_utc(record.approved_date),
            "buyer_name": record.buyer.name,
            "buyer_email": record.buyer.email,
            **_buyer_values(record.buyer),
            "product_name": record.product_name,
            "hotmart_product_id": record.product_id or False,
            "amount": float(record.amount),
            "currency_code": record.currency,
            "currency_id": currencies.get(record.currency, False),
            "payment_type": record.payment_type,
            "installments": record.installments,
            "recurrence_number": record.recurrence_number,
        }

    @api.model
    def _currency_ids_by_code(self, codes, known=None):
        """{code: currency id} of the codes Odoo knows; a batch passes those it looked up
        for all its sales as ``known``."""
        known = known or {}
        found = {code: known[code] for code in codes if code in known}
        missing = set(codes) - found.keys()
        if missing:
            currencies = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search_read([("name", "in", list(missing))], ["name"])
            )
            found.update({currency["name"]: currency["id"] for currency in currencies})
        return found

    @api.model
    def _store_history_page(self, backend, items, users_of=None, cause=None):
        """Store one /sales/history page: a row per transaction, created or updated in bulk.

        ``users_of(transaction)`` gives the sale's /sales/users item when it was read with
        the page: the sale is then written once, with its buyer. An item that cannot be
        read is stored as failed with the reason, so nothing is lost; only an item without
        any transaction cannot be stored, and is logged.
        """
        entries = {}
        records = {}
        for item in items:
            transaction = _purchase_transaction(item)
            if not transaction:
                _logger.warning(
                    "Hotmart account %s: a sale without transaction was skipped.", backend.id
                )
                continue
            payload = {"source": "rest", "history": without_nul(item)}
            users = users_of(transaction) if users_of else None
            buyer = None
            if users is not None:
                payload["users"] = without_nul(users)
                buyer = buyers_by_transaction([users]).get(transaction)
            try:
                records[transaction] = parse_history_item(item, buyer)
            except HotmartBadPayloadError as error:
                entries[transaction] = {
                    "payload": payload,
                    "state": "failed",
                    "error": explain(self.env, error),
                }
                continue
            entries[transaction] = {"payload": payload}
        currencies = self._currency_ids_by_code(
            {r.currency for r in records.values()}
            | {r.hotmart_fee_currency for r in records.values() if r.hotmart_fee_currency}
        )
        for transaction, record in records.items():
            # no status_date: a REST read carries no event time, so it never makes a
            # webhook stale (staleness is judged on Hotmart's event times only)
            entries[transaction].update(self._values_from_record(record, currencies))
        sales = self._upsert(backend, entries)
        sales._sync_import_state()
        sales._count_amounts_without_rate_again()
        sales._apply_status_to_orders(cause)
        return sales

    @api.model
    def _store_buyers_page(self, backend, items):
        """Attach one /sales/users page's participants to the sales already stored."""
        raw = {}
        for item in items:
            transaction = (
                str(item.get("transaction") or "").strip() if isinstance(item, dict) else ""
            )
            if transaction:
                raw[transaction] = item
        if not raw:
            return self.browse()
        buyers = buyers_by_transaction(list(raw.values()))
        sales = self.search([("backend_id", "=", backend.id), ("transaction", "in", list(raw))])
        for sale in sales:
            buyer = buyers.get(sale.transaction)
            values = {}
            if not sale._payload_expired():
                values["payload"] = dict(
                    sale.payload or {}, users=without_nul(raw[sale.transaction])
                )
            if buyer:
                values.update(_buyer_values(buyer))
                # the history's name and e-mail stay: /sales/users only fills them in
                values.update(
                    buyer_name=sale.buyer_name or buyer.name,
                    buyer_email=sale.buyer_email or buyer.email,
                )
            sale._write_changes(values)
        return sales

    @api.model
    def _upsert(self, backend, entries):
        """Create the transactions not stored yet, update the others; returns all of them."""
        existing = self.search(
            [("backend_id", "=", backend.id), ("transaction", "in", list(entries))]
        )
        for sale in existing:
            sale._update_from_hotmart(entries.pop(sale.transaction))
        vals_list = [
            dict(values, backend_id=backend.id, transaction=transaction)
            for transaction, values in entries.items()
        ]
        return existing | self._create_tolerating_duplicates(backend, vals_list)

    @api.model
    def _create_tolerating_duplicates(self, backend, vals_list):
        """Bulk create; when a concurrent run stored some first, update those instead."""
        if not vals_list:
            return self.browse()
        try:
            with self.env.cr.savepoint():
                return self.create(vals_list)
        except errors.UniqueViolation:
            _logger.info("Hotmart sales stored meanwhile by another run; merging one by one.")
        created = self.browse()
        for values in vals_list:
            try:
                with self.env.cr.savepoint():
                    created |= self.create([values])
            except errors.UniqueViolation:
                sale = self.search(
                    [("backend_id", "=", backend.id), ("transaction", "=", values["transaction"])]
                )
                if not sale:
                    # stored by a transaction this one cannot see: retry in a new one
                    raise_concurrent_run(self.env.cr, self._description)
                sale._update_from_hotmart(values)
                created |= sale
        return created

    def _update_from_hotmart(self, values):
        """Refresh a stored sale with what Hotmart says now; hook for status changes."""
        self.ensure_one()
        values = dict(values)
        payload = values.pop("payload", None)
        if payload is not None:
            # keep the participants fetched before, unless the new payload brings its own
            values["payload"] = dict(self.payload or {}, **payload)
        if values.get("state") == "failed" and self.state == "done":
            # an order exists: a later unreadable answer does not undo it
            values.pop("state")
            values.pop("error", None)
        elif self.state == "failed" and "state" not in values:
            values.update(state="pending", error=False)
        said_at = values.pop("status_date", None)
        # where and when the status was learnt change with the status only: re-reading an
        # unchanged sale writes nothing
        values.pop("status_source", None)
        values.pop("status_read_date", None)
        status = values.pop("status", None)
        if status and not self._is_older_news(status, said_at):
            if said_at:
                values.update(status_date=said_at, status_source="webhook")
            if status != self.status:
                values["status"] = status
                if not said_at:
                    values.update(status_source="rest", status_read_date=fields.Datetime.now())
        values = without_worse_phone(values, self.buyer_phone)
        if self._payload_expired(values.get("status", self.status)):
            values.pop("payload", None)  # its retention is over: never store it again
        self._write_changes(values)

    def _is_older_news(self, status, said_at=None):
        """Whether Hotmart saying ``status`` (in a webhook created at ``said_at``, or in its
        history when None) is older than what the sale knows (docs/architecture.md):

        - a webhook older than the newest one applied is old news;
        - a webhook created before the history last changed the status never moves the sale
          back to an earlier stage (an old approval processed again after the sync read
          REFUNDED); one created after it is news;
        - the history moves a status a webhook said only to a later stage: it may lag
          behind the webhooks, so it never makes a webhook look old.
        """
        self.ensure_one()
        if said_at and self.status_date and said_at < self.status_date:
            return True
        if not self.status or status == self.status:
            return False
        new_stage, stage = STATUS_STAGES.get(status, 0), STATUS_STAGES.get(self.status, 0)
        if not said_at:
            return self.status_source == "webhook" and new_stage <= stage
        return bool(
            new_stage < stage
            and self.status_source == "rest"
            and self.status_read_date
            and said_at < self.status_read_date
        )

    def _payload_expired(self, status=None):
        """Whether this sale's raw payload is past the account's retention: ordered before
        it, and not waiting for a person's eyes (a failed sale) or for the runs (a sale
        waiting in an imported status, inside the receiving window). Orders are made from
        the stored columns, so a blanked payload never stops a sale from being received."""
        self.ensure_one()
        backend = self.backend_id
        return bool(
            self.order_date
            and self.order_date < backend._payload_retention_limit()
            and self.state != "failed"
            and not (
                self.state == "pending"
                and (status or self.status) in backend._importable_statuses()
                and self.order_date >= backend.import_since
            )
        )

    @api.model
    def _blank_old_payloads(self, backend, limit):
        """Blank the raw payloads of ``backend``'s sales ordered before ``limit`` that
        ``_payload_expired`` lets go; returns how many."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE hotmart_sale SET payload = NULL WHERE backend_id = %s "
            "AND payload IS NOT NULL AND order_date < %s AND state != 'failed' "
            "AND NOT (state = 'pending' AND status = ANY(%s) AND order_date >= %s)",
            [backend.id, limit, list(backend._importable_statuses()), backend.import_since],
        )
        blanked = self.env.cr.rowcount
        self.invalidate_model(["payload"])
        return blanked

    def _count_amounts_without_rate_again(self):
        """Sales read again whose currency had no rate: counted now if Odoo has one."""
        missing = self.filtered(lambda sale: not sale.amount_company and sale.amount)
        if missing:
            self.env.add_to_compute(self._fields["amount_company"], missing)

    def _write_changes(self, values):
        """Write only what differs: re-reading an unchanged sale costs no UPDATE."""
        changed = changed_values(self, values)
        if changed:
            self.write(changed)

    def _apply_status_to_orders(self, cause=None):
        """Orders of these sales follow their sale's Hotmart status where it differs from
        the one last applied (level-triggered: a refused move is tried again next time), and
        their books follow: a refund reverses the invoice, a payment invoices and settles."""
        Settlement = self.env["hotmart.settlement"]
        # a refund reverses the invoice first, so that the order may then be cancelled
        Settlement._book(self, invoice=False)
        orders = self.env["sale.order"].sudo()._hotmart_out_of_step(sales=self)
        result = {"applied": orders, "refused": orders}
        if orders:
            result = orders._hotmart_apply_status(cause or self.env._("status sync"))
        # an order confirmed by a paid status is invoiced as the account's policy says
        Settlement._book(self, reverse=False)
        return result

    @api.model
    def _store_webhook_sale(self, backend, event, data, sale=None, currencies=None):
        """Create or update the sale a purchase event is about; returns (sale, stale).

        ``data`` is the event's raw ``data``, kept to read the sale again later. ``stale`` is
        True when the event is older than the status the sale already has: Hotmart may
        deliver events late and out of order. ``sale``, when the caller looked it up already
        (a batch looks up all of its sales at once), spares searching it again.
        """
        record = event.sale
        said_at = _said_at(event)
        raw = self._webhook_payload(event, data)
        if sale is None:
            sale = self.search(
                [("backend_id", "=", backend.id), ("transaction", "=", record.transaction)]
            )
        if not sale:
            sale = self._create_webhook_sales(backend, [(event, data)], currencies)
            return sale, False
        if sale._is_older_news(record.status, said_at or None):
            return sale, True
        came_by_webhook = (sale.payload or {}).get("source") == "webhook"
        sale._update_from_hotmart(
            {
                "status": record.status,
                "status_date": said_at,
                "payload": raw if came_by_webhook else {"webhook": raw},
                # what a later event adds about the buyer (an address, a document) and the
                # purchase (who invoices, the link, an order bump): the history lacks them
                **_buyer_values(record.buyer),
                **purchase_values(record),
            }
        )
        sale._sync_import_state()
        return sale, False

    @api.model
    def _create_webhook_sales(self, backend, events, currencies=None):
        """Create the sales of [(parsed event, data)], new to this account, in one go;
        ``currencies`` are the ids a batch looked up already."""
        currencies = self._currency_ids_by_code(
            {event.sale.currency for event, _data in events}, currencies
        )
        sales = self._create_tolerating_duplicates(
            backend,
            [
                dict(
                    self._values_from_record(event.sale, currencies),
                    status_date=_said_at(event),
                    payload=self._webhook_payload(event, data),
                    backend_id=backend.id,
                    transaction=event.sale.transaction,
                )
                for event, data in events
            ],
        )
        sales._sync_import_state()
        return sales

    @api.model
    def _webhook_payload(self, event, data):
        return {"source": "webhook", "event": event.event, "data": without_nul(data)}
