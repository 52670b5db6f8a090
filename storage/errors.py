"""Errors the storage layer raises, with a message that is safe to show an operator."""

from __future__ import annotations


class StorageError(Exception):
    """A database problem an operator can act on (unreachable server, failed migration...)."""


class MigrationError(StorageError):
    """A migration failed; its transaction was rolled back, so the schema is as it was."""

    def __init__(self, version: int, name: str, cause: str) -> None:
        super().__init__(f"migration {version:04d} ({name}) failed and was rolled back: {cause}")
        self.version = version
        self.name = name
