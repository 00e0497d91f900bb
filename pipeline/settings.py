"""App settings, read once from an environment mapping (never written back to it)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ConfigurationError

__all__ = ["Secret", "Settings"]

DEFAULT_STT = "openai/gpt-4o-transcribe"
DEFAULT_LLM = "anthropic/claude-haiku-4-5-20251001"


class Secret:
    """A key that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the key itself, for the one place that sends it to the vendor."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(float(raw))
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}.") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}.")
    return value


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from the environment.

    Vendor variables (keys, base URLs, models) stay in ``environ`` and are read by the
    registry when a vendor is built; keys are wrapped in :class:`Secret` there.
    ``signed_in_uses_server_keys`` (``APP_SIGNED_IN_USES_SERVER_KEYS``, default off) lets
    the server's own keys serve visitors signed in with Hugging Face too; off, their runs
    use their own Hugging Face token and the keys they paste, never the server's.
    ``max_video_mb`` (``APP_MAX_VIDEO_MB``, default 1024) caps a video input;
    ``model_downloads`` (``APP_MODEL_DOWNLOADS``, default on) lets the app fetch model
    weights (Demucs) on first use.
    ``render_history`` (``APP_RENDER_HISTORY``, default 10, 0 keeps all) is how many
    earlier renders of each language of a task are kept after its lines are edited.

    The distributed mode (see :mod:`pipeline.tasks.distributed`) takes ``APP_QUEUE_URL``
    (Redis, for Celery), ``APP_DATABASE_URL`` (PostgreSQL) and ``APP_STORAGE_URL`` (a
    shared directory or ``s3://bucket/prefix``, with ``APP_S3_ENDPOINT_URL``);
    ``APP_QUEUE_VISIBILITY_S`` (default 6 h) is how long a taken task stays invisible before
    the broker hands it out again, and workers write a heartbeat every
    ``APP_WORKER_HEARTBEAT_S`` (default 10 s): a running task silent for six beats lost its
    worker and is queued again, resuming after its finished steps. ``APP_QUEUE_SECRET``
    (the same on every process) seals per-request keys in the queued messages.
    """

    data_dir: Path = Path("data")
    api_key: Secret | None = None
    max_upload_mb: int = 200
    max_duration_s: int = 3600
    allow_private_urls: bool = False
    default_stt: str = DEFAULT_STT
    default_llm: str = DEFAULT_LLM
    workers: int = 2
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    queue_size: int = 100
    retention_days: int = 30
    signed_in_uses_server_keys: bool = False
    max_video_mb: int = 1024
    model_downloads: bool = True
    render_history: int = 10
    queue_url: str = field(default="", repr=False)
    queue_secret: str = field(default="", repr=False)
    database_url: str = field(default="", repr=False)
    storage_url: str = ""
    queue_visibility_s: int = 21600
    worker_heartbeat_s: int = 10

    @property
    def distributed(self) -> bool:
        """Whether tasks run on Celery workers (``APP_QUEUE_URL`` is set)."""
        return bool(self.queue_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``environ`` (default: a snapshot of ``os.environ``)."""
        env = dict(os.environ if environ is None else environ)
        api_key = env.get("APP_API_KEY", "").strip()
        return cls(
            data_dir=Path(env.get("APP_DATA_DIR", "").strip() or "data"),
            api_key=Secret(api_key) if api_key else None,
            max_upload_mb=_int(env, "APP_MAX_UPLOAD_MB", 200),
            max_duration_s=_int(env, "APP_MAX_DURATION_S", 3600),
            allow_private_urls=_flag(env, "APP_ALLOW_PRIVATE_URLS"),
            default_stt=env.get("APP_DEFAULT_STT", "").strip() or DEFAULT_STT,
            default_llm=env.get("APP_DEFAULT_LLM", "").strip() or DEFAULT_LLM,
            workers=_int(env, "APP_WORKERS", 2),
            environ=env,
            queue_size=_int(env, "APP_QUEUE_SIZE", 100),
            retention_days=_int(env, "APP_RETENTION_DAYS", 30, minimum=0),
            signed_in_uses_server_keys=_flag(env, "APP_SIGNED_IN_USES_SERVER_KEYS"),
            max_video_mb=_int(env, "APP_MAX_VIDEO_MB", 1024),
            model_downloads=env.get("APP_MODEL_DOWNLOADS", "").strip().lower()
            not in {"0", "false", "no", "off"},
            render_history=_int(env, "APP_RENDER_HISTORY", 10, minimum=0),
            queue_url=env.get("APP_QUEUE_URL", "").strip(),
            queue_secret=env.get("APP_QUEUE_SECRET", "").strip(),
            database_url=env.get("APP_DATABASE_URL", "").strip(),
            storage_url=env.get("APP_STORAGE_URL", "").strip(),
            queue_visibility_s=_int(env, "APP_QUEUE_VISIBILITY_S", 21600, minimum=60),
            worker_heartbeat_s=_int(env, "APP_WORKER_HEARTBEAT_S", 10),
        )

    @property
    def max_upload_bytes(self) -> int:
        """The upload cap in bytes."""
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_input_bytes(self) -> int:
        """The largest input accepted before it is probed (a video's cap, when larger)."""
        return max(self.max_upload_mb, self.max_video_mb) * 1024 * 1024

    def env(self, name: str, default: str = "") -> str:
        """Return a vendor variable (base URL, model, ...) or ``default`` when unset."""
        return self.environ.get(name, "").strip() or default
