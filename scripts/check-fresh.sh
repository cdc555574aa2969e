#!/usr/bin/env bash
# Proves the fresh-machine path end to end: a throwaway clone of this repository installs
# Odoo 18 from ODOO_SOURCE into a new virtual environment of its own (as if no Python here
# could import Odoo), runs a quick subset of the suite there, then shows that a second run
# reuses the environment.
#   ODOO_SOURCE=/path/to/odoo-18 scripts/check-fresh.sh ['pytest -k expression']
# ODOO_SOURCE defaults to the official repository's 18.0 branch (a shallow clone).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

subset=${1:-test_hotmart_backend or test_records}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "Cloning this repository into $work"
git clone --quiet "$ROOT" "$work/repo"
cd "$work/repo"

export HOTMART_USE_VENV=1 TEST_DB=hotmart_fresh SKIP_LINT=1
unset PYTHON
started=$SECONDS
step "First run: install Odoo 18, then the quick subset ($subset)" scripts/test.sh -k "$subset"
first=$((SECONDS - started))
started=$SECONDS
step "Second run: the environment is reused" bash -c 'source scripts/lib.sh; ensure_odoo'
second=$((SECONDS - started))
for db in hotmart_fresh hotmart_fresh_br; do dropdb --if-exists "$db"; done
say "Fresh machine path: first run ${first} s (install and tests), reuse ${second} s."
