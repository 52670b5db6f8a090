"""A small in-process cache with a time to live, for lookups every inbox POST makes (the
sender's key, our recipient actor, the domain blocklist): one dict, no locks (one event loop),
bounded by clearing when full. Other processes' changes are seen after ``ttl`` at worst."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    def __init__(
        self, ttl: float, max_items: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_items = max_items
        self._clock = clock
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < self._clock():
            del self._items[key]
            return None
        return value

    def put(self, key: K, value: V) -> V:
        if len(self._items) >= self.max_items:
            self._items.clear()
        self._items[key] = (self._clock() + self.ttl, value)
        return value

    def discard(self, key: K) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()
