"""Scoring a prompt's own tokens (what `echo` + `logprobs` reports): causal, real, led by the greedy token."""

from __future__ import annotations

import math
import random

from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.generate import token_display
from mockai.engine.sampler import SamplingParams, sample_next_token
from mockai.engine.scoring import score_prompt
from mockai.engine.token_model import corpus_model
from mockai.engine.tokenizer import get_encoding

ENCODING = get_encoding("cl100k_base")
MODEL = corpus_model("cl100k_base")
WORDS = ["If", " you", " forgot", " your", " wallet", " the", " weather", " is", " sunny", "。", "你好", " 世界", "!"]
TEXTS = st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map("".join),
    st.text(min_size=1, max_size=40),
)


@given(TEXTS, st.integers(min_value=0, max_value=5))
def test_prompt_logprobs_are_finite_non_positive_and_led_by_the_greedy_token(text: str, top: int) -> None:
    ids = ENCODING.encode(text, disallowed_special=())
    scored = score_prompt(MODEL, ids, ENCODING, top=top)
    assert len(scored) == len(ids)
    assert scored[0].logprob is None and scored[0].top_logprobs is None
    for position, token in enumerate(scored[1:], start=1):
        assert token.logprob is not None and math.isfinite(token.logprob) and token.logprob <= 0.0
        assert token.top_logprobs is not None and len(token.top_logprobs) <= top
        assert all(math.isfinite(value) and value <= 0.0 for value in token.top_logprobs.values())
        if top:
            greedy = sample_next_token(
                MODEL.next_token_logits(ids[:position]), {}, SamplingParams(temperature=0), random.Random(0)
            ).token
            best = max(token.top_logprobs.values())
            first, value = next(iter(token.top_logprobs.items()))
            assert first == token_display(ENCODING.decode_single_token_bytes(greedy)) and value == best


@given(TEXTS)
def test_tokens_and_offsets_rebuild_the_prompt(text: str) -> None:
    ids = ENCODING.encode(text, disallowed_special=())
    scored = score_prompt(MODEL, ids, ENCODING, top=0)
    assert [token.text_offset for token in scored] == sorted(token.text_offset for token in scored)
    assert scored[0].text_offset == 0
    if all(not token.token.startswith("bytes:") for token in scored):
        assert "".join(token.token for token in scored) == text
        assert all(text[token.text_offset :].startswith(token.token) for token in scored)


def test_a_token_the_model_expects_scores_higher_than_one_it_does_not() -> None:
    natural = score_prompt(MODEL, ENCODING.encode("If you forgot your wallet"), ENCODING, top=1)
    odd = score_prompt(MODEL, ENCODING.encode("If you forgot your sunny"), ENCODING, top=1)
    assert natural[-1].token == " wallet" and natural[-1].top_logprobs == {" wallet": natural[-1].logprob}
    assert natural[-1].logprob is not None and odd[-1].logprob is not None
    assert natural[-1].logprob > odd[-1].logprob + 2.0


def test_a_score_sees_only_the_tokens_before_it() -> None:
    short = score_prompt(MODEL, ENCODING.encode("If you forgot"), ENCODING, top=2)
    longer = score_prompt(MODEL, ENCODING.encode("If you forgot your wallet"), ENCODING, top=2)
    assert longer[: len(short)] == short
