"""`mockai tiktoken-cache DIR`: tiktoken's own loaders read every encoding from DIR, with the network refused."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from tiktoken.load import data_gym_to_mergeable_bpe_ranks, load_tiktoken_bpe

from mockai import cli
from mockai.engine.tokenizer import EXPECTED_SHA256, serialise_ranks
from mockai.tiktoken_cache import CACHE_FILES, CacheFile, cache_path, write_tiktoken_cache

ENCODING_FILES = [file for file in CACHE_FILES if file.url.endswith(".tiktoken")]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiktoken-cache")
    result = CliRunner().invoke(cli.main, ["tiktoken-cache", str(directory)])
    assert result.exit_code == 0, result.output
    *written, export = result.output.splitlines()
    assert len(written) == len(CACHE_FILES) and all(line.endswith("(written)") for line in written)
    assert export == f"export TIKTOKEN_CACHE_DIR={directory}"
    return directory


def _sha256(ranks: dict[bytes, int]) -> str:
    return hashlib.sha256(serialise_ranks(ranks)).hexdigest()


@pytest.mark.parametrize("file", ENCODING_FILES, ids=lambda file: file.encodings[0])
def test_tiktoken_reads_each_encoding_from_the_cache(
    file: CacheFile, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache_dir))
    # tiktoken's own loader: it would download (refused here) if the file were missing or failed its sha256.
    ranks = load_tiktoken_bpe(file.url, expected_hash=file.sha256)
    assert _sha256(ranks) == EXPECTED_SHA256[file.encodings[0]]


def test_tiktoken_reads_gpt2_data_gym_files_from_the_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vocab, encoder = (file for file in CACHE_FILES if "gpt-2" in file.url)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache_dir))
    ranks = data_gym_to_mergeable_bpe_ranks(
        vocab_bpe_file=vocab.url,
        encoder_json_file=encoder.url,
        vocab_bpe_hash=vocab.sha256,
        encoder_json_hash=encoder.sha256,
    )
    assert _sha256(ranks) == EXPECTED_SHA256["r50k_base"]  # GPT-2's vocabulary is r50k_base


def test_files_are_where_tiktoken_looks_and_rewritten_only_when_wrong(cache_dir: Path, tmp_path: Path) -> None:
    directory = shutil.copytree(cache_dir, tmp_path / "cache")
    assert sorted(path.name for path in directory.iterdir()) == sorted(
        hashlib.sha1(file.url.encode()).hexdigest() for file in CACHE_FILES
    )
    damaged = cache_path(directory, CACHE_FILES[2].url)
    damaged.write_bytes(b"not the ranks")
    again = write_tiktoken_cache(directory)
    assert [path for _, path, written in again if written] == [damaged]
    assert hashlib.sha256(damaged.read_bytes()).hexdigest() == CACHE_FILES[2].sha256


def test_the_directory_defaults_to_tiktoken_cache_dir(cache_dir: Path, tmp_path: Path) -> None:
    directory = shutil.copytree(cache_dir, tmp_path / "cache")
    result = CliRunner().invoke(cli.main, ["tiktoken-cache"], env={"TIKTOKEN_CACHE_DIR": str(directory)})
    assert result.exit_code == 0, result.output
    assert result.output.count("(already there)") == len(CACHE_FILES)
