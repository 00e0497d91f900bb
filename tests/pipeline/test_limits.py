"""Per-vendor concurrency is bounded across every task in the process."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from pipeline.limits import VendorLimits


class Slow:
    def __init__(self):
        self.active = 0
        self.most = 0
        self.lock = threading.Lock()
        self.label = "slow"

    def speak(self, text, voice, language):
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        time.sleep(0.02)
        with self.lock:
            self.active -= 1
        return text


def test_two_adapters_of_one_vendor_share_its_limit():
    limits, raw = VendorLimits(), Slow()
    first = limits.gate("fish", 2, raw)
    second = limits.gate("fish", 2, raw)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: (first if i % 2 else second).speak(str(i), None, "ja"), range(16)))
    assert results == [str(i) for i in range(16)]
    assert raw.most == 2


def test_other_attributes_pass_through_unchanged():
    gated = VendorLimits().gate("x", 1, Slow())
    assert gated.label == "slow"
