"""The embedded PostgreSQL used when ``DATABASE_URL`` is unset.

It comes from the ``pgserver`` package (PostgreSQL binaries shipped on PyPI), lives in
``<data dir>/postgres``, listens on a Unix socket only (no TCP port to collide with), is reused
across restarts and stopped when the last process using it lets go. pgserver runs postgres as a
dedicated ``pgserver`` system user when we are root, because postgres refuses to run as root
(CI runs as root).
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path
from typing import Any

from storage.errors import StorageError


class EmbeddedPostgres:
    """Start (or join) the PostgreSQL server in ``directory`` and hand out its DSN."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._server: Any = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        """Start the server (initdb on first use) and return a DSN for its ``postgres`` db."""
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless.
            warnings.simplefilter("ignore")
            import pgserver

        try:
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            self._server = pgserver.get_server(self.directory, cleanup_mode="stop")
        except (OSError, subprocess.SubprocessError, RuntimeError, AssertionError) as exc:
            log = self.directory / "log"
            raise StorageError(
                f"could not start the embedded PostgreSQL in {self.directory}: {exc}"
                + (f" (see {log})" if log.exists() else "")
            ) from exc
        return str(self._server.get_uri())

    def stop(self) -> None:
        """Stop the server unless another process still uses it; safe to call twice."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.cleanup()
