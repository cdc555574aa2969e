"""What only the connector writes, and the clean context its superuser work runs in."""

from odoo.exceptions import AccessError

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
