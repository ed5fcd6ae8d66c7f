"""The `mockai` command: parse flags (each also a `MOCKAI_<FLAG>` variable) into `Settings`, and nothing else."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import click
from click.core import ParameterSource

from mockai import __version__
from mockai._paths import default_cache_dir
from mockai.settings import Settings

LOG_LEVELS = ["critical", "error", "warning", "info", "debug", "trace"]
DEFAULT_CASSETTE = "default"  # what `mockai record` writes, and `mockai serve --cassettes DIR` replays


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockai")
def main() -> None:
    """An offline, deterministic stand-in for the OpenAI API."""


def _cassette_options(command: Callable[..., None]) -> Callable[..., None]:
    """The cassette flags `serve` and `record` share."""
    options = [
        click.option(
            "--cassettes",
            "cassettes_dir",
            envvar="MOCKAI_CASSETTES",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("cassettes"),
            show_default=True,
            help="The folder cassettes live in (one JSON file each; names may contain /).",
        ),
        click.option(
            "--record-api-key",
            envvar="MOCKAI_RECORD_API_KEY",
            default=None,
            help="Send this key upstream instead of the client's (never written to a cassette either way).",
        ),
        click.option(
            "--cassette-ignore",
            envvar="MOCKAI_CASSETTE_IGNORE",
            multiple=True,
            help="Do not match recordings on this body field (repeatable; paths like messages[0].name). Always "
            "ignored: metadata, prompt_cache_key, safety_identifier, stream_options, user.",
        ),
        click.option(
            "--cassette-redact",
            envvar="MOCKAI_CASSETTE_REDACT",
            multiple=True,
            help="Redact this body pattern (a regular expression) from what is recorded (repeatable). Credentials "
            "in headers and query strings are always redacted.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@click.option(
    "--host",
    envvar="MOCKAI_HOST",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 exposes the mock to the network; a container image sets it).",
)
@click.option(
    "--port",
    envvar="MOCKAI_PORT",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port, printed at start).",
)
@click.option(
    "--seed",
    envvar="MOCKAI_SEED",
    type=int,
    default=0,
    show_default=True,
    help="Server seed: with the same seed, the same request gets the same bytes.",
)
@click.option(
    "--api-key",
    "api_keys",
    envvar="MOCKAI_API_KEY",
    multiple=True,
    help="Accept only these keys (repeatable; default: any non-empty key).",
)
@click.option(
    "--admin-token",
    envvar="MOCKAI_ADMIN_TOKEN",
    default=None,
    help="Require this Bearer token on /_mockai/* admin routes.",
)
@click.option(
    "--data-dir",
    envvar="MOCKAI_DATA_DIR",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep files, jobs and models here across restarts (default: fresh state per start).",
)
@click.option(
    "--cache-dir",
    envvar="MOCKAI_CACHE_DIR",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where fitted token models and verified rank tables are kept (`mockai prepare` fills it ahead of time; "
    "default: DATA_DIR/cache with --data-dir, else $XDG_CACHE_HOME/mockai or ~/.cache/mockai).",
)
@click.option(
    "--log-level",
    envvar="MOCKAI_LOG_LEVEL",
    type=click.Choice(LOG_LEVELS),
    default="warning",
    show_default=True,
    help="Least severe log messages shown (the start-up line shows at every level but error and critical).",
)
@click.option(
    "--access-log/--no-access-log",
    envvar="MOCKAI_ACCESS_LOG",
    default=False,
    show_default=True,
    help="Log one line per request (costs 1.4-1.7x CPU per request; the journal at /_mockai/ui costs nothing).",
)
@click.option(
    "--time-scale",
    envvar="MOCKAI_TIME_SCALE",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="World seconds per real second (0 freezes the clock).",
)
@click.option(
    "--rules",
    "rules_file",
    envvar="MOCKAI_RULES",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=lambda _ctx, _param, value: _checked_rules(value),
    help="Load scripted-reply rules and scenarios (YAML or JSON, schemas/mockai/rule.json, scenario.json) at start.",
)
@click.option(
    "--models",
    "models_file",
    envvar="MOCKAI_MODELS",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    callback=lambda _ctx, _param, value: _checked_models(value),
    help="Add or override catalog models (YAML or JSON, schemas/mockai/models.json) at start.",
)
@click.option(
    "--strict-models/--no-strict-models",
    envvar="MOCKAI_STRICT_MODELS",
    default=False,
    show_default=True,
    help="Answer the real 404 for any model outside the catalog, instead of inferring it from OpenAI's naming.",
)
@click.option(
    "--rpm",
    envvar="MOCKAI_RPM",
    type=click.IntRange(min=1),
    default=None,
    help="Requests per minute per API key and model (default: unlimited, no x-ratelimit-* headers).",
)
@click.option(
    "--tpm",
    envvar="MOCKAI_TPM",
    type=click.IntRange(min=1),
    default=None,
    help="Tokens per minute per API key and model (prompt estimate + max_tokens; default: unlimited).",
)
@click.option(
    "--model-limit",
    "model_limits",
    envvar="MOCKAI_MODEL_LIMIT",
    multiple=True,
    callback=lambda _ctx, _param, values: tuple(_model_limit(value) for value in values),
    help="Per-model override MODEL=RPM:TPM (either side may be empty, e.g. gpt-4=3: or gpt-4=:40000).",
)
@click.option(
    "--storage-limit",
    "storage_limit_bytes",
    envvar="MOCKAI_STORAGE_LIMIT",
    type=click.IntRange(min=1),
    default=1024**3,
    show_default=True,
    help="Bytes of uploaded files one organization may keep (the documented limit is 1 GB).",
)
@click.option(
    "--upstream-base-url",
    envvar="MOCKAI_UPSTREAM_BASE_URL",
    default=None,
    help="Answer /app/v1/ask from this OpenAI-compatible server (its base URL, ending in /v1) instead of mockai.",
)
@click.option(
    "--upstream-api-key",
    envvar="MOCKAI_UPSTREAM_API_KEY",
    default=None,
    help="Bearer key for --upstream-base-url.",
)
@click.option(
    "--dialogue-model",
    envvar="MOCKAI_DIALOGUE_MODEL",
    default="gpt-3.5-turbo",
    show_default=True,
    help="Chat model behind /app/v1/ask (its context window decides how much history is sent).",
)
@click.option(
    "--dialogue-system-prompt",
    envvar="MOCKAI_DIALOGUE_SYSTEM_PROMPT",
    default=None,
    help="System prompt sent first with every /app/v1/ask conversation (never trimmed).",
)
@click.option(
    "--dialogue-reply-tokens",
    envvar="MOCKAI_DIALOGUE_REPLY_TOKENS",
    type=click.IntRange(min=1),
    default=512,
    show_default=True,
    help="Tokens kept free in the context window for each /app/v1/ask answer (also its max_tokens).",
)
@_cassette_options
@click.option(
    "--cassette",
    envvar="MOCKAI_CASSETTE",
    default=None,
    help="Answer from this cassette from the start (a name below --cassettes, e.g. chat/streaming; default: none, "
    f"or {DEFAULT_CASSETTE!r} when --cassettes or --record is given; PUT /_mockai/cassette switches while serving).",
)
@click.option(
    "--record",
    envvar="MOCKAI_RECORD",
    type=click.Choice(["none", "new", "all"]),
    default="none",
    show_default=True,
    help="Record mode of --cassette: none replays only, new records what is missing, all records everything again.",
)
@click.option(
    "--record-upstream",
    envvar="MOCKAI_RECORD_UPSTREAM",
    default=None,
    help="The OpenAI-compatible API that cassettes record from, ending in /v1 (e.g. https://api.openai.com/v1). "
    "Not the dialogue's --upstream-base-url.",
)
@click.option(
    "--replay-speed",
    envvar="MOCKAI_REPLAY_SPEED",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Replay recordings at this multiple of their recorded pace (1.0: as recorded, for client timeout tests); "
    "default: as fast as possible.",
)
def serve(**options: object) -> None:
    """Serve the mock API."""
    settings = settings_from_options(options)
    if settings.record != "none" and settings.record_upstream is None:
        raise click.BadParameter("--record new|all needs --record-upstream URL", param_hint="--record")
    source = click.get_current_context().get_parameter_source("cassettes_dir")
    if settings.cassette is None and (settings.record != "none" or source is not ParameterSource.DEFAULT):
        # `serve --cassettes DIR` replays what `record --cassettes DIR` wrote (its default cassette).
        settings = settings.with_changes(cassette=DEFAULT_CASSETTE)
    _run(settings)


@main.command()
@click.option(
    "--host", envvar="MOCKAI_HOST", default="127.0.0.1", show_default=True, help="Interface the proxy listens on."
)
@click.option(
    "--port",
    envvar="MOCKAI_PORT",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port the proxy listens on (0: any free port, printed at start).",
)
@click.option(
    "--upstream",
    "record_upstream",
    envvar="MOCKAI_RECORD_UPSTREAM",
    required=True,
    help="The OpenAI-compatible API to record, ending in /v1 (e.g. https://api.openai.com/v1).",
)
@_cassette_options
@click.option(
    "--cassette",
    envvar="MOCKAI_CASSETTE",
    default=DEFAULT_CASSETTE,
    show_default=True,
    help="The cassette recorded into (rewritten with this run's traffic; PUT /_mockai/cassette switches cassettes).",
)
@click.option(
    "--log-level",
    envvar="MOCKAI_LOG_LEVEL",
    type=click.Choice(LOG_LEVELS),
    default="warning",
    show_default=True,
    help="uvicorn's log level.",
)
def record(**options: object) -> None:
    """Record a real API: a proxy that forwards every /v1 request to --upstream and writes what passes to a cassette.

    \b
    mockai record --upstream https://api.openai.com/v1 --cassette checkout
    OPENAI_BASE_URL=http://127.0.0.1:8000/v1 OPENAI_API_KEY=sk-... python your_app.py
    mockai serve --cassette checkout     # replays it, offline
    """
    _run(settings_from_options({**options, "record": "all"}))


@main.group()
def cassettes() -> None:
    """Work with cassette files."""


@cassettes.command("import-vcr")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.argument("destination", type=click.Path(path_type=Path))
@click.option(
    "--cassette-redact",
    "redact",
    envvar="MOCKAI_CASSETTE_REDACT",
    multiple=True,
    help="Also redact this body pattern (a regular expression; repeatable).",
)
@click.option(
    "--base-url",
    envvar="MOCKAI_VCR_BASE_URL",
    default=None,
    help="The API base the vcrpy cassettes were recorded against when its path is not /v1 (an Azure deployment, "
    "a proxy): that path becomes /v1.",
)
def import_vcr(source: Path, destination: Path, redact: tuple[str, ...], base_url: str | None) -> None:
    """Convert vcrpy / pytest-recording cassettes (YAML) into mockai cassettes.

    SOURCE is a .yaml file or a folder of them (searched recursively); DESTINATION is the .json file, or the folder
    that receives one .json per cassette, in the same layout.
    """
    from mockai.cassettes.storage import CassetteError, dump, write_atomic
    from mockai.cassettes.vcr import import_vcr as convert

    pairs = _vcr_pairs(source, destination)
    if not pairs:
        raise click.BadParameter(f"no .yaml or .yml cassettes in {source}", param_hint="SOURCE")
    count = 0
    for yaml_path, json_path in pairs:
        try:
            cassette = convert(yaml_path, redact=redact, base_url=base_url)
        except (CassetteError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        write_atomic(json_path, dump(cassette))
        count += len(cassette.interactions)
        click.echo(f"{yaml_path} -> {json_path} ({len(cassette.interactions)} interactions)")
    click.echo(f"imported {len(pairs)} cassette{'s' if len(pairs) != 1 else ''}, {count} interactions")


def _vcr_pairs(source: Path, destination: Path) -> list[tuple[Path, Path]]:
    if source.is_file():
        target = destination if destination.suffix == ".json" else destination / source.with_suffix(".json").name
        return [(source, target)]
    found = sorted(path for pattern in ("*.yaml", "*.yml") for path in source.rglob(pattern))
    return [(path, (destination / path.relative_to(source)).with_suffix(".json")) for path in found]


def _run(settings: Settings) -> None:
    from mockai.cassettes.storage import CassetteError
    from mockai.server import run  # keeps `mockai --version` and `--help` instant

    try:
        run(settings)
    except CassetteError as exc:  # the --cassette file is broken: say where, rather than a traceback
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option(
    "--base-url",
    envvar="MOCKAI_CONTRACT_BASE_URL",
    required=True,
    help="The server to check, ending in /v1 (e.g. http://127.0.0.1:8000/v1).",
)
@click.option(
    "--api-key",
    envvar="MOCKAI_CONTRACT_API_KEY",
    default="sk-mockai-contract",
    show_default=True,
    help="Bearer key sent to the server under check.",
)
@click.option(
    "--endpoints",
    envvar="MOCKAI_CONTRACT_ENDPOINTS",
    default=None,
    help="Comma-separated endpoint families (models,completions,chat,edits,images,embeddings,audio,files,"
    "fine-tunes,moderations,engines,fine-tuning); default: all.",
)
@click.option(
    "--max-examples",
    envvar="MOCKAI_CONTRACT_MAX_EXAMPLES",
    type=click.IntRange(min=1),
    default=25,
    show_default=True,
    help="Generated requests per operation (valid and invalid each).",
)
@click.option(
    "--seed",
    envvar="MOCKAI_CONTRACT_SEED",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the request generator: the same seed checks the same requests.",
)
@click.option(
    "--junit",
    "junit_file",
    envvar="MOCKAI_CONTRACT_JUNIT",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report as JUnit XML to this file (for CI test tabs).",
)
@click.option(
    "--json",
    "json_file",
    envvar="MOCKAI_CONTRACT_JSON",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report as JSON to this file.",
)
@click.option(
    "--allow-writes",
    envvar="MOCKAI_CONTRACT_ALLOW_WRITES",
    is_flag=True,
    default=False,
    help="Upload files and create fine-tunes on a server that is not mockai (they cost money on a real one).",
)
def contract(
    base_url: str,
    api_key: str,
    endpoints: str | None,
    max_examples: int,
    seed: int,
    junit_file: Path | None,
    json_file: Path | None,
    allow_writes: bool,
) -> None:
    """Check any OpenAI-compatible server against the documented contract; exit 1 on any failure."""
    # Imported here: hypothesis and the generators are heavy, and `mockai serve` must start fast.
    import httpx

    from mockai.contract.report import render_json, render_junit, render_text
    from mockai.contract.runner import run_contract

    try:
        report = run_contract(
            base_url,
            api_key=api_key,
            endpoints=endpoints,
            max_examples=max_examples,
            seed=seed,
            allow_writes=allow_writes,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot talk to {base_url}: {exc}") from None
    click.echo(render_text(report), nl=False)
    if json_file is not None:
        json_file.write_text(render_json(report), encoding="utf-8")
    if junit_file is not None:
        junit_file.write_text(render_junit(report), encoding="utf-8")
    if not report.ok:
        raise SystemExit(1)


@main.command("tiktoken-cache")
@click.argument(
    "directory",
    envvar="TIKTOKEN_CACHE_DIR",
    type=click.Path(file_okay=False, path_type=Path),
)
def tiktoken_cache(directory: Path) -> None:
    """Write tiktoken's encodings into DIRECTORY (default: $TIKTOKEN_CACHE_DIR) for clients that run offline.

    Then run them with TIKTOKEN_CACHE_DIR=DIRECTORY: tiktoken.get_encoding("cl100k_base") (and r50k_base, p50k_base,
    p50k_edit, o200k_base, gpt2) reads these files, checked against tiktoken's sha256, instead of downloading them.
    """
    from mockai.tiktoken_cache import write_tiktoken_cache

    for file, path, written in write_tiktoken_cache(directory):
        state = "written" if written else "already there"
        click.echo(f"{path}  {', '.join(file.encodings)} ({state})")
    click.echo(f"export TIKTOKEN_CACHE_DIR={directory}")


@main.command()
@click.option(
    "--cache-dir",
    envvar="MOCKAI_CACHE_DIR",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="The cache to fill (default: the one `mockai serve` uses without --data-dir).",
)
def prepare(cache_dir: Path | None) -> None:
    """Fit the token model and verify the rank table of every shipped encoding into the cache, ahead of time.

    A server then loads them on its first reply instead of fitting them (1-2 s an encoding): run it when building an
    image (the Dockerfile does) or in a CI step that keeps the cache directory between runs.
    """
    import time

    from mockai.engine.token_model import corpus_model
    from mockai.engine.tokenizer import ENCODING_NAMES

    directory = cache_dir or default_cache_dir(os.environ)
    if directory is None:
        raise click.ClickException("there is no home directory to keep a cache in: pass --cache-dir DIR")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot create the cache directory {directory}: {exc.strerror}") from None
    if not os.access(directory, os.W_OK):
        raise click.ClickException(f"cannot write to the cache directory {directory}")
    for name in ENCODING_NAMES:
        started = time.perf_counter()
        corpus_model(name, cache_dir=directory)  # fitted and kept, or found there already (then this is a load)
        click.echo(f"{name}: ready ({time.perf_counter() - started:.2f} s)")
    click.echo(f"cache: {directory} (serve with --cache-dir {directory} or MOCKAI_CACHE_DIR if it is not the default)")


def settings_from_options(options: dict[str, object]) -> Settings:
    """Build `Settings` from parsed click options (tuples for repeatable flags)."""
    settings = Settings(**options)  # type: ignore[arg-type]
    if settings.cache_dir is not None:
        return settings
    return settings.with_changes(cache_dir=default_cache_dir(os.environ, settings.data_dir))


def _model_limit(text: str) -> tuple[str, int | None, int | None]:
    """`gpt-4=3:40000` → ("gpt-4", 3, 40000); an empty side keeps the global limit."""
    model, equals, limits = text.partition("=")
    rpm, colon, tpm = limits.partition(":")
    try:
        parsed = [int(value) if value else None for value in (rpm, tpm)]
    except ValueError:
        parsed = [0]
    if not model or not equals or not colon or any(value is not None and value < 1 for value in parsed):
        raise click.BadParameter(f"{text!r}: expected MODEL=RPM:TPM with positive integers, e.g. gpt-4=3:40000")
    return model, parsed[0], parsed[1]


def _checked_rules(path: Path | None) -> Path | None:
    """Refuse a rules file that would not load, naming the rule and the problem, before the server starts."""
    if path is None:
        return None
    import yaml

    from mockai.control.rules import load_rules, load_scenarios
    from mockai.control.scenarios import ScenarioBook

    try:
        rules = load_rules(path)
        scenarios = load_scenarios(path)
    except (ValueError, yaml.YAMLError) as exc:
        raise click.BadParameter(str(exc)) from None
    _check_documents(path, "rule", rules)
    _check_documents(path, "scenario", scenarios)
    for index, scenario in enumerate(scenarios):
        try:
            ScenarioBook().add(scenario)  # a script that is valid JSON may still not compile (two checks in one expect)
        except ValueError as exc:
            raise click.BadParameter(f"{path}: scenario {index}: {exc}") from None
    return path


def _check_documents(path: Path, kind: str, documents: list[dict[str, object]]) -> None:
    from mockai.contract.registry import default_registry

    validator = default_registry().validator(f"mockai/{kind}")
    for index, document in enumerate(documents):
        problems = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
        if problems:
            where = "/".join(str(part) for part in problems[0].absolute_path) or f"({kind})"
            raise click.BadParameter(f"{path}: {kind} {index} at {where}: {problems[0].message}")


def _checked_models(path: Path | None) -> Path | None:
    """Refuse a models file that would not load, naming the entry and the problem, before the server starts."""
    if path is None:
        return None
    import yaml

    from mockai._paths import resource_dir
    from mockai.contract.registry import default_registry
    from mockai.state.catalog import ModelCatalog
    from mockai.state.catalog_document import read_model_file

    try:
        entries = read_model_file(path)
    except (ValueError, yaml.YAMLError) as exc:
        raise click.BadParameter(str(exc)) from None
    validator = default_registry().validator("mockai/models")
    for index, entry in enumerate(entries):
        problems = sorted(validator.iter_errors(entry), key=lambda error: list(error.absolute_path))
        if problems:
            where = "/".join(str(part) for part in problems[0].absolute_path) or "(model)"
            raise click.BadParameter(f"{path}: model {index} at {where}: {problems[0].message}")
    try:
        ModelCatalog.from_file(resource_dir("fixtures") / "models.json", extra=entries)
    except ValueError as exc:
        raise click.BadParameter(f"{path}: {exc}") from None
    return path


def _show_envvars(group: click.Group) -> None:
    """Name every option's environment variable in `--help` (set once here, so options added later get it too)."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _show_envvars(command)
        for param in command.params:
            if isinstance(param, click.Option):
                param.show_envvar = True


_show_envvars(main)
