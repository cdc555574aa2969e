"""What sending a write call to Hotmart shares, whatever it asks: who asked and when, a
request that stays pending until Hotmart reports its result, and Hotmart's answer read as
"done", "refused" or "maybe done"."""

from datetime import timedelta

from psycopg2 import errors

from odoo import fields, models
from odoo.exceptions import UserError

from ..const import REQUEST_LAPSE_HOURS
from ..hotmart.exceptions import (
    HotmartBadRequestError,
    HotmartError,
    HotmartRateLimitError,
    HotmartTransientError,
)
from .explain import explain, explain_refusal

# How a write call ended.
DONE, REFUSED, UNANSWERED = "done", "refused", "unanswered"


def request_outcome(env, error):
    """(DONE | REFUSED | UNANSWERED, reason in words) of a write call that raised ``error``
    (None: it succeeded). A timeout or a server failure after sending may have been done:
    only a refusal (4xx, a spent call limit) certainly was not."""
    if error is None:
        return DONE, ""
    if isinstance(error, HotmartRateLimitError):
        return REFUSED, explain_refusal(env, "too_many_requests")
    if isinstance(error, HotmartTransientError):
        return UNANSWERED, explain(env, error)
    if isinstance(error, HotmartBadRequestError):
        return REFUSED, explain_refusal(env, error.code, error.values.get("description"))
    return REFUSED, explain(env, error)


def call_hotmart(env, call):
    """``call()``'s outcome as ``request_outcome`` says, with its answer when done."""
    try:
        return call(), *request_outcome(env, None)
    except HotmartError as error:
        return None, *request_outcome(env, error)


def lapse_of(kind):
    return timedelta(hours=REQUEST_LAPSE_HOURS[kind])


def lock_for_request(records):
    """Lock ``records``' rows for the request, refusing to wait: a second click while the
    first is talking to Hotmart is told so, never sent."""
    if not records:
        return
    records.flush_recordset()
    try:
        with records.env.cr.savepoint(flush=False):
            records.env.cr.execute(
                f"SELECT id FROM {records._table} WHERE id IN %s FOR UPDATE NOWAIT",  # noqa: S608
                [tuple(records.ids)],
            )
    except errors.LockNotAvailable:
        raise UserError(
            records.env._(
                "Somebody is sending a request for this to Hotmart right now. Wait a moment, "
                "reload the page, and look at what Hotmart answered before asking again."
            )
        ) from None
    records.invalidate_recordset()


class HotmartRequestMixin(models.AbstractModel):
    """Who last asked Hotmart for something about this record, when, and whether it is
    still pending: Hotmart's write calls are not idempotent, so a pending request is never
    sent again."""

    _name = "hotmart.request.mixin"
    _description = "Requests Sent to Hotmart"

    request_date = fields.Datetime(string="Requested On", readonly=True, copy=False)
    request_user_id = fields.Many2one("res.users", string="Requested By", readonly=True, copy=False)
    request_state = fields.Selection(
        [
            ("accepted", "Accepted by Hotmart, result not reported yet"),
            ("unanswered", "Sent, Hotmart did not answer"),
            ("reported", "Hotmart reported the result"),
            ("lapsed", "No result reported"),
        ],
        readonly=True,
        copy=False,
        help="A request accepted or left unanswered is pending: it is not sent again until "
        "Hotmart reports its result (webhook or sync), or until enough time passed without "
        "a sign of it.",
    )
    request_pending = fields.Boolean(compute="_compute_request_pending")

    def _compute_request_pending(self):
        for record in self:
            record.request_pending = record._request_is_pending()

    def _request_lapse_kind(self):
        """Which of REQUEST_LAPSE_HOURS applies to this record's pending request."""
        return self.request_state

    def _request_is_pending(self):
        self.ensure_one()
        if self.request_state not in ("accepted", "unanswered"):
            return False
        return fields.Datetime.now() < self.request_date + lapse_of(self._request_lapse_kind())

    def _request_values(self, outcome):
        """What the record keeps of a request that ended in ``outcome``."""
        return {
            "request_date": fields.Datetime.now(),
            "request_user_id": self.env.uid,
            "request_state": "accepted" if outcome == DONE else "unanswered",
        }

    def _request_pending_sentence(self):
        """Why nothing is sent again: who asked, when, and what is awaited."""
        self.ensure_one()
        return self.env._(
            "%(user)s asked Hotmart on %(date)s and Hotmart has not reported the result yet: "
            "nothing was sent again.",
            user=self.request_user_id.name or "?",
            date=fields.Datetime.context_timestamp(self, self.request_date).strftime(
                "%Y-%m-%d %H:%M"
            ),
        )
