"""Find agents by reference: a registered name (entry-point group ``turnloom.agents``,
where the built-in agents are registered too) or ``package.module:Name``."""

from __future__ import annotations

import contextlib
import importlib
import inspect
from importlib.metadata import entry_points
from typing import Any

from turnloom.agents._protocol import ROLES, Agent

__all__ = ["DEFAULT_AGENTS", "AgentRefError", "available_agents", "resolve_agent"]

ENTRY_POINT_GROUP = "turnloom.agents"

DEFAULT_AGENTS: dict[str, str] = {
    "planner": "offline-planner",
    "user": "offline-user",
    "assistant": "offline-assistant",
    "verifier": "dual-verifier",
}


class AgentRefError(ValueError):
    """An agent reference could not be resolved; the message says what and why."""


def available_agents() -> dict[str, str]:
    """Registered agent names -> their ``module:attr`` targets."""
    return {ep.name: ep.value for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)}


def _load(ref: str) -> Any:
    if ":" in ref:
        module_name, _, attr = ref.partition(":")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # report every import failure with its cause
            raise AgentRefError(f"agent {ref!r}: cannot import module {module_name!r}: "
                                f"{type(exc).__name__}: {exc}") from exc
        obj: Any = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise AgentRefError(f"agent {ref!r}: module {module_name!r} has no attribute {attr!r}")
            obj = getattr(obj, part)
        return obj
    eps = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if ref not in eps:
        known = ", ".join(sorted(eps)) or "none (is turnloom installed?)"
        raise AgentRefError(f"agent {ref!r}: no agent registered under that name (registered: {known}); "
                            "use a registered name or 'package.module:Name'")
    try:
        return eps[ref].load()
    except Exception as exc:  # a broken plugin is reported, never swallowed
        raise AgentRefError(f"agent {ref!r}: entry point {eps[ref].value!r} failed to load: "
                            f"{type(exc).__name__}: {exc}") from exc


def resolve_agent(ref: str, role: str) -> Agent:
    """An agent instance for ``role`` from a reference."""
    if role not in ROLES:
        raise AgentRefError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    obj = _load(ref)
    if inspect.isclass(obj):
        try:
            obj = obj()
        except TypeError as exc:
            raise AgentRefError(f"agent {ref!r}: cannot construct {obj.__name__}() without arguments: {exc}") from exc
    elif callable(obj) and not hasattr(obj, "act") and not _is_autogen_agent(obj):
        obj = obj()
    if _is_autogen_agent(obj):
        from turnloom.agents.llm._autogen_adapter import AutogenChatAgent

        return AutogenChatAgent(obj, role)  # type: ignore[return-value]
    act = getattr(obj, "act", None)
    if act is None or not inspect.iscoroutinefunction(act):
        raise AgentRefError(f"agent {ref!r}: {type(obj).__name__} does not implement "
                            "'async def act(self, view) -> AgentOutput'")
    if not hasattr(obj, "name"):
        with contextlib.suppress(AttributeError):
            obj.name = ref.rsplit(":", 1)[-1]
    return obj  # type: ignore[no-any-return]


def _is_autogen_agent(obj: Any) -> bool:
    cls_names = {c.__module__ + "." + c.__name__ for c in type(obj).__mro__}
    return any(n.startswith("autogen_agentchat.") and n.endswith("ChatAgent") for n in cls_names)
