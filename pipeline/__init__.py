"""The domain: five steps from speech in one language to the same voice in another.

Modules are imported by their full path (``pipeline.options``, ``pipeline.audio``...);
importing this package itself loads nothing heavy.
"""

__all__: list[str] = []
