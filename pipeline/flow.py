"""The steps after initialization of one task, overlapped on thread pools.

:class:`Flow` holds the task's shared state, the pools and the loop; the steps
themselves come from :mod:`pipeline.transcribing`, :mod:`pipeline.translating` and
:mod:`pipeline.dubbing`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pipeline.audio.chunking import ProgressiveChunks
from pipeline.dubbing import DubbingSteps
from pipeline.errors import TaskCanceledError
from pipeline.retry import call_with_retry
from pipeline.synthesis import Dubber
from pipeline.tracking import StepTracker
from pipeline.transcribing import TranscriptionSteps
from pipeline.translating import TranslationSteps
from pipeline.types import DecodedAudio, Segment, StepName, Transcript, Translation
from pipeline.work import CheckpointCallback, Work

if TYPE_CHECKING:
    from pipeline.runner import Pipeline

__all__ = ["Flow"]


class Flow(TranscriptionSteps, TranslationSteps, DubbingSteps):
    """speech_to_text, translation, voice_clone and text_to_speech of one task, overlapped.

    Vendor calls run on pools (bounded per vendor by :class:`VendorLimits`); their results
    come back to the thread that called :meth:`run`, which takes them in order, starts
    what they unblock, reports the steps and places the dub.
    """

    def __init__(self, pipeline: Pipeline, work: Work, tracker: StepTracker,
                 cancel: threading.Event | None, on_checkpoint: CheckpointCallback | None) -> None:
        self.pipeline, self.work, self.tracker = pipeline, work, tracker
        self.cancel = cancel
        self.on_checkpoint = on_checkpoint
        self.stop = threading.Event()  # set on cancel or failure: vendor calls stop retrying
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.failed: StepName | None = None
        self.futures: dict[Future, tuple] = {}
        self.pools: dict[str, ThreadPoolExecutor] = {}
        self.progressive: ProgressiveChunks | None = None
        self.decoding: threading.Thread | None = None
        self.pieces: list[DecodedAudio] = []
        self.transcriber = None
        self.chunks: list[tuple[float, float]] = []
        self.chunks_known = False
        self.parts: dict[int, Transcript] = {}
        self.taken: list[Transcript] = []
        self.segments: list[Segment] = []
        self.heard_until_s = 0.0
        self.stt_done = False
        self.translator = None
        self.translate_mode = ""
        self.slices: list[tuple[int, int]] = []
        self.slice_parts: dict[int, Translation] = {}
        self.shortened: set[int] = set()
        self.translated: list[Translation] = []
        self.lines: list[Segment] = []
        self.translation_done = False
        self.clone_started = False
        self.dubber: Dubber | None = None
        self.fed = 0
        self.closed = False
        self.briefer = 0
        self.stt_info = None
        self.llm_info = None

    # --- plumbing --------------------------------------------------------------------

    @contextmanager
    def within(self, step: StepName):
        """Errors raised inside belong to ``step``."""
        try:
            yield
        except BaseException:
            self.failed = self.failed or step
            raise

    def _submit(self, pool: str, workers: int, tag: tuple, job: Callable[[], object]) -> None:
        with self.lock:
            if pool not in self.pools:
                self.pools[pool] = ThreadPoolExecutor(max_workers=max(1, workers))
            future = self.pools[pool].submit(job)
            self.futures[future] = tag
        future.add_done_callback(lambda _: self.wake.set())

    def _checkpoint(self) -> None:
        if self.on_checkpoint is not None:
            self.on_checkpoint(self.work.checkpoint(), self.tracker.reports())

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            self.stop.set()
            raise TaskCanceledError()

    def _call(self, fn: Callable[[], object], what: str) -> object:
        """One vendor call with retries; it stops retrying once the task stops."""
        if self.stop.is_set():
            raise TaskCanceledError()
        return call_with_retry(fn, self.pipeline.retry, cancel=self.cancel or self.stop, what=what)

    def shutdown(self) -> None:
        """Stop everything still running (after a failure or cancel) and wait for it."""
        self.stop.set()
        if self.decoding is not None:
            self.decoding.join()
        if self.dubber is not None:
            self.dubber.stop()
        for pool in list(self.pools.values()):
            pool.shutdown(wait=True, cancel_futures=True)


    # --- the loop ----------------------------------------------------------------------

    def run(self) -> None:
        """Drive speech_to_text to text_to_speech until the dub is written."""
        with self.within(StepName.SPEECH_TO_TEXT):
            if self.work.reuse.transcript is not None:
                self._reuse_transcript()
            elif not self.chunks_known:
                self.transcribe_rest()
        while True:
            self._check_cancel()
            self._collect()
            with self.within(StepName.SPEECH_TO_TEXT):
                self._take_chunks()
            with self.within(StepName.TRANSLATION):
                self._take_slices()
            with self.within(StepName.VOICE_CLONE):
                self._clone()
            with self.within(StepName.TEXT_TO_SPEECH):
                self._feed()
                if self.dubber is not None and self.dubber.pump():
                    break
            self.wake.wait(0.2)
            self.wake.clear()
        with self.within(StepName.TEXT_TO_SPEECH):
            self._finish_tts()

    def _collect(self) -> None:
        with self.lock:
            done = [(f, self.futures.pop(f)) for f in list(self.futures) if f.done()]
        for future, tag in done:
            step = _STEP_OF[tag[0]]
            with self.within(step):
                result = future.result()
            if tag[0] == "stt":
                self.parts[tag[1]] = result
            elif tag[0] == "llm":
                self.slice_parts[tag[1]] = result
            elif tag[0] == "short":
                self._briefer(tag[1], tag[2], result)
            else:
                with self.within(step):
                    self._cloned(result)


_STEP_OF = {"stt": StepName.SPEECH_TO_TEXT, "llm": StepName.TRANSLATION,
            "short": StepName.TRANSLATION, "clone": StepName.VOICE_CLONE}
