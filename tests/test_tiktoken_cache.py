"""`mockai tiktoken-cache DIR`: tiktoken's own loaders read every encoding from DIR, with the network refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from tiktoken.load import data_gym_to_mergeable_bpe_ranks, load_tiktoken_bpe

from mockai import cli
from mockai.engine.tokenizer import load_ranks
from mockai.tiktoken_cache import CACHE_FILES, CacheFile, cache_path, write_tiktoken_cache

ENCODING_FILES = [file for file in CACHE_FILES if file.url.endswith(".tiktoken")]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiktoken-cache")
    result = CliRunner().invoke(cli.main, ["tiktoken-cache", str(directory)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"export TIKTOKEN_CACHE_DIR={directory}"
    return directory


@pytest.mark.parametrize("file", ENCODING_FILES, ids=lambda file: file.encodings[0])
def test_tiktoken_reads_each_encoding_from_the_cache(
    file: CacheFile, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache_dir))
    # tiktoken's own loader: it would download (refused here) if the file were missing or failed its sha256.
    ranks = load_tiktoken_bpe(file.url, expected_hash=file.sha256)
    assert ranks == load_ranks(file.encodings[0])


def test_tiktoken_reads_gpt2_data_gym_files_from_the_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vocab, encoder = (file for file in CACHE_FILES if "gpt-2" in file.url)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache_dir))
    ranks = data_gym_to_mergeable_bpe_ranks(
        vocab_bpe_file=vocab.url,
        encoder_json_file=encoder.url,
        vocab_bpe_hash=vocab.sha256,
        encoder_json_hash=encoder.sha256,
    )
    assert ranks == load_ranks("r50k_base")  # GPT-2's vocabulary is r50k_base


def test_files_are_where_tiktoken_looks_and_rewritten_only_when_wrong(tmp_path: Path) -> None:
    first = write_tiktoken_cache(tmp_path)
    assert all(written for _, _, written in first)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        hashlib.sha1(file.url.encode()).hexdigest() for file in CACHE_FILES
    )
    damaged = cache_path(tmp_path, CACHE_FILES[2].url)
    damaged.write_bytes(b"not the ranks")
    again = write_tiktoken_cache(tmp_path)
    assert [path for _, path, written in again if written] == [damaged]
    assert hashlib.sha256(damaged.read_bytes()).hexdigest() == CACHE_FILES[2].sha256


def test_the_directory_defaults_to_tiktoken_cache_dir(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["tiktoken-cache"], env={"TIKTOKEN_CACHE_DIR": str(tmp_path / "c")})
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "c").iterdir())) == len(CACHE_FILES)
