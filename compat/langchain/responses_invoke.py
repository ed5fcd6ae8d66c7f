"""LangChain `ChatOpenAI(use_responses_api=True).invoke`: the Responses API answers with text and usage."""

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini", use_responses_api=True, max_retries=0, timeout=30)
messages = [SystemMessage("You are terse."), HumanMessage("Name three colours of the rainbow.")]

reply = llm.invoke(messages)

assert isinstance(reply, AIMessage), type(reply)
assert reply.response_metadata["id"].startswith("resp_"), reply.response_metadata
assert reply.response_metadata["status"] == "completed", reply.response_metadata
assert isinstance(reply.text, str) and reply.text.strip(), f"empty reply: {reply.content!r}"
usage = reply.usage_metadata
assert usage is not None and usage["input_tokens"] > 0 and usage["output_tokens"] > 0, usage
assert usage["input_tokens"] + usage["output_tokens"] == usage["total_tokens"], usage

print(
    f"{reply.response_metadata['id']}: {len(reply.text)} chars, usage {usage['input_tokens']}+{usage['output_tokens']}"
)
