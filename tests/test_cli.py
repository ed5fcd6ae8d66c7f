"""The `mockai` command: flags and `MOCKAI_*` variables reach `Settings`; `mockai serve` really serves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import httpx
import openai
import pytest
from click.testing import CliRunner

from mockai import __version__, cli
from mockai.engine.tokenizer import ENCODING_NAMES
from mockai.settings import Settings


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    seen: list[Settings] = []
    monkeypatch.setattr("mockai.server.run", seen.append)
    return seen


def test_version() -> None:
    result = CliRunner().invoke(cli.main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_flags_become_settings(captured: list[Settings], tmp_path: Path) -> None:
    args = ["serve", "--port", "0", "--seed", "7", "--api-key", "sk-a", "--api-key", "sk-b"]
    args += ["--data-dir", str(tmp_path), "--log-level", "info", "--time-scale", "0", "--storage-limit", "1000"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert captured == [
        Settings(
            port=0,
            seed=7,
            api_keys=("sk-a", "sk-b"),
            data_dir=tmp_path,
            cache_dir=tmp_path / "cache",  # beside the state a --data-dir keeps
            log_level="info",
            time_scale=0.0,
            storage_limit_bytes=1000,
        )
    ]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"XDG_CACHE_HOME": "/var/cache", "HOME": "/home/u"}, Path("/var/cache/mockai")),
        ({"XDG_CACHE_HOME": "", "HOME": "/home/u"}, Path("/home/u/.cache/mockai")),
        ({"XDG_CACHE_HOME": "relative/ignored", "HOME": "/home/u"}, Path("/home/u/.cache/mockai")),
    ],
    ids=["xdg-cache-home", "home-default", "relative-xdg-ignored"],
)
def test_without_a_data_dir_the_cache_follows_xdg(
    captured: list[Settings], env: dict[str, str], expected: Path
) -> None:
    result = CliRunner().invoke(cli.main, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    assert captured[0].cache_dir == expected


def test_a_cache_dir_given_wins_over_the_data_dir_s(captured: list[Settings], tmp_path: Path) -> None:
    args = ["serve", "--data-dir", str(tmp_path / "data"), "--cache-dir", str(tmp_path / "prepared")]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert captured[0].cache_dir == tmp_path / "prepared"


def test_prepare_fills_a_cache_a_server_then_loads_without_fitting(tmp_path: Path) -> None:
    # What an image build runs: afterwards no encoding's first reply fits its model (the fit is made to fail).
    prepared = subprocess.run(
        [sys.executable, "-m", "mockai", "prepare", "--cache-dir", str(tmp_path)], capture_output=True, text=True
    )
    assert prepared.returncode == 0, prepared.stderr
    assert [line.split(":")[0] for line in prepared.stdout.splitlines()[:-1]] == list(ENCODING_NAMES)
    probe = (
        "import sys; from pathlib import Path; from mockai.engine import token_model; "
        "token_model.fit_corpus_model = lambda name: sys.exit(f'fitted {name}'); "
        "[token_model.corpus_model(name, cache_dir=Path(sys.argv[1])) for name in sys.argv[2:]]; print('loaded')"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path), *ENCODING_NAMES], capture_output=True, text=True
    )
    assert (loaded.returncode, loaded.stdout.strip()) == (0, "loaded"), loaded.stderr


def test_prepare_names_a_cache_dir_it_cannot_create(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    result = CliRunner().invoke(cli.main, ["prepare", "--cache-dir", str(tmp_path / "a-file" / "cache")])
    assert result.exit_code == 1
    assert f"cannot create the cache directory {tmp_path / 'a-file' / 'cache'}" in result.output


def test_every_flag_has_a_mockai_variable(captured: list[Settings]) -> None:
    env = {"MOCKAI_PORT": "9", "MOCKAI_SEED": "3", "MOCKAI_API_KEY": "sk-x sk-y", "MOCKAI_HOST": "127.0.0.2"}
    result = CliRunner().invoke(cli.main, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    assert (captured[0].port, captured[0].seed, captured[0].host) == (9, 3, "127.0.0.2")
    assert captured[0].api_keys == ("sk-x", "sk-y")
    serve = cli.main.commands["serve"]  # type: ignore[attr-defined]
    for option in serve.params:
        if option.name != "help":
            assert option.envvar == "MOCKAI_" + option.opts[0].lstrip("-").replace("-", "_").upper()


#: Variables named otherwise than `MOCKAI_<FLAG>`, on purpose.
_NAMED_ON_PURPOSE = {
    # One variable for the upstream cassettes record from, whether `record --upstream` or `serve --record-upstream`.
    ("record", "--upstream"): "MOCKAI_RECORD_UPSTREAM",
    # `--base-url` alone would read like the base URL of mockai itself.
    ("cassettes import-vcr", "--base-url"): "MOCKAI_VCR_BASE_URL",
}


def _options(group: click.Group = cli.main, prefix: str = "") -> list[tuple[str, click.Option]]:
    found: list[tuple[str, click.Option]] = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found += _options(command, f"{path} ")
        found += [(path, p) for p in command.params if isinstance(p, click.Option) and p.name != "help"]
    return found


@pytest.mark.parametrize(("command", "option"), _options(), ids=lambda value: getattr(value, "opts", [value])[0])
def test_every_flag_has_help_that_names_its_variable(command: str, option: click.Option) -> None:
    assert option.help, f"mockai {command} {option.opts[0]} has no help text"
    prefix = "MOCKAI_CONTRACT_" if command == "contract" else "MOCKAI_"
    expected = prefix + option.opts[0].lstrip("-").replace("-", "_").upper()
    assert option.envvar == _NAMED_ON_PURPOSE.get((command, option.opts[0]), expected)
    shown = " ".join(CliRunner().invoke(cli.main, [*command.split(), "--help"]).output.split())  # unwrapped
    assert f"env var: {option.envvar}" in shown


def test_bad_flag_values_are_refused(captured: list[Settings]) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert captured == []


def test_mockai_serve_says_where_it_listens_and_answers_the_sdk(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "mockai", "serve", "--port", "0", "--seed", "3", "--data-dir", str(tmp_path)]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        line = process.stderr.readline()  # printed once start-up is done, at the default log level; no sleeping
        match = re.search(r"mockai listening on (http://127\.0\.0\.1:(\d+)) \((.*)\); journal page: (\S+)$", line)
        assert match, line
        base_url, port, details, page = match.groups()
        assert int(port) > 0 and page == f"{base_url}/_mockai/ui"
        assert details == f"seed 3, data dir: {tmp_path}, auth: any key, admin token: off"
        with openai.OpenAI(
            base_url=f"{base_url}/v1", api_key="sk-anything", _strict_response_validation=True
        ) as client:
            assert any(model.id == "gpt-3.5-turbo" for model in client.models.list())
        assert httpx.get(f"{base_url}/_mockai/health").json()["status"] == "ok"
        process.terminate()


def test_the_catalog_flags_reach_the_settings(captured: list[Settings], tmp_path: Path) -> None:
    models = tmp_path / "models.yaml"
    models.write_text("- {id: acme-chat, like: gpt-4o-mini}\n", encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["serve", "--models", str(models), "--strict-models"])
    assert result.exit_code == 0, result.output
    assert (captured[0].models_file, captured[0].strict_models) == (models, True)
    result = CliRunner().invoke(cli.main, ["serve"], env={"MOCKAI_MODELS": str(models), "MOCKAI_STRICT_MODELS": "1"})
    assert (captured[1].models_file, captured[1].strict_models) == (models, True)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("- {id: acme, endpoints: [chat], context_window: big}\n", "model 0 at context_window: 'big' is not of type"),
        ("- {id: gpt-4o}\n- {id: acme, like: gpt-99}\n", "'like' names 'gpt-99', which is not in the catalog"),
        ("- {id: acme}\n", "give its 'endpoints', or a 'like' model to copy"),
        ("id: acme\n", "expected a list of models"),
    ],
    ids=["schema", "unknown-like", "no-endpoints", "not-a-list"],
)
def test_a_models_file_that_cannot_load_is_refused_before_serving(
    captured: list[Settings], tmp_path: Path, content: str, problem: str
) -> None:
    models = tmp_path / "models.yaml"
    models.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["serve", "--models", str(models)])
    assert result.exit_code == 2 and captured == []
    assert problem in " ".join(result.output.split())
