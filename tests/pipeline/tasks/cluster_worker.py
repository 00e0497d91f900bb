"""``python -m tests.pipeline.tasks.cluster_worker``: the worker entry over the cluster fakes.

The same :func:`~pipeline.tasks.worker.run_worker` as ``python -m pipeline worker``, with
:data:`~tests.pipeline.tasks.cluster_vendors.CLUSTER_VENDORS` added to the registry and
runs on the worker's threads (the fakes need no child process).
"""

import dataclasses
import sys

from pipeline.settings import Settings
from pipeline.tasks.worker import run_worker
from tests.pipeline.tasks.cluster_vendors import CLUSTER_VENDORS
from vendors.registry import default_registry


def registry(settings: Settings):
    """The shipped vendors plus the cluster fakes, their limit ``CLUSTER_VENDOR_LIMIT`` (2)."""
    limit = int(settings.env("CLUSTER_VENDOR_LIMIT", "2"))
    return default_registry(tuple(dataclasses.replace(v, max_concurrency=limit)
                                  for v in CLUSTER_VENDORS))


if __name__ == "__main__":
    settings = Settings.from_env()
    sys.exit(run_worker(registry(settings), settings, isolate=False))
