"""Agents for every role (planner, user, assistant, tool simulator, verifier), offline
and LLM-backed, behind one small protocol; and the registry that finds them.

The protocol names import eagerly; the rest load on first use (the LLM agents import
autogen, which stays behind this package).
"""

from __future__ import annotations

import importlib
from typing import Any

from toolweave.agents._protocol import ROLES as ROLES
from toolweave.agents._protocol import Agent as Agent
from toolweave.agents._protocol import AgentError as AgentError
from toolweave.agents._protocol import AgentOutput as AgentOutput
from toolweave.agents._protocol import AgentRole as AgentRole
from toolweave.agents._protocol import AgentView as AgentView

_EXPORTS = {
    "OfflinePlanner": "offline", "OfflineUser": "offline", "OfflineAssistant": "offline",
    "RuleVerifier": "verifier", "DualLayerVerifier": "judges", "HeuristicJudges": "judges",
    "verify_dialogue": "judges",
    "resolve_agent": "registry", "available_agents": "registry", "AgentRefError": "registry",
    "DEFAULT_AGENTS": "registry",
    "LLMPlanner": "llm", "LLMUser": "llm", "LLMAssistant": "llm", "LLMJudge": "llm", "LLMToolSimulator": "llm",
    "ModelConfig": "llm", "parse_model_spec": "llm", "make_client": "llm",
    "AutogenChatAgent": "_autogen_adapter",
}
__all__ = ["ROLES", "Agent", "AgentError", "AgentOutput", "AgentRole", "AgentView", *sorted(_EXPORTS)]  # noqa: PLE0604


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'toolweave.agents' has no attribute {name!r}")
    return getattr(importlib.import_module(f"toolweave.agents.{_EXPORTS[name]}"), name)
