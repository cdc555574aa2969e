"""1.5: the connector acts on Hotmart (refunds, subscription requests) and reconciles with its
sales summary; screens name amounts for what they are. Labels whose words changed (the sales
list's 'Paid' column became 'Amount', a subscription's charges became two figures) keep their
former Portuguese until the catalogue is loaded again over them: it is, for this module."""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    languages = [code for code, _name in env["res.lang"].get_installed() if code != "en_US"]
    if languages:
        env.ref("base.module_hotmart_connector")._update_translations(languages, overwrite=True)
        _logger.info("Hotmart: translations loaded again for %s.", ", ".join(languages))
