"""``speech_to_text``: transcribe the pieces in parallel and hand on timed lines in order.

Pieces come from ``initialization`` as they are decoded and go to the transcriber at once
(bounded by the vendor's concurrency). Answers come back in any order and are taken in
order: each piece's segments move to the input's timeline and are cut into lines of a few
seconds timed on the speech, each starting on the speaker's onset found by the VAD in that
piece (:mod:`pipeline.segmentation`, :mod:`pipeline.onsets`), then appended to the stream
``translation`` and ``voice_clone`` read. The spoken language is settled from the first
piece (the transcriber's label, else the language asked for, else identified from the
text), so translation can start before the last piece is back.

With a direct speech translation model (speech in, translated text out) the pieces go to
that model instead: the lines are then already in the target language and there is no
transcript.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pipeline import audio
from pipeline.errors import InputError
from pipeline.langid import detect_language
from pipeline.languages import language_name
from pipeline.pricing import cost_line
from pipeline.results import CostLine
from pipeline.segmentation import segment_transcript
from pipeline.speakers.run import RunSpeakers
from pipeline.steps.channels import Slot, Stream
from pipeline.steps.context import RunContext
from pipeline.steps.initialization import Piece
from pipeline.types import Role, Segment, StepName, Transcript, TranslationContext, Usage
from pipeline.vendor_api import SpeechTranslator, Transcriber

__all__ = ["SpeechToText", "shifted"]

_STEP = StepName.SPEECH_TO_TEXT


def shifted(segments: tuple[Segment, ...], offset_s: float, end_s: float) -> list[Segment]:
    """A piece's segments moved to absolute times (``offset_s`` = where the piece starts),
    never past ``end_s``."""
    return [
        Segment(min(end_s, s.start_s + offset_s), min(end_s, s.end_s + offset_s), s.text, s.speaker)
        for s in segments
    ]


class SpeechToText:
    """Transcribes the pieces and appends timed lines to ``lines`` in order.

    Args:
        ctx: the run.
        reused: an earlier run's transcript to hand on instead (nothing is transcribed).
        pieces: the pieces ``initialization`` writes.
        lines: where the timed lines go (its mark is the end of the audio transcribed).
        language: the language of the lines, settled from the first piece.
        transcript: the whole transcript once every piece is back (None when the speech
            was translated directly).
        speakers: labels each line with its speaker (None: lines keep what they have).
    """

    def __init__(self, ctx: RunContext, reused: Transcript | None, pieces: Stream[Piece],
                 lines: Stream[Segment], language: Slot[str],
                 transcript: Slot[Transcript | None], speakers: RunSpeakers | None = None) -> None:
        self.ctx, self.reused, self.speakers = ctx, reused, speakers
        self.pieces, self.lines, self.language, self.transcript = pieces, lines, language, transcript
        self.cost: CostLine | None = None
        self.direct = ctx.plan.speech_translator is not None
        self.choice = ctx.plan.speech_translator or ctx.plan.transcriber
        self.role = Role.SPEECH_TRANSLATE if self.direct else Role.TRANSCRIBE
        self._parts: list[Transcript] = []
        self._pending: dict[int, Future[Transcript]] = {}

    def run(self) -> None:
        """Run the step (on its own thread)."""
        if self.reused is not None and not self.direct:
            self._reuse(self.reused)
            return
        assert self.choice is not None
        info = self.ctx.adapters.info(self.choice)
        adapter = self.ctx.adapters.get(self.choice, self.role)
        with ThreadPoolExecutor(max_workers=max(1, info.max_concurrency),
                                thread_name_prefix="stt") as pool:
            try:
                self._transcribe_all(self._listen(adapter), pool)
            finally:
                for future in self._pending.values():
                    future.cancel()
        self._finish()

    def _listen(self, adapter: Any) -> Callable[[Piece], Transcript]:
        """What one piece becomes: its transcript, or (direct) its translation as one."""
        if not self.direct:
            transcriber: Transcriber = adapter
            language = self.ctx.plan.source_language or None
            return lambda piece: transcriber.transcribe(piece.audio, language)
        translator: SpeechTranslator = adapter
        options, target = self.ctx.request.options, self.ctx.plan.target_language
        context = TranslationContext(glossary=dict(options.glossary),
                                     instructions=options.instructions)

        def translate(piece: Piece) -> Transcript:
            found = translator.translate_speech(piece.audio, target, context)
            return Transcript(found.text, target, found.segments, found.vendor, found.model,
                              found.usage)
        return translate

    def _start_message(self) -> str:
        assert self.choice is not None
        where = f"{self.choice.vendor}/{self.choice.model}"
        return (f"Translating the speech directly with {where}" if self.direct
                else f"Transcribing with {where}")

    def _reuse(self, transcript: Transcript) -> None:
        self.ctx.tracker.start(_STEP, self._start_message())
        self.language.set(transcript.language or self.ctx.plan.source_language)
        self.lines.extend(transcript.segments)
        self.lines.close()
        self.transcript.set(transcript)
        self.ctx.tracker.succeed(_STEP, "reused the earlier transcript", reused=True)

    def _transcribe_all(self, listen: Callable[[Piece], Transcript],
                        pool: ThreadPoolExecutor) -> None:
        """Send each piece as it arrives; take the answers in order as they come back."""
        sent: list[Piece] = []
        while True:
            self.pieces.wait_until(lambda: self._ready(sent))
            for piece in self.pieces.items()[len(sent):]:
                if not sent:
                    self.ctx.tracker.start(_STEP, self._start_message())
                sent.append(piece)
                future = pool.submit(self.ctx.call, lambda p=piece: listen(p),
                                     f"{self.role.value} of part {piece.index + 1}")
                future.add_done_callback(lambda _: self.pieces.poke())
                self._pending[piece.index] = future
            for future in self._pending.values():
                error = future.exception() if future.done() else None
                if error is not None:
                    raise error
            while len(self._parts) < len(sent) and self._pending[len(self._parts)].done():
                piece = sent[len(self._parts)]
                self._take(piece, self._pending.pop(piece.index).result())
            if self.pieces.closed and len(self._parts) == len(sent) == len(self.pieces.items()):
                return

    def _ready(self, sent: list[Piece]) -> bool:
        """Whether there is something to do: a new piece, an answer back, or the end."""
        if len(self.pieces.items()) > len(sent):
            return True
        following = self._pending.get(len(self._parts))
        if following is not None and following.done():
            return True
        if any(f.done() and f.exception() is not None for f in self._pending.values()):
            return True
        return self.pieces.closed and not self._pending

    def _take(self, piece: Piece, part: Transcript) -> None:
        found = [s for s in shifted(part.segments, piece.start_s, piece.end_s) if s.text.strip()]
        heard = piece.audio.path
        lines = segment_transcript(found, self._speech(piece, keep=self.speakers is not None),
                                   [(piece.start_s, piece.end_s)])
        if self.speakers is not None:
            lines = tuple(self.speakers.label(lines, heard, piece.start_s, self.ctx.check))
            if heard.parent.name == "chunks":
                heard.unlink(missing_ok=True)
        if not self._parts:
            self.language.set(part.language or self.ctx.plan.source_language
                              or detect_language(part.text))
        self._parts.append(part)
        self.lines.extend(lines, mark_s=piece.end_s)
        total = len(self.pieces.items())
        self.ctx.tracker.progress(_STEP, 0.9 * len(self._parts) / max(total, 1),
                                  f"Transcribed part {len(self._parts)} of {total}")

    @staticmethod
    def _speech(piece: Piece, *, keep: bool = False) -> list[tuple[float, float]]:
        """The speech spans of ``piece`` on the input's timeline (a piece file cut only for
        transcription is removed once measured, unless ``keep``)."""
        if piece.speech is not None:
            return list(piece.speech)
        spans = [(piece.start_s + a, piece.start_s + b) for a, b in audio.speech_spans(piece.audio.path)]
        if piece.audio.path.parent.name == "chunks" and not keep:
            piece.audio.path.unlink(missing_ok=True)
        return spans

    def _finish(self) -> None:
        parts, plan = self._parts, self.ctx.plan
        if not parts:
            raise InputError("No audio was decoded to transcribe.")
        text = parts[0].text if len(parts) == 1 else " ".join(
            p.text.strip() for p in parts if p.text.strip())
        usage = sum((p.usage for p in parts), Usage())
        segments = self.lines.items()
        if not text.strip() or not segments:
            raise InputError(
                "No speech was recognised in the audio. Check that it contains clear speech"
                + ("" if plan.source_language else ", or set the source language") + ".")
        found = next((p.language for p in parts if p.language), "")
        language = found or plan.source_language or detect_language(text)
        assert self.choice is not None
        self.cost = cost_line(self.ctx.adapters.info(self.choice), self.role, self.choice.model,
                              usage)
        self.transcript.set(None if self.direct else Transcript(
            text, language, segments, parts[0].vendor, parts[0].model, usage))
        self.lines.close()
        detected = language_name(language) if language else "unknown language"
        count = len(segments)
        done = "translated directly into " if self.direct else ""
        self.ctx.tracker.succeed(
            _STEP, f"{count} segment{'' if count == 1 else 's'}, {len(text)} characters "
            f"({done}{detected}){self._vendor_speakers(parts, segments)}")

    def _vendor_speakers(self, parts: list[Transcript], lines: tuple[Segment, ...]) -> str:
        """", N speakers from MODEL" when the transcriber told the speakers apart (and
        its labels were kept), else ""."""
        if self.speakers is None or self.speakers.option == "1" or not any(
                s.speaker for p in parts for s in p.segments):
            return ""
        count = len({s.speaker for s in lines if s.speaker})
        return f", {count} speaker{'' if count == 1 else 's'} from {parts[0].model}"
