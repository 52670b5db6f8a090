"""``peerhaven serve``: open the database (embedded by default), then serve HTTP with uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable

import uvicorn

from moderation.crisis.lexicon import LexiconError
from moderation.crisis.messages import MESSAGES_FILE, MessagesError, load_templates
from server.app import create_app, crisis_detector
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
    parser.add_argument(
        "--processes", type=int, help="server processes sharing the port (PEERHAVEN_PROCESSES)"
    )
    add_data_dir_argument(parser)
    # Internal: a child of a multi-process server serves on the parent's listening socket.
    parser.add_argument("--inherit-fd", type=int, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    check_crisis_files(settings)
    if args.inherit_fd is not None:
        sock = socket.socket(fileno=args.inherit_fd)
    else:
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


def check_crisis_files(settings: Settings) -> None:
    """The instance's own crisis phrase lists and message templates (``DATA_DIR/crisis``)
    load, or the command ends with one line saying what is wrong, before anything starts."""
    try:
        crisis_detector(settings)
        load_templates(settings.data_dir / MESSAGES_FILE)
    except (LexiconError, MessagesError) as exc:
        raise CommandError(str(exc)) from None


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (it is a dependency where it builds): a faster event loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _serve(settings: Settings, sock: socket.socket) -> None:
    database = Database(settings.database_url, settings.postgres_dir)
    children: list[subprocess.Popen[bytes]] = []
    try:
        await database.open()
        children = start_children(settings, database.dsn, sock)
        app = create_app(settings, database)
        app.state.children = children  # SIGHUP (reload the policies) is passed on to them
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
        await asyncio.to_thread(stop_children, children)
        await database.close()


def start_children(
    settings: Settings, dsn: str, sock: socket.socket
) -> list[subprocess.Popen[bytes]]:
    """``processes - 1`` more servers accepting on the same listening socket (one event loop
    uses one core; the children share the database this process opened and migrated)."""
    env = {**os.environ, "DATABASE_URL": dsn, "PEERHAVEN_PROCESSES": "1"}
    command = [
        sys.executable, "-m", "server.cli", "serve", "--inherit-fd", str(sock.fileno()),
        "--host", settings.host, "--port", str(settings.port), "--base-url", settings.base_url,
        "--data-dir", str(settings.data_dir),
    ]  # fmt: skip
    return [
        subprocess.Popen(command, env=env, pass_fds=(sock.fileno(),))
        for _ in range(settings.processes - 1)
    ]


def stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=GRACEFUL_SHUTDOWN_SECONDS + 2)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


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
