"""The services one running app uses, built once from `Settings` and reached from handlers via `services()`."""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field

from starlette.requests import Request

from mockai._paths import resource_dir
from mockai.contract.integers import IntegerFields
from mockai.contract.registry import SchemaRegistry
from mockai.contract.validation import ValidationMemo
from mockai.control.faults import FaultPlan
from mockai.control.journal import Journal
from mockai.control.ratelimit import Limits, RateLimiter
from mockai.control.rules import RuleBook, load_rules
from mockai.dialogue.service import DialogueService, build_dialogue_service
from mockai.engine.moderation import Lexicon, load_lexicon
from mockai.engine.replay import ReplayCache
from mockai.settings import Settings
from mockai.state.catalog import ModelCatalog
from mockai.state.clock import ClockMark, SimulatedClock
from mockai.state.files import FileService
from mockai.state.fine_tune_service import FineTuneService
from mockai.state.ids import IdFactory
from mockai.state.images import ImageFiles
from mockai.state.store import Store
from mockai.state.training import TokenModelTrainer
from mockai.state.transcripts import TranscriptScripts

CLOCK_MARK_KEY = "clock_mark"


@dataclass
class Services:
    """Everything handlers need besides the request; one instance per app, so two apps can share a process."""

    settings: Settings
    registry: SchemaRegistry
    catalog: ModelCatalog
    clock: SimulatedClock
    rules: RuleBook = field(default_factory=RuleBook)
    journal: Journal = field(default_factory=Journal)
    faults: FaultPlan = field(default_factory=FaultPlan)
    rate_limits: RateLimiter = field(default_factory=lambda: RateLimiter(Limits()))
    replays: ReplayCache = field(default_factory=ReplayCache)  # finished generations, played back on repeat
    validated: ValidationMemo = field(default_factory=ValidationMemo)  # verdicts on request bodies seen before
    images: ImageFiles = field(default_factory=ImageFiles)  # PNGs behind `response_format: "url"`
    transcripts: TranscriptScripts = field(default_factory=TranscriptScripts)  # scripted audio transcripts
    lexicon: Lexicon = field(default_factory=lambda: load_lexicon(resource_dir("fixtures") / "moderation_lexicon.json"))
    store: Store = field(default_factory=Store)  # files, jobs, models; durable with --data-dir
    integers: IntegerFields = field(init=False)  # where each request schema holds integers (2.0 becomes 2)
    ids: IdFactory = field(init=False)
    files: FileService = field(init=False)
    fine_tunes: FineTuneService = field(init=False)
    dialogue: DialogueService = field(init=False)  # /app/v1: conversations with memory

    def __post_init__(self) -> None:
        self.integers = IntegerFields(self.registry)
        # The store counts its openings, so a restarted durable server never replays earlier ids.
        self.ids = IdFactory(self.settings.seed, epoch=self.store.epoch)
        self.files = FileService(
            self.store, self.ids, self.clock, storage_limit_bytes=self.settings.storage_limit_bytes
        )
        self.fine_tunes = FineTuneService(
            self.store, self.ids, self.clock, self.files, self.catalog, TokenModelTrainer(), seed=self.settings.seed
        )
        self.catalog.attach(self.fine_tunes)
        self.dialogue = build_dialogue_service(self.settings, self.store, self.catalog)
        # Jobs catch up eagerly when a test moves the clock, so waiting event streams wake up.
        self.clock.on_advance(lambda _now: self.fine_tunes.catch_up_all())
        # A durable store keeps where world time got to, so a restarted server never goes back (see ClockMark).
        self.clock.on_advance(lambda _now: self.mark_clock())
        self.mark_clock()

    def reset(self) -> None:
        """Forget everything a test changed: rules, journal, faults, rate-limit windows, world time."""
        self.rules.clear()
        self.journal.clear()
        self.faults.clear()
        self.rate_limits.reset()
        self.clock.reset()
        self.mark_clock()
        self.images.clear()
        self.replays.clear()
        self.transcripts.clear()
        self.store.reset()
        self.dialogue.reset()
        self.fine_tunes.reset()

    def mark_clock(self) -> None:
        """Save where world time is now, if the store is durable (read back by `build_services`)."""
        if self.store.durable:
            mark = ClockMark.of(self.clock, wall=time.time())
            self.store.write_meta(CLOCK_MARK_KEY, json.dumps(dataclasses.asdict(mark)))

    def close(self) -> None:
        """Release what the services hold (called at shutdown)."""
        self.mark_clock()
        self.store.close()


def build_services(settings: Settings, registry: SchemaRegistry) -> Services:
    catalog = ModelCatalog.from_file(resource_dir("fixtures") / "models.json")
    store = Store(settings.data_dir)
    clock = SimulatedClock(time_scale=settings.time_scale, start=_clock_start(settings, store))
    limits = RateLimiter(
        Limits(settings.rpm, settings.tpm),
        {
            model: Limits(settings.rpm if rpm is None else rpm, settings.tpm if tpm is None else tpm)
            for model, rpm, tpm in settings.model_limits
        },
    )
    app_services = Services(
        settings=settings,
        registry=registry,
        catalog=catalog,
        clock=clock,
        rate_limits=limits,
        store=store,
    )
    if settings.rules_file is not None:
        for raw in load_rules(settings.rules_file):
            registry.validator("mockai/rule").validate(raw)
            app_services.rules.add(raw)
    return app_services


def _clock_start(settings: Settings, store: Store) -> float:
    """The configured start (or now), but never before where an earlier run's world time would be by now."""
    wall = time.time()
    start = wall if settings.clock_start is None else settings.clock_start
    saved = store.read_meta(CLOCK_MARK_KEY)
    if saved is None:
        return start
    return max(start, ClockMark(**json.loads(saved)).resumed_at(wall))


def services(request: Request) -> Services:
    """The app's services (set on `app.state` by `build_app`)."""
    found: Services = request.app.state.services
    return found
