"""Any autogen ``ChatAgent`` as a turnloom user or assistant.

:class:`AutogenChatAgent` keeps track of the dialogue messages it has already passed
to the wrapped agent and sends only the new ones (as ``TextMessage``s) on each act;
the wrapped agent keeps its own history, as autogen agents do. Its reply becomes the
output message. Autogen agents are stateful, so use one adapter per dialogue; when
the dialogue it sees is not a continuation of what it passed (a new dialogue, a
rewind), the wrapped agent is reset and given the whole dialogue again.
"""

from __future__ import annotations

from typing import Any, Literal

from autogen_agentchat.base import ChatAgent, Response
from autogen_agentchat.messages import BaseChatMessage, TextMessage
from autogen_core import CancellationToken

from turnloom.agents._protocol import AgentError, AgentOutput, AgentView
from turnloom.schema import Message, canonical_json

__all__ = ["AutogenChatAgent"]


def _fingerprint(message: Message) -> str:
    calls = [(c.name, c.arguments) for c in message.tool_calls]
    return canonical_json([message.role, message.content or "", calls, message.tool_call_id])


def _as_text(message: Message) -> str:
    if message.role == "tool":
        body = message.content if message.content is not None else (message.result.to_text() if message.result else "")
        return f"Result of {message.name or 'tool'} ({message.tool_call_id}): {body}"
    parts = [message.content] if message.content else []
    parts += [f"Call {c.name}({canonical_json(c.arguments)})" for c in message.tool_calls]
    return "\n".join(parts)


class AutogenChatAgent:
    """Wraps an autogen ``ChatAgent`` to act as the ``user`` or ``assistant`` role."""

    def __init__(self, agent: ChatAgent, role: Literal["user", "assistant"], *, name: str | None = None) -> None:
        if role not in ("user", "assistant"):
            raise ValueError(f"an autogen chat agent can play 'user' or 'assistant', not {role!r}")
        self.agent = agent
        self.role = role
        self.name = name or agent.name
        self._passed: list[str] = []

    async def reset(self) -> None:
        await self.agent.on_reset(CancellationToken())
        self._passed = []

    async def act(self, view: AgentView) -> AgentOutput:
        prints = [_fingerprint(m) for m in view.messages]
        if prints[: len(self._passed)] != self._passed:
            await self.reset()
        new = view.messages[len(self._passed) :]
        batch: list[BaseChatMessage] = [
            TextMessage(content=_as_text(m), source=m.role) for m in new if _as_text(m).strip()
        ]
        try:
            response: Response = await self.agent.on_messages(batch, CancellationToken())
        except Exception as err:  # an arbitrary wrapped agent: any failure ends the dialogue cleanly
            raise AgentError(f"{self.name}: wrapped autogen agent failed: {type(err).__name__}: {err}") from err
        reply = response.chat_message
        text = reply.to_text() if reply is not None else ""
        if not text.strip():
            raise AgentError(f"{self.name}: wrapped autogen agent gave an empty reply")
        message = Message(role=self.role, content=text.strip())
        self._passed = [*prints, _fingerprint(message)]
        out = AgentOutput(messages=[message], usage=_usage(response))
        if self.role == "user" and view.step is not None:
            out.step_index = view.step.index
        return out


def _usage(response: Response) -> dict[str, Any]:
    prompt = completion = requests = 0
    for item in [*(response.inner_messages or []), response.chat_message]:
        usage = getattr(item, "models_usage", None)
        if usage is not None:
            prompt += usage.prompt_tokens
            completion += usage.completion_tokens
            requests += 1
    return {"prompt_tokens": prompt, "completion_tokens": completion, "requests": requests, "cached": 0}
