"""The services one running app uses, built once from `Settings` and reached from handlers via `services()`."""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.types import Scope

from mockai._paths import resource_dir
from mockai.api.traffic import Traffic
from mockai.cassettes.player import CassetteOptions, CassettePlayer, RecordMode
from mockai.contract.integers import IntegerFields
from mockai.contract.registry import SchemaRegistry
from mockai.contract.validation import ValidationMemo
from mockai.control.faults import FaultPlan
from mockai.control.journal import Journal
from mockai.control.ratelimit import Limits, RateLimiter
from mockai.control.rules import RuleBook, load_rules, load_scenarios
from mockai.control.scenarios import ScenarioBook
from mockai.control.transcript import ConversationHistory
from mockai.engine.moderation import Lexicon, load_lexicon
from mockai.engine.replay import ReplayCache
from mockai.settings import Settings
from mockai.state.batch_service import BatchService
from mockai.state.catalog import ModelCatalog
from mockai.state.catalog_document import read_model_file
from mockai.state.chat_completions import StoredChatCompletions
from mockai.state.clock import ClockMark, SimulatedClock
from mockai.state.conversations import Conversations
from mockai.state.files import FileService
from mockai.state.fine_tune_service import FineTuneService
from mockai.state.history import StoredHistory
from mockai.state.ids import IdFactory
from mockai.state.images import ImageFiles
from mockai.state.responses import ResponseStore
from mockai.state.store import Store
from mockai.state.training import TokenModelTrainer
from mockai.state.transcripts import TranscriptScripts
from mockai.state.uploads import UploadService

if TYPE_CHECKING:
    import httpx

    from mockai.cassettes.upstream import Upstream
    from mockai.dialogue.service import DialogueService

CLOCK_MARK_KEY = "clock_mark"
SERVICES_KEY = "mockai.services"  # where a request's scope holds the app's `Services`
#: Where a request's state holds its validated JSON body with the key that fully determines it (schema, the bytes
#: it was parsed from, the model a path named): memos of pure functions of a body key on it (small bodies only).
PARSED_BODY = "parsed_body"


