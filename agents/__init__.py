"""Agents for every role (planner, user, assistant, tool simulator, verifier)."""

from toolweave.agents._protocol import ROLES, Agent, AgentError, AgentOutput, AgentRole, AgentView

__all__ = ["ROLES", "Agent", "AgentError", "AgentOutput", "AgentRole", "AgentView"]
