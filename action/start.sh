#!/usr/bin/env bash
# Start `mockai serve` in the background, wait (bounded) for /_mockai/health, and export where it is.
#   MOCKAI_ACTION_BIN           the mockai command (default: the one install.sh put in the state dir)
#   MOCKAI_ACTION_ARGS          extra flags, shell-quoted (default none)
#   MOCKAI_ACTION_PORT          loopback port (default 8000)
#   MOCKAI_ACTION_API_KEY       the key exported as OPENAI_API_KEY (default sk-mockai)
#   MOCKAI_ACTION_WAIT_SECONDS  how long to wait for health (default 60)
#   MOCKAI_ACTION_STATE_DIR     where the pid file and log go (default $RUNNER_TEMP)
# Writes OPENAI_BASE_URL, OPENAI_API_BASE (the 0.28 SDK), OPENAI_API_KEY and MOCKAI_BASE_URL to $GITHUB_ENV, and
# base-url, pid and log-file to $GITHUB_OUTPUT. A server that exits or stays silent fails the step with its log.
set -euo pipefail

state="${MOCKAI_ACTION_STATE_DIR:-${RUNNER_TEMP:-/tmp}}"
bin="${MOCKAI_ACTION_BIN:-$state/mockai-venv/bin/mockai}"
port="${MOCKAI_ACTION_PORT:-8000}"
key="${MOCKAI_ACTION_API_KEY:-sk-mockai}"
wait_seconds="${MOCKAI_ACTION_WAIT_SECONDS:-60}"
log="$state/mockai.log"
pid_file="$state/mockai.pid"
base="http://127.0.0.1:$port"

# Split the flags as a shell would (quotes honoured), without ever evaluating them; bash 3.2 (macOS) has no mapfile.
# Through a file, so that unbalanced quotes fail the step here (set -e) instead of starting without the flags.
mkdir -p "$state"
python3 -c 'import shlex, sys; sys.stdout.write("".join(a + "\0" for a in shlex.split(sys.argv[1])))' \
    "${MOCKAI_ACTION_ARGS:-}" >"$state/mockai.args"
args=()
while IFS= read -r -d '' arg; do
    args+=("$arg")
done <"$state/mockai.args"

nohup "$bin" serve --host 127.0.0.1 --port "$port" ${args[@]+"${args[@]}"} >"$log" 2>&1 &
pid=$!
echo "$pid" >"$pid_file"

fail() {
    echo "::error title=mockai did not start::$1"
    echo "--- mockai log ($log) ---"
    cat "$log"
    kill "$pid" 2>/dev/null || true
    rm -f "$pid_file"
    exit 1
}

deadline=$((SECONDS + wait_seconds))
until curl --silent --fail --max-time 2 --output /dev/null "$base/_mockai/health"; do
    kill -0 "$pid" 2>/dev/null || fail "mockai serve exited before answering $base/_mockai/health"
    ((SECONDS < deadline)) || fail "mockai serve did not answer $base/_mockai/health within ${wait_seconds}s"
    sleep 0.2
done

{
    echo "OPENAI_BASE_URL=$base/v1"
    echo "OPENAI_API_BASE=$base/v1"
    echo "OPENAI_API_KEY=$key"
    echo "MOCKAI_BASE_URL=$base"
} >>"${GITHUB_ENV:?GITHUB_ENV must name the file the runner reads variables from}"
{
    echo "base-url=$base"
    echo "pid=$pid"
    echo "log-file=$log"
} >>"${GITHUB_OUTPUT:-/dev/null}"
head -n 1 "$log"
