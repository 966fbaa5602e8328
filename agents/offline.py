"""The offline agents (the embedded default): deterministic, template-driven, no model."""

from toolweave.agents.offline_assistant import OfflineAssistant
from toolweave.agents.offline_planner import OfflinePlanner
from toolweave.agents.offline_user import OfflineUser

__all__ = ["OfflineAssistant", "OfflinePlanner", "OfflineUser"]
