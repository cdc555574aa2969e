"""The installer's own checks: where the Odoo source comes from, the constraints applied,
an existing environment reused. Plain Python and bash, no Odoo, no network."""

import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))

import odoo_install  # noqa: E402 (the module under test lives beside the tests' folder)


def fake_odoo_tree(root, requirements="cbor2==5.4.2 ; python_version < '3.12'\n"):
    """A folder that looks like an Odoo source tree, with an importable odoo.release."""
    root.mkdir(parents=True)
    (root / "odoo-bin").write_text("#!/usr/bin/env python3\n")
    (root / "requirements.txt").write_text(requirements)
    package = root / "odoo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "release.py").write_text("major_version = '18.0'\n")
    return root


def test_source_kinds(tmp_path):
    assert odoo_install.source_kind("https://github.com/odoo/odoo.git") == "git"
    assert odoo_install.source_kind("git@github.com:odoo/odoo.git") == "git"
    assert odoo_install.source_kind(str(tmp_path)) == "directory"
    assert odoo_install.source_kind("/somewhere/odoo-18.0.tar.gz") == "archive"
    assert odoo_install.source_kind("odoo.zip") == "archive"
    with pytest.raises(SystemExit, match="neither a git URL"):
        odoo_install.source_kind("/no/such/folder")


def test_fetch_from_a_directory_links_it(tmp_path):
    source = fake_odoo_tree(tmp_path / "odoo18")
    dest = tmp_path / "venv" / "src" / "odoo"
    assert odoo_install.fetch(str(source), dest) == dest
    assert dest.is_symlink() and dest.resolve() == source.resolve()
    # fetching again replaces what was there
    assert odoo_install.fetch(str(source), dest) == dest


def test_fetch_from_an_archive_unpacks_its_only_folder(tmp_path):
    source = fake_odoo_tree(tmp_path / "build" / "odoo-18.0")
    archive = tmp_path / "odoo-18.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname="odoo-18.0")
    dest = tmp_path / "venv" / "src" / "odoo"
    root = odoo_install.fetch(str(archive), dest)
    assert (root / "odoo-bin").exists() and not root.is_symlink()


def test_fetch_from_git_clones_the_branch_shallow(tmp_path):
    source = fake_odoo_tree(tmp_path / "repo")
    git = ["git", "-C", str(source), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "18.0"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "odoo"], check=True)
    dest = tmp_path / "venv" / "src" / "odoo"
    root = odoo_install.fetch(f"file://{source}", dest, "18.0")
    assert (root / "odoo-bin").exists()
    depth = subprocess.run(
        ["git", "-C", str(root), "rev-list", "--count", "HEAD"], capture_output=True, text=True
    )
    assert depth.stdout.strip() == "1"


def test_constraints_replace_only_the_pins_that_apply(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        textwrap.dedent(
            """\
            cbor2==5.4.2 ; python_version < '3.12'
            cbor2==5.6.2 ; python_version >= '3.12'
            pytz  # no version pinning
            lxml==4.9.3 ; python_version < '3.12'
            """
        )
    )
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(
        "# comment\ncbor2==5.4.6 ; python_version < '3.12'\nnever==1.0 ; python_version < '3'\n"
    )
    text, replaced = odoo_install.constrained_requirements(requirements, constraints)
    lines = text.splitlines()
    if sys.version_info < (3, 12):
        assert lines[0] == "cbor2==5.4.6 ; python_version < '3.12'"
        assert replaced == ["cbor2==5.4.2 -> cbor2==5.4.6 ; python_version < '3.12'"]
    else:
        assert lines[0] == "cbor2==5.4.2 ; python_version < '3.12'"
        assert replaced == []
    assert lines[1:] == [
        "cbor2==5.6.2 ; python_version >= '3.12'",
        "pytz  # no version pinning",
        "lxml==4.9.3 ; python_version < '3.12'",
    ]


def test_the_projects_constraints_file_is_well_formed():
    constraints = SCRIPTS / "odoo-constraints.txt"
    for line in constraints.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = odoo_install._requirement(line)
            assert requirement is not None, line
            assert str(requirement.specifier).startswith("=="), line


def fake_venv(tmp_path, source):
    """A virtual environment whose python imports a fake Odoo 18."""
    venv = tmp_path / "venv"
    tree = fake_odoo_tree(tmp_path / "odoo-src")
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nPYTHONPATH="{tree}" exec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (venv / odoo_install.READY_MARKER).write_text(source + "\n")
    return venv


def test_an_existing_environment_is_reused_only_for_the_same_source(tmp_path):
    venv = fake_venv(tmp_path, "https://github.com/odoo/odoo.git")
    assert odoo_install.ready(venv, "https://github.com/odoo/odoo.git")
    assert not odoo_install.ready(venv, "/another/odoo")
    assert not odoo_install.ready(tmp_path / "nothing", "https://github.com/odoo/odoo.git")


def run_lib(script, **env):
    # what the caller's own run set (check-fresh.sh sets HOTMART_USE_VENV) stays out
    ours = ("PYTHON", "HOTMART_USE_VENV", "HOTMART_VENV", "ODOO_SOURCE", "ODOO_BRANCH")
    environment = {k: v for k, v in os.environ.items() if k not in ours}
    environment.update(env)
    return subprocess.run(
        ["bash", "-c", f"source '{SCRIPTS / 'lib.sh'}'; {script}"],
        capture_output=True,
        text=True,
        env=environment,
    )


def test_lib_reuses_the_environment_without_installing(tmp_path):
    venv = fake_venv(tmp_path, "/some/odoo")
    result = run_lib(
        'ensure_odoo; echo "PYTHON=$PYTHON"',
        HOTMART_USE_VENV="1",
        HOTMART_VENV=str(venv),
        ODOO_SOURCE="/some/odoo",
    )
    assert result.returncode == 0, result.stderr
    assert f"PYTHON={venv}/bin/python" in result.stdout
    assert "Using Odoo 18 from" in result.stderr
    assert "installing it" not in result.stderr


def test_lib_refuses_a_python_without_odoo_that_the_user_named(tmp_path):
    result = run_lib("ensure_odoo", PYTHON=str(tmp_path / "no-python"))
    assert result.returncode == 2
    assert "cannot import Odoo 18" in result.stderr


def test_lib_times_each_step():
    result = run_lib("step 'Doing a thing' true")
    assert result.returncode == 0
    assert "Doing a thing" in result.stderr
    assert "done in" in result.stderr
