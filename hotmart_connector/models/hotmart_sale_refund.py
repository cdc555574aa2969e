"""Refund a sale on Hotmart from Odoo: asked once, followed only when Hotmart reports it.

The request changes nothing in the books: the order is cancelled and the credit note booked
when Hotmart says REFUNDED (webhook or status sync), as for a refund made on Hotmart's panel.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import OWN_SALE_ROLE, REFUNDABLE_STATUSES, REVERSING_STATUSES
from .guard import as_connector, check_hotmart_role
from .hotmart_request import (
    DONE,
    REFUSED,
    call_hotmart,
    lock_for_request,
    ready_client,
    request_journal,
)


class HotmartSale(models.Model):
    _name = "hotmart.sale"
    _inherit = ["hotmart.sale", "hotmart.request.mixin"]

    refund_available = fields.Boolean(
        compute="_compute_refund_available",
        help="Whether Hotmart may be asked to refund this sale now.",
    )

    @api.depends("status", "commission_as", "request_state", "request_date")
    def _compute_refund_available(self):
        for sale in self:
            sale.refund_available = not sale._refund_refusal()

    # ------------------------------------------------------------------ asking

    def action_request_refund(self):
        """The button: a confirmation with the amount and Hotmart's conditions."""
        self.ensure_one()
        check_hotmart_role(self, "group_hotmart_manager")
        refusal = as_connector(self)._refund_refusal()
        if refusal:
            raise UserError(refusal)
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

        Refused without a call: a sale Hotmart would not refund (not approved or complete,
        or not the account's own sale) and a sale whose refund was asked and not reported
        yet. Each request is written down as sent before it is sent (``request_journal``).
        Hotmart's refusal changes nothing. Accepted, the sale records who asked and when; its
        order and books follow only when Hotmart reports REFUNDED. Returns a notification.
        """
        check_hotmart_role(self, "group_hotmart_manager")
        sales = as_connector(self)
        clients = {backend: ready_client(backend) for backend in sales.backend_id}
        with request_journal(sales) as journal:
            lock_for_request(journal)
            journal._lapse_requests()
            for sale in journal:
                refusal = sale._refund_refusal()
                if refusal:
                    raise UserError(refusal)
            previous = {sale.id: sale._request_snapshot() for sale in journal}
            journal._mark_sent()
        outcomes = {
            sale: call_hotmart(
                self.env, lambda s=sale: clients[s.backend_id].refund_sale(s.transaction)
            )
            for sale in sales
        }
        with request_journal(sales) as journal:
            for sale in journal:
                _answer, outcome, _reason = outcomes[sale]
                if outcome == REFUSED:
                    sale.write(previous[sale.id])
                    continue
                if outcome == DONE:
                    sale.request_state = "accepted"
                sale._tell_refund_requested(outcome)
        accepted = sales.filtered(lambda s: outcomes[s][1] == DONE)
        unanswered = sales.filtered(lambda s: outcomes[s][1] not in (DONE, REFUSED))
        refused = {s: outcomes[s][2] for s in sales if outcomes[s][1] == REFUSED}
        sentences = sales._refund_sentences(accepted, unanswered, refused)
        if refused and len(sales) == 1:
            raise UserError(" ".join(sentences))
        return sales[:1].backend_id._notification(
            "danger" if refused else "warning" if unanswered else "success",
            self.env._("Refund on Hotmart"),
            " ".join(sentences),
        )

    def _refund_refusal(self):
        """Why Hotmart will not be asked to refund this sale now, in words, or ''."""
        self.ensure_one()
        if self.status not in REFUNDABLE_STATUSES:
            return self.env._(
                "Hotmart refunds approved or complete sales only; %(transaction)s is "
                "%(status)s. Nothing was sent to Hotmart.",
                transaction=self.transaction,
                status=self._field_value_label("status"),
            )
        if self.commission_as and self.commission_as != OWN_SALE_ROLE:
            return self.env._(
                "%(transaction)s is a sale the account made as %(role)s: only its producer "
                "can refund it on Hotmart. Nothing was sent to Hotmart.",
                transaction=self.transaction,
                role=self._field_value_label("commission_as"),
            )
        if self._request_is_pending():
            return self.env._(
                "The refund of %(transaction)s was asked already: %(pending)s. Nothing was "
                "sent again.",
                transaction=self.transaction,
                pending=self._request_pending_clause(),
            )
        return ""

    def _tell_refund_requested(self, outcome):
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
                "%(user)s asked Hotmart to refund %(amount)s; Hotmart did not answer. The "
                "refund may have been made: the status sync tells within the hour, and nothing "
                "is sent again before.",
                user=self.env.user.name,
                amount=self.amount_display,
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
        for sale in unanswered:
            sentences.append(
                self.env._(
                    "Hotmart did not answer for %(transaction)s: the refund may have been made. "
                    "The status sync tells within the hour; nothing is sent again before.",
                    transaction=sale.transaction,
                )
            )
        return sentences

    # ------------------------------------------------------------------ Hotmart reports

    def _apply_status_to_orders(self, cause=None):
        result = super()._apply_status_to_orders(cause)
        self._close_reported_requests()
        return result

    def _close_reported_requests(self):
        """A refund asked from Odoo that Hotmart now reports (or a chargeback that took the
        money back first) is no longer pending."""
        reported = self.filtered(
            lambda sale: (
                sale.request_state in ("accepted", "unanswered")
                and sale.status in REVERSING_STATUSES
            )
        )
        if not reported:
            return
        reported.sudo().write({"request_state": "reported"})
        for sale in reported.filtered("sale_order_id"):
            values = {
                "date": fields.Date.to_string(sale.request_date),
                "user": sale.request_user_id.name or "?",
            }
            if sale.status == "REFUNDED":
                body = self.env._(
                    "Hotmart reports the refund asked on %(date)s by %(user)s.", **values
                )
            else:
                body = self.env._(
                    "Hotmart reports a chargeback on this sale: the refund asked on %(date)s by "
                    "%(user)s is no longer pending.",
                    **values,
                )
            sale.sale_order_id.message_post(body=body)

    @api.model
    def _pending_refund_requests(self, backend):
        """The account's sales whose refund was asked and not reported: the status sync
        reads them whatever their order date."""
        sales = self.search(
            [("backend_id", "=", backend.id), ("request_state", "in", ("accepted", "unanswered"))]
        )
        return sales.filtered(lambda sale: sale._request_is_pending())
