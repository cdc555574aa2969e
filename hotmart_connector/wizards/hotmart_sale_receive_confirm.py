from odoo import api, fields, models


class HotmartSaleReceiveConfirm(models.TransientModel):
    """Ask before receiving sales whose status the account does not import, saying what
    each will become (a quotation, a cancelled order...)."""

    _name = "hotmart.sale.receive.confirm"
    _description = "Receive Hotmart Sales Not Imported"

    sale_ids = fields.Many2many("hotmart.sale", string="Sales", readonly=True)
    summary = fields.Text(readonly=True)

    @api.model
    def _open_for(self, sales):
        wizard = self.create(
            {"sale_ids": [fields.Command.set(sales.ids)], "summary": self._summary(sales)}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Receive sales the account does not import?"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def _summary(self, sales):
        SaleOrder = self.env["sale.order"]
        status_labels = dict(sales._fields["status"]._description_selection(self.env))
        # no article before the outcome: "um"/"uma" would have to agree with it
        groups = {}
        for sale in sales.filtered(lambda s: s.state == "not_imported"):
            key = (sale.status, sale._outcome_state())
            groups[key] = groups.get(key, 0) + 1
        lines = [
            self.env._(
                "%(status)s: %(outcome)s.",
                status=status_labels.get(status, status),
                outcome=SaleOrder._hotmart_count_of(state, count),
            )
            for (status, state), count in sorted(groups.items())
        ]
        early = len(sales.filtered(lambda s: s.state == "before_since"))
        if early == 1:
            lines.append(
                self.env._(
                    "1 sale was ordered before Receive Sales Since: the scheduled runs leave it "
                    "alone, and it is received now."
                )
            )
        elif early:
            lines.append(
                self.env._(
                    "%(count)s sales were ordered before Receive Sales Since: the scheduled runs "
                    "leave them alone, and they are received now.",
                    count=early,
                )
            )
        commission = len(sales.filtered(lambda s: s.state == "commission_only"))
        if commission == 1:
            lines.append(
                self.env._(
                    "1 sale was made by the account as co-producer or affiliate: it is received "
                    "as an order to Hotmart for the account's commission alone."
                )
            )
        elif commission:
            lines.append(
                self.env._(
                    "%(count)s sales were made by the account as co-producer or affiliate: "
                    "each is received as an order to Hotmart for the account's commission alone.",
                    count=commission,
                )
            )
        others = len(
            sales.filtered(
                lambda s: s.state not in ("not_imported", "before_since", "commission_only")
            )
        )
        if others == 1:
            lines.append(self.env._("1 other selected sale is received as usual."))
        elif others:
            lines.append(
                self.env._("%(count)s other selected sales are received as usual.", count=others)
            )
        return "\n".join(lines)

    def action_confirm(self):
        self.ensure_one()
        return self.sale_ids._receive_confirmed()
