"""A few threads running jobs by priority (a line's position), so earlier lines go first."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable

__all__ = ["Jobs"]

class Jobs:
    """A few threads running jobs by priority (a line's position: earlier lines first).

    Args:
        threads: how many jobs run at once.
        on_error: receives what a job raised (the placing thread raises it again).
    """

    def __init__(self, threads: int, on_error: Callable[[BaseException], None]) -> None:
        self._heap: list[tuple[int, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._closed = False
        self._on_error = on_error
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(max(1, threads))]
        for thread in self._threads:
            thread.start()

    def submit(self, priority: int, job: Callable[[], None]) -> None:
        """Queue ``job``; lower priorities run first."""
        with self._ready:
            heapq.heappush(self._heap, (priority, next(self._order), job))
            self._ready.notify()

    def _loop(self) -> None:
        while True:
            with self._ready:
                while not self._heap and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                _, _, job = heapq.heappop(self._heap)
            try:
                job()
            except BaseException as exc:  # handed to the placing thread, which raises it
                self._on_error(exc)

    def close(self) -> None:
        """Drop queued jobs and wait for the running ones."""
        with self._ready:
            self._closed = True
            self._heap.clear()
            self._ready.notify_all()
        for thread in self._threads:
            thread.join()
