"""Name and schema checks of a scenario that need its tools: every finding is ``(field path, message)``.

- inline tool schemas no value can fit (a ``$ref`` loop or a required cycle), with the path inside the schema;
- ``world.seed_data`` entities that no tool reads or writes, ``world.llm_tools`` names that are no tool;
- ``verify.disable`` names that are no verification rule (the caller passes the rule names, which live in a
  layer above this one).

Each unknown name comes with a did-you-mean when a known name is close.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Any

from turnloom.schema import ToolSpec
from turnloom.tools_env.analysis import profile_tool
from turnloom.tools_env.values import schema_cycles

__all__ = ["Finding", "cycle_findings", "did_you_mean", "name_findings"]

Finding = tuple[tuple[Any, ...], str]


def did_you_mean(word: str, choices: Collection[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _listing(choices: Collection[str], limit: int = 12) -> str:
    names = sorted(choices)
    shown = ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit else "")
    return shown or "none"


def cycle_findings(inline: list[Any]) -> list[Finding]:
    """Inline tools whose ``parameters`` or ``returns`` no finite value fits."""
    out: list[Finding] = []
    for i, tool in enumerate(inline):
        if not isinstance(tool, dict):
            continue
        for field in ("parameters", "returns"):
            for cycle in schema_cycles(tool.get(field)):
                name = tool.get("name")
                who = f"tool {name!r}: " if isinstance(name, str) else ""
                out.append((("tools", "inline", i, field, *cycle.path), f"{who}{cycle.message}"))
    return out


def name_findings(data: dict[str, Any], tools: list[ToolSpec] | None,
                  rule_names: Collection[str] | None) -> list[Finding]:
    """Unknown names in ``world.seed_data``, ``world.llm_tools`` (when the tools are known) and
    ``verify.disable`` (when the rule names are given)."""
    out: list[Finding] = []
    found = data.get("world")
    world: dict[str, Any] = found if isinstance(found, dict) else {}
    if tools is not None:
        names = {t.name for t in tools}
        entities = {e for e in (profile_tool(t).entity for t in tools) if e}
        seed = world.get("seed_data")
        for entity in seed if isinstance(seed, dict) else {}:
            if str(entity) not in entities:
                hint = did_you_mean(str(entity), entities)
                out.append((("world", "seed_data", entity), f"unknown entity {entity!r}: no tool reads or writes it"
                                                            f"{hint}; expected one of: {_listing(entities)}"))
        llm = world.get("llm_tools")
        for i, name in enumerate(llm if isinstance(llm, list) else []):
            if isinstance(name, str) and name != "*" and name not in names:
                out.append((("world", "llm_tools", i),
                            f"unknown tool {name!r}: the scenario offers no tool of that name"
                            f"{did_you_mean(name, names)}; expected tool names or '*'"))
    found = data.get("verify")
    verify: dict[str, Any] = found if isinstance(found, dict) else {}
    disable = verify.get("disable")
    if rule_names is not None and isinstance(disable, list):
        for i, rule in enumerate(disable):
            if isinstance(rule, str) and rule not in rule_names:
                out.append((("verify", "disable", i),
                            f"unknown rule {rule!r}{did_you_mean(rule, rule_names)}; "
                            f"expected one of: {', '.join(sorted(rule_names))}"))
    return out
