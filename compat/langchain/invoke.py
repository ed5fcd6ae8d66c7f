"""LangChain `ChatOpenAI.invoke`: a text reply, its finish reason, and usage that LangChain's own tiktoken count
agrees with."""

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini", seed=7, max_retries=0, timeout=30)
messages = [SystemMessage("You are terse."), HumanMessage("Name three colours of the rainbow.")]

reply = llm.invoke(messages)

assert isinstance(reply, AIMessage), type(reply)
assert isinstance(reply.content, str) and reply.content.strip(), f"empty reply: {reply.content!r}"
assert reply.response_metadata["finish_reason"] in ("stop", "length"), reply.response_metadata
assert reply.response_metadata["model_name"].startswith("gpt-4o-mini"), reply.response_metadata
usage = reply.usage_metadata
assert usage is not None, "no usage_metadata"
assert usage["input_tokens"] + usage["output_tokens"] == usage["total_tokens"], usage
assert usage["output_tokens"] > 0, usage
# LangChain counts the prompt itself with tiktoken (offline here, from TIKTOKEN_CACHE_DIR): both sides must agree.
counted = llm.get_num_tokens_from_messages(messages)
assert usage["input_tokens"] == counted, f"usage says {usage['input_tokens']} prompt tokens, tiktoken counts {counted}"
# The same request at the same seed is answered with the same words.
assert llm.invoke(messages).content == reply.content, "same seed, different reply"

tokens = f"{usage['input_tokens']}+{usage['output_tokens']}"
print(f"reply of {usage['output_tokens']} tokens; usage {tokens} agrees with LangChain's tiktoken count")
