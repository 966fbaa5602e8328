"""LLM-backed agents for every role, on autogen.

Each class is built from a :class:`ModelConfig` (``from_config(cfg, cache_path=...)``)
or directly from any autogen ``ChatCompletionClient``:

* :class:`LLMPlanner` - ToolFlow's plan of per-turn user requirements (a validated ``Plan``);
* :class:`LLMUser` - the simulated user: continues the current requirement or moves on;
* :class:`LLMAssistant` - decides, asks or calls; calls are returned, never executed here;
* :class:`LLMToolSimulator` - answers calls within the tool's ``returns`` schema;
* :class:`LLMJudge` - ToolACE's model checker (hallucination, consistency, tool response).

Planner, user and judges run on autogen-agentchat's ``AssistantAgent`` with structured
output where the model supports it (JSON mode or parse-and-repair otherwise); every
answer is validated and, when unusable, fed back for a retry before :class:`AgentError`.
Every output carries ``usage`` (prompt_tokens, completion_tokens, requests, cached).
Every prompt is fitted to the model's context before it is sent (``_budget``); a prompt that
cannot fit fails with :class:`PromptTooLongError`.
"""

from __future__ import annotations

from turnloom.agents.llm._autogen_adapter import AutogenChatAgent
from turnloom.agents.llm._base import LLMAgentBase
from turnloom.agents.llm._budget import PromptTooLongError
from turnloom.agents.llm._clients import ModelCallError, Usage
from turnloom.agents.llm._models import (
    ModelConfig,
    ModelSpecError,
    make_client,
    parse_model_spec,
    parse_role_models,
)
from turnloom.agents.llm._roles import JUDGE_EXPERTS, LLMJudge, LLMPlanner, LLMUser, sample_step_kinds
from turnloom.agents.llm._tools import LLMAssistant, LLMToolSimulator

__all__ = [
    "JUDGE_EXPERTS",
    "AutogenChatAgent",
    "LLM_AGENTS",
    "LLMAgentBase",
    "LLMAssistant",
    "LLMJudge",
    "LLMPlanner",
    "LLMToolSimulator",
    "LLMUser",
    "ModelCallError",
    "ModelConfig",
    "ModelSpecError",
    "PromptTooLongError",
    "Usage",
    "make_client",
    "parse_model_spec",
    "parse_role_models",
    "sample_step_kinds",
]

#: the LLM agent class of each role
LLM_AGENTS: dict[str, type[LLMAgentBase]] = {
    "planner": LLMPlanner,
    "user": LLMUser,
    "assistant": LLMAssistant,
    "tool": LLMToolSimulator,
    "verifier": LLMJudge,
}
