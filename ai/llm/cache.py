"""Response cache: validated (still masked) answers keyed by template, version, model and packed inputs.

The cache only ever holds masked text: the key is computed from the masked, packed inputs and the
value is the model's masked JSON. A hit is unmasked with the current request's placeholders, which
is exact because the model never saw anything but those placeholders.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Protocol


def cache_key(
    *, template_id: str, template_version: int, preamble_version: int, model: str, packed: Mapping[str, str]
) -> str:
    """sha256 over length-prefixed fields, so no two different inputs can share a byte stream."""
    digest = hashlib.sha256()
    fields = [template_id, str(template_version), str(preamble_version), model]
    for name in sorted(packed):
        fields += [name, packed[name]]
    for field in fields:
        encoded = field.encode("utf-8")
        digest.update(b"%d:" % len(encoded))
        digest.update(encoded)
    return digest.hexdigest()


class ResponseCache(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, value: str, ttl_s: float) -> None: ...


class InMemoryLRUCache:
    """Bounded LRU with per-entry expiry on a monotonic clock."""

    def __init__(self, max_entries: int = 2048, *, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if self._clock() >= expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        if ttl_s <= 0:
            return
        self._entries[key] = (self._clock() + ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
