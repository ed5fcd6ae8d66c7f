// The Node SDK's streamed `responses.create`: ordered events whose text deltas join to the completed response.
import assert from "node:assert/strict";
import OpenAI from "openai";

const client = new OpenAI({ timeout: 30_000, maxRetries: 0 });

const stream = await client.responses.create({
  model: "gpt-4o-mini",
  input: "Describe a quiet harbour at dawn.",
  stream: true,
});

const types = [];
const deltas = [];
let sequence = -1;
let completed = null;
for await (const event of stream) {
  assert.ok(event.sequence_number > sequence, `sequence_number ${event.sequence_number} after ${sequence}`);
  sequence = event.sequence_number;
  types.push(event.type);
  if (event.type === "response.output_text.delta") deltas.push(event.delta);
  if (event.type === "response.completed") completed = event.response;
}

assert.equal(types[0], "response.created");
assert.equal(types.at(-1), "response.completed");
assert.ok(deltas.length > 1, `not streamed: ${deltas.length} deltas`);
assert.ok(completed, "no response.completed event");
assert.equal(deltas.join(""), completed.output_text ?? completed.output[0].content[0].text);
assert.equal(completed.usage.input_tokens + completed.usage.output_tokens, completed.usage.total_tokens);

console.log(`${types.length} events, ${deltas.length} deltas join to the completed response`);
