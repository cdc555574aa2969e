from odoo import api, models

from ..const import SERVICE_FISCAL_TYPE, SERVICE_TAX_DOMAIN


class ProductTemplate(models.Model):
    """Hotmart products are services of the account's service code, for the NFS-e."""

    _inherit = "product.template"

    @api.model
    def _hotmart_product_values(self, backend, hotmart_id, name):
        values = super()._hotmart_product_values(backend, hotmart_id, name)
        values.update(backend._nf_product_values())
        return values

    @api.model
    def _hotmart_service_fiscal_values(self):
        """OCA's fiscal type of a service, taxed by ISSQN rather than ICMS."""
        return {"fiscal_type": SERVICE_FISCAL_TYPE, "tax_icms_or_issqn": SERVICE_TAX_DOMAIN}
