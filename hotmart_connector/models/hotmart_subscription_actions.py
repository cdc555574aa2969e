"""Cancel, reactivate or move the charge day of subscriptions on Hotmart, from Odoo.

Several subscriptions of an account go in one batch call where Hotmart has one (cancel,
reactivate). Each subscription ends up done, refused (with Hotmart's reason) or unanswered
(maybe done: it stays pending until the subscriptions sync tells). The chatter records who
asked what and what Hotmart answered; the status follows Hotmart's answer or the next sync.
"""

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import split_every

from ..const import CHARGE_DAY_STATUSES, SUBSCRIPTION_BATCH, SUBSCRIPTION_REQUESTS
from ..hotmart.actions import parse_batch_answer
from ..hotmart.subscriptions import ENDED_STATUSES, RECURRING_STATUSES
from .explain import explain_refusal
from .guard import as_connector, check_hotmart_role
from .hotmart_request import DONE, REFUSED, call_hotmart, lock_for_request


class HotmartSubscription(models.Model):
    _name = "hotmart.subscription"
    _inherit = ["hotmart.subscription", "hotmart.request.mixin"]

    request_kind = fields.Selection(
        SUBSCRIPTION_REQUESTS, string="Last Request", readonly=True, copy=False
    )
    charge_day = fields.Integer(
        readonly=True,
        copy=False,
        help="The day of the month Hotmart charges, as last changed from Odoo or told by "
        "Hotmart; it applies after the charge already scheduled.",
    )

    def _request_lapse_kind(self):
        if self.request_kind == "reactivate" and self.request_state == "accepted":
            return "reactivate"  # the subscriber has 3 days to accept
        return self.request_state

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
        lock_for_request(subscriptions)
        refused = {}
        for subscription in subscriptions:
            reason = subscription._why_not(kind)
            if reason:
                refused[subscription] = reason
        results = {"done": subscriptions.browse(), "refused": refused, "unanswered": {}}
        for backend in (subscriptions - subscriptions.browse([s.id for s in refused])).backend_id:
            backend._check_connected()
            asked = subscriptions.filtered(
                lambda s, b=backend: s.backend_id == b and s not in refused
            )
            client = backend._get_client()
            if kind == "charge_day":
                for subscription in asked:
                    subscription._send_alone(client, kind, results, **options)
            else:
                for batch in split_every(SUBSCRIPTION_BATCH, asked.ids, asked.browse):
                    batch._send_batch(client, kind, results, **options)
        for subscription, reason in refused.items():
            subscription._tell_request(kind, REFUSED, reason, **options)
        return subscriptions._request_notification(kind, results)

    def _why_not(self, kind):
        """Why this subscription is not sent to Hotmart for ``kind``, in words, or ''."""
        self.ensure_one()
        if self._request_is_pending():
            return self._request_pending_sentence()
        if kind == "cancel" and self.status in ENDED_STATUSES:
            return self.env._("it is cancelled already")
        if kind == "reactivate" and self.status in ("ACTIVE",):
            return self.env._("it is active already")
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

    def _send_alone(self, client, kind, results, **options):
        """One subscription, one call: 200 is done, a refusal says why."""
        self.ensure_one()
        answer, outcome, reason = call_hotmart(
            self.env, lambda: self._call(client, kind, [self.subscriber_code], **options)
        )
        self._record_outcome(kind, outcome, reason, results, answer, **options)

    def _send_batch(self, client, kind, results, **options):
        """These subscriptions in one call (one subscription: Hotmart's call for one)."""
        if len(self) == 1:
            return self._send_alone(client, kind, results, **options)
        codes = self.mapped("subscriber_code")
        answer, outcome, reason = call_hotmart(
            self.env, lambda: self._call(client, kind, codes, **options)
        )
        if outcome != DONE:
            for subscription in self:
                subscription._record_outcome(kind, outcome, reason, results, **options)
            return None
        parsed = parse_batch_answer(answer, codes)
        for subscription in self:
            code = subscription.subscriber_code
            if code in parsed.succeeded:
                item = {"status": parsed.succeeded[code]}
                subscription._record_outcome(kind, DONE, "", results, item, **options)
            else:
                refusal = explain_refusal(self.env, parsed.failed.get(code))
                subscription._record_outcome(kind, REFUSED, refusal, results, **options)
        return None

    def _record_outcome(self, kind, outcome, reason, results, answer=None, **options):
        """Keep what Hotmart answered: the request, the status it gave, the chatter."""
        self.ensure_one()
        if outcome == REFUSED:
            results["refused"][self] = reason
        else:
            values = dict(self._request_values(outcome), request_kind=kind)
            if outcome == DONE:
                results["done"] |= self
                values.update(self._answered_values(kind, answer or {}, **options))
            else:
                results["unanswered"][self] = reason
            self.write(values)
        self._tell_request(kind, outcome, reason, **options)

    def _answered_values(self, kind, answer, **options):
        """What Hotmart's acceptance changes at once: a cancellation ends the subscription
        (Hotmart's answer says INACTIVE; the sync then says who cancelled), a new charge day
        is known. A reactivation changes nothing until the subscriber accepts."""
        now = fields.Datetime.now()
        if kind == "cancel":
            status = answer.get("status") if answer.get("status") in ENDED_STATUSES else None
            return {
                "status": status or "CANCELLED_BY_SELLER",
                "status_date": now,
                "date_cancelled": now,
                "date_next_charge": False,
                "request_state": "reported",
            }
        if kind == "charge_day":
            return {"charge_day": options["day"], "request_state": "reported"}
        return {}

    # ------------------------------------------------------------------ saying so

    def _request_sentence(self, kind, **options):
        """What was asked, as the chatter says it."""
        if kind == "cancel":
            if options.get("send_mail"):
                return self.env._("to cancel it (Hotmart e-mails the subscriber)")
            return self.env._("to cancel it (without e-mailing the subscriber)")
        if kind == "reactivate":
            if options.get("charge"):
                return self.env._("to reactivate it and charge now")
            return self.env._("to reactivate it, charging on the billing date")
        return self.env._("to charge it on day %(day)s of the month", day=options.get("day"))

    def _tell_request(self, kind, outcome, reason, **options):
        self.ensure_one()
        asked = self.env._(
            "%(user)s asked Hotmart %(request)s.",
            user=self.env.user.name,
            request=self._request_sentence(kind, **options),
        )
        if outcome == REFUSED:
            told = self.env._("Not done: %(reason)s.", reason=reason)
        elif outcome != DONE:
            told = self.env._(
                "Hotmart did not answer (%(reason)s): it may have been done. The next "
                "subscriptions sync tells; nothing is sent again before.",
                reason=reason,
            )
        elif kind == "reactivate":
            told = self.env._(
                "Hotmart accepted: the subscriber gets an e-mail with a link, valid 3 days. "
                "The subscription is active again once they accept."
            )
        elif kind == "cancel":
            told = self.env._("Hotmart cancelled it.")
        else:
            told = self.env._(
                "Hotmart accepted: the new day applies after the charge already scheduled."
            )
        self.message_post(body=self.env._("%(asked)s %(told)s", asked=asked, told=told))

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
        for subscription, reason in results["unanswered"].items():
            lines.append(
                self.env._(
                    "%(code)s: Hotmart did not answer (%(reason)s); the next sync tells.",
                    code=subscription.subscriber_code,
                    reason=reason,
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
