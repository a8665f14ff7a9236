"""labdb: a tiny key-value store over HTTP, the "db" tier of the course's exercises.

    GET  /health      200 "ok" once the store is ready
    GET  /kv/KEY      the value, or 404
    PUT  /kv/KEY      store the request body as the value (POST works too)
    GET  /kv/         the keys, one per line

Values are kept in LABDB_DATA (default /var/lib/labdb/data.json), written on every change.
Standard library only, so the image needs nothing but python3.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(os.environ.get("LABDB_DATA", "/var/lib/labdb/data.json"))
PORT = int(os.environ.get("LABDB_PORT", "5432"))

_lock = threading.Lock()
_store: dict[str, str] = {}


def load() -> None:
    if DATA.exists():
        _store.update(json.loads(DATA.read_text(encoding="utf-8")))


def save() -> None:
    DATA.parent.mkdir(parents=True, exist_ok=True)
    partial = DATA.with_suffix(".partial")
    partial.write_text(json.dumps(_store, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(DATA)


class Handler(BaseHTTPRequestHandler):
    server_version = "labdb/1"

    def reply(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/health":
            self.reply(200, "ok\n")
        elif self.path in ("/kv", "/kv/"):
            with _lock:
                self.reply(200, "".join(f"{key}\n" for key in sorted(_store)))
        elif self.path.startswith("/kv/"):
            with _lock:
                value = _store.get(self.path[4:])
            if value is None:
                self.reply(404, "no such key\n")
            else:
                self.reply(200, value)
        else:
            self.reply(404, "try /health or /kv/KEY\n")

    def do_PUT(self) -> None:  # noqa: N802
        if not self.path.startswith("/kv/") or len(self.path) == 4:
            self.reply(404, "PUT /kv/KEY\n")
            return
        length = int(self.headers.get("Content-Length") or 0)
        value = self.rfile.read(length).decode("utf-8", "replace")
        with _lock:
            _store[self.path[4:]] = value
            save()
        self.reply(200, "stored\n")

    do_POST = do_PUT  # noqa: N815


def main() -> None:
    # As PID 1 the default SIGTERM action is ignored: exit at once when the container stops.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    load()
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    print(f"labdb: listening on port {PORT}, data in {DATA}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
