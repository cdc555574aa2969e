"""An addon that overrides one hook of the order mapper sees its value on the order, and
the rest of the order is what the connector makes."""

from odoo.tests import tagged

from odoo.addons.hotmart_connector.tests.common import HotmartReceiveCase


@tagged("post_install", "-at_install")
class TestBridgeHook(HotmartReceiveCase):
    def test_one_hook_overridden_reaches_the_order(self):
        self.fake_hotmart()
        sales = self.backend._fetch_sales(*self.window, statuses=["APPROVED"])
        sales.action_receive()
        sale = self.sale("HP1001000000001")
        order = sale.sale_order_id
        self.assertEqual(
            order.x_hotmart_bridge_mark, f"{sale.product_name} / {order.partner_id.name}"
        )
        # the connector's own values are untouched
        self.assertEqual(order.amount_total, 497.0)
        self.assertEqual(order.fiscal_position_id, self.fiscal_position)
        self.assertEqual(order.hotmart_sale_id, sale)
        self.assertEqual(order.team_id, self.team)