@dataclass
class Services:
    """Everything handlers need besides the request; one instance per app, so two apps can share a process."""

    settings: Settings
    registry: SchemaRegistry
    catalog: ModelCatalog
    clock: SimulatedClock
    cassettes: CassettePlayer  # the cassette in use, if any: replayed, and recorded from `upstream`
    upstream: Upstream | None = None  # --record-upstream
    rules: RuleBook = field(default_factory=RuleBook)
    scenarios: ScenarioBook = field(default_factory=ScenarioBook)
    # Stored responses and conversations that Responses requests continue (`previous_response_id`, `conversation`),
    # read by the conversation matchers and scenarios: a `StoredHistory` over `conversations` (and the Responses API's
    # store, which gives the chains) unless one is given.
    history: ConversationHistory | None = None
    journal: Journal = field(default_factory=Journal)
    faults: FaultPlan = field(default_factory=FaultPlan)
    rate_limits: RateLimiter = field(default_factory=lambda: RateLimiter(Limits()))
    replays: ReplayCache = field(default_factory=ReplayCache)  # finished generations, played back on repeat
    validated: ValidationMemo = field(default_factory=ValidationMemo)  # verdicts on request bodies seen before
    images: ImageFiles = field(default_factory=ImageFiles)  # PNGs behind `response_format: "url"`
    transcripts: TranscriptScripts = field(default_factory=TranscriptScripts)  # scripted audio transcripts
    store: Store = field(default_factory=Store)  # files, jobs, models; durable with --data-dir
    traffic: Traffic = field(default_factory=Traffic)  # how busy the server is (the warm-up waits for a lull)
    integers: IntegerFields = field(init=False)  # where each request schema holds integers (2.0 becomes 2)
    start_rules: tuple[dict[str, Any], ...] = ()  # what --rules loaded: a reset puts them back
    start_scenarios: tuple[dict[str, Any], ...] = ()  # likewise
    ids: IdFactory = field(init=False)
    files: FileService = field(init=False)
    fine_tunes: FineTuneService = field(init=False)
    chat_completions: StoredChatCompletions = field(init=False)  # `store: true` completions
    uploads: UploadService = field(init=False)  # files sent in parts
    batches: BatchService = field(init=False)  # requests run together, later (its runner is set by build_app)
    responses: ResponseStore = field(init=False)  # stored Responses API responses (and their background lifecycle)
    conversations: Conversations = field(init=False)  # /v1/conversations, which Responses requests continue

    def __post_init__(self) -> None:
        self.integers = IntegerFields(self.registry)
        # The store counts its openings, so a restarted durable server never replays earlier ids.
        self.ids = IdFactory(self.settings.seed, epoch=self.store.epoch)
        self.files = FileService(
            self.store, self.ids, self.clock, storage_limit_bytes=self.settings.storage_limit_bytes
        )
        trainer = TokenModelTrainer(self.settings.cache_dir)
        self.fine_tunes = FineTuneService(
            self.store, self.ids, self.clock, self.files, self.catalog, trainer, seed=self.settings.seed
        )
        self.catalog.attach(self.fine_tunes)
        self.chat_completions = StoredChatCompletions(self.store)
        self.uploads = UploadService(self.store, self.ids, self.clock, self.files)
        self.batches = BatchService(self.store, self.ids, self.clock, self.files)
        self.responses = ResponseStore(self.store)
        self.conversations = Conversations(self.store, self.ids, self.clock)
        if self.history is None:
            self.history = StoredHistory(self.conversations, self.responses)
        self._load_start_rules()
        # Jobs catch up eagerly when a test moves the clock, so waiting event streams wake up.
        self.clock.on_advance(self._catch_up)
        # A durable store keeps where world time got to, so a restarted server never goes back (see ClockMark).
        self.clock.on_advance(lambda _now: self.mark_clock())
        self.mark_clock()

    @functools.cached_property
    def dialogue(self) -> DialogueService:
        """/app/v1's conversations with memory, built on first use: its modules cost ~30 ms of a start that most
        servers, which never see /app/v1, need not pay."""
        from mockai.dialogue.service import build_dialogue_service

        return build_dialogue_service(self.settings, self.store, self.catalog)

    @functools.cached_property
    def lexicon(self) -> Lexicon:
        """The moderation lexicon, compiled on first use: its 132 patterns cost 25 ms that only moderations need."""
        return load_lexicon(resource_dir("fixtures") / "moderation_lexicon.json")

    def _catch_up(self, _now: float) -> None:
        """Bring every clocked resource up to the present: jobs progress, expired files and uploads go."""
        self.fine_tunes.catch_up_all()
        self.files.expire_due()
        self.uploads.expire_due()

    def reset(self) -> None:
        """Return to how the server started: the --rules rules and scenarios only, and no journal, faults, windows
        or state."""
        self.rules.clear()
        self.scenarios.clear()
        self._load_start_rules()
        self.journal.clear()
        self.faults.clear()
        self.rate_limits.reset()
        self.clock.reset()
        self.mark_clock()
        self.images.clear()
        self.replays.clear()
        self.transcripts.clear()
        # Most tests store nothing, and the deletes would cost more than the rest of a reset (the plugin resets twice
        # a test). The dialogue's rows live in the store too, so they go first and the store's flag ends clear.
        if self.store.changed:
            self.dialogue.reset()
            self.responses.reset()
            self.conversations.reset()
            self.store.reset()
        self.responses.forget_repeats()  # kept in memory, so counted whether or not anything was stored
        self.fine_tunes.reset()
        self.cassettes.reset()

    def _load_start_rules(self) -> None:
        for raw in self.start_rules:
            self.rules.add(raw)
        for raw in self.start_scenarios:
            self.scenarios.add(raw)

    def mark_clock(self) -> None:
        """Save where world time is now, if the store is durable (read back by `build_services`)."""
        if self.store.durable:
            mark = ClockMark.of(self.clock, wall=time.time())
            self.store.write_meta(CLOCK_MARK_KEY, json.dumps(dataclasses.asdict(mark)))

    def close(self) -> None:
        """Release what the services hold (called at shutdown)."""
        self.mark_clock()
        self.store.close()


