#!/usr/bin/env bash
# Stop the server start.sh started in this job (SIGTERM, then SIGKILL after 10 s) and print its log.
# Composite actions cannot declare a post step, so this is a step of its own; without it the runner ends the
# server with the job's other leftover processes.
#   MOCKAI_ACTION_STATE_DIR  where start.sh left the pid file and log (default $RUNNER_TEMP)
set -euo pipefail

state="${MOCKAI_ACTION_STATE_DIR:-${RUNNER_TEMP:-/tmp}}"
pid_file="$state/mockai.pid"
log="$state/mockai.log"

if [[ ! -f "$pid_file" ]]; then
    echo "mockai: no server was started by this action in this job; nothing to stop"
    exit 0
fi
pid="$(cat "$pid_file")"
if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pid_file"
echo "::group::mockai log"
cat "$log"
echo "::endgroup::"
