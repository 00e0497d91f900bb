"""The audio engine: decode and check inputs, find speech, level, stretch, stitch, encode.

Decoded audio is always a 16-bit PCM WAV file on disk (:class:`~pipeline.types.DecodedAudio`);
ffmpeg does the format work (:mod:`.ffmpeg`), level and speech measurements stream over the
WAV file (:mod:`.wav`, :mod:`.vad`, :mod:`.loudness`), so an hour-long recording is never
held in memory. The names below are the engine's public surface; each lives in one
small module of this package.
"""

from pipeline.audio.decode import cut, decode, decode_bytes, decode_window, write_pcm
from pipeline.audio.edit import concatenate, encode, stitch, time_stretch
from pipeline.audio.ffmpeg import AudioInfo, ffmpeg_path, probe
from pipeline.audio.loudness import loudness_lufs, loudness_normalize
from pipeline.audio.track import TrackWriter
from pipeline.audio.vad import peak_dbfs, rms_dbfs, speech_spans
from pipeline.audio.wav import read_samples, wav_info

__all__ = [
    "AudioInfo",
    "TrackWriter",
    "concatenate",
    "cut",
    "decode",
    "decode_bytes",
    "decode_window",
    "encode",
    "ffmpeg_path",
    "loudness_lufs",
    "loudness_normalize",
    "peak_dbfs",
    "probe",
    "read_samples",
    "rms_dbfs",
    "speech_spans",
    "stitch",
    "time_stretch",
    "wav_info",
    "write_pcm",
]
