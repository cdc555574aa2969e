from odoo import api, models
from odoo.exceptions import UserError


class HotmartOrderMapper(models.AbstractModel):
    """Hotmart orders carry exactly the account's natureza de operação, never the company's
    default sale operation, on the order and on each line."""

    _inherit = "hotmart.order.mapper"

    @api.model
    def _fiscal_values(self, source):
        values = super()._fiscal_values(source)
        operation = self._fiscal_operation(source)
        # False too: OCA would otherwise give every order the company's default operation
        values["fiscal_operation_id"] = operation.id
        if operation:
            self._complete_customer(source.partner)
        return values

    @api.model
    def _complete_customer(self, partner):
        """OCA writes the customer's legal name on every fiscal document and cannot post
        an invoice without one: a contact made without it gets its name."""
        customer = partner.commercial_partner_id
        if not customer.legal_name:
            customer.legal_name = customer.name

    @api.model
    def _fiscal_operation(self, source):
        """The account's operation for this customer; none for a commission, which is an
        order from Hotmart, not a sale to the buyer."""
        if source.sale._is_commission_sale():
            return self.env["l10n_br_fiscal.operation"]
        return source.backend._fiscal_operation_for(source.partner)

    @api.model
    def _line_values(self, source, order_values):
        lines = super()._line_values(source, order_values)
        operation = self.env["l10n_br_fiscal.operation"].browse(
            order_values.get("fiscal_operation_id")
        )
        if not operation:
            return lines
        # The fiscal line's total is the price: the ISSQN of a service is in it. The line
        # is the amount the buyer paid, with no rounding line, so the total stays that.
        line = dict(lines[0], price_unit=source.amount)
        line.update(self._fiscal_line_values(source, operation))
        return [line]

    @api.model
    def _fiscal_line_values(self, source, operation):
        """The operation and its line for this product and customer (a service's: ISSQN)."""
        company = source.backend.company_id
        operation_line = operation.line_definition(
            company=company, partner=source.partner, product=source.product
        )
        if not operation_line:
            raise UserError(
                self.env._(
                    "The fiscal operation %(operation)s has no line for %(product)s sold to "
                    "%(customer)s. Add one (Invoicing > Configuration > Fiscal Operations) or "
                    "choose another operation on the account, then receive the sale again.",
                    operation=operation.display_name,
                    product=source.product.display_name,
                    customer=source.partner.display_name,
                )
            )
        return {
            "fiscal_operation_id": operation.id,
            "fiscal_operation_line_id": operation_line.id,
        }
