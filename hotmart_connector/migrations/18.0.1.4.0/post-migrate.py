"""1.4: what real Hotmart payloads carry is read right and kept: buyers' phones in E.164 and
documents with their type, whose sale it is, installments, the link that sold it, order
bumps and who invoices the buyer. Stored sales whose payload is still kept are read again."""

import logging

from odoo import SUPERUSER_ID, api

from odoo.addons.hotmart_connector.hotmart.exceptions import HotmartBadPayloadError
from odoo.addons.hotmart_connector.hotmart.records import (
    buyers_by_transaction,
    parse_history_item,
    parse_webhook_sale,
)
from odoo.addons.hotmart_connector.models.hotmart_sale import _buyer_values, purchase_values

_logger = logging.getLogger(__name__)


def _record_from_payload(sale):
    """The sale its stored payload describes, as this version reads it; None without one."""
    payload = sale.payload or {}
    if payload.get("source") == "webhook":
        return parse_webhook_sale(payload.get("event"), payload.get("data"))
    if "history" not in payload:
        return None
    users = payload.get("users")
    buyer = buyers_by_transaction([users]).get(sale.transaction) if users else None
    return parse_history_item(payload["history"], buyer)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    read_again = 0
    for sale in env["hotmart.sale"].search([("payload", "!=", False)]):
        try:
            record = _record_from_payload(sale)
        except (HotmartBadPayloadError, ValueError, TypeError):
            continue
        if record:
            sale.write({**_buyer_values(record.buyer), **purchase_values(record)})
            read_again += 1
    backends = env["hotmart.backend"].with_context(active_test=False).search([])
    env["hotmart.sale"]._sync_import_state_of(backends)
    _logger.info("Hotmart: %s stored sales read again for what their payload carries.", read_again)
