"""Packages hotmart_connector as an Odoo addon distribution (odoo-addon-hotmart_connector).

It installs the addon as ``odoo.addons.hotmart_connector``, the way the OCA packages addons, so
an Odoo 18 installed with pip finds it without an addons path.
"""

import ast
from pathlib import Path

from setuptools import find_packages, setup

ADDON = "hotmart_connector"
HERE = Path(__file__).parent
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
    packages=[f"odoo.addons.{ADDON}"]
    + [f"odoo.addons.{ADDON}.{pkg}" for pkg in find_packages(ADDON)],
    package_dir={f"odoo.addons.{ADDON}": ADDON},
    include_package_data=True,
    package_data={f"odoo.addons.{ADDON}": ["**/*"]},
    install_requires=[
        f"odoo>={ODOO_SERIES}a,<{MAJOR}.1dev",
        "requests>=2.31",
        "python-stdnum>=1.19",
    ],
    classifiers=[
        "Programming Language :: Python",
        "Framework :: Odoo",
        f"Framework :: Odoo :: {ODOO_SERIES}",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
    ],
)
