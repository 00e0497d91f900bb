"""``initialization``: check and decode the input, cut it into pieces to transcribe, and
pick the voice reference.

Inputs over 90 s are cut while they decode: the first piece after ~30 s of audio, then
pieces of up to 5 minutes, each cut in a pause and handed to ``speech_to_text`` as soon as
it is decoded. The voice reference is the cleanest window of at most 30 s (less when the
voice vendor uses less) of the separate clone clip, else of the input; on inputs over 5
minutes it is picked in the first 5 minutes as soon as they are decoded, so the voice can
be made while the rest of an hour-long recording is still decoding.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline import audio
from pipeline.audio import ffmpeg as ff
from pipeline.audio.chunking import ProgressiveChunks, chunk_bounds
from pipeline.audio.reference import pick_reference
from pipeline.audio.wav import GrowingWav
from pipeline.dub import timing
from pipeline.dub.clips import OUTPUT_RATE_HZ
from pipeline.errors import AppError, InputError
from pipeline.media import stage as media
from pipeline.options import OUTPUT_FORMATS
from pipeline.results import Checkpoint
from pipeline.steps.channels import Slot, Stream
from pipeline.steps.context import RunContext
from pipeline.types import DecodedAudio, StepName, VoiceReference

__all__ = ["CHUNK_MAX_S", "HEAD_S", "STT_RATE_HZ", "Initialization", "Piece"]

STT_RATE_HZ = 16000
CHUNK_MAX_S = 300.0  # longest piece sent for transcription, whatever the vendor allows
HEAD_S = 30.0  # the first piece of a long input, transcribed while the rest decodes
HEAD_ABOVE_S = 90.0  # inputs longer than this are transcribed while they decode
REFERENCE_SEARCH_S = 300.0  # on longer inputs the voice reference comes from the first 5 min
_STEP = StepName.INITIALIZATION


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of the input to transcribe, with where it sits in the input.

    ``speech`` holds the input's speech spans (absolute times) when they are already
    known, so they need not be measured again.
    """

    index: int
    start_s: float
    end_s: float
    audio: DecodedAudio
    speech: tuple[tuple[float, float], ...] | None = None


