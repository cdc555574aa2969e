from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.hotmart_connector.models.hotmart_backend_accounting import ACCOUNTING_FIELDS

from ..const import NF_POLICIES

FISCAL_FIELDS = (
    "fiscal_operation_id",
    "contributor_fiscal_operation_id",
    "nf_policy",
    "nf_service_type_id",
)
OPERATION_DOMAIN = [
    ("fiscal_operation_type", "=", "out"),
    ("state", "=", "approved"),
    ("fiscal_type", "not ilike", "%refund%"),
]


class HotmartBackend(models.Model):
    """The natureza de operação and the nota fiscal policy of a Hotmart account."""

    _inherit = "hotmart.backend"
    # they decide what is booked and declared: Accounting administrators only
    _hotmart_accounting_fields = ACCOUNTING_FIELDS + FISCAL_FIELDS

    fiscal_operation_id = fields.Many2one(
        "l10n_br_fiscal.operation",
        string="Fiscal Operation",
        domain=OPERATION_DOMAIN,
        help="The natureza de operação of every Hotmart order and its invoice (OCA's "
        "Brazilian localization), e.g. Venda. Empty: Hotmart orders get no fiscal operation "
        "and the fiscal position applies, as without the localization.",
    )
    contributor_fiscal_operation_id = fields.Many2one(
        "l10n_br_fiscal.operation",
        string="Fiscal Operation for ICMS Contributors",
        domain=OPERATION_DOMAIN,
        help="The operation of the orders of customers whose contact says they are ICMS "
        "contributors (Contribuinte do ICMS). Empty: the fiscal operation above.",
    )
    nf_policy = fields.Selection(
        NF_POLICIES,
        string="Notas Fiscais",
        default="none",
        required=True,
        help="Issue when the invoice is posted: the connector sends the NFS-e of each sale "
        "as it posts its invoice (at approval or when the guarantee ends, as the invoicing "
        "policy says), and cancels it when Hotmart refunds the sale.",
    )
    nf_service_type_id = fields.Many2one(
        "l10n_br_fiscal.service.type",
        string="Service Code (LC 116)",
        help="The service list item of the Hotmart products, e.g. 8.02 for teaching: new "
        "Hotmart products get it, and those without one get it when you save.",
    )
    nf_failed_count = fields.Integer(string="Failed Notes", compute="_compute_nf_failed_count")

    @api.constrains("nf_policy", "fiscal_operation_id")
    def _check_nf_policy(self):
        for backend in self:
            if backend.nf_policy != "none" and not backend.fiscal_operation_id:
                raise ValidationError(
                    self.env._(
                        "To issue notas fiscais, choose the account's fiscal operation "
                        "(Orders and Fiscal tab) first."
                    )
                )

    @api.constrains("fiscal_operation_id", "contributor_fiscal_operation_id")
    def _check_return_operation(self):
        for backend in self:
            for operation in backend.fiscal_operation_id | backend.contributor_fiscal_operation_id:
                if not operation.return_fiscal_operation_id:
                    raise ValidationError(
                        self.env._(
                            "The fiscal operation %(operation)s has no return operation, which "
                            "OCA needs to book a refund's credit note. Set one on the operation "
                            "(Invoicing > Configuration > Fiscal Operations), then choose it "
                            "here.",
                            operation=operation.display_name,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        backends = super().create(vals_list)
        backends._copy_service_type_to_products()
        return backends

    def write(self, vals):
        result = super().write(vals)
        if "nf_service_type_id" in vals:
            self._copy_service_type_to_products()
        return result

    def _copy_service_type_to_products(self):
        """Hotmart products without a service code get the account's."""
        for backend in self.sudo().filtered("nf_service_type_id"):
            self.env["product.template"].sudo().search(
                [
                    ("hotmart_product_id", "!=", False),
                    ("service_type_id", "=", False),
                    ("company_id", "in", [False, backend.company_id.id]),
                ]
            ).write(backend._nf_product_values())

    def _nf_product_values(self):
        """What makes a Hotmart product a service for the nota fiscal."""
        self.ensure_one()
        values = self.env["product.template"]._hotmart_service_fiscal_values()
        if self.nf_service_type_id:
            values["service_type_id"] = self.nf_service_type_id.id
        return values

    def _hotmart_partner(self):
        """Hotmart's contact is each company's own: OCA's check that a CNPJ belongs to one
        contact would refuse the second company's."""
        backend = self.with_context(allow_vat_duplicate=True)
        return super(HotmartBackend, backend)._hotmart_partner().with_env(self.env)

    def _fiscal_operation_for(self, partner):
        """The account's operation, or the contributors' one for an ICMS contributor."""
        self.ensure_one()
        if self.contributor_fiscal_operation_id and partner._hotmart_is_icms_contributor():
            return self.contributor_fiscal_operation_id
        return self.fiscal_operation_id

    def _compute_nf_failed_count(self):
        counts = dict(
            self.env["hotmart.sale"]._read_group(
                [("backend_id", "in", self.ids), ("nf_state", "=", "failed")],
                ["backend_id"],
                ["__count"],
            )
        )
        for backend in self:
            backend.nf_failed_count = counts.get(backend, 0)
