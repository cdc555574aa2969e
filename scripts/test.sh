#!/usr/bin/env bash
# The whole test suite: lint, the installer's checks and the stand-ins', then pytest-odoo on
# three fresh databases with the addon (a browser tour included: Chromium is installed when
# missing). Installs Odoo 18 in .venv first when no Python here can import it, and OCA's
# Brazilian localization (fiscal-requirements.txt) for the third database.
#   scripts/test.sh [pytest arguments]
# Environment: PYTHON (default python3), TEST_DB (default hotmart_test), SKIP_LINT=1,
# ODOO_SOURCE (where to get Odoo 18 from when it must be installed; see scripts/lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_odoo
install_python_requirements requirements.txt test-requirements.txt
install_fiscal_requirements
ensure_postgres
ensure_chromium

if [ "${SKIP_LINT:-}" != 1 ] && [ -d "$ROOT/.git" ]; then
    say "Linting (pre-commit: ruff, pylint-odoo)"
    (cd "$ROOT" && "$PYTHON" -m pre_commit run --all-files --show-diff-on-failure)
fi

say "Checking the Odoo installer (scripts/tests)"
"$PYTHON" -m pytest "$ROOT/scripts/tests" -p no:odoo -p no:cacheprovider -q
say "Checking the local stand-ins (standin/tests)"
"$PYTHON" -m pytest "$ROOT/standin/tests" -p no:odoo -p no:cacheprovider -q

# The suite runs on plain Odoo, then on each Brazilian localization: Odoo's (l10n_br), which
# installs the glue addon hotmart_connector_l10n_br on its own, and OCA's (l10n-brazil), which
# installs the fiscal bridge hotmart_connector_l10n_br_fiscal on its own. Their tests run there.
db=${TEST_DB:-hotmart_test}
cd "$ROOT"
export HOTMART_REQUIRE_ODOO_TESTS=1
status=0
# The first database also has a test addon that extends the order mapper as a bridge would.
for target in \
    "$db|hotmart_connector,hotmart_connector_test_bridge|hotmart_connector test_addons" \
    "${db}_br|hotmart_connector,l10n_br|hotmart_connector hotmart_connector_l10n_br" \
    "${db}_fiscal|hotmart_connector,$FISCAL_MODULES|hotmart_connector hotmart_connector_l10n_br_fiscal"; do
    IFS='|' read -r name modules suites <<<"$target"
    create_database "$name" "$modules" --without-demo=all
    say "Running the suite on $name ($modules)"
    # shellcheck disable=SC2086 # the suites are folder names, one word each
    "$PYTHON" -m pytest $suites \
        --odoo-database="$name" --odoo-addons-path="$(addons_path)" --odoo-http \
        --odoo-log-level=warn -p no:cacheprovider "$@" || status=$?
done
exit "$status"
