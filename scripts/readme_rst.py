#!/usr/bin/env python3
"""Write an addon's README.rst from its readme/ fragments, the way the OCA's addons have it.

    scripts/readme_rst.py ADDON_DIR          -> writes ADDON_DIR/README.rst
    scripts/readme_rst.py --check ADDON_DIR  -> exit 1 when README.rst has drifted

The fragments are plain Markdown (paragraphs, lists, *emphasis*, **strong**, `code`); the
sections follow the OCA's order. Standard library only.
"""

import ast
import re
import sys
from pathlib import Path

SECTIONS = (
    ("DESCRIPTION.md", None),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("CONTRIBUTORS.md", "Contributors"),
)


def heading(text):
    return f"{text}\n{'=' * len(text)}\n"


def markdown_to_rst(text):
    """The few Markdown forms the fragments use, in reStructuredText."""
    text = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", text)
    return re.sub(r"^(\d+)\. ", r"#. ", text, flags=re.MULTILINE)


def render(addon):
    addon = Path(addon)
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))
    name = manifest["name"]
    parts = [f"{'=' * len(name)}\n{name}\n{'=' * len(name)}\n"]
    for fragment, section in SECTIONS:
        path = addon / "readme" / fragment
        if not path.exists():
            continue
        if section:
            parts.append(heading(section))
        parts.append(markdown_to_rst(path.read_text(encoding="utf-8").strip()) + "\n")
    parts.append(heading("Credits"))
    parts.append(f"Authors: {manifest['author']}. License: {manifest['license']}.\n")
    return "\n".join(parts)


def main(argv):
    check = "--check" in argv
    addons = [arg for arg in argv if arg != "--check"]
    drifted = []
    for addon in addons:
        target = Path(addon) / "README.rst"
        text = render(addon)
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                drifted.append(str(target))
        else:
            target.write_text(text, encoding="utf-8")
    if drifted:
        print("README.rst drifted from readme/ (run scripts/readme_rst.py): " + ", ".join(drifted))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
