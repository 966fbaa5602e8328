"""The shared data model: tools, calls, messages, plans, verdicts and dialogues.

Every model maps 1:1 onto the OpenAI chat-completions format with ``tools``
(see :meth:`ToolSpec.to_openai` and :meth:`Message.to_openai`). This module imports
nothing else from turnloom so that every layer can depend on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_validator, model_serializer

__all__ = [
    "format_path",
    "json_leaves",
    "STEP_KINDS",
    "CheckResult",
    "Dialogue",
    "HttpBinding",
    "Message",
    "Plan",
    "PlanStep",
    "Role",
    "StepKind",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "Verdict",
    "canonical_json",
    "derive_seed",
]

Role = Literal["system", "user", "assistant", "tool"]

StepKind = Literal[
    "single",
    "parallel",
    "dependent",
    "clarification",
    "follow_up",
    "chitchat",
    "irrelevant",
    "error_recovery",
    "closing",
]
STEP_KINDS: tuple[str, ...] = (
    "single",
    "parallel",
    "dependent",
    "clarification",
    "follow_up",
    "chitchat",
    "irrelevant",
    "error_recovery",
    "closing",
)
TOOL_STEP_KINDS = frozenset({"single", "parallel", "dependent", "clarification", "follow_up", "error_recovery"})

_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$"


def format_path(path: Sequence[int | str]) -> str:
    """A path into JSON data as text: ``paths./pets.get.parameters[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def json_leaves(value: Any) -> list[Any]:
    """The scalar leaves of JSON data (objects' values and arrays' items, depth first), in order."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in json_leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in json_leaves(v)]
    return [value]


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def derive_seed(*parts: object) -> int:
    """A 63-bit seed derived from any parts (run seed, dialogue index, role, turn...)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HttpBinding(_Strict):
    """Where a tool imported from an HTTP API sends each argument.

    ``path_params``, ``query_params``, ``header_params`` and ``body_params`` list the tool's
    parameter names by location; ``wire_names`` maps a parameter to its name on the wire where
    the two differ (e.g. ``x_request_id`` -> ``X-Request-Id``); ``body_media`` is the request
    body's media type (``application/json``, ``multipart/form-data``...), None without a body.
    """

    method: str
    path: str
    path_params: list[str] = Field(default_factory=list)
    query_params: list[str] = Field(default_factory=list)
    header_params: list[str] = Field(default_factory=list)
    body_params: list[str] = Field(default_factory=list)
    body_media: str | None = None
    wire_names: dict[str, str] = Field(default_factory=dict)


class ToolSpec(_Strict):
    """One tool (function): its JSON Schema parameters and, optionally, its return schema.

    ``http`` is set on tools imported from an HTTP API (OpenAPI); it is left out of the
    serialized form when unset, so tools without it keep their exact JSON.
    """

    name: str = Field(pattern=_NAME_PATTERN)
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    returns: dict[str, Any] | None = None
    domain: str = "general"
    tags: list[str] = Field(default_factory=list)
    http: HttpBinding | None = None

    @model_serializer(mode="wrap")
    def _drop_unset_http(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("http", 0) is None:
            del data["http"]
        return data

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required", []))

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.parameters.get("properties", {}))

    def to_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def key(self) -> str:
        """Canonical JSON of the whole tool: a cache key for per-tool analysis. Computed
        once per object (tools are treated as immutable once in use)."""
        cached = _TOOL_KEYS.get(id(self))
        if cached is not None and cached[0] is self:
            return cached[1]
        text = canonical_json(self.model_dump(mode="json"))
        if len(_TOOL_KEYS) > 65536:
            _TOOL_KEYS.clear()
        _TOOL_KEYS[id(self)] = (self, text)
        return text

    @classmethod
    def from_openai(cls, data: dict[str, Any], **extra: Any) -> ToolSpec:
        fn = data.get("function", data)
        return cls(
            name=fn["name"],
            description=fn.get("description", ""),
            parameters=fn.get("parameters") or {"type": "object", "properties": {}},
            **extra,
        )


_TOOL_KEYS: dict[int, tuple[ToolSpec, str]] = {}


class ToolCall(_Strict):
    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments, ensure_ascii=False)},
        }


