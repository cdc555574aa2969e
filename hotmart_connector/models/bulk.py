"""Bulk ORM work in which one bad record only fails itself."""

import logging

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)

# What Odoo raises when it refuses one record's values.
REFUSALS = (UserError, ValidationError, ValueError, IntegrityError)


def reason_of(error):
    return str(error.args[0]) if error.args else str(error)


def create_isolated(model, keys, vals_list, explain):
    """Create ``vals_list`` in one go; if that fails, each alone in its own savepoint.

    :param keys: one key per values dict, to report the outcome by
    :param explain: ``explain(values, reason)`` -> the message a person reads for a refusal
    :return: ({key: record}, {key: message})
    """
    if not vals_list:
        return {}, {}
    try:
        with model.env.cr.savepoint():
            records = model.create(vals_list)
            records.flush_recordset()
        return dict(zip(keys, records, strict=True)), {}
    except REFUSALS as error:
        _logger.info("Bulk creation of %s failed (%s); creating one by one.", model._name, error)
    created, refused = {}, {}
    for key, values in zip(keys, vals_list, strict=True):
        try:
            with model.env.cr.savepoint():
                created[key] = model.create([values])
                created[key].flush_recordset()
        except REFUSALS as error:
            refused[key] = explain(values, reason_of(error))
    return created, refused
