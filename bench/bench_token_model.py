"""CPU time to fit the corpus token model of each encoding from nothing: a first reply on a machine without a cache.

Run: `.venv/bin/python bench/bench_token_model.py [--rounds 5]`. Every measurement runs in a fresh interpreter (so no
memo of an earlier fit is reused) and reads process CPU time, which a busy host changes less than wall time but still
inflates (a shared core runs slower), so each encoding prints the least over the rounds of:

- `fit`: the whole cold fit as a server pays it (`corpus_model` without a cache directory), the encoding's rank table
  already loaded;
- its parts, each timed alone in another fresh interpreter: `encode` (read the corpus, encode its answers),
  `index` (the BM25F retrieval index, `AnswerIndex`), `ngram` (the packed n-gram table, `PackedNgramTable`); what
  `fit` spends beyond them (the model's scripts, frequent tokens and word heads) is `rest`, a difference of separate
  runs that a busy host can even push below zero.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

ENCODINGS = ("r50k_base", "p50k_base", "cl100k_base", "o200k_base")

# Run in the child: prints one JSON object of CPU seconds. Garbage collection is off, as `fit_cache` keeps it while
# fitting.
_CHILD = """
import gc, json, sys, time
from mockai.engine.tokenizer import get_encoding

encoding_name, what = sys.argv[1], sys.argv[2]
encoding = get_encoding(encoding_name)
gc.disable()
clock = time.process_time
if what == "fit":
    from mockai.engine.token_model import corpus_model

    started = clock()
    corpus_model(encoding_name)
    print(json.dumps({"fit": clock() - started}))
else:
    from mockai.engine.chat_format import ASSISTANT_OPENER
    from mockai.engine.corpus import read_corpus
    from mockai.engine.ngram import PackedNgramTable
    from mockai.engine.retrieval import AnswerIndex
    from mockai.engine.token_model import NGRAM_CANDIDATES

    started = clock()
    pairs = read_corpus()
    opener = encoding.encode(ASSISTANT_OPENER, disallowed_special=())
    documents = [[*opener, *encoding.encode_ordinary(pair.answer), encoding.eot_token] for pair in pairs]
    encoded = clock()
    AnswerIndex((pair.questions, pair.answer) for pair in pairs)
    indexed = clock()
    PackedNgramTable.from_documents(documents, 4, NGRAM_CANDIDATES)
    counted = clock()
    print(json.dumps({"encode": encoded - started, "index": indexed - encoded, "ngram": counted - indexed}))
"""


def measure(encoding: str, what: str) -> dict[str, float]:
    found = subprocess.run(
        [sys.executable, "-c", _CHILD, encoding, what], check=True, capture_output=True, text=True
    ).stdout
    times: dict[str, float] = json.loads(found)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh interpreters per measurement (least shown)")
    args = parser.parse_args()
    for encoding in ENCODINGS:
        runs = [measure(encoding, "fit") | measure(encoding, "parts") for _ in range(args.rounds)]
        least = {part: min(run[part] for run in runs) for part in runs[0]}
        rest = least["fit"] - least["encode"] - least["index"] - least["ngram"]
        print(
            f"corpus model {encoding:<12} fit {least['fit']:.2f} s CPU = encode {least['encode']:.2f}"
            f" + index {least['index']:.2f} + ngram {least['ngram']:.2f} + rest {rest:.2f}"
        )


if __name__ == "__main__":
    main()
