"""The connector's runs: read a window of Hotmart, store it, then receive what waits; the
scheduled actions around them, with their commits, retries and error bookkeeping.

Every scheduled action of an account goes through ``_for_active_accounts``: each account
runs alone (one that fails never stops the others), in its company's language, committed
page by page and batch by batch, and a batch that lost a race to a concurrent run is tried
again (``bulk.retry_lost_races``, the one retry loop). Other addons extend it by
inheriting ``hotmart.run``: ``_fetch_status_extras`` reads more of each window and status,
``_receive_batch_size`` sizes the receiving batches.
"""

import logging
from datetime import timedelta
from itertools import zip_longest

from odoo import api, fields, models
from odoo.tools import split_every

from ..const import OWN_SALE_ROLE, PAID_STATUSES, REVERSING_STATUSES, SALE_STATUS_CODES
from ..hotmart.exceptions import HotmartError
from ..hotmart.read_ahead import read_ahead
from ..hotmart.records import BuyersInWaiting
from ..models.bulk import retry_lost_races
from ..models.explain import explain
from ..models.guard import commits, committing_run

_logger = logging.getLogger(__name__)

# The receive window starts this long before the last good run: late approvals are caught.
RECEIVE_OVERLAP = timedelta(hours=2)
RECEIVE_BATCH = 500  # sales turned into orders per transaction
# Sales received per transaction when they are invoiced too: Odoo's reconciliation slows
# down faster than linearly with the payments of one transaction.
RECEIVE_AND_INVOICE_BATCH = 200
RECEIVE_PER_RUN = 2000  # a scheduled run stops after this many and asks to run again
INVOICE_BATCH = 100  # sales invoiced and settled per transaction by the invoicing run
# A batch lost to a concurrent run is tried again this many times; every lost race means
# another run made progress, so the retries converge.
RACE_RETRIES = 8


