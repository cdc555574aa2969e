import logging

import requests

from odoo import models

from odoo.addons.l10n_br_nfse_focus.models.constants import TIMEOUT

from .focusnfe_nfse import standin_url

_logger = logging.getLogger(__name__)


class Document(models.Model):
    _inherit = "l10n_br_fiscal.document"

    def _fetch_xml_from_path(self, record, xml_path):
        """The authorized note's XML from the stand-in, when it is set: OCA builds Focus's own
        host + ``caminho_xml_nota_fiscal``."""
        base = standin_url(self.env)
        if not base or not xml_path:
            return super()._fetch_xml_from_path(record, xml_path)
        try:
            return requests.get(
                base + xml_path,
                timeout=TIMEOUT,
                verify=record.company_id.nfse_ssl_verify,
            ).content.decode("utf-8")
        except Exception as error:
            _logger.warning("Failed to fetch XML from the stand-in %s: %s", xml_path, error)
            return ""
