"""What every step of one run is given: the request, its plan, where to write, and services.

A :class:`RunContext` holds no step's state: each step keeps its own, and steps exchange
values only through :mod:`pipeline.steps.channels`. The services here are the vendor
adapters (built once per role, gated by the per-vendor limits, closed after the run), the
retrying vendor call, the step reports, and a way to hand a callback to the thread that
runs the task (so a caller's callbacks always come from that thread, in order).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pipeline.limits import VendorLimits
from pipeline.retry import RetryPolicy, call_with_retry
from pipeline.settings import Settings
from pipeline.steps.channels import RunStopped
from pipeline.tracking import StepTracker
from pipeline.types import Role

if TYPE_CHECKING:
    from pipeline.options import TaskRequest
    from pipeline.planning import Plan
    from pipeline.registry import Registry
    from pipeline.results import VendorChoice
    from pipeline.vendor_api import VendorInfo

__all__ = ["Adapters", "RunContext"]

T = TypeVar("T")
log = logging.getLogger(__name__)


class Adapters:
    """Builds each vendor adapter a run needs once, and closes them all afterwards.

    Args:
        registry: the vendors.
        settings: environment keys and base URLs.
        keys: keys given with this request (by variable name).
        limits: the per-vendor concurrency shared by every run in the process.
        server_keys: whether the server's own keys may serve where ``keys`` has none (see
            :attr:`~pipeline.options.TaskRequest.server_keys`).
    """

    def __init__(self, registry: Registry, settings: Settings, keys: Mapping[str, str],
                 limits: VendorLimits, *, server_keys: bool = True) -> None:
        self._registry, self._settings, self._keys, self._limits = registry, settings, keys, limits
        self._server_keys = server_keys
        self._built: dict[tuple[str, str, Role], tuple[object, object]] = {}
        self._locks: dict[tuple[str, str, Role], threading.Lock] = {}
        self._lock = threading.Lock()

    def info(self, choice: VendorChoice) -> VendorInfo:
        """The chosen vendor's data."""
        return self._registry.get(choice.vendor)

    def get(self, choice: VendorChoice, role: Role) -> Any:
        """The adapter for ``choice`` in ``role`` (built on first use; calls go through
        the vendor's concurrency limit, so what comes back is a proxy with the adapter's
        methods, typed ``Any``: the caller names the role protocol it expects).

        Raises:
            AppError: the vendor cannot be built here (a missing key or package).
        """
        role = Role.CLONE if role is Role.SPEAK else role  # one client clones and speaks
        tag = (choice.vendor, choice.model, role)
        with self._lock:  # one lock per adapter: building one never waits for another
            building = self._locks.setdefault(tag, threading.Lock())
        with building:
            if tag not in self._built:
                info = self.info(choice)
                adapter = self._registry.build(info, role, choice.model, self._keys,
                                               self._settings, server_keys=self._server_keys)
                gated = self._limits.gate(info.id, info.max_concurrency, adapter)
                with self._lock:
                    self._built[tag] = (adapter, gated)
            return self._built[tag][1]

    def close(self) -> None:
        """Close every adapter that has a ``close`` (errors are logged, never raised)."""
        with self._lock:
            built, self._built = list(self._built.values()), {}
        for adapter, _ in built:
            close = getattr(adapter, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # closing must never hide the task's own outcome
                    log.warning("could not close a %s client", type(adapter).__name__)


@dataclass(frozen=True, eq=False)
class RunContext:
    """The fixed facts and shared services of one run (see the module docstring).

    Attributes:
        request: the task (input, options, keys).
        plan: the vendors chosen, with reasons.
        folder: the task's folder; steps write their files there.
        settings: limits and defaults.
        adapters: the run's vendor adapters.
        retry: how retryable vendor errors are retried.
        tracker: the five step reports and progress events.
        stop: set once the run stops (a failure or a cancel): no new vendor work starts.
        canceled: the user's cancel (also set when a shutdown pauses the task): once set,
            even the answers of calls already sent are dropped.
        post: runs a callback on the thread that runs the task.
        tts_concurrency: lines one voice vendor speaks at once.
        audio_workers: lines prepared at once on this machine.
    """

    request: TaskRequest
    plan: Plan
    folder: Path
    settings: Settings
    adapters: Adapters
    retry: RetryPolicy
    tracker: StepTracker
    stop: threading.Event
    canceled: threading.Event
    post: Callable[[Callable[[], None]], None]
    tts_concurrency: int = 4
    audio_workers: int = 2

    @property
    def voice_choice(self) -> VendorChoice:
        """The planned voice vendor (only the steps that speak ask, and a task that speaks
        always has one)."""
        assert self.plan.voice is not None, "a text-only task has no voice steps"
        return self.plan.voice

    def call(self, fn: Callable[[], T], what: str) -> T:
        """One vendor call with bounded retries; no new try once the run stops.

        Raises:
            RunStopped: the run stopped before or between tries, or was canceled while
                the call was out.
            AppError: the vendor's error once retries are spent (or at once when final).
        """
        if self.stop.is_set():
            raise RunStopped()
        result = call_with_retry(fn, self.retry, cancel=self.stop, what=what)
        if self.canceled.is_set():
            raise RunStopped()
        return result

    def check(self) -> None:
        """Raise :class:`RunStopped` when the run is stopping or canceled."""
        if self.stop.is_set() or self.canceled.is_set():
            raise RunStopped()
