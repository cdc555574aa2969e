"""Reading Hotmart's next page while the caller stores the last one."""

import queue
import threading

_DONE = object()
STOP_WAIT_SECONDS = 5


def read_ahead(pages, depth=1):
    """Yield what ``pages`` yields, reading up to ``depth`` more in a thread meanwhile.

    Storing a page in Odoo and waiting for Hotmart's next one then overlap. One thread
    reads, so the client is never used by two threads at once; an error it meets is raised
    here, at the page where it happened, after the pages read before it. When the caller
    stops early (it failed), the reader stops after the call in flight; it is waited for a
    few seconds only, so that a caller holding locks is not kept by Hotmart's retries.
    """
    slots = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(entry):
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read():
        try:
            for page in pages:
                if not offer((page, None)):
                    return
            offer((_DONE, None))
        except BaseException as error:  # noqa: BLE001 (raised again in the caller's thread)
            offer((None, error))

    reader = threading.Thread(target=read, name="hotmart-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            page, error = slots.get()
            if error is not None:
                raise error
            if page is _DONE:
                return
            yield page
    finally:
        stop.set()
        reader.join(timeout=STOP_WAIT_SECONDS)
