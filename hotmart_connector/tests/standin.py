"""The local stand-in for Hotmart, for the tests that talk to it over real HTTP.

It is a development tool at the repository's root (``standin/``, started with
``standin/hotmart_standin.py``), not part of the addon: ``pip install`` does not ship it. The
tests load it from the checkout.
"""

import importlib.util
import sys
from pathlib import Path

_MODULE = "hotmart_standin"
_PATH = Path(__file__).resolve().parents[2] / "standin" / f"{_MODULE}.py"


def _load():
    if _MODULE in sys.modules:
        return sys.modules[_MODULE]
    if not _PATH.exists():
        raise ImportError(
            f"The Hotmart stand-in ({_PATH.name}) is not beside the addon: run the tests from "
            "a checkout of the repository, where standin/ holds it."
        )
    # its modules import one another by name, as when it runs as a script
    if str(_PATH.parent) not in sys.path:
        sys.path.append(str(_PATH.parent))
    spec = importlib.util.spec_from_file_location(_MODULE, _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE] = module
    spec.loader.exec_module(module)
    return module


_standin = _load()
Faults = _standin.Faults
HotmartStandIn = _standin.HotmartStandIn
StandInData = _standin.StandInData
webhook_event = _standin.webhook_event
