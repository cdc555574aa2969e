import unicodedata

from stdnum.br import cnpj, cpf

from odoo import api, fields, models
from odoo.tools.sql import create_unique_index

from .bulk import create_isolated

# One contact per Hotmart buyer e-mail: two runs creating the same new buyer at once collide
# here, and the one that loses is retried (and then finds the other's contact).
BUYER_EMAIL_INDEX = "res_partner_hotmart_buyer_email_uniq"

DOCUMENTS = {"CPF": cpf, "CNPJ": cnpj}
# Country names as Hotmart sends them (the buyer's language) that are not Odoo's English name.
COUNTRY_ALIASES = {
    "brasil": "BR",
    "estados unidos": "US",
    "eua": "US",
    "usa": "US",
    "mexico": "MX",
    "franca": "FR",
    "alemanha": "DE",
    "espanha": "ES",
    "italia": "IT",
    "inglaterra": "GB",
    "reino unido": "GB",
    "japao": "JP",
    "canada": "CA",
    "colombia": "CO",
    "peru": "PE",
    "paraguai": "PY",
    "uruguai": "UY",
    "bolivia": "BO",
    "equador": "EC",
    "holanda": "NL",
    "paises baixos": "NL",
    "suica": "CH",
    "belgica": "BE",
    "irlanda": "IE",
    "angola": "AO",
    "mocambique": "MZ",
}


def plain_name(text):
    """Lower case without accents, for comparing names as people type them."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().lower()


def extended_street_values(address):
    """A Brazilian address in base_address_extended's street name, number and complement,
    as both Brazilian localizations (Odoo's and OCA's) keep it."""
    return {
        "street_name": address.street or False,
        "street_number": address.number or False,
        "street_number2": address.complement or False,
    }


def valid_document(buyer):
    """(type, digits) of the buyer's CPF/CNPJ when it is valid, else (None, None)."""
    module = DOCUMENTS.get(buyer.document_type)
    if module and buyer.document and module.is_valid(buyer.document):
        return buyer.document_type, module.compact(buyer.document)
    return None, None


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "hotmart.guarded.mixin"]
    # whose orders a contact gets, as superuser
    _hotmart_guarded_fields = ("hotmart_buyer_ucode", "hotmart_buyer_email")

    hotmart_buyer_ucode = fields.Char(
        string="Hotmart Buyer Code",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="Hotmart's code of this buyer: later sales of the same buyer find this contact.",
    )
    hotmart_buyer_email = fields.Char(
        string="Hotmart Buyer E-mail",
        copy=False,
        readonly=True,
        help="The e-mail of the Hotmart buyer this contact was created for: later sales of "
        "the same buyer find it, even if its e-mail is changed.",
    )

    hotmart_subscription_ids = fields.One2many(
        "hotmart.subscription",
        "partner_id",
        string="Hotmart Subscriptions",
        readonly=True,
        groups="hotmart_connector.group_hotmart_user",
    )
    hotmart_subscription_count = fields.Integer(
        compute="_compute_hotmart_subscription_count", groups="hotmart_connector.group_hotmart_user"
    )

    def _compute_hotmart_subscription_count(self):
        Subscription = self.env["hotmart.subscription"]
        readable = Subscription.has_access("read")
        for partner in self:
            partner.hotmart_subscription_count = (
                readable and partner._origin.id
            ) and Subscription.search_count([("partner_id", "child_of", partner._origin.id)])

    def action_view_hotmart_subscriptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hotmart_connector.hotmart_subscription_action"
        )
        action["domain"] = [("partner_id", "child_of", self.id)]
        return action

    def _hotmart_guard_allows(self):
        # an administrator merging contacts carries them over
        return super()._hotmart_guard_allows() or self.env.user.has_group("base.group_system")

    def init(self):
        res = super().init()
        create_unique_index(self.env.cr, BUYER_EMAIL_INDEX, self._table, ["hotmart_buyer_email"])
        return res

    def _hotmart_is_icms_contributor(self):
        """Whether this customer is an ICMS contributor (has a state registration, IE).
        Hook: the core knows no IE; hotmart_connector_l10n_br reads l10n_br's."""
        self.ensure_one()
        return False

    @api.model
    def _hotmart_street_values(self, address, country):
        """The street fields of a new buyer's contact. Hook: hotmart_connector_l10n_br
        fills l10n_br's street name, number and complement for Brazilian addresses."""
        parts = ", ".join(filter(None, (address.street, address.number)))
        return {"street": " - ".join(filter(None, (parts, address.complement))) or False}

    @api.model
    def _hotmart_buyer_values(self, values, buyer):
        """The values of a new buyer's contact, last touch (``buyer`` a HotmartBuyer). Hook:
        the fiscal bridge adds what a nota fiscal needs (legal name, municipality,
        district, ICMS indicator)."""
        return values

    @api.model
    def _hotmart_document_values(self, kind, digits):
        """The fields a new buyer's contact gets from a valid document (``kind`` CPF or CNPJ,
        ``digits`` without punctuation). Hook: hotmart_connector_l10n_br adds l10n_br's
        identification type."""
        return {"vat": DOCUMENTS[kind].format(digits)}

    @api.model
    def _hotmart_match(self, backend, buyers_by_key):
        """{key: partner} of the buyers that match a contact by the rules below; nothing is
        created (a subscriber gets the contact their first charge's order makes)."""
        finder = _BuyerMatcher(self.env, backend)
        finder.load(buyers_by_key.values())
        matches = {key: finder.match(buyer) for key, buyer in buyers_by_key.items()}
        return {key: partner for key, partner in matches.items() if partner}

    @api.model
    def _hotmart_find_or_create(self, backend, buyers_by_key):
        """Match or create one contact per buyer; returns ({key: partner}, {key: reason}).

        Buyers are matched, in this order, by Hotmart buyer code already bound, by valid
        CPF/CNPJ, then by e-mail (case-insensitive). The others are created, once per buyer
        even when the batch holds several of their sales: never one contact per order.
        """
        finder = _BuyerMatcher(self.env, backend)
        finder.load(buyers_by_key.values())
        partners, errors, to_create = {}, {}, {}
        for key, buyer in buyers_by_key.items():
            partner = finder.match(buyer)
            if partner:
                partners[key] = partner
            else:
                to_create.setdefault(finder.identity(buyer), []).append((key, buyer))
        new_buyers = [group[0][1] for group in to_create.values()]
        finder.load_claims(new_buyers)
        created, create_errors = finder.create_partners(new_buyers)
        for identity, group in to_create.items():
            for key, _buyer in group:
                if identity in created:
                    partners[key] = created[identity]
                else:
                    errors[key] = create_errors[identity]
        finder.bind_codes(partners, buyers_by_key)
        return partners, errors


