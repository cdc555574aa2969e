"""Receiving a stored Hotmart sale: from the stored columns to its sale order (through the
order mapper), and the list's actions that do it."""

import logging
from decimal import Decimal

from odoo import api, models

from ..const import BUYER_PAID_STATUSES
from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.records import HotmartAddress, HotmartBuyer
from ..hotmart.records import HotmartSale as HotmartSaleRecord
from .guard import as_connector, check_hotmart_role
from .hotmart_sale import WAITING_STATES
from .sale_columns import BUYER_COLUMNS

_logger = logging.getLogger(__name__)


class HotmartSale(models.Model):
    _inherit = "hotmart.sale"

    def _to_record(self):
        """The sale as its order is made of it, from the stored columns: the raw payload is
        for audit only and may have been blanked."""
        self.ensure_one()
        if not (self.status and self.currency_code and self.transaction):
            raise HotmartBadPayloadError(
                self.error
                or "Hotmart's data for this sale could not be read. Fetch the sale's period "
                "again with Fetch Sales, then receive it."
            )
        return HotmartSaleRecord(
            transaction=self.transaction,
            status=self.status,
            amount=Decimal(str(self.amount)),
            currency=self.currency_code,
            order_date=self.order_date or None,
            approved_date=self.approved_date or None,
            product_id=self.hotmart_product_id or "",
            product_name=self.product_name or "",
            payment_type=self.payment_type or "",
            installments=self.installments or 1,
            recurrence_number=self.recurrence_number or 1,
            buyer=self._stored_buyer(),
        )

    def _stored_buyer(self):
        self.ensure_one()
        buyer, address = HotmartBuyer(), HotmartAddress()
        for column, path in BUYER_COLUMNS.items():
            target = address if path[0] == "address" else buyer
            setattr(target, path[-1], self[column] or "")
        buyer.address = address
        return buyer

    def action_receive(self):
        """Receive the selected sales as sale orders (the list's 'Receive orders' action).

        Sales whose status the account does not import are received only once the person
        confirmed, having read what they will become.
        """
        self._check_receive_access()
        unusual = self.filtered(
            lambda sale: sale.state in ("not_imported", "before_since", "commission_only")
        )
        if unusual:
            return self.env["hotmart.sale.receive.confirm"]._open_for(self)
        return self._receive_confirmed()

    def _receive_confirmed(self):
        """Receive these sales, the person having confirmed those the runs would not."""
        self._check_receive_access()
        result = as_connector(self)._receive(origin=self.env._("the Hotmart sales list"))
        return self._receive_notification(result)

    def _outcome_state(self):
        """The order state receiving this sale makes: what its status maps to."""
        self.ensure_one()
        line = self.backend_id._status_mapping().get(self.status)
        return line.order_state if line else "draft"

    def _check_receive_access(self):
        """Hotmart users act on the sales they can see; the connector writes for them."""
        check_hotmart_role(self, "group_hotmart_user")

    def _receive(self, origin):
        """Make sale orders of these sales, and invoice the paid ones as the account's policy
        says; returns {'received', 'already', 'failed'} sales.

        Runs as superuser, as a connector does: the orders, customers and products belong to
        the account's company whoever clicked. Rows are locked first, so that two runs at
        once never make two orders of one sale.
        """
        sales = self.sudo()
        to_receive = sales._lock_for_receiving()
        result = {"received": self.browse(), "already": sales - to_receive, "failed": self.browse()}
        for backend in to_receive.backend_id:
            batch = to_receive.filtered(lambda sale, backend=backend: sale.backend_id == backend)
            received, failed = batch._receive_for_backend(backend, origin)
            result["received"] |= received
            result["failed"] |= failed
        # order bumps and their purchases name each other; a paid sale is invoiced and
        # settled as the account's policy says
        result["received"]._note_order_bumps()
        self.env["hotmart.settlement"]._book(result["received"], reverse=False)
        return result

    def _lock_for_receiving(self):
        """Lock these rows; the ones without an order (and not ignored by hand) go on."""
        if not self:
            return self
        self.flush_recordset()
        self.env.cr.execute(
            "SELECT id FROM hotmart_sale WHERE id IN %s ORDER BY id FOR UPDATE",
            [tuple(self.ids)],
        )
        self.invalidate_recordset(["sale_order_id", "state"])
        return self.filtered(lambda sale: not sale.sale_order_id and sale.state != "ignored")

    def _receive_for_backend(self, backend, origin):
        backend = backend.with_company(backend.company_id)
        mapping = backend._status_mapping()
        vals_by_sale, failed = self.env["hotmart.order.mapper"]._prepare_orders(backend, self)
        orders, order_errors = self.env["sale.order"]._hotmart_create_orders(vals_by_sale)
        failed.update(order_errors)
        for sale, order in orders.items():
            sale.write({"sale_order_id": order.id, "state": "done", "error": False})
        received = self.browse([sale.id for sale in orders])
        self._apply_mapping_on_new_orders(orders, mapping, origin)
        for sale, reason in failed.items():
            _logger.info("Hotmart sale %s not received: %s", sale.transaction, reason)
            sale.write({"state": "failed", "error": reason})
        return received, self.browse([sale.id for sale in failed])

    def _status_bookkeeping(self, mapping):
        """A new order's applied (mapped) or refused (unmapped) Hotmart status, by the
        account's ``_status_mapping()``."""
        if self.status in mapping:
            return {"hotmart_applied_status": self.status}
        return {"hotmart_refused_status": self.status}

    def _apply_mapping_on_new_orders(self, orders_by_sale, mapping, origin):
        """Move each new order to the state its Hotmart status maps to, and say why."""
        SaleOrder = self.env["sale.order"]
        SaleOrder.browse([o.id for o in orders_by_sale.values()])._message_log_batch(
            bodies=self._received_messages(orders_by_sale, origin, mapping)
        )
        by_target = {}
        for sale, order in orders_by_sale.items():
            line = mapping.get(sale.status)
            by_target.setdefault(line.order_state if line else "draft", []).append(order.id)
            if line and line.create_activity:
                order._hotmart_schedule_review(sale.status)
        for target, order_ids in by_target.items():
            SaleOrder.browse(order_ids)._hotmart_move_batch(target)

    def _received_messages(self, orders_by_sale, origin, mapping):
        """{order id: the chatter line saying where its sale came from and what it became};
        the labels are translated once for the batch, not once per order."""
        labels = dict(self._fields["status"]._description_selection(self.env))
        outcomes = {}
        bodies = {}
        for sale, order in orders_by_sale.items():
            if sale.status not in outcomes:
                outcomes[sale.status] = self._received_outcome(mapping.get(sale.status))
            values = {
                "origin": origin,
                "transaction": sale.transaction,
                "status": labels.get(sale.status, sale.status),
                "amount": sale.amount_display,
                "outcome": outcomes[sale.status],
            }
            if sale.status in BUYER_PAID_STATUSES:
                bodies[order.id] = self.env._(
                    "Received from Hotmart by %(origin)s: transaction %(transaction)s, status "
                    "%(status)s, paid %(amount)s. %(outcome)s",
                    **values,
                )
            else:  # nobody paid an unpaid boleto: its amount is what is due
                bodies[order.id] = self.env._(
                    "Received from Hotmart by %(origin)s: transaction %(transaction)s, status "
                    "%(status)s, amount %(amount)s. %(outcome)s",
                    **values,
                )
        return bodies

    @api.model
    def _received_outcome(self, mapping_line):
        if mapping_line:
            return self.env._(
                "The status maps to %(state)s.",
                state=self.env["sale.order"]._hotmart_state_label(mapping_line.order_state),
            )
        return self.env._("No mapping for this status: the order stays a quotation.")

    def _receive_notification(self, result):
        received, already, failed = result["received"], result["already"], result["failed"]
        SaleOrder = self.env["sale.order"]
        states = {}
        for order in received.sale_order_id:
            states[order._hotmart_state()] = states.get(order._hotmart_state(), 0) + 1
        outcomes = ", ".join(
            SaleOrder._hotmart_count_of(state, count) for state, count in sorted(states.items())
        )
        if not received:
            sentences = [self.env._("No sale was received.")]
        elif len(received) == 1:
            sentences = [self.env._("1 sale received: %(outcomes)s.", outcomes=outcomes)]
        else:
            sentences = [
                self.env._(
                    "%(count)s sales received: %(outcomes)s.",
                    count=len(received),
                    outcomes=outcomes,
                )
            ]
        if len(already) == 1:
            sentences.append(self.env._("1 sale was received before."))
        elif already:
            sentences.append(
                self.env._("%(count)s sales were received before.", count=len(already))
            )
        if len(failed) == 1:
            sentences.append(self.env._("1 sale failed: its error says why."))
        elif failed:
            sentences.append(
                self.env._("%(count)s sales failed: their errors say why.", count=len(failed))
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if failed else "success",
                "title": self.env._("Hotmart sales"),
                "message": " ".join(sentences),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_ignore(self):
        self._check_receive_access()
        as_connector(self).filtered(lambda sale: sale.state in (*WAITING_STATES, "failed")).write(
            {"state": "ignored", "error": False}
        )

    def action_reset(self):
        self._check_receive_access()
        sales = as_connector(self).filtered(lambda sale: sale.state in ("ignored", "failed"))
        sales.write({"state": "pending", "error": False})
        sales._sync_import_state()

    def action_open_order(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.sale_order_id.id,
            "view_mode": "form",
        }

    def _sync_import_state(self):
        """Waiting sales are To Receive while the mapping imports their status, Not Imported
        otherwise, and Before Receive Since when ordered before the account's
        ``import_since``: the runs never receive those two, but a person still may."""
        for backend in self.backend_id:
            waiting = self.filtered(
                lambda s, b=backend: (
                    s.backend_id == b and s.state in WAITING_STATES and not s.sale_order_id
                )
            )
            importable = set(backend._importable_statuses())
            by_state = {}
            for sale in waiting:
                state = sale._waiting_state(importable)
                if state != sale.state:
                    by_state[state] = by_state.get(state, self.browse()) | sale
            for state, sales in by_state.items():
                sales.write({"state": state})

    def _waiting_state(self, importable):
        """Which waiting state this sale belongs in, by the account's window and the
        statuses its mapping imports (``importable``)."""
        self.ensure_one()
        if self.order_date and self.order_date < self.backend_id.import_since:
            return "before_since"
        if self._is_commission_sale() and not self.backend_id.receive_commission_sales:
            return "commission_only"
        if self.status in importable:
            return "pending"
        return "not_imported"

    @api.model
    def _sync_import_state_of(self, backends):
        """After a mapping or window change: every waiting sale of these accounts in the
        right state."""
        self.search(
            [
                ("backend_id", "in", backends.ids),
                ("state", "in", WAITING_STATES),
                ("sale_order_id", "=", False),
            ]
        )._sync_import_state()

    def _is_importable(self):
        """Whether the scheduled action would receive this sale (mapping, import_since)."""
        self.ensure_one()
        line = self.backend_id._status_mapping().get(self.status)
        return bool(
            line
            and line.import_order
            and self.state in ("pending", "failed")
            and (not self.order_date or self.order_date >= self.backend_id.import_since)
        )
