# Shared by scripts/test.sh and scripts/try.sh: find Odoo 18, start PostgreSQL, build databases.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 2; }

require_odoo() {
    local version
    if ! version=$("$PYTHON" -c 'import odoo.release as r; print(r.major_version)' 2>/dev/null); then
        cat >&2 <<'MSG'
Odoo 18 is not importable by this Python.

Install Odoo 18 Community from source as its documentation says
(https://www.odoo.com/documentation/18.0/administration/on_premise/source.html):

    git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo.git odoo18
    pip install -r odoo18/requirements.txt
    pip install -e odoo18

then run this command again (or set PYTHON to an interpreter that has Odoo 18).
MSG
        exit 2
    fi
    [ "$version" = "18.0" ] || die "this addon is for Odoo 18.0, but python finds Odoo $version."
}

ensure_postgres() {
    if pg_isready -q -h "${PGHOST:-127.0.0.1}" 2>/dev/null; then
        return
    fi
    say "Starting PostgreSQL"
    if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
        local version
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null ||
            pg_ctlcluster "$version" main start
    elif command -v service >/dev/null; then
        service postgresql start
    else
        die "PostgreSQL is not running and cannot be started from here: start it, then run this again."
    fi
    for _ in $(seq 30); do
        pg_isready -q -h "${PGHOST:-127.0.0.1}" && return
        sleep 1
    done
    die "PostgreSQL did not come up on ${PGHOST:-127.0.0.1}."
}

install_python_requirements() {
    say "Installing Python requirements ($*)"
    local file args=()
    for file in "$@"; do args+=(-r "$ROOT/$file"); done
    "$PYTHON" -m pip install --quiet --disable-pip-version-check "${args[@]}" ||
        die "pip could not install the requirements."
}

# Odoo's own addons path with this repository in front.
addons_path() {
    "$PYTHON" - "$ROOT" <<'PY'
import sys
from odoo.tools import config
config.parse_config([])
print(",".join([sys.argv[1], config["addons_path"]]))
PY
}

odoo() {
    "$PYTHON" -m odoo --addons-path="$(addons_path)" "$@"
}

# create_database NAME MODULES [extra odoo options]: drop it, create it, install MODULES.
# Fails when the install logs a warning or an error.
create_database() {
    local name=$1 modules=$2
    shift 2
    local log
    log=$(mktemp)
    say "Creating database $name with $modules"
    dropdb --if-exists "$name" 2>/dev/null || true
    if ! odoo -d "$name" -i "$modules" --stop-after-init --log-level=info "$@" >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        die "installing $modules on $name failed (log above)."
    fi
    if grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$log" >&2; then
        die "installing $modules on $name logged the warnings or errors above."
    fi
    rm -f "$log"
}
