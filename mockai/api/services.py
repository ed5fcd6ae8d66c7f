"""The services one running app uses, built once from `Settings` and reached from handlers via `services()`."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from mockai._paths import resource_dir
from mockai.contract.registry import SchemaRegistry
from mockai.control.faults import FaultPlan
from mockai.control.journal import Journal
from mockai.control.ratelimit import Limits, RateLimiter
from mockai.control.rules import RuleBook, load_rules
from mockai.settings import Settings
from mockai.state.catalog import ModelCatalog
from mockai.state.clock import SimulatedClock


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

    def reset(self) -> None:
        """Forget everything a test changed: rules, journal, faults, rate-limit windows, world time."""
        self.rules.clear()
        self.journal.clear()
        self.faults.clear()
        self.rate_limits.reset()
        self.clock.reset()

    def close(self) -> None:
        """Release what the services hold (called at shutdown)."""


def build_services(settings: Settings, registry: SchemaRegistry) -> Services:
    catalog = ModelCatalog.from_file(resource_dir("fixtures") / "models.json")
    clock = SimulatedClock(time_scale=settings.time_scale, start=settings.clock_start)
    limits = RateLimiter(
        Limits(settings.rpm, settings.tpm),
        {
            model: Limits(settings.rpm if rpm is None else rpm, settings.tpm if tpm is None else tpm)
            for model, rpm, tpm in settings.model_limits
        },
    )
    app_services = Services(settings=settings, registry=registry, catalog=catalog, clock=clock, rate_limits=limits)
    if settings.rules_file is not None:
        for raw in load_rules(settings.rules_file):
            registry.validator("mockai/rule").validate(raw)
            app_services.rules.add(raw)
    return app_services


def services(request: Request) -> Services:
    """The app's services (set on `app.state` by `build_app`)."""
    found: Services = request.app.state.services
    return found
