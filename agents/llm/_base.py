"""Shared machinery of the LLM-backed roles: construction, structured answers, message conversion."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import openai
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import StructuredMessage, TextMessage
from autogen_core import CancellationToken
from autogen_core import FunctionCall as AutogenFunctionCall
from autogen_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from pydantic import BaseModel, ValidationError
from typing_extensions import Self

from turnloom.agents._protocol import AgentError, ModelUnavailableError
from turnloom.agents.llm._clients import JsonModeClient, ModelCallError, Usage, UsageCountingClient
from turnloom.agents.llm._json import JSONRepairError, describe_validation_error, validate_json_text
from turnloom.agents.llm._models import ModelConfig, make_client
from turnloom.agents.llm._prompts import FEEDBACK
from turnloom.schema import Message, ToolSpec, canonical_json

__all__ = ["LLMAgentBase", "OutputMode", "ToolNames", "model_errors", "to_llm_messages"]

OutputMode = Literal["structured", "json", "text"]
M = TypeVar("M", bound=BaseModel)

#: errors of a model request that mean "no usable answer" rather than a bug
model_errors: tuple[type[BaseException], ...] = (ModelCallError, openai.OpenAIError)

_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]")


class ToolNames:
    """Tool names as sent to the model (OpenAI allows ``[A-Za-z0-9_-]{1,64}``) and back."""

    def __init__(self, tools: list[ToolSpec]) -> None:
        self.to_wire: dict[str, str] = {}
        self.from_wire: dict[str, str] = {}
        for tool in tools:
            wire = _INVALID_NAME_CHARS.sub("_", tool.name)[:64]
            base, n = wire, 1
            while wire in self.from_wire:
                n += 1
                wire = f"{base[:60]}_{n}"
            self.to_wire[tool.name] = wire
            self.from_wire[wire] = tool.name

    def wire(self, name: str) -> str:
        return self.to_wire.get(name, _INVALID_NAME_CHARS.sub("_", name)[:64])

    def original(self, wire_name: str) -> str | None:
        return self.from_wire.get(wire_name) or (wire_name if wire_name in self.to_wire else None)


def to_llm_messages(messages: list[Message], *, system: str, names: ToolNames) -> list[LLMMessage]:
    """turnloom messages -> autogen ``LLMMessage``s (one leading system message; results grouped)."""
    systems = [system] + [m.content for m in messages if m.role == "system" and m.content]
    out: list[LLMMessage] = [SystemMessage(content="\n\n".join(s for s in systems if s))]
    pending: list[FunctionExecutionResult] = []

    def flush() -> None:
        if pending:
            out.append(FunctionExecutionResultMessage(content=list(pending)))
            pending.clear()

    for m in messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            body = m.content if m.content is not None else (m.result.to_text() if m.result else "")
            is_error = m.result is not None and not m.result.ok
            pending.append(
                FunctionExecutionResult(
                    content=body,
                    name=names.wire(m.name or ""),
                    call_id=m.tool_call_id or "",
                    is_error=is_error,
                )
            )
            continue
        flush()
        if m.role == "user":
            out.append(UserMessage(content=m.content or "", source="user"))
        elif m.tool_calls:
            calls = [
                AutogenFunctionCall(id=c.id, name=names.wire(c.name), arguments=canonical_json(c.arguments))
                for c in m.tool_calls
            ]
            out.append(AssistantMessage(content=calls, thought=m.content or None, source="assistant"))
        else:
            out.append(AssistantMessage(content=m.content or "", source="assistant"))
    flush()
    return out


class LLMAgentBase:
    """A role backed by an autogen ``ChatCompletionClient``.

    ``mode`` says how structured answers are asked for: ``"structured"`` (autogen's
    ``output_content_type``, a strict JSON schema), ``"json"`` (JSON mode) or ``"text"``
    (free text, parsed and repaired). In every mode an answer that does not validate is
    fed back to the model with the error, up to ``attempts`` tries; then :class:`AgentError`.
    """

    role: str = "agent"

    def __init__(
        self,
        client: ChatCompletionClient,
        *,
        name: str | None = None,
        mode: OutputMode = "json",
        attempts: int = 3,
        schema_hints: bool = False,
    ) -> None:
        self.name = name or f"llm_{self.role}"
        self.client = client if isinstance(client, UsageCountingClient) else UsageCountingClient(client)
        self.mode: OutputMode = mode
        self.attempts = max(1, attempts)
        #: JSON mode sends the expected schema (used by llama.cpp, stripped for other servers)
        self.schema_hints = schema_hints

    @classmethod
    def from_config(
        cls, cfg: ModelConfig, *, cache_path: Path | None = None, name: str | None = None, **kwargs: Any
    ) -> Self:
        """Build the role from a model config (client with limits, retries, cache and usage)."""
        client = make_client(cfg, cache_path=cache_path, usage=Usage())
        kwargs.setdefault("schema_hints", cfg.compat != "none")
        return cls(client, name=name, mode=cfg.output_mode(), **kwargs)

    @property
    def usage(self) -> Usage:
        """Everything this role has used so far."""
        return self.client.usage

    async def close(self) -> None:
        await self.client.close()

    def _fail(self, what: str, err: BaseException | str) -> AgentError:
        kind = ModelUnavailableError if getattr(err, "unavailable", False) else AgentError
        return kind(f"{self.name}: {what}: {err}")

    async def ask_structured(
        self,
        *,
        system: str,
        prompt: str,
        output: type[M],
        check: Callable[[M], list[str]] | None = None,
        agent_name: str | None = None,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> M:
        """Ask an autogen ``AssistantAgent`` for one ``output`` object; feed errors back; retry.

        ``schema`` (default: the model's JSON schema) is the hint sent in JSON mode; it may be
        tighter than the pydantic model (e.g. enums of the tool names on offer, length caps).
        ``max_tokens`` (the answer tokens those caps need) replaces the config's for these requests.
        """
        structured = self.mode == "structured"
        client: ChatCompletionClient = self.client
        if self.mode == "json":
            hint = (schema or output.model_json_schema()) if self.schema_hints else None
            client = JsonModeClient(client, schema=hint, max_tokens=max_tokens)
        agent = AssistantAgent(
            name=re.sub(r"\W", "_", agent_name or self.name),
            model_client=client,
            system_message=system,
            output_content_type=output if structured else None,
        )
        message = prompt
        problem = "no answer"
        for _attempt in range(self.attempts):
            try:
                response = await agent.on_messages(
                    [TextMessage(content=message, source="turnloom")], CancellationToken()
                )
            except ValidationError as err:  # structured output that does not validate
                problem = describe_validation_error(err)
            except model_errors as err:
                raise self._fail("model request failed", err) from err
            except ValueError as err:  # autogen refusing a malformed response
                raise self._fail("unusable model response", err) from err
            else:
                chat = response.chat_message
                value: M | None = None
                if isinstance(chat, StructuredMessage) and isinstance(chat.content, output):
                    value = chat.content
                else:
                    try:
                        value = validate_json_text(chat.to_model_text(), output)  # type: ignore[assignment]
                    except JSONRepairError as err:
                        problem = str(err)
                if value is not None:
                    problems = check(value) if check is not None else []
                    if not problems:
                        return value
                    problem = "; ".join(problems)
            message = FEEDBACK.format(problem=problem)
        raise self._fail(f"no usable answer after {self.attempts} attempts", problem)
