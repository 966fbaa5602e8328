"""LLM assistant and tool simulator: direct ``ChatCompletionClient.create`` calls.

The assistant asks the model with the tools attached and RETURNS the calls it gets
(converted to turnloom ``ToolCall``s) instead of executing them inside autogen: the
dialogue graph's tool node runs them. The tool simulator answers one call with a
result constrained to the tool's ``returns`` schema and validated with jsonschema.
"""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from typing import Any

from autogen_core import FunctionCall as AutogenFunctionCall
from autogen_core.models import AssistantMessage, LLMMessage, SystemMessage, UserMessage
from autogen_core.tools import ToolSchema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from turnloom.agents._protocol import AgentError, AgentOutput, AgentView
from turnloom.agents.llm._base import LLMAgentBase, ToolNames, model_errors, to_llm_messages
from turnloom.agents.llm._clients import usage_scope
from turnloom.agents.llm._json import JSONRepairError, parse_arguments, parse_json_object
from turnloom.agents.llm._prompts import (
    ASSISTANT_SYSTEM,
    CALL_FEEDBACK,
    FEEDBACK,
    TOOL_SIMULATOR_PROMPT,
    TOOL_SIMULATOR_SYSTEM,
)
from turnloom.schema import Message, ToolCall, ToolResult, ToolSpec, canonical_json, derive_seed

__all__ = ["LLMAssistant", "LLMToolSimulator"]


def _tool_schema(tool: ToolSpec, names: ToolNames) -> ToolSchema:
    params = dict(tool.parameters or {})
    params.setdefault("type", "object")
    params.setdefault("properties", {})
    return ToolSchema(name=names.wire(tool.name), description=tool.description, parameters=params)  # type: ignore[typeddict-item]


class LLMAssistant(LLMAgentBase):
    """ToolFlow's assistant with ToolACE's formalized thinking; tool calls are returned, not run.

    Arguments come back as JSON text: they are parsed and repaired; a call naming an
    unknown tool or with unreadable arguments is fed back and retried, then
    :class:`AgentError`. A text answer where a call was expected is returned as is (the
    verifier decides). Call ids are derived from the act's seed, so reruns give the same ids.
    """

    role = "assistant"

    async def act(self, view: AgentView) -> AgentOutput:
        names = ToolNames(view.tools)
        system = ASSISTANT_SYSTEM
        extra = view.context.get("system_prompt")
        if extra and not any(m.role == "system" for m in view.messages):
            system = f"{system}\n\n{extra}"
        messages: list[LLMMessage] = to_llm_messages(view.messages, system=system, names=names)
        tools = [_tool_schema(t, names) for t in view.tools]
        problem = "no answer"
        with usage_scope() as usage:
            for _attempt in range(self.attempts):
                try:
                    result = await self.client.create(messages, tools=tools)
                except model_errors as err:
                    raise self._fail("model request failed", err) from err
                except ValueError as err:  # autogen refusing a malformed response
                    raise self._fail("unusable model response", err) from err
                if isinstance(result.content, str):
                    if result.content.strip():
                        message = Message(role="assistant", content=result.content.strip())
                        return AgentOutput(messages=[message], usage=usage.as_dict())
                    problem = "the reply was empty"
                    messages = [
                        *messages,
                        UserMessage(content=FEEDBACK.format(problem=problem), source="user"),
                    ]
                    continue
                calls, problems = self._convert(result.content, names, view.seed)
                if not problems:
                    return AgentOutput(messages=[Message(role="assistant", tool_calls=calls)], usage=usage.as_dict())
                problem = "; ".join(problems)
                messages = [
                    *messages,
                    UserMessage(content=CALL_FEEDBACK.format(problem=problem), source="user"),
                ]
        raise self._fail(f"no usable answer after {self.attempts} attempts", problem)

    @staticmethod
    def _convert(calls: list[AutogenFunctionCall], names: ToolNames, seed: int) -> tuple[list[ToolCall], list[str]]:
        out: list[ToolCall] = []
        problems: list[str] = []
        for i, call in enumerate(calls):
            name = names.original(call.name)
            if name is None:
                problems.append(f"there is no tool named {call.name!r}; tools: {sorted(names.from_wire)}")
                continue
            try:
                arguments = parse_arguments(call.arguments)
            except JSONRepairError as err:
                problems.append(f"arguments of {call.name} are not a JSON object ({err}): {call.arguments[:200]!r}")
                continue
            out.append(
                ToolCall(id=f"call_{derive_seed(seed, 'call', i) % 16**12:012x}", name=name, arguments=arguments)
            )
        return out, problems


