"""Each addon's README.rst is what its readme/ fragments make (scripts/readme_rst.py)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_rst_matches_the_fragments():
    addons = sorted(str(path.parent) for path in ROOT.glob("*/__manifest__.py"))
    assert addons
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme_rst.py"), "--check", *addons],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
