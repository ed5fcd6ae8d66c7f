"""litellm `completion()`: an OpenAI model answers in text, with usage that adds up and matches litellm's own count."""

import os

# What an offline CI sets: litellm reads its bundled model cost map instead of fetching one at import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm

messages = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Give me one tip for writing tests."},
]

response = litellm.completion(model="gpt-4o-mini", messages=messages, seed=4, timeout=30, num_retries=0)

choice = response.choices[0]
assert choice.message.role == "assistant", choice.message
assert isinstance(choice.message.content, str) and choice.message.content.strip(), choice.message
assert choice.finish_reason in ("stop", "length"), choice.finish_reason
assert response.model.startswith("gpt-4o-mini"), response.model
usage = response.usage
assert usage.prompt_tokens > 0 and usage.completion_tokens > 0, usage
assert usage.prompt_tokens + usage.completion_tokens == usage.total_tokens, usage
counted = litellm.token_counter(model="gpt-4o-mini", messages=messages)
assert usage.prompt_tokens == counted, f"usage says {usage.prompt_tokens} prompt tokens, litellm counts {counted}"
again = litellm.completion(model="gpt-4o-mini", messages=messages, seed=4, timeout=30, num_retries=0)
assert again.choices[0].message.content == choice.message.content, "same seed, different reply"

print(
    f"reply of {usage.completion_tokens} tokens; usage {usage.prompt_tokens}+{usage.completion_tokens} matches litellm"
)
