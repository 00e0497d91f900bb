"""``translation``: translate the timed lines slice by slice as they are transcribed.

Lines arrive from ``speech_to_text`` in order; each new run of them is cut into slices
that fit one LLM request (:func:`slice_bounds`), sent in parallel (bounded by the
vendor), and the answers are handed on in order, 1:1 with the lines. In ``keep`` timing
a slice whose lines would need more than 1.3x to fit their time is asked for again, more
briefly, before it is handed on (an edited translation is never rewritten). Speech
already in the target language is not translated: its lines are handed on as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from pipeline.dub import timing
from pipeline.errors import VendorResponseError
from pipeline.languages import language_name
from pipeline.pricing import cost_line
from pipeline.results import CostLine
from pipeline.steps.channels import Slot, Stream
from pipeline.steps.context import RunContext
from pipeline.translation_prompt import MAX_BATCH_CHARACTERS, MAX_BATCH_SEGMENTS
from pipeline.types import DecodedAudio, Role, Segment, StepName, TranslationContext, Usage
from pipeline.types import Translation as TranslationValue
from pipeline.vendor_api import Translator

__all__ = ["Translation", "join_translations", "slice_bounds"]

_STEP = StepName.TRANSLATION


def slice_bounds(segments: Sequence[Segment], max_segments: int = MAX_BATCH_SEGMENTS,
                 max_characters: int = MAX_BATCH_CHARACTERS) -> list[tuple[int, int]]:
    """Cut the lines into ``[start, end)`` slices that each fit one LLM request."""
    bounds: list[tuple[int, int]] = []
    start, characters = 0, 0
    for index, segment in enumerate(segments):
        size = len(segment.text.strip())
        if index > start and (index - start >= max_segments or characters + size > max_characters):
            bounds.append((start, index))
            start, characters = index, 0
        characters += size
    if segments:
        bounds.append((start, len(segments)))
    return bounds


def join_translations(parts: Sequence[TranslationValue], source_language: str,
                      target_language: str, vendor: str) -> TranslationValue:
    """One translation from consecutive slices (usage summed)."""
    first = parts[0] if parts else None
    return TranslationValue(
        segments=tuple(s for part in parts for s in part.segments),
        source_language=first.source_language if first else source_language,
        target_language=target_language,
        vendor=first.vendor if first else vendor,
        model=first.model if first else "",
        usage=sum((part.usage for part in parts), Usage()),
    )


class Translation:
    """Translates ``lines`` into ``spoken`` (or passes them through), in order.

    Args:
        ctx: the run.
        reused: an earlier (or edited) translation to hand on instead.
        lines: the timed lines in the spoken language.
        language: the spoken language (settled by ``speech_to_text``).
        decoded: the decoded input (its length bounds the last line's time).
        mode: the timing mode.
        spoken: where the lines to speak go, in the target language.
        translation: the whole translation when done (None when nothing was translated).
    """

    def __init__(self, ctx: RunContext, reused: TranslationValue | None, lines: Stream[Segment],
                 language: Slot[str], decoded: Slot[DecodedAudio], mode: Slot[str],
                 spoken: Stream[Segment], translation: Slot[TranslationValue | None]) -> None:
        self.ctx, self.reused = ctx, reused
        self.lines, self.language, self.decoded, self.mode = lines, language, decoded, mode
        self.spoken, self.translation = spoken, translation
        self.cost: CostLine | None = None
        self._briefer = 0
        self._lock = threading.Lock()

    def run(self) -> None:
        """Run the step (on its own thread)."""
        self.lines.wait_until(lambda: bool(self.lines.items()) or self.lines.closed)
        source, target = self.language.get(), self.ctx.plan.target_language
        if self.ctx.plan.speech_translator is not None:
            self._pass_through(target, direct=True)
        elif self.ctx.plan.translator is None or source == target:
            self._pass_through(target)
        elif self.reused is not None and self.reused.target_language == target:
            self._reuse(self.reused)
        else:
            self._translate(source, target)

    def _pass_through(self, target: str, *, direct: bool = False) -> None:
        """Hand the lines on as they are: already in the target language, or (``direct``)
        translated directly in ``speech_to_text``."""
        plan = self.ctx.plan
        reason = (f"same language: the speech is already in {language_name(target)}"
                  if self.language.get() == target and not direct else plan.translation_note)
        self.ctx.tracker.skip(_STEP, reason)
        taken = 0
        while new := self.lines.read(taken):
            taken += len(new)
            self.spoken.extend(new, mark_s=self.lines.mark_s)
        self.spoken.close()
        choice = plan.speech_translator
        self.translation.set(None if choice is None else TranslationValue(
            self.lines.items(), plan.source_language, target, choice.vendor, choice.model))

    def _reuse(self, reused: TranslationValue) -> None:
        choice = self.ctx.plan.translator
        assert choice is not None
        self.ctx.tracker.start(_STEP, f"Translating with {choice.vendor}/{choice.model}")
        self.lines.wait_until(lambda: self.lines.closed)
        self.spoken.extend(reused.segments)
        self.spoken.close()
        self.translation.set(reused)
        self.ctx.tracker.succeed(_STEP, "reused the earlier (or edited) translation", reused=True)

    # --- translating -----------------------------------------------------------------

    def _translate(self, source: str, target: str) -> None:
        choice = self.ctx.plan.translator
        assert choice is not None
        self.ctx.tracker.start(_STEP, f"Translating with {choice.vendor}/{choice.model}")
        info = self.ctx.adapters.info(choice)
        translator: Translator = self.ctx.adapters.get(choice, Role.TRANSLATE)
        parts: list[TranslationValue] = []
        with ThreadPoolExecutor(max_workers=max(1, info.max_concurrency),
                                thread_name_prefix="llm") as pool:
            pending: list[tuple[int, int, Future[TranslationValue]]] = []
            try:
                self._slices(translator, source, target, pool, pending, parts)
            finally:
                for _, _, future in pending:
                    future.cancel()
        translation = join_translations(parts, source, target, choice.vendor)
        self.cost = cost_line(info, Role.TRANSLATE, choice.model, translation.usage)
        self.translation.set(translation)
        self.spoken.close()
        count = len(translation.segments)
        detail = f"{count} segment{'' if count == 1 else 's'} into {language_name(target)}"
        if self._briefer:
            detail += f"; {self._briefer} made shorter to fit their time"
        self.ctx.tracker.succeed(_STEP, detail)

    def _slices(self, translator: Translator, source: str, target: str, pool: ThreadPoolExecutor,
                pending: list[tuple[int, int, Future[TranslationValue]]],
                parts: list[TranslationValue]) -> None:
        """Send slices as lines arrive and hand the answers on in order."""
        sent = 0

        def ready() -> bool:
            return (len(self.lines.items()) > sent or (bool(pending) and pending[0][2].done())
                    or (self.lines.closed and not pending))

        while True:
            self.lines.wait_until(ready)
            lines = self.lines.items()
            for start, end in slice_bounds(lines[sent:]):
                first, last = sent + start, sent + end
                future = pool.submit(self._translate_slice, translator, first, last, source, target)
                future.add_done_callback(lambda _: self.lines.poke())
                pending.append((first, last, future))
            sent = len(lines)
            while pending and pending[0][2].done():
                first, last, future = pending.pop(0)
                part = future.result()
                parts.append(part)
                self.spoken.extend(part.segments, mark_s=self.lines.mark_s)
                done = sum(len(p.segments) for p in parts)
                self.ctx.tracker.progress(_STEP, 0.9 * done / max(1, len(self.lines.items())),
                                          f"Translated {done} of {len(self.lines.items())} lines")
            if self.lines.closed and not pending and sent == len(self.lines.items()):
                return

    def _translate_slice(self, translator: Translator, first: int, last: int, source: str,
                         target: str) -> TranslationValue:
        """One slice, checked 1:1; in ``keep`` timing, lines that would not fit are asked
        for again more briefly."""
        segments = self.lines.items()[first:last]
        part = self._request(translator, segments, source, target, self._context(segments))
        if self.mode.get() != "keep":
            return part
        next_s = self._next_start_s(last)
        found = timing.lines_to_shorten(part.segments, target, next_s)
        if not found:
            return part
        available = timing.available_times(part.segments, next_s)
        again = self._request(translator, tuple(segments[i] for i in found), source, target,
                              self._context([segments[i] for i in found], timing.SHORTEN_NOTE,
                                            tuple(available[i] for i in found)))
        return self._keep_briefer(part, found, again)

    def _request(self, translator: Translator, segments: Sequence[Segment], source: str,
                 target: str, context: TranslationContext) -> TranslationValue:
        choice = self.ctx.plan.translator
        assert choice is not None
        vendor = choice.vendor
        result = self.ctx.call(lambda: translator.translate(segments, source, target, context),
                               f"{vendor} translation")
        if len(result.segments) != len(segments):
            raise VendorResponseError(
                vendor, f"returned {len(result.segments)} segments for {len(segments)}; try "
                "again or pick another model.")
        return replace(result, segments=tuple(  # each line keeps its speaker
            replace(out, speaker=line.speaker) if out.speaker != line.speaker else out
            for out, line in zip(result.segments, segments, strict=True)))

    def _context(self, segments: Sequence[Segment], note: str = "",
                 limits: tuple[float, ...] | None = None) -> TranslationContext:
        options = self.ctx.request.options
        instructions = "\n\n".join(p for p in (options.instructions.strip(), note) if p)
        return TranslationContext(
            glossary=dict(options.glossary), instructions=instructions,
            max_duration_s=limits if limits is not None else tuple(s.duration_s for s in segments))

    def _next_start_s(self, end: int) -> float:
        lines = self.lines.items()
        if end < len(lines):
            return lines[end].start_s
        if self.lines.closed:
            return self.decoded.get().duration_s
        return self.lines.mark_s

    def _keep_briefer(self, part: TranslationValue, found: Sequence[int],
                      again: TranslationValue) -> TranslationValue:
        lines = list(part.segments)
        for index, line in zip(found, again.segments, strict=True):
            if line.text.strip() and len(line.text.strip()) < len(lines[index].text.strip()):
                lines[index] = replace(lines[index], text=line.text)
                with self._lock:
                    self._briefer += 1
        return replace(part, segments=tuple(lines), usage=part.usage + again.usage)