def build_services(
    settings: Settings, registry: SchemaRegistry, *, upstream_transport: httpx.AsyncBaseTransport | None = None
) -> Services:
    catalog = build_catalog(settings, registry)
    store = Store(settings.data_dir)
    clock = SimulatedClock(time_scale=settings.time_scale, start=_clock_start(settings, store))
    limits = RateLimiter(
        Limits(settings.rpm, settings.tpm),
        {
            model: Limits(settings.rpm if rpm is None else rpm, settings.tpm if tpm is None else tpm)
            for model, rpm, tpm in settings.model_limits
        },
    )
    start_rules = load_rules(settings.rules_file) if settings.rules_file is not None else []
    for raw in start_rules:
        registry.validator("mockai/rule").validate(raw)
    start_scenarios = load_scenarios(settings.rules_file) if settings.rules_file is not None else []
    for raw in start_scenarios:
        registry.validator("mockai/scenario").validate(raw)
    return Services(
        settings=settings,
        registry=registry,
        catalog=catalog,
        clock=clock,
        cassettes=_cassette_player(settings, registry),
        upstream=_upstream(settings, upstream_transport),
        rate_limits=limits,
        store=store,
        start_rules=tuple(start_rules),
        start_scenarios=tuple(start_scenarios),
    )


def build_catalog(settings: Settings, registry: SchemaRegistry) -> ModelCatalog:
    """The built-in catalog, with `--models` entries on top (each validated first) and inference unless strict."""
    extra = read_model_file(settings.models_file) if settings.models_file is not None else []
    for entry in extra:
        registry.validator("mockai/models").validate(entry)
    path = resource_dir("fixtures") / "models.json"
    return ModelCatalog.from_file(path, extra=extra, strict=settings.strict_models)


def _cassette_player(settings: Settings, registry: SchemaRegistry) -> CassettePlayer:
    start = CassetteOptions(settings.cassette, RecordMode(settings.record)) if settings.cassette else None
    player = CassettePlayer(
        settings.cassettes_dir,
        # Built on first load: jsonschema is imported by the first validation, not at start.
        functools.partial(registry.validator, "mockai/cassette"),
        can_record=settings.record_upstream is not None,
        start=start,
        ignore=settings.cassette_ignore,
        redact=settings.cassette_redact,
        replay_speed=settings.replay_speed,
    )
    player.reset()  # puts the --cassette one in use; a broken file fails the start, naming file and position
    return player


def _upstream(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> Upstream | None:
    if settings.record_upstream is None:
        return None
    from mockai.cassettes.upstream import Upstream  # imports httpx, which only recording needs

    return Upstream(settings.record_upstream, api_key=settings.record_api_key, transport=transport)


def _clock_start(settings: Settings, store: Store) -> float:
    """The configured start (or now), but never before where an earlier run's world time would be by now."""
    wall = time.time()
    start = wall if settings.clock_start is None else settings.clock_start
    saved = store.read_meta(CLOCK_MARK_KEY)
    if saved is None:
        return start
    return max(start, ClockMark(**json.loads(saved)).resumed_at(wall))


def services(request: Request) -> Services:
    """The app's services, which `RequestMiddleware` puts in every request's scope (handlers ask for them
    several times a request, and `request.app.state` costs two Python-level lookups each time); a request built
    around the middleware (a test's own scope) finds them on `app.state`, where `build_app` sets them."""
    return scope_services(request.scope)


def scope_services(scope: Scope) -> Services:
    """`services()` for code that has the ASGI scope but no request yet."""
    found: Services | None = scope.get(SERVICES_KEY)
    return found if found is not None else scope["app"].state.services
