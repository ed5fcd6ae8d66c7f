"""The services one running app uses, built once from `Settings` and reached from handlers via `services()`."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from mockai._paths import resource_dir
from mockai.contract.registry import SchemaRegistry
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

    def close(self) -> None:
        """Release what the services hold (called at shutdown)."""


def build_services(settings: Settings, registry: SchemaRegistry) -> Services:
    catalog = ModelCatalog.from_file(resource_dir("fixtures") / "models.json")
    clock = SimulatedClock(time_scale=settings.time_scale, start=settings.clock_start)
    return Services(settings=settings, registry=registry, catalog=catalog, clock=clock)


def services(request: Request) -> Services:
    """The app's services (set on `app.state` by `build_app`)."""
    found: Services = request.app.state.services
    return found
