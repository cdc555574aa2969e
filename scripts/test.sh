#!/usr/bin/env bash
# The whole test suite: lint, a fresh database with the addon, pytest-odoo on it.
#   scripts/test.sh [pytest arguments]
# Environment: PYTHON (default python3), TEST_DB (default hotmart_test), SKIP_LINT=1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_odoo
install_python_requirements requirements.txt requirements-test.txt
ensure_postgres

if [ "${SKIP_LINT:-}" != 1 ] && [ -d "$ROOT/.git" ]; then
    say "Linting (pre-commit: ruff, pylint-odoo)"
    (cd "$ROOT" && "$PYTHON" -m pre_commit run --all-files --show-diff-on-failure)
fi

db=${TEST_DB:-hotmart_test}
create_database "$db" hotmart_connector --without-demo=all

say "Running the suite on $db"
cd "$ROOT"
export HOTMART_REQUIRE_ODOO_TESTS=1
"$PYTHON" -m pytest hotmart_connector \
    --odoo-database="$db" --odoo-addons-path="$(addons_path)" --odoo-http \
    --odoo-log-level=warn -p no:cacheprovider "$@"
