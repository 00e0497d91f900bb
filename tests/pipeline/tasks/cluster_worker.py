"""``python -m tests.pipeline.tasks.cluster_worker``: the worker entry over the cluster fakes.

The same :func:`~pipeline.tasks.worker.run_worker` as ``python -m pipeline worker``, with
:data:`~tests.pipeline.tasks.cluster_vendors.CLUSTER_VENDORS` added to the registry and
runs on the worker's threads (the fakes need no child process).
"""

import sys

from pipeline.settings import Settings
from pipeline.tasks.worker import run_worker
from tests.pipeline.tasks.cluster_vendors import CLUSTER_VENDORS
from vendors.registry import default_registry

if __name__ == "__main__":
    sys.exit(run_worker(default_registry(CLUSTER_VENDORS), Settings.from_env(), isolate=False))
