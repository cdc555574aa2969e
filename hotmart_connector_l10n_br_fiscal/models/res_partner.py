from odoo import api, models, tools

from odoo.addons.hotmart_connector.models.res_partner import extended_street_values, plain_name

from ..const import ICMS_CONTRIBUTOR, ICMS_NON_CONTRIBUTOR


class ResPartner(models.Model):
    """Hotmart buyers in the fields OCA's Brazilian localization puts on a nota fiscal."""

    _inherit = "res.partner"

    def _hotmart_is_icms_contributor(self):
        """OCA's contact says it: its ICMS indicator (Contribuinte do ICMS). It chooses the
        contributors' fiscal operation, and their fiscal position."""
        self.ensure_one()
        return self.commercial_partner_id.ind_ie_dest == ICMS_CONTRIBUTOR

    @api.model
    def _hotmart_street_values(self, address, country):
        """A Brazilian address in the street name, number and complement of the note."""
        if country.code != "BR":
            return super()._hotmart_street_values(address, country)
        return extended_street_values(address)

    @api.model
    def _hotmart_buyer_values(self, values, buyer):
        """The legal name, the district, the municipality (its IBGE code is on the note)
        and the ICMS indicator: Hotmart never says a state registration, so a new buyer is
        not an ICMS contributor until somebody adds one."""
        values = super()._hotmart_buyer_values(values, buyer)
        values.update(
            {
                "legal_name": values["name"],
                "ind_ie_dest": ICMS_NON_CONTRIBUTOR,
            }
        )
        city_id = self._hotmart_municipalities(values.get("state_id") or 0).get(
            plain_name(buyer.address.city)
        )
        if city_id:
            values["city_id"] = city_id
        country = self.env["res.country"].browse(values.get("country_id"))
        if country.code == "BR" and buyer.address.district:
            # the district field holds 32 characters
            values.update({"district": buyer.address.district[:32], "street2": False})
        return values

    @api.model
    @tools.ormcache("state_id")
    def _hotmart_municipalities(self, state_id):
        """{name without accents: res.city id} of a state, read once per state: the IBGE's
        municipalities do not change while Odoo runs."""
        cities = self.env["res.city"].sudo().search_read([("state_id", "=", state_id)], ["name"])
        return {plain_name(city["name"]): city["id"] for city in cities}
