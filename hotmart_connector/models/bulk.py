"""Bulk ORM work in which one bad record only fails itself."""

import logging
import random
import time

from psycopg2 import IntegrityError, errors

from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)

# What Odoo raises when it refuses one record's values.
REFUSALS = (UserError, ValidationError, ValueError, IntegrityError)


def raise_concurrent_run(cr, what):
    """Abort this transaction as lost to a concurrent one, to be retried from the start.

    Raised by the database itself (SQLSTATE 40001, a serialization failure), so that whatever
    runs the work retries it in a new transaction as it retries any concurrent update: Odoo's
    HTTP layer retries the request, the scheduled actions retry the batch, a webhook event
    stays waiting.
    """
    cr.execute(
        "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'serialization_failure', MESSAGE = %s; END $$",
        [f"Another transaction created the same {what} first; retry"],
        log_exceptions=False,
    )


def together_else_each(records, work, on_failure, what):
    """``work(records)`` in one savepoint; if Odoo refuses it, ``work(record)`` for each
    record in a savepoint of its own, and ``on_failure(record, error)`` for each one refused
    alone: one bad record never stops the others, and a good batch costs one pass."""
    if not records:
        return
    env = records.env
    try:
        with env.cr.savepoint():
            work(records)
            env.flush_all()
        return
    except REFUSALS as error:
        if len(records) == 1:
            on_failure(records, error)
            return
        _logger.info("%s in bulk failed (%s); one by one.", what, error)
    for record in records:
        try:
            with env.cr.savepoint():
                work(record)
                env.flush_all()
        except REFUSALS as error:
            on_failure(record, error)


def retry_lost_races(env, work, attempts, what, committing):
    """``work()`` in the scheduled run's transaction; when it loses a race to a concurrent
    transaction (serialization failure, deadlock), roll back and do it again, in a new
    transaction that sees what the other one made, up to ``attempts`` more times. Outside
    a committing run (a person's click, a test) the error goes up to whoever owns the
    transaction: Odoo retries an HTTP request that fails this way. Every lost race means
    another run made progress, so the retries converge."""
    for attempt in range(attempts + 1):
        try:
            return work()
        except errors.TransactionRollbackError as error:
            if not committing or attempt == attempts:
                raise
            _logger.info("%s lost a race (%s); trying it again.", what, error.pgerror or error)
            env.cr.rollback()
            env.invalidate_all()
            time.sleep(random.uniform(0, 0.1 * (attempt + 1)))  # let the other run finish


def changed_values(record, values):
    """The ``values`` that differ from what ``record`` holds: writing only those, re-reading
    an unchanged record costs no UPDATE (and no chatter line)."""
    changed = {}
    for name, value in values.items():
        field, current = record._fields[name], record[name]
        if field.type == "many2one":
            differs = current.id != (value or False)
        elif field.type in ("float", "monetary"):
            differs = round((current or 0.0) - (value or 0.0), 6) != 0
        elif field.type == "json":
            differs = current != value
        else:
            differs = (current or False) != (value or False)
        if differs:
            changed[name] = value
    return changed


def reason_of(error):
    return str(error.args[0]) if error.args else str(error)


def create_isolated(model, keys, vals_list, explain, race_indexes=()):
    """Create ``vals_list`` in one go; if that fails, each alone in its own savepoint.

    :param keys: one key per values dict, to report the outcome by
    :param explain: ``explain(values, reason)`` -> the message a person reads for a refusal
    :param race_indexes: unique indexes that a concurrent transaction filling the same
        records first violates; hitting one aborts the transaction for a retry
        (:func:`raise_concurrent_run`) instead of refusing a record
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
            if getattr(getattr(error, "diag", None), "constraint_name", None) in race_indexes:
                raise_concurrent_run(model.env.cr, model._description)
            refused[key] = explain(values, reason_of(error))
    return created, refused
