"""Hotmart's errors in the words of the person who reads them.

The pure-Python layer (hotmart/) raises typed errors with a ``reason`` and its ``values``;
this turns them into a translated sentence, one message per reason (never built from
fragments). An error without a known reason falls back to its English message.
"""


def _sentences(env, values):
    """{reason: sentence}; every sentence is a literal for the translation export."""
    v = values
    return {
        "not_a_date": lambda: env._("%(value)s is not a date.", value=v.get("value")),
        "missing": lambda: env._(
            "Hotmart's data has no %(field)s: the sale cannot be read until Hotmart sends it.",
            field=v.get("field"),
        ),
        "not_an_amount": lambda: env._(
            "%(field)s is not an amount: %(value)s.", field=v.get("field"), value=v.get("value")
        ),
        "items_not_a_list": lambda: env._(
            "Hotmart's %(what)s answer holds no list of items.", what=v.get("what")
        ),
        "not_a_status": lambda: env._(
            "%(field)s %(value)s is not a Hotmart status.",
            field=v.get("field"),
            value=v.get("value"),
        ),
        "item_not_an_object": lambda: env._("An item of Hotmart's answer cannot be read."),
        "purchase_not_an_object": lambda: env._("The sale's purchase cannot be read."),
        "body_not_an_object": lambda: env._("The body is not a JSON object."),
        "no_data": lambda: env._("The webhook has no data: it cannot be read."),
        "event_without_id": lambda: env._("The body is not a Hotmart event: it has no id."),
        "event_without_name": lambda: env._(
            "The body is not a Hotmart event: it has no event name."
        ),
        "product_without_id": lambda: env._("A Hotmart product has no id: it was skipped."),
        "mixed_currencies": lambda: env._(
            "Hotmart's commissions of this sale are in different currencies (%(currencies)s): "
            "book it by hand.",
            currencies=v.get("currencies"),
        ),
        "plan_switch_without_plan": lambda: env._(
            "The plan switch does not say which plan is current."
        ),
        "charge_date_without_date": lambda: env._(
            "The charge date change does not give the next charge."
        ),
        "not_a_subscription_event": lambda: env._(
            "%(event)s is not a subscription event.", event=v.get("event")
        ),
        "token_without_access": lambda: env._(
            "Hotmart's token answer has no access token: test the connection again."
        ),
        "rate_limit_spent": lambda: env._(
            "Hotmart's call limit for this credential (500 calls per minute) stayed spent: the "
            "next run goes on."
        ),
        "timeout": lambda: env._(
            "Hotmart (%(host)s) did not answer within %(seconds)s seconds: the next run tries "
            "again.",
            host=v.get("host"),
            seconds=v.get("seconds"),
        ),
        "unreachable": lambda: env._(
            "Hotmart could not be reached at %(host)s.", host=v.get("host")
        ),
        "answer_not_json": lambda: env._(
            "Hotmart answered HTTP %(status)s with a body that cannot be read: the next run "
            "tries again.",
            status=v.get("status"),
        ),
        "credentials_refused": lambda: env._("Hotmart refused the credentials."),
        "access_refused": lambda: env._(
            "Hotmart refused the access (HTTP %(status)s).", status=v.get("status")
        ),
        "window_too_large": lambda: env._(
            "Hotmart gave up on a period too large to read at once: the next run reads it in "
            "smaller parts."
        ),
        "server_error": lambda: env._(
            "Hotmart failed (HTTP %(status)s) after several tries: the next run tries again.",
            status=v.get("status"),
        ),
        "bad_request": lambda: env._(
            "Hotmart refused the request (HTTP %(status)s, %(code)s).",
            status=v.get("status"),
            code=v.get("code"),
        ),
        "no_items": lambda: env._("Hotmart's answer holds no list of items."),
    }


def explain(env, error):
    """The error as a sentence in ``env``'s language."""
    sentence = _sentences(env, getattr(error, "values", {}) or {}).get(
        getattr(error, "reason", None)
    )
    return sentence() if sentence else getattr(error, "message", str(error))


def _refusals(env):
    """{Hotmart's error code: why it refused a write call}; every sentence a literal."""
    return {
        "SUBSCRIPTION_ALREADY_CANCELED_OR_OVERDUE": lambda: env._(
            "it is already cancelled or overdue on Hotmart"
        ),
        "SUBSCRIPTION_ALREADY_ACTIVE": lambda: env._("it is already active on Hotmart"),
        "subscription_in_trial_period": lambda: env._(
            "it is in its trial period: Hotmart moves the charge day only after it"
        ),
        "not_found": lambda: env._("Hotmart does not know it on this account"),
        "not_in_answer": lambda: env._("Hotmart's answer does not mention it: check it on Hotmart"),
        "too_many_requests": lambda: env._(
            "Hotmart's call limit is spent for the minute: ask again in a minute"
        ),
    }


def explain_refusal(env, code, description=None):
    """Why Hotmart refused a write call, from its error code (and description), in words."""
    sentence = _refusals(env).get(code or "")
    if sentence:
        return sentence()
    if description:
        return env._(
            "Hotmart refused it (%(code)s: %(description)s)",
            code=code or "?",
            description=description,
        )
    return env._("Hotmart refused it (%(code)s)", code=code or "?")