class HotmartRun(models.AbstractModel):
    _name = "hotmart.run"
    _description = "Hotmart Runs"

    # ------------------------------------------------------------------ running

    @api.model
    def _for_active_accounts(self, run, origin_of):
        """``run`` (a method of this service, given the account and ``origin``) for each
        active account, committed per page; Odoo runs the scheduled action again if work
        waits. ``origin_of(env)`` says in the chatter what brought the news."""
        done = remaining = 0
        with committing_run():
            for backend in self.env["hotmart.backend"].search([("state", "=", "active")]):
                # what the run writes (chatter, errors) is read in the company's language
                backend = backend.with_context(lang=backend._company_lang())
                result = self.with_env(backend.env)._isolated(
                    backend, run, origin=origin_of(backend.env)
                )
                done += result.get("processed", 0)
                remaining += result.get("remaining", 0)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _isolated(self, backend, run, **kwargs):
        """One account's run; an unexpected error never stops the other accounts."""
        try:
            if commits():
                return getattr(self, run)(backend, **kwargs)
            with self.env.cr.savepoint():
                return getattr(self, run)(backend, **kwargs)
        except Exception as error:  # noqa: BLE001 (one account must not stop the others)
            _logger.exception("Hotmart account %s: %s failed", backend.id, run)
            if commits():
                self.env.cr.rollback()
            backend._set_last_error(
                self.env._("Unexpected error, the next run will try again: %(error)s", error=error),
                run,
            )
            return {}

    @api.model
    def _end_of_page(self):
        if commits():
            # scheduled runs keep each page, so that a long run survives and resumes
            self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.invalidate_all()

    @api.model
    def _retrying(self, backend, work, what):
        """``work()``, tried again in a new transaction when it loses a race in a scheduled
        run (``bulk.retry_lost_races``)."""
        return retry_lost_races(
            self.env, work, RACE_RETRIES, f"Hotmart account {backend.id}: {what}", commits()
        )

    # ------------------------------------------------------------------ reading

    @api.model
    def _fetch_sales(self, backend, date_from, date_to, statuses=None, cause=None):
        """Store the sales ordered in [date_from, date_to] and return them.

        Reads the history and the buyers (``/sales/users``) page by page, side by side, one
        status at a time (every status of the mapping when ``statuses`` is None): API calls
        are pages only, and each sale is written once, with its buyer, in bulk. The next
        pages are read while the last ones are stored. In scheduled runs
        (``guard.committing_run``) every page is committed, so memory stays bounded and a
        long run keeps what it read. ``cause`` says in the orders' chatter what brought the
        news (a run, a button).
        """
        backend.ensure_one()
        if statuses is None:
            statuses = backend.status_mapping_ids.mapped("hotmart_status")
        client = backend._get_client()
        Sale = self.env["hotmart.sale"].sudo()
        sale_ids = []
        for status in statuses:
            first_of_status = len(sale_ids)
            pairs = zip_longest(
                client.sales_history(date_from, date_to, status),
                client.sales_users(date_from, date_to, status),
                fillvalue=(),
            )
            buyers = BuyersInWaiting()
            for history_page, users_page in read_ahead(pairs):
                buyers.add(users_page)
                sales = Sale._store_history_page(backend, history_page, buyers.take, cause=cause)
                sale_ids += sales.ids
                buyers.stored(sales.mapped("transaction"))
                Sale._store_buyers_page(backend, buyers.take_stored())
                self._end_of_page()
            if buyers:
                # participants of sales stored by an earlier run
                Sale._store_buyers_page(backend, buyers.take_all())
                self._end_of_page()
            self._fetch_status_extras(
                backend, client, date_from, date_to, status, sale_ids[first_of_status:]
            )
        sales = self.env["hotmart.sale"].browse(list(dict.fromkeys(sale_ids)))
        backend._link_fetched_charges(sales)
        return sales

    @api.model
    def _fetch_status_extras(self, backend, client, date_from, date_to, status, sale_ids):
        """Hook: read more of the same window and status (``sale_ids``: the sales just
        stored). Hotmart's commissions of the paid sales, with invoicing (a refund reverses
        what was booked, as it was), or when the account made some of them as co-producer or
        affiliate (its commission is what they are worth to it)."""
        if status not in PAID_STATUSES:
            return
        if backend.invoice_policy == "none" and not self._has_commission_sales(sale_ids):
            return
        Sale = self.env["hotmart.sale"].sudo()
        for page in client.sales_commissions(date_from, date_to, status):
            Sale._store_settlements_page(backend, page)
            self._end_of_page()

    @api.model
    def _has_commission_sales(self, sale_ids):
        return bool(
            sale_ids
            and self.env["hotmart.sale"]
            .sudo()
            .search_count([("id", "in", sale_ids), ("commission_as", "!=", OWN_SALE_ROLE)], limit=1)
        )

    # ------------------------------------------------------------------ the runs

    @api.model
    def _receive_new_sales(self, backend, origin):
        """Store the window's sales, then receive the pending ones (docs/architecture.md)."""
        backend.ensure_one()
        started = fields.Datetime.now()
        date_from = backend.import_since
        if backend.last_receive_date:
            date_from = max(date_from, backend.last_receive_date - RECEIVE_OVERLAP)
        return self._fetch_window_then_receive(
            backend,
            date_from,
            started,
            backend._importable_statuses(),
            origin,
            run="_receive_new_sales",
            # remembered only when the whole window was stored: a failed run is repeated
            when_complete={"last_receive_date": started},
        )

    @api.model
    def _sync_statuses(self, backend, origin):
        """Re-read the last days, every Hotmart status; orders follow, new paid sales arrive.

        The window is [now - sync_lookback_days, now], whatever ``import_since`` says: a
        boleto paid days after it was issued, a refund within the guarantee, a chargeback
        weeks later, also for orders a person received by hand from before it. Every status
        is read, mapped or not, so that the status shown never goes stale.
        """
        backend.ensure_one()
        now = fields.Datetime.now()
        start = now - timedelta(days=backend.sync_lookback_days)
        result = self._fetch_window_then_receive(
            backend,
            start,
            now,
            list(SALE_STATUS_CODES),
            origin,
            run="_sync_statuses",
            when_complete={"last_sync_date": now},
        )
        try:
            self._read_requested_sales(backend, start, origin)
        except HotmartError as error:
            _logger.warning("Hotmart account %s: requested refunds not read: %s", backend.id, error)
        return result

    @api.model
    def _read_requested_sales(self, backend, window_start, origin):
        """Sales ordered before the sync's window whose refund was asked from Odoo and not
        reported yet: read by transaction, so that their orders and books follow too."""
        Sale = self.env["hotmart.sale"].sudo()
        sales = Sale._pending_refund_requests(backend).filtered(
            lambda sale: sale.order_date and sale.order_date < window_start
        )
        if not sales:
            return
        client = backend._get_client()
        for sale in sales:
            around = (sale.order_date - timedelta(days=1), sale.order_date + timedelta(days=1))
            for status in REVERSING_STATUSES:
                for page in client.sales_history(*around, status, transaction=sale.transaction):
                    Sale._store_history_page(backend, page, cause=origin)
            self._end_of_page()

    @api.model
    def _fetch_window_then_receive(
        self, backend, date_from, date_to, statuses, origin, run, when_complete
    ):
        """Store a window's sales, then receive the waiting importable sales.
        ``when_complete`` is written only if the window was read whole; a Hotmart error is
        kept in ``last_error`` (for ``run``) and the run goes on receiving."""
        fetch_error = False
        try:
            if statuses:
                self._fetch_sales(backend, date_from, date_to, statuses, cause=origin)
        except HotmartError as error:
            fetch_error = explain(self.env, error)
            _logger.warning("Hotmart account %s: reading stopped: %s", backend.id, error.message)
        backend.sudo().write({} if fetch_error else when_complete)
        backend._set_last_error(fetch_error, run)
        self._end_of_page()
        result = self._receive_pending(backend, backend._importable_statuses(), origin)
        result["fetch_error"] = fetch_error
        return result

    @api.model
    def _receive_pending(self, backend, statuses, origin, limit=RECEIVE_PER_RUN):
        """Receive the stored sales still waiting, oldest first, a batch per transaction."""
        Sale = self.env["hotmart.sale"].sudo()
        domain = [
            ("backend_id", "=", backend.id),
            ("sale_order_id", "=", False),
            ("status", "in", statuses),
            ("order_date", ">=", backend.import_since),
        ]
        if not backend.receive_commission_sales:
            # failed co-production and affiliate sales wait too once the setting is off
            domain.append(("commission_as", "=", OWN_SALE_ROLE))
        # failed sales are tried again once per run; they never count as work left
        to_receive = Sale.search(domain + [("state", "=", "failed")], order="order_date, id")
        pending = Sale.search(domain + [("state", "=", "pending")], order="order_date, id")
        to_receive |= pending[:limit]
        counts = {"received": 0, "failed": 0, "processed": 0}
        counts["remaining"] = max(len(pending) - limit, 0)
        for batch_ids in split_every(self._receive_batch_size(backend), to_receive.ids):
            result = self._receive_batch(backend, batch_ids, origin)
            counts["received"] += len(result["received"])
            counts["failed"] += len(result["failed"])
            counts["processed"] += len(batch_ids)
            self.env["ir.cron"]._notify_progress(
                done=counts["processed"],
                remaining=len(to_receive) - counts["processed"] + counts["remaining"],
            )
            self._end_of_page()
        return counts

    @api.model
    def _receive_batch_size(self, backend):
        """Sales received per transaction: larger batches spread each batch's lookups and
        flushes over more orders; sales invoiced as they are received, fewer."""
        if backend.invoice_policy == "paid":
            return RECEIVE_AND_INVOICE_BATCH
        return RECEIVE_BATCH

    @api.model
    def _receive_batch(self, backend, sale_ids, origin):
        """Receive one batch of sales in its own transaction (scheduled runs).

        A batch that lost a race to a concurrent run (the same new buyer or product created
        by another worker, the same rows updated) is rolled back and tried again in a new
        transaction, which sees what the other run made. Outside scheduled runs (a
        person's click, a test) the error goes up to whoever owns the transaction: Odoo
        retries an HTTP request that fails this way.
        """
        Sale = self.env["hotmart.sale"].sudo()
        return self._retrying(
            backend, lambda: Sale.browse(sale_ids)._receive(origin), "a receive batch"
        )

    @api.model
    def _invoice_due(self, backend, origin):
        """Invoice and settle what reached the policy (guarantees that ended meanwhile,
        failures to retry), and settle refunds of invoiced sales, a batch per transaction."""
        Sale = self.env["hotmart.sale"].sudo()
        sale_ids = Sale.search(backend._invoice_work_domain(), order="order_date, id").ids
        for batch_ids in split_every(INVOICE_BATCH, sale_ids):
            # invoices and reversals, and the orders' states that waited on them
            self._retrying(
                backend,
                lambda ids=batch_ids: Sale.browse(ids)._apply_status_to_orders(origin),
                "an invoicing batch",
            )
            self._end_of_page()
        backend._set_last_error(False, "_invoice_due")
        return {"processed": len(sale_ids)}

    @api.model
    def _reconcile(self, backend, origin):
        """Reconcile the status sync's window, up to yesterday, with Hotmart's summary."""
        Line = self.env["hotmart.reconciliation"].sudo()
        first, last = Line._recent_days(backend)
        try:
            lines = Line._reconcile(backend, first, last)
        except HotmartError as error:
            backend._set_last_error(explain(self.env, error), "_reconcile")
            return {}
        backend.sudo().last_reconcile_date = fields.Datetime.now()
        backend._set_last_error(False, "_reconcile")
        return {"processed": len(lines)}

    @api.model
    def _sync_subscriptions(self, backend, origin):
        return backend._sync_subscriptions(origin)

    @api.model
    def _link_waiting_charges(self, backend, origin):
        linked = backend._link_subscription_charges()
        backend._set_last_error(False, "_link_waiting_charges")
        return {"processed": linked}
