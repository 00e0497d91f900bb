"""One storage interface: a shared directory and an S3-compatible bucket keep task files
alike, and a task folder made on one machine reappears on another."""

from __future__ import annotations

import uuid

import pytest

from pipeline.errors import ConfigurationError
from pipeline.settings import Settings
from pipeline.tasks.storage import DirectoryStorage, FolderSync, S3Storage, open_storage
from tests.pipeline.tasks.servers import free_port


@pytest.fixture
def s3_env(s3_endpoint, monkeypatch):
    """Credentials moto accepts, and a fresh bucket on the emulator."""
    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    bucket = f"speech-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return {"APP_STORAGE_URL": f"s3://{bucket}/cluster-a", "APP_S3_ENDPOINT_URL": s3_endpoint}


@pytest.fixture(params=["directory", "s3"])
def storage(request, tmp_path):
    if request.param == "directory":
        env = {"APP_STORAGE_URL": str(tmp_path / "shared")}
    else:
        env = request.getfixturevalue("s3_env")
    return open_storage(Settings.from_env(env))


def test_without_a_storage_url_files_stay_where_they_are_made():
    assert open_storage(Settings.from_env({})) is None


def test_a_stored_file_comes_back_byte_for_byte_and_lists_under_its_prefix(storage, tmp_path):
    source = tmp_path / "line.wav"
    source.write_bytes(b"RIFF" + bytes(range(256)) * 40)
    storage.put("tasks/abc/tts/line_0001.wav", source)
    storage.put("tasks/abd/output.mp3", source)
    assert storage.get("tasks/abc/tts/line_0001.wav", tmp_path / "back" / "x.wav")
    assert (tmp_path / "back" / "x.wav").read_bytes() == source.read_bytes()
    assert storage.keys("tasks/abc/") == ["tasks/abc/tts/line_0001.wav"]
    assert storage.get("tasks/abc/missing.wav", tmp_path / "nothing.wav") is False


def test_deleting_a_task_prefix_removes_only_that_task(storage, tmp_path):
    source = tmp_path / "a.bin"
    source.write_bytes(b"a")
    for key in ("tasks/one/a", "tasks/one/b/c", "tasks/two/a"):
        storage.put(key, source)
    assert storage.delete("tasks/one/") == 2
    assert storage.keys("tasks/") == ["tasks/two/a"]


def test_a_task_folder_made_on_one_machine_appears_on_another(storage, tmp_path):
    made = tmp_path / "web" / "tasks" / "t1"
    (made / "inbox").mkdir(parents=True)
    (made / "inbox" / "source.mp3").write_bytes(b"ID3 audio")
    (made / "reference.wav").write_bytes(b"RIFF ref")
    sender = FolderSync(storage, "t1", made)
    assert sender.push() == 2 and sender.push() == 0  # unchanged files are not sent again
    (made / "output.mp3").write_bytes(b"ID3 dub")
    assert sender.push() == 1

    elsewhere = tmp_path / "worker" / "tasks" / "t1"
    assert FolderSync(storage, "t1", elsewhere).pull() == 3
    assert (elsewhere / "inbox" / "source.mp3").read_bytes() == b"ID3 audio"
    assert (elsewhere / "output.mp3").read_bytes() == b"ID3 dub"
    sender.remove()
    assert storage.keys("tasks/t1/") == []


def test_a_directory_storage_that_is_the_data_folder_copies_nothing(tmp_path):
    storage = DirectoryStorage(tmp_path)
    folder = tmp_path / "tasks" / "t2"
    folder.mkdir(parents=True)
    (folder / "input.wav").write_bytes(b"x")
    assert FolderSync(storage, "t2", folder).push() == 1
    assert storage.keys("tasks/") == ["tasks/t2/input.wav"]


def test_an_unknown_scheme_or_an_unreachable_bucket_fails_at_start_with_one_line(monkeypatch):
    with pytest.raises(ConfigurationError, match="must be a directory or s3://"):
        open_storage(Settings.from_env({"APP_STORAGE_URL": "ftp://files/x"}))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    endpoint = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ConfigurationError) as caught:
        S3Storage("nowhere", endpoint_url=endpoint)
    assert str(caught.value).startswith(f"APP_STORAGE_URL: cannot reach the bucket 'nowhere' "
                                        f"at {endpoint}:")
    assert "\n" not in str(caught.value)
