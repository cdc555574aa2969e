# Shared by scripts/test.sh and scripts/try.sh: find or install Odoo 18, start PostgreSQL,
# build databases.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON_GIVEN=${PYTHON:+1}
PYTHON=${PYTHON:-python3}
# Where the scripts install Odoo 18 when no Python here can import it.
VENV=${HOTMART_VENV:-$ROOT/.venv}
ODOO_SOURCE=${ODOO_SOURCE:-https://github.com/odoo/odoo.git}
ODOO_BRANCH=${ODOO_BRANCH:-18.0}
# Odoo's documented build dependencies on Debian and Ubuntu (for the packages without wheels).
BUILD_PACKAGES=(git build-essential python3-dev python3-venv libxml2-dev libxslt1-dev
    libldap2-dev libsasl2-dev libtiff-dev libjpeg-dev libopenjp2-7-dev zlib1g-dev
    libfreetype6-dev liblcms2-dev libwebp-dev libharfbuzz-dev libfribidi-dev libxcb1-dev
    libpq-dev)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 2; }

# step LABEL COMMAND...: say what is happening, run it, say how long it took.
step() {
    local label=$1 started=$SECONDS
    shift
    say "$label"
    "$@"
    say "  $label: done in $((SECONDS - started)) s"
}

odoo_importable() {
    "$1" -c 'import odoo.release as r; assert r.major_version == "18.0"' 2>/dev/null
}

# Use an Odoo 18 that PYTHON can import; otherwise the project's virtual environment, which
# is created and filled from ODOO_SOURCE the first time (Odoo's source install, step by step).
# HOTMART_USE_VENV=1 skips PYTHON and always uses (or builds) the virtual environment.
ensure_odoo() {
    if [ -z "${HOTMART_USE_VENV:-}" ] && odoo_importable "$PYTHON"; then
        return
    fi
    if [ -n "$PYTHON_GIVEN" ] && [ -z "${HOTMART_USE_VENV:-}" ]; then
        die "PYTHON=$PYTHON cannot import Odoo 18. Unset PYTHON to let this script install Odoo 18 in $VENV, or point it at an interpreter that has Odoo 18."
    fi
    if python3 "$ROOT/scripts/odoo_install.py" ready "$VENV" "$ODOO_SOURCE"; then
        say "Using Odoo 18 from $VENV (installed from $ODOO_SOURCE)"
    else
        local started=$SECONDS
        say "Odoo 18 is not importable here: installing it in $VENV from $ODOO_SOURCE"
        step "Installing build dependencies" install_build_packages
        step "Creating the virtual environment" python3 -m venv "$VENV"
        step "Getting the Odoo 18 source" python3 "$ROOT/scripts/odoo_install.py" \
            fetch "$ODOO_SOURCE" "$VENV/src/odoo" "$ODOO_BRANCH"
        step "Putting Odoo on the environment's path" link_odoo_source
        step "Installing Odoo's Python requirements" install_odoo_requirements
        odoo_importable "$VENV/bin/python" || die "Odoo 18 is still not importable from $VENV."
        printf '%s\n' "$ODOO_SOURCE" >"$VENV/.hotmart-odoo-source"
        say "Odoo 18 installed in $VENV in $((SECONDS - started)) s; later runs reuse it."
    fi
    PYTHON="$VENV/bin/python"
}

install_build_packages() {
    if ! command -v dpkg >/dev/null; then
        say "  not Debian or Ubuntu: install Odoo's build dependencies as its documentation says"
        return
    fi
    local missing=() package
    for package in "${BUILD_PACKAGES[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "  all present"
    elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "  apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    else
        say "  missing, and only root can install them: sudo apt-get install ${missing[*]}"
    fi
}

link_odoo_source() {
    local site
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    # Odoo runs from its source tree, as its documentation installs it
    readlink -f "$VENV/src/odoo" >"$site/odoo-source.pth"
}

install_odoo_requirements() {
    local requirements="$VENV/odoo-requirements.txt"
    "$VENV/bin/python" "$ROOT/scripts/odoo_install.py" requirements \
        "$VENV/src/odoo/requirements.txt" "$ROOT/scripts/odoo-constraints.txt" "$requirements"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$requirements" -c "$ROOT/scripts/odoo-constraints.txt" ||
        die "pip could not install Odoo's requirements (above); a missing build dependency is the usual cause."
}

# The browser tour drives Chromium headless; Odoo finds it on the PATH.
ensure_chromium() {
    local browser
    for browser in chromium chromium-browser google-chrome; do
        command -v "$browser" >/dev/null && return
    done
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        step "Installing Chromium for the browser tour" install_chromium
    elif [ "${CI:-}" = true ]; then
        die "Chromium is missing and only root can install it: sudo apt-get install chromium"
    else
        say "Chromium is missing (sudo apt-get install chromium): the browser tour will fail."
    fi
}

install_chromium() {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

ensure_postgres() {
    if ! command -v pg_isready >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            step "Installing PostgreSQL" install_postgres
        else
            die "PostgreSQL is not installed: sudo apt-get install postgresql, then run this again."
        fi
    fi
    pg_isready -q -h "${PGHOST:-127.0.0.1}" 2>/dev/null || start_postgres
    ensure_postgres_role
}

install_postgres() {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# A PostgreSQL role for the current user: Odoo refuses to run as postgres. Checked the way
# Odoo connects by default (the local socket, or PGHOST when set), without a password prompt.
ensure_postgres_role() {
    psql -w -d postgres -Atc 'select 1' >/dev/null 2>&1 && return
    if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
        say "Creating a PostgreSQL role for $(whoami)"
        su postgres -c "psql -Atc \"select 1 from pg_roles where rolname = '$(whoami)'\" | grep -q 1 || createuser --superuser $(whoami)" ||
            die "could not create a PostgreSQL role for $(whoami)."
        psql -w -d postgres -Atc 'select 1' >/dev/null 2>&1 ||
            die "PostgreSQL has a role for $(whoami) but refuses the connection: allow it in pg_hba.conf (peer or trust for local connections)."
    else
        die "PostgreSQL has no role for $(whoami): sudo -u postgres createuser --superuser $(whoami)"
    fi
}

start_postgres() {
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

# OCA's Brazilian localization that the fiscal bridge builds on (the chart for a producer's
# company included); the bridge installs itself beside them.
FISCAL_MODULES=l10n_br_sale,l10n_br_account,l10n_br_nfse_focus,l10n_br_coa_simple

# OCA's addons are wheels that require the "odoo" distribution, which pip does not see when
# Odoo runs from its source tree: fiscal-requirements.txt pins them and all they need.
install_fiscal_requirements() {
    say "Installing OCA's Brazilian localization (fiscal-requirements.txt)"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps \
        -r "$ROOT/fiscal-requirements.txt" ||
        die "pip could not install OCA's Brazilian localization."
}

# Odoo's own addons path with this repository in front (its addons, and the test addons
# that only the test databases install).
addons_path() {
    "$PYTHON" - "$ROOT" <<'PY'
import sys
from odoo.tools import config
config.parse_config([])
print(",".join([sys.argv[1], sys.argv[1] + "/test_addons", config["addons_path"]]))
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
