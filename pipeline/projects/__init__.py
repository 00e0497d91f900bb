"""Dubbing projects: a task's lines kept as data, edited, and rendered again line by line.

:mod:`.cache` keeps every spoken line under the key of what made it, so a render speaks
again only what changed.
"""

__all__: list[str] = []
