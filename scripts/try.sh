#!/usr/bin/env bash
# Odoo 18 with the connector and a demo account, for a person to try it.
#   scripts/try.sh
# Environment: PYTHON (default python3), DEMO_DB (default hotmart_demo), PORT (default 8069),
# RESET=1 to rebuild the demo database from scratch.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_odoo
install_python_requirements requirements.txt
ensure_postgres

db=${DEMO_DB:-hotmart_demo}
port=${PORT:-8069}
if [ "${RESET:-}" = 1 ] || ! psql -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw "$db"; then
    create_database "$db" hotmart_connector
fi

cat <<MSG

  Hotmart Connector is starting on http://localhost:$port/odoo/action-hotmart_connector.hotmart_backend_action
  Login: admin   Password: admin   (database $db; Ctrl+C stops it)

MSG
exec "$PYTHON" -m odoo --addons-path="$(addons_path)" -d "$db" --db-filter="^$db\$" \
    --http-interface=127.0.0.1 --http-port="$port" --log-level=warn
