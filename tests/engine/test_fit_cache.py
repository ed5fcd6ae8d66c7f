"""The disk cache of fitted objects: a hit never fits, a miss fits once, and stale, damaged or unwritable entries
only ever cost a fit, even with several processes starting at once."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mockai.engine import fit_cache, token_model, tokenizer
from mockai.engine.chat_format import render_chat_prompt
from mockai.engine.fit_cache import cached, inputs_digest
from mockai.engine.generate import GenerationRun, NextTokenModel
from mockai.engine.sampler import SamplingParams
from mockai.engine.tokenizer import get_encoding

FITTED = {"counts": {(1, 2): {3: 2.0}}, "tokens": (1, 2, 3)}


class Fits:
    """A fit function that counts its calls."""

    def __init__(self, value: Any = FITTED) -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> Any:
        self.calls += 1
        return self.value


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.pickle"))


def test_a_miss_fits_and_stores_then_a_hit_loads_without_fitting(tmp_path: Path) -> None:
    first, second = Fits(), Fits()
    assert cached(tmp_path, "thing", "k1", first) == FITTED
    assert cached(tmp_path, "thing", "k1", second) == FITTED
    assert (first.calls, second.calls) == (1, 0)
    assert len(_entries(tmp_path)) == 1


def test_an_entry_is_readable_by_every_user(tmp_path: Path) -> None:
    # A container image's cache is prepared by root and read by its unprivileged user; a CI runner's may be shared.
    cached(tmp_path, "demo", "k" * 64, lambda: {"fitted": 1})
    [entry] = _entries(tmp_path)
    assert entry.stat().st_mode & 0o777 == 0o644


def test_without_a_directory_it_only_fits() -> None:
    fits = Fits()
    assert cached(None, "thing", "k1", fits) == FITTED
    assert fits.calls == 1


def test_a_new_key_fits_again_and_prunes_the_stale_entry(tmp_path: Path) -> None:
    cached(tmp_path, "thing", "old-key", Fits({"old": True}))
    fits = Fits()
    assert cached(tmp_path, "thing", "new-key", fits) == FITTED
    assert fits.calls == 1
    assert [path.name.startswith("thing-new-key") for path in _entries(tmp_path)] == [True]


def test_the_key_digests_file_contents_names_and_the_salt(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one")
    before = inputs_digest({"corpus": tmp_path}, salt="cl100k_base")
    assert inputs_digest({"corpus": tmp_path}, salt="cl100k_base") == before
    assert inputs_digest({"corpus": tmp_path}, salt="o200k_base") != before
    (tmp_path / "a.txt").write_text("two")
    assert inputs_digest({"corpus": tmp_path}, salt="cl100k_base") != before
    (tmp_path / "a.txt").rename(tmp_path / "b.txt")
    renamed = inputs_digest({"corpus": tmp_path}, salt="cl100k_base")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"\0")
    assert inputs_digest({"corpus": tmp_path}, salt="cl100k_base") == renamed  # compiled files are not inputs


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # a write cut short
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),  # one flipped bit
        lambda data: b"",
        lambda data: b"not a cache entry at all",
    ],
    ids=["truncated", "bit-flip", "empty", "garbage"],
)
def test_a_damaged_entry_is_fitted_again_and_rewritten(
    tmp_path: Path, damage: Callable[[bytes], bytes], caplog: pytest.LogCaptureFixture
) -> None:
    cached(tmp_path, "thing", "k1", Fits())
    [entry] = _entries(tmp_path)
    entry.write_bytes(damage(entry.read_bytes()))
    refit, after = Fits(), Fits()
    with caplog.at_level(logging.WARNING, logger="mockai.cache"):
        assert cached(tmp_path, "thing", "k1", refit) == FITTED
    assert "damaged" in caplog.text
    assert cached(tmp_path, "thing", "k1", after) == FITTED
    assert (refit.calls, after.calls) == (1, 0)


class Marker:
    """Pickled by reference to this module, so deleting it makes an intact entry unloadable."""


def test_an_intact_entry_that_no_longer_unpickles_is_fitted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached(tmp_path, "thing", "k1", Fits(Marker()))
    monkeypatch.delattr(sys.modules[__name__], "Marker")  # as if the code that pickled it had changed
    fits = Fits()
    assert cached(tmp_path, "thing", "k1", fits) == FITTED
    assert fits.calls == 1


def test_an_unwritable_directory_falls_back_to_fitting_in_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a-file").write_text("")
    fits = Fits()
    with caplog.at_level(logging.WARNING, logger="mockai.cache"):
        assert cached(tmp_path / "a-file" / "cache", "thing", "k1", fits) == FITTED
    assert fits.calls == 1
    assert "fitting it in memory" in caplog.text


def test_a_failed_write_still_returns_the_fit_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(fit_cache.os, "replace", refuse)
    fits = Fits()
    assert cached(tmp_path, "thing", "k1", fits) == FITTED
    assert fits.calls == 1
    assert list(tmp_path.glob("*.tmp")) == []  # the temporary file did not outlive the failed write


def _fit_in_a_worker(directory: str, log: str) -> dict[str, Any]:
    def fit() -> dict[str, Any]:
        with open(log, "a") as calls:
            calls.write("fit\n")
        sum(range(5_000_000))  # fitting takes a while: without the lock the others would miss and fit too
        return FITTED

    return cached(Path(directory), "thing", "k1", fit)


def _worker(barrier: Any, directory: str, log: str, results: Any) -> None:
    barrier.wait()  # all start together, as pytest-xdist workers do
    results.put(_fit_in_a_worker(directory, log))


def test_processes_starting_together_fit_once_and_all_get_the_entry(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(3), context.Queue()
    log = tmp_path / "fits.log"
    workers = [
        context.Process(target=_worker, args=(barrier, str(tmp_path / "cache"), str(log), results)) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert answers == [FITTED] * 3
    assert log.read_text() == "fit\n"  # the others waited on the lock and loaded the one entry
    assert [worker.exitcode for worker in workers] == [0] * 3


@pytest.fixture(scope="module")
def cl100k_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, token_model.TokenModel]:
    """A cache directory holding the fitted cl100k corpus model, and that model."""
    directory = tmp_path_factory.mktemp("cache")
    return directory, token_model._CorpusModels().get("cl100k_base", directory)


def test_a_cached_corpus_model_answers_exactly_like_a_fitted_one(
    cl100k_cache: tuple[Path, token_model.TokenModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory, fitted = cl100k_cache

    def no_fitting(name: str) -> None:
        raise AssertionError(f"fitted {name} again instead of loading it")

    monkeypatch.setattr(token_model, "fit_corpus_model", no_fitting)
    loaded = token_model._CorpusModels().get("cl100k_base", directory)
    assert loaded is not fitted
    encoding = get_encoding("cl100k_base")
    unseen = encoding.encode(" Zanzibar quokka")  # tokens the corpus lacks: classified on demand
    for text in ("If you forgot your", "下雨", "", "The weather"):
        context = encoding.encode(text)
        assert loaded.next_token_logits(context) == fitted.next_token_logits(context)
        prompt = encoding.encode(f"Tell me about {text}") + unseen
        assert loaded.for_prompt(prompt).next_token_logits(context) == fitted.for_prompt(prompt).next_token_logits(
            context
        )
    assert [loaded.script(token) for token in unseen] == [fitted.script(token) for token in unseen]


def _replies(model: token_model.TokenModel, questions: list[str]) -> list[str]:
    encoding = get_encoding("cl100k_base")
    texts = []
    for seed, question in enumerate(questions):
        prompt = encoding.encode(render_chat_prompt([{"role": "user", "content": question}]), disallowed_special=())
        conditioned: NextTokenModel = model.for_prompt(prompt)
        run = GenerationRun(
            conditioned,
            prompt,
            SamplingParams(temperature=1.0),
            random.Random(seed),
            encoding=encoding,
            max_tokens=40,
            end_token=encoding.eot_token,
        )
        texts.append("".join(step.text for step in run))
    return texts


def test_a_cached_corpus_model_and_its_fine_tunes_write_the_replies_of_a_fitted_one(
    cl100k_cache: tuple[Path, token_model.TokenModel],
) -> None:
    directory, fitted = cl100k_cache
    loaded = token_model._CorpusModels().get("cl100k_base", directory)
    questions = ["How do I cook rice?", "我出门没带伞", "What is 12 * 7?", "Tell me about quokkas", "Hello!"]
    assert _replies(loaded, questions) == _replies(fitted, questions)
    encoding = get_encoding("cl100k_base")
    tuned = [[*encoding.encode("Q: What is mockai? A: A mock of the OpenAI API for tests."), encoding.eot_token]]
    assert _replies(loaded.adapted(tuned), questions) == _replies(fitted.adapted(tuned), questions)


def test_a_cached_model_refers_to_its_encoding_by_name(cl100k_cache: tuple[Path, token_model.TokenModel]) -> None:
    directory, _ = cl100k_cache
    [entry] = directory.glob("corpus-cl100k_base-*.pickle")
    longest = max(get_encoding("cl100k_base").token_byte_values(), key=len)
    assert longest not in entry.read_bytes()  # the rank table is not inside: the encoding is loaded by name


def test_verified_ranks_are_cached_and_a_damaged_copy_is_never_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified = tokenizer._verified_ranks("p50k_base", tmp_path)
    loads: list[str] = []
    real_load = tokenizer.load_ranks

    def counting_load(name: str) -> dict[bytes, int]:
        loads.append(name)
        return real_load(name)

    monkeypatch.setattr(tokenizer, "load_ranks", counting_load)
    assert tokenizer._verified_ranks("p50k_base", tmp_path) == verified
    assert loads == []
    [entry] = tmp_path.glob("ranks-p50k_base-*.pickle")
    data = bytearray(entry.read_bytes())
    data[-10] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert tokenizer._verified_ranks("p50k_base", tmp_path) == verified
    assert loads == ["p50k_base"]  # verified from the shipped files again


def test_the_garbage_collector_is_paused_only_while_fitting_or_loading(tmp_path: Path) -> None:
    seen: list[bool] = []

    def fit() -> dict[str, Any]:
        seen.append(gc.isenabled())
        return FITTED

    cached(tmp_path, "thing", "k1", fit)
    cached(tmp_path, "thing", "k1", fit)  # a load
    assert seen == [False] and gc.isenabled()
