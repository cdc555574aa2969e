#!/usr/bin/env python3
"""The parts of installing Odoo 18 from source that are worth testing on their own.

scripts/lib.sh calls it; scripts/tests/test_odoo_install.py tests it. Standard library only
(pip's vendored ``packaging`` for requirement markers), so that it runs before anything is
installed.

    odoo_install.py source-kind SOURCE            -> git | directory | archive
    odoo_install.py fetch SOURCE DEST [BRANCH]    -> DEST holds the Odoo source tree
    odoo_install.py requirements ODOO_REQS CONSTRAINTS OUT
                                                  -> OUT: Odoo's requirements, with the pins
                                                     that no longer build replaced
    odoo_install.py ready VENV SOURCE             -> exit 0 when VENV already has this Odoo
"""

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

DEFAULT_SOURCE = "https://github.com/odoo/odoo.git"
DEFAULT_BRANCH = "18.0"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip")
READY_MARKER = ".hotmart-odoo-source"


def source_kind(source):
    """How to get the Odoo source from ``source``: a git URL, a local directory, an archive."""
    if Path(source).is_dir():
        return "directory"
    if source.lower().endswith(ARCHIVE_SUFFIXES) and not source.lower().endswith(".git"):
        return "archive"
    if source.endswith(".git") or "://" in source or source.startswith("git@"):
        return "git"
    raise SystemExit(
        f"ODOO_SOURCE={source!r} is neither a git URL, an existing directory, nor an archive "
        f"({', '.join(ARCHIVE_SUFFIXES)})."
    )


def odoo_root(directory):
    """The folder holding odoo-bin in ``directory`` or its only subfolder (an archive's)."""
    directory = Path(directory)
    if (directory / "odoo-bin").exists():
        return directory
    children = [child for child in directory.iterdir() if child.is_dir()]
    if len(children) == 1 and (children[0] / "odoo-bin").exists():
        return children[0]
    raise SystemExit(f"No Odoo source (odoo-bin) in {directory}.")


def fetch(source, dest, branch=DEFAULT_BRANCH):
    """Put the Odoo source in ``dest``: cloned (shallow), linked (a directory) or unpacked."""
    dest = Path(dest)
    kind = source_kind(source)
    if dest.exists() or dest.is_symlink():
        if dest.is_symlink() or dest.is_file():
            dest.unlink()
        else:
            shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if kind == "git":
        subprocess.run(
            ["git", "clone", "--quiet", "--depth", "1", "--branch", branch, source, str(dest)],
            check=True,
        )
    elif kind == "directory":
        dest.symlink_to(odoo_root(source).resolve(), target_is_directory=True)
    else:
        unpacked = dest.with_name(dest.name + ".unpacked")
        shutil.rmtree(unpacked, ignore_errors=True)
        unpacked.mkdir()
        if source.lower().endswith(".zip"):
            with zipfile.ZipFile(source) as archive:
                archive.extractall(unpacked)
        else:
            with tarfile.open(source) as archive:
                archive.extractall(unpacked, filter="data")
        odoo_root(unpacked).rename(dest)
        shutil.rmtree(unpacked, ignore_errors=True)
    return odoo_root(dest)


def _requirement(line):
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement

    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def applicable(requirement):
    return requirement.marker is None or requirement.marker.evaluate()


def constrained_requirements(odoo_requirements, constraints):
    """Odoo's requirements, with each pin the constraints file replaces swapped for its
    constraint; returns the new text and the replaced pins."""
    replacements = {}
    for line in Path(constraints).read_text().splitlines():
        requirement = _requirement(line)
        if requirement and applicable(requirement):
            replacements[requirement.name.lower()] = line.split("#", 1)[0].strip()
    lines, replaced = [], []
    for line in Path(odoo_requirements).read_text().splitlines():
        requirement = _requirement(line)
        name = requirement.name.lower() if requirement else None
        if requirement and applicable(requirement) and name in replacements:
            replaced.append(f"{line.split(';')[0].strip()} -> {replacements[name]}")
            lines.append(replacements.pop(name))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n", replaced


def ready(venv, source):
    """Whether ``venv`` already has Odoo 18 installed from ``source``."""
    venv = Path(venv)
    python = venv / "bin" / "python"
    marker = venv / READY_MARKER
    if not python.exists() or not marker.exists() or marker.read_text().strip() != source:
        return False
    check = subprocess.run(
        [str(python), "-c", "import odoo.release as r; assert r.major_version == '18.0'"],
        capture_output=True,
    )
    return check.returncode == 0


def main(argv):
    command, *args = argv or ["help"]
    if command == "source-kind":
        print(source_kind(args[0]))
    elif command == "fetch":
        print(fetch(*args))
    elif command == "requirements":
        text, replaced = constrained_requirements(args[0], args[1])
        Path(args[2]).write_text(text)
        for line in replaced:
            print(f"  constrained: {line}")
    elif command == "ready":
        return 0 if ready(args[0], args[1]) else 1
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
