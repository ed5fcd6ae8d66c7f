// The Node SDK's streamed `chat.completions.create`: deltas join to the non-streamed reply, usage comes last.
import assert from "node:assert/strict";
import OpenAI from "openai";

const client = new OpenAI({ timeout: 30_000, maxRetries: 0 });
const request = {
  model: "gpt-4o-mini",
  seed: 21,
  messages: [{ role: "user", content: "Describe a quiet harbour at dawn." }],
};

const whole = await client.chat.completions.create(request);
const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });

const pieces = [];
const ids = new Set();
let finishReason = null;
let usage = null;
for await (const chunk of stream) {
  assert.equal(chunk.object, "chat.completion.chunk");
  ids.add(chunk.id);
  if (chunk.usage) {
    assert.deepEqual(chunk.choices, [], "the usage chunk has no choices");
    usage = chunk.usage;
    continue;
  }
  const [choice] = chunk.choices;
  if (choice.delta.content) pieces.push(choice.delta.content);
  if (choice.finish_reason) finishReason = choice.finish_reason;
}

assert.equal(ids.size, 1, "every chunk of one completion has the same id");
assert.ok(pieces.length > 1, `not streamed: ${pieces.length} pieces`);
assert.equal(pieces.join(""), whole.choices[0].message.content, "the stream joins to the non-streamed reply");
assert.equal(finishReason, whole.choices[0].finish_reason);
assert.deepEqual(usage, whole.usage, "streamed usage equals the non-streamed usage");

console.log(`${pieces.length} deltas join to the reply (${pieces.join("").length} chars); usage ${usage.total_tokens} tokens`);
