"""Access to the shared interop corpus (``../shared/corpus``), read in place, never copied.

On a user's machine there is no ``../shared``; tests that need it skip with a clear reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PEERHAVEN_SHARED_DIR", REPO_ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"


def corpus_dir(*parts: str) -> Path:
    """Return a folder of the corpus, or skip the calling test when the corpus is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"interop corpus not found at {path} (../shared is absent on this machine)")
    return path


def corpus_files(*parts: str, pattern: str = "*.json") -> list[Path]:
    """All files under a corpus folder matching ``pattern``, sorted; empty when absent.

    Use at collection time (``parametrize``); pair with ``corpus_dir`` in the test to skip.
    """
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        return []
    return sorted(p for p in path.rglob(pattern) if p.is_file())
