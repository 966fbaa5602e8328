"""Agents for every role (planner, user, assistant, tool simulator, verifier), offline
and LLM-backed, behind one small protocol; and the registry that finds them.

Three kinds of agents, one folder each: ``offline/`` (the embedded default: planner,
user, assistant, with their phrasing and argument extraction), ``llm/`` (autogen-backed
roles, model clients, request cache, prompts, the tool simulator and the adapter for any
autogen ``ChatAgent``) and ``verify/`` (rules, environment rules, judges, the verifier).
The protocol names import eagerly; the rest load on first use (the LLM agents import
autogen, which stays behind this package).
"""

from __future__ import annotations

import importlib
from typing import Any

from turnloom.agents._protocol import ROLES as ROLES
from turnloom.agents._protocol import Agent as Agent
from turnloom.agents._protocol import AgentError as AgentError
from turnloom.agents._protocol import AgentOutput as AgentOutput
from turnloom.agents._protocol import AgentRole as AgentRole
from turnloom.agents._protocol import AgentView as AgentView
from turnloom.agents._protocol import ModelUnavailableError as ModelUnavailableError

_EXPORTS = {
    "OfflinePlanner": "offline", "OfflineUser": "offline", "OfflineAssistant": "offline",
    "RuleVerifier": "verify", "DualLayerVerifier": "verify", "HeuristicJudges": "verify",
    "verify_dialogue": "verify",
    "resolve_agent": "registry", "available_agents": "registry", "AgentRefError": "registry",
    "DEFAULT_AGENTS": "registry",
    "LLMPlanner": "llm", "LLMUser": "llm", "LLMAssistant": "llm", "LLMJudge": "llm", "LLMToolSimulator": "llm",
    "ModelConfig": "llm", "parse_model_spec": "llm", "make_client": "llm",
    "AutogenChatAgent": "llm",
}
__all__ = ["ROLES", "Agent", "AgentError", "AgentOutput", "AgentRole", "AgentView", "ModelUnavailableError",
           *sorted(_EXPORTS)]  # noqa: PLE0604


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'turnloom.agents' has no attribute {name!r}")
    return getattr(importlib.import_module(f"turnloom.agents.{_EXPORTS[name]}"), name)
