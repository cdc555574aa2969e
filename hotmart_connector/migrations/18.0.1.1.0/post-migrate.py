"""1.1: sales whose status the mapping does not import are 'Not Imported', not 'To Receive'."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    backends = env["hotmart.backend"].with_context(active_test=False).search([])
    env["hotmart.sale"]._sync_import_state_of(backends)
