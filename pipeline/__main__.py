"""``python -m pipeline``: the command line, over the vendors the app ships with.

This is one of the two composition roots (``app.py`` is the other): the only place in
``pipeline`` that imports ``vendors``.
"""

import sys

from pipeline.cli import main
from vendors.registry import default_registry

sys.exit(main(registry=default_registry()))
