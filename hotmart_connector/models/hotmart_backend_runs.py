"""The account's runs as people and Odoo's scheduler start them (the work itself is the
``hotmart.run`` service), what they say when they end, the last error they left, and
payload retention."""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..hotmart.exceptions import HotmartError
from ..hotmart.records import parse_product
from .guard import as_connector, check_hotmart_role

_logger = logging.getLogger(__name__)


class HotmartBackend(models.Model):
    _inherit = "hotmart.backend"

    def _fetch_sales(self, date_from, date_to, statuses=None, cause=None):
        """Store the sales ordered in [date_from, date_to] (``statuses``; None: every mapped
        one) and return them: ``hotmart.run._fetch_sales``."""
        return self.env["hotmart.run"]._fetch_sales(self, date_from, date_to, statuses, cause)

    def action_receive_orders(self):
        """'Receive Orders Now': the scheduled action's work, for this account, now."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_user")
        self._check_connected()
        backend = as_connector(self)
        result = backend.env["hotmart.run"]._receive_new_sales(
            backend, origin=self.env._("the Receive Orders Now button")
        )
        return self._receive_new_sales_notification(result)

    @api.model
    def _cron_receive_orders(self):
        """Scheduled action: receive the new sales of every active account."""
        self.env["hotmart.run"]._for_active_accounts(
            "_receive_new_sales", lambda env: env._("the scheduled action")
        )

    @api.model
    def _cron_sync_statuses(self):
        """Scheduled action: bring every active account's recent sales in step with Hotmart."""
        self.env["hotmart.run"]._for_active_accounts(
            "_sync_statuses", lambda env: env._("the status sync")
        )

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
                    self, {pid: name for pid, name in names.items() if pid not in existing}
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
