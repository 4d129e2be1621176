import io
import json
import logging
import unittest
from wsgiref.util import setup_testing_defaults

from app.logs import JsonFormatter
from app.web import app


def call(path, method="GET"):
    """Calls the WSGI app directly; returns (status code, headers, body bytes)."""
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method}
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return int(seen["status"][:3]), seen["headers"], body


class RoutesTest(unittest.TestCase):
    def test_index_greets_by_name(self):
        status, headers, body = call("/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(json.loads(body)["message"], "Hello from {{name}}!")

    def test_healthz(self):
        status, _, body = call("/healthz")
        self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))

    def test_unknown_path_is_404(self):
        status, _, body = call("/nope")
        self.assertEqual((status, json.loads(body)), (404, {"error": "not found"}))

    def test_other_methods_are_405(self):
        status, headers, _ = call("/", method="POST")
        self.assertEqual((status, headers["Allow"]), (405, "GET, HEAD"))

    def test_head_has_no_body(self):
        status, headers, body = call("/", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        self.assertGreater(int(headers["Content-Length"]), 0)

    def test_each_request_is_logged(self):
        with self.assertLogs("app", level="INFO") as logs:
            call("/")
        self.assertEqual(logs.records[0].status, 200)
        self.assertEqual(logs.records[0].path, "/")


class JsonLogTest(unittest.TestCase):
    def test_one_json_object_per_line_with_extra_fields(self):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        logger = logging.getLogger("test.json")
        logger.addHandler(handler)
        logger.propagate = False
        try:
            logger.warning("two\nlines", extra={"status": 503})
        finally:
            logger.removeHandler(handler)
        lines = stream.getvalue().splitlines()
        self.assertEqual(len(lines), 1)
        entry = json.loads(lines[0])
        self.assertEqual(entry["severity"], "WARNING")
        self.assertEqual(entry["message"], "two\nlines")
        self.assertEqual(entry["status"], 503)
        self.assertIn("time", entry)


if __name__ == "__main__":
    unittest.main()
