"""What the steps hand each other while they overlap: growing streams and single values.

A step writes a :class:`Stream` (pieces of audio, timed lines, translated lines) that
later steps read at their own pace, each with its own cursor, or fills a :class:`Slot`
(the decoded input, the voice reference, the voice). When the step that writes a channel
fails or stops, the channel is aborted: every wait on it raises :class:`RunStopped`,
which the reading step lets pass (and its own channels are aborted in turn), so no step
ever waits for work that will not come.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar, cast

__all__ = ["RunStopped", "Slot", "Stream"]

T = TypeVar("T")
_POLL_S = 0.2


class RunStopped(Exception):
    """The run is stopping (another step failed, or the task was canceled)."""


class Stream(Generic[T]):
    """An append-only sequence one step writes and other steps read, until it is closed.

    ``mark_s`` is how far into the input the items so far reach (e.g. the end of the audio
    transcribed so far); it only moves forward, and is infinite once the stream is closed.
    """

    def __init__(self) -> None:
        self._items: list[T] = []
        self._closed = False
        self._aborted = False
        self._mark_s = 0.0
        self._changed = threading.Condition()

    def extend(self, items: Sequence[T], *, mark_s: float | None = None) -> None:
        """Append ``items`` (and move the mark to ``mark_s`` when given)."""
        with self._changed:
            if self._closed:
                raise ValueError("nothing may follow once a stream is closed")
            self._items.extend(items)
            if mark_s is not None:
                self._mark_s = max(self._mark_s, mark_s)
            self._changed.notify_all()

    def close(self) -> None:
        """No more items will come."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def abort(self) -> None:
        """The writer stopped early: every wait on this stream raises :class:`RunStopped`."""
        with self._changed:
            self._aborted = True
            self._changed.notify_all()

    def poke(self) -> None:
        """Wake the readers so they check again (e.g. when work they wait on finished)."""
        with self._changed:
            self._changed.notify_all()

    @property
    def closed(self) -> bool:
        """Whether the writer said no more items will come."""
        return self._closed

    @property
    def mark_s(self) -> float:
        """How far into the input the items reach (infinite once closed)."""
        return math.inf if self._closed else self._mark_s

    def items(self) -> tuple[T, ...]:
        """Everything written so far."""
        with self._changed:
            return tuple(self._items)

    def read(self, cursor: int) -> list[T]:
        """The items after the first ``cursor``, waiting until there are some.

        Returns an empty list only once the stream is closed and fully read.

        Raises:
            RunStopped: the stream was aborted.
        """
        self.wait_until(lambda: len(self._items) > cursor or self._closed)
        with self._changed:
            return self._items[cursor:]

    def wait_until(self, ready: Callable[[], bool]) -> None:
        """Wait until ``ready()`` holds (checked whenever the stream changes).

        Raises:
            RunStopped: the stream was aborted.
        """
        with self._changed:
            while True:
                if self._aborted:
                    raise RunStopped()
                if ready():
                    return
                self._changed.wait(_POLL_S)


class Slot(Generic[T]):
    """One value a step produces and others wait for (the decoded input, the voice...)."""

    def __init__(self) -> None:
        self._value: T | None = None
        self._filled = threading.Event()
        self._aborted = False

    def set(self, value: T) -> None:
        """Fill the slot (once)."""
        if self._filled.is_set():
            raise ValueError("a slot is filled once")
        self._value = value
        self._filled.set()

    def abort(self) -> None:
        """The writer stopped early: :meth:`get` raises :class:`RunStopped` from now on."""
        self._aborted = True

    @property
    def filled(self) -> bool:
        """Whether the value is there."""
        return self._filled.is_set()

    def peek(self) -> T | None:
        """The value if it is there, else None (never waits)."""
        return self._value if self._filled.is_set() else None

    def get(self) -> T:
        """The value, waiting for it.

        Raises:
            RunStopped: the slot was aborted (before or while waiting).
        """
        while True:
            if self._aborted:
                raise RunStopped()
            if self._filled.wait(_POLL_S):
                return cast(T, self._value)  # filled: the value is a T
