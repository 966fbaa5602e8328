"""The scenario file model: everything a run needs, as validated data."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from turnloom.schema import STEP_KINDS, ToolSpec
from turnloom.tools_env.env import EnvSettings
from turnloom.tools_env.values import schema_cycles

__all__ = [
    "DEFAULT_MIX",
    "BackendSettings",
    "McpServer",
    "PlanSettings",
    "SamplingSettings",
    "Scenario",
    "ToolSource",
    "UserSettings",
    "VerifySettings",
    "WorldSettings",
    "clean_loc",
]

DEFAULT_MIX: dict[str, float] = {
    "single": 0.2,
    "dependent": 0.25,
    "parallel": 0.1,
    "clarification": 0.1,
    "follow_up": 0.1,
    "chitchat": 0.1,
    "irrelevant": 0.05,
    "error_recovery": 0.1,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SamplingSettings(_Strict):
    """Sample a tool subset per dialogue through the tool graph."""

    mode: Literal["walk", "chain", "parallel", "domain", "random"] = "walk"
    size: int = Field(default=5, ge=1, le=50)


class McpServer(_Strict):
    """A live MCP server whose tools the scenario offers: ``command`` (stdio) or ``url`` (streamable HTTP)."""

    command: str | None = None
    args: list[str] = Field(default_factory=list)
    #: environment variables for the server, merged over a safe default environment
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")
    #: seconds the server may take to start or to answer one call
    timeout: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _one_transport(self) -> McpServer:
        if (self.command is None) == (self.url is None):
            raise ValueError("expected either command (a stdio server) or url (a streamable HTTP server)")
        if self.url is not None and (self.args or self.env or self.cwd):
            raise ValueError("args, env and cwd apply to a command, not to a url")
        return self


class ToolSource(_Strict):
    """Where the scenario's tools come from (any combination)."""

    #: tools written inline in the scenario
    inline: list[ToolSpec] = Field(default_factory=list)
    #: a pool file (JSONL of tools) or ``builtin``
    pool: str | None = None
    #: keep pool tools of these domains
    domains: list[str] = Field(default_factory=list)
    #: keep pool tools with these names
    names: list[str] = Field(default_factory=list)
    #: sample a subset per dialogue through the graph (otherwise all selected tools are offered)
    sample: SamplingSettings | None = None
    #: a live MCP server: its tools are listed from it and its calls answered by it (recorded in a cassette)
    mcp: McpServer | None = None

    @field_validator("inline")
    @classmethod
    def _usable_schemas(cls, inline: list[ToolSpec]) -> list[ToolSpec]:
        for i, tool in enumerate(inline):
            for field in ("parameters", "returns"):
                cycles = schema_cycles(getattr(tool, field))
                if cycles:
                    raise ValueError(f"tools.inline[{i}] (tool {tool.name!r}): {field} {cycles[0]}")
        return inline


class BackendSettings(_Strict):
    """A Python class that answers the calls of the tools named like its public methods."""

    #: the class, ``package.module:Class``
    python: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
    #: its initial state: a mapping (given to ``_load_scenario`` when the class has it, else set as
    #: attributes), or a JSON/YAML file holding one (relative to the scenario file)
    state: str | dict[str, Any] | None = None
    #: the command that installs the class's package, shown when the package is not installed
    install: str | None = None


#: how pydantic names the two forms of ``world.backend`` in an error's path (left out when the path is shown)
_ONE, _MANY = "one class", "list of classes"


def _backend_form(value: Any) -> str:
    return _MANY if isinstance(value, list) else _ONE


def clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """An error path as the scenario file spells it (without the name of the union member tried)."""
    return tuple(part for part in loc if part not in (_ONE, _MANY))


