"""Reading the next page while the last is stored, and buyers met with their sales: no
database."""

import threading
import time

from odoo.tests import BaseCase, tagged

from ..hotmart.exceptions import HotmartTransientError
from ..hotmart.read_ahead import read_ahead
from ..hotmart.records import BuyersInWaiting


@tagged("post_install", "-at_install")
class TestReadAhead(BaseCase):
    def test_pages_come_in_order_and_the_next_is_read_meanwhile(self):
        read = []

        def pages():
            for number in range(4):
                read.append(number)
                yield [number]

        seen = []
        for page in read_ahead(pages()):
            time.sleep(0.05)  # storing the page: the reader goes on meanwhile
            seen.append((page[0], list(read)))
        self.assertEqual([page for page, _read in seen], [0, 1, 2, 3])
        # while page 0 was stored, page 1 had been read already
        self.assertIn(1, seen[0][1])

    def test_an_error_comes_after_the_pages_read_before_it(self):
        def pages():
            yield ["first"]
            raise HotmartTransientError("Hotmart answered 503.")

        seen = []
        with self.assertRaises(HotmartTransientError):
            for page in read_ahead(pages()):
                seen.append(page)
        self.assertEqual(seen, [["first"]])

    def test_stopping_early_waits_for_the_reader(self):
        def pages():
            for number in range(100):
                yield [number]

        threads = threading.active_count()
        for page in read_ahead(pages()):
            if page == [2]:
                break
        self.assertEqual(threading.active_count(), threads, "the reader is still running")


@tagged("post_install", "-at_install")
class TestBuyersInWaiting(BaseCase):
    def item(self, transaction):
        return {"transaction": transaction, "users": [{"role": "BUYER", "user": {}}]}

    def test_an_item_is_written_with_its_sale_or_waits_for_it(self):
        buyers = BuyersInWaiting()
        # the users page is ahead of the history page: HP2 comes with the next history page
        buyers.add([self.item("HP1"), self.item("HP2")])
        self.assertEqual(buyers.take("HP1")["transaction"], "HP1")
        self.assertIsNone(buyers.take("HP9"))
        buyers.stored(["HP1"])
        self.assertEqual(buyers.take_stored(), [])
        self.assertTrue(buyers)
        self.assertEqual(buyers.take("HP2")["transaction"], "HP2")
        self.assertFalse(buyers)

    def test_an_item_behind_its_sale_is_written_to_it_at_the_end_of_the_page(self):
        buyers = BuyersInWaiting()
        buyers.stored(["HP1"])
        buyers.add([self.item("HP1"), self.item("HP3"), "not an item", {"transaction": ""}])
        self.assertEqual([i["transaction"] for i in buyers.take_stored()], ["HP1"])
        self.assertEqual([i["transaction"] for i in buyers.take_all()], ["HP3"])
        self.assertFalse(buyers)
