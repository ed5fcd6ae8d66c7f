"""The `mockai` command: parse flags (each also a `MOCKAI_<FLAG>` variable) into `Settings`, and nothing else."""

from __future__ import annotations

from pathlib import Path

import click

from mockai import __version__
from mockai.settings import Settings

LOG_LEVELS = ["critical", "error", "warning", "info", "debug", "trace"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockai")
def main() -> None:
    """An offline, deterministic stand-in for the OpenAI API."""


@main.command()
@click.option("--host", envvar="MOCKAI_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="MOCKAI_PORT", type=click.IntRange(0, 65535), default=8000, show_default=True)
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
    "--log-level",
    envvar="MOCKAI_LOG_LEVEL",
    type=click.Choice(LOG_LEVELS),
    default="warning",
    show_default=True,
)
@click.option("--access-log/--no-access-log", envvar="MOCKAI_ACCESS_LOG", default=False, show_default=True)
@click.option(
    "--time-scale",
    envvar="MOCKAI_TIME_SCALE",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="World seconds per real second (0 freezes the clock).",
)
def serve(**options: object) -> None:
    """Serve the mock API."""
    from mockai.server import run  # keeps `mockai --version` and `--help` instant

    run(settings_from_options(options))


def settings_from_options(options: dict[str, object]) -> Settings:
    """Build `Settings` from parsed click options (tuples for repeatable flags)."""
    return Settings(**options)  # type: ignore[arg-type]
