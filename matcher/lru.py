"""A bounded map that forgets the least recently used entry first, safe for concurrent requests.

For what a process keeps between requests and can always read again: a caller's caseload
(api/services/caseload.py), a vacancy's or occupation's labelled requirements (matcher/service.py).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LruMap(Generic[V]):
    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
