from odoo import api, models


class HotmartOrderMapper(models.AbstractModel):
    """A bridge's shape: one hook overridden, the rest of the order as the connector makes it."""

    _inherit = "hotmart.order.mapper"

    @api.model
    def _extra_values(self, source):
        values = super()._extra_values(source)
        values["x_hotmart_bridge_mark"] = f"{source.record.product_name} / {source.partner.name}"
        return values
