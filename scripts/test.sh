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

# The whole suite runs on plain Odoo and on OCA's Brazilian localization (l10n-brazil), which
# installs the fiscal bridge hotmart_connector_l10n_br_fiscal on its own; the bridge's tests
# run there. On Odoo's localization (l10n_br), which installs the glue addon
# hotmart_connector_l10n_br on its own, run the glue's tests and the connector's tests of what
# a localization changes (customers, taxes, the books); the client, the parsers, concurrency
# and the browser tour do not depend on it.
db=${TEST_DB:-hotmart_test}
cd "$ROOT"
export HOTMART_REQUIRE_ODOO_TESTS=1
LOCALIZED_TESTS=$(printf 'hotmart_connector/tests/test_%s.py ' receive purchase money books \
    webhook status_sync subscriptions)
targets=(
    # the first database also has a test addon that extends the order mapper as a bridge would
    "$db|hotmart_connector,hotmart_connector_test_bridge|hotmart_connector test_addons"
    "${db}_br|hotmart_connector,l10n_br|$LOCALIZED_TESTS hotmart_connector_l10n_br"
    "${db}_fiscal|hotmart_connector,$FISCAL_MODULES|hotmart_connector hotmart_connector_l10n_br_fiscal"
)
build_the_others() {
    local target name modules _suites
    for target in "${targets[@]:1}"; do
        IFS='|' read -r name modules _suites <<<"$target"
        create_database "$name" "$modules" --without-demo=all
    done
}
# The first database is built first; the others while its suite runs (2 cores).
IFS='|' read -r name modules _suites <<<"${targets[0]}"
create_database "$name" "$modules" --without-demo=all
build_the_others &
building=$!
status=0
for index in "${!targets[@]}"; do
    IFS='|' read -r name modules suites <<<"${targets[$index]}"
    if [ "$index" = 1 ]; then
        wait "$building" || die "building the other databases failed (above)."
    fi
    say "Running the suite on $name ($modules)"
    # shellcheck disable=SC2086 # the suites are paths, one word each
    "$PYTHON" -m pytest $suites \
        --odoo-database="$name" --odoo-addons-path="$(addons_path)" --odoo-http \
        --odoo-log-level=warn -p no:cacheprovider "$@" || status=$?
done
exit "$status"
