"""The Hotmart stand-in's write calls and sales summary over real HTTP, as API notes shape
them, with their error bodies. Plain Python, no Odoo:

    python3 -m pytest standin/tests -p no:odoo -q
"""

import sys
from pathlib import Path

import pytest
import requests

STANDIN = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(STANDIN))

from hotmart_standin import HotmartStandIn, StandInData  # noqa: E402 (the module under test)

SALES = "/payments/api/v1/sales"
SUBSCRIPTIONS = "/payments/api/v1/subscriptions"


@pytest.fixture
def standin():
    server = HotmartStandIn(data=StandInData(sales=60, seed=4, days=20)).start()
    yield server
    server.stop()


@pytest.fixture
def api(standin):
    token = requests.post(
        standin.url + "/security/oauth/token",
        params={
            "grant_type": "client_credentials",
            "client_id": standin.client_id,
            "client_secret": standin.client_secret,
        },
        headers={"Authorization": f"Basic {standin.basic}"},
        timeout=5,
    ).json()["access_token"]

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {token}"}
        return requests.request(method, standin.url + path, headers=headers, timeout=5, **kwargs)

    return call


def summary(api, **params):
    answer = api("GET", SALES + "/summary", params={"start_date": 0, **params})
    assert answer.status_code == 200
    return {i["total_value"]["currency_code"]: i["total_items"] for i in answer.json()["items"]}


def test_summary_counts_paid_sales_per_currency(standin, api):
    paid = [s for s in standin.data.sales.values() if s["status"] in ("APPROVED", "COMPLETE")]
    counts = summary(api)
    assert sum(counts.values()) == len(paid)
    assert counts["BRL"] == sum(1 for s in paid if s["currency"] == "BRL")


def test_hidden_sales_leave_the_history_but_stay_in_the_summary(standin, api):
    hidden = [t for t, s in standin.data.sales.items() if s["status"] == "APPROVED"][:2]
    before = summary(api)
    answer = requests.post(standin.url + "/standin/history", json={"hide": hidden}, timeout=5)
    assert answer.json() == {"hidden": sorted(hidden)}
    history = api("GET", SALES + "/history", params={"transaction_status": "APPROVED"}).json()
    served = {item["purchase"]["transaction"] for item in history["items"]}
    assert not served & set(hidden)
    assert summary(api) == before
    requests.post(standin.url + "/standin/history", json={"show": hidden}, timeout=5)
    history = api("GET", SALES + "/history", params={"transaction_status": "APPROVED"}).json()
    assert set(hidden) <= {item["purchase"]["transaction"] for item in history["items"]}


def test_refund_once_then_refused_with_the_common_error_body(standin, api):
    transaction = next(t for t, s in standin.data.sales.items() if s["status"] == "COMPLETE")
    first = api("PUT", f"{SALES}/{transaction}/refund")
    assert (first.status_code, first.json()) == (200, {})
    assert standin.data.sales[transaction]["status"] == "REFUNDED"
    second = api("PUT", f"{SALES}/{transaction}/refund")
    assert second.status_code == 400
    assert set(second.json()) == {"error", "error_description", "error_uri"}
    assert api("PUT", f"{SALES}/HP0/refund").status_code == 404
    assert [w[0] for w in standin.writes] == ["PUT", "PUT", "PUT"]


def test_a_write_without_a_token_is_refused(standin):
    answer = requests.put(standin.url + f"{SALES}/HP9000000000001/refund", timeout=5)
    assert answer.status_code == 401


def test_batch_cancel_answers_successes_and_failures(standin, api):
    codes = [c for c, s in standin.data.subscriptions.items() if s["status"] == "ACTIVE"][:2]
    standin.data.subscriptions[codes[1]]["status"] = "CANCELLED_BY_CUSTOMER"
    answer = api(
        "POST", SUBSCRIPTIONS + "/cancel", json={"subscriber_code": codes, "send_mail": True}
    ).json()
    assert [i["subscriber_code"] for i in answer["success_subscriptions"]] == codes[:1]
    (failure,) = answer["fail_subscriptions"]
    assert failure["error"] == "SUBSCRIPTION_ALREADY_CANCELED_OR_OVERDUE"


def test_reactivation_waits_for_the_subscriber(standin, api):
    code = next(c for c, s in standin.data.subscriptions.items() if s["status"] != "ACTIVE")
    answer = api("POST", f"{SUBSCRIPTIONS}/{code}/reactivate", json={"charge": False})
    assert answer.json()["status"] == "INACTIVE"
    assert standin.data.subscriptions[code]["status"] != "ACTIVE"
    accepted = requests.post(
        f"{standin.url}/standin/subscriptions/{code}",
        json={"action": "accept_reactivation"},
        timeout=5,
    )
    assert accepted.json()["status"] == "ACTIVE"


def test_charge_day_checks_the_day_and_the_trial(standin, api):
    code = next(c for c, s in standin.data.subscriptions.items() if s["status"] == "ACTIVE")
    answer = api("PATCH", f"{SUBSCRIPTIONS}/{code}", json={"due_day": 32})
    assert answer.status_code == 400
    answer = api("PATCH", f"{SUBSCRIPTIONS}/{code}", json={"due_day": 31})
    assert (answer.status_code, answer.content) == (200, b"")
    standin.data.subscriptions[code]["trial"] = True
    answer = api("PATCH", f"{SUBSCRIPTIONS}/{code}", json={"due_day": 5})
    assert answer.json()["error"] == "subscription_in_trial_period"
