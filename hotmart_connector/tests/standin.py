"""The local stand-in for Hotmart, for the tests that talk to it over real HTTP.

It is a development tool at the repository's root (``standin/``, started with
``standin/hotmart_standin.py``), not part of the addon: ``pip install`` does not ship it. The
tests load it from the checkout.
"""

import importlib.util
import sys
from pathlib import Path

STANDIN_FOLDER = Path(__file__).resolve().parents[2] / "standin"


def load_standin(name):
    """A stand-in of ``standin/`` (``hotmart_standin``, ``focusnfe_standin``) as a module."""
    if name in sys.modules:
        return sys.modules[name]
    path = STANDIN_FOLDER / f"{name}.py"
    if not path.exists():
        raise ImportError(
            f"The stand-in {path.name} is not beside the addon: run the tests from a checkout "
            "of the repository, where standin/ holds it."
        )
    # its modules import one another by name, as when it runs as a script
    if str(STANDIN_FOLDER) not in sys.path:
        sys.path.append(str(STANDIN_FOLDER))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_standin = load_standin("hotmart_standin")
Faults = _standin.Faults
HotmartStandIn = _standin.HotmartStandIn
StandInData = _standin.StandInData
webhook_event = _standin.webhook_event