class ToolResult(_Strict):
    call_id: str
    name: str
    content: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_text(self) -> str:
        if self.error is not None:
            return canonical_json({"error": self.error})
        return canonical_json(self.content)


class Message(_Strict):
    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    #: the tool result behind a ``tool`` message (structured), kept for replay and checks
    result: ToolResult | None = None
    #: index of the plan step this message belongs to (not exported)
    step: int | None = None

    def to_openai(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": self.content if self.content is not None else ""}
        if self.role == "assistant" and self.tool_calls:
            out["tool_calls"] = [c.to_openai() for c in self.tool_calls]
        if self.role == "tool":
            out["tool_call_id"] = self.tool_call_id
            if self.name:
                out["name"] = self.name
        return out


class PlanStep(_Strict):
    """One user requirement of the plan (ToolFlow): a tool turn or a non-tool turn."""

    index: int = Field(ge=0)
    kind: StepKind
    intent: str
    tools: list[str] = Field(default_factory=list)
    depends_on: list[int] = Field(default_factory=list)
    #: concrete values the user will state for this step (parameter -> value)
    slots: dict[str, Any] = Field(default_factory=dict)
    #: parameters the user leaves out at first (clarification steps)
    withhold: list[str] = Field(default_factory=list)
    #: where dependent values come from: parameter -> "step:<i>.<tool>.<field>"
    bindings: dict[str, str] = Field(default_factory=dict)

    @property
    def uses_tools(self) -> bool:
        return self.kind in TOOL_STEP_KINDS


class Plan(_Strict):
    steps: list[PlanStep] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    persona: str = ""
    goal: str = ""
    #: the day the user speaks from (ISO date), stated in the system message; None: no dialogue date
    today: str | None = None

    @field_validator("steps")
    @classmethod
    def _indexed(cls, steps: list[PlanStep]) -> list[PlanStep]:
        for i, step in enumerate(steps):
            if step.index != i:
                raise ValueError(f"steps[{i}].index is {step.index}, expected {i}")
            for dep in step.depends_on:
                if not 0 <= dep < i:
                    raise ValueError(f"steps[{i}] depends on step {dep}, which does not come before it")
        return steps

    def validate_tools(self, available: set[str]) -> list[str]:
        """Problems with this plan against the tools on offer (empty when fine)."""
        problems = []
        for step in self.steps:
            for name in step.tools:
                if name not in available:
                    problems.append(f"steps[{step.index}].tools: unknown tool {name!r}")
        return problems


class CheckResult(_Strict):
    """One rule's outcome on one dialogue (or one turn of it)."""

    rule: str
    passed: bool
    reason: str = ""
    layer: Literal["rule", "model"] = "rule"
    message_index: int | None = None


class Verdict(_Strict):
    accepted: bool
    checks: list[CheckResult] = Field(default_factory=list)
    scope: Literal["turn", "dialogue"] = "dialogue"
    step: int | None = None

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    @property
    def reasons(self) -> list[str]:
        return [f"{c.rule}: {c.reason}" for c in self.failures]

    @classmethod
    def from_checks(cls, checks: list[CheckResult], **kw: Any) -> Verdict:
        return cls(accepted=all(c.passed for c in checks), checks=checks, **kw)


class Dialogue(_Strict):
    """One simulated conversation with everything needed to inspect, replay and export it."""

    id: str
    scenario: str
    index: int
    seed: int
    tools: list[ToolSpec]
    plan: Plan
    messages: list[Message]
    world_initial: dict[str, Any] = Field(default_factory=dict)
    world_final: dict[str, Any] = Field(default_factory=dict)
    #: world digest after each tool message: message index -> digest
    snapshots: dict[int, str] = Field(default_factory=dict)
    turn_verdicts: list[Verdict] = Field(default_factory=list)
    verdict: Verdict
    stats: dict[str, Any] = Field(default_factory=dict)
    #: the environment and verification settings the dialogue ran under (for re-verification)
    settings: dict[str, Any] = Field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.verdict.accepted

    @property
    def calls(self) -> list[ToolCall]:
        return [c for m in self.messages if m.role == "assistant" for c in m.tool_calls]

    def to_openai(self) -> dict[str, Any]:
        return {
            "messages": [m.to_openai() for m in self.messages],
            "tools": [t.to_openai() for t in self.tools],
        }
