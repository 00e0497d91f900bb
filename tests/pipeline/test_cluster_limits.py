"""Cluster-wide vendor slots in Redis: never more than the limit at once across clients,
and the slots of a holder that died come back when its lease ends."""

from __future__ import annotations

import threading
import time

from pipeline.cluster_limits import ClusterSlots, ClusterVendorLimits, limits_for
from pipeline.limits import VendorLimits
from pipeline.settings import Settings
from tests.pipeline.tasks import server_fixtures

shared_redis = server_fixtures.redis_url  # the shared Redis on loopback, under this name


def test_embedded_settings_keep_per_process_limits():
    assert type(limits_for(Settings.from_env({}))) is VendorLimits


def test_two_clients_with_a_limit_of_two_never_hold_more_than_two(shared_redis):
    import redis

    name = f"vendor-{time.monotonic_ns()}"
    clients = [ClusterSlots(redis.Redis.from_url(shared_redis), name, 2) for _ in range(2)]
    inside, peak, lock = [0], [0], threading.Lock()

    def call(slots):
        with slots:
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=call, args=(clients[i % 2],)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert peak[0] == 2 and clients[0].held() == 0


def test_a_dead_holders_slot_comes_back_when_its_lease_ends(shared_redis):
    import redis

    name = f"vendor-{time.monotonic_ns()}"
    dead = ClusterSlots(redis.Redis.from_url(shared_redis), name, 1, lease_s=0.5)
    dead.acquire()  # taken and never given back, nor renewed
    alive = ClusterSlots(redis.Redis.from_url(shared_redis), name, 1, lease_s=0.5)
    started = time.monotonic()
    token = alive.acquire()
    assert 0.3 < time.monotonic() - started < 5.0
    alive.release(token)


def test_gated_adapters_forward_their_other_attributes(shared_redis):
    class Voice:
        label = "v"

        def speak(self, text):
            return text.upper()

    gated = ClusterVendorLimits(shared_redis).gate(f"v-{time.monotonic_ns()}", 1, Voice())
    assert gated.label == "v" and gated.speak("hi") == "HI"
