{
    "name": "Hotmart Connector - Notas Fiscais (OCA l10n-brazil)",
    "summary": "The natureza de operação on Hotmart orders and the NFS-e of each Hotmart sale, "
    "sent by OCA's Brazilian localization and cancelled on refund",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations",
    "author": "hotmart_connector contributors",
    "website": "https://github.com/hotmart-connector/hotmart_connector",
    "license": "LGPL-3",
    # l10n_br_fiscal_edi sends, asks and cancels the electronic documents
    "depends": ["hotmart_connector", "l10n_br_sale", "l10n_br_account", "l10n_br_fiscal_edi"],
    "data": [
        "data/ir_cron_data.xml",
        "views/hotmart_backend_views.xml",
        "views/hotmart_sale_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
