"""Packages hotmart_connector and its glue and bridge addons as one Odoo addon distribution
(odoo-addon-hotmart_connector).

It installs each addon of the repository's root (a folder with a ``__manifest__.py``) as
``odoo.addons.<addon>``, the way the OCA packages addons, so an Odoo 18 installed with pip
finds them without an addons path. Development tools at the root (``standin/``, ``scripts/``,
``benchmarks/``) are not shipped.
"""

import ast
from pathlib import Path

from setuptools import find_packages, setup

ADDON = "hotmart_connector"
HERE = Path(__file__).parent
# the app, and the glue and bridge addons beside it
ADDONS = sorted(path.parent.name for path in HERE.glob("*/__manifest__.py"))
MANIFEST = ast.literal_eval((HERE / ADDON / "__manifest__.py").read_text())
ODOO_SERIES = ".".join(MANIFEST["version"].split(".")[:2])
MAJOR = int(ODOO_SERIES.split(".")[0])

setup(
    name=f"odoo-addon-{ADDON}",
    version=MANIFEST["version"],
    description=MANIFEST["summary"],
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author=MANIFEST["author"],
    url=MANIFEST["website"],
    license=MANIFEST["license"],
    python_requires=">=3.10",
    packages=[
        package
        for addon in ADDONS
        for package in [f"odoo.addons.{addon}"]
        + [f"odoo.addons.{addon}.{pkg}" for pkg in find_packages(addon)]
    ],
    package_dir={f"odoo.addons.{addon}": addon for addon in ADDONS},
    include_package_data=True,
    package_data={f"odoo.addons.{addon}": ["**/*"] for addon in ADDONS},
    install_requires=[
        f"odoo>={ODOO_SERIES}a,<{MAJOR}.1dev",
        "requests>=2.31",
        "python-stdnum>=1.19",
        "phonenumbers>=8.12",
    ],
    # OCA's Brazilian localization, for the fiscal bridge:
    # pip install odoo-addon-hotmart_connector[fiscal]
    extras_require={
        "fiscal": [
            f"odoo-addon-l10n_br_sale=={ODOO_SERIES}.*",
            f"odoo-addon-l10n_br_account=={ODOO_SERIES}.*",
        ]
    },
    classifiers=[
        "Programming Language :: Python",
        "Framework :: Odoo",
        f"Framework :: Odoo :: {ODOO_SERIES}",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
    ],
)
