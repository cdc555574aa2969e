"""Make the suite fail when its Odoo tests did not really run.

pytest-odoo skips HttpCase tests without --odoo-http and a broken database silently
collects nothing: with HOTMART_REQUIRE_ODOO_TESTS=1 (scripts/test.sh sets it) a run in which
no Odoo test passed, or in which any test was skipped, is a failure.
"""

import os

import pytest

_outcomes = {"odoo_passed": 0, "skipped": []}


def _is_odoo_test(item):
    try:
        from odoo.tests import TransactionCase
    except ImportError:
        return False
    return isinstance(getattr(item, "instance", None), TransactionCase)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped:
        _outcomes["skipped"].append(item.nodeid)
    elif report.when == "call" and report.passed and _is_odoo_test(item):
        _outcomes["odoo_passed"] += 1


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("HOTMART_REQUIRE_ODOO_TESTS") != "1":
        return
    problems = []
    if not _outcomes["odoo_passed"]:
        problems.append("no Odoo database test (TransactionCase/HttpCase) passed")
    if _outcomes["skipped"]:
        problems.append("tests were skipped: " + ", ".join(_outcomes["skipped"]))
    if problems:
        session.config.hotmart_problems = problems
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if os.environ.get("HOTMART_REQUIRE_ODOO_TESTS") != "1":
        return
    for problem in getattr(config, "hotmart_problems", []):
        terminalreporter.write_line(f"FAILED: {problem}", red=True)
    terminalreporter.write_line(
        f"Odoo database test results passed (subtests included): {_outcomes['odoo_passed']}"
    )
