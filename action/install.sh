#!/usr/bin/env bash
# Install mockai from a checkout (the action's own: the ref named in `uses: <owner>/mockai@<ref>`) into a private
# venv, so it neither needs nor disturbs the job's Python packages.
#   MOCKAI_ACTION_SOURCE     the checkout to install (required)
#   MOCKAI_ACTION_PYTHON     the interpreter that creates the venv (default python3)
#   MOCKAI_ACTION_STATE_DIR  where the venv, pid file and log go (default $RUNNER_TEMP)
set -euo pipefail

source_dir="${MOCKAI_ACTION_SOURCE:?MOCKAI_ACTION_SOURCE must name the checkout to install}"
python="${MOCKAI_ACTION_PYTHON:-python3}"
state="${MOCKAI_ACTION_STATE_DIR:-${RUNNER_TEMP:-/tmp}}"
venv="$state/mockai-venv"

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$source_dir"
"$venv/bin/mockai" --version
