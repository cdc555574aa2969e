"""Cancel, reactivate or move the charge day of subscriptions on Hotmart, from Odoo.

Several subscriptions of an account go in one batch call where Hotmart has one (cancel,
reactivate). Each subscription asked ends up done, refused (with Hotmart's reason) or
unanswered (maybe done: pending until the subscriptions sync tells). Each request is written
down as sent before it is sent (``request_journal``), and the chatter records who asked what
and what Hotmart answered; the status follows Hotmart's answer or the next sync.
"""

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import split_every

from ..const import (
    CHARGE_DAY_STATUSES,
    REACTIVABLE_STATUSES,
    SUBSCRIPTION_BATCH,
    SUBSCRIPTION_REQUESTS,
)
from ..hotmart.actions import parse_batch_answer
from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.subscriptions import ENDED_STATUSES, RECURRING_STATUSES
from .explain import explain_refusal
from .guard import as_connector, check_hotmart_role
from .hotmart_request import (
    DONE,
    REFUSED,
    UNANSWERED,
    call_hotmart,
    lock_for_request,
    ready_client,
    request_journal,
)


class HotmartSubscription(models.Model):
    _name = "hotmart.subscription"
    _inherit = ["hotmart.subscription", "hotmart.request.mixin"]

    request_kind = fields.Selection(
        SUBSCRIPTION_REQUESTS, string="Last Request", readonly=True, copy=False
    )
    charge_day = fields.Integer(
        readonly=True,
        copy=False,
        help="The day of the month Hotmart charges, as last changed from Odoo; it applies "
        "after the charge already scheduled.",
    )

    def _request_lapse_kind(self):
        if self.request_state == "unanswered":
            return "subscription_unanswered"  # the subscriptions sync runs daily
        if self.request_kind == "reactivate":
            return "reactivate"  # the subscriber has 3 days to accept
        return "accepted"

    # ------------------------------------------------------------------ the public methods

    def cancel_on_hotmart(self, send_mail=True):
        """Cancel these subscriptions on Hotmart (``send_mail``: Hotmart e-mails the
        subscriber); returns a notification of what succeeded and failed, and why."""
        return self._ask_hotmart("cancel", send_mail=bool(send_mail))

    def reactivate_on_hotmart(self, charge=False):
        """Ask Hotmart to reactivate these subscriptions: each subscriber accepts by a link
        Hotmart e-mails (valid 3 days); ``charge`` charges at once instead of on the billing
        date. The status changes when the subscriber accepts (next sync)."""
        return self._ask_hotmart("reactivate", charge=bool(charge))

    def change_charge_day(self, day):
        """Move the charge day of these subscriptions to ``day`` (1 to 31; 31 falls on the
        30th in 30-day months) after the charge already scheduled."""
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
            raise UserError(
                self.env._(
                    "The charge day is a day of the month, from 1 to 31. Nothing was sent to "
                    "Hotmart."
                )
            )
        return self._ask_hotmart("charge_day", day=day)

    # ------------------------------------------------------------------ asking

    def _ask_hotmart(self, kind, **options):
        check_hotmart_role(self, "group_hotmart_manager")
        subscriptions = as_connector(self)
        clients = {backend: ready_client(backend) for backend in subscriptions.backend_id}
        results = {"done": subscriptions.browse(), "refused": {}, "unanswered": {}, "kept": {}}
        with request_journal(subscriptions) as journal:
            lock_for_request(journal)
            journal._lapse_requests()
            for subscription in journal:
                reason = subscription._why_not(kind)
                if reason:
                    results["kept"][subscription.id] = reason
            asked = journal.filtered(lambda s: s.id not in results["kept"])
            previous = {s.id: s._request_snapshot() for s in asked}
            asked._mark_sent(request_kind=kind)
        asked = subscriptions.filtered(lambda s: s.id not in results["kept"])
        outcomes = {}
        for backend in asked.backend_id:
            mine = asked.filtered(lambda s, b=backend: s.backend_id == b)
            if kind == "charge_day":
                batches = [[subscription] for subscription in mine]
            else:
                batches = split_every(SUBSCRIPTION_BATCH, mine)
            for batch in batches:
                outcomes.update(asked._send(clients[backend], kind, list(batch), **options))
        with request_journal(asked) as journal:
            for subscription in journal:
                outcome, reason, answer = outcomes[subscription.id]
                subscription._record_outcome(kind, outcome, reason, answer, **options)
                if outcome == REFUSED:
                    subscription.write(previous[subscription.id])
        for subscription in subscriptions:
            if subscription.id in results["kept"]:
                results["refused"][subscription] = results["kept"][subscription.id]
                continue
            outcome, reason, _answer = outcomes[subscription.id]
            if outcome == DONE:
                results["done"] |= subscription
            elif outcome == REFUSED:
                results["refused"][subscription] = reason
            else:
                results["unanswered"][subscription] = reason
        return subscriptions._request_notification(kind, results)

    def _why_not(self, kind):
        """Why this subscription is not sent to Hotmart for ``kind``, as a clause, or ''."""
        self.ensure_one()
        if self._request_is_pending():
            return self._request_pending_clause()
        if kind == "cancel" and self.status in ENDED_STATUSES:
            return self.env._("it is cancelled already")
        if kind == "reactivate" and self.status not in REACTIVABLE_STATUSES:
            return self.env._("Hotmart reactivates cancelled or inactive subscriptions only")
        if kind == "charge_day" and self.status not in CHARGE_DAY_STATUSES:
            return self.env._(
                "Hotmart moves the charge day of active or delayed subscriptions only; this one "
                "is %(status)s",
                status=dict(self._fields["status"]._description_selection(self.env)).get(
                    self.status, self.status or "?"
                ),
            )
        return ""

    def _call(self, client, kind, codes, **options):
        if kind == "cancel":
            return client.cancel_subscriptions(codes, send_mail=options["send_mail"])
        if kind == "reactivate":
            return client.reactivate_subscriptions(codes, charge=options["charge"])
        return client.change_charge_day(codes[0], options["day"])

    def _send(self, client, kind, batch, **options):
        """{id: (outcome, reason, answer)} of one call for ``batch``: 200 is done for one
        subscription; a batch's answer says per subscriber code (one it leaves out, or
        cannot be read, may have been done)."""
        codes = [subscription.subscriber_code for subscription in batch]
        answer, outcome, reason = call_hotmart(
            self.env, lambda: self._call(client, kind, codes, **options)
        )
        if outcome != DONE or len(batch) == 1:
            item = answer if isinstance(answer, dict) else {}
            return {subscription.id: (outcome, reason, item) for subscription in batch}
        try:
            parsed = parse_batch_answer(answer, codes)
        except HotmartBadPayloadError:
            return {subscription.id: (UNANSWERED, "", {}) for subscription in batch}
        outcomes = {}
        for subscription in batch:
            code = subscription.subscriber_code
            if code in parsed.succeeded:
                outcomes[subscription.id] = (DONE, "", {"status": parsed.succeeded[code]})
            elif code in parsed.failed:
                refusal = explain_refusal(self.env, parsed.failed[code])
                outcomes[subscription.id] = (REFUSED, refusal, {})
            else:
                outcomes[subscription.id] = (UNANSWERED, "", {})
        return outcomes

    def _record_outcome(self, kind, outcome, reason, answer, **options):
        """Keep what Hotmart answered: the request, what it changes at once, the chatter."""
        self.ensure_one()
        if outcome == DONE:
            self.write(dict(self._answered_values(kind, answer, **options)))
        self.message_post(body=self._request_message(kind, outcome, reason, **options))

    def _answered_values(self, kind, answer, **options):
        """What Hotmart's acceptance changes at once: a cancellation ends the subscription
        (Hotmart's answer says INACTIVE; the sync then says who cancelled, and Hotmart's own
        event keeps its time), a new charge day is known. A reactivation changes nothing
        until the subscriber accepts."""
        if kind == "cancel":
            status = answer.get("status") if answer.get("status") in ENDED_STATUSES else None
            return {
                "status": status or "CANCELLED_BY_SELLER",
                "date_cancelled": fields.Datetime.now(),
                "date_next_charge": False,
                "request_state": "reported",
            }
        if kind == "charge_day":
            return {"charge_day": options["day"], "request_state": "reported"}
        return {"request_state": "accepted"}

    # ------------------------------------------------------------------ saying so

    def _request_message(self, kind, outcome, reason, **options):
        """Who asked what, and what Hotmart answered, as the chatter says it."""
        return self.env._(
            "%(asked)s %(answered)s",
            asked=self._asked_sentence(kind, **options),
            answered=self._answered_sentence(kind, outcome, reason),
        )

    def _asked_sentence(self, kind, **options):
        user = self.env.user.name
        if kind == "cancel" and options.get("send_mail"):
            return self.env._(
                "%(user)s asked Hotmart to cancel this subscription and to e-mail the subscriber.",
                user=user,
            )
        if kind == "cancel":
            return self.env._(
                "%(user)s asked Hotmart to cancel this subscription without e-mailing the "
                "subscriber.",
                user=user,
            )
        if kind == "reactivate" and options.get("charge"):
            return self.env._(
                "%(user)s asked Hotmart to reactivate this subscription and to charge it as soon "
                "as the subscriber accepts.",
                user=user,
            )
        if kind == "reactivate":
            return self.env._(
                "%(user)s asked Hotmart to reactivate this subscription, charging it on its "
                "billing date.",
                user=user,
            )
        return self.env._(
            "%(user)s asked Hotmart to charge this subscription on day %(day)s of the month.",
            user=user,
            day=options.get("day"),
        )

    def _answered_sentence(self, kind, outcome, reason):
        if outcome == REFUSED:
            return self.env._("Not done: %(reason)s.", reason=reason)
        if outcome != DONE:
            return self.env._(
                "Hotmart did not answer: it may have been done. The next subscriptions sync "
                "tells, and nothing is sent again for a day."
            )
        if kind == "reactivate":
            return self.env._(
                "Hotmart accepted: the subscriber gets an e-mail with a link, valid 3 days. "
                "The subscription is active again once they accept."
            )
        if kind == "cancel":
            return self.env._("Hotmart cancelled it.")
        return self.env._(
            "Hotmart accepted: the new day applies after the charge already scheduled."
        )

    def _request_notification(self, kind, results):
        title = dict(self._fields["request_kind"]._description_selection(self.env))[kind]
        lines = []
        done = results["done"]
        if done:
            lines.append(
                self.env._(
                    "Done on Hotmart: %(subscriptions)s.",
                    subscriptions=", ".join(done.mapped("subscriber_code")),
                )
            )
        for subscription in results["unanswered"]:
            lines.append(
                self.env._(
                    "%(code)s: Hotmart did not answer, so it may have been done; the next "
                    "subscriptions sync tells.",
                    code=subscription.subscriber_code,
                )
            )
        for subscription, reason in results["refused"].items():
            lines.append(
                self.env._(
                    "%(code)s: not done, %(reason)s.",
                    code=subscription.subscriber_code,
                    reason=reason,
                )
            )
        kind_of_notice = "success"
        if results["refused"]:
            kind_of_notice = "danger" if not done else "warning"
        elif results["unanswered"]:
            kind_of_notice = "warning"
        backend = self[:1].backend_id
        return backend._notification(
            kind_of_notice, self.env._("Hotmart: %(request)s", request=title), " ".join(lines)
        )

    # ------------------------------------------------------------------ Hotmart reports

    def _hotmart_write(self, values, cause):
        result = super()._hotmart_write(values, cause)
        self._close_reported_request()
        return result

    def _close_reported_request(self):
        """A pending request whose result Hotmart now reports is no longer pending."""
        self.ensure_one()
        if self.request_state not in ("accepted", "unanswered"):
            return
        reported = (self.request_kind == "cancel" and self.status in ENDED_STATUSES) or (
            self.request_kind == "reactivate" and self.status in RECURRING_STATUSES
        )
        if reported:
            self.write({"request_state": "reported"})