class Initialization:
    """Decodes and checks the input, feeds ``speech_to_text`` and picks the reference.

    Args:
        ctx: the run.
        reuse: outputs of an earlier run (checked audio and reference are reused when
            their files are still there).
        pieces: where the pieces to transcribe go (left empty when the transcript is
            reused).
        decoded: the checked, decoded input, once all of it is decoded.
        reference: the voice reference (not filled for a text-only task).
        mode: the timing mode, as soon as the input's length is known.
        max_chunk_s: the longest piece the transcriber takes.
    """

    def __init__(self, ctx: RunContext, reuse: Checkpoint, pieces: Stream[Piece],
                 decoded: Slot[DecodedAudio], reference: Slot[VoiceReference],
                 mode: Slot[str], *, max_chunk_s: float) -> None:
        self.ctx, self.reuse = ctx, reuse
        self.pieces, self.decoded, self.reference, self.mode = pieces, decoded, reference, mode
        self.max_chunk_s = min(CHUNK_MAX_S, max_chunk_s)
        self.warnings: list[str] = []
        self._wants_pieces = reuse.transcript is None
        self._wants_voice = not ctx.request.options.text_only
        self.media: media.MediaSource | None = media.load_source(ctx.folder)

    def run(self) -> None:
        """Run the step (on its own thread)."""
        ctx, options = self.ctx, self.ctx.request.options
        ctx.tracker.start(_STEP, "Checking the audio")
        ctx.plan.require_runnable()
        if options.output_format not in OUTPUT_FORMATS:
            raise InputError(f"Output format must be one of {', '.join(OUTPUT_FORMATS)}.",
                             param="output_format")
        timing.resolve_mode(options.timing, 0.0)  # a bad value fails before any audio work
        if self._reusable():
            return
        self.media = media.prepare(ctx, lambda done, message: ctx.tracker.progress(
            _STEP, 0.8 * done, message))
        decoded = self._decode()
        self.pieces.close()  # every piece is out: transcription can finish meanwhile
        if self._wants_voice and not self.reference.filled:
            self._pick_reference(decoded)
        self._succeed(decoded)

    # --- reuse -----------------------------------------------------------------------

    def _reusable(self) -> bool:
        decoded, reference = self.reuse.decoded, self.reuse.reference
        if decoded is None or not decoded.path.is_file():
            return False
        if self._wants_voice and (reference is None or not reference.path.is_file()):
            return False
        self._set_mode(decoded.duration_s)
        if self._wants_pieces:
            self._cut_pieces(decoded)
        self.pieces.close()
        self.decoded.set(decoded)
        if self._wants_voice and reference is not None:
            self.warnings.extend(reference.warnings)
            self.reference.set(reference)
        self.ctx.tracker.succeed(_STEP, "reused the checked audio and voice reference",
                                 reused=True)
        return True

    # --- decoding --------------------------------------------------------------------

    @property
    def _speech_path(self) -> Path:
        """What is transcribed and cloned: the separated voice, else the input."""
        return self.media.speech_path if self.media is not None else self.ctx.request.input_path

    def _decode_input(self, path: Path, out_path: Path) -> DecodedAudio:
        settings = self.ctx.settings  # the input's size was checked against its kind's cap
        return audio.decode(path, out_path, sample_rate_hz=STT_RATE_HZ,
                            max_duration_s=settings.max_duration_s,
                            max_bytes=None if self.media else settings.max_upload_bytes,
                            name=self.ctx.request.input_name or self.ctx.request.input_path.name)

    def _decode(self) -> DecodedAudio:
        declared_s = self._declared_s(self._speech_path)
        if self._wants_pieces and HEAD_ABOVE_S < declared_s <= self.ctx.settings.max_duration_s:
            self._set_mode(declared_s)
            return self._decode_progressively(self._speech_path)
        decoded = self._decode_input(self._speech_path, self.ctx.folder / "input.wav")
        self._set_mode(decoded.duration_s)
        self.decoded.set(decoded)
        if self._wants_pieces:
            self._cut_pieces(decoded)
        self.pieces.close()
        return decoded

    @staticmethod
    def _declared_s(path: Path) -> float:
        try:
            return ff.read_header(path).info.duration_s
        except AppError:
            return math.nan  # the decode says what is wrong with the file

    def _set_mode(self, duration_s: float) -> None:
        if not self.mode.filled:
            asked = media.timing_for(self.ctx.request.options, self.media)
            self.mode.set(timing.resolve_mode(asked, duration_s))

    def _cut_pieces(self, decoded: DecodedAudio) -> None:
        speech = tuple(audio.speech_spans(decoded.path))
        bounds = chunk_bounds(list(speech), decoded.duration_s, self.max_chunk_s)
        if len(bounds) == 1:
            self.pieces.extend([Piece(0, 0.0, decoded.duration_s, decoded, speech)],
                               mark_s=decoded.duration_s)
            return
        for index, (start_s, end_s) in enumerate(bounds):
            piece = audio.cut(decoded.path, self._piece_path(index), start_s, end_s)
            self.pieces.extend([Piece(index, start_s, end_s, piece, speech)], mark_s=end_s)

    def _piece_path(self, index: int) -> Path:
        folder = self.ctx.folder / "chunks"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"chunk_{index:04d}.wav"

    def _decode_progressively(self, path: Path) -> DecodedAudio:
        """Decode in ffmpeg while the pieces decoded so far go to ``speech_to_text``."""
        out_path = self.ctx.folder / "input.wav"
        decoded_box: list[DecodedAudio] = []
        error_box: list[BaseException] = []

        def decode() -> None:
            try:
                decoded_box.append(self._decode_input(path, out_path))
            except BaseException as exc:  # raised again on the step's thread
                error_box.append(exc)

        thread = threading.Thread(target=decode, name="decode", daemon=True)
        thread.start()
        try:
            cuts = self._follow(out_path, thread)
        finally:
            thread.join()
        if error_box:
            raise error_box[0]
        decoded = decoded_box[0]
        for bound in cuts.finish(decoded.duration_s):
            self._send(bound, GrowingWav(out_path))
        self.pieces.close()
        self.decoded.set(decoded)
        return decoded

    def _follow(self, out_path: Path, thread: threading.Thread) -> ProgressiveChunks:
        reader = GrowingWav(out_path)
        cuts = ProgressiveChunks(STT_RATE_HZ, self.max_chunk_s, HEAD_S)
        while True:
            finished = not thread.is_alive()
            while data := reader.read_new():
                for bound in cuts.feed(data):
                    self._send(bound, reader)
            if (self._wants_voice and not self.reference.filled
                    and cuts.heard_s >= REFERENCE_SEARCH_S):
                self._reference_from_head(reader)
            if finished:
                return cuts
            self.ctx.check()
            thread.join(0.05)

    def _send(self, bound: tuple[float, float], reader: GrowingWav) -> None:
        first, last = (round(t * STT_RATE_HZ) for t in bound)
        index = len(self.pieces.items())
        piece = audio.write_pcm(self._piece_path(index), reader.read_frames(first, last - first),
                                STT_RATE_HZ)
        self.pieces.extend([Piece(index, bound[0], bound[1], piece)], mark_s=bound[1])

    # --- the voice reference ---------------------------------------------------------

    def _max_reference_s(self) -> float:
        info = self.ctx.adapters.info(self.ctx.voice_choice)
        return min(30.0, info.reference_max_s)

    def _reference_from_head(self, reader: GrowingWav) -> None:
        """Pick the reference in the first five minutes while the rest still decodes."""
        frames = reader.read_frames(0, round(REFERENCE_SEARCH_S * STT_RATE_HZ))
        search = audio.write_pcm(self.ctx.folder / "reference_search.wav", frames, STT_RATE_HZ)
        try:
            self.reference.set(self._from_input(search))
        finally:
            search.path.unlink(missing_ok=True)

    def _pick_reference(self, decoded: DecodedAudio) -> None:
        request, folder = self.ctx.request, self.ctx.folder
        if request.clone_path is not None:
            source = audio.decode(request.clone_path, folder / "clone_source.wav",
                                  sample_rate_hz=OUTPUT_RATE_HZ, name="the voice clip",
                                  max_duration_s=self.ctx.settings.max_duration_s,
                                  max_bytes=self.ctx.settings.max_upload_bytes)
            chosen = pick_reference(source, folder / "reference.wav", source_kind="clone_clip",
                                    max_s=self._max_reference_s())
            source.path.unlink(missing_ok=True)
            self.reference.set(chosen)
            return
        search = decoded
        if decoded.duration_s > REFERENCE_SEARCH_S:
            search = audio.cut(decoded.path, folder / "reference_search.wav", 0.0,
                               REFERENCE_SEARCH_S)
        try:
            self.reference.set(self._from_input(search))
        finally:
            if search is not decoded:
                search.path.unlink(missing_ok=True)

    def _from_input(self, search: DecodedAudio) -> VoiceReference:
        """Choose the window on ``search``, then decode only that window from the original
        file at the output rate (the input is never decoded twice)."""
        folder = self.ctx.folder
        chosen = pick_reference(search, folder / "reference_choice.wav", source_kind="input",
                                max_s=self._max_reference_s())
        cut = audio.decode_window(self._speech_path, folder / "reference.wav",
                                  chosen.start_s, chosen.end_s, sample_rate_hz=OUTPUT_RATE_HZ)
        chosen.path.unlink(missing_ok=True)
        return replace(chosen, path=cut.path)

    def _succeed(self, decoded: DecodedAudio) -> None:
        detail = f"{decoded.duration_s:.1f} s of audio"
        reference = self.reference.peek()
        if reference is not None:
            self.warnings.extend(reference.warnings)
            kind = reference.source.replace("_", " ")
            detail += f"; voice reference {reference.duration_s:.1f} s from the {kind}"
        self.ctx.tracker.succeed(_STEP, f"{detail}; timing: {self.mode.peek()}")
