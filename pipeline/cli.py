"""Command line: ``python -m pipeline run|plan|vendors|languages|edit|render|worker``.

Exit codes: 0 ok, 2 bad input or usage (including missing keys), 1 vendor or runtime
failure. Errors go to stderr as ``error: ...`` (a missing key adds where to get one and
what runs without it), never a traceback. Output cut short by its reader (``| head``)
ends quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from pipeline import audio
from pipeline.cli_projects import (
    add_project_commands,
    dub_more_languages,
    edit_command,
    render_command,
    run_kept,
)
from pipeline.cli_text import count, error_text, option_flags
from pipeline.errors import AppError, ConfigurationError, InputError
from pipeline.languages import LANGUAGES, language_name
from pipeline.media.cli_out import copy_video, split_out
from pipeline.options import TaskOptions, TaskRequest, option_fields, parse_options
from pipeline.planning import Plan
from pipeline.results import TaskResult
from pipeline.runner import Pipeline, copy_output, copy_subtitles
from pipeline.settings import Settings
from pipeline.types import STEP_ORDER, ProgressEvent, TaskStatus
from pipeline.view import plan_to_dict, result_to_dict

if TYPE_CHECKING:
    from pipeline.registry import Registry

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """A command-line usage mistake (reported on one line, exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see --help)")


