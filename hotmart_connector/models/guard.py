"""What only the connector writes, the clean context its superuser work runs in, and the
switches its own runs set, which no caller's context can reach."""

import threading
from contextlib import contextmanager
from contextvars import ContextVar

from odoo.exceptions import AccessError

# Whether the running work is a scheduled run that commits as it goes (per page, per batch).
# A context variable of the Python process, not a key of Odoo's context: nobody calling a
# method over RPC can switch it on.
_COMMITTING = ContextVar("hotmart_committing", default=False)
# Timeouts and waits tests and benchmarks give the Hotmart client (never a URL or a secret).
_CLIENT_TUNING = ContextVar("hotmart_client_tuning", default=None)

# Context keys a caller may pass on to the connector's superuser work; anything else
# (default_* values, hotmart_* switches meant for scheduled runs and tests) is dropped.
KEPT_CONTEXT_KEYS = ("lang", "tz", "allowed_company_ids")


def connector_context(env):
    """The caller's language, time zone and companies, and nothing else."""
    return {key: env.context[key] for key in KEPT_CONTEXT_KEYS if key in env.context}


def as_connector(records):
    """``records`` as the connector works on them: superuser, clean context."""
    # replacing the context, not adding to it, is the point: the caller's keys are dropped
    return records.sudo().with_context(connector_context(records.env))  # pylint: disable=context-overridden


def in_test():
    """Whether this thread runs Odoo's tests, which must never commit."""
    return bool(getattr(threading.current_thread(), "testing", False))


@contextmanager
def committing_run(force=False):
    """Scheduled work inside commits as it goes (outside tests, or with ``force``)."""
    token = _COMMITTING.set(force or not in_test())
    try:
        yield
    finally:
        _COMMITTING.reset(token)


def commits():
    """Whether the running work is a scheduled run that commits as it goes."""
    return _COMMITTING.get()


@contextmanager
def tuned_client(**options):
    """Tests and benchmarks: the Hotmart clients made inside get these options."""
    token = _CLIENT_TUNING.set(options)
    try:
        yield
    finally:
        _CLIENT_TUNING.reset(token)


def client_tuning():
    return _CLIENT_TUNING.get() or {}


def check_hotmart_role(records, group):
    """The caller has this Hotmart role (``group_hotmart_user``, ``group_hotmart_manager``) and
    may see ``records``: buttons call methods that anybody can call over RPC."""
    env = records.env
    if not env.su and not env.user.has_group(f"hotmart_connector.{group}"):
        raise AccessError(env._("Your Hotmart role does not allow this."))
    records.check_access("read")


def written_fields(model, vals_list):
    """The fields these values write, defaults given through the context included."""
    names = {name for vals in vals_list for name in vals}
    names |= {key[8:] for key in model.env.context if key.startswith("default_")}
    return names


def refuse_unless(allowed, model, vals_list, protected, message):
    """Raise AccessError when ``vals_list`` writes one of ``protected`` and not ``allowed``."""
    if allowed:
        return
    written = sorted(written_fields(model, vals_list) & set(protected))
    if written:
        raise AccessError(message(", ".join(written)))