class _BuyerMatcher:
    """The lookups of one batch of buyers: a few searches for all of them, not one each."""

    def __init__(self, env, backend):
        self.env = env
        self.backend = backend
        self.Partner = env["res.partner"].with_context(tracking_disable=True)
        self.company_domain = [
            ("company_id", "in", [False, backend.company_id.id]),
            ("id", "not in", self.staff_partner_ids(env)),
        ]
        self.by_ucode, self.by_document, self.by_email = {}, {}, {}
        self.claimed = set()
        self._countries = None
        self._states = {}

    @staticmethod
    def staff_partner_ids(env):
        """Contacts never matched to a buyer: every user's (internal or portal) and
        companies' own. A buyer typing an employee's e-mail must not bind their sales to the
        employee, nor a portal user who set a buyer's e-mail on their account receive that
        buyer's orders."""
        # one query, not every user loaded (a shop may have thousands of portal users);
        # Hotmart itself is there too: the partner of its fee lines (_hotmart_partner)
        env["res.users"].flush_model(["partner_id"])
        env["res.company"].flush_model(["partner_id"])
        env["ir.model.data"].flush_model(["module", "model", "name", "res_id"])
        env.cr.execute(
            "SELECT partner_id FROM res_users UNION SELECT partner_id FROM res_company "
            "UNION SELECT res_id FROM ir_model_data WHERE module = 'hotmart_connector' "
            "AND model = 'res.partner' AND name LIKE %s",
            ["hotmart\\_partner\\_company\\_%"],
        )
        return [row[0] for row in env.cr.fetchall() if row[0]]

    # matching -------------------------------------------------------------

    def load(self, buyers):
        buyers = list(buyers)
        ucodes = {b.ucode for b in buyers if b.ucode}
        documents = {}
        for buyer in buyers:
            kind, digits = valid_document(buyer)
            if digits:
                documents[digits] = DOCUMENTS[kind]
        emails = {b.email.strip().lower() for b in buyers if b.email and "@" in b.email}
        if ucodes:
            for partner in self.Partner.search(
                [("hotmart_buyer_ucode", "in", list(ucodes)), *self.company_domain], order="id"
            ):
                self.by_ucode.setdefault(partner.hotmart_buyer_ucode, partner)
        if documents:
            spellings = {}
            for digits, module in documents.items():
                for spelling in (digits, module.format(digits), f"BR{digits}"):
                    spellings[spelling] = digits
            for partner in self.Partner.search(
                [("vat", "in", list(spellings)), *self.company_domain], order="id"
            ):
                self.by_document.setdefault(spellings[partner.vat], partner)
        if emails:
            # the contact created for this buyer first, even if its e-mail changed since
            for partner in self.Partner.search(
                [("hotmart_buyer_email", "in", list(emails)), *self.company_domain], order="id"
            ):
                self.by_email.setdefault(partner.hotmart_buyer_email, partner)
            for partner in self.Partner.search(
                [("email_normalized", "in", list(emails)), *self.company_domain], order="id"
            ):
                self.by_email.setdefault(partner.email_normalized, partner)

    def load_claims(self, buyers):
        """E-mails already held by a contact this account cannot use (archived, or of
        another company): a new contact for such a buyer is created without the claim."""
        emails = {self.email(b) for b in buyers} - {""}
        if emails:
            held = (
                self.Partner.with_context(active_test=False)
                .sudo()
                .search_read([("hotmart_buyer_email", "in", list(emails))], ["hotmart_buyer_email"])
            )
            self.claimed = {row["hotmart_buyer_email"] for row in held}

    @staticmethod
    def email(buyer):
        email = (buyer.email or "").strip().lower()
        return email if "@" in email else ""

    def match(self, buyer):
        _kind, digits = valid_document(buyer)
        email = (buyer.email or "").strip().lower()
        return (
            (buyer.ucode and self.by_ucode.get(buyer.ucode))
            or (digits and self.by_document.get(digits))
            or (email and self.by_email.get(email))
            or None
        )

    @classmethod
    def identity(cls, buyer):
        """One new contact per identity; the e-mail first, as the unique claim is on it."""
        _kind, digits = valid_document(buyer)
        return cls.email(buyer) or buyer.ucode or digits or buyer.name

    def bind_codes(self, partners, buyers_by_key):
        """Remember the Hotmart buyer code on contacts matched by document or e-mail."""
        for key, partner in partners.items():
            ucode = buyers_by_key[key].ucode
            if ucode and not partner.hotmart_buyer_ucode:
                partner.hotmart_buyer_ucode = ucode

    # creating -------------------------------------------------------------

    def create_partners(self, buyers):
        """Create the contacts; ({identity: partner}, {identity: reason})."""
        return create_isolated(
            self.Partner,
            [self.identity(buyer) for buyer in buyers],
            [self.values(buyer) for buyer in buyers],
            lambda values, reason: self.env._(
                "Odoo refused the customer %(name)s: %(reason)s", name=values["name"], reason=reason
            ),
            race_indexes=(BUYER_EMAIL_INDEX,),
        )

    def values(self, buyer):
        kind, digits = valid_document(buyer)
        email = self.email(buyer) or False
        address = buyer.address
        country = self.country(address, has_brazilian_document=bool(digits))
        values = {
            "name": buyer.name or buyer.email or buyer.ucode or self.env._("Hotmart buyer"),
            "email": buyer.email or False,
            "phone": buyer.phone or False,
            "is_company": kind == "CNPJ",
            "hotmart_buyer_ucode": buyer.ucode or False,
            "hotmart_buyer_email": email if email not in self.claimed else False,
            "country_id": country.id,
            "state_id": self.state(country, address.state).id,
            "city": address.city or False,
            "zip": address.zip or False,
            "street2": address.district or False,
            "company_id": False,
        }
        if digits:
            values.update(self.Partner._hotmart_document_values(kind, digits))
        values.update(self.Partner._hotmart_street_values(address, country))
        return self.Partner._hotmart_buyer_values(values, buyer)

    def country(self, address, has_brazilian_document):
        if self._countries is None:
            countries = self.env["res.country"].search([])
            self._countries = {c.code: c for c in countries}
            self._countries.update(
                {plain_name(c.with_context(lang="en_US").name): c for c in countries}
            )
        Country = self.env["res.country"]
        for key in (address.country_code, plain_name(address.country)):
            if key and key in self._countries:
                return self._countries[key]
            code = COUNTRY_ALIASES.get(key)
            if code and code in self._countries:
                return self._countries[code]
        return self._countries.get("BR", Country) if has_brazilian_document else Country

    def state(self, country, name):
        name = (name or "").strip()
        if not country or not name:
            return self.env["res.country.state"]
        key = (country.id, plain_name(name))
        if key not in self._states:
            states = self.env["res.country.state"].search([("country_id", "=", country.id)])
            self._states[key] = next(
                (s for s in states if plain_name(s.code) == key[1] or plain_name(s.name) == key[1]),
                self.env["res.country.state"],
            )
        return self._states[key]
