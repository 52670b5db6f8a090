"""``peerhaven serve``: open the database (embedded by default), then serve HTTP with uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import errno
import signal
import socket
from collections.abc import Callable

import uvicorn

from server.app import create_app
from server.commands.common import add_data_dir_argument, ensure_data_dir, settings_from_args
from server.errors import CommandError
from server.settings import Settings
from storage.db import Database

NAME = "serve"
HELP = "run the server"

# uvicorn waits this long for open connections before closing them at shutdown; with the
# database stop after it, Ctrl-C or SIGTERM ends the process well within 10 seconds.
GRACEFUL_SHUTDOWN_SECONDS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="listen address (PEERHAVEN_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (PEERHAVEN_PORT, default 8080)")
    parser.add_argument("--base-url", help="public base URL (PEERHAVEN_BASE_URL)")
    add_data_dir_argument(parser)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    sock = bind_socket(settings.host, settings.port)
    # SIGTERM takes the same path as Ctrl-C (KeyboardInterrupt), so the `finally` below stops
    # the embedded PostgreSQL; uvicorn re-raises the signal it caught after its own shutdown.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(_serve(settings, sock))
    finally:
        sock.close()
    return 0


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (it is a dependency where it builds): a faster event loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _serve(settings: Settings, sock: socket.socket) -> None:
    database = Database(settings.database_url, settings.postgres_dir)
    try:
        await database.open()
        app = create_app(settings, database)
        config = uvicorn.Config(
            app,
            log_level=settings.log_level,
            lifespan="on",
            http="httptools",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            proxy_headers=False,
        )
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        await database.close()


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before anything else starts, so a port in use is one clear error line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CommandError(f"cannot listen on {host}:{port}: the port is in use") from None
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
