from odoo import api, models

from odoo.addons.hotmart_connector.models.res_partner import extended_street_values


class ResPartner(models.Model):
    """Hotmart buyers in the fields of Odoo's Brazilian localization."""

    _inherit = "res.partner"

    def _hotmart_is_icms_contributor(self):
        """A customer with a state registration (IE) is an ICMS contributor."""
        self.ensure_one()
        return (
            bool(self.commercial_partner_id.l10n_br_ie_code)
            or super()._hotmart_is_icms_contributor()
        )

    @api.model
    def _hotmart_street_values(self, address, country):
        """A Brazilian address in l10n_br's street name, number and complement."""
        if country.code != "BR":
            return super()._hotmart_street_values(address, country)
        return extended_street_values(address)

    @api.model
    def _hotmart_document_values(self, kind, digits):
        """The CPF or CNPJ with l10n_br's identification type."""
        values = super()._hotmart_document_values(kind, digits)
        id_type = self.env.ref(f"l10n_br.{kind.lower()}", raise_if_not_found=False)
        if id_type:
            values["l10n_latam_identification_type_id"] = id_type.id
        return values
