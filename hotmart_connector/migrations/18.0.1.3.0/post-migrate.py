"""1.3: orders are made from stored columns, parsed once; who said each status; sales
ordered before Receive Sales Since wait in their own state."""

import logging

from odoo import SUPERUSER_ID, api

from odoo.addons.hotmart_connector.hotmart.exceptions import HotmartBadPayloadError
from odoo.addons.hotmart_connector.hotmart.records import (
    buyers_by_transaction,
    parse_history_item,
    parse_webhook_sale,
)
from odoo.addons.hotmart_connector.models.sale_columns import _buyer_values

_logger = logging.getLogger(__name__)


def _buyer_from_payload(sale):
    """The buyer the stored payload describes, parsed the way 1.2 parsed it to receive."""
    payload = sale.payload or {}
    if payload.get("source") == "webhook":
        return parse_webhook_sale(payload.get("event"), payload.get("data")).buyer
    if "history" not in payload:
        return None
    users = payload.get("users")
    buyer = buyers_by_transaction([users]).get(sale.transaction) if users else None
    return parse_history_item(payload["history"], buyer).buyer


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute(
        "UPDATE hotmart_sale SET status_source = CASE WHEN status_date IS NULL THEN 'rest' "
        "ELSE 'webhook' END, status_read_date = CASE WHEN status_date IS NULL THEN write_date "
        "END WHERE status_source IS NULL"
    )
    sales = env["hotmart.sale"].search([("payload", "!=", False)])
    filled = 0
    for sale in sales:
        try:
            buyer = _buyer_from_payload(sale)
        except (HotmartBadPayloadError, ValueError, TypeError):
            continue
        if buyer:
            sale.write(_buyer_values(buyer))
            filled += 1
    backends = env["hotmart.backend"].with_context(active_test=False).search([])
    env["hotmart.sale"]._sync_import_state_of(backends)
    _logger.info("Hotmart: buyer details of %s stored sales parsed once.", filled)
