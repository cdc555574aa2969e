import hashlib
import json

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from ..const import WEBHOOK_EVENTS
from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.records import parse_webhook
from .explain import explain
from .guard import as_connector, check_hotmart_role, in_test

PROCESS_BATCH = 200  # events processed per transaction, their sales received in bulk
PROCESS_PER_RUN = 2000  # a run stops after this many and asks Odoo to run it again


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
    payload = fields.Text(
        readonly=True,
        help="The body as Hotmart sent it, but for the hottok, which is masked, and NUL "
        "characters, which are written as \\u0000.",
    )
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
        one is normal traffic, and must not log the unique index's refusal as an error.

        When the other delivery's transaction committed after this one began, PostgreSQL
        refuses the insert as a serialization failure (repeatable read): Odoo then runs the
        request again, which finds the event stored. That refusal is not logged either."""
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
            ),
            log_exceptions=False,
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
            self.browse(batch_ids)._process_now()
            done += len(batch_ids)
            self.env["ir.cron"]._notify_progress(
                done=done, remaining=len(pending) - done + int(more)
            )
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env["ir.cron"]._notify_progress(done=done, remaining=int(more))

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
        events._process_now()
        return True

    def _process_now(self):
        """Process these events through the one path there is for them."""
        self.env["hotmart.webhook.processor"]._process(self)
