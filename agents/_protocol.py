"""The agent protocol every role implements, offline or LLM-backed.

An agent is anything with a ``name`` and ``async def act(self, view) -> AgentOutput``.
The view holds only what that role may see: the user never sees tool messages or
the world; the assistant never sees the plan.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from turnloom.schema import Message, Plan, PlanStep, ToolSpec, Verdict
from turnloom.tools_env.grounding import Grounding

__all__ = ["Agent", "AgentError", "AgentOutput", "AgentRole", "AgentView", "ModelUnavailableError", "ROLES"]

AgentRole = Literal["planner", "user", "assistant", "tool", "verifier"]
ROLES: tuple[str, ...] = ("planner", "user", "assistant", "tool", "verifier")


class AgentError(RuntimeError):
    """An agent could not produce an answer (e.g. the model kept returning garbage).

    The graph turns it into a rejected dialogue with this message as the reason.
    """


class ModelUnavailableError(AgentError):
    """The model behind an agent failed for good: unreachable, timing out, server errors
    after the retries, or refusing the key or the model name.

    The dialogue is rejected with the rule ``model_failure``; a run stops when too many
    dialogues end this way (a dataset of failures is worth nothing).
    """


class AgentView(BaseModel):
    """What one role sees at one moment of the dialogue."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    role: AgentRole
    #: seed for this act (derived from the run seed, dialogue index, role and turn)
    seed: int
    tools: list[ToolSpec] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    #: planner, user and verifier only
    plan: Plan | None = None
    #: user only: the plan step to work on now and how many user turns it has had
    step: PlanStep | None = None
    turns_in_step: int = 0
    #: scenario-level context (persona, goals, system prompt, settings)
    context: dict[str, Any] = Field(default_factory=dict)
    #: tool simulator and verifier only: the world as JSON data
    world: dict[str, Any] | None = None
    #: planner only, when some tools are class-backed: the environment and the initial world, to
    #: ground plans in the things that exist (never serialized)
    grounding: Grounding | None = Field(default=None, exclude=True)


class AgentOutput(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    #: new messages (user: one user message; assistant: one assistant message)
    messages: list[Message] = Field(default_factory=list)
    #: planner output
    plan: Plan | None = None
    #: verifier output
    verdict: Verdict | None = None
    #: user: the plan step the new message addresses (may stay on the current one)
    step_index: int | None = None
    #: user: the plan is complete, the dialogue ends
    end: bool = False
    #: model usage for the manifest: prompt_tokens, completion_tokens, requests
    usage: dict[str, int] = Field(default_factory=dict)


@runtime_checkable
class Agent(Protocol):
    name: str

    async def act(self, view: AgentView) -> AgentOutput: ...
