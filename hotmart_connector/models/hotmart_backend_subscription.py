import logging
from datetime import timedelta

from odoo import api, fields, models

from ..hotmart.client import to_epoch_ms
from ..hotmart.exceptions import HotmartError
from ..hotmart.subscriptions import charges_by_transaction, subscriptions_from_page
from .explain import explain
from .guard import as_connector, check_hotmart_role

_logger = logging.getLogger(__name__)

# A new subscriber's first charge is ordered about when the subscription starts.
ACCESSION_MARGIN = timedelta(days=1)
# Charges a run could not place are looked up this long after it, once it received them.
LINK_DELAY = timedelta(minutes=5)


def _timed(pages):
    """(when it was asked for, page) of each page: a page tells what Hotmart knew then."""
    while True:
        asked_at = fields.Datetime.now()
        page = next(pages, None)
        if page is None:
            return
        yield asked_at, page


class HotmartBackend(models.Model):
    """The account's subscriptions: the daily sync, and linking charges to subscriptions."""

    # each capability (money, subscriptions) extends the model in a file of its own
    _inherit = "hotmart.backend"  # pylint: disable=consider-merging-classes-inherited

    subscription_ids = fields.One2many("hotmart.subscription", "backend_id", readonly=True)
    subscription_count = fields.Integer(compute="_compute_subscription_count")
    last_subscription_sync_date = fields.Datetime(
        string="Last Subscriptions Sync",
        readonly=True,
        copy=False,
        help="When every subscription of the account was last read completely.",
    )

    def _compute_subscription_count(self):
        counts = dict(
            self.env["hotmart.subscription"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.subscription_count = counts.get(backend, 0)

    # ------------------------------------------------------------------ sync

    @api.model
    def _cron_sync_subscriptions(self):
        """Scheduled action: read every active account's subscriptions."""
        self.env["hotmart.run"]._for_active_accounts(
            "_sync_subscriptions", lambda env: env._("the subscriptions sync")
        )

    def action_sync_subscriptions(self):
        """'Sync Subscriptions': the scheduled action's work, for this account, now."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_manager")
        self._check_connected()
        result = as_connector(self)._sync_subscriptions(self.env._("the Sync Subscriptions button"))
        message = self.env._(
            "%(read)s subscriptions read, %(linked)s charges linked to their subscription.",
            read=result["processed"],
            linked=result["linked"],
        )
        if result.get("fetch_error"):
            message += " " + self.env._(
                "Hotmart could not be read completely (%(reason)s): the next sync tries again.",
                reason=result["fetch_error"],
            )
        return self._notification(
            "warning" if result.get("fetch_error") else "success",
            self.env._("Hotmart: %(name)s", name=self.name),
            message,
        )

    def _sync_subscriptions(self, origin):
        """Read every subscription of the account by pages, then link the charges stored
        without their subscription. Committed per page in scheduled runs."""
        self.ensure_one()
        started = fields.Datetime.now()
        result = {"processed": 0, "linked": 0, "fetch_error": False}
        try:
            for asked_at, page in _timed(self._get_client().subscriptions()):
                stored = self._store_page_retrying(page, origin, asked_at)
                result["processed"] += len(stored)
                self.env["hotmart.run"]._end_of_page()
        except HotmartError as error:
            result["fetch_error"] = explain(self.env, error)
            _logger.warning("Hotmart account %s: subscriptions not read: %s", self.id, error)
            self._set_last_error(
                self.env._(
                    "Subscriptions not read completely: %(reason)s", reason=result["fetch_error"]
                ),
                "_sync_subscriptions",
            )
        else:
            self.sudo().last_subscription_sync_date = started
            self._set_last_error(False, "_sync_subscriptions")
        self.subscription_ids._hotmart_refresh_rates()
        result["linked"] = self._link_subscription_charges(read_missing=False)
        self.env["hotmart.run"]._end_of_page()
        return result

    def _store_subscriptions_page(self, items, cause, asked_at):
        """Store one subscriptions page, dated when it was asked for (it tells what Hotmart
        knew then); an unreadable item is logged and the others go on."""
        records, problems = subscriptions_from_page(items)
        for problem in problems:
            _logger.warning("Hotmart account %s: a subscription was skipped: %s", self.id, problem)
        stored = (
            self.env["hotmart.subscription"].sudo()._hotmart_store(self, records, asked_at, cause)
        )
        return list(stored.values())

    def _store_page_retrying(self, items, cause, asked_at):
        """In scheduled runs, a page that lost a race (a webhook storing the same new
        subscriber) is stored again in a new transaction instead of ending the sync."""
        return self.env["hotmart.run"]._retrying(
            self,
            lambda: self._store_subscriptions_page(items, cause, asked_at),
            "a subscriptions page",
        )

    # ------------------------------------------------------------------ linking charges

    def _link_fetched_charges(self, sales):
        """The subscription charges among ``sales``, just read, are linked to the
        subscriptions Odoo knows at once; for the others, Hotmart is asked by a scheduled
        action of its own, so that receiving never waits for those calls."""
        # searched, not filtered: a 30-day window may hold 90,000 sales, not to be loaded
        charges = (
            self.env["hotmart.sale"]
            .sudo()
            .search(
                [
                    ("id", "in", sales.ids),
                    ("is_subscription", "=", True),
                    ("subscription_id", "=", False),
                ]
            )
        )
        if charges:
            charges._match_known_subscriptions()
            if charges.filtered(lambda s: not s.subscription_id)._due_for_lookup():
                # a few minutes later: after this run has received the charges it stored
                cron = self.env.ref(
                    "hotmart_connector.ir_cron_link_subscription_charges", raise_if_not_found=False
                )
                if cron:
                    cron._trigger(fields.Datetime.now() + LINK_DELAY)

    @api.model
    def _cron_link_subscription_charges(self):
        """Scheduled action: link the charges still without subscription, asking Hotmart."""
        self.env["hotmart.run"]._for_active_accounts(
            "_link_waiting_charges", lambda env: env._("the subscription charges link")
        )

    def _link_subscription_charges(self, sales=None, read_missing=True):
        """Link subscription charges to their subscription; returns how many were linked.

        REST sales carry no subscriber code: they are matched by buyer e-mail and product to
        the subscriptions stored. With ``read_missing``, the subscriptions of the products
        left unmatched are read by pages first (only those started since the oldest charge,
        unless a renewal shows an older one is missing). A buyer with several subscriptions
        of one product is told apart by the subscriptions' charges: one call per such
        subscription, never one per sale. A Hotmart error leaves the rest to the next sync.
        """
        self.ensure_one()
        Sale = self.env["hotmart.sale"].sudo()
        if sales is None:
            sales = Sale.search(
                [
                    ("backend_id", "=", self.id),
                    ("is_subscription", "=", True),
                    ("subscription_id", "=", False),
                ]
            )
        charges = sales.sudo().filtered(lambda s: s.is_subscription and not s.subscription_id)
        if not charges:
            return 0
        ambiguous = charges._match_known_subscriptions()
        # Hotmart is asked once a day at most for a charge it could not place
        unasked = charges._due_for_lookup()
        missing = unasked.filtered(lambda s: not s.subscription_id) - ambiguous
        ambiguous &= unasked
        try:
            client = None
            if missing and read_missing:
                client = self._get_client()
                self._read_subscriptions_of(client, missing)
                ambiguous |= missing._match_known_subscriptions()
            if ambiguous:
                self._link_by_charges(client or self._get_client(), ambiguous)
        except HotmartError as error:
            _logger.warning(
                "Hotmart account %s: subscription charges not all linked: %s", self.id, error
            )
        else:
            asked = (missing if read_missing else charges.browse()) | ambiguous
            asked.filtered(lambda s: not s.subscription_id).write(
                {"subscription_lookup_date": fields.Datetime.now()}
            )
        return len(charges.filtered("subscription_id"))

    def _read_subscriptions_of(self, client, sales):
        """Store the subscriptions of these sales' products, by pages."""
        filters = {}
        if all(sale.recurrence_number <= 1 and sale.order_date for sale in sales):
            since = min(sales.mapped("order_date")) - ACCESSION_MARGIN
            filters["accession_date"] = to_epoch_ms(since)
        cause = self.env._("a charge received")
        for product_id in sorted(set(sales.mapped("hotmart_product_id")) - {False, ""}):
            for asked_at, page in _timed(client.subscriptions(product_id=product_id, **filters)):
                self._store_subscriptions_page(page, cause, asked_at)

    def _link_by_charges(self, client, sales):
        """Tell apart a buyer's subscriptions of one product by their charges."""
        links = {}
        for subscription in sales.mapped(lambda sale: sale._subscription_candidates()):
            transactions = charges_by_transaction(
                client.subscription_purchases(subscription.subscriber_code)
            )
            links[subscription] = sales.filtered(lambda s, t=transactions: s.transaction in t)
        sales._link_subscriptions(links)

    def action_view_subscriptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hotmart_connector.hotmart_subscription_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action
