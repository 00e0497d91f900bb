"""translation of one task: each transcribed piece's lines, sent as slices as they come.

In ``keep`` timing, lines that would need more than 1.3x are asked for again, more briefly.
"""

from __future__ import annotations

from dataclasses import replace

from pipeline import timing
from pipeline.chunking import join_translations, slice_bounds, translate_slice
from pipeline.errors import TaskCanceledError
from pipeline.langid import detect_language
from pipeline.languages import language_name
from pipeline.pricing import cost_line
from pipeline.types import Role, StepName, Translation, TranslationContext

__all__ = ["TranslationSteps"]


class TranslationSteps:
    """The translation part of :class:`pipeline.flow.Flow` (state and pools live there)."""

    def _source_language(self) -> str:
        if self.stt_done:
            return self.work.source_language
        first = self.taken[0]
        return (first.language or self.work.plan.source_language or detect_language(first.text))

    def _queue_lines(self, first_new: int) -> None:
        work = self.work
        target = work.plan.target_language
        if not self.translate_mode:
            earlier = work.reuse.translation
            if self._source_language() == target or work.plan.translator is None:
                self.translate_mode = "skip"
                self.tracker.skip(StepName.TRANSLATION,
                                  f"same language: the speech is already in {language_name(target)}")
            elif earlier is not None and earlier.target_language == target:
                self.translate_mode = "reuse"
            else:
                self.translate_mode = "llm"
        if self.translate_mode == "skip":
            self.lines.extend(self.segments[first_new:])
            self.translation_done = self.stt_done
        elif self.translate_mode == "reuse":
            if self.stt_done:
                choice = work.plan.translator
                self.tracker.start(StepName.TRANSLATION,
                                   f"Translating with {choice.vendor}/{choice.model}")
                work.translation = work.reuse.translation
                self.lines.extend(work.translation.segments)
                self.translation_done = True
                self.tracker.succeed(StepName.TRANSLATION,
                                     "reused the earlier (or edited) translation", reused=True)
                self._checkpoint()
        else:
            self._translate(first_new)

    def _translate(self, first_new: int) -> None:
        work = self.work
        choice = work.plan.translator
        if not self.slices:
            self.tracker.start(StepName.TRANSLATION, f"Translating with {choice.vendor}/{choice.model}")
        if self.translator is None:
            self.llm_info = self.pipeline.registry.get(choice.vendor)
            self.translator = self.pipeline._build(work, self.llm_info, Role.TRANSLATE, choice.model)
        new = self.segments[first_new:]
        for a, b in slice_bounds(new):
            index = len(self.slices)
            self.slices.append((first_new + a, first_new + b))
            self._submit_slice(index, tuple(new[a:b]), self._context(new[a:b]))

    def _context(self, segments, note: str = "", limits: tuple[float, ...] | None = None):
        request = self.work.request
        instructions = "\n\n".join(p for p in (request.options.instructions.strip(), note) if p)
        return TranslationContext(
            glossary=dict(request.options.glossary), instructions=instructions,
            max_duration_s=limits if limits is not None else tuple(s.duration_s for s in segments))

    def _submit_slice(self, index: int, segments: tuple, context: TranslationContext,
                      tag: tuple | None = None) -> None:
        translator, vendor = self.translator, self.work.plan.translator.vendor
        source, target = self._source_language(), self.work.plan.target_language

        def job() -> Translation:
            if self.stop.is_set():
                raise TaskCanceledError()
            return translate_slice(translator, segments, source, target, context, vendor=vendor,
                                   policy=self.pipeline.retry, cancel=self.cancel or self.stop)

        self._submit("llm", self.llm_info.max_concurrency, tag or ("llm", index), job)

    def _take_slices(self) -> None:
        while len(self.translated) in self.slice_parts:
            index = len(self.translated)
            part = self.slice_parts[index]
            if self.work.mode == "keep" and index not in self.shortened and self._shorten(index, part):
                return  # the briefer lines come back as ("short", index, found)
            del self.slice_parts[index]
            self.translated.append(part)
            self.lines.extend(part.segments)
            self.tracker.progress(StepName.TRANSLATION, 0.9 * len(self.translated) / len(self.slices),
                                  f"Translated {len(self.lines)} of {len(self.segments)} lines")
        if (self.translate_mode == "llm" and self.stt_done and not self.translation_done
                and len(self.translated) == len(self.slices)):
            self._finish_translation()

    def _next_start_s(self, end: int) -> float:
        if end < len(self.segments):
            return self.segments[end].start_s
        return self.work.decoded.duration_s if self.stt_done else self.heard_until_s

    def _shorten(self, index: int, part: Translation) -> bool:
        """Ask again, more briefly, for lines that would need over 1.3x; False if none."""
        self.shortened.add(index)
        start, end = self.slices[index]
        target = self.work.plan.target_language
        next_s = self._next_start_s(end)
        found = timing.lines_to_shorten(part.segments, target, next_s)
        if not found:
            return False
        available = timing.available_times(part.segments, next_s)
        source = tuple(self.segments[start + i] for i in found)
        context = self._context(source, timing.SHORTEN_NOTE, tuple(available[i] for i in found))
        self._submit_slice(index, source, context, tag=("short", index, tuple(found)))
        return True

    def _briefer(self, index: int, found: tuple[int, ...], again: Translation) -> None:
        part = self.slice_parts[index]
        lines = list(part.segments)
        for i, line in zip(found, again.segments):
            if line.text.strip() and len(line.text.strip()) < len(lines[i].text.strip()):
                lines[i] = replace(lines[i], text=line.text)
                self.briefer += 1
        self.slice_parts[index] = replace(part, segments=tuple(lines), usage=part.usage + again.usage)

    def _finish_translation(self) -> None:
        work = self.work
        choice = work.plan.translator
        translation = join_translations(self.translated, work.source_language,
                                        work.plan.target_language, choice.vendor)
        work.translation = translation
        work.costs.append(cost_line(self.llm_info, Role.TRANSLATE, choice.model, translation.usage))
        self.translation_done = True
        detail = f"{len(translation.segments)} segments into {language_name(work.plan.target_language)}"
        if self.briefer:
            detail += f"; {self.briefer} made shorter to fit their time"
        self.tracker.succeed(StepName.TRANSLATION, detail)
        self._checkpoint()
