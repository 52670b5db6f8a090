"""Errors of the server layer that carry what to tell the operator or the client."""

from __future__ import annotations


class CommandError(Exception):
    """A CLI command cannot proceed; the message is one line for the operator."""
