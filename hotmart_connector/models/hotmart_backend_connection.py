"""The account's connection to Hotmart: its client, Test Connection, and errors in words."""

from urllib.parse import urlsplit

from odoo import fields, models
from odoo.exceptions import UserError

from ..hotmart.client import HotmartClient
from ..hotmart.exceptions import (
    HotmartAuthError,
    HotmartCredentialsRefusedError,
    HotmartError,
    HotmartRateLimitError,
    HotmartTransientError,
)
from .explain import explain
from .guard import as_connector, check_hotmart_role, client_tuning

# The "run" a failed Test Connection is kept under, on the card, until a test succeeds.
TEST_CONNECTION_RUN = "action_test_connection"
# What tests and benchmarks may tune (guard.tuned_client), never a URL or a credential.
CLIENT_OPTIONS = (
    "timeout",
    "retries",
    "backoff",
    "rate_limit_retries",
    "max_wait",
    "page_size",
    "sleep",
)


class HotmartBackend(models.Model):
    _inherit = "hotmart.backend"

    def _get_client(self, **options):
        """A Hotmart client with this account's credentials (read as superuser)."""
        self.ensure_one()
        backend = self.sudo()
        # tests and benchmarks tune timeouts and waiting (guard.tuned_client)
        tuned = client_tuning()
        options = dict({k: v for k, v in tuned.items() if k in CLIENT_OPTIONS}, **options)
        return HotmartClient(
            backend.client_id,
            backend.client_secret,
            backend.basic_token,
            api_url=backend.api_url,
            auth_url=backend.auth_url,
            **options,
        )

    def action_test_connection(self):
        """Get a token and make one cheap call; the account becomes active on success."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_manager")
        missing = as_connector(self)._get_missing_settings()
        if missing:
            raise UserError(
                self.env._(
                    "Fill in %(fields)s on the Connection tab before testing the connection.",
                    fields=", ".join(missing),
                )
            )
        try:
            self._get_client(retries=1, rate_limit_retries=1, max_wait=10).check_connection()
        except HotmartError as error:
            reason = self._explain_connection_error(error)
            as_connector(self).message_post(
                body=self.env._("Test Connection failed: %(reason)s", reason=reason)
            )
            # the card says so until a test succeeds, as it does for a failed run
            as_connector(self).write(
                {
                    "last_error": self.env._("Test Connection failed: %(reason)s", reason=reason),
                    "last_error_run": TEST_CONNECTION_RUN,
                }
            )
            return self._notification("danger", self.env._("Test Connection failed"), reason)
        backend = as_connector(self)
        backend.last_connection_date = fields.Datetime.now()
        if backend.last_error_run == TEST_CONNECTION_RUN:
            backend.write({"last_error": False, "last_error_run": False})
        message = self.env._(
            "%(name)s can talk to Hotmart (%(environment)s). Sales can now be received.",
            name=self.name,
            environment=dict(self._fields["environment"]._description_selection(self.env))[
                self.environment
            ],
        )
        as_connector(self).message_post(body=message)
        return self._notification("success", self.env._("Connected to Hotmart"), message)

    def _notification(self, kind, title, message):
        """A notification that stays until read when something failed; the form reloads."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "title": title,
                "message": message,
                "sticky": kind == "danger",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _explain_unreachable(self, error, api_host):
        """Hotmart out of reach, one sentence per cause, each with its one advice."""
        values = error.values or {}
        if error.reason == "timeout":
            return self.env._(
                "Hotmart (%(host)s) did not answer within %(seconds)s seconds. Test again in a "
                "moment.",
                host=values.get("host") or api_host,
                seconds=values.get("seconds"),
            )
        if error.reason == "server_error":
            return self.env._(
                "Hotmart failed (HTTP %(status)s) after several tries. Test again in a moment.",
                status=values.get("status"),
            )
        return self.env._(
            "Hotmart could not be reached at %(host)s. Check the account's URLs and this "
            "server's internet access, then test again.",
            host=values.get("host") or api_host,
        )

    def _explain_connection_error(self, error):
        """What went wrong, in the user's words, with what to do next. Never a secret."""
        api_url = self.sudo().api_url or ""
        api_host = urlsplit(api_url).netloc or api_url
        if isinstance(error, HotmartCredentialsRefusedError):
            return self.env._(
                "Hotmart refused these credentials. Copy the Client ID, the Client Secret and "
                "the Basic value again from Hotmart (Tools > Hotmart Credentials), without "
                "spaces, and test again."
            )
        if isinstance(error, HotmartAuthError):
            return self.env._(
                "Hotmart accepted the credentials but refused them on %(host)s. A sandbox "
                "credential works only with the Sandbox environment and a production credential "
                "only with Production: check the Environment of this account.",
                host=api_host,
            )
        if isinstance(error, HotmartRateLimitError):
            return self.env._(
                "Hotmart's call limit for this credential is spent for the moment (500 calls "
                "per minute). Wait a minute and test again."
            )
        if isinstance(error, HotmartTransientError):
            return self._explain_unreachable(error, api_host)
        return self.env._(
            "Hotmart answered in an unexpected way: %(reason)s", reason=explain(self.env, error)
        )
