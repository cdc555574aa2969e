"""The account's runs: fetch a window, store it, receive what waits; the scheduled actions
with their commits, retries and error bookkeeping; payload retention."""

import logging
from datetime import timedelta
from itertools import zip_longest

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import split_every

from ..const import SALE_STATUS_CODES
from ..hotmart.exceptions import HotmartError
from ..hotmart.read_ahead import read_ahead
from ..hotmart.records import BuyersInWaiting, parse_product
from .bulk import retry_lost_races
from .explain import explain
from .guard import as_connector, check_hotmart_role, commits, committing_run

_logger = logging.getLogger(__name__)

# The receive window starts this long before the last good run: late approvals are caught.
RECEIVE_OVERLAP = timedelta(hours=2)
RECEIVE_BATCH = 500  # sales turned into orders per transaction
RECEIVE_PER_RUN = 2000  # a scheduled run stops after this many and asks to run again
# A batch lost to a concurrent run is tried again this many times; every lost race means
# another run made progress, so the retries converge.
RACE_RETRIES = 8


class HotmartBackend(models.Model):
    _inherit = "hotmart.backend"

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

    def action_receive_orders(self):
        """'Receive Orders Now': the scheduled action's work, for this account, now."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_user")
        self._check_connected()
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
            fetch_error = explain(self.env, error)
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
        return retry_lost_races(
            self.env,
            lambda: Sale.browse(sale_ids)._receive(origin),
            RACE_RETRIES,
            f"Hotmart account {self.id}: a receive batch",
            commits(),
        )

    def _receive_new_sales_notification(self, result):
        received, failed, remaining = result["received"], result["failed"], result.get("remaining")
        if not received:
            sentences = [self.env._("No new order.")]
        elif received == 1:
            sentences = [self.env._("1 order received.")]
        else:
            sentences = [self.env._("%(count)s orders received.", count=received)]
        if failed == 1:
            sentences.append(self.env._("1 sale failed: its error says why."))
        elif failed:
            sentences.append(
                self.env._("%(count)s sales failed: their errors say why.", count=failed)
            )
        if remaining == 1:
            sentences.append(self.env._("1 more sale waits: the scheduled action goes on with it."))
        elif remaining:
            sentences.append(
                self.env._(
                    "%(count)s more sales wait: the scheduled action goes on with them.",
                    count=remaining,
                )
            )
        if result.get("fetch_error"):
            sentences.append(
                self.env._(
                    "Hotmart could not be read completely (%(reason)s): the next run reads the "
                    "same period again.",
                    reason=result["fetch_error"],
                )
            )
        return self._notification(
            "warning" if failed or result.get("fetch_error") else "success",
            self.env._("Hotmart: %(name)s", name=self.name),
            " ".join(sentences),
        )

    def action_apply_mapping(self):
        """'Apply Mapping Now': every order of the account whose last applied Hotmart status
        differs from its sale's status follows the mapping now (a fixed mapping line, Allow
        Going Back switched on, a move refused before)."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_manager")
        orders = as_connector(self.env["sale.order"])._hotmart_out_of_step(backend=self)
        result = orders._hotmart_apply_status(self.env._("the Apply Mapping Now button"))
        applied, refused = len(result["applied"]), len(result["refused"])
        sentences = []
        if not applied and not refused:
            sentences.append(self.env._("Every order already follows its Hotmart status."))
        elif applied == 1:
            sentences.append(self.env._("1 order follows its Hotmart status now."))
        elif applied:
            sentences.append(
                self.env._("%(count)s orders follow their Hotmart status now.", count=applied)
            )
        if refused == 1:
            sentences.append(self.env._("1 order could not: its chatter says why."))
        elif refused:
            sentences.append(
                self.env._("%(count)s orders could not: their chatter says why.", count=refused)
            )
        message = " ".join(sentences)
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

    def _products_message(self, created, known):
        sentences = []
        if created == 1:
            sentences.append(self.env._("1 product created."))
        elif created:
            sentences.append(self.env._("%(count)s products created.", count=created))
        if known == 1:
            sentences.append(self.env._("1 product was known already."))
        elif known:
            sentences.append(self.env._("%(count)s products were known already.", count=known))
        return " ".join(sentences) or self.env._("Hotmart has no product yet.")

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
                "message": self._products_message(created, known),
            },
        }
