#!/usr/bin/env bash
# Odoo 18 with the connector and a demo account connected to the local Hotmart stand-in, for a
# Brazilian producer: a company in reais on Odoo's Brazilian localization (l10n_br), the admin
# user in Portuguese (Brazil) on São Paulo time.
#   scripts/try.sh
# Environment: PYTHON (default python3), DEMO_DB (default hotmart_demo), PORT (default 8069),
# STANDIN_PORT (default 18070), STANDIN_SALES (default 200), RESET=1 to rebuild the database.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_odoo
install_python_requirements requirements.txt
ensure_postgres

db=${DEMO_DB:-hotmart_demo}
port=${PORT:-8069}
standin_port=${STANDIN_PORT:-${SANDBOX_PORT:-18070}}
if [ "${RESET:-}" = 1 ] || ! psql -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw "$db"; then
    create_database "$db" hotmart_connector,l10n_br
else
    say "Updating the addon in $db"
    # installs l10n_br too in a demo database made before the demo was Brazilian
    odoo -d "$db" -i l10n_br -u hotmart_connector --stop-after-init --log-level=warn
fi

say "Making the demo company a Brazilian producer"
odoo shell -d "$db" --no-http --log-level=warn <"$ROOT/scripts/demo_company.py"

say "Starting the local Hotmart stand-in (a development tool, not Hotmart) on port $standin_port"
"$PYTHON" "$ROOT/standin/hotmart_standin.py" --port "$standin_port" \
    --sales "${STANDIN_SALES:-${SANDBOX_SALES:-200}}" &
standin_pid=$!
trap 'kill $standin_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$standin_port/standin/stats" >/dev/null 2>&1 && break
    sleep 0.2
done

say "Connecting the demo account to the stand-in"
HOTMART_STANDIN_URL="http://127.0.0.1:$standin_port" HOTMART_ODOO_PORT="$port" \
    odoo shell -d "$db" --no-http --log-level=warn <"$ROOT/scripts/demo_account.py"

cat <<MSG

  Hotmart Connector: http://localhost:$port/odoo/action-hotmart_connector.hotmart_overview_action
  Login: admin   Password: admin   (database $db; Ctrl+C stops Odoo and the stand-in)

MSG
"$PYTHON" -m odoo --addons-path="$(addons_path)" -d "$db" --db-filter="^$db\$" \
    --http-interface=127.0.0.1 --http-port="$port" --log-level=warn
