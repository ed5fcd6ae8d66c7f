"""The token-model trainer really fits: losses fall once examples are seen, and the adapted model recites them."""

from __future__ import annotations

from collections.abc import Sequence

from mockai.engine.tokenizer import get_encoding
from mockai.state.jsonl import DataFormat
from mockai.state.training import TokenModelTrainer, TrainingRequest, training_documents

EXAMPLES = tuple(
    {"prompt": f"Favourite colour of robot {name} ->", "completion": f" {colour}, always {colour}.\n"}
    for name, colour in [("Ada", "teal"), ("Bo", "amber"), ("Cy", "violet"), ("Di", "crimson")]
)


def greedy(model: object, prompt: Sequence[int], end: int, limit: int = 20) -> list[int]:
    tokens = list(prompt)
    for _ in range(limit):
        logits = model.next_token_logits(tokens)  # type: ignore[attr-defined]
        best = max(logits, key=lambda t: (logits[t], -t))
        if best == end:
            break
        tokens.append(best)
    return tokens[len(prompt) :]


def test_fitting_lowers_the_loss_after_the_first_epoch() -> None:
    request = TrainingRequest("r50k_base", DataFormat.PROMPT_COMPLETION, EXAMPLES, 3, 1, seed=4)
    report = TokenModelTrainer().fit(request)
    assert report.steps_per_epoch == 4 and len(report.rows) == 12
    first, last = report.rows[:4], report.rows[-4:]
    assert sum(r.training_loss for r in last) < sum(r.training_loss for r in first) / 2
    assert min(r.training_token_accuracy for r in last) > max(r.training_token_accuracy for r in first)
    assert report.rows[-1].elapsed_examples == 12
    assert report.trained_tokens == 3 * sum(
        len(d) for d in training_documents("r50k_base", request.data_format, EXAMPLES)
    )


def test_the_adapted_model_recites_a_training_completion_at_temperature_zero() -> None:
    encoding = get_encoding("r50k_base")
    model = TokenModelTrainer().adapt("r50k_base", DataFormat.PROMPT_COMPLETION, EXAMPLES)
    prompt = encoding.encode(EXAMPLES[2]["prompt"])
    assert encoding.decode(greedy(model, prompt, encoding.eot_token)) == EXAMPLES[2]["completion"]


def test_chat_examples_become_one_document_per_assistant_turn() -> None:
    example = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Bye"},
            {"role": "assistant", "content": "Goodbye."},
        ]
    }
    docs = training_documents("cl100k_base", DataFormat.CHAT, [example])
    encoding = get_encoding("cl100k_base")
    assert len(docs) == 2 and all(doc[-1] == encoding.eot_token for doc in docs)
    assert encoding.decode(docs[1][:-1]).endswith("Goodbye.")
