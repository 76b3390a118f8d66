"""The HTTP plumbing every local fake shares (VNPay sandbox, chat, bank notifications, e-invoice
provider): a threading server whose handler class carries the fake's state, served either in a
daemon thread (tests) or in the foreground until Ctrl-C or SIGTERM (`make run` stops it so)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def bound_server(
    handler: type[BaseHTTPRequestHandler], state: dict[str, Any], host: str = "127.0.0.1", port: int = 0
) -> ThreadingHTTPServer:
    """A server on (host, port) (0: a free port) whose handlers see `state` as class attributes."""
    server = ThreadingHTTPServer((host, port), type("BoundHandler", (handler,), state))
    server.daemon_threads = True
    return server


def in_thread(server: ThreadingHTTPServer, name: str) -> ThreadingHTTPServer:
    """For tests: the server, already serving in a daemon thread; stop it with server.shutdown()."""
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True, name=name).start()
    return server


def serve_until_stopped(server: ThreadingHTTPServer, on_close: Callable[[], None] | None = None) -> int:
    """Serve in the foreground until Ctrl-C or SIGTERM, then close (the fake's own `on_close` first)."""
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        if on_close is not None:
            on_close()
        server.server_close()
    return 0
