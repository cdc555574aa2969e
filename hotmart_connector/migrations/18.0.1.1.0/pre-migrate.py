"""1.1: merge the duplicate buyer contacts and Hotmart products that parallel runs of 1.0
could make, before the models create the unique indexes that keep them single."""

from odoo.addons.hotmart_connector.upgrade_merge import merge_duplicates


def migrate(cr, version):
    merge_duplicates(cr)
