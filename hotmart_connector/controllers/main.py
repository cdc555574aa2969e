import hmac
import json
import logging

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)

# Hotmart's postbacks are a few kilobytes; anything this large is not one, and is not stored.
MAX_BODY_BYTES = 1024 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Compared against when the account is unknown, so that both refusals take the same time.
_NO_HOTTOK = b"\0" * 64


class HotmartWebhookController(http.Controller):
    """Hotmart's postbacks: checked, stored and answered at once; processed right after."""

    @http.route(
        "/hotmart/webhook/<int:backend_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=MAX_BODY_BYTES,
    )
    def hotmart_webhook(self, backend_id, **_kwargs):
        backend = request.env["hotmart.backend"].sudo().browse(backend_id).exists()
        if not self._hottok_matches(backend):
            # an unknown account and a wrong hottok look the same from outside
            _logger.warning(
                "Hotmart webhook for account %s refused: unknown or wrong hottok.", backend_id
            )
            return self._reply(401, "unauthorized")
        if request.httprequest.mimetype in FORM_TYPES:
            # Odoo parses form bodies into parameters: the raw body is gone, and Hotmart
            # never sends one
            return self._reply(415, "unsupported_media_type")
        body = self._read_body()
        if body is None:
            _logger.warning("Hotmart webhook for account %s refused: body over 1 MiB.", backend_id)
            return self._reply(413, "payload_too_large")
        Event = request.env["hotmart.webhook.event"].sudo()
        event, is_new = Event._store_delivery(backend, body)
        if is_new and event.state == "pending":
            request.env.ref("hotmart_connector.ir_cron_process_webhooks").sudo()._trigger()
        return self._reply(200, "received" if is_new else "duplicate")

    @staticmethod
    def _hottok_matches(backend):
        given = request.httprequest.headers.get("X-HOTMART-HOTTOK", "").encode("utf-8")
        usable = bool(backend and backend.active and backend.hottok)
        expected = backend.hottok.encode("utf-8") if usable else _NO_HOTTOK
        return hmac.compare_digest(given, expected) and usable

    @staticmethod
    def _read_body():
        """The body, or None when it is larger than MAX_BODY_BYTES. The route's
        max_content_length makes werkzeug refuse a larger Content-Length before reading;
        the length check catches a chunked body on a werkzeug that does not stop it."""
        try:
            body = request.httprequest.get_data(cache=False)
        except RequestEntityTooLarge:
            return None
        return body if len(body) <= MAX_BODY_BYTES else None

    @staticmethod
    def _reply(status, message):
        return request.make_response(
            json.dumps({"status": message}),
            headers=[("Content-Type", "application/json")],
            status=status,
        )
