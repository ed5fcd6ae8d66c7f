"""CPU time to train the corpus token model of each encoding (the suite once asserted cl100k under 1 s).

Run: python bench/bench_token_model.py. Each line is the process CPU time of one fresh training, so a busy host
changes it less than wall time would.
"""

from __future__ import annotations

import time

from mockai.engine import token_model


def main() -> None:
    for encoding in ("r50k_base", "cl100k_base", "o200k_base"):
        started = time.process_time()
        token_model._CorpusModels().get(encoding)  # a fresh cache: nothing reused
        print(f"corpus model {encoding}: {time.process_time() - started:.2f} s CPU")


if __name__ == "__main__":
    main()