def _option_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per :class:`TaskOptions` field, with the help and choices of its spec."""
    group = parser.add_argument_group("task options (every option of a task)")
    fields = {f.name: f for f in dataclasses.fields(TaskOptions)}
    for name, spec in option_fields():
        default = fields[name].default
        how: dict[str, Any] = {"dest": name, "default": None, "help": spec.help}
        if isinstance(default, bool):
            how["action"] = "store_true"
        else:
            how["metavar"] = name.rsplit("_", 1)[-1].upper()  # LANGUAGE, MODEL...
            how["required"] = (default is dataclasses.MISSING
                               and fields[name].default_factory is dataclasses.MISSING)
        if spec.choices:
            how.update(choices=spec.choices, type=str.lower, metavar=None)
        if name == "glossary":
            how["help"] += ", or @FILE to read that JSON from a file"
        group.add_argument(*option_flags(name), **how)


def _task_arguments(parser: argparse.ArgumentParser, *, input_required: bool) -> None:
    parser.add_argument("input", type=Path, nargs=None if input_required else "?",
                        help="audio file (MP3, WAV, FLAC, M4A, OGG, WebM, MP4)")
    _option_arguments(parser)
    parser.add_argument("--clone", type=Path, default=None, metavar="FILE",
                        help="separate clip whose voice to clone")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m pipeline",
                     description="Speech translation that keeps the speaker's voice.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="translate a recording and speak it in the same voice")
    _task_arguments(run, input_required=True)
    run.add_argument("--out", type=Path, default=None, metavar="FILE",
                     help="output file, .mp3 or .wav; its suffix sets the format "
                          "(default: INPUT.LANG.mp3 here); .mp4, .mov, .mkv or .webm asks "
                          "for the dubbed video (the audio goes next to it)")
    plan = commands.add_parser("plan", help="show what would run, why, and the cost; calls nothing")
    _task_arguments(plan, input_required=False)
    vendors = commands.add_parser("vendors", help="list vendors, models, languages, and readiness")
    vendors.add_argument("--json", action="store_true")
    commands.add_parser("languages", help="list language codes")
    add_project_commands(commands, _Parser)
    worker = commands.add_parser("worker", help="run queued tasks (distributed mode: "
                                 "APP_QUEUE_URL, APP_DATABASE_URL, APP_STORAGE_URL)")
    worker.add_argument("--concurrency", type=int, default=None, metavar="N",
                        help="tasks at once in this worker (default: APP_WORKERS)")
    return parser


def _exit_code(error: BaseException | None) -> int:
    if isinstance(error, (InputError, ConfigurationError)):
        return EXIT_USAGE
    return EXIT_FAILURE


def _glossary_text(value: str | None) -> str | None:
    """``--glossary`` as given, or the text of the file it names as ``@path``."""
    if value is None or not value.startswith("@"):
        return value
    path = Path(value[1:]).expanduser()
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.", param="glossary")
    return path.read_text(encoding="utf-8")


def _options(args: argparse.Namespace, registry: Registry, **decided: Any) -> TaskOptions:
    """Every task option from the command line (``decided`` overrides some), parsed once."""
    raw = {name: getattr(args, name) for name, _ in option_fields()}
    raw.update(decided, glossary=_glossary_text(raw["glossary"]))
    return parse_options(raw, registry)


def _output_format(out: Path | None, chosen: str | None) -> str | None:
    """The format ``--out`` asks for; it must agree with ``--output-format`` when both are given."""
    if out is None:
        return chosen
    suffix = out.suffix.lower().lstrip(".")
    if suffix not in ("mp3", "wav"):
        raise InputError("--out must end in .mp3 or .wav.")
    if chosen is not None and chosen.lower() != suffix:
        raise InputError(f"--out ends in .{suffix} but --output-format is {chosen}; "
                         "give one of them, or make them agree.")
    return suffix


def _request(args: argparse.Namespace, registry: Registry, **decided: Any) -> TaskRequest:
    options = _options(args, registry, **decided)
    return TaskRequest(args.input or Path("."), options, clone_path=args.clone,
                       input_name=args.input.name if args.input else "")


def _progress_printer(stream: TextIO):
    def show(event: ProgressEvent) -> None:
        number = STEP_ORDER.index(event.step) + 1
        stream.write(f"[{number}/5 {event.step.value}] {event.fraction:4.0%} {event.message}\n")
        stream.flush()
    return show


def _run(args: argparse.Namespace, pipeline: Pipeline, out: TextIO, err: TextIO) -> int:
    audio_out, container = split_out(args.out, args.output_format)
    decided = {"video_out": container} if container else {}
    request = _request(args, pipeline.registry,
                       output_format=_output_format(audio_out, args.output_format), **decided)
    if not args.input.is_file():
        raise InputError(f"{args.input} does not exist or is not a file.")
    show = _progress_printer(err) if (err.isatty() and not args.json) else None
    result = run_kept(pipeline, request, show)
    if result.status is TaskStatus.SUCCEEDED:
        fmt = request.options.output_format
        target_out = audio_out or Path(f"{args.input.stem}.{result.target_language}.{fmt}")
        copied = copy_output(result, target_out) if result.output_path else None
        more = dub_more_languages(pipeline, request, result, target_out.with_suffix(""), err)
        result = replace(result, output_path=copied,
                         subtitles=copy_subtitles(result, target_out))
        container = result.media.video_container if result.media else None
        result = copy_video(result, args.out if args.out and args.out != audio_out
                            else target_out.with_suffix(f".{container}"))
        if not args.json:
            for path in more:
                out.write(f"Also dubbed: {path}\n")
            out.write(f"Task {result.task_id}: change a line with `python -m pipeline edit "
                      f"{result.task_id} --line N --text ...`, then `render` it.\n")
    if args.json:
        out.write(json.dumps(result_to_dict(result), ensure_ascii=False, indent=2) + "\n")
    elif result.status is TaskStatus.SUCCEEDED:
        _print_summary(result, out)
    if result.status is not TaskStatus.SUCCEEDED:
        said = error_text(result.failure, ()) if result.failure else result.error
        err.write(f"error: {said}\n")
        return _exit_code(result.failure)
    for warning in result.warnings:
        err.write(f"warning: {warning}\n")
    return EXIT_OK


def _print_summary(result: TaskResult, out: TextIO) -> None:
    for step in result.steps:
        took = f" ({step.duration_s:.1f} s)" if step.duration_s is not None else ""
        out.write(f"{step.name.value:15} {step.status.value:9}{took} {step.detail or ''}\n")
    for choice in result.choices:
        out.write(f"  {choice.role.value:10} {choice.reason}\n")
    if result.transcript:
        out.write(f"transcript:  {result.transcript.text}\n")
    if result.translation:
        out.write(f"translation: {result.translation.text}\n")
    out.write(f"cost: ${result.actual_cost.total_usd:.4f} "
              f"(estimated ${result.cost.total_usd:.4f})\n")
    if result.output_path:
        out.write(f"output: {result.output_path}\n")
    if result.media is not None:
        out.write(f"background: {result.media.note}\n")
        if result.media.video_path is not None:
            out.write(f"video: {result.media.video_path}\n")
    for item in result.subtitles:
        out.write(f"subtitles ({item.kind}, {item.format}): {item.path}\n")
    if result.quality is not None:
        out.write(f"quality: {result.quality.summary()}\n")


def _print_plan(plan: Plan, out: TextIO) -> None:
    source = language_name(plan.source_language) if plan.source_language else "detect"
    target = plan.target_language
    out.write(f"Plan: {source} -> {language_name(target)} ({target})\n")
    for choice in plan.choices:
        state = ("ready" if choice.runnable else
                 f"cannot run: set {choice.missing}" if choice.missing else "cannot run")
        out.write(f"  {choice.role.value:10} {choice.vendor}/{choice.model} [{state}]\n")
        out.write(f"             why: {choice.reason}\n")
        if choice.fallback_from and choice.fallback_missing:
            out.write(f"             to use {choice.fallback_from} instead, "
                      f"set {choice.fallback_missing}\n")
    for own in plan.speaker_voices:
        state = "ready" if own.choice.runnable else "cannot run"
        out.write(f"  voice of {own.speaker}: {own.label} [{state}]\n"
                  f"             why: {own.choice.reason}\n")
    if plan.translator is None:
        out.write(f"  translate  {plan.translation_note}\n")
    out.write(f"Speakers: {plan.speakers_note}\n")
    if plan.missing_variables:
        out.write(f"Missing to run: {', '.join(plan.missing_variables)}\n")
    else:
        out.write("Ready to run.\n")
    minutes = plan.estimate_duration_s / 60
    out.write(f"Estimated cost for {minutes:.1f} min of speech: ${plan.estimate.total_usd:.4f}\n")
    for line in plan.estimate.lines:
        out.write(f"  {line.step.value:15} {line.vendor}/{line.model}: "
                  f"${line.usd:.4f} ({line.basis})\n")


def _plan(args: argparse.Namespace, pipeline: Pipeline, out: TextIO) -> int:
    duration_s = None
    if args.input is not None:
        if not args.input.is_file():
            raise InputError(f"{args.input} does not exist or is not a file.")
        duration_s = audio.probe(args.input).duration_s
    request = _request(args, pipeline.registry)
    plan = pipeline.plan(request.options, request.keys, duration_s)
    if args.json:
        out.write(json.dumps(plan_to_dict(plan), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_plan(plan, out)
    return EXIT_OK


def _vendors(args: argparse.Namespace, registry: Registry, settings: Settings, out: TextIO) -> int:
    rows = []
    for info in registry:
        state = registry.availability(info, {}, settings)
        rows.append({
            "id": info.id, "name": info.display_name, "label": info.label,
            "roles": sorted(r.value for r in info.roles),
            "models": {r.value: list(m) for r, m in info.models.items()},
            "languages": {r.value: (sorted(codes) if codes is not None else "any")
                          for r, codes in info.languages.items()},
            "key_variable": info.key_variable, "key_url": info.key_url,
            "runnable": state.runnable,
            "why_not": state.reason if not state.runnable else "",
        })
    if args.json:
        out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    for row in rows:
        readiness = "ready" if row["runnable"] else f"not ready: {row['why_not']}"
        label = f" - {row['label']}" if row["label"] else ""
        out.write(f"{row['id']:12} {row['name']}{label} [{readiness}]\n")
        for role, models in row["models"].items():
            langs = row["languages"].get(role)
            reach = "any language" if langs == "any" else count(len(langs), "language")
            out.write(f"{'':12}   {role:10} {', '.join(models)} ({reach})\n")
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None,
    *,
    registry: Registry,
    settings: Settings | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit code.

    A reader that stops early (``python -m pipeline languages | head``) is not an error:
    the command stops quietly with exit code 0.

    Args:
        argv: the arguments (default: the process's own).
        registry: the vendors (``python -m pipeline`` passes the ones the app ships with).
        settings: limits, keys and defaults (default: from the environment).
        out: where answers go (default: stdout).
        err: where errors go (default: stderr).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        code = _main(argv, registry, settings, out, err)
        out.flush()
        err.flush()
    except BrokenPipeError:
        for stream in (out, err):
            _silence(stream)
        return EXIT_OK
    return code


def _silence(stream: TextIO) -> None:
    """Point a stream whose reader has gone at the null device, so that the interpreter's
    last flush of what is still buffered does not fail too."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a file (e.g. a StringIO)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


