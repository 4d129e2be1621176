"""Development server: `python3 -m app` (what `sls-run dev` runs). Standard library only.

The same app, logs and shutdown as in the image, without installing anything: listens on
0.0.0.0:$PORT; on SIGTERM (or Ctrl-C) it stops accepting, lets in-flight requests finish for up to
GRACE_SECONDS and exits 0. The image runs gunicorn instead (`gunicorn.conf.py`).
"""

import logging
import os
import signal
import sys
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from . import logs
from .web import app

# Cloud Run, Knative and `sls-run dev` send SIGKILL 10 s after SIGTERM.
GRACE_SECONDS = 8

log = logging.getLogger("app.server")


class Server(ThreadingMixIn, WSGIServer):
    """A thread per connection; counts what is in flight so a shutdown can wait for it."""

    daemon_threads = True  # wait_idle() below waits for requests, with a deadline
    allow_reuse_address = True

    def __init__(self, *args, **kwargs):
        self._lock = threading.Condition()
        self.in_flight = 0
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        with self._lock:
            self.in_flight += 1
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self.in_flight -= 1
                self._lock.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self.in_flight == 0, timeout)


class RequestHandler(WSGIRequestHandler):
    timeout = 60  # seconds a client may stay silent

    def log_request(self, code="-", size="-"):
        pass  # the app logs each request itself, as JSON

    def log_message(self, format, *args):
        log.warning(format % args, extra={"client": self.address_string()})


def main() -> int:
    logs.setup()
    port = int(os.environ.get("PORT", "{{port}}"))
    server = make_server("0.0.0.0", port, app, server_class=Server, handler_class=RequestHandler)

    # The handler only records the signal: taking a lock inside a signal handler can deadlock.
    received = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda sig, _frame: received.append(sig))

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    log.info("listening on 0.0.0.0:%d", port, extra={"port": port})
    while not received:
        time.sleep(0.1)

    log.info("%s: shutting down", signal.Signals(received[0]).name, extra={"in_flight": server.in_flight})
    server.shutdown()  # the accept loop stops
    server.server_close()  # the listening socket closes: new connections are refused
    if not server.wait_idle(GRACE_SECONDS):
        log.warning("grace period over, requests cut off", extra={"in_flight": server.in_flight})
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
