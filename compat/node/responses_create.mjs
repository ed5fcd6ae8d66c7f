// The Node SDK's `responses.create`: a completed response whose output text and usage add up.
import assert from "node:assert/strict";
import OpenAI from "openai";

const client = new OpenAI({ timeout: 30_000, maxRetries: 0 });

const response = await client.responses.create({
  model: "gpt-4o-mini",
  instructions: "You are a helpful assistant.",
  input: "Say this is a test!",
});

assert.equal(response.object, "response");
assert.match(response.id, /^resp_/);
assert.equal(response.status, "completed");
assert.equal(typeof response.output_text, "string");
assert.ok(response.output_text.trim().length > 0, "empty output_text");
const message = response.output.find((item) => item.type === "message");
assert.ok(message, JSON.stringify(response.output));
assert.equal(message.content.map((part) => part.text).join(""), response.output_text);
const { input_tokens, output_tokens, total_tokens } = response.usage;
assert.ok(input_tokens > 0 && output_tokens > 0, JSON.stringify(response.usage));
assert.equal(input_tokens + output_tokens, total_tokens);

console.log(`${response.id}: ${response.output_text.length} chars; usage ${input_tokens}+${output_tokens}=${total_tokens}`);
