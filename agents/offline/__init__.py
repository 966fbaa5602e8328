"""The offline agents (the embedded default): deterministic, template-driven, no model."""

from turnloom.agents.offline.assistant import OfflineAssistant
from turnloom.agents.offline.planner import OfflinePlanner
from turnloom.agents.offline.user import OfflineUser

__all__ = ["OfflineAssistant", "OfflinePlanner", "OfflineUser"]
