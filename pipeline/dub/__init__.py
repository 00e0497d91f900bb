"""The dub: lines spoken in parallel, fitted to the original's timeline, written as they finish.

:mod:`.timing` fits lines to their time, :mod:`.clips` cleans and levels each spoken line,
:mod:`.dubber` runs the whole text_to_speech work, :mod:`.jobs` schedules it by position.
"""

__all__: list[str] = []
