#!/usr/bin/env bash
# Odoo 18 with the connector and a demo account connected to the local Hotmart stand-in, for a
# Brazilian producer: a company in reais on Odoo's Brazilian localization (l10n_br), the admin
# user in Portuguese (Brazil) on São Paulo time.
# With HOTMART_FISCAL=1, the company is on OCA's Brazilian localization instead and issues the
# NFS-e of each paid sale through a local stand-in for Focus NFe, and cancels it on refund.
#   scripts/try.sh
#   HOTMART_FISCAL=1 scripts/try.sh
# Environment: PYTHON (default python3), DEMO_DB (default hotmart_demo, hotmart_demo_fiscal
# with HOTMART_FISCAL=1), PORT (default 8069), STANDIN_PORT (default 18070), FOCUS_PORT
# (default 18071), STANDIN_SALES (default 200), RESET=1 to rebuild the database.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_odoo
install_python_requirements requirements.txt
fiscal=${HOTMART_FISCAL:-}
if [ "$fiscal" = 1 ]; then install_fiscal_requirements; fi
ensure_postgres

port=${PORT:-8069}
standin_port=${STANDIN_PORT:-${SANDBOX_PORT:-18070}}
focus_port=${FOCUS_PORT:-18071}
if [ "$fiscal" = 1 ]; then
    db=${DEMO_DB:-hotmart_demo_fiscal}
    # OCA's localization, with the fiscal bridge, and the addon that sends Focus NFe's calls
    # to its stand-in; no demo data (OCA's needs a newer Odoo 18)
    modules=hotmart_connector,$FISCAL_MODULES,focusnfe_standin
    create_options=(--without-demo=all)
    export HOTMART_DEMO_CHART=br_oca_simple
else
    db=${DEMO_DB:-hotmart_demo}
    modules=hotmart_connector,l10n_br
    create_options=()
fi
if [ "${RESET:-}" = 1 ] || ! psql -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw "$db"; then
    create_database "$db" "$modules" "${create_options[@]}"
else
    say "Updating the addon in $db"
    # installs what the demo needs too in a demo database made before it did
    odoo -d "$db" -i "$modules" -u hotmart_connector --stop-after-init --log-level=warn
fi

say "Making the demo company a Brazilian producer"
odoo shell -d "$db" --no-http --log-level=warn <"$ROOT/scripts/demo_company.py"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
if [ "$fiscal" = 1 ]; then
    say "Starting the local Focus NFe stand-in (a development tool, not Focus NFe) on port $focus_port"
    "$PYTHON" "$ROOT/standin/focusnfe_standin.py" --port "$focus_port" --token demo-focus-token &
    pids+=($!)
    say "Issuing notas fiscais through it"
    FOCUS_STANDIN_URL="http://127.0.0.1:$focus_port" \
        odoo shell -d "$db" --no-http --log-level=warn <"$ROOT/scripts/demo_fiscal.py"
fi

say "Starting the local Hotmart stand-in (a development tool, not Hotmart) on port $standin_port"
"$PYTHON" "$ROOT/standin/hotmart_standin.py" --port "$standin_port" \
    --sales "${STANDIN_SALES:-${SANDBOX_SALES:-200}}" &
pids+=($!)
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$standin_port/standin/stats" >/dev/null 2>&1 && break
    sleep 0.2
done

say "Connecting the demo account to the stand-in"
HOTMART_STANDIN_URL="http://127.0.0.1:$standin_port" HOTMART_ODOO_PORT="$port" \
    odoo shell -d "$db" --no-http --log-level=warn <"$ROOT/scripts/demo_account.py"

cat <<MSG

  Hotmart Connector: http://localhost:$port/odoo/action-hotmart_connector.hotmart_overview_action
  Login: admin   Password: admin   (database $db; Ctrl+C stops Odoo and the stand-ins)

MSG
"$PYTHON" -m odoo --addons-path="$(addons_path)" -d "$db" --db-filter="^$db\$" \
    --http-interface=127.0.0.1 --http-port="$port" --log-level=warn
