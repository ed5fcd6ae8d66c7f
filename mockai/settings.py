"""The one configuration object: a frozen `Settings`, built only at the edges (CLI, pytest plugin)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_MAX_JSON_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024
DEFAULT_STORAGE_LIMIT_BYTES = 1024**3  # the documented per-organization file storage limit


@dataclass(frozen=True)
class Settings:
    """Everything a running mockai needs to know; nothing below the CLI reads the environment.

    >>> Settings(port=0, seed=7).port
    0
    """

    host: str = "127.0.0.1"
    port: int = 8000
    seed: int = 0
    api_keys: tuple[str, ...] = ()  # empty: any non-empty key is accepted
    admin_token: str | None = None
    data_dir: Path | None = None  # None: fresh state per start
    log_level: str = "warning"
    access_log: bool = False  # costs 1.4-1.7x CPU per request (FACTS.md)
    time_scale: float = 1.0  # world seconds per real second; 0 freezes the clock
    clock_start: float | None = None  # world time at start; None: the wall clock at start
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    storage_limit_bytes: int = DEFAULT_STORAGE_LIMIT_BYTES
    rules_file: Path | None = None
    models_file: Path | None = None  # catalog entries to add or override (schemas/mockai/models.json)
    strict_models: bool = False  # the real 404 for any name outside the catalog: no inference
    rpm: int | None = None
    tpm: int | None = None
    model_limits: tuple[tuple[str, int | None, int | None], ...] = ()  # (model, rpm, tpm) overrides
    upstream_base_url: str | None = None
    upstream_api_key: str | None = None
    dialogue_model: str = "gpt-3.5-turbo"  # the chat model behind /app/v1/ask
    dialogue_system_prompt: str | None = None
    dialogue_reply_tokens: int = 512  # kept free in the context window for each answer (and its max_tokens)
    cassettes_dir: Path = Path("cassettes")  # where cassettes live; names are paths below it
    cassette: str | None = None  # the cassette in use from the start (and again after each reset)
    record: str = "none"  # record mode of `cassette`: none | new | all
    record_upstream: str | None = None  # the API base cassettes record from (ends in /v1)
    record_api_key: str | None = None  # sent upstream instead of the client's key
    replay_speed: float | None = None  # None: replay as fast as possible; 1.0: at the recorded pace
    cassette_ignore: tuple[str, ...] = ()  # body fields never matched on, for every cassette
    cassette_redact: tuple[str, ...] = ()  # body patterns redacted from every recording

    def with_changes(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced (the frozen twin of assignment)."""
        return replace(self, **changes)  # type: ignore[arg-type]
