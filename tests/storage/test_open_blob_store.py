"""Choosing the blob store: ``open_blob_store`` and the ``PARTLEDGER_BLOB_URL`` setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from partledger.config import Settings
from partledger.storage import (
    FilesystemBlobStore,
    S3BlobStore,
    S3Location,
    open_blob_store,
    parse_s3_url,
)


def test_an_s3_url_opens_an_s3_store_with_its_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_REGION", "eu-south-1")
    store = open_blob_store("s3://ledger-blobs/prod/blobs/", max_blob_bytes=1000)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix, store.max_blob_bytes) == (
        "ledger-blobs",
        "prod/blobs",
        1000,
    )
    assert store.endpoint == "http://127.0.0.1:9"
    assert store.client.meta.region_name == "eu-south-1"
    assert store.key_of("ab" * 32) == f"prod/blobs/ab/{'ab' * 32}"
    assert open_blob_store("s3://ledger-blobs").key_of("ab" * 32) == f"ab/{'ab' * 32}"  # type: ignore[attr-defined]


def test_a_path_or_file_url_opens_the_filesystem_store(tmp_path: Path) -> None:
    for where in (tmp_path / "a", str(tmp_path / "b"), f"file://{tmp_path / 'c'}"):
        store = open_blob_store(where)
        assert isinstance(store, FilesystemBlobStore)
        assert store.root.parent == tmp_path
    with pytest.raises(TypeError):
        open_blob_store(tmp_path, endpoint_url="http://x")


def test_url_parameters_and_explicit_options_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    url = "s3://bkt/p?endpoint=http://127.0.0.1:2&region=eu-west-3"
    assert parse_s3_url(url) == S3Location("bkt", "p", "http://127.0.0.1:2", "eu-west-3")
    assert open_blob_store(url).endpoint == "http://127.0.0.1:2"  # type: ignore[attr-defined]
    store = open_blob_store("s3://bkt/p", endpoint_url="http://127.0.0.1:3")
    assert store.endpoint == "http://127.0.0.1:3"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "bad",
    [
        "s3://",
        "s3://Upper_Case/p",
        "s3://ab/p",
        "s3://user:secret@bucket/p",
        "s3://bucket:9000/p",
        "s3://bucket/../etc",
        "s3://bucket/a//b",
        "s3://bucket/.uploads",
        "s3://bucket/p?endpoint=ftp://x",
        "s3://bucket/p?acl=public",
        "s3://bucket/p#frag",
        "gs://bucket/p",
    ],
)
def test_malformed_blob_urls_are_refused(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError):
        open_blob_store(bad)
    monkeypatch.setenv("PARTLEDGER_BLOB_URL", bad)
    with pytest.raises(ValidationError):
        Settings()


def test_the_blob_url_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARTLEDGER_BLOB_URL", raising=False)
    assert Settings().blob_url is None
    monkeypatch.setenv("PARTLEDGER_BLOB_URL", " s3://ledger-blobs/prod ")
    assert Settings().blob_url == "s3://ledger-blobs/prod"
    monkeypatch.setenv("PARTLEDGER_BLOB_URL", "")
    assert Settings().blob_url is None
