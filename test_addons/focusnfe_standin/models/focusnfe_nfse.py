"""Focus NFe's API calls sent to the local stand-in when ``focusnfe_standin.url`` is set.

``focusnfe.nfse`` and ``focusnfe.nfse.nacional`` derive from ``focusnfe.nfse.base`` by Python
inheritance, not by ``_inherit``: an extension of ``focusnfe.nfse.base`` would not reach them.
Both override ``_make_focus_nfse_http_request`` (to name their service), so each is extended
here.
"""

from urllib.parse import urlsplit, urlunsplit

from odoo import models

PARAMETER = "focusnfe_standin.url"
# the stand-in runs on this machine: a parameter naming another host is ignored, so that the
# token and the notes never go anywhere else
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def standin_url(env):
    """The stand-in's base URL (``http://127.0.0.1:18071``), or "" when it is not set or
    names a host other than this machine."""
    url = (env["ir.config_parameter"].sudo().get_param(PARAMETER) or "").strip().rstrip("/")
    return url if urlsplit(url).hostname in LOOPBACK_HOSTS else ""


def to_standin(env, url):
    """``url`` with the stand-in's scheme and host (and path prefix, if any); unchanged when
    the parameter is not set."""
    base = standin_url(env)
    if not base:
        return url
    target, parts = urlsplit(base), urlsplit(url)
    path = target.path.rstrip("/") + parts.path
    return urlunsplit((target.scheme, target.netloc, path, parts.query, parts.fragment))


class FocusnfeNfse(models.AbstractModel):
    _inherit = "focusnfe.nfse"

    def _make_focus_nfse_http_request(self, method, url, token, data=None, params=None):
        url = to_standin(self.env, url)
        return super()._make_focus_nfse_http_request(method, url, token, data, params)


class FocusnfeNfseNacional(models.AbstractModel):
    _inherit = "focusnfe.nfse.nacional"

    def _make_focus_nfse_http_request(self, method, url, token, data=None, params=None):
        url = to_standin(self.env, url)
        return super()._make_focus_nfse_http_request(method, url, token, data, params)
