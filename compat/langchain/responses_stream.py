"""LangChain `ChatOpenAI(use_responses_api=True).stream`: text deltas arrive one by one and join to the reply the
stream's completed response carries."""

from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_openai import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini", use_responses_api=True, max_retries=0, timeout=30)

chunks = list(llm.stream([HumanMessage("Tell me a short story about a lighthouse.")]))

assert all(isinstance(chunk, AIMessageChunk) for chunk in chunks), {type(chunk) for chunk in chunks}
texts = [chunk.text for chunk in chunks if chunk.text]
assert len(texts) > 1, f"not streamed: {len(texts)} text chunks"
merged = sum(chunks[1:], chunks[0])
assert merged.text == "".join(texts) and merged.text.strip(), merged.content
assert merged.response_metadata.get("status") == "completed", merged.response_metadata
usage = merged.usage_metadata
assert usage is not None and usage["input_tokens"] + usage["output_tokens"] == usage["total_tokens"], usage

print(f"{len(texts)} text chunks ({len(merged.text)} chars); usage {usage['total_tokens']} tokens")
