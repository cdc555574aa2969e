"""From stored webhook events to their sales, orders and subscriptions: one path for a
batch of any size, whether the scheduled action brings 200 events or a person processes one
again.

Other addons extend it by inheriting ``hotmart.webhook.processor``: ``_process_other``
for events the connector does not act on yet, ``_sale_outcome`` for what an event says it
did.
"""

import hashlib
import json
import logging
from collections import namedtuple
from datetime import timedelta

from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.records import parse_webhook
from ..hotmart.subscriptions import SUBSCRIPTION_EVENTS, parse_subscription_event
from ..models.explain import explain

_logger = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 10
# What each subscription event tells of, and the date that says when it was last told.
SUBSCRIPTION_EVENT_ASPECTS = {
    "SUBSCRIPTION_CANCELLATION": "status_date",
    "SWITCH_PLAN": "plan_date",
    "UPDATE_SUBSCRIPTION_CHARGE_DATE": "next_charge_said_date",
}

# One event's body, read once for the whole of its processing.
Body = namedtuple("Body", "event parsed data")


def advisory_key(*parts):
    """A 64-bit PostgreSQL advisory lock key for these parts."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class HotmartWebhookProcessor(models.AbstractModel):
    _name = "hotmart.webhook.processor"
    _description = "Hotmart Webhook Processing"

    @api.model
    def _process(self, events):
        """Process these events, each account's in Hotmart's order, in the company's
        language (what processing writes is read there). Purchase events are stored one by
        one, then their sales are received together through the same bulk path as the
        scheduled receive, under the same per-sale locks; other events go one by one. If the
        bulk path fails as a whole, each purchase is processed alone through the same path."""
        for backend in events.backend_id:
            of_backend = events.filtered(lambda e, b=backend: e.backend_id == b)
            self.with_context(lang=backend._company_lang())._process_account(
                backend, of_backend.with_context(lang=backend._company_lang())
            )

    @api.model
    def _process_account(self, backend, events):
        try:
            with self.env.cr.savepoint():
                locked = self._lock_pending(events)
        except errors.TransactionRollbackError as error:
            # changed since this run's snapshot (a person's Process Again): next run
            _logger.info("Hotmart webhook events changed meanwhile, retried shortly: %s", error)
            self._retry_shortly(events.browse())
            return
        if len(locked) < len(events.filtered(lambda e: e.state == "pending")):
            self._retry_shortly(events.browse())  # held by another processor: retried if it fails
        purchases = []
        for event in locked:
            try:
                body = self._read(event)
            except UserError as error:
                event.write({"state": "failed", "error": str(error)})
                continue
            if body.parsed.sale and body.parsed.event not in SUBSCRIPTION_EVENTS:
                purchases.append(body)
            else:
                self._isolated(event, lambda b=body: self._process_other(b))
        if not purchases:
            return
        try:
            with self.env.cr.savepoint():
                self._process_purchases(backend, purchases)
        except Exception as error:  # noqa: BLE001 (each event is then processed alone)
            _logger.info("Hotmart webhook batch processed one by one: %s", error)
            for body in purchases:
                self._isolated(body.event, lambda b=body: self._process_purchases(backend, [b]))

    @api.model
    def _lock_pending(self, events):
        """These events still waiting, locked; one another processor holds is left to it."""
        if not events:
            return events
        events.flush_recordset(["state"])
        self.env.cr.execute(
            "SELECT id FROM hotmart_webhook_event WHERE id IN %s AND state = 'pending' "
            "ORDER BY creation_date, id FOR UPDATE SKIP LOCKED",
            [tuple(events.ids)],
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        events.invalidate_recordset(["state"])
        return events.browse(ids)

    @api.model
    def _read(self, event):
        """The event's body, read once for all of its processing. A UserError says why there
        is nothing to read: blanked at the end of its retention, or not a Hotmart event."""
        if not event.payload:
            raise UserError(
                self.env._(
                    "The body of this event was blanked when its retention period ended: "
                    "there is nothing left to process. The status sync brings the sale up to "
                    "date."
                )
            )
        try:
            payload = json.loads(event.payload)
            return Body(event, parse_webhook(payload), payload.get("data"))
        except HotmartBadPayloadError as error:
            raise UserError(explain(self.env, error)) from None
        except (ValueError, RecursionError) as error:
            raise UserError(
                self.env._("The body is not JSON: %(error)s", error=str(error)[:200])
            ) from None

    @api.model
    def _isolated(self, event, work):
        """``work()`` for one event; whatever goes wrong fails this event only, with the reason.

        A clash with a concurrent run on the same sale (serialization failure, deadlock)
        is not a failure: the event stays waiting and is processed again shortly.
        """
        try:
            with self.env.cr.savepoint():
                work()
        except errors.TransactionRollbackError as error:
            # a run on the same sale, buyer or product won: process again in a new transaction
            _logger.info("Hotmart webhook event %s clashed with a run: %s", event.event_uid, error)
            self._retry_shortly(event)
        except Exception as error:  # noqa: BLE001 (one event must not stop the others)
            _logger.exception("Hotmart webhook event %s failed", event.event_uid)
            event.write({"state": "failed", "error": str(error)})

    @api.model
    def _retry_shortly(self, events):
        """These events stay waiting, and processing runs again shortly, in a new
        transaction that sees what the concurrent run made."""
        if events:
            events.error = self.env._(
                "Waiting for a concurrent run on the same sale; retried shortly."
            )
        self.env.ref("hotmart_connector.ir_cron_process_webhooks")._trigger(
            fields.Datetime.now() + timedelta(seconds=RETRY_DELAY_SECONDS)
        )

    # ------------------------------------------------------------------ purchases

    @api.model
    def _process_purchases(self, backend, purchases):
        """[Body] of one account's purchase events, in order: store each sale (one bad event
        fails alone), make their orders follow, receive the new ones."""
        backend = backend.sudo()
        transactions = {body.parsed.sale.transaction for body in purchases}
        # one (account, transaction) at a time, taken in one order so batches never deadlock
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(key) FROM (SELECT unnest(%s::bigint[]) AS key "
            "ORDER BY key) AS keys",
            [sorted(advisory_key("hotmart", backend.id, t) for t in transactions)],
        )
        Sale = self.env["hotmart.sale"].sudo()
        currencies = Sale._currency_ids_by_code({body.parsed.sale.currency for body in purchases})
        sale_of = self._sales_of_batch(backend, purchases, currencies)
        stored = []
        cause_of = {}
        # a sale importable after any of its events is received, as one event at a time
        # would have: an approval then a refund in one batch still make a (cancelled) order
        was_importable = Sale
        for event, parsed, data in purchases:
            try:
                with self.env.cr.savepoint():
                    sale, stale = Sale._store_webhook_sale(
                        backend,
                        parsed,
                        data,
                        sale=sale_of.get(parsed.sale.transaction),
                        currencies=currencies,
                    )
            except errors.TransactionRollbackError as error:
                _logger.info(
                    "Hotmart webhook event %s clashed with a run: %s", event.event_uid, error
                )
                self._retry_shortly(event)
                continue
            except Exception as error:  # noqa: BLE001 (one event must not stop the others)
                _logger.exception("Hotmart webhook event %s failed", event.event_uid)
                sale_id = sale_of.get(parsed.sale.transaction, Sale).id
                event.write({"state": "failed", "error": str(error), "sale_id": sale_id})
                continue
            stored.append((event, sale, stale))
            cause_of[sale] = event._cause(parsed.event)
            if not stale and not sale.sale_order_id and sale._is_importable():
                was_importable |= sale
        sales = Sale.browse([sale.id for _event, sale, _stale in stored])
        # level-triggered: whatever the events, orders out of step with their sale follow it
        for cause, group in self._group_by_cause(sales, cause_of).items():
            group._apply_status_to_orders(cause)
        to_receive = (was_importable & sales).filtered(lambda s: not s.sale_order_id)
        received = failed = Sale
        for cause, group in self._group_by_cause(to_receive, cause_of).items():
            result = group._receive(origin=cause)
            received |= result["received"]
            failed |= result["failed"]
        for event, sale, stale in stored:
            outcome = self._sale_outcome(sale, stale, sale in received, sale in failed)
            event.write(dict(outcome, sale_id=sale.id, error=False))

    @api.model
    def _sales_of_batch(self, backend, purchases, currencies=None):
        """{transaction: sale} of a batch's events, in one search, the new ones created at
        once, each from its first event: storing an event then finds its sale, made as it
        would have made it, without searching it again. Creating records one by one costs
        several times as much. If the bulk creation fails, the new sales are left out, each
        event creates its own as before, and a bad one fails alone. A sale made here
        outlives an event that then fails (its subscription could not be stored, say): the
        event keeps the error and the link to the sale, and processing it again completes
        it."""
        Sale = self.env["hotmart.sale"].sudo()
        transactions = {body.parsed.sale.transaction for body in purchases}
        sale_of = {
            sale.transaction: sale
            for sale in Sale.search(
                [("backend_id", "=", backend.id), ("transaction", "in", list(transactions))]
            )
        }
        first_events = {}
        for _event, parsed, data in purchases:
            if parsed.sale.transaction not in sale_of:
                first_events.setdefault(parsed.sale.transaction, (parsed, data))
        if first_events:
            try:
                with self.env.cr.savepoint():
                    created = Sale._create_webhook_sales(
                        backend, list(first_events.values()), currencies
                    )
            except Exception as error:  # noqa: BLE001 (each event then creates its own sale)
                _logger.info("Hotmart webhook sales created one by one: %s", error)
            else:
                sale_of.update((sale.transaction, sale) for sale in created)
        return sale_of

    @api.model
    def _group_by_cause(self, sales, cause_of):
        """{cause: sales}: each sale under the cause of its latest event in the batch."""
        groups = {}
        for sale in sales:
            groups[cause_of[sale]] = groups.get(cause_of[sale], sale.browse()) | sale
        return groups

    @api.model
    def _sale_outcome(self, sale, stale, received, failed):
        """The state and result of a purchase event about ``sale``, once processed:
        ``received`` and ``failed`` tell whether processing just made its order or failed to."""
        if stale:
            return {
                "state": "ignored",
                "result": self.env._(
                    "Older than the sale's current status (%(status)s): nothing changed.",
                    status=sale.status,
                ),
            }
        if failed:
            result = self.env._("Order not created: %(error)s", error=sale.error)
        elif received:
            result = self.env._("Order %(order)s created.", order=sale.sale_order_id.name)
        elif sale.sale_order_id:
            order = sale.sale_order_id
            result = self.env._(
                "Order %(order)s is %(state)s.",
                order=order.name,
                state=order._hotmart_state_label(order._hotmart_state()),
            )
        else:
            result = self.env._("Sale stored; its status is not imported as an order.")
        return {"state": "done", "result": result}

    # ------------------------------------------------------------------ other events

    @api.model
    def _process_other(self, body):
        """An event that is not a purchase: a subscription's news, or one stored for
        reference."""
        if body.parsed.event in SUBSCRIPTION_EVENTS:
            self._process_subscription_event(body)
            return
        body.event.write(
            {
                "state": "ignored",
                "result": self.env._(
                    "Stored for reference: the connector does not act on %(event)s yet.",
                    event=body.event._event_label(body.parsed.event),
                ),
            }
        )

    @api.model
    def _process_subscription_event(self, body):
        """Apply a cancellation, plan switch or new charge date to its subscription, unless
        Hotmart said something newer of the same thing already."""
        event, parsed = body.event, body.parsed
        record = parse_subscription_event(parsed.event, body.data)
        backend = event.backend_id.sudo()
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(%s)",
            [advisory_key("hotmart-subscription", backend.id, record.subscriber_code)],
        )
        Subscription = self.env["hotmart.subscription"].sudo()
        known = Subscription.search(
            [("backend_id", "=", backend.id), ("subscriber_code", "=", record.subscriber_code)]
        )
        said_at = parsed.creation_date.replace(tzinfo=None) if parsed.creation_date else False
        stale = bool(said_at) and known._said_before(
            said_at, SUBSCRIPTION_EVENT_ASPECTS[parsed.event]
        )
        cause = event._cause(parsed.event)
        subscription = Subscription._hotmart_store(backend, [record], said_at, cause).get(
            record.subscriber_code
        )
        if not subscription:
            raise UserError(
                self.env._(
                    "Subscription %(code)s could not be stored: see the server log.",
                    code=record.subscriber_code,
                )
            )
        values = {"subscription_id": subscription.id, "state": "done", "error": False}
        if stale:
            values.update(
                state="ignored",
                result=self.env._(
                    "Older than what Hotmart said of subscription %(code)s since: nothing changed.",
                    code=subscription.subscriber_code,
                ),
            )
        else:
            values["result"] = self._subscription_outcome(subscription)
        event.write(values)

    @api.model
    def _subscription_outcome(self, subscription):
        result = self.env._(
            "Subscription %(code)s is %(status)s, plan %(plan)s.",
            code=subscription.subscriber_code,
            status=dict(subscription._fields["status"]._description_selection(self.env)).get(
                subscription.status, subscription.status or "?"
            ),
            plan=subscription.plan_name or "?",
        )
        if subscription.date_next_charge:
            result += " " + self.env._(
                "Next charge: %(date)s.",
                date=format_date(self.env, subscription.date_next_charge),
            )
        return result
