"""Fixtures for state tests: a frozen clock, a throw-away store, and the services over them with a fake trainer."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from mockai._paths import resource_dir
from mockai.state.catalog import ModelCatalog
from mockai.state.clock import SimulatedClock
from mockai.state.files import FileService
from mockai.state.fine_tune_service import FineTuneService
from mockai.state.fine_tunes import MetricsRow, TrainingReport
from mockai.state.ids import IdFactory
from mockai.state.jsonl import DataFormat
from mockai.state.store import Store
from mockai.state.training import TrainingRequest

START = 1_700_000_000.0


class FakeTrainer:
    """Counts characters as tokens and halves the loss each epoch: enough to test the machine without the engine."""

    def __init__(self) -> None:
        self.adapted: list[tuple[str, DataFormat, int]] = []

    def fit(self, request: TrainingRequest) -> TrainingReport:
        sizes = [len(json.dumps(example)) for example in request.examples]
        rows, tokens, seen = [], 0, 0
        for epoch in range(request.n_epochs):
            for start in range(0, len(sizes), request.batch_size):
                batch = sizes[start : start + request.batch_size]
                tokens += sum(batch)
                seen += len(batch)
                rows.append(MetricsRow(len(rows) + 1, tokens, seen, 2.0 / 2**epoch, 0.0, 0.5))
        steps = -(-len(sizes) // request.batch_size)
        return TrainingReport(tokens, steps, tuple(rows))

    def adapt(self, encoding: str, data_format: DataFormat, examples: Sequence[Mapping[str, Any]]) -> Any:
        self.adapted.append((encoding, data_format, len(examples)))
        return ("adapted", encoding, len(examples))


def legacy_lines(n: int = 3) -> bytes:
    return b"".join(
        json.dumps({"prompt": f"Question {i} ->", "completion": f" answer {i}\n"}).encode() + b"\n" for i in range(n)
    )


def chat_lines(n: int = 10) -> bytes:
    return b"".join(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"What is {i}?"},
                    {"role": "assistant", "content": f"It is {i}."},
                ]
            }
        ).encode()
        + b"\n"
        for i in range(n)
    )


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(time_scale=0, start=START)


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store()
    yield opened
    opened.close()


@pytest.fixture
def files(store: Store, clock: SimulatedClock) -> FileService:
    return FileService(store, IdFactory(1, epoch=store.epoch), clock)


@pytest.fixture
def trainer() -> FakeTrainer:
    return FakeTrainer()


@pytest.fixture
def catalog() -> ModelCatalog:
    return ModelCatalog.from_file(resource_dir("fixtures") / "models.json")


@pytest.fixture
def fine_tunes(
    store: Store, clock: SimulatedClock, files: FileService, catalog: ModelCatalog, trainer: FakeTrainer
) -> FineTuneService:
    service = FineTuneService(store, IdFactory(2, epoch=store.epoch), clock, files, catalog, trainer)
    catalog.attach(service)
    clock.on_advance(lambda _now: service.catch_up_all())
    return service
