"""Video and background sound: probe the input, separate the voice, remix, and mux.

:mod:`~pipeline.media.probe` tells video from audio; :mod:`~pipeline.media.separation`
splits the voice from the rest with Demucs; :mod:`~pipeline.media.mix` lays the dub over
the background (or over the original, ducked, when no separation is available);
:mod:`~pipeline.media.mux` puts the dubbed audio and subtitles back into the video; and
:mod:`~pipeline.media.stage` runs them inside a task.
"""

__all__: list[str] = []
