"""Who speaks when, and a voice per speaker.

:mod:`.choice` reads the ``speakers`` option, :mod:`.diarization` finds the speakers
offline (speaker embeddings of short windows of speech, clustered), :mod:`.assign` gives
each line its speaker (splitting a line where the speaker changes inside it),
:mod:`.references` picks each speaker's own voice reference.
"""

__all__: list[str] = []
