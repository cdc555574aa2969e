import unicodedata

from odoo import api, models

from ..const import ICMS_NON_CONTRIBUTOR


def _plain(text):
    """Lower case without accents: 'São Paulo' and 'SAO PAULO' are one municipality."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


class ResPartner(models.Model):
    """Hotmart buyers in the fields OCA's Brazilian localization puts on a nota fiscal."""

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
        """A Brazilian address in the street name, number and complement of the note."""
        if country.code != "BR":
            return super()._hotmart_street_values(address, country)
        return {
            "street_name": address.street or False,
            "street_number": address.number or False,
            "street_number2": address.complement or False,
        }

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
        if values.get("state_id"):
            city = self._hotmart_municipality(values["state_id"], buyer.address.city)
            if city:
                values["city_id"] = city.id
        country = self.env["res.country"].browse(values.get("country_id"))
        if country.code == "BR" and buyer.address.district:
            # the district field holds 32 characters
            values.update({"district": buyer.address.district[:32], "street2": False})
        return values

    @api.model
    def _hotmart_municipality(self, state_id, name):
        """The res.city of ``name`` in that state, whatever its accents and case."""
        if not name:
            return self.env["res.city"]
        cities = self.env["res.city"].search(
            [("state_id", "=", state_id), ("name", "=ilike", name.strip())]
        ) or self.env["res.city"].search([("state_id", "=", state_id)])
        wanted = _plain(name)
        return next((c for c in cities if _plain(c.name) == wanted), self.env["res.city"])
