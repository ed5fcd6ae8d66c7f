"""The server and the CLI load without hypothesis: only `mockai contract` pays for the generators, and only the sync
parses the specs."""

from __future__ import annotations

import subprocess
import sys


def test_serving_and_the_cli_do_not_import_hypothesis() -> None:
    probe = (
        "import sys, mockai.cli, mockai.api.app, mockai.api.openapi; "
        "print(sorted(name for name in ('hypothesis', 'mockai.contract.generate', 'mockai.contract.sync') "
        "if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_serving_does_not_import_pyav_until_speech_asks_for_it() -> None:
    probe = "import sys, mockai.cli, mockai.api.app, mockai.api.routes; print('av' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
