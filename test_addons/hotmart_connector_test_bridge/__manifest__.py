{
    "name": "Hotmart Connector: a bridge's shape, for tests",
    "summary": "Extends one hook of the order mapper, as a bridge addon does; tests only",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "hotmart_connector contributors",
    "website": "https://github.com/hotmart-connector/hotmart_connector",
    "license": "LGPL-3",
    "depends": ["hotmart_connector"],
    "installable": True,
}
