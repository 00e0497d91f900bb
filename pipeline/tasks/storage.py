"""Where a task's files live when several machines share the work (``APP_STORAGE_URL``).

One interface, :class:`Storage` (put, get, keys, delete), over two kinds of place:

- :class:`DirectoryStorage`: a directory, e.g. a volume every machine mounts
  (``APP_STORAGE_URL=/mnt/shared/speech``);
- :class:`S3Storage`: an S3-compatible bucket (``APP_STORAGE_URL=s3://bucket/prefix``, with
  ``APP_S3_ENDPOINT_URL`` for MinIO, Ceph, moto, ...; credentials from the usual
  ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` or the machine's role).

Steps still read and write plain files in the task's folder under ``APP_DATA_DIR``: a
:class:`FolderSync` copies that folder's files (inputs, the voice reference, spoken lines,
outputs) to the storage as they appear, and back onto whichever machine runs or serves the
task next. Keys are ``tasks/<task id>/<path in the task's folder>``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from pipeline.errors import ConfigurationError
from pipeline.settings import Settings

__all__ = ["DirectoryStorage", "FolderSync", "S3Storage", "Storage", "open_storage", "task_prefix"]


class Storage(Protocol):
    """A flat space of named files (keys use ``/``)."""

    def put(self, key: str, source: Path) -> None:
        """Store the file at ``source`` under ``key`` (replacing what was there)."""

    def get(self, key: str, target: Path) -> bool:
        """Copy ``key`` to ``target`` (folders made); False when there is no such key."""

    def keys(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix``, sorted."""

    def delete(self, prefix: str) -> int:
        """Remove every key starting with ``prefix``; returns how many."""


def task_prefix(task_id: str) -> str:
    """The keys of one task start with this."""
    return f"tasks/{task_id}/"


class DirectoryStorage:
    """Files under a directory (a shared volume); a key is a relative path.

    Args:
        root: the directory (created).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"APP_STORAGE_URL: cannot use the directory {self.root}: {exc.strerror}.",
                param="APP_STORAGE_URL") from None

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"storage key outside the storage: {key!r}")
        return path

    def put(self, key: str, source: Path) -> None:
        """Copy ``source`` in (nothing to do when it already is that file)."""
        target = self._path(key)
        if target == Path(source).resolve():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        shutil.copyfile(source, partial)
        partial.replace(target)

    def get(self, key: str, target: Path) -> bool:
        """Copy ``key`` out to ``target``."""
        source = self._path(key)
        if not source.is_file():
            return False
        if source != Path(target).resolve():
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        return True

    def keys(self, prefix: str) -> list[str]:
        """Keys under ``prefix``."""
        base = self._path(prefix) if prefix.rstrip("/") else self.root
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*")
                      if p.is_file() and not p.name.endswith(".part"))

    def delete(self, prefix: str) -> int:
        """Remove the keys under ``prefix``."""
        found = self.keys(prefix)
        shutil.rmtree(self._path(prefix), ignore_errors=True)
        return len(found)


class S3Storage:
    """Objects in an S3-compatible bucket, under a prefix.

    Args:
        bucket: the bucket (it must exist).
        prefix: prepended to every key ("" for the bucket's top).
        endpoint_url: an S3-compatible server (None: AWS).
        client: a boto3 S3 client (tests and callers with their own session).

    Raises:
        ConfigurationError: the bucket cannot be reached (one line).
    """

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 client: Any = None) -> None:
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3})
            client = boto3.client("s3", endpoint_url=endpoint_url or None, config=config)
        self.bucket, self.prefix, self._client = bucket, prefix.strip("/"), client
        try:
            client.head_bucket(Bucket=bucket)
        except Exception as exc:  # botocore's errors carry the HTTP status or the socket error
            where = endpoint_url or "AWS"
            raise ConfigurationError(
                f"APP_STORAGE_URL: cannot reach the bucket {bucket!r} at {where}: "
                f"{_first_line(exc)}", param="APP_STORAGE_URL") from None

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, source: Path) -> None:
        """Upload ``source``."""
        self._client.upload_file(str(source), self.bucket, self._name(key))

    def get(self, key: str, target: Path) -> bool:
        """Download ``key``; False when it is absent."""
        from botocore.exceptions import ClientError

        Path(target).parent.mkdir(parents=True, exist_ok=True)
        partial = Path(target).with_name(Path(target).name + ".part")
        try:
            self._client.download_file(self.bucket, self._name(key), str(partial))
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in {"404", "NoSuchKey"}:
                return False
            raise
        partial.replace(target)
        return True

    def keys(self, prefix: str) -> list[str]:
        """Keys under ``prefix``."""
        skip = len(self.prefix) + 1 if self.prefix else 0
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._name(prefix))
        return sorted(item["Key"][skip:] for page in pages for item in page.get("Contents", ()))

    def delete(self, prefix: str) -> int:
        """Remove the keys under ``prefix``, a thousand per request."""
        found = self.keys(prefix)
        for start in range(0, len(found), 1000):
            batch = [{"Key": self._name(k)} for k in found[start:start + 1000]]
            self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})
        return len(found)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def open_storage(settings: Settings) -> Storage | None:
    """The storage ``APP_STORAGE_URL`` names, or None (embedded: files stay where made).

    Raises:
        ConfigurationError: an unknown scheme, or a place that cannot be used.
    """
    url = settings.env("APP_STORAGE_URL")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigurationError("APP_STORAGE_URL must name a bucket: s3://bucket/prefix.",
                                     param="APP_STORAGE_URL")
        return S3Storage(parts.netloc, parts.path, endpoint_url=settings.env("APP_S3_ENDPOINT_URL"))
    if parts.scheme in ("", "file"):
        return DirectoryStorage(Path(parts.path if parts.scheme else url))
    raise ConfigurationError(f"APP_STORAGE_URL must be a directory or s3://bucket/prefix, "
                             f"not a {parts.scheme}:// URL.", param="APP_STORAGE_URL")


@dataclass
class FolderSync:
    """Mirrors one task's folder with the storage, copying only what changed.

    Args:
        storage: the shared place.
        task_id: whose folder.
        folder: the folder on this machine (``APP_DATA_DIR/tasks/<task id>``).
    """

    storage: Storage
    task_id: str
    folder: Path
    _sent: dict[str, tuple[int, int]] = field(default_factory=dict)

    def push(self) -> int:
        """Store the folder's new or changed files; returns how many were sent."""
        sent = 0
        if not self.folder.is_dir():
            return 0
        for path in sorted(self.folder.rglob("*")):
            if not path.is_file() or path.name.endswith(".part"):
                continue
            relative = path.relative_to(self.folder).as_posix()
            try:
                stat = path.stat()
                mark = (stat.st_size, stat.st_mtime_ns)
                if self._sent.get(relative) == mark:
                    continue
                self.storage.put(task_prefix(self.task_id) + relative, path)
            except FileNotFoundError:  # a step's scratch file, removed meanwhile
                continue
            self._sent[relative] = mark
            sent += 1
        return sent

    def pull(self) -> int:
        """Fetch the task's stored files this machine lacks; returns how many."""
        fetched, prefix = 0, task_prefix(self.task_id)
        for key in self.storage.keys(prefix):
            target = self.folder / key[len(prefix):]
            if not target.is_file() and self.storage.get(key, target):
                stat = target.stat()
                self._sent[key[len(prefix):]] = (stat.st_size, stat.st_mtime_ns)
                fetched += 1
        return fetched

    def remove(self) -> None:
        """Delete the task's stored files."""
        self.storage.delete(prefix=task_prefix(self.task_id))
