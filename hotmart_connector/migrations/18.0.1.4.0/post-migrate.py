"""1.4: what real Hotmart payloads carry is read right and kept: buyers' phones in E.164 and
documents with their type, whose sale it is, installments, the link that sold it, order
bumps and who invoices the buyer. Stored sales whose payload is still kept are read again;
those already purged keep what 1.3 stored, and Fetch Sales over their period reads them."""

import logging

from odoo import SUPERUSER_ID, api

from odoo.addons.hotmart_connector.hotmart.exceptions import HotmartBadPayloadError
from odoo.addons.hotmart_connector.hotmart.records import (
    buyers_by_transaction,
    parse_history_item,
    parse_webhook_sale,
)
from odoo.addons.hotmart_connector.models.sale_columns import (
    _buyer_values,
    purchase_values,
    without_worse_phone,
)

_logger = logging.getLogger(__name__)


def _records_from_payload(sale):
    """The sale as each part of its stored payload describes it, as this version reads
    them: the sales history (with its buyer) and the latest webhook, whichever are kept."""
    payload = sale.payload or {}
    records = []
    if "history" in payload:
        users = payload.get("users")
        buyer = buyers_by_transaction([users]).get(sale.transaction) if users else None
        records.append(parse_history_item(payload["history"], buyer))
    # a sale a webhook stored first keeps it at the top; one the history stored first keeps
    # later webhooks under "webhook"
    webhook = payload if "data" in payload else payload.get("webhook") or {}
    if webhook.get("data"):
        records.append(parse_webhook_sale(webhook.get("event"), webhook.get("data")))
    return records


def _values_of(records):
    """What the records say, each filling in what the others leave empty."""
    values = {}
    for record in records:
        said = {**_buyer_values(record.buyer), **purchase_values(record)}
        values.update(without_worse_phone(said, values.get("buyer_phone")))
    return values


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    read_again = 0
    for sale in env["hotmart.sale"].search([("payload", "!=", False)]):
        try:
            values = _values_of(_records_from_payload(sale))
        except (HotmartBadPayloadError, ValueError, TypeError):
            continue
        if values:
            sale.write(values)
            read_again += 1
    backends = env["hotmart.backend"].with_context(active_test=False).search([])
    env["hotmart.sale"]._sync_import_state_of(backends)
    _logger.info("Hotmart: %s stored sales read again for what their payload carries.", read_again)
