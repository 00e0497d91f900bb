"""Bounded concurrency per vendor, shared by every task in the process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

__all__ = ["Gated", "VendorLimits"]

_CALLS = frozenset({"transcribe", "translate", "clone", "speak", "release"})


class Gated:
    """Forwards an adapter's role verbs, each inside ``slots`` (any context manager that
    holds one of the vendor's slots: a semaphore here, Redis leases in
    :mod:`pipeline.cluster_limits`)."""

    def __init__(self, adapter: object, slots: AbstractContextManager[Any]) -> None:
        self._adapter = adapter
        self._slots = slots

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._adapter, name)
        if name not in _CALLS or not callable(attribute):
            return attribute
        return self._wrap(attribute)

    def _wrap(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def gated(*args: Any, **kwargs: Any) -> Any:
            with self._slots:
                return call(*args, **kwargs)
        return gated


class VendorLimits:
    """One semaphore per vendor id, sized by ``VendorInfo.max_concurrency``."""

    def __init__(self) -> None:
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def slots(self, vendor_id: str, limit: int) -> threading.BoundedSemaphore:
        """The semaphore shared by every call to ``vendor_id``."""
        with self._lock:
            if vendor_id not in self._slots:
                self._slots[vendor_id] = threading.BoundedSemaphore(max(1, limit))
            return self._slots[vendor_id]

    def gate(self, vendor_id: str, limit: int, adapter: object) -> object:
        """Wrap ``adapter`` so its calls never exceed ``limit`` at once for this vendor."""
        return Gated(adapter, self.slots(vendor_id, limit))
