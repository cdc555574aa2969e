import hmac
import json
import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class HotmartWebhookController(http.Controller):
    """Hotmart's postbacks: checked, stored and answered at once; processed right after."""

    @http.route(
        "/hotmart/webhook/<int:backend_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def hotmart_webhook(self, backend_id, **_kwargs):
        backend = request.env["hotmart.backend"].sudo().browse(backend_id).exists()
        if not backend or not backend.active:
            return self._reply(404, "unknown_account")
        given = request.httprequest.headers.get("X-HOTMART-HOTTOK", "")
        if not backend.hottok or not hmac.compare_digest(
            given.encode("utf-8"), backend.hottok.encode("utf-8")
        ):
            _logger.warning("Hotmart webhook for account %s refused: wrong hottok.", backend.id)
            return self._reply(401, "invalid_hottok")
        body = request.httprequest.get_data(cache=False)
        Event = request.env["hotmart.webhook.event"].sudo()
        event, is_new = Event._store_delivery(backend, body)
        if is_new and event.state == "pending":
            request.env.ref("hotmart_connector.ir_cron_process_webhooks").sudo()._trigger()
        return self._reply(200, "received" if is_new else "duplicate")

    @staticmethod
    def _reply(status, message):
        return request.make_response(
            json.dumps({"status": message}),
            headers=[("Content-Type", "application/json")],
            status=status,
        )
