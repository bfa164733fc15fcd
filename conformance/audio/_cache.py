"""A cache bounded by the bytes it holds, not by how many entries it has (thread-safe).

The kit's module-level caches hold bodies and samples that a hostile provider or client chooses the
size of, so a count bound (128 entries) is no bound at all. :class:`ByteBudget` keeps at most
``budget`` bytes (as ``size(value)`` counts them), evicts the oldest entries first, and never keeps a
value larger than the whole budget.

>>> cache = ByteBudget(32 * 2**20)
>>> cache.put("k", b"x" * 10)
True
>>> cache.get("k"), cache.nbytes
(b'xxxxxxxxxx', 10)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


def _len(value: Any) -> int:
    return len(value)


class ByteBudget(Generic[V]):
    """At most ``budget`` bytes of values (``size(value)``, default ``len``), oldest evicted first.

    ``get`` refreshes an entry (least recently used goes first) when ``touch`` is true.
    """

    def __init__(self, budget: int, size: Callable[[V], int] = _len, *, touch: bool = False):
        if budget <= 0:
            raise ValueError(f"a cache budget must be positive, got {budget}")
        self.budget = int(budget)
        self._size = size
        self._touch = touch
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.nbytes = 0

    def get(self, key: Hashable, default: V | None = None) -> V | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return default
            if self._touch:
                self._items.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, value: V, nbytes: int | None = None) -> bool:
        """Keep ``value`` (replacing ``key``'s), evicting the oldest entries to stay within the budget.
        ``nbytes`` counts it instead of ``size(value)`` (e.g. with bytes its key holds). A value larger
        than the whole budget is not kept (returns ``False``)."""
        n = int(self._size(value) if nbytes is None else nbytes)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.nbytes -= old[1]
            if n > self.budget:
                return False
            while self._items and self.nbytes + n > self.budget:
                _, (_, freed) = self._items.popitem(last=False)
                self.nbytes -= freed
            self._items[key] = (value, n)
            self.nbytes += n
            return True

    def pop(self, key: Hashable) -> V | None:
        with self._lock:
            hit = self._items.pop(key, None)
            if hit is None:
                return None
            self.nbytes -= hit[1]
            return hit[0]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.nbytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items
