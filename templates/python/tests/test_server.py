import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path
from wsgiref.simple_server import make_server

from app.__main__ import RequestHandler, Server

ROOT = Path(__file__).resolve().parent.parent


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class GracefulShutdownTest(unittest.TestCase):
    def test_in_flight_request_finishes_and_new_connections_are_refused(self):
        started = threading.Event()

        def slow_app(environ, start_response):
            started.set()
            time.sleep(0.3)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"done"]

        server = make_server("127.0.0.1", 0, slow_app, server_class=Server, handler_class=RequestHandler)
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        result = {}
        client = threading.Thread(target=lambda: result.update(response=get(port, "/")))
        client.start()
        self.assertTrue(started.wait(5))

        server.shutdown()
        server.server_close()
        self.assertTrue(server.wait_idle(5))
        client.join(5)
        self.assertEqual(result["response"], (200, b"done"))
        with self.assertRaises(ConnectionRefusedError):
            get(port, "/")


@unittest.skipUnless(os.name == "posix", "POSIX signals")
class SigtermTest(unittest.TestCase):
    def test_dev_server_serves_then_exits_0_on_sigterm(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(os.environ, PORT=str(port))
        proc = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 10)
            self.assertTrue(ready, "no log line within 10 s")
            self.assertIn("listening", json.loads(proc.stdout.readline())["message"])
            self.assertEqual(get(port, "/healthz"), (200, b'{"status": "ok"}\n'))

            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(json.loads(out.splitlines()[-1])["message"], "stopped")


if __name__ == "__main__":
    unittest.main()