def _main(argv: Sequence[str] | None, registry: Registry, settings: Settings | None,
          out: TextIO, err: TextIO) -> int:
    try:
        with contextlib.redirect_stdout(out):  # --help prints to ``out`` like every answer
            args = _parser().parse_args(argv)
    except _UsageError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version print and stop
        return int(exc.code or 0)
    try:
        settings = settings or Settings.from_env()
        if args.command == "languages":
            for code, (name, native) in LANGUAGES.items():
                out.write(f"{code:4} {name} / {native}\n")
            return EXIT_OK
        if args.command == "vendors":
            return _vendors(args, registry, settings, out)
        if args.command == "worker":
            from pipeline.tasks.worker import run_worker

            return run_worker(registry, settings, concurrency=args.concurrency)
        pipeline = Pipeline(registry, settings)
        if args.command == "plan":
            return _plan(args, pipeline, out)
        if args.command == "edit":
            return edit_command(args, pipeline, out)
        if args.command == "render":
            return render_command(args, pipeline, out, err)
        return _run(args, pipeline, out, err)
    except AppError as exc:
        err.write(f"error: {error_text(exc, sys.argv[1:] if argv is None else argv)}\n")
        return _exit_code(exc)
    except KeyboardInterrupt:
        err.write("error: interrupted\n")
        return EXIT_FAILURE
