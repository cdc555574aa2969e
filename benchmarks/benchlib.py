"""What the benchmarks share: the template database, the sandbox process, the machine."""

import functools
import json
import os
import platform
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DB = "hotmart_bench_template"


@functools.cache
def addons_path():
    """Odoo's own addons and this project's (read before any other configuration)."""
    from odoo.tools import config

    config.parse_config([])
    return ",".join([str(ROOT), config["addons_path"]])


def odoo_command():
    """How to start Odoo. odoo-bin (or the ``odoo`` script of an installed Odoo) where there
    is one: with ``--workers``, Odoo starts its websocket process again from its own command
    line, which ``python -m odoo`` cannot give it."""
    import shutil

    import odoo

    source = Path(odoo.__file__).resolve().parent.parent / "odoo-bin"
    if source.exists():
        return [sys.executable, str(source)]
    installed = shutil.which("odoo")
    return [installed] if installed else [sys.executable, "-m", "odoo"]


def run(*command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


def build_template(keep=False):
    """A database with only the addon installed, copied for each measure. With ``keep``,
    one kept by an earlier run is used again."""
    if keep and database_exists(TEMPLATE_DB):
        return
    run("dropdb", "--if-exists", TEMPLATE_DB)
    run(
        sys.executable,
        "-m",
        "odoo",
        f"--addons-path={addons_path()}",
        "-d",
        TEMPLATE_DB,
        "-i",
        "hotmart_connector",
        "--without-demo=all",
        "--stop-after-init",
        "--log-level=warn",
    )


def drop_template(keep=False):
    if not keep:
        run("dropdb", "--if-exists", TEMPLATE_DB)


def database_exists(name):
    listed = run("psql", "-lqtA", capture_output=True, text=True).stdout
    return any(line.split("|")[0] == name for line in listed.splitlines())


def copy_template(db):
    run("dropdb", "--if-exists", db)
    run("createdb", "-T", TEMPLATE_DB, db)


def settle_database(db):
    """Write out what the previous step left (a checkpoint), so that the side timed next
    does not pay for the one timed before. No ANALYZE: statistics of tables still empty
    make PostgreSQL plan for empty tables while one long transaction fills them (seen:
    reconciling payments 4x slower for the side timed first)."""
    run("psql", "-qd", db, "-c", "CHECKPOINT", capture_output=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, seconds=60):
    """Wait until ``url`` answers (any HTTP status)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 (loopback)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def start_sandbox(sales, statuses=("APPROVED=1",), currencies=("BRL=1",)):
    """The local sandbox, in its own process, with ``sales`` sales over 30 days: paid BRL
    sales unless ``statuses`` and ``currencies`` (STATUS=WEIGHT, CODE=WEIGHT) say otherwise;
    empty, the sandbox's own mix."""
    options = [f"--status-weights={weight}" for weight in statuses]
    options += [f"--currency-weights={weight}" for weight in currencies]
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "standin" / "hotmart_standin.py"),
            "--port",
            str(port),
            "--sales",
            str(sales),
            "--seed",
            "1",
            "--days",
            "30",
            *options,
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/standin/stats", seconds=600)
    except RuntimeError:
        process.kill()
        raise
    return process, url


def open_registry(db):
    """Odoo's registry of ``db`` in this process, run as a server runs scheduled actions
    (committing per page: they do not outside tests)."""
    import threading

    import odoo
    from odoo.tools import config

    config.parse_config([f"--addons-path={addons_path()}", "-d", db, "--log-level=warn"])
    threading.current_thread().testing = False
    return odoo.modules.registry.Registry(db)


def sell_in_reais(env):
    """The company sells in reais, as a Brazilian producer's does."""
    brl = env.ref("base.BRL")
    brl.active = True
    env.company.currency_id = brl


def api_calls(url):
    """The calls the sandbox at ``url`` answered, its own /sandbox calls left out."""
    with urllib.request.urlopen(url + "/standin/stats", timeout=10) as answer:  # noqa: S310
        calls = json.load(answer)["calls"]
    return sum(count for path, count in calls.items() if not path.startswith("/standin"))


def peak_rss_mb():
    """This process's peak resident memory. Linux keeps getrusage's peak across exec, so a
    child would report its parent's peak: /proc's high-water mark is the process's own."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine():
    """One line: cores, CPU, Python, day."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, "
        f"{datetime.now():%Y-%m-%d}"
    )