class WorldSettings(_Strict):
    #: initial records per entity type
    seed_data: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    env: EnvSettings = Field(default_factory=EnvSettings)
    #: tool name -> ``package.module:function`` executed instead of the mock
    bindings: dict[str, str] = Field(default_factory=dict)
    #: tools answered by the LLM tool simulator (``models.tool``) instead of the schema-driven mock;
    #: ``["*"]`` for all
    llm_tools: list[str] = Field(default_factory=list)
    #: Python classes whose methods answer the tools of the same names (their state kept in the world):
    #: one class, or a list of them (no two may have a public method of the same name)
    backend: Annotated[Annotated[BackendSettings, Tag(_ONE)] | Annotated[list[BackendSettings], Tag(_MANY)],
                       Discriminator(_backend_form)] | None = None

    @field_validator("backend")
    @classmethod
    def _distinct_classes(cls, backend: BackendSettings | list[BackendSettings] | None) -> Any:
        if isinstance(backend, list):
            seen: set[str] = set()
            for item in backend:
                if item.python in seen:
                    raise ValueError(f"class {item.python} is listed twice; expected each class once")
                seen.add(item.python)
        return backend

    def backends(self) -> list[BackendSettings]:
        """The backend classes, in the order given (none, one or several)."""
        if self.backend is None:
            return []
        return list(self.backend) if isinstance(self.backend, list) else [self.backend]


class UserSettings(_Strict):
    persona: str = "a busy professional who writes short, direct messages"
    goals: list[str] = Field(default_factory=list)


class PlanSettings(_Strict):
    min_steps: int = Field(default=3, ge=1, le=30)
    max_steps: int = Field(default=5, ge=1, le=30)
    #: relative weights of step kinds (need not sum to 1; normalized)
    mix: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_MIX))
    #: end every plan with a closing turn
    closing: bool = True
    #: every plan has a dependent step (a later call uses an id an earlier call returned), when the tools allow
    require_dependent: bool = True

    @model_validator(mode="after")
    def _check(self) -> PlanSettings:
        if self.max_steps < self.min_steps:
            raise ValueError(f"max_steps ({self.max_steps}) is smaller than min_steps ({self.min_steps})")
        unknown = sorted(set(self.mix) - set(STEP_KINDS))
        if unknown:
            raise ValueError(f"mix has unknown step kinds {unknown}; expected some of {list(STEP_KINDS)}")
        if any(w < 0 for w in self.mix.values()):
            raise ValueError("mix weights must be >= 0")
        if sum(self.mix.values()) <= 0:
            raise ValueError("mix weights sum to 0; give at least one kind a positive weight")
        return self


class VerifySettings(_Strict):
    #: rules to skip by name
    disable: list[str] = Field(default_factory=list)
    #: assistant turns that fail the turn checks are regenerated up to this many times
    max_regenerations: int = Field(default=1, ge=0, le=10)
    #: ask the assistant this many times per action and keep the action only when all samples
    #: agree (same calls and arguments, or all answer in text); 1 turns the check off
    consistency_samples: int = Field(default=1, ge=1, le=10)
    #: longest assistant reply accepted (characters)
    max_reply_chars: int = Field(default=2000, ge=50)


class Scenario(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    #: a built-in scenario (or file) whose fields this one overrides
    extends: str | None = None
    system_prompt: str = "You are a helpful assistant with access to tools. Use them when they help."
    tools: ToolSource = Field(default_factory=ToolSource)
    world: WorldSettings = Field(default_factory=WorldSettings)
    user: UserSettings = Field(default_factory=UserSettings)
    plan: PlanSettings = Field(default_factory=PlanSettings)
    verify: VerifySettings = Field(default_factory=VerifySettings)
    #: role -> agent reference (registered name or ``package.module:Name``)
    agents: dict[str, str] = Field(default_factory=dict)
    #: role -> model for LLM-backed agents: a spec ``openai:MODEL@BASE_URL`` or a mapping of model
    #: settings (``model``, ``base_url``, ``temperature``, ``max_tokens``, ``timeout``, ``concurrency``, ...).
    #: Roles: planner, user, assistant, tool (simulator for ``world.llm_tools``), verifier (model judges)
    models: dict[str, str | dict[str, Any]] = Field(default_factory=dict)
    max_turns: int = Field(default=40, ge=2, le=400)
