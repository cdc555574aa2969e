"""Refund a sale on Hotmart from Odoo: asked once, followed only when Hotmart reports it.

The request changes nothing in the books: the order is cancelled and the credit note booked
when Hotmart says REFUNDED (webhook or status sync), as for a refund made on Hotmart's panel.
"""

from odoo import fields, models
from odoo.exceptions import UserError

from ..const import REFUNDABLE_STATUSES, REVERSING_STATUSES
from .guard import as_connector, check_hotmart_role
from .hotmart_request import DONE, REFUSED, call_hotmart, lock_for_request


class HotmartSale(models.Model):
    _name = "hotmart.sale"
    _inherit = ["hotmart.sale", "hotmart.request.mixin"]

    # ------------------------------------------------------------------ asking

    def action_request_refund(self):
        """The button: a confirmation with the amount and Hotmart's conditions."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_manager")
        as_connector(self)._check_refundable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refund on Hotmart"),
            "res_model": "hotmart.sale.refund",
            "view_mode": "form",
            "target": "new",
            "context": {"default_sale_id": self.id},
        }

    def request_refund(self):
        """Ask Hotmart to refund each of these sales, once.

        Refused without a call: a sale Hotmart would not refund (not approved or complete)
        and a sale whose refund was asked and not reported yet. Hotmart's refusal changes
        nothing. Accepted, the sale records who asked and when; its order and books follow
        only when Hotmart reports REFUNDED. Returns a notification saying what happened.
        """
        check_hotmart_role(self, "group_hotmart_manager")
        sales = as_connector(self)
        lock_for_request(sales)
        for sale in sales:
            sale._check_refundable()
        accepted, unanswered, refused = sales.browse(), {}, {}
        for sale in sales:
            _answer, outcome, reason = call_hotmart(
                self.env, lambda s=sale: s.backend_id._get_client().refund_sale(s.transaction)
            )
            if outcome == REFUSED:
                refused[sale] = reason
                continue
            sale.write(sale._request_values(outcome))
            sale._tell_refund_requested(outcome, reason)
            if outcome == DONE:
                accepted |= sale
            else:
                unanswered[sale] = reason
        sentences = sales._refund_sentences(accepted, unanswered, refused)
        if refused and len(sales) == 1:
            raise UserError(" ".join(sentences))
        return sales[:1].backend_id._notification(
            "danger" if refused else "warning" if unanswered else "success",
            self.env._("Refund on Hotmart"),
            " ".join(sentences),
        )

    def _check_refundable(self):
        """Raise, in words, why Hotmart would not be asked to refund this sale."""
        self.ensure_one()
        self.backend_id._check_connected()
        if self.status not in REFUNDABLE_STATUSES:
            raise UserError(
                self.env._(
                    "Hotmart refunds approved or complete sales only; %(transaction)s is "
                    "%(status)s. Nothing was sent to Hotmart.",
                    transaction=self.transaction,
                    status=self._field_value_label("status"),
                )
            )
        if self._request_is_pending():
            raise UserError(
                self.env._(
                    "The refund of %(transaction)s was asked already.",
                    transaction=self.transaction,
                )
                + " "
                + self._request_pending_sentence()
            )

    def _tell_refund_requested(self, outcome, reason):
        """Say on the order who asked for the refund, and what comes next."""
        order = self.sale_order_id
        if not order:
            return
        if outcome == DONE:
            body = self.env._(
                "%(user)s asked Hotmart to refund %(amount)s; Hotmart accepted. The order is "
                "cancelled and the credit note booked when Hotmart reports the sale refunded.",
                user=self.env.user.name,
                amount=self.amount_display,
            )
        else:
            body = self.env._(
                "%(user)s asked Hotmart to refund %(amount)s; Hotmart did not answer "
                "(%(reason)s). The refund may have been made: the next status sync tells.",
                user=self.env.user.name,
                amount=self.amount_display,
                reason=reason,
            )
        order.message_post(body=body)

    def _refund_sentences(self, accepted, unanswered, refused):
        sentences = [
            self.env._(
                "Hotmart did not refund %(transaction)s: %(reason)s. Nothing changed in Odoo.",
                transaction=sale.transaction,
                reason=reason,
            )
            for sale, reason in refused.items()
        ]
        if len(accepted) == 1:
            sentences.append(
                self.env._(
                    "Hotmart accepted to refund %(transaction)s. The order and its books follow "
                    "when Hotmart reports the sale refunded.",
                    transaction=accepted.transaction,
                )
            )
        elif accepted:
            sentences.append(
                self.env._(
                    "Hotmart accepted %(count)s refunds. The orders and their books follow when "
                    "Hotmart reports the sales refunded.",
                    count=len(accepted),
                )
            )
        for sale, reason in unanswered.items():
            sentences.append(
                self.env._(
                    "Hotmart did not answer for %(transaction)s (%(reason)s): the refund may "
                    "have been made. Do not ask again before the next status sync tells.",
                    transaction=sale.transaction,
                    reason=reason,
                )
            )
        return sentences

    # ------------------------------------------------------------------ Hotmart reports

    def _apply_status_to_orders(self, cause=None):
        result = super()._apply_status_to_orders(cause)
        self._close_reported_requests()
        return result

    def _close_reported_requests(self):
        """A refund asked from Odoo that Hotmart now reports is no longer pending."""
        reported = self.filtered(
            lambda sale: (
                sale.request_state in ("accepted", "unanswered")
                and sale.status in REVERSING_STATUSES
            )
        )
        if reported:
            reported.sudo().write({"request_state": "reported"})
            for sale in reported:
                if sale.sale_order_id:
                    sale.sale_order_id.message_post(
                        body=self.env._(
                            "Hotmart reports the refund asked on %(date)s by %(user)s.",
                            date=fields.Date.to_string(sale.request_date),
                            user=sale.request_user_id.name or "?",
                        )
                    )
