"""Ids look like the real ones, repeat for a seed, and never collide, even across threads."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from mockai.state.ids import KINDS, IdFactory, derived_id


@pytest.mark.parametrize(
    ("kind", "pattern"),
    [
        ("file", r"file-[A-Za-z0-9]{24}"),
        ("fine_tune", r"ft-[A-Za-z0-9]{24}"),
        ("fine_tuning_job", r"ftjob-[A-Za-z0-9]{24}"),
        ("event", r"ftevent-[A-Za-z0-9]{24}"),
        ("checkpoint", r"ftckpt_[A-Za-z0-9]{24}"),
        ("chat_completion", r"chatcmpl-[A-Za-z0-9]{29}"),
        ("completion", r"cmpl-[A-Za-z0-9]{29}"),
    ],
)
def test_ids_have_the_real_shape(kind: str, pattern: str) -> None:
    assert re.fullmatch(pattern, IdFactory(0).new(kind))


def test_the_same_seed_gives_the_same_ids_and_another_seed_others() -> None:
    first = [IdFactory(5).new("file") for _ in range(1)] + [IdFactory(5).new("file")]
    assert first[0] == first[1]
    assert IdFactory(6).new("file") != first[0]


def test_a_new_epoch_does_not_replay_earlier_ids() -> None:
    assert IdFactory(5, epoch=0).new("file") != IdFactory(5, epoch=1).new("file")


def test_ids_are_unique_under_concurrency() -> None:
    factory = IdFactory(0)
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: factory.new("file"), range(2000)))
    assert len(set(made)) == 2000


def test_derived_ids_are_stable_and_shaped() -> None:
    assert derived_id("event", "ft-x", 1) == derived_id("event", "ft-x", 1)
    assert derived_id("event", "ft-x", 1) != derived_id("event", "ft-x", 2)
    assert re.fullmatch(r"ftevent-[A-Za-z0-9]{24}", derived_id("event", "a"))


def test_unknown_kinds_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="kind='nope'"):
        IdFactory(0).new("nope")
    assert "file" in KINDS
