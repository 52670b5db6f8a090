"""What the inbox answers: accepted (202), or refused with a status and a named reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refused(Exception):
    """Raised by a stage to stop the pipeline; becomes the HTTP answer."""

    status: int
    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.detail}"


@dataclass(frozen=True)
class Accepted:
    activity_id: str
    new: bool  # False when the same activity id was already stored (processed once)
    verified_by: str
