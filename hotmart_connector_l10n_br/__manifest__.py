{
    "name": "Hotmart Connector - Brazil (Odoo l10n_br)",
    "summary": "Hotmart buyers' CPF/CNPJ type, street number and state registration (IE) "
    "in Odoo's Brazilian localization",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations",
    "author": "hotmart_connector contributors",
    "website": "https://github.com/hotmart-connector/hotmart_connector",
    "license": "LGPL-3",
    "depends": ["hotmart_connector", "l10n_br"],
    "auto_install": True,
    "installable": True,
}
