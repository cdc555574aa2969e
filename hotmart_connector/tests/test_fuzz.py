"""Bad input, generated: the parsers and the webhook controller never break on it."""

import contextlib
import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, HttpCase, tagged

from ..controllers.main import MAX_BODY_BYTES
from ..hotmart.exceptions import HotmartBadPayloadError
from ..hotmart.records import (
    buyers_by_transaction,
    parse_history_item,
    parse_product,
    parse_webhook,
)
from ..hotmart.settlements import (
    parse_webhook_settlement,
    price_details_by_transaction,
    settlements_by_transaction,
)
from .common import FakeHttpMixin, load_fixture

HOTTOK = "fuzz-hottok"
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.just("ção" * 20000)
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


def paths(value, prefix=()):
    """Every path to a value inside nested dicts and lists."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


@st.composite
def mutated(draw, fixture):
    """A real payload with one part replaced by anything, or removed."""
    payload = copy.deepcopy(load_fixture(fixture))
    all_paths = [path for path in paths(payload) if path]
    path = draw(st.sampled_from(all_paths))
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return payload


def only_bad_payload_errors(function, *args):
    try:
        function(*args)
    except HotmartBadPayloadError as error:
        assert error.message, "a bad payload must say why"


@tagged("post_install", "-at_install")
class TestParsersFuzz(BaseCase):
    @SETTINGS
    @given(json_values)
    def test_random_values(self, value):
        for parser in (
            parse_history_item,
            parse_webhook,
            parse_product,
            buyers_by_transaction,
            price_details_by_transaction,
            settlements_by_transaction,
            parse_webhook_settlement,
        ):
            only_bad_payload_errors(parser, value)
        only_bad_payload_errors(buyers_by_transaction, [value])
        only_bad_payload_errors(price_details_by_transaction, [value])

    @SETTINGS
    @given(mutated("sales_history_page1.json"), mutated("sales_users.json"))
    def test_mutated_rest_payloads(self, history, users):
        buyers = {}
        with contextlib.suppress(HotmartBadPayloadError):
            buyers = buyers_by_transaction(users.get("items") if isinstance(users, dict) else None)
        items = history.get("items") if isinstance(history, dict) else None
        for item in items if isinstance(items, list) else [items]:
            only_bad_payload_errors(parse_history_item, item, None)
            for buyer in buyers.values():
                only_bad_payload_errors(parse_history_item, item, buyer)

    @SETTINGS
    @given(
        st.sampled_from(
            [
                "webhook_purchase_approved.json",
                "webhook_purchase_refunded.json",
                "webhook_purchase_chargeback.json",
                "webhook_subscription_cancellation.json",
            ]
        ).flatmap(mutated)
    )
    def test_mutated_webhooks(self, payload):
        only_bad_payload_errors(parse_webhook, payload)


@tagged("post_install", "-at_install")
class TestWebhookFuzz(FakeHttpMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["hotmart.backend"].create(
            {"name": "Fuzz", "hottok": HOTTOK, "import_since": "2020-01-01 00:00:00"}
        )

    def post(self, body):
        # url_open would turn an empty body into a GET: post it as Hotmart would
        return self.opener.post(
            f"{self.base_url()}/hotmart/webhook/{self.backend.id}",
            data=body,
            headers={"X-HOTMART-HOTTOK": HOTTOK, "Content-Type": "application/json"},
            timeout=30,
        )

    @settings(SETTINGS, max_examples=60)
    @given(
        st.one_of(
            st.binary(max_size=300),
            json_values.map(lambda v: json.dumps(v).encode()),
            st.sampled_from(["webhook_purchase_approved.json", "webhook_purchase_canceled.json"])
            .flatmap(mutated)
            .map(lambda v: json.dumps(v).encode()),
        )
    )
    def test_any_body_is_stored_and_answered_without_500(self, body):
        Event = self.env["hotmart.webhook.event"]
        before = Event.search_count([("backend_id", "=", self.backend.id)])
        response = self.post(body)
        after = Event.search_count([("backend_id", "=", self.backend.id)])
        if len(body) > MAX_BODY_BYTES:
            self.assertEqual((response.status_code, after), (413, before))
            return
        self.assertEqual(response.status_code, 200, response.text[:300])
        if response.json()["status"] == "received":
            self.assertEqual(after, before + 1)
        else:
            self.assertEqual(after, before)
        # processing never raises out of its run, and ends each event with a clear outcome
        Event._cron_process_webhooks()
        for event in Event.search([("backend_id", "=", self.backend.id)]):
            self.assertIn(event.state, ("done", "ignored", "failed"))
            if event.state == "failed":
                self.assertTrue(event.error)
