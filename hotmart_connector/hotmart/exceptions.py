"""Typed Hotmart errors, so callers can tell "try again later" from "fix your configuration".

Each error has an English ``message`` for logs, and a ``reason`` (a stable code) with its
``values``: the Odoo layer (models/explain.py) turns those into a sentence in the user's
language. Neither ever carries a secret.
"""


class HotmartError(Exception):
    """Base of every error the Hotmart client raises."""

    def __init__(self, message, *, status_code=None, code=None, reason=None, values=None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code  # Hotmart's own error code ("invalid_token"), when it gave one
        self.reason = reason  # ours, for a translated sentence (models/explain.py)
        self.values = dict(values or {})


class HotmartAuthError(HotmartError):
    """Hotmart refused the credentials (token request refused, or 401/403 after a new token)."""


class HotmartCredentialsRefusedError(HotmartAuthError):
    """The token request itself was refused: the Client ID, Secret or Basic is wrong."""


class HotmartBadRequestError(HotmartError):
    """Hotmart refused the request itself (4xx other than 401 and 429)."""


class HotmartTransientError(HotmartError):
    """Hotmart could not answer now: 5xx, timeout, connection error. Retry later."""


class HotmartRateLimitError(HotmartTransientError):
    """The credential's call budget is spent and waiting did not bring it back in time."""


class HotmartWindowTooLargeError(HotmartTransientError):
    """Hotmart answered 502: the query over this date window ran past its 30 s limit."""


class HotmartBadPayloadError(HotmartError):
    """A body that is not JSON, or a payload that lacks what a sale cannot exist without."""
