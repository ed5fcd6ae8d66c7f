"""`POST /v1/completions` with `echo` and `logprobs`: the prompt's own tokens scored, as people use it to rate a text.

The real API sends `null` as the first prompt token's logprob and top alternatives; the strict SDK's types
(`List[float]`, `List[Dict[str, float]]`) refuse that, so these tests read the body with httpx or a lax client.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import openai

from mockai.engine.tokenizer import get_encoding

PROMPT = "If you forgot your wallet, go back home."
CL100K = get_encoding("cl100k_base")


def complete(http: httpx.Client, **body: Any) -> dict[str, Any]:
    response = http.post("/v1/completions", json={"model": "davinci-002", "prompt": PROMPT, **body})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_max_tokens_0_scores_the_prompt(http: httpx.Client) -> None:
    body = complete(http, max_tokens=0, echo=True, logprobs=1)
    choice = body["choices"][0]
    assert choice["text"] == PROMPT and choice["finish_reason"] == "length"
    assert body["usage"] == {"prompt_tokens": len(CL100K.encode(PROMPT)), "completion_tokens": 0,
                             "total_tokens": len(CL100K.encode(PROMPT))}  # fmt: skip
    logprobs = choice["logprobs"]
    assert logprobs["tokens"] == [CL100K.decode([token]) for token in CL100K.encode(PROMPT)]
    assert logprobs["token_logprobs"][0] is None and logprobs["top_logprobs"][0] is None
    assert all(math.isfinite(value) and value <= 0 for value in logprobs["token_logprobs"][1:])
    assert all(len(top) == 1 for top in logprobs["top_logprobs"][1:])
    offsets = logprobs["text_offset"]
    assert offsets == [len("".join(logprobs["tokens"][:i])) for i in range(len(offsets))]


def test_the_expected_word_is_the_likeliest(http: httpx.Client) -> None:
    logprobs = complete(http, max_tokens=0, echo=True, logprobs=1)["choices"][0]["logprobs"]
    at = logprobs["tokens"].index(" wallet")
    assert logprobs["top_logprobs"][at] == {" wallet": logprobs["token_logprobs"][at]}


def test_the_lax_sdk_reads_the_scores(base_url: str) -> None:
    with openai.OpenAI(base_url=f"{base_url}/v1", api_key="sk-test") as lax:
        completion = lax.completions.create(model="davinci-002", prompt=PROMPT, max_tokens=0, echo=True, logprobs=1)
    logprobs = completion.choices[0].logprobs
    assert logprobs.token_logprobs[0] is None and len(logprobs.tokens) == len(CL100K.encode(PROMPT))


def test_a_completion_follows_the_prompts_scores(http: httpx.Client) -> None:
    scored = complete(http, max_tokens=0, echo=True, logprobs=2)["choices"][0]["logprobs"]
    body = complete(http, max_tokens=6, echo=True, logprobs=2, seed=3, logit_bias={"100257": -100})
    choice = body["choices"][0]
    logprobs = choice["logprobs"]
    prompt_tokens = len(scored["tokens"])
    assert {key: value[:prompt_tokens] for key, value in logprobs.items()} == scored
    generated = logprobs["tokens"][prompt_tokens:]
    assert len(generated) == body["usage"]["completion_tokens"] == 6
    assert all(value is not None and value <= 0 for value in logprobs["token_logprobs"][prompt_tokens:])
    assert logprobs["text_offset"][prompt_tokens] == len(PROMPT)
    assert choice["text"] == PROMPT + "".join(generated)


def test_a_stream_sends_the_prompts_scores_first(http: httpx.Client) -> None:
    scored = complete(http, max_tokens=0, echo=True, logprobs=1)["choices"][0]["logprobs"]
    body = {"model": "davinci-002", "prompt": PROMPT, "max_tokens": 3, "echo": True, "logprobs": 1, "stream": True}
    with http.stream("POST", "/v1/completions", json=body) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: ") and line != "data: [DONE]"]
    first = json.loads(lines[0][len("data: ") :])["choices"][0]
    assert first["text"] == PROMPT and first["logprobs"] == scored


def test_without_logprobs_echo_sends_no_scores(http: httpx.Client) -> None:
    choice = complete(http, max_tokens=0, echo=True)["choices"][0]
    assert choice["text"] == PROMPT and choice["logprobs"] is None


def test_each_token_id_prompt_is_scored_from_its_own_start(http: httpx.Client) -> None:
    ids = CL100K.encode(PROMPT)
    body = complete(http, prompt=[ids, ids[:4]], max_tokens=0, echo=True, logprobs=0)
    first, second = (choice["logprobs"] for choice in body["choices"])
    assert first["token_logprobs"][:4] == second["token_logprobs"]
    assert second["top_logprobs"] == [None, {}, {}, {}]
