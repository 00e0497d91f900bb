"""speech_to_text of one task: pieces of the input sent for transcription, taken in order.

Inputs over 90 s are cut while they decode (the first piece after ~30 s, then up to 5
minutes, cut at pauses), so transcription starts before the decode ends; shorter inputs
are cut once decoded. Pieces come back in any order and are segmented in order.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from pipeline import audio, timing
from pipeline.audio import ffmpeg as ff
from pipeline.audio.chunking import ProgressiveChunks, chunk_bounds
from pipeline.chunking import shifted
from pipeline.errors import AppError, InputError
from pipeline.langid import detect_language
from pipeline.languages import language_name
from pipeline.pricing import cost_line
from pipeline.segmentation import segment_transcript
from pipeline.types import DecodedAudio, Role, StepName, Transcript, Usage
from pipeline.audio.wav import GrowingWav

__all__ = ["CHUNK_MAX_S", "HEAD_S", "STT_RATE_HZ", "TranscriptionSteps"]

log = logging.getLogger(__name__)
STT_RATE_HZ = 16000
CHUNK_MAX_S = 300.0  # longest piece sent for transcription, whatever the vendor allows
HEAD_S = 30.0  # the first piece of a long input, transcribed while the rest decodes
HEAD_ABOVE_S = 90.0  # inputs longer than this are transcribed while they decode


class TranscriptionSteps:
    """The speech_to_text part of :class:`pipeline.flow.Flow` (state and pools live there)."""

    def _transcriber(self):
        with self.lock:
            if self.transcriber is None:
                choice = self.work.plan.transcriber
                self.stt_info = self.pipeline.registry.get(choice.vendor)
                self.transcriber = self.pipeline._build(self.work, self.stt_info, Role.TRANSCRIBE,
                                                        choice.model)
            return self.transcriber

    def wants_progressive(self, path: Path, max_duration_s: float) -> bool:
        """Whether the input is long enough to be transcribed while it decodes."""
        try:
            declared_s = ff.read_header(path).info.duration_s
        except AppError:
            return False  # the decode says what is wrong with the file
        if not HEAD_ABOVE_S < declared_s <= max_duration_s:  # NaN (undeclared) is neither
            return False
        self.work.mode = timing.resolve_mode(self.work.request.options.timing, declared_s)
        return True

    def decode_while_transcribing(self, path: Path, *, max_duration_s: float,
                                  max_bytes: int | None) -> DecodedAudio:
        """Decode the input and send each piece for transcription as soon as it is decoded
        (the first after ~30 s of audio); returns the checked, decoded input."""
        out_path = self.work.folder / "input.wav"
        outcome: dict[str, object] = {}

        def decode() -> None:
            try:
                outcome["decoded"] = audio.decode(path, out_path, sample_rate_hz=STT_RATE_HZ,
                                                  max_duration_s=max_duration_s, max_bytes=max_bytes)
            except BaseException as exc:  # raised again on the task's thread
                outcome["error"] = exc

        self.decoding = thread = threading.Thread(target=decode, daemon=True)
        thread.start()
        self._transcriber()
        max_chunk_s = min(CHUNK_MAX_S, self.stt_info.max_audio_s or CHUNK_MAX_S)
        reader = GrowingWav(out_path)
        self.progressive = cuts = ProgressiveChunks(STT_RATE_HZ, max_chunk_s, HEAD_S)
        while True:
            finished = not thread.is_alive()
            while data := reader.read_new():
                for bound in cuts.feed(data):
                    first, last = (round(t * STT_RATE_HZ) for t in bound)
                    pcm = reader.read_frames(first, last - first)
                    index = len(self.chunks)
                    piece = audio.write_pcm(self._chunk_path(index), pcm, STT_RATE_HZ)
                    self._transcribe(index, bound, piece)
            if finished:
                break
            self._check_cancel()
            self._early()
            thread.join(0.05)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["decoded"]

    def _early(self) -> None:
        """While the input decodes: take the transcribed pieces and translate them."""
        self._collect()
        with self.within(StepName.SPEECH_TO_TEXT):
            self._take_chunks()
        with self.within(StepName.TRANSLATION):
            self._take_slices()

    def _chunk_path(self, index: int) -> Path:
        folder = self.work.folder / "chunks"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"chunk_{index:04d}.wav"

    def _transcribe(self, index: int, bound: tuple[float, float], piece: DecodedAudio) -> None:
        with self.lock:
            first = not self.chunks
            self.chunks.append(bound)
            self.pieces.append(piece)
        if first:
            choice = self.work.plan.transcriber
            self.tracker.start(StepName.SPEECH_TO_TEXT,
                               f"Transcribing with {choice.vendor}/{choice.model}")
        transcriber, language = self._transcriber(), self.work.plan.source_language or None
        self._submit("stt", self.stt_info.max_concurrency, ("stt", index), lambda: self._call(
            lambda: transcriber.transcribe(piece, language), f"transcription of part {index + 1}"))

    def transcribe_rest(self) -> None:
        """Send what is not yet sent of the decoded input for transcription, in pieces of at
        most 5 minutes cut at pauses (one piece when it is short enough)."""
        decoded = self.work.decoded
        self._transcriber()
        if self.progressive is not None:
            bounds = self.progressive.finish(decoded.duration_s)
        else:
            self.work.speech = speech = audio.speech_spans(decoded.path)
            max_chunk_s = min(CHUNK_MAX_S, self.stt_info.max_audio_s or CHUNK_MAX_S)
            bounds = chunk_bounds(speech, decoded.duration_s, max_chunk_s)
            if len(bounds) == 1:
                self._transcribe(0, (0.0, decoded.duration_s), decoded)
                bounds = []
        for bound in bounds:
            index = len(self.chunks)
            self._transcribe(index, bound, audio.cut(decoded.path, self._chunk_path(index), *bound))
        self.chunks_known = True
        self._prepare_adapters()

    def _prepare_adapters(self) -> None:
        """Build the translator and the voice adapter while the speech is transcribed (their
        SDKs load meanwhile); a failure here is left for the step itself to report."""
        work = self.work
        try:
            if work.plan.translator is not None and self.translator is None:
                choice = work.plan.translator
                self.llm_info = self.pipeline.registry.get(choice.vendor)
                self.translator = self.pipeline._build(work, self.llm_info, Role.TRANSLATE,
                                                       choice.model)
            if work.voice_adapter is None:
                choice = work.plan.voice
                work.voice_adapter = self.pipeline._build(
                    work, self.pipeline.registry.get(choice.vendor), Role.CLONE, choice.model)
        except AppError as exc:
            log.info("adapters are built later: %s", exc.message)

    def _reuse_transcript(self) -> None:
        work = self.work
        choice = work.plan.transcriber
        self.tracker.start(StepName.SPEECH_TO_TEXT, f"Transcribing with {choice.vendor}/{choice.model}")
        work.transcript = work.reuse.transcript
        work.source_language = work.reuse.source_language or work.transcript.language
        self.segments = list(work.transcript.segments)
        self.heard_until_s = work.decoded.duration_s
        self.stt_done = self.chunks_known = True
        self.tracker.succeed(StepName.SPEECH_TO_TEXT, "reused the earlier transcript", reused=True)
        self._checkpoint()
        self._queue_lines(0)

    def _take_chunks(self) -> None:
        while len(self.taken) in self.parts:
            index = len(self.taken)
            part = self.parts.pop(index)
            start_s, end_s = self.chunks[index]
            pieces = [s for s in shifted(part.segments, start_s, end_s) if s.text.strip()]
            first_new = len(self.segments)
            self.segments.extend(segment_transcript(pieces, self._speech(index), [(start_s, end_s)]))
            self.taken.append(part)
            self.heard_until_s = end_s
            total = len(self.chunks)
            self.tracker.progress(StepName.SPEECH_TO_TEXT, 0.9 * len(self.taken) / total,
                                  f"Transcribed part {len(self.taken)} of {total}")
            if self.chunks_known and len(self.taken) == total:
                self._finish_stt()
            with self.within(StepName.TRANSLATION):
                self._queue_lines(first_new)

    def _speech(self, index: int) -> list[tuple[float, float]]:
        """Speech spans of piece ``index`` on the input's timeline (its file is then removed)."""
        if self.work.speech is not None:
            return self.work.speech
        piece, (start_s, _) = self.pieces[index], self.chunks[index]
        spans = [(start_s + a, start_s + b) for a, b in audio.speech_spans(piece.path)]
        if piece.path.parent.name == "chunks":
            piece.path.unlink(missing_ok=True)
        return spans

    def _finish_stt(self) -> None:
        work, parts = self.work, self.taken
        text = parts[0].text if len(parts) == 1 else " ".join(
            p.text.strip() for p in parts if p.text.strip())
        usage = Usage()
        for part in parts:
            usage = usage + part.usage
        language = next((p.language for p in parts if p.language), work.plan.source_language or "")
        transcript = Transcript(text, language, tuple(self.segments), parts[0].vendor,
                                parts[0].model, usage)
        if not transcript.text.strip() or not transcript.segments:
            known = work.plan.source_language
            raise InputError(
                "No speech was recognised in the audio. Check that it contains clear speech"
                + ("" if known else ", or set the source language") + "."
            )
        work.transcript = transcript
        work.source_language = (transcript.language or work.plan.source_language
                                or detect_language(transcript.text))
        choice = work.plan.transcriber
        work.costs.append(cost_line(self.stt_info, Role.TRANSCRIBE, choice.model, usage))
        self.stt_done = True
        detected = language_name(work.source_language) if work.source_language else "unknown language"
        self.tracker.succeed(
            StepName.SPEECH_TO_TEXT,
            f"{len(transcript.segments)} segments, {len(transcript.text)} characters ({detected})",
        )
        self._checkpoint()
