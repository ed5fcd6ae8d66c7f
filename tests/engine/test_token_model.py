"""Tests for the n-gram token model: training, candidates, prompt conditioning and fine-tune adaptation."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.chat_format import render_chat_prompt
from mockai.engine.corpus import corpus_files, read_corpus
from mockai.engine.generate import GenerationRun, NextTokenModel
from mockai.engine.prompting import PromptedModel
from mockai.engine.sampler import SamplingParams
from mockai.engine.scripts import LATIN, NEUTRAL, NON_ASCII, UNFINISHED, encoding_script
from mockai.engine.token_model import TokenModel, corpus_model
from mockai.engine.tokenizer import get_encoding

ENCODING = get_encoding("cl100k_base")
END = ENCODING.eot_token
MODEL = corpus_model("cl100k_base")


def _chat_ids(*contents: str) -> list[int]:
    roles = ["user", "assistant"]
    messages = [{"role": roles[index % 2], "content": content} for index, content in enumerate(contents)]
    return ENCODING.encode(render_chat_prompt(messages), disallowed_special=())


def _reply(model: NextTokenModel, prompt: list[int], seed: int, *, temperature: float = 1.0, limit: int = 60) -> str:
    run = GenerationRun(
        model,
        prompt,
        SamplingParams(temperature=temperature),
        random.Random(seed),
        encoding=ENCODING,
        max_tokens=limit,
        end_token=END,
    )
    for _ in run:
        pass
    return run.text


def _cjk_share(text: str) -> float:
    letters = [char for char in text if char.isalpha()]
    return sum("\u4e00" <= char <= "\u9fff" for char in letters) / max(len(letters), 1)


def test_corpus_model_is_cached_per_encoding() -> None:
    assert corpus_model("cl100k_base") is MODEL
    assert corpus_model("r50k_base") is not MODEL


def test_train_rejects_an_order_below_one() -> None:
    with pytest.raises(ValueError, match="order=0"):
        TokenModel.train([[1, 2, 3]], end_token=3, order=0)


def test_candidates_are_few_finite_and_never_markup() -> None:
    for context in (_chat_ids("Hello!"), ENCODING.encode("The weather"), []):
        logits = MODEL.next_token_logits(context)
        assert 0 < len(logits) <= 64
        assert all(math.isfinite(score) for score in logits.values())
        assert not set(logits) & MODEL.markup_tokens


def test_candidate_probabilities_are_a_sub_distribution() -> None:
    logits = MODEL.next_token_logits(ENCODING.encode("If you forgot your wallet"))
    assert sum(math.exp(score) for score in logits.values()) <= 1.0 + 1e-9


def test_the_likely_continuation_wins() -> None:
    logits = MODEL.next_token_logits(ENCODING.encode("If you forgot your"))
    assert max(logits, key=logits.__getitem__) == ENCODING.encode(" wallet")[0]


def test_the_end_token_is_likely_where_a_document_ended() -> None:
    paragraph = "Thank you. I am glad that helped."
    document = ENCODING.encode(paragraph)
    model = TokenModel.train([[*document, END]] * 3, end_token=END)
    logits = model.next_token_logits(document)
    assert max(logits, key=logits.__getitem__) == END


def test_a_tiny_model_learns_its_documents() -> None:
    model = TokenModel.train([[1, 2, 3, 9], [1, 2, 4, 9], [1, 2, 3, 9]], end_token=9, order=3)
    logits = model.next_token_logits([1, 2])
    assert logits[3] > logits[4] > logits.get(1, -math.inf)


def test_different_prompts_give_different_replies() -> None:
    prompts = [_chat_ids("I forgot my wallet"), _chat_ids("How do I learn Python?"), _chat_ids("你是什么引擎")]
    replies = {_reply(MODEL.for_prompt(prompt), prompt, seed=3) for prompt in prompts}
    assert len(replies) == 3


def test_earlier_turns_change_the_reply() -> None:
    first = _chat_ids("It rained and I had no umbrella.", "You probably got wet.", "What now?")
    second = _chat_ids("My Python program crashes.", "Read the error message.", "What now?")
    assert _reply(MODEL.for_prompt(first), first, seed=5) != _reply(MODEL.for_prompt(second), second, seed=5)


@pytest.mark.parametrize(
    ("topic", "unrelated"),
    [
        ("It is raining hard. Should I take an umbrella?", "How do I write a function in Python?"),
        ("下雨了，我的伞丢了怎么办", "怎样准备考试"),
    ],
    ids=["umbrella", "伞"],
)
def test_replies_share_more_tokens_with_their_own_prompt(topic: str, unrelated: str) -> None:
    topic_ids, unrelated_ids = _chat_ids(topic), _chat_ids(unrelated)
    topic_tokens = set(ENCODING.encode(topic))
    shared_on_topic = shared_off_topic = 0
    for seed in range(8):
        shared_on_topic += len(
            topic_tokens & set(ENCODING.encode(_reply(MODEL.for_prompt(topic_ids), topic_ids, seed)))
        )
        off = _reply(MODEL.for_prompt(unrelated_ids), unrelated_ids, seed)
        shared_off_topic += len(topic_tokens & set(ENCODING.encode(off)))
    assert shared_on_topic > shared_off_topic


def test_a_chinese_prompt_gets_a_mostly_chinese_reply_and_english_an_english_one() -> None:
    chinese, english = _chat_ids("昨天下雨了,我出门没带伞,会怎么样"), _chat_ids("What should I eat for lunch?")
    chinese_replies = "".join(_reply(MODEL.for_prompt(chinese), chinese, seed) for seed in range(5))
    english_replies = "".join(_reply(MODEL.for_prompt(english), english, seed) for seed in range(5))
    assert _cjk_share(chinese_replies) > 0.8
    assert _cjk_share(english_replies) < 0.2


def _fine_tune_documents() -> list[tuple[list[int], str]]:
    pairs = [
        ("What is the capital of Zorbia?", "The capital of Zorbia is Quillton, famous for its purple bridges."),
        ("Tell me a secret code.", "The secret code is marmalade seventeen."),
        ("昨天下雨了,我出门没带伞,会怎么样", "您会被淋湿，记得回家喝一杯热姜茶。"),
    ]
    return [(_chat_ids(question), answer) for question, answer in pairs]


@pytest.mark.parametrize("prompted", [False, True], ids=["plain", "prompted"])
def test_an_adapted_model_reproduces_its_training_completions_at_temperature_zero(prompted: bool) -> None:
    examples = _fine_tune_documents()
    tuned = MODEL.adapted([[*prompt, *ENCODING.encode(answer), END] for prompt, answer in examples])
    for prompt, answer in examples:
        model: NextTokenModel = tuned.for_prompt(prompt) if prompted else tuned
        assert _reply(model, prompt, seed=0, temperature=0.0) == answer


def test_adapting_keeps_earlier_documents_and_leaves_the_base_unchanged() -> None:
    (first_prompt, first_answer), (second_prompt, second_answer), _ = _fine_tune_documents()
    once = MODEL.adapted([[*first_prompt, *ENCODING.encode(first_answer), END]])
    twice = once.adapted([[*second_prompt, *ENCODING.encode(second_answer), END]])
    assert _reply(twice, first_prompt, seed=0, temperature=0.0) == first_answer
    assert _reply(twice, second_prompt, seed=0, temperature=0.0) == second_answer
    assert _reply(MODEL, first_prompt, seed=0, temperature=0.0) != first_answer


def test_evaluate_reports_lower_loss_and_higher_accuracy_after_adaptation() -> None:
    documents: list[Sequence[int]] = [
        [*prompt, *ENCODING.encode(answer), END] for prompt, answer in _fine_tune_documents()
    ]
    loss_before, accuracy_before = MODEL.evaluate(documents)
    loss_after, accuracy_after = MODEL.adapted(documents).evaluate(documents)
    assert loss_after < loss_before / 2
    assert accuracy_after > accuracy_before
    assert 0.0 <= accuracy_before <= 1.0 and 0.0 <= accuracy_after <= 1.0


def test_evaluate_needs_something_to_predict() -> None:
    with pytest.raises(ValueError, match="two or more tokens"):
        MODEL.evaluate([[1]])


@pytest.mark.parametrize("name", ["r50k_base", "p50k_base", "o200k_base"])
def test_every_encoding_has_a_working_corpus_model(name: str) -> None:
    encoding, model = get_encoding(name), corpus_model(name)
    prompt = encoding.encode("If it rains, take an")
    run = GenerationRun(
        model.for_prompt(prompt),
        prompt,
        SamplingParams(),
        random.Random(1),
        encoding=encoding,
        max_tokens=20,
        end_token=encoding.eot_token,
    )
    assert len(list(run)) == run.completion_tokens > 0


def test_tokens_are_classified_by_script() -> None:
    script = encoding_script(ENCODING)
    assert script(ENCODING.encode(" umbrella")[0]) == LATIN
    assert script(ENCODING.encode("下雨")[0]) == NON_ASCII
    assert script(ENCODING.encode(" 42")[0]) == NEUTRAL
    assert script(ENCODING.eot_token) == NEUTRAL
    r50k = get_encoding("r50k_base")
    head, *_ = r50k.encode("伞")  # r50k spells 伞 in byte tokens; the first stops inside the character
    assert encoding_script(r50k)(head) == UNFINISHED


def test_an_unfinished_character_only_takes_continuations_seen_after_it() -> None:
    r50k, model = get_encoding("r50k_base"), corpus_model("r50k_base")
    context = r50k.encode("如果您在下雨天出门时带了")
    head = r50k.encode("伞")[0]
    logits = model.next_token_logits([*context, head])
    assert r50k.encode("伞")[1] in logits
    assert all(0x80 <= r50k.decode_single_token_bytes(token)[0] <= 0xBF for token in logits)


@pytest.mark.parametrize("seed", range(6))
def test_every_reply_keeps_to_the_prompts_script(seed: int) -> None:
    chinese, english = _chat_ids("你是什么引擎"), _chat_ids("I forgot my wallet, how can I buy lunch?")
    assert _cjk_share(_reply(MODEL.for_prompt(chinese), chinese, seed)) > 0.9
    assert _cjk_share(_reply(MODEL.for_prompt(english), english, seed)) < 0.1


def test_memoised_prompted_distributions_equal_fresh_ones_and_are_copies() -> None:
    prompt = _chat_ids("Will it rain tomorrow?")
    assert MODEL.for_prompt(prompt) is MODEL.for_prompt(list(prompt))
    context = [*prompt, *ENCODING.encode("If it rains")]
    first = MODEL.for_prompt(prompt).next_token_logits(context)
    first.clear()
    fresh = PromptedModel(MODEL, prompt).next_token_logits(context)
    assert MODEL.for_prompt(prompt).next_token_logits(context) == fresh != {}


def test_the_corpus_holds_100k_tokens_of_question_answer_pairs_in_both_languages() -> None:
    counts = {"en": 0, "zh": 0}
    for path in corpus_files():
        counts[path.parent.name] += len(ENCODING.encode(path.read_text(encoding="utf-8")))
    assert sum(counts.values()) >= 100_000 and min(counts.values()) >= 30_000
    pairs = read_corpus()
    assert len(pairs) > 800 and all(pair.questions and pair.answer for pair in pairs)


def test_an_empty_prompt_still_generates() -> None:
    assert MODEL.for_prompt([]).next_token_logits([])
    run = GenerationRun(
        MODEL.for_prompt([]), [], SamplingParams(), random.Random(1), encoding=ENCODING, max_tokens=8, end_token=END
    )
    assert len(list(run)) == run.completion_tokens and run.finish_reason is not None


_IDS = st.lists(st.one_of(st.integers(min_value=0, max_value=100_255), st.sampled_from(sorted(MODEL.markup_tokens))))


@given(prompt=_IDS, generated=_IDS)
def test_any_prompt_and_context_give_finite_candidates(prompt: list[int], generated: list[int]) -> None:
    logits = MODEL.for_prompt(prompt).next_token_logits([*prompt, *generated])
    assert 0 < len(logits) <= 64
    assert all(math.isfinite(score) and score <= 0.0 for score in logits.values())


@given(documents=st.lists(_IDS, max_size=4), probe=st.lists(st.integers(0, 100_255), min_size=2, max_size=30))
def test_any_adaptation_gives_finite_scores_and_metrics(documents: list[list[int]], probe: list[int]) -> None:
    tuned = MODEL.adapted(documents)
    loss, accuracy = tuned.evaluate([[*probe, END]])
    assert math.isfinite(loss) and loss >= 0.0 and 0.0 <= accuracy <= 1.0
    logits = tuned.for_prompt(probe).next_token_logits(probe)
    assert logits and all(math.isfinite(score) for score in logits.values())


def test_a_message_opening_word_is_never_glued_into_the_reply() -> None:
    encoding = get_encoding("cl100k_base")
    prompt = encoding.encode(render_chat_prompt([{"role": "user", "content": "Hello!"}]), disallowed_special=())
    prompted = corpus_model("cl100k_base").for_prompt(prompt)
    for seed in range(12):
        run = GenerationRun(
            prompted,
            prompt,
            SamplingParams(),
            random.Random(seed),
            encoding=encoding,
            max_tokens=60,
            end_token=encoding.eot_token,
        )
        list(run)
        assert re.search(r"[A-Za-z]Hello", run.text) is None  # only ever as a word of its own
