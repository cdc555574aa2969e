"""What the local stand-ins (Hotmart's, Focus NFe's) share: a loopback HTTP server served in a
thread, and a request handler that answers JSON. A development tool, standard library only."""

import contextlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

JSON = "application/json; charset=utf-8"


class StandInServer:
    """A stand-in: ``start()`` serves in a thread, ``url`` is its base URL, and it is a
    context manager. A subclass gives ``_handler_class()``, a ``StandInHandler``."""

    def __init__(self, host, port, quiet):
        self.quiet = quiet
        self.server = ThreadingHTTPServer((host, port), self._handler_class())
        self.server.daemon_threads = True
        self.thread = None

    def _handler_class(self):
        raise NotImplementedError

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        # a short poll: stop() waits for it, and the tests start one per test
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def serve_until_interrupted(self, banner):
        """Serve in the foreground, as the command line does, until Ctrl+C."""
        sys.stdout.write(f"{banner}\n")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            self.server.serve_forever()
        self.server.server_close()


class StandInHandler(BaseHTTPRequestHandler):
    """Answers in JSON, each with the stand-in's header; logs the path only when asked (a
    query string may carry a secret)."""

    stand_in = None  # the StandInServer, set by its _handler_class
    stand_in_header = "X-Stand-In"

    def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's name)
        if not self.stand_in.quiet:
            sys.stderr.write(f"standin: {self.command} {urlsplit(self.path).path}\n")

    def reply(self, status, payload, headers=None):
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.reply_raw(status, body, headers)

    def reply_raw(self, status, body, headers=None, content_type=JSON):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header(self.stand_in_header, "development stand-in")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout the test asked for)
