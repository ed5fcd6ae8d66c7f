"""LangChain `ChatOpenAI.stream`: chunks arrive one by one and join to the non-streamed reply at the same seed."""

from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_openai import ChatOpenAI

# stream_usage is off by default for a custom base URL; a user who wants streamed usage turns it on.
llm = ChatOpenAI(model="gpt-4o-mini", seed=11, max_retries=0, timeout=30, stream_usage=True)
messages = [HumanMessage("Tell me a short story about a lighthouse.")]

chunks = list(llm.stream(messages))
whole = llm.invoke(messages)

assert all(isinstance(chunk, AIMessageChunk) for chunk in chunks), {type(chunk) for chunk in chunks}
texts = [chunk.content for chunk in chunks if chunk.content]
assert len(texts) > 1, f"not streamed: {len(texts)} non-empty chunks"
joined = "".join(texts)
assert joined == whole.content, f"stream joined to {joined!r}, invoke said {whole.content!r}"
merged = sum(chunks[1:], chunks[0])
assert merged.response_metadata.get("finish_reason") in ("stop", "length"), merged.response_metadata
assert merged.usage_metadata == whole.usage_metadata, f"{merged.usage_metadata} != {whole.usage_metadata}"

print(f"{len(texts)} text chunks join to the invoked reply ({len(joined)} chars); streamed usage equals invoked usage")