@lru_cache(maxsize=512)
def _validator(schema_text: str) -> Draft202012Validator:
    schema = json.loads(schema_text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _schema_problems(value: Any, schema: dict[str, Any] | None) -> list[str]:
    if not schema:
        return []
    try:
        validator = _validator(canonical_json(schema))
    except SchemaError as err:
        raise AgentError(f"the tool's returns schema is invalid: {err.message}") from err
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    return [f"result{''.join(f'[{p!r}]' for p in e.absolute_path)}: {e.message}" for e in errors[:6]]


class LLMToolSimulator(LLMAgentBase):
    """Simulates each call of the last assistant message from the documentation and the world.

    The model answers ``{"result": ...}`` (checked against ``returns`` with jsonschema) or
    ``{"error": "..."}`` (a tool error). Invalid answers are fed back and retried, then
    :class:`AgentError`. One tool message per call, with ``result`` set.
    """

    role = "tool"

    def __init__(self, *args: Any, world_chars: int = 3000, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.world_chars = world_chars

    async def act(self, view: AgentView) -> AgentOutput:
        if not view.messages or not view.messages[-1].tool_calls:
            raise AgentError(f"{self.name}: the last message has no tool calls to answer")
        specs = {t.name: t for t in view.tools}
        world = canonical_json(view.world or {})
        if len(world) > self.world_chars:
            world = world[: self.world_chars] + "...(truncated)"
        with usage_scope() as usage:
            results = await asyncio.gather(
                *(self._simulate(call, specs.get(call.name), world) for call in view.messages[-1].tool_calls)
            )
        messages = [
            Message(role="tool", content=r.to_text(), tool_call_id=r.call_id, name=r.name, result=r) for r in results
        ]
        return AgentOutput(messages=messages, usage=usage.as_dict())

    def _response_format(self, spec: ToolSpec) -> tuple[bool | None, dict[str, Any]]:
        """``json_output`` and extra create arguments asking for ``{"result": ...} | {"error": ...}``."""
        schema = {
            "anyOf": [
                {"type": "object", "properties": {"result": spec.returns or {}}, "required": ["result"]},
                {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
            ]
        }
        if self.mode == "structured":
            fmt = {"type": "json_schema", "json_schema": {"name": "tool_result", "schema": schema, "strict": False}}
            return None, {"response_format": fmt}
        if self.mode == "json":
            if self.schema_hints:
                return None, {"response_format": {"type": "json_object", "schema": schema}}
            return True, {}
        return None, {}

    async def _simulate(self, call: ToolCall, spec: ToolSpec | None, world: str) -> ToolResult:
        if spec is None:
            return ToolResult(call_id=call.id, name=call.name, error=f"unknown tool {call.name!r}")
        prompt = TOOL_SIMULATOR_PROMPT.format(
            name=spec.name,
            description=spec.description or "(none)",
            parameters=canonical_json(spec.parameters),
            returns=canonical_json(spec.returns) if spec.returns else "(any JSON value)",
            world=world,
            arguments=canonical_json(call.arguments),
        )
        messages: list[LLMMessage] = [
            SystemMessage(content=TOOL_SIMULATOR_SYSTEM),
            UserMessage(content=prompt, source="user"),
        ]
        json_output, extra = self._response_format(spec)
        problem = "no answer"
        for _attempt in range(self.attempts):
            try:
                result = await self.client.create(messages, json_output=json_output, extra_create_args=extra)
            except model_errors as err:
                raise self._fail(f"model request failed for {call.name}", err) from err
            except ValueError as err:
                raise self._fail(f"unusable model response for {call.name}", err) from err
            text = result.content if isinstance(result.content, str) else ""
            try:
                obj = parse_json_object(text)
            except JSONRepairError as err:
                problem = str(err)
            else:
                if isinstance(obj.get("error"), str) and obj["error"].strip() and "result" not in obj:
                    return ToolResult(call_id=call.id, name=call.name, error=obj["error"].strip())
                if "result" not in obj:
                    problem = 'the object has no "result" (or "error") field'
                else:
                    problems = _schema_problems(obj["result"], spec.returns)
                    if not problems:
                        return ToolResult(call_id=call.id, name=call.name, content=obj["result"])
                    problem = "the result does not match the return schema: " + "; ".join(problems)
            messages = [
                *messages,
                *([AssistantMessage(content=text, source="assistant")] if text else []),
                UserMessage(content=FEEDBACK.format(problem=problem), source="user"),
            ]
        raise self._fail(f"no valid result for {call.name} after {self.attempts} attempts", problem)
