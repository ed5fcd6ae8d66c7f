"""Run a command while holding an exclusive lock on a file: `python tools/locked.py LOCKFILE COMMAND [ARG...]`.

`make serve` and `make test` started together in a fresh clone would both create .venv and run pip in it at the
same moment (ensurepip fails, installs collide). The Makefile runs those steps under this one lock, so the second
waits for the first and then finds the work done. The kernel releases the lock when the process ends, however it
ends, so a killed build never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return subprocess.call(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
