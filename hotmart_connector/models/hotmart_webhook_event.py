import hashlib
import json
import logging
from datetime import timedelta

from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date, split_every

from ..const import WEBHOOK_EVENTS
from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.records import parse_webhook
from ..hotmart.subscriptions import SUBSCRIPTION_EVENTS, parse_subscription_event
from .explain import explain
from .guard import as_connector, check_hotmart_role, in_test

_logger = logging.getLogger(__name__)

PROCESS_BATCH = 200  # events processed per transaction, their sales received in bulk
PROCESS_PER_RUN = 2000  # a run stops after this many and asks Odoo to run it again
RETRY_DELAY_SECONDS = 10
# What each subscription event tells of, and the date that says when it was last told.
SUBSCRIPTION_EVENT_ASPECTS = {
    "SUBSCRIPTION_CANCELLATION": "status_date",
    "SWITCH_PLAN": "plan_date",
    "UPDATE_SUBSCRIPTION_CHARGE_DATE": "next_charge_said_date",
}


def advisory_key(*parts):
    """A 64-bit PostgreSQL advisory lock key for these parts."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class HotmartWebhookEvent(models.Model):
    """Every postback Hotmart sent, as received; processed right after, in Hotmart's order."""

    _name = "hotmart.webhook.event"
    _description = "Hotmart Webhook Event"
    _order = "received_date desc, id desc"
    _rec_name = "event_uid"

    backend_id = fields.Many2one(
        "hotmart.backend", string="Account", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    event_uid = fields.Char(string="Event ID", required=True, readonly=True, index=True)
    event = fields.Char(string="Event Code", readonly=True, index=True)
    event_label = fields.Selection(
        WEBHOOK_EVENTS, string="Event", compute="_compute_event_label", store=True
    )
    creation_date = fields.Datetime(
        string="Sent On", readonly=True, index=True, help="When Hotmart created the event."
    )
    received_date = fields.Datetime(readonly=True, default=fields.Datetime.now, index=True)
    transaction = fields.Char(readonly=True, index=True)
    payload = fields.Text(readonly=True, help="The body exactly as Hotmart sent it.")
    payload_display = fields.Text(
        string="Body", compute="_compute_payload_display", help="The body, indented to read."
    )
    sale_id = fields.Many2one("hotmart.sale", readonly=True, index="btree_not_null")
    sale_order_id = fields.Many2one(related="sale_id.sale_order_id", string="Sale Order")
    subscription_id = fields.Many2one(
        "hotmart.subscription", readonly=True, index="btree_not_null", ondelete="set null"
    )
    state = fields.Selection(
        [
            ("pending", "To Process"),
            ("done", "Processed"),
            ("ignored", "Ignored"),
            ("failed", "Failed"),
        ],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    result = fields.Char(readonly=True, help="What processing the event did.")
    error = fields.Text(readonly=True)

    _sql_constraints = [
        (
            "event_uid_uniq",
            "unique(backend_id, event_uid)",
            "Each Hotmart event is stored once per account.",
        ),
    ]

    @api.depends("event")
    def _compute_event_label(self):
        known = {code for code, _label in WEBHOOK_EVENTS}
        for event in self:
            event.event_label = event.event if event.event in known else False

    def _event_label(self, event_name):
        """'Purchase refunded' for PURCHASE_REFUNDED; an event not known yet as it came."""
        labels = dict(self._fields["event_label"]._description_selection(self.env))
        return labels.get(event_name, event_name)

    def _cause(self, event_name):
        """'webhook Purchase refunded': why the connector did something, for the chatter."""
        return self.env._("webhook %(event)s", event=self._event_label(event_name))

    @api.depends("payload")
    def _compute_payload_display(self):
        for event in self:
            try:
                body = json.loads(event.payload or "")
            except ValueError:
                event.payload_display = event.payload  # not JSON: shown as it came
                continue
            event.payload_display = json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True)

    @api.depends("event", "transaction", "subscription_id", "event_uid")
    def _compute_display_name(self):
        labels = dict(self._fields["event_label"]._description_selection(self.env))
        for event in self:
            subject = event.transaction or event.subscription_id.subscriber_code
            name = labels.get(event.event_label) or event.event or event.event_uid
            event.display_name = f"{name} {subject}" if subject else name

    # ------------------------------------------------------------------ receiving

    @api.model
    def _store_delivery(self, backend, body):
        """Store one delivery; returns (event, is_new). Never raises for a bad body.

        A body that is not JSON or not a Hotmart event is stored as failed with the reason,
        under a key made of its bytes, so that nothing is lost and repeats are not stored
        twice.
        """
        # PostgreSQL text cannot hold NUL: keep it visible as the JSON escape it would be
        text = body.decode("utf-8", "replace").replace("\x00", "\\u0000")
        if backend.hottok:
            # Hotmart repeats the hottok in the body: whoever reads events must not learn it
            text = text.replace(backend.hottok, "***")
        values = {"backend_id": backend.id, "payload": text}
        payload, reason = None, None
        try:
            payload = json.loads(body)
            event = parse_webhook(payload)
        except HotmartBadPayloadError as error:
            reason = explain(self.env, error)
        except (ValueError, RecursionError) as error:
            reason = self.env._("The body is not JSON: %(error)s", error=str(error)[:200])
        if reason:
            known = payload if isinstance(payload, dict) else {}
            values.update(
                event_uid=str(known.get("id") or "").replace("\x00", "")[:200]
                or "body-" + hashlib.sha256(body).hexdigest(),
                event=str(known.get("event") or "").replace("\x00", "")[:200] or False,
                state="failed",
                error=reason,
            )
        else:
            values.update(
                event_uid=event.uid,
                event=event.event,
                creation_date=event.creation_date and event.creation_date.replace(tzinfo=None),
                transaction=event.sale.transaction if event.sale else False,
            )
        same_event = [("backend_id", "=", backend.id), ("event_uid", "=", values["event_uid"])]
        existing = self.search(same_event, limit=1)
        if existing:
            return existing, False
        event = self._insert_once(backend, values)
        if event:
            return event, True
        # the same event delivered twice at once: the other delivery stored it
        return self.search(same_event, limit=1), False

    @api.model
    def _insert_once(self, backend, values):
        """Insert the event unless this account has it already; the new event, or an empty
        recordset. ``INSERT ... ON CONFLICT DO NOTHING``: a duplicate delivery racing this
        one is normal traffic, and must not log the unique index's refusal as an error."""
        now = fields.Datetime.now()
        row = dict(
            values,
            company_id=backend.company_id.id,
            state=values.get("state", "pending"),
            received_date=now,
            create_date=now,
            write_date=now,
            create_uid=self.env.uid,
            write_uid=self.env.uid,
        )
        self.env.cr.execute(
            SQL(
                "INSERT INTO hotmart_webhook_event (%s) VALUES %s "
                "ON CONFLICT (backend_id, event_uid) DO NOTHING RETURNING id",
                SQL(", ").join(SQL.identifier(column) for column in row),
                tuple(row.values()),
            )
        )
        fetched = self.env.cr.fetchone()
        if not fetched:
            return self.browse()
        event = self.browse(fetched[0])
        self.env.add_to_compute(self._fields["event_label"], event)
        return event

    @api.model
    def _blank_old_payloads(self, backend, limit):
        """Blank the bodies of ``backend``'s events processed (done or ignored) and received
        before ``limit``; failed ones stay for a person. Returns how many."""
        self.flush_model()
        self.env.cr.execute(
            "UPDATE hotmart_webhook_event SET payload = NULL WHERE backend_id = %s "
            "AND payload IS NOT NULL AND state IN ('done', 'ignored') AND received_date < %s",
            [backend.id, limit],
        )
        blanked = self.env.cr.rowcount
        self.invalidate_model(["payload"])
        return blanked

    # ------------------------------------------------------------------ processing

    @api.model
    def _cron_process_webhooks(self):
        """Scheduled action (triggered by every delivery): process waiting events in order,
        a batch per transaction, the purchase events of a batch received in bulk."""
        commit = not in_test()
        pending = self.search(
            [("state", "=", "pending")], order="creation_date, id", limit=PROCESS_PER_RUN + 1
        )
        more = len(pending) > PROCESS_PER_RUN
        pending = pending[:PROCESS_PER_RUN]
        done = 0
        for batch_ids in split_every(PROCESS_BATCH, pending.ids):
            batch = self.browse(batch_ids)
            for backend in batch.backend_id:
                # what processing writes (chatter, results) is read in the company's language
                batch.filtered(lambda e, b=backend: e.backend_id == b).with_context(
                    lang=backend._company_lang()
                )._process_batch()
            done += len(batch_ids)
            self.env["ir.cron"]._notify_progress(
                done=done, remaining=len(pending) - done + int(more)
            )
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env["ir.cron"]._notify_progress(done=done, remaining=int(more))

    def _process_batch(self):
        """Process these events of one account, in order. Purchase events store their sales
        one by one, then the sales are received together through the same bulk path as the
        scheduled receive, under the same per-sale locks; other events go one by one. If
        the bulk path fails as a whole, each event is processed alone instead."""
        try:
            with self.env.cr.savepoint():
                events = self._lock_pending()
        except errors.TransactionRollbackError as error:
            # changed since this run's snapshot (a person's Process Again): next run
            _logger.info("Hotmart webhook events changed meanwhile, retried shortly: %s", error)
            self.browse()._wait_for_retry()
            return
        if len(events) < len(self.filtered(lambda e: e.state == "pending")):
            self.browse()._wait_for_retry()  # held by another processor: retried if it fails
        purchases = []
        for event in events:
            parsed = event._parse_purchase()
            if parsed:
                purchases.append((event, *parsed))
            else:
                event._process_isolated()
        if not purchases:
            return
        try:
            with self.env.cr.savepoint():
                self._process_purchases(purchases)
        except Exception as error:  # noqa: BLE001 (each event is then processed alone)
            _logger.info("Hotmart webhook batch processed one by one: %s", error)
            for event, _parsed, _data in purchases:
                event._process_isolated()

    def _lock_pending(self):
        """These events still waiting, locked; one another processor holds is left to it."""
        if not self:
            return self
        self.flush_recordset(["state"])
        self.env.cr.execute(
            "SELECT id FROM hotmart_webhook_event WHERE id IN %s AND state = 'pending' "
            "ORDER BY creation_date, id FOR UPDATE SKIP LOCKED",
            [tuple(self.ids)],
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        self.invalidate_recordset(["state"])
        return self.browse(ids)

    def _parse_purchase(self):
        """(event, data) of a purchase event with a sale to store, or None for any other
        event (subscriptions, unknown kinds, bodies that cannot be read)."""
        self.ensure_one()
        try:
            payload = json.loads(self.payload or "")
            event = parse_webhook(payload)
        except (ValueError, RecursionError, HotmartBadPayloadError):
            return None
        if event.event in SUBSCRIPTION_EVENTS or not event.sale:
            return None
        return event, payload.get("data")

    def _process_purchases(self, purchases):
        """[(event record, parsed event, data)] of one account, in order: store each sale
        (one bad event fails alone), make their orders follow, receive the new ones. The one
        path for purchase events: a batch of the scheduled action, or one event processed
        alone (Process Again, or a batch's fallback)."""
        backend = self[:1].backend_id.sudo()
        transactions = {parsed.sale.transaction for _event, parsed, _data in purchases}
        # one (account, transaction) at a time, taken in one order so batches never deadlock
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(key) FROM (SELECT unnest(%s::bigint[]) AS key "
            "ORDER BY key) AS keys",
            [sorted(advisory_key("hotmart", backend.id, t) for t in transactions)],
        )
        Sale = self.env["hotmart.sale"].sudo()
        currencies = Sale._currency_ids_by_code({p.sale.currency for _e, p, _d in purchases})
        sale_of = self._sales_of_batch(Sale, backend, purchases, currencies)
        stored = []
        cause_of = {}
        # a sale importable after any of its events is received, as one event at a time
        # would have: an approval then a refund in one batch still make a (cancelled) order
        was_importable = Sale
        for event, parsed, data in purchases:
            cause = self._cause(parsed.event)
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
                event._wait_for_retry()
                continue
            except Exception as error:  # noqa: BLE001 (one event must not stop the others)
                _logger.exception("Hotmart webhook event %s failed", event.event_uid)
                sale_id = sale_of.get(parsed.sale.transaction, Sale).id
                event.write({"state": "failed", "error": str(error), "sale_id": sale_id})
                continue
            stored.append((event, sale, stale))
            cause_of[sale] = cause
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
            outcome = event._sale_outcome(sale, stale, sale in received, sale in failed)
            event.write(dict(outcome, sale_id=sale.id, error=False))

    @api.model
    def _sales_of_batch(self, Sale, backend, purchases, currencies=None):
        """{transaction: sale} of a batch's events, in one search, the new ones created at
        once, each from its first event: storing an event then finds its sale, made as it
        would have made it, without searching it again. Creating records one by one costs
        several times as much. If the bulk creation fails, the new sales are left out, each
        event creates its own as before, and a bad one fails alone. A sale made here
        outlives an event that then fails (its subscription could not be stored, say): the
        event keeps the error and the link to the sale, and processing it again completes
        it."""
        transactions = {parsed.sale.transaction for _event, parsed, _data in purchases}
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

    def _process_isolated(self):
        """Process one event; whatever goes wrong fails this event only, with the reason.

        A clash with a concurrent run on the same sale (serialization failure, deadlock)
        is not a failure: the event stays waiting and is processed again shortly.
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._process()
        except errors.TransactionRollbackError as error:
            # a run on the same sale, buyer or product won: process again in a new transaction
            _logger.info("Hotmart webhook event %s clashed with a run: %s", self.event_uid, error)
            self._wait_for_retry()
        except Exception as error:  # noqa: BLE001 (one event must not stop the others)
            _logger.exception("Hotmart webhook event %s failed", self.event_uid)
            self.write({"state": "failed", "error": str(error)})

    def _wait_for_retry(self):
        """These events stay waiting, and processing runs again shortly, in a new
        transaction that sees what the concurrent run made."""
        if self:
            self.error = self.env._(
                "Waiting for a concurrent run on the same sale; retried shortly."
            )
        self.env.ref("hotmart_connector.ir_cron_process_webhooks")._trigger(
            fields.Datetime.now() + timedelta(seconds=RETRY_DELAY_SECONDS)
        )

    def _process(self):
        self.ensure_one()
        if not self.payload:
            raise UserError(
                self.env._(
                    "The body of this event was blanked when its retention period ended: "
                    "there is nothing left to process. The status sync brings the sale up to date."
                )
            )
        payload = json.loads(self.payload)
        event = parse_webhook(payload)
        if event.event in SUBSCRIPTION_EVENTS:
            self._process_subscription_event(event, payload.get("data"))
            return
        if not event.sale:
            self.write(
                {
                    "state": "ignored",
                    "result": self.env._(
                        "Stored for reference: the connector does not act on %(event)s yet.",
                        event=self._event_label(event.event),
                    ),
                }
            )
            return
        # one path for a purchase, whether it comes alone or with 199 others
        self._process_purchases([(self, event, payload.get("data"))])

    def _process_subscription_event(self, event, data):
        """Apply a cancellation, plan switch or new charge date to its subscription, unless
        Hotmart said something newer of the same thing already."""
        record = parse_subscription_event(event.event, data)
        backend = self.backend_id.sudo()
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(%s)",
            [advisory_key("hotmart-subscription", backend.id, record.subscriber_code)],
        )
        Subscription = self.env["hotmart.subscription"].sudo()
        known = Subscription.search(
            [("backend_id", "=", backend.id), ("subscriber_code", "=", record.subscriber_code)]
        )
        said_at = event.creation_date.replace(tzinfo=None) if event.creation_date else False
        stale = bool(said_at) and known._said_before(
            said_at, SUBSCRIPTION_EVENT_ASPECTS[event.event]
        )
        cause = self._cause(event.event)
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
            values["result"] = self.env._(
                "Subscription %(code)s is %(status)s, plan %(plan)s.",
                code=subscription.subscriber_code,
                status=dict(subscription._fields["status"]._description_selection(self.env)).get(
                    subscription.status, subscription.status or "?"
                ),
                plan=subscription.plan_name or "?",
            )
            if subscription.date_next_charge:
                values["result"] += " " + self.env._(
                    "Next charge: %(date)s.",
                    date=format_date(self.env, subscription.date_next_charge),
                )
        self.write(values)

    def action_process_again(self):
        """Process failed or ignored events again, now (Hotmart users may). A processed event
        is not applied twice: a later status sync may have moved its sale on since."""
        check_hotmart_role(self, "group_hotmart_user")
        events = as_connector(self).filtered(
            lambda e: (
                e.state in ("failed", "ignored", "pending")
                or (e.sale_id and not e.sale_id.sale_order_id)
            )
        )
        events.write({"state": "pending", "error": False, "result": False})
        for event in events.sorted(lambda e: (e.creation_date or e.received_date, e.id)):
            event._process_isolated()
        return True
