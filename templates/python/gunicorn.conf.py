"""gunicorn settings for the image (https://docs.gunicorn.org/en/stable/settings.html)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # so `app` imports from here
from app.logs import logging_config  # noqa: E402

bind = [f"0.0.0.0:{os.environ.get('PORT', '{{port}}')}"]

# One process with threads, as Cloud Run suggests for one vCPU; raise WEB_CONCURRENCY with the CPUs.
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_class = "gthread"
threads = int(os.environ.get("PYTHON_THREADS", "8"))
timeout = 0  # no worker timeout: the platform's request timeout applies

# SIGTERM: stop accepting, let in-flight requests finish, exit 0. The platform kills after 10 s.
graceful_timeout = 8

# No control socket (gunicornc): nothing in a container uses it, and the app user has no home for it.
control_socket_disable = True

# JSON lines on stdout, as `python3 -m app` logs. The app logs each request, so no access log.
accesslog = None
logconfig_dict = logging_config()
