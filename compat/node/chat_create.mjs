// The Node SDK's `chat.completions.create`: a reply with text, a stop reason and usage that adds up.
import assert from "node:assert/strict";
import OpenAI from "openai";

const client = new OpenAI({ timeout: 30_000, maxRetries: 0 }); // OPENAI_BASE_URL / OPENAI_API_KEY from the env
const request = {
  model: "gpt-4o-mini",
  seed: 9,
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Say this is a test!" },
  ],
};

const completion = await client.chat.completions.create(request);

assert.equal(completion.object, "chat.completion");
assert.match(completion.id, /^chatcmpl-/);
assert.ok(completion.model.startsWith("gpt-4o-mini"), completion.model);
assert.equal(completion.choices.length, 1);
const [choice] = completion.choices;
assert.equal(choice.message.role, "assistant");
assert.equal(typeof choice.message.content, "string");
assert.ok(choice.message.content.trim().length > 0, "empty reply");
assert.ok(["stop", "length"].includes(choice.finish_reason), choice.finish_reason);
const { prompt_tokens, completion_tokens, total_tokens } = completion.usage;
assert.ok(prompt_tokens > 0 && completion_tokens > 0, JSON.stringify(completion.usage));
assert.equal(prompt_tokens + completion_tokens, total_tokens);
// The cookbook's count with o200k_base: 14 tokens of roles and text, 3 per message, 3 priming the reply.
assert.equal(prompt_tokens, 23);
const again = await client.chat.completions.create(request);
assert.equal(again.choices[0].message.content, choice.message.content, "same seed, different reply");

console.log(`reply of ${completion_tokens} tokens; usage ${prompt_tokens}+${completion_tokens}=${total_tokens}`);
