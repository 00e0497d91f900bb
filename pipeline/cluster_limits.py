"""Vendor concurrency for a whole cluster: one Redis-backed semaphore per vendor.

In the distributed mode several worker processes, on several machines, call the same
vendors; ``VendorInfo.max_concurrency`` must hold for all of them together, not per
process. A slot is a member of a Redis sorted set scored by its lease's end: taking one is
a script that drops expired leases and adds ours only while fewer than the limit are held,
so two processes can never both take the last slot. Held slots are renewed while their
call runs, and a process that dies stops renewing, so its slots come back after the
lease (six ``APP_WORKER_HEARTBEAT_S``, like a lost worker's tasks) at most.

:func:`limits_for` gives the plain per-process :class:`~pipeline.limits.VendorLimits`
when the app runs embedded.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from typing import Any

from pipeline.limits import Gated, VendorLimits
from pipeline.settings import Settings

__all__ = ["LEASE_S", "ClusterSlots", "ClusterVendorLimits", "limits_for"]

LEASE_S = 60.0
_PREFIX = "speech:vendor-slots:"
_TAKE = """
local now = redis.call('TIME')
local now_s = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_s)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now_s + tonumber(ARGV[2]), ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 60)
  return 1
end
return 0
"""
_RENEW = """
local now = redis.call('TIME')
local now_s = tonumber(now[1]) + tonumber(now[2]) / 1000000
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], now_s + tonumber(ARGV[1]), ARGV[2])
  return 1
end
return 0
"""


class ClusterSlots:
    """A counting semaphore shared by every process that uses the same Redis and name.

    Use it as a context manager around one vendor call.
    """

    def __init__(self, client: Any, name: str, limit: int, *, lease_s: float = LEASE_S) -> None:
        self._client, self._key = client, _PREFIX + name
        self.limit, self._lease_s = max(1, limit), lease_s
        self._take = client.register_script(_TAKE)
        self._renew = client.register_script(_RENEW)
        self._local = threading.local()

    def acquire(self) -> str:
        """Wait for a slot; returns its token."""
        token = uuid.uuid4().hex
        wait_s = 0.02
        while not self._take(keys=[self._key], args=[self.limit, self._lease_s, token]):
            time.sleep(wait_s * (0.5 + random.random()))
            wait_s = min(0.25, wait_s * 1.5)
        return token

    def release(self, token: str) -> None:
        """Give the slot back."""
        self._client.zrem(self._key, token)

    def held(self) -> int:
        """How many slots are held right now, across the cluster."""
        return int(self._client.zcount(self._key, time.time(), "+inf"))

    def __enter__(self) -> ClusterSlots:
        token = self.acquire()
        stop = threading.Event()
        renewer = threading.Thread(target=self._keep, args=(token, stop), daemon=True,
                                   name="vendor-slot-lease")
        renewer.start()
        stack = getattr(self._local, "held", [])
        stack.append((token, stop))
        self._local.held = stack
        return self

    def __exit__(self, *_exc: object) -> None:
        token, stop = self._local.held.pop()
        stop.set()
        self.release(token)

    def _keep(self, token: str, stop: threading.Event) -> None:
        while not stop.wait(self._lease_s / 3):
            try:
                self._renew(keys=[self._key], args=[self._lease_s, token])
            except Exception:  # Redis away for a moment: the lease may lapse, the call goes on
                continue


class ClusterVendorLimits(VendorLimits):
    """:class:`~pipeline.limits.VendorLimits` whose slots live in Redis (see the module)."""

    def __init__(self, url: str, *, lease_s: float = LEASE_S) -> None:
        super().__init__()
        self._url, self._lease_s = url, lease_s
        self._client: Any = None
        self._cluster: dict[str, ClusterSlots] = {}

    def cluster_slots(self, vendor_id: str, limit: int) -> ClusterSlots:
        """The cluster-wide slots of ``vendor_id``."""
        with self._lock:
            if self._client is None:
                import redis

                self._client = redis.Redis.from_url(self._url)
            if vendor_id not in self._cluster:
                self._cluster[vendor_id] = ClusterSlots(self._client, vendor_id, limit,
                                                       lease_s=self._lease_s)
            return self._cluster[vendor_id]

    def gate(self, vendor_id: str, limit: int, adapter: object) -> object:
        """Wrap ``adapter`` so the whole cluster never exceeds ``limit`` calls at once."""
        return Gated(adapter, self.cluster_slots(vendor_id, limit))


def limits_for(settings: Settings) -> VendorLimits:
    """Cluster-wide limits when ``APP_QUEUE_URL`` is set, else per-process ones."""
    if not settings.queue_url:
        return VendorLimits()
    return ClusterVendorLimits(settings.queue_url, lease_s=6.0 * settings.worker_heartbeat_s)
