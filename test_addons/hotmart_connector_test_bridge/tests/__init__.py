from . import test_bridge_hook
