"""What sending a write call to Hotmart shares, whatever it asks: who asked and when, a
request that stays pending until Hotmart reports its result, and Hotmart's answer read as
"done", "refused" or "maybe done".

Hotmart's write calls are not idempotent. So a request is written down, in a transaction of
its own committed at once (``request_journal``), before it is sent: as sent and unanswered,
which is pending. Once Hotmart answers, the same journal writes what it said. Whatever then
becomes of the caller's transaction (Odoo replays a request whose commit failed, a worker
is stopped), the request stays pending and is not sent again.
"""

from contextlib import contextmanager
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
# Waiting a person's click does not wait out: one 429 waited at most this long.
INTERACTIVE_CLIENT = {"rate_limit_retries": 1, "max_wait": 10, "timeout": (10, 30)}
REQUEST_FIELDS = ("request_date", "request_user_id", "request_state")


def request_outcome(env, error):
    """(DONE | REFUSED | UNANSWERED, Hotmart's reason in words) of a write call that raised
    ``error`` (None: it succeeded). A timeout or a server failure after sending may have
    been done: only a refusal (4xx, a spent call limit) certainly was not."""
    if error is None:
        return DONE, ""
    if isinstance(error, HotmartRateLimitError):
        return REFUSED, explain_refusal(env, "too_many_requests")
    if isinstance(error, HotmartTransientError):
        return UNANSWERED, ""
    if isinstance(error, HotmartBadRequestError):
        return REFUSED, explain_refusal(env, error.code, error.values.get("description"))
    return REFUSED, explain(env, error)


def call_hotmart(env, call):
    """(answer, outcome, reason) of ``call()``, as ``request_outcome`` reads it."""
    try:
        return call(), *request_outcome(env, None)
    except HotmartError as error:
        return None, *request_outcome(env, error)


def ready_client(backend):
    """A client for a person's request, its token already in hand: a token that cannot be
    had is told before anything is sent."""
    backend._check_connected()
    client = backend._get_client(**INTERACTIVE_CLIENT)
    try:
        client.get_token()
    except HotmartError as error:
        raise UserError(
            backend.env._(
                "Hotmart could not be reached to send the request (%(reason)s). Nothing was "
                "sent; try again in a moment.",
                reason=explain(backend.env, error),
            )
        ) from None
    return client


def lapse_of(kind):
    return timedelta(hours=REQUEST_LAPSE_HOURS[kind])


@contextmanager
def request_journal(records):
    """``records`` in a transaction of their own, committed when the block ends well."""
    records.env.flush_all()  # what the caller changed is what the journal reads
    with records.env.registry.cursor() as cr:
        yield records.with_env(records.env(cr=cr))
    records.invalidate_recordset()


def lock_for_request(records):
    """Lock ``records``' rows in the journal, refusing to wait: a second click while the
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
    except (errors.LockNotAvailable, errors.SerializationFailure):
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
        if self.request_state not in ("accepted", "unanswered") or not self.request_date:
            return False
        return fields.Datetime.now() < self.request_date + lapse_of(self._request_lapse_kind())

    def _lapse_requests(self):
        """Requests whose time passed without a result: no longer pending, and said so."""
        self.filtered(
            lambda r: r.request_state in ("accepted", "unanswered") and not r._request_is_pending()
        ).write({"request_state": "lapsed"})

    def _request_snapshot(self):
        """What the record says of its last request, to put back if Hotmart refuses."""
        self.ensure_one()
        return {
            name: self._fields[name].convert_to_write(self[name], self) for name in REQUEST_FIELDS
        }

    def _mark_sent(self, **values):
        """Before the call: sent and unanswered, so pending, by this user, now."""
        self.write(
            dict(
                values,
                request_date=fields.Datetime.now(),
                request_user_id=self.env.uid,
                request_state="unanswered",
            )
        )

    def _request_pending_clause(self):
        """Why nothing is sent again, as a clause: who asked, and when."""
        self.ensure_one()
        return self.env._(
            "%(user)s asked on %(date)s and Hotmart has not reported the result yet",
            user=self.request_user_id.name or "?",
            date=fields.Datetime.context_timestamp(self, self.request_date).strftime(
                "%Y-%m-%d %H:%M"
            ),
        )
