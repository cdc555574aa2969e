# A development tool, never shipped. AGPL-3, not the repository's LGPL-3: it extends
# l10n_br_nfse_focus, which is AGPL-3.
{
    "name": "Focus NFe stand-in (development)",
    "summary": "Sends OCA's Focus NFe calls to the local stand-in when a system parameter says so",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "hotmart_connector contributors",
    "website": "https://github.com/hotmart-connector/hotmart_connector",
    "license": "AGPL-3",  # pylint: disable=license-allowed
    "depends": ["l10n_br_nfse_focus"],
    "installable": True,
    "auto_install": False,
}
