"""The instance's policy file, kept in force: reloaded when it changes on disk (checked at
most once a second, so every server process notices a change made through the API by any
other), on SIGHUP, and when the API replaces it. A file that does not load leaves the
previous chain in force and its error on show (``PolicyFile.error``)."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from moderation.policies.chain import Chain
from moderation.policies.config import PolicyFileError, parse_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileState:
    mtime_ns: int
    size: int


class PolicyFile:
    def __init__(
        self,
        path: Path,
        *,
        check_every: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.chain = Chain()
        self.error: str | None = None
        self._seen: FileState | None = None
        self._check_every = check_every
        self._monotonic = monotonic
        self._checked = float("-inf")
        self.reload()

    def current(self) -> Chain:
        now = self._monotonic()
        if now - self._checked >= self._check_every:
            self._checked = now
            if self._state() != self._seen:
                self.reload()
        return self.chain

    def _state(self) -> FileState | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return FileState(stat.st_mtime_ns, stat.st_size)

    def text(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def reload(self) -> bool:
        """Load the file now; False (and the previous chain kept) when it is invalid."""
        self._checked = self._monotonic()
        self._seen = self._state()
        try:
            text = self.text()
        except (OSError, UnicodeDecodeError) as exc:
            return self._refuse(f"cannot read {self.path}: {exc}")
        try:
            self.chain = parse_file(text)
        except PolicyFileError as exc:
            return self._refuse(str(exc))
        self.error = None
        log.debug("policy chain loaded from %s: %d policies", self.path, len(self.chain.policies))
        return True

    def _refuse(self, error: str) -> bool:
        self.error = error
        log.error("policy file %s not loaded, previous chain kept: %s", self.path, error)
        return False

    def replace(self, text: str) -> Chain:
        """Check ``text`` and, when it loads, write it (atomically) and put it in force;
        ``PolicyFileError`` leaves file and chain as they were."""
        chain = parse_file(text)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".policies-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.chain, self.error = chain, None
        self._seen = self._state()
        return chain
