"""The HTTP service: a plain WSGI application (PEP 3333), standard library only.

gunicorn serves it in the image (`gunicorn.conf.py`), `python3 -m app` on your machine (`app/__main__.py`).
"""

import json
import logging
import os
import time

NAME = "{{name}}"

log = logging.getLogger("app")


def index(environ):
    # K_SERVICE / K_REVISION are set by Cloud Run, Knative and `sls-run dev`.
    return "200 OK", {
        "message": f"Hello from {NAME}!",
        "service": os.environ.get("K_SERVICE", NAME),
        "revision": os.environ.get("K_REVISION"),
    }


def healthz(environ):
    return "200 OK", {"status": "ok"}


ROUTES = {"/": index, "/healthz": healthz}


def app(environ, start_response):
    started = time.monotonic()
    method = environ["REQUEST_METHOD"]
    path = environ.get("PATH_INFO") or "/"
    headers = [("Content-Type", "application/json")]
    route = ROUTES.get(path)
    if route is None:
        status, body = "404 Not Found", {"error": "not found"}
    elif method not in ("GET", "HEAD"):
        status, body = "405 Method Not Allowed", {"error": "method not allowed"}
        headers.append(("Allow", "GET, HEAD"))
    else:
        try:
            status, body = route(environ)
        except Exception:
            log.exception("request failed", extra={"method": method, "path": path})
            status, body = "500 Internal Server Error", {"error": "internal error"}

    data = (json.dumps(body) + "\n").encode()
    headers.append(("Content-Length", str(len(data))))
    start_response(status, headers)

    # One line per request; health checks only at DEBUG so probes do not flood the logs.
    log.log(
        logging.DEBUG if path == "/healthz" else logging.INFO,
        "%s %s %s",
        method,
        path,
        status[:3],
        extra={
            "method": method,
            "path": path,
            "status": int(status[:3]),
            "duration_ms": round((time.monotonic() - started) * 1000, 2),
        },
    )
    return [] if method == "HEAD" else [data]
