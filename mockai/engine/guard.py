"""Keeping a reply well formed while it is sampled: no repetition loops, and an end only where a reply can end.

A small n-gram model falls into loops ("往往往往…") and stops mid-word when its backed-off end token comes up. The
`ReplyGuard` adjusts the candidate scores before each draw, the way the documented penalties do (a score is lowered
before temperature and top_p, so logprobs describe what was really sampled):

- **Loops.** A token that would complete a third consecutive copy of the reply's last few tokens (period up to the
  repeat window) is removed; a token that would extend a repetition of an earlier stretch beyond `FREE_REPEAT` tokens
  loses `REPEAT_PENALTY` nats per extra token: a frequency penalty on whole phrases rather than single tokens.
- **Ends.** The end token is kept only where the reply's text ends naturally (after `.`, `?`, `!`, `。`, a closing
  quote or bracket after them, a line break or a code fence), when it is the model's own first choice, or when it is
  all a refused loop leaves.
- **Length.** Past `SOFT_LIMIT` tokens, or once a loop was stopped, the end token is offered at every natural end with
  a bonus that grows with the length, the way a positive `logit_bias` would be: the reply finishes its sentence and
  stops, with `finish_reason: "stop"`.

Tokens the caller named in `logit_bias` are left alone: an explicit bias is the caller's decision.

>>> guard = ReplyGuard(lambda token: {1: b"ha", 2: b".", 3: b"!"}.get(token, b""), end_token=0)
>>> for token in (1, 1):
...     guard.advance(token)
>>> sorted(guard.adjust({0: -1.0, 1: -0.1, 2: -2.0}))  # a third "ha" and an end mid-sentence are both refused
[2]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mockai.engine.scripts import ends_inside_a_character

__all__ = ["FREE_REPEAT", "REPEAT_PENALTY", "SOFT_LIMIT", "WIND_DOWN_STEP", "ReplyGuard", "natural_end"]

FREE_REPEAT = 6  # tokens of an earlier stretch a reply may repeat freely ("of the day", "如果您")
REPEAT_PENALTY = 1.5  # nats per token of repetition beyond that
SOFT_LIMIT = 160  # tokens: about the longest corpus answer; beyond it the reply winds down
WIND_DOWN_STEP = 0.1  # nats of end bonus per token past the soft limit ...
WIND_DOWN_MAX = 8.0  # ... up to this
LOOP_WIND_DOWN = 4.0  # end bonus once a loop had to be stopped
_WINDOW = 512  # tokens back that repetition is looked for in
_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？", "…", "```")
_CLOSERS = "\"')]}”’」』）*"


def natural_end(text: str) -> bool:
    """Whether a reply may end after `text`: after a sentence, a line or a code fence, never mid-word."""
    if text.endswith("\n"):
        return bool(text.strip())
    return text.rstrip(" \t").rstrip(_CLOSERS).endswith(_SENTENCE_ENDS)


class ReplyGuard:
    """Per-reply state: `adjust` the candidate scores before each draw, `advance` with each sampled token."""

    def __init__(
        self, token_bytes: Callable[[int], bytes], end_token: int, exempt: frozenset[int] = frozenset()
    ) -> None:
        self._token_bytes = token_bytes
        self._end = end_token
        self._exempt = exempt
        self._reply: list[int] = []
        self._positions: dict[int, list[int]] = {}
        # j → length of the longest common suffix of reply[:j] and the whole reply (only j where it is ≥ 1): where
        # the reply's recent tokens occurred before, and for how long they match there.
        self._matches: dict[int, int] = {}
        self._tail = b""  # the reply's last bytes, to tell whether its text ends naturally
        self._natural = False  # whether the reply so far may end here (see `natural_end`)
        self._winding = False

    def advance(self, token: int) -> None:
        """Record the sampled token."""
        position = len(self._reply)
        earlier = self._positions.setdefault(token, [])
        self._matches = {start + 1: self._matches.get(start, 0) + 1 for start in earlier}
        earlier.append(position)
        if len(earlier) > 1 and earlier[0] < position - _WINDOW:
            earlier.pop(0)
        self._reply.append(token)
        self._tail = (self._tail + self._token_bytes(token))[-24:]
        self._natural = not ends_inside_a_character(self._tail) and natural_end(
            self._tail.decode("utf-8", errors="ignore")
        )  # the end never splits a character

    def adjust(self, logits: Mapping[int, float]) -> dict[int, float]:
        """The scores with loops refused, unnatural ends removed and, when it is time, the end encouraged."""
        scores = dict(logits)
        best = max(scores, key=scores.__getitem__) if scores else None
        stopped = self._stop_loops(scores)
        if best is not None and best in stopped:
            self._winding = True
        natural = self._natural
        unwanted_end = not natural and best != self._end and self._end not in self._exempt
        if self._end in scores and unwanted_end and len(scores) > 1:  # ending beats looping when nothing else is left
            del scores[self._end]
        bonus = self._end_bonus()
        if natural and bonus > 0.0 and self._end not in self._exempt and scores:
            # Like a positive logit_bias on a token outside the candidates: it enters at the weakest score.
            scores[self._end] = scores.get(self._end, min(scores.values())) + bonus
        return scores or dict(logits)

    def _stop_loops(self, scores: dict[int, float]) -> set[int]:
        """Remove or penalise candidates that continue a repetition; return the tokens touched."""
        banned: set[int] = set()
        penalties: dict[int, float] = {}
        length = len(self._reply)
        for start, matched in self._matches.items():
            token = self._reply[start]
            if token not in scores or token in self._exempt:
                continue
            if matched + 1 >= 2 * (length - start):  # would complete a third copy of the last (length - start) tokens
                banned.add(token)
            elif matched + 1 > FREE_REPEAT:
                penalty = REPEAT_PENALTY * (matched + 1 - FREE_REPEAT)
                penalties[token] = max(penalties.get(token, 0.0), penalty)
        if len(banned) >= len(scores):
            banned = set()  # never leave nothing to sample
        for token in banned:
            del scores[token]
        for token, penalty in penalties.items():
            if token in scores:
                scores[token] -= penalty
        return banned | penalties.keys()

    def _end_bonus(self) -> float:
        over = len(self._reply) - SOFT_LIMIT
        bonus = min(WIND_DOWN_STEP * over, WIND_DOWN_MAX) if over >= 0 else 0.0
        return max(bonus, LOOP_WIND_DOWN) if self._winding else bonus
